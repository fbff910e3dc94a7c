"""The metrics table (SPEC 4.2): every metric, per seller, marketplace, channel and as-of date.

For one as-of date the orders are read once and every metric's numerator and denominator
are summed in a single aggregation; for a range of dates every record adds +1 on its
``counts_from`` and -1 on its ``clears_on`` and a cumulative sum per key gives each day
(:func:`toolkit.intervals.daily_counts`). Both count the same retention windows
(:mod:`toolkit.records`), so a history row equals the snapshot of that date.

By default a date's numbers use what was known at that date (what the dashboard showed
then). ``known_at=K`` recomputes past dates with what is known at K: the window still
comes from the as-of date, visibility from K (restated history).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from toolkit.data import Dataset
from toolkit.intervals import active_on, daily_counts, merge_windows
from toolkit.policy import COMPONENTS, METRICS, Policy, load_policy
from toolkit.records import ORDER_RULES, defect_records, order_dates
from toolkit.stats import status_columns

__all__ = [
    "KEYS",
    "METRIC_COLUMNS",
    "metric_keys",
    "metric_parameters",
    "metric_records",
    "metrics_table",
    "share_odr_denominator",
    "snapshot_counts",
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
_ODR_FAMILY = ("odr", *COMPONENTS)
_MFN_ONLY = tuple(m for m, rule in ORDER_RULES.items() if rule.channel == "mfn")


def metric_keys(data: Dataset) -> pl.LazyFrame:
    """Every (seller, marketplace, channel, metric) row the metrics table must have.

    ODR and its components for each channel a seller has orders in, the seller-fulfilled
    metrics for ``mfn``, and ``idr_7d`` once per seller and marketplace (channel ``all``),
    whether or not the orders are visible or inside the requested dates (SPEC 4.3).
    """
    channels = data.orders.select("seller_id", "marketplace", "channel").unique()
    per_channel = channels.join(pl.LazyFrame({"metric": list(_ODR_FAMILY)}), how="cross")
    mfn = channels.filter(pl.col("channel") == "mfn").join(
        pl.LazyFrame({"metric": list(_MFN_ONLY)}), how="cross"
    )
    idr = (
        channels.select("seller_id", "marketplace")
        .unique()
        .with_columns(channel=pl.lit("all"), metric=pl.lit("idr_7d"))
    )
    return pl.concat([per_channel, mfn, idr.select(KEYS)])


def _channel(rule_channel: str | None) -> pl.Expr:
    return pl.col("channel") if rule_channel is None else pl.lit(rule_channel)


# ------------------------------------------------------------------------ one date


def _snapshot_counts(
    data: Dataset,
    policy: Policy,
    day: date,
    known_at: date | None,
    remove: frozenset[str] = frozenset(),
) -> pl.LazyFrame:
    """keys + numerator, denominator at one as-of date."""
    aggs = []
    for metric, rule in ORDER_RULES.items():
        roles = ("denominator",) if metric == "odr" else ("denominator", "numerator")
        for role in roles:
            scope, cf, co = rule.bounds(policy, role=role, known_at=known_at)
            aggs.append((scope & active_on(cf, co, day)).sum().alias(f"{metric}|{role}"))
    per_channel = (
        order_dates(data.orders, policy)
        .group_by("seller_id", "marketplace", "channel")
        .agg(aggs)
        .unpivot(index=["seller_id", "marketplace", "channel"], variable_name="_col")
        .with_columns(
            pl.col("_col").str.split_exact("|", 1).struct.rename_fields(["metric", "role"])
        )
        .unnest("_col")
        .with_columns(
            channel=pl.when(pl.col("metric") == "idr_7d")
            .then(pl.lit("all"))
            .otherwise(pl.col("channel"))
        )
    )
    defects = defect_records(data, policy, known_at=known_at, remove=remove).filter(
        active_on(pl.col("counts_from"), pl.col("clears_on"), day)
    )
    components = defects.group_by(*KEYS).agg(pl.col("order_id").n_unique().alias("value"))
    odr = defects.group_by("seller_id", "marketplace", "channel").agg(
        pl.col("order_id").n_unique().alias("value"), metric=pl.lit("odr")
    )
    numerators = pl.concat([components, odr.select(*KEYS, "value")]).with_columns(
        role=pl.lit("numerator")
    )
    long = pl.concat(
        [per_channel.select(*KEYS, "role", "value"), numerators.select(*KEYS, "role", "value")]
    )
    return (
        long.group_by(*KEYS)
        .agg(
            numerator=pl.col("value").filter(pl.col("role") == "numerator").sum(),
            denominator=pl.col("value").filter(pl.col("role") == "denominator").sum(),
        )
        .with_columns(as_of=pl.lit(day, dtype=pl.Date))
    )


def snapshot_counts(
    data: Dataset,
    policy: Policy,
    day: date,
    *,
    known_at: date | None = None,
    remove: frozenset[str] = frozenset(),
) -> pl.LazyFrame:
    """``keys, as_of, numerator, denominator`` at one date for every row of :func:`metric_keys`.

    The ODR components still carry their own (zero) denominator: see
    :func:`share_odr_denominator`.
    """
    counts = _snapshot_counts(data, policy, day, known_at, remove)
    return (
        metric_keys(data)
        .join(counts.drop("as_of"), on=KEYS, how="left")
        .with_columns(
            pl.col("numerator", "denominator").fill_null(0).cast(pl.Int64),
            as_of=pl.lit(day, dtype=pl.Date),
        )
    )


# ------------------------------------------------------------------------ a range


def metric_records(
    data: Dataset,
    policy: Policy,
    *,
    known_at: date | None = None,
    attributed_until: date | None = None,
    remove: frozenset[str] = frozenset(),
) -> pl.LazyFrame:
    """Every record of every metric: keys, ``_num`` (numerator or denominator), window.

    ``attributed_until`` keeps only records with attribution dates up to that date (the
    known part of a forecast); ``remove`` drops defect records by id (what-if).
    """
    orders = order_dates(data.orders, policy)
    parts = []
    for metric, rule in ORDER_RULES.items():
        roles = ("denominator",) if metric == "odr" else ("denominator", "numerator")
        for role in roles:
            scope, cf, co = rule.bounds(policy, role=role, known_at=known_at)
            if attributed_until is not None:
                scope = scope & (rule.a <= attributed_until)
            parts.append(
                orders.filter(scope & (cf < co)).select(
                    "seller_id",
                    "marketplace",
                    _channel(rule.channel).alias("channel"),
                    pl.lit(metric).alias("metric"),
                    pl.lit(role == "numerator").alias("_num"),
                    cf.alias("counts_from"),
                    co.alias("clears_on"),
                )
            )
    defects = defect_records(data, policy, known_at=known_at, remove=remove)
    if attributed_until is not None:
        defects = defects.filter(pl.col("attribution_date") <= attributed_until)
    by_order = ["seller_id", "marketplace", "channel", "order_id"]
    components = merge_windows(defects, by=[*by_order, "metric"])
    odr = merge_windows(defects, by=by_order).with_columns(metric=pl.lit("odr"))
    for merged in (components, odr):
        parts.append(
            merged.select(
                "seller_id",
                "marketplace",
                "channel",
                "metric",
                pl.lit(True).alias("_num"),
                "counts_from",
                "clears_on",
            )
        )
    return pl.concat(parts)


def _history_counts(
    data: Dataset, policy: Policy, start: date, end: date, known_at: date | None
) -> pl.LazyFrame:
    return daily_counts(
        metric_records(data, policy, known_at=known_at),
        keys=KEYS,
        start=start,
        end=end,
        all_keys=metric_keys(data),
        weights={"numerator": pl.col("_num"), "denominator": ~pl.col("_num")},
    )


# ------------------------------------------------------------------------ assembly


def share_odr_denominator(counts: pl.LazyFrame) -> pl.LazyFrame:
    """The ODR components divide by the ODR population of the same channel and date."""
    on = ["seller_id", "marketplace", "channel", "as_of"]
    odr = counts.filter(pl.col("metric") == "odr").select(
        *on, pl.col("denominator").alias("_odr_denominator")
    )
    return (
        counts.join(odr, on=on, how="left")
        .with_columns(
            denominator=pl.when(pl.col("metric").is_in(list(COMPONENTS)))
            .then(pl.col("_odr_denominator"))
            .otherwise(pl.col("denominator"))
        )
        .drop("_odr_denominator")
    )


def metric_parameters(policy: Policy) -> pl.LazyFrame:
    """One row per metric: window, lag, target, condition, informational and exact p0."""
    rows = []
    for metric in METRICS:
        m = policy.metric(metric)
        p0 = m.allowed_bad
        rows.append(
            {
                "metric": metric,
                "_window": m.window_days,
                "_lag": m.lag_days,
                "target": None if m.target is None else float(m.target),
                "condition": m.condition,
                "informational": m.informational,
                "_p0_num": None if p0 is None else p0.numerator,
                "_p0_den": None if p0 is None else p0.denominator,
            }
        )
    schema = {
        "metric": pl.String,
        "_window": pl.Int64,
        "_lag": pl.Int64,
        "target": pl.Float64,
        "condition": pl.String,
        "informational": pl.Boolean,
        "_p0_num": pl.Int64,
        "_p0_den": pl.Int64,
    }
    return pl.LazyFrame(rows, schema=schema)


def _with_status(counts: pl.LazyFrame, policy: Policy) -> pl.LazyFrame:
    """Add window dates, target, condition, informational and the SPEC 4.1 statistics."""
    return (
        counts.with_columns(pl.col("numerator", "denominator").cast(pl.Int64))
        .join(metric_parameters(policy), on="metric", how="left")
        .with_columns(
            *status_columns(
                condition=pl.col("condition"),
                p0_numerator=pl.col("_p0_num"),
                p0_denominator=pl.col("_p0_den"),
                z=policy.wilson_z,
                alpha=policy.alpha,
                watch_fraction=policy.watch_fraction,
            ),
            window_start=pl.col("as_of") - pl.duration(days=pl.col("_lag") + pl.col("_window") - 1),
            window_end=pl.col("as_of") - pl.duration(days=pl.col("_lag")),
        )
        .select(METRIC_COLUMNS)
        .sort([*KEYS, "as_of"])
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
        A validated :class:`~toolkit.data.Dataset`.
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
        The SPEC 4.2 columns, one row per seller, marketplace, channel, metric and as-of
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
    >>> from toolkit.data import dataset_from_frames
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
    end = as_of if to is None else to
    if end < as_of:
        raise ValueError(f"--to {end} is before --as-of {as_of}")
    if known_at is not None and known_at < end:
        raise ValueError(f"--known-at {known_at} must be on or after every as-of date ({end})")
    if end == as_of:
        counts = snapshot_counts(data, policy, as_of, known_at=known_at)
    else:
        counts = _history_counts(data, policy, as_of, end, known_at)
    return _with_status(share_odr_denominator(counts), policy)
