"""Records by attribution date: the orders behind a metric, day by day and one by one.

The metrics table says *how many*; notebooks that teach or explore also need *which* and
*when*. Two frame functions, both built on the retention windows of
:mod:`toolkit.engine.rules` (so they share every definition with the metrics table):

- :func:`daily_attribution_counts`: per seller, channel, metric and attribution date
  (purchase, latest ship or promised delivery date), how many orders of that day are in
  the metric's population and how many are counted, as known at a date K. Summed over the
  attribution dates of D's window with K = D, they give the metrics table at D. A p-chart
  (:func:`toolkit.portfolio.p_chart`) wants exactly these counts: independent days, not
  overlapping rolling windows.
- :func:`window_records`: one seller's orders and ODR defect records with their
  ``counts_from`` and ``clears_on`` dates, the input of
  :func:`toolkit.charts.window_explorer`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from toolkit.engine.metrics import order_defect_flags
from toolkit.engine.rules import ORDER_RULES, Rule, defect_records, order_dates
from toolkit.engine.service import SERVICE_RULES, service_frame
from toolkit.model.data import Dataset
from toolkit.model.policy import COMPONENTS, METRICS, Policy, load_policy
from toolkit.time.visibility import day_number
from toolkit.time.windows import live_at

__all__ = ["DAILY_COLUMNS", "WINDOW_RECORD_COLUMNS", "daily_attribution_counts", "window_records"]

#: Columns of :func:`daily_attribution_counts`, in order.
DAILY_COLUMNS = [
    "seller_id",
    "marketplace",
    "channel",
    "metric",
    "date",
    "numerator",
    "denominator",
]
#: Columns of :func:`window_records`, in order.
WINDOW_RECORD_COLUMNS = [
    "order_id",
    "record_type",
    "record_id",
    "attribution_date",
    "counts_from",
    "clears_on",
]
_ODR_FAMILY = ("odr", *COMPONENTS)


def _check_metrics(metrics: Iterable[str] | None) -> list[str]:
    chosen = list(METRICS) if metrics is None else list(metrics)
    unknown = [m for m in chosen if m not in METRICS]
    if unknown or not chosen:
        raise ValueError(f"metrics must be among {list(METRICS)}, got {chosen!r}")
    return chosen


def daily_attribution_counts(
    data: Dataset,
    *,
    known_at: date,
    metrics: Iterable[str] | None = None,
    policy: Policy | None = None,
) -> pl.LazyFrame:
    """Orders per attribution date in each metric's population and numerator, as known at K.

    Parameters
    ----------
    data
        A validated dataset.
    known_at
        K: every fact is judged by what is visible by the end of K (restated, like
        ``metrics_table(known_at=K)``): an order counts in a population when its purchase
        (and the other facts the population needs) is visible by K and nothing visible by
        K took it out; it is counted when its defect, late shipment, cancellation, ... is
        visible by K and not stopped by then.
    metrics
        Metric names (default: every metric of the policy).
    policy
        Windows, lags and cadences; the shipped Amazon US policy by default.

    Returns
    -------
    pl.LazyFrame
        :data:`DAILY_COLUMNS`: ``seller_id, marketplace, channel`` (``all`` for
        ``idr_7d``), ``metric``, ``date`` (the attribution date), ``numerator`` and
        ``denominator`` (Int64), one row per key and date with at least one order in the
        population, sorted by those columns.

    Notes
    -----
    - The rules are those of the metrics table (definitions section 4 and 4.3): the ODR and its components
      count orders by purchase date, an order with several defects once; late shipments
      by latest ship date; valid tracking and on-time delivery by promised delivery date;
      invoice defects by purchase date, once the invoice deadline is on or before K.
    - Summing ``numerator`` and ``denominator`` over the attribution dates of D's window
      (``D-L-W+1 .. D-L``) with K = D gives the metrics table at D exactly. With K > D the
      sum is ``metrics_table(as_of=D, known_at=K)`` for every metric except ``idr_7d``,
      whose deadline is then judged at K, not D.
    - Recent attribution dates have had less time to collect defects (a claim comes weeks
      after the purchase): compare like with like, for example only dates up to the end
      of D's window.

    Examples
    --------
    Three orders of seller S1 bought on 1 and 2 March; one gets a claim on 10 March:

    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> orders = pl.DataFrame({"order_id": ["O1", "O2", "O3"], "seller_id": "S1",
    ...     "channel": "mfn", "purchased_at": ["2025-03-01T09:00:00Z",
    ...     "2025-03-01T23:55:00Z", "2025-03-02T10:00:00Z"]})
    >>> claims = pl.DataFrame({"claim_id": ["C1"], "order_id": ["O3"],
    ...     "filed_at": ["2025-03-10T08:00:00Z"], "outcome": ["pending"]})
    >>> data = dataset_from_frames(orders=orders, claims=claims)
    >>> daily_attribution_counts(data, known_at=date(2025, 3, 9), metrics=["odr"]).collect()
    shape: (2, 7)
    ┌───────────┬─────────────┬─────────┬────────┬────────────┬───────────┬─────────────┐
    │ seller_id ┆ marketplace ┆ channel ┆ metric ┆ date       ┆ numerator ┆ denominator │
    │ ---       ┆ ---         ┆ ---     ┆ ---    ┆ ---        ┆ ---       ┆ ---         │
    │ str       ┆ str         ┆ str     ┆ str    ┆ date       ┆ i64       ┆ i64         │
    ╞═══════════╪═════════════╪═════════╪════════╪════════════╪═══════════╪═════════════╡
    │ S1        ┆ US          ┆ mfn     ┆ odr    ┆ 2025-03-01 ┆ 0         ┆ 2           │
    │ S1        ┆ US          ┆ mfn     ┆ odr    ┆ 2025-03-02 ┆ 0         ┆ 1           │
    └───────────┴─────────────┴─────────┴────────┴────────────┴───────────┴─────────────┘

    The claim is visible from 10 March; the order bought at 23:55 on 1 March is dated
    1 March even though it became visible on 2 March:

    >>> daily_attribution_counts(data, known_at=date(2025, 3, 10), metrics=["odr"]).select(
    ...     "date", "numerator", "denominator").collect()
    shape: (2, 3)
    ┌────────────┬───────────┬─────────────┐
    │ date       ┆ numerator ┆ denominator │
    │ ---        ┆ ---       ┆ ---         │
    │ date       ┆ i64       ┆ i64         │
    ╞════════════╪═══════════╪═════════════╡
    │ 2025-03-01 ┆ 0         ┆ 2           │
    │ 2025-03-02 ┆ 1         ┆ 1           │
    └────────────┴───────────┴─────────────┘
    """
    policy = policy or load_policy()
    chosen = _check_metrics(metrics)
    k = day_number(known_at)
    orders = order_dates(data.orders, policy)
    if any(m in _ODR_FAMILY for m in chosen):
        flags = order_defect_flags(data, policy, known_at)
        orders = orders.join(flags, on="order_id", how="left").with_columns(
            pl.col(f"_has_{c}").fill_null(False) for c in COMPONENTS
        )
    parts = [
        _service_counts(data, policy, metric, SERVICE_RULES[metric], known_at=known_at)
        for metric in chosen
        if metric in SERVICE_RULES
    ]
    for metric in chosen:
        if metric in SERVICE_RULES:
            continue
        rule = ORDER_RULES["odr" if metric in _ODR_FAMILY else metric]
        scope, cf, _ = rule.bounds(policy, role="denominator", known_at=known_at)
        in_population = scope & cf.is_not_null()
        if metric == "odr":
            counted = pl.any_horizontal(f"_has_{c}" for c in COMPONENTS)
        elif metric in COMPONENTS:
            counted = pl.col(f"_has_{metric}")
        else:
            scope_n, cf_n, _ = rule.bounds(policy, role="numerator", known_at=known_at)
            counted = scope_n & cf_n.is_not_null()
            if rule.counted_ready is not None:
                counted = counted & (rule.counted_ready <= k).fill_null(False)
        channel = rule.channel_column
        parts.append(
            orders.filter(in_population).select(
                "seller_id",
                "marketplace",
                channel.alias("channel"),
                pl.lit(metric).alias("metric"),
                rule.a.cast(pl.Date).alias("date"),
                (in_population & counted).fill_null(False).cast(pl.Int64).alias("_counted"),
            )
        )
    return (
        pl.concat(parts)
        .group_by(DAILY_COLUMNS[:5])
        .agg(
            pl.col("_counted").sum().cast(pl.Int64).alias("numerator"),
            pl.len().cast(pl.Int64).alias("denominator"),
        )
        .sort(DAILY_COLUMNS[:5])
    )


def _service_counts(
    data: Dataset, policy: Policy, metric: str, rule: Rule, *, known_at: date
) -> pl.LazyFrame:
    """:func:`daily_attribution_counts` rows of a definitions section 12 metric (channel ``all``): a
    return request, message or verified review of the population as known at K, and what
    it adds to the numerator (1, or a review's stars)."""
    k = day_number(known_at)

    def known(role: str) -> pl.Expr:
        scope, cf, _ = rule.bounds(policy, role=role, known_at=known_at)
        _, _, _, ready = rule._parts(role)
        test = scope & cf.is_not_null()
        if ready is not None:  # a deadline judged at K, as the numerator's of idr_7d
            test = test & (ready.is_null() | (ready <= k))
        return test.fill_null(False)

    weight = pl.lit(1) if rule.weight is None else rule.weight
    in_population = known("denominator")
    return (
        service_frame(data, policy, metric)
        .join(
            data.orders.select("seller_id", "marketplace").unique(),
            on=["seller_id", "marketplace"],
            how="semi",
        )
        .filter(in_population)
        .select(
            "seller_id",
            "marketplace",
            pl.lit("all").alias("channel"),
            pl.lit(metric).alias("metric"),
            rule.a.cast(pl.Date).alias("date"),
            pl.when(known("numerator")).then(weight).otherwise(0).cast(pl.Int64).alias("_counted"),
        )
    )


def window_records(
    data: Dataset,
    *,
    seller_id: str,
    channel: str = "mfn",
    marketplace: str = "US",
    known_at: date | None = None,
    only_defective: bool = False,
    policy: Policy | None = None,
) -> pl.LazyFrame:
    """One seller's orders and ODR defect records with their retention windows.

    Parameters
    ----------
    data
        A validated dataset.
    seller_id, channel, marketplace
        Whose records: one seller, one channel (``mfn`` or ``afn``), one marketplace.
    known_at
        Keep only what is known by the end of this date: orders and defects visible by
        then, and stops (removals, denials, ...) visible by then; a stop seen later is
        ignored, so the defect counts until its window ends (the clean forecast's view).
        Default: everything in the data.
    only_defective
        Keep only the orders that have at least one defect record (for sellers with too
        many orders to draw one row each).
    policy
        The ODR window and lag, and the cadences.

    Returns
    -------
    pl.LazyFrame
        :data:`WINDOW_RECORD_COLUMNS`, sorted by ``attribution_date, order_id,
        record_type, record_id``. One row per order with ``record_type = "order"``
        (``counts_from`` = the first as-of date its purchase date is in the ODR window and
        its purchase is visible, ``clears_on`` = the day its purchase date leaves the
        window, ``record_id`` = the order id) and one per defect record with
        ``record_type`` the defect type (``negative_feedback``, ``claim``,
        ``chargeback``) and the record's point-in-time window (definitions section 5). A record stopped
        before it ever counted gets ``counts_from = clears_on`` (the stop): it never
        counts and drops out on that day. Dates are ``pl.Date``.

    Examples
    --------
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> orders = pl.DataFrame({"order_id": ["O1", "O2"], "seller_id": "S1", "channel": "mfn",
    ...     "purchased_at": ["2025-03-01T10:00:00Z", "2025-03-05T10:00:00Z"]})
    >>> feedback = pl.DataFrame({"feedback_id": ["F1"], "order_id": ["O2"], "rating": [1],
    ...     "left_at": ["2025-03-09T23:50:00Z"], "removed_at": ["2025-04-02T08:00:00Z"],
    ...     "removal": ["buyer_removed"]})
    >>> data = dataset_from_frames(orders=orders, feedback=feedback)
    >>> window_records(data, seller_id="S1").collect()
    shape: (3, 6)
    ┌──────────┬───────────────────┬───────────┬──────────────────┬─────────────┬────────────┐
    │ order_id ┆ record_type       ┆ record_id ┆ attribution_date ┆ counts_from ┆ clears_on  │
    │ ---      ┆ ---               ┆ ---       ┆ ---              ┆ ---         ┆ ---        │
    │ str      ┆ str               ┆ str       ┆ date             ┆ date        ┆ date       │
    ╞══════════╪═══════════════════╪═══════════╪══════════════════╪═════════════╪════════════╡
    │ O1       ┆ order             ┆ O1        ┆ 2025-03-01       ┆ 2025-03-15  ┆ 2025-05-14 │
    │ O2       ┆ negative_feedback ┆ F1        ┆ 2025-03-05       ┆ 2025-03-19  ┆ 2025-04-02 │
    │ O2       ┆ order             ┆ O2        ┆ 2025-03-05       ┆ 2025-03-19  ┆ 2025-05-18 │
    └──────────┴───────────────────┴───────────┴──────────────────┴─────────────┴────────────┘

    Known at 1 April the removal (2 April) has not happened yet, so the feedback would
    count until its order leaves the window:

    >>> window_records(data, seller_id="S1", known_at=date(2025, 4, 1)).filter(
    ...     pl.col("record_type") != "order").select("record_id", "clears_on").collect()
    shape: (1, 2)
    ┌───────────┬────────────┐
    │ record_id ┆ clears_on  │
    │ ---       ┆ ---        │
    │ str       ┆ date       │
    ╞═══════════╪════════════╡
    │ F1        ┆ 2025-05-18 │
    └───────────┴────────────┘
    """
    policy = policy or load_policy()
    if channel not in ("mfn", "afn"):
        raise ValueError(f"channel must be 'mfn' or 'afn', got {channel!r}")
    mine = (
        (pl.col("seller_id") == seller_id)
        & (pl.col("channel") == channel)
        & (pl.col("marketplace") == marketplace)
    )
    orders = order_dates(data.orders.filter(mine), policy)
    _, cf, co = ORDER_RULES["odr"].bounds(policy, role="denominator", known_at=None)
    if known_at is not None:
        orders = orders.filter(live_at(pl.col("_pv"), None, known_at))
    order_rows = orders.select(
        "order_id",
        pl.lit("order").alias("record_type"),
        pl.col("order_id").alias("record_id"),
        pl.col("_pd").alias("attribution_date"),
        cf.alias("counts_from"),
        co.alias("clears_on"),
    )
    defects = defect_records(data, policy, known_at=known_at).filter(mine)
    defect_rows = defects.select(
        "order_id",
        pl.col("defect_type").alias("record_type"),
        "record_id",
        "attribution_date",
        pl.min_horizontal("counts_from", "clears_on").alias("counts_from"),
        "clears_on",
    )
    rows = pl.concat([order_rows, defect_rows.cast(order_rows.collect_schema())])
    if only_defective:
        rows = rows.filter((pl.col("record_type") != "order").any().over("order_id"))
    return rows.with_columns(
        pl.col("attribution_date", "counts_from", "clears_on").cast(pl.Date)
    ).sort("attribution_date", "order_id", "record_type", "record_id")
