"""The metrics table (definitions section 4.2): every metric, per seller, marketplace, channel and as-of date.

For one as-of date the orders are read once: a per-order summary of the ODR defects known
at that date is joined in and every metric's numerator and denominator is summed in a
single aggregation. For a range of dates every record adds +1 on its ``counts_from`` and
-1 on its ``clears_on``, and a cumulative sum per key gives each day, so the cost grows
with records plus key-days, never records times days. Both count the same retention
windows (:mod:`toolkit.engine.rules`), so a history row equals the snapshot of that date.

By default a date's numbers use what was known at that date (what the dashboard showed
then). ``known_at=K`` recomputes past dates with what is known at K: the window still
comes from the as-of date, visibility from K (restated history).

The metrics of definitions section 12 (returns, buyer messages, product reviews: :mod:`toolkit.engine.service`)
are rules over their own tables, counted the same two ways, on channel ``all`` of every
seller and marketplace with orders.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import polars as pl

from toolkit.engine.rules import ORDER_RULES, Rule, defect_events, order_dates, window_bounds
from toolkit.engine.service import SERVICE_RULES, service_frame
from toolkit.engine.statistics import with_statistics
from toolkit.model.data import Dataset
from toolkit.model.errors import OptionError
from toolkit.model.policy import COMPONENTS, MEAN_METRICS, METRICS, Policy, load_policy
from toolkit.time.limits import check_reach
from toolkit.time.visibility import day_number
from toolkit.time.windows import Window, as_of_range, daily_grid, live_at, merge_windows

__all__ = [
    "KEYS",
    "METRIC_COLUMNS",
    "metric_parameters",
    "metrics_table",
    "order_defect_flags",
    "population_volume",
    "snapshot_counts",
    "window_counts",
]

#: Columns of the metrics table, in order.
METRIC_COLUMNS = [
    "seller_id",
    "marketplace",
    "channel",
    "metric",
    "as_of",
    "window_start",
    "window_end",
    "numerator",
    "denominator",
    "rate",
    "target",
    "condition",
    "informational",
    "ci_low",
    "ci_high",
    "p_value",
    "status",
]
KEYS = ["seller_id", "marketplace", "channel", "metric"]
_CHANNEL_KEYS = ["seller_id", "marketplace", "channel"]
_ODR_FAMILY = ("odr", *COMPONENTS)
_MFN_ONLY = tuple(m for m, rule in ORDER_RULES.items() if rule.channel == "mfn")
_ALL_ONLY = ("idr_7d", *SERVICE_RULES)
# metric codes in string order, so that integer keys sort like the output's strings
_CODE = {metric: i for i, metric in enumerate(sorted(METRICS))}
_NEVER = 2**30  # a stop that never comes, as a day number
_ROLES = ("denominator", "numerator")


def _roles(metric: str) -> tuple[str, ...]:
    # ODR numerators come from the defect tables
    return ("denominator",) if metric == "odr" else _ROLES


def _applies(metric: pl.Expr, channel: pl.Expr) -> pl.Expr:
    """Which metrics exist for a channel row: ODR family everywhere, the rest on mfn."""
    return (
        ((channel != "all") & metric.is_in(list(_ODR_FAMILY)))
        | ((channel == "mfn") & metric.is_in(list(_MFN_ONLY)))
        | ((channel == "all") & metric.is_in(list(_ALL_ONLY)))
    )


def _weight(rule: Rule) -> pl.Expr:
    """What one numerator record of ``rule`` adds (1, or a review's stars), as Int8."""
    return pl.lit(1, pl.Int8) if rule.weight is None else rule.weight.cast(pl.Int8)


# ------------------------------------------------------------------------ one date


def order_defect_flags(data: Dataset, policy: Policy, knowledge: date) -> pl.LazyFrame:
    """Per order: does it have a negative feedback, claim, chargeback known and not stopped?

    The ODR numerator factorises: a defect record counts on D when its order is inside
    the window (an order-level test) and the record is visible and not stopped by the
    knowledge date (a record-level test), so the record-level part is summarised per
    order here, without the orders table.
    """
    return (
        defect_events(data, policy)
        .filter(live_at(pl.col("seen"), pl.col("stop"), knowledge))
        .group_by("order_id")
        .agg((pl.col("metric") == c).any().alias(f"_has_{c}") for c in COMPONENTS)
    )


def _snapshot_counts(
    data: Dataset,
    policy: Policy,
    day: date,
    known_at: date | None,
    remove: frozenset[str] = frozenset(),
) -> pl.LazyFrame:
    """``KEYS, numerator, denominator`` at one date, every applicable metric.

    One scan of the orders for the order metrics, one of each definitions section 12 table for its metric.
    """
    knowledge = known_at or day
    flags = {}
    cleared = _cleared(remove)
    for metric, rule in ORDER_RULES.items():
        for role in _roles(metric):
            flags[f"{metric}|{role}"] = rule.active(
                policy, role=role, day=day, known_at=known_at, cleared=cleared
            )
    in_window = flags["odr|denominator"]
    for component in ("odr", *COMPONENTS):
        has = (
            pl.any_horizontal(f"_has_{c}" for c in COMPONENTS)
            if component == "odr"
            else pl.col(f"_has_{component}")
        )
        flags[f"{component}|numerator"] = in_window & has.fill_null(False)
    for component in COMPONENTS:
        flags[f"{component}|denominator"] = in_window
    source = _without(data, remove) if remove else data
    defects = order_defect_flags(source, policy, knowledge)
    near = data.orders.filter(_near(policy, day))
    orders = order_dates(near, policy).join(
        defects, on="order_id", how="left", build_side="force_right"
    )
    counted = orders.group_by(_CHANNEL_KEYS).agg(
        flag.sum().cast(pl.Int64).alias(name) for name, flag in flags.items()
    )
    # every key with an order anywhere gets rows: the keys from a scan of three columns,
    # the counts from the orders near the date only
    wide = (
        data.orders.select(_CHANNEL_KEYS)
        .unique()
        .join(counted, on=_CHANNEL_KEYS, how="left", nulls_equal=True)
        .with_columns(pl.col(name).fill_null(0) for name in flags)
        # integer sort keys that order like the output's strings (one small rank here, so
        # the output sorts on integers instead of four string columns)
        .with_columns(_seller=pl.struct("seller_id", "marketplace").rank("dense"))
        .cache()
    )
    parts = []
    for metric in METRICS:
        if metric in SERVICE_RULES:
            continue
        rows = wide.select(
            *_CHANNEL_KEYS,
            "_seller",
            pl.lit(metric).alias("metric"),
            pl.lit(_CODE[metric], pl.Int8).alias("_metric"),
            pl.col(f"{metric}|numerator").alias("numerator"),
            pl.col(f"{metric}|denominator").alias("denominator"),
        )
        if metric == "idr_7d":  # both channels together
            rows = (
                rows.group_by("seller_id", "marketplace", "_seller", "metric", "_metric")
                .agg(pl.col("numerator", "denominator").sum())
                .with_columns(channel=pl.lit("all"))
            )
        parts.append(
            rows.filter(_applies(pl.col("metric"), pl.col("channel"))).select(
                *KEYS, "_seller", "_metric", "numerator", "denominator"
            )
        )
    sellers = wide.select("seller_id", "marketplace", "_seller").unique()
    cleared_records = _cleared(remove, "record_id")
    for metric, rule in SERVICE_RULES.items():
        counted = rule.active(
            policy, role="numerator", day=day, known_at=known_at, cleared=cleared_records
        )
        population = rule.active(policy, role="denominator", day=day, known_at=known_at)
        counts = (
            service_frame(data, policy, metric)
            .group_by("seller_id", "marketplace")
            .agg(
                pl.when(counted).then(_weight(rule)).sum().cast(pl.Int64).alias("numerator"),
                population.sum().cast(pl.Int64).alias("denominator"),
            )
        )
        parts.append(
            sellers.join(counts, on=["seller_id", "marketplace"], how="left").select(
                "seller_id",
                "marketplace",
                pl.lit("all").alias("channel"),
                pl.lit(metric).alias("metric"),
                "_seller",
                pl.lit(_CODE[metric], pl.Int8).alias("_metric"),
                pl.col("numerator", "denominator").fill_null(0),
            )
        )
    return pl.concat(parts)


#: The timestamp column whose UTC date is each attribution date of the order rules.
_ATTRIBUTED_BY = {"_pd": "purchased_at", "_lsd": "latest_ship_at", "_pdd": "promised_delivery_at"}


def _near(policy: Policy, day: date, last: date | None = None) -> pl.Expr:
    """True for the orders that may count in some order metric on ``day`` (or on some
    date of ``day .. last``).

    Every order metric counts an order only while its attribution date is inside the
    metric's window at ``day`` (the numerators of the ODR components too), so an order
    whose purchase, ship-by and promised delivery dates are all outside every window
    counts nowhere. The test compares the raw timestamp columns with constant instants,
    so that it reaches the Parquet reader: on files in time order, as exports come, the
    row groups outside the windows are skipped on their statistics (a 74-day window of
    400 days reads about a fifth of the orders). For a range of dates, the attribution
    dates of the first date's window to the last date's.

    >>> from toolkit.model.policy import load_policy
    >>> print(_near(load_policy(), date(2025, 4, 30)))  # doctest: +ELLIPSIS
    [([([([(col("purchased_at")) >= (2025-02-16 00:00:00 UTC)]) & ([(col("purchased_at")) < (2025-05-01 00:00:00 UTC)])]) | ...
    """
    spans: dict[str, tuple[int, int]] = {}
    d, e = day_number(day), day_number(last or day)
    for rule in ORDER_RULES.values():
        column = _ATTRIBUTED_BY[rule.a.meta.output_name()]
        window = Window.of(policy.metric(rule.metric))
        first, final = window.start(d), window.end(e)
        low, high = spans.get(column, (first, final))
        spans[column] = (min(low, first), max(high, final))
    tests = []
    for column, (first, final) in spans.items():
        # bounds outside the calendar (years 1 to 9999) hold for every instant: left out
        if final < _FIRST_DAY or first > _LAST_DAY:  # a window wholly outside it: no order
            tests.append(pl.lit(False))
            continue
        bounds = []
        if first > _FIRST_DAY:
            bounds.append(pl.col(column) >= _midnight(first))
        if final < _LAST_DAY:
            bounds.append(pl.col(column) < _midnight(final + 1))
        tests.append(functools.reduce(operator.and_, bounds) if bounds else pl.lit(True))
    return functools.reduce(operator.or_, tests)


_FIRST_DAY, _LAST_DAY = day_number(date.min), day_number(date.max)


def _midnight(day: int) -> datetime:
    """Midnight UTC starting day number ``day`` (inside the calendar)."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)


def _cleared(remove: frozenset[str], column: str = "order_id") -> pl.Expr | None:
    """Records whose bad state is cleared (what-if): order ids for the order metrics,
    ``column="record_id"`` for the return requests and messages of definitions section 12."""
    return pl.col(column).is_in(sorted(remove)) if remove else None


def _without(data: Dataset, remove: frozenset[str]) -> Dataset:
    """The dataset without the defect records whose ids are in ``remove`` (what-if)."""
    ids = sorted(remove)
    return replace(
        data,
        feedback=data.feedback.filter(~pl.col("feedback_id").is_in(ids)),
        claims=data.claims.filter(~pl.col("claim_id").is_in(ids)),
        chargebacks=data.chargebacks.filter(~pl.col("chargeback_id").is_in(ids)),
    )


def snapshot_counts(
    data: Dataset,
    policy: Policy,
    day: date,
    *,
    known_at: date | None = None,
    remove: frozenset[str] = frozenset(),
) -> pl.LazyFrame:
    """``KEYS, as_of, numerator, denominator`` at one as-of date, for every applicable row.

    ``remove`` (what-if) takes record ids away: feedback, claim and chargeback ids leave
    the ODR components (an order stays a defect while another of its defects counts), and
    an order id clears that order's bad records of the order metrics (it stays in each
    population and is no longer bad: out of the numerator of a ``<`` metric, in the
    numerator of a ``>`` metric).

    Also the internal integer keys ``_metric`` (metric code) and ``_seller`` (rank of
    seller and marketplace), both in string order, for cheap sorting and lookups.
    Rows exist for every (seller, marketplace, channel) with an order anywhere in the data
    and every metric of that channel (definitions section 4.2), counts 0 where nothing is in the window.
    """
    return _snapshot_counts(data, policy, day, known_at, remove).with_columns(
        pl.col("numerator", "denominator").cast(pl.Int64),
        as_of=pl.lit(day, dtype=pl.Date),
    )


# ------------------------------------------------------------------------ a range


def _key_table(orders: pl.LazyFrame) -> pl.LazyFrame:
    """Integer ids: one per (seller, marketplace, channel) and one per (seller, mp, "all")."""
    combos = orders.select(_CHANNEL_KEYS).unique()
    alls = combos.select("seller_id", "marketplace").unique().with_columns(channel=pl.lit("all"))
    # ids in string order, so that integer keys sort like the output's strings
    return pl.concat([combos, alls]).sort(_CHANNEL_KEYS).with_row_index("_key")


def _known_part(rule: Rule, role: str, scope: pl.Expr, attributed_until: date | None) -> pl.Expr:
    """The forecast's known part (definitions section 5): records attributed up to D only, and no defect
    whose deadline passes after D (an invoice or a return response due after D adds none:
    the clean scenario adds no defect). ``attributed_until`` None: every record."""
    if attributed_until is None:
        return scope
    d = day_number(attributed_until)
    scope = scope & (rule.a <= d)
    if role == "numerator" and rule.counted_ready is not None:
        scope = scope & (rule.counted_ready.is_null() | (rule.counted_ready <= d))
    return scope


def _record_windows(
    data: Dataset,
    policy: Policy,
    orders: pl.LazyFrame,
    alls: pl.LazyFrame,
    *,
    known_at: date | None,
    attributed_until: date | None,
    remove: frozenset[str],
) -> pl.LazyFrame:
    """Every record as ``_key, _metric (code), _num, counts_from, clears_on`` (day numbers).

    ``_num`` is what a record adds to the numerator (Int8: 0 for a population record, 1
    for a counted one, a review's stars for ``product_rating``). ``alls`` maps each
    seller and marketplace to its channel ``all`` key (the definitions section 12 records').
    """
    parts = []
    cleared = _cleared(remove)
    for metric, rule in ORDER_RULES.items():
        key = "_all_key" if rule.channel == "all" else "_key"
        for role in _roles(metric):
            scope, cf, co = rule.bounds(policy, role=role, known_at=known_at, cleared=cleared)
            scope = _known_part(rule, role, scope, attributed_until)
            parts.append(
                orders.filter(scope & (cf < co)).select(
                    pl.col(key).alias("_key"),
                    pl.lit(_CODE[metric], pl.Int8).alias("_metric"),
                    pl.lit(int(role == "numerator"), pl.Int8).alias("_num"),
                    cf.alias("counts_from"),
                    co.alias("clears_on"),
                )
            )
    cleared_records = _cleared(remove, "record_id")
    for metric, rule in SERVICE_RULES.items():
        records = service_frame(data, policy, metric).join(
            alls, on=["seller_id", "marketplace"], how="inner"
        )
        for role in _ROLES:
            scope, cf, co = rule.bounds(
                policy, role=role, known_at=known_at, cleared=cleared_records
            )
            scope = _known_part(rule, role, scope, attributed_until)
            parts.append(
                records.filter(scope & (cf < co)).select(
                    pl.col("_all_key").alias("_key"),
                    pl.lit(_CODE[metric], pl.Int8).alias("_metric"),
                    (_weight(rule) if role == "numerator" else pl.lit(0, pl.Int8)).alias("_num"),
                    cf.alias("counts_from"),
                    co.alias("clears_on"),
                )
            )
    source = _without(data, remove) if remove else data
    parts.append(
        _defect_windows(
            defect_events(source, policy),
            orders,
            Window.of(policy.metric("odr")),
            known_at=known_at,
            attributed_until=attributed_until,
        )
    )
    return pl.concat(parts)


def _defect_windows(
    events: pl.LazyFrame,
    orders: pl.LazyFrame,
    window: Window,
    *,
    known_at: date | None,
    attributed_until: date | None,
) -> pl.LazyFrame:
    """ODR numerator windows: record intervals merged per order, then cut by the order's window.

    A record's own interval is ``[seen, stop)`` point in time, or unbounded when it is
    visible and not stopped by K (restated). Merging per order first keeps an order with
    several defects counted once. Each merged interval is then one record of the order:
    seen at its start (or the purchase's visible day if later), stopped at its end.
    """
    if known_at is None:
        events = events.with_columns(
            counts_from=pl.col("seen"), clears_on=pl.col("stop").fill_null(_NEVER)
        )
    else:
        events = events.filter(live_at(pl.col("seen"), pl.col("stop"), known_at)).with_columns(
            counts_from=pl.lit(-_NEVER, pl.Int32), clears_on=pl.lit(_NEVER, pl.Int32)
        )
    per_component = merge_windows(events, by=["order_id", "metric"])
    per_order = merge_windows(events, by=["order_id"]).with_columns(metric=pl.lit("odr"))
    segments = pl.concat([per_component, per_order.select(per_component.collect_schema().names())])
    cf, co = window_bounds(
        pl.col("_pd"),
        window=window,
        seen=pl.max_horizontal("_pv", "counts_from"),
        stop=pl.col("clears_on"),
        known_at=known_at,
    )
    joined = segments.join(
        orders.select("order_id", "_key", "_pd", "_pv"), on="order_id", how="inner"
    )
    if attributed_until is not None:
        joined = joined.filter(pl.col("_pd") <= day_number(attributed_until))
    return joined.select(
        "_key",
        pl.col("metric").replace_strict(_CODE, return_dtype=pl.Int8).alias("_metric"),
        pl.lit(1, pl.Int8).alias("_num"),
        cf.alias("counts_from"),
        co.alias("clears_on"),
    )


def window_counts(
    data: Dataset,
    policy: Policy,
    start: date,
    end: date,
    *,
    known_at: date | None = None,
    attributed_until: date | None = None,
    remove: frozenset[str] = frozenset(),
) -> pl.LazyFrame:
    """``KEYS, as_of, numerator, denominator`` for every as-of date ``start .. end``.

    +1 on ``counts_from``, -1 on ``clears_on``, cumulative sums per key over a dense grid
    of keys and dates; keys are integers until the end.
    """
    as_of_range(start, end)
    table = _key_table(data.orders).cache()  # every key with an order anywhere
    alls = table.filter(pl.col("channel") == "all").select(
        "seller_id", "marketplace", pl.col("_key").alias("_all_key")
    )
    mapping = table.filter(pl.col("channel") != "all").join(alls, on=["seller_id", "marketplace"])
    # an order whose windows all miss start .. end adds nothing there (its +1 and -1 fall
    # on the same side of the range): only the orders near the range are read
    od = order_dates(data.orders.filter(_near(policy, start, end)), policy)
    orders = od.join(mapping, on=_CHANNEL_KEYS, how="inner").cache()
    records = _record_windows(
        data,
        policy,
        orders,
        alls,
        known_at=known_at,
        attributed_until=attributed_until,
        remove=remove,
    )
    # one integer code per (key, metric) series, in the output's string order
    series = pl.col("_key").cast(pl.Int32) * len(_CODE) + pl.col("_metric").cast(pl.Int32)
    rows = (
        table.join(pl.LazyFrame({"metric": list(METRICS)}), how="cross")
        .filter(_applies(pl.col("metric"), pl.col("channel")))
        .with_columns(_metric=pl.col("metric").replace_strict(_CODE, return_dtype=pl.Int8))
        .select(
            *KEYS,
            "_metric",
            _series=series,
            # the ODR components divide by the ODR population of the same key
            _den_from=pl.when(pl.col("metric").is_in(list(COMPONENTS))).then(
                pl.col("_key").cast(pl.Int32) * len(_CODE) + _CODE["odr"]
            ),
        )
    )
    return daily_grid(
        records.with_columns(_series=series),
        rows,
        start=start,
        end=end,
        key="_series",
        weights={"numerator": pl.col("_num"), "denominator": pl.col("_num") == 0},
        share={"denominator": "_den_from"},
    )


def population_volume(data: Dataset, policy: Policy, day: date) -> pl.LazyFrame:
    """``KEYS, volume``: population records attributed to D-W+1 .. D and counting at D.

    The forecast's projected orders per day are ``volume / W`` (definitions section 5); likewise the
    projected return requests and messages of the definitions section 12 metrics. ``product_rating`` gets
    no row (volume 0): new reviews have no "good" value to project, so its forecast only
    lets the known reviews age out of the window.
    """

    def recent(metric: str, rule: Rule) -> pl.Expr:
        scope, cf, _ = rule.bounds(policy, role="denominator", known_at=day)
        # attribution dates D-W+1 .. D: the metric's window without its lag
        inside = Window(policy.metric(metric).window_days, 0).contains(rule.a, day)
        return (scope & inside & cf.is_not_null()).sum().cast(pl.Int64)

    flags = {metric: recent(metric, rule) for metric, rule in ORDER_RULES.items()}
    service = [
        service_frame(data, policy, metric)
        .group_by("seller_id", "marketplace")
        .agg(recent(metric, rule).alias("volume"))
        .select(
            "seller_id",
            "marketplace",
            channel=pl.lit("all"),
            metric=pl.lit(metric),
            volume="volume",
        )
        for metric, rule in SERVICE_RULES.items()
        if metric not in MEAN_METRICS
    ]
    wide = (
        order_dates(data.orders, policy)
        .group_by(_CHANNEL_KEYS)
        .agg(flag.alias(name) for name, flag in flags.items())
    )
    wide = wide.with_columns(pl.col("odr").alias(c) for c in COMPONENTS)
    return (
        wide.unpivot(index=_CHANNEL_KEYS, variable_name="metric", value_name="volume")
        .with_columns(
            channel=pl.when(pl.col("metric") == "idr_7d")
            .then(pl.lit("all"))
            .otherwise(pl.col("channel"))
        )
        .filter(_applies(pl.col("metric"), pl.col("channel")))
        .group_by(KEYS)
        .agg(pl.col("volume").sum())
        .pipe(lambda orders: pl.concat([orders, *service]))
    )


# ------------------------------------------------------------------------ assembly


def _parameter_frame(policy: Policy) -> pl.DataFrame:
    """One row per metric, in metric-code order (row i is code i)."""
    rows = []
    for metric in sorted(_CODE, key=_CODE.get):
        m = policy.metric(metric)
        p0 = m.allowed_bad
        rows.append(
            {
                "metric": metric,
                "_metric": _CODE[metric],
                "_window": m.window_days,
                "_lag": m.lag_days,
                "target": None if m.target is None else float(m.target),
                "condition": m.condition,
                "informational": m.informational,
                "_retired": m.retired,
                "_mean": metric in MEAN_METRICS,
                "_p0_num": None if p0 is None else p0.numerator,
                "_p0_den": None if p0 is None else p0.denominator,
            }
        )
    schema = {
        "metric": pl.String,
        "_metric": pl.Int8,
        "_window": pl.Int64,
        "_lag": pl.Int64,
        "target": pl.Float64,
        "condition": pl.String,
        "informational": pl.Boolean,
        "_retired": pl.Boolean,
        "_mean": pl.Boolean,
        "_p0_num": pl.Int64,
        "_p0_den": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def metric_parameters(policy: Policy) -> pl.LazyFrame:
    """One row per metric: window, lag, target, condition, informational and exact p0."""
    return _parameter_frame(policy).lazy()


def _with_status(counts: pl.LazyFrame, policy: Policy) -> pl.LazyFrame:
    """Add window dates, target, condition, informational and the definitions section 4.1 statistics.

    ``counts`` carries the metric code ``_metric``: each parameter is looked up by
    position in a tiny per-code list (no join, no hashing of the metric string). Rows
    keep their order: the callers sort them on integer keys first.
    """
    params = _parameter_frame(policy)

    def lookup(name: str) -> pl.Expr:
        return pl.lit(params[name]).gather(pl.col("_metric")).alias(name)

    window = Window(pl.col("_window"), pl.col("_lag"))
    as_of = pl.col("as_of").cast(pl.Int32)
    columns = [
        "_window",
        "_lag",
        "target",
        "condition",
        "informational",
        "_retired",
        "_mean",
        "_p0_num",
        "_p0_den",
    ]
    return (
        with_statistics(
            counts.with_columns(pl.col("numerator", "denominator").cast(pl.Int64)).with_columns(
                lookup(c) for c in columns
            ),
            condition=pl.col("condition"),
            p0_numerator=pl.col("_p0_num"),
            p0_denominator=pl.col("_p0_den"),
            z=policy.wilson_z,
            alpha=policy.alpha,
            watch_fraction=policy.watch_fraction,
            retired=pl.col("_retired"),
        )
        .with_columns(
            # a mean of stars is no proportion: no Wilson interval
            pl.when(~pl.col("_mean")).then(pl.col("ci_low", "ci_high")),
            window_start=window.start(as_of).cast(pl.Int32).cast(pl.Date),
            window_end=window.end(as_of).cast(pl.Int32).cast(pl.Date),
        )
        .select(METRIC_COLUMNS)
    )


def check_windows(as_of: date, policy: Policy) -> None:
    """An OptionError when a metric window at ``as_of`` would start before 0001-01-01.

    The metrics table shows each window's first date (``window_start``): the widest
    window of the policy (lag plus length) decides the earliest usable as-of date.
    """
    widest = max(METRICS, key=lambda m: policy.metric(m).lag_days + policy.metric(m).window_days)
    m = policy.metric(widest)
    check_reach(
        as_of,
        back=m.lag_days + m.window_days - 1,
        what=f"the {widest} window ({m.window_days} days after a {m.lag_days}-day lag)",
    )


def metrics_table(
    data: Dataset,
    *,
    as_of: date,
    to: date | None = None,
    known_at: date | None = None,
    policy: Policy | None = None,
) -> pl.LazyFrame:
    """The metrics table for one as-of date, or for every date ``as_of .. to``.

    Parameters
    ----------
    data
        A validated :class:`~toolkit.model.data.Dataset`.
    as_of, to
        First and last as-of date (``to`` defaults to ``as_of``).
    known_at
        Judge visibility at the end of this date instead of at each as-of date (restated
        history); must be on or after every as-of date.
    policy
        Windows, lags, targets, cadences; the shipped Amazon US policy by default.

    Returns
    -------
    pl.LazyFrame
        The definitions section 4.2 columns, one row per seller, marketplace, channel, metric and as-of
        date, sorted by those keys.

    Notes
    -----
    Window at as-of D with window W and lag L: attribution dates ``D-L-W+1 .. D-L``, both
    ends included. A row whose denominator is 0 has null rate, interval and p-value and
    status ``no_data``.

    Examples
    --------
    The source document's example: 10 seller-fulfilled orders in the ODR window, one
    with an A-to-z claim.

    >>> from datetime import date
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> orders = pl.DataFrame({
    ...     "order_id": [f"O{i}" for i in range(10)], "seller_id": "S1", "channel": "mfn",
    ...     "purchased_at": [f"2025-03-{d:02d}T12:00:00Z" for d in range(1, 11)],
    ... })
    >>> claims = pl.DataFrame({"claim_id": ["C1"], "order_id": ["O3"],
    ...     "filed_at": ["2025-03-20T09:00:00Z"], "outcome": ["pending"]})
    >>> data = dataset_from_frames(orders=orders, claims=claims)
    >>> table = metrics_table(data, as_of=date(2025, 4, 30)).collect()
    >>> table.filter(pl.col("metric") == "odr").select(
    ...     "window_start", "window_end", "numerator", "denominator", "rate", "p_value", "status")
    shape: (1, 7)
    ┌──────────────┬────────────┬───────────┬─────────────┬──────┬──────────┬────────────────┐
    │ window_start ┆ window_end ┆ numerator ┆ denominator ┆ rate ┆ p_value  ┆ status         │
    │ ---          ┆ ---        ┆ ---       ┆ ---         ┆ ---  ┆ ---      ┆ ---            │
    │ date         ┆ date       ┆ i64       ┆ i64         ┆ f64  ┆ f64      ┆ str            │
    ╞══════════════╪════════════╪═══════════╪═════════════╪══════╪══════════╪════════════════╡
    │ 2025-02-16   ┆ 2025-04-16 ┆ 1         ┆ 10          ┆ 0.1  ┆ 0.095618 ┆ bad_low_volume │
    └──────────────┴────────────┴───────────┴─────────────┴──────┴──────────┴────────────────┘
    """
    policy = policy or load_policy()
    end = as_of_range(as_of, to)
    if known_at is not None and known_at < end:
        raise OptionError(f"--known-at {known_at} must be on or after every as-of date ({end})")
    check_windows(as_of, policy)
    if end == as_of:
        channel_order = pl.col("channel").replace_strict(
            {"afn": 0, "all": 1, "mfn": 2}, return_dtype=pl.Int8
        )
        counts = snapshot_counts(data, policy, as_of, known_at=known_at).sort(
            "_seller", channel_order, "_metric"
        )
    else:  # a range: integer codes assigned in string order, already in output order
        counts = window_counts(data, policy, as_of, end, known_at=known_at)
    return _with_status(counts, policy)
