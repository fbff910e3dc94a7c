"""The clearance table (SPEC 5): when each bad record counts, when it clears, and why.

This is the direct answer to "how do I clear my performance record": a record cannot be
deleted, it clears by itself when its order ages out of the window (``window``), when
it is removed or resolved in the seller's favour (``removed``, ``denied``,
``withdrawn``, ``protected``, ``seller_won``), or, for policy violations, when its
display ends (``expired``) or a dispute is upheld (``disputed_error``).

One row per defect record of the ODR components (1-2 star feedback, every claim, service
chargebacks) visible by D whose order is still in, or waiting to enter, the window
(``a + L + W > D``): counting now, waiting out the lag, or already stopped.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from toolkit.compliance.tables import violation_clearance
from toolkit.engine.rules import RECORD_COLUMNS, defect_records
from toolkit.model.data import Dataset
from toolkit.model.policy import Policy, load_policy
from toolkit.time.visibility import day_number
from toolkit.time.windows import Window, active_on

__all__ = ["CLEARANCE_COLUMNS", "clearance_table", "defect_clearance"]

#: Columns of the clearance table, in order.
CLEARANCE_COLUMNS = [*RECORD_COLUMNS, "counts_from", "clears_on", "counting", "clear_reason"]


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


def clearance_table(data: Dataset, *, as_of: date, policy: Policy | None = None) -> pl.LazyFrame:
    """The clearance table as of ``as_of``: defect records and policy violations.

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
    parts = [
        defect_clearance(data, as_of=as_of, policy=policy),
        violation_clearance(data, as_of=as_of, policy=policy),
    ]
    return pl.concat(parts).sort(
        "seller_id", "marketplace", "channel", "metric", "clears_on", "record_id"
    )
