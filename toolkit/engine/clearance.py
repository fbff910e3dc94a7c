"""The clearance table (definitions section 5): when each bad record counts, when it clears, and why.

This is the direct answer to "how do I clear my performance record": a record cannot be
deleted, it clears by itself when its order ages out of the window (``window``), when
it is removed or resolved in the seller's favour (``removed``, ``denied``,
``withdrawn``, ``protected``, ``seller_won``), or, for policy violations, when its
display ends (``expired``) or a dispute is upheld (``disputed_error``).

One row per bad record of every metric with a target and of the three ODR components,
visible by D, whose order is still in, or waiting to enter, the window (``a + L + W > D``):
counting now, waiting out the lag, or already stopped. A bad record is what makes a rate
worse: a defect of an ODR component (1-2 star feedback, every claim, service
chargebacks), an order of the numerator of a ``<`` metric (a late shipment, a seller
cancellation, a late invoice), an order of the population outside the numerator of a
``>`` metric (no valid tracking, a late delivery). The order metrics' rows come from the
same rules as the metrics table (:meth:`toolkit.engine.rules.Rule.bad_bounds`), so for
every metric the orders counting on D are exactly its bad count on D. The retired
metrics of definitions section 12 keep their old target, so their bad return requests and messages get
rows too (:func:`toolkit.engine.service.service_clearance`).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from toolkit.compliance.tables import violation_clearance
from toolkit.engine.rules import CLEARANCE_COLUMNS, ORDER_RULES, defect_records, order_dates
from toolkit.engine.service import service_clearance
from toolkit.model.data import Dataset
from toolkit.model.policy import MEAN_METRICS, METRICS, Policy, load_policy
from toolkit.time.limits import check_reach
from toolkit.time.visibility import day_number
from toolkit.time.windows import Window, active_on

__all__ = [
    "CLEARANCE_COLUMNS",
    "clearance_reach",
    "clearance_table",
    "defect_clearance",
    "order_clearance",
]


def defect_clearance(data: Dataset, *, as_of: date, policy: Policy | None = None) -> pl.LazyFrame:
    """Clearance rows of the ODR defect records as of ``as_of``.

    Notes
    -----
    ``counts_from = max(a + L, v)`` where v is the record's visible date;
    ``clears_on = min(a + L + W, s)`` with the stops known at D only (a denial visible
    tomorrow is not yet known), so ``clears_on <= D`` when the record has already stopped.
    ``clear_reason`` is ``window`` when the window ends first (a stop on that same day
    loses to the window).
    """
    policy = policy or load_policy()
    closes = Window.of(policy.metric("odr")).closes(pl.col("attribution_date"))
    stop = pl.col("stop")
    reason = (
        pl.when(stop.is_not_null() & (stop < closes))
        .then(pl.col("stop_reason"))
        .otherwise(pl.lit("window"))
    )
    return (
        defect_records(data, policy, known_at=as_of)
        .filter(closes > day_number(as_of))
        .with_columns(
            counting=active_on(pl.col("counts_from"), pl.col("clears_on"), as_of),
            clear_reason=reason,
        )
        .with_columns(pl.col("attribution_date", "counts_from", "clears_on").cast(pl.Date))
        .select(CLEARANCE_COLUMNS)
    )


def order_clearance(data: Dataset, *, as_of: date, policy: Policy | None = None) -> pl.LazyFrame:
    """Clearance rows of the order metrics' bad records (late shipments, cancellations,
    invalid tracking, late deliveries, late invoices) as of ``as_of``.

    Notes
    -----
    One row per metric and order: ``lsr_10d`` and ``lsr_30d`` rows are separate (their
    windows differ). ``record_id`` is the order id. A row exists only when the record
    counts on at least one date (``counts_from < clears_on``) and once the fact that makes
    the order bad is known at D: a late shipment once its ship-by date, a late delivery
    once its promised date, a late invoice once its deadline date is on or before D (until
    then the order can still turn out good). Stops visible after D are not known: such a
    record clears with its window.
    """
    policy = policy or load_policy()
    orders = order_dates(data.orders, policy)
    parts = []
    for metric, rule in ORDER_RULES.items():
        if rule.counted is None:  # the ODR population: its defects are the components' rows
            continue
        keep, cf, co, reason = rule.bad_bounds(policy, as_of=as_of)
        channel = rule.channel_column
        parts.append(
            orders.filter(keep).select(
                "seller_id",
                "marketplace",
                channel.alias("channel"),
                pl.lit(metric).alias("metric"),
                "order_id",
                pl.lit(rule.defect_type).alias("defect_type"),
                pl.col("order_id").alias("record_id"),
                rule.a.alias("attribution_date"),
                cf.alias("counts_from"),
                co.alias("clears_on"),
                reason.alias("clear_reason"),
            )
        )
    return (
        pl.concat(parts)
        .with_columns(counting=active_on(pl.col("counts_from"), pl.col("clears_on"), as_of))
        .with_columns(pl.col("attribution_date", "counts_from", "clears_on").cast(pl.Date))
        .select(CLEARANCE_COLUMNS)
    )


def clearance_reach(policy: Policy) -> int:
    """Days after D by which every record counting on D has cleared: the widest window
    and lag of a metric with bad records (a mean such as the product rating has none), or
    the violations' display."""
    widest = max(
        policy.metric(m).lag_days + policy.metric(m).window_days
        for m in METRICS
        if m not in MEAN_METRICS
    )
    return max(widest, policy.display_days)


def clearance_table(data: Dataset, *, as_of: date, policy: Policy | None = None) -> pl.LazyFrame:
    """The clearance table as of ``as_of``: the bad records of every metric and policy
    violations.

    Returns
    -------
    pl.LazyFrame
        :data:`CLEARANCE_COLUMNS`, sorted by seller, marketplace, channel, metric, then by
        ``clears_on`` and ``record_id``. For violation rows ``metric`` is
        ``policy_violation``, ``channel`` ``all``, ``order_id`` null and ``counting``
        means "displayed on D".

    Examples
    --------
    A claim on an order of 1 March, denied on 20 April, seen as of 30 April:

    >>> from datetime import date
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> orders = pl.DataFrame({"order_id": ["O1"], "seller_id": ["S1"], "channel": ["mfn"],
    ...     "purchased_at": ["2025-03-01T12:00:00Z"]})
    >>> claims = pl.DataFrame({"claim_id": ["C1"], "order_id": ["O1"],
    ...     "filed_at": ["2025-03-20T09:00:00Z"], "outcome": ["denied"],
    ...     "resolved_at": ["2025-04-20T09:00:00Z"]})
    >>> data = dataset_from_frames(orders=orders, claims=claims)
    >>> clearance_table(data, as_of=date(2025, 4, 30)).select(
    ...     "record_id", "counts_from", "clears_on", "counting", "clear_reason").collect()
    shape: (1, 5)
    ┌───────────┬─────────────┬────────────┬──────────┬──────────────┐
    │ record_id ┆ counts_from ┆ clears_on  ┆ counting ┆ clear_reason │
    │ ---       ┆ ---         ┆ ---        ┆ ---      ┆ ---          │
    │ str       ┆ date        ┆ date       ┆ bool     ┆ str          │
    ╞═══════════╪═════════════╪════════════╪══════════╪══════════════╡
    │ C1        ┆ 2025-03-20  ┆ 2025-04-20 ┆ false    ┆ denied       │
    └───────────┴─────────────┴────────────┴──────────┴──────────────┘
    """
    policy = policy or load_policy()
    reach = clearance_reach(policy)
    what = f"the clearance table (records clear up to {reach} days later)"
    check_reach(as_of, ahead=reach, what=what)
    parts = [
        defect_clearance(data, as_of=as_of, policy=policy),
        order_clearance(data, as_of=as_of, policy=policy),
        violation_clearance(data, as_of=as_of, policy=policy),
        service_clearance(data, as_of=as_of, policy=policy),
    ]
    return pl.concat(parts).sort(
        "seller_id", "marketplace", "channel", "metric", "clears_on", "record_id"
    )
