"""The compliance tables (definitions sections 5 and 6): violations per as-of date, and clearance.

:func:`violations_table` shows, for each as-of date D, every violation known at D with
the dates it shows and costs points until (given what is known at D), its points on D and
its status; :func:`violation_clearance` gives the violations' rows of the clearance
table. The rules (visible dates, display, point cost, repeat doubling) are those of
:mod:`toolkit.compliance.violations`; the AHR points are an **estimate** (Amazon publishes no
formula).

Examples
--------
>>> from datetime import date
>>> import polars as pl
>>> from toolkit.model.data import dataset_from_frames
>>> violations = pl.DataFrame({
...     "violation_id": ["V1", "V2", "V3"], "seller_id": "S1",
...     "category": ["listing_policy", "listing_policy", "product_safety"],
...     "severity": ["medium", "medium", "high"],
...     "detected_at": ["2025-01-10T08:00Z", "2025-02-01T23:50Z", "2025-03-01T09:00Z"],
...     "resolution": [None, "acknowledged", "disputed_error"],
...     "resolved_at": [None, "2025-02-20T10:00Z", "2025-03-05T12:00Z"],
... })
>>> data = dataset_from_frames(violations=violations)
>>> violations_table(data, as_of=date(2025, 3, 10)).select(
...     "violation_id", "displayed_until", "costs_points_until",
...     "points_at_as_of", "status").collect()
shape: (3, 5)
┌──────────────┬─────────────────┬────────────────────┬─────────────────┬──────────────────┐
│ violation_id ┆ displayed_until ┆ costs_points_until ┆ points_at_as_of ┆ status           │
│ ---          ┆ ---             ┆ ---                ┆ ---             ┆ ---              │
│ str          ┆ date            ┆ date               ┆ i64             ┆ str              │
╞══════════════╪═════════════════╪════════════════════╪═════════════════╪══════════════════╡
│ V1           ┆ 2025-07-08      ┆ 2025-07-08         ┆ 4               ┆ open             │
│ V2           ┆ 2025-07-31      ┆ 2025-02-19         ┆ 0               ┆ addressed        │
│ V3           ┆ 2025-03-04      ┆ 2025-03-04         ┆ 0               ┆ removed_as_error │
└──────────────┴─────────────────┴────────────────────┴─────────────────┴──────────────────┘

V2 was detected at 23:50 and shows from the next day (30-minute cadence); it was
acknowledged on 20 February, so it stopped costing points but still shows until the end
of its 180 days. V3 was disputed as an error and left the record on 5 March.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from toolkit.compliance.violations import (
    ADDRESSED,
    point_segments,
    violation_ends,
    violation_windows,
)
from toolkit.model.data import Dataset
from toolkit.model.policy import Policy, load_policy
from toolkit.time.limits import check_reach, day_after
from toolkit.time.windows import as_of_range

__all__ = ["violation_clearance", "violations_table"]

_SELLER = ["seller_id", "marketplace"]


def violations_table(
    data: Dataset, *, as_of: date, to: date | None = None, policy: Policy | None = None
) -> pl.LazyFrame:
    """The violations table: every known violation on each as-of date, and its state.

    Parameters
    ----------
    data
        The dataset; only ``violations`` is read.
    as_of, to
        First and last as-of date (``to`` defaults to ``as_of``: one date).
    policy
        Cadence, display period and AHR points; default the shipped policy.

    Returns
    -------
    pl.LazyFrame
        One row per as-of date D and violation detected (visible) by D, expired and
        removed ones included, sorted by ``as_of, seller_id, marketplace, violation_id``:
        ``as_of, violation_id, seller_id, marketplace, category, severity,
        displayed_from, displayed_until, costs_points_until, points_at_as_of, status``.

    Notes
    -----
    - ``displayed_from`` is the visible detected date. ``displayed_until`` and
      ``costs_points_until`` are the last as-of dates (inclusive) on which the violation
      shows and costs points **given what is known at D**: a dispute or an appeal that
      becomes visible later moves them on later rows. Null when the period is empty (a
      violation addressed or disputed on the day it became visible) or, under
      ``display_anchor = "resolved"``, when no end is known yet.
    - ``costs_points_until`` of a critical violation is the last date it holds the AHR
      estimate at its minimum (0).
    - ``points_at_as_of`` is what the violation takes off the AHR estimate on D, with the
      repeat doubling; 0 when it is not active on D, and always 0 for critical ones.
    - ``status``: ``removed_as_error`` (upheld dispute visible by D), ``expired`` (D after
      ``displayed_until``), ``addressed`` (appeal accepted, action taken or acknowledged,
      visible by D), else ``open``; the first that applies. ``appeal_rejected`` leaves a
      violation ``open``.
    """
    policy = policy or load_policy()
    end = as_of_range(as_of, to)
    # a violation detected on the last as-of date is displayed until display_days later
    check_reach(
        end,
        ahead=policy.display_days - 1,
        what=f"the violations table ({policy.display_days}-day display)",
    )
    first = pl.max_horizontal("detected_on", pl.lit(as_of, pl.Date))
    known = pl.col("resolved_on") <= pl.col("as_of")
    ends = violation_ends(known, policy=policy)
    detected, day = pl.col("detected_on"), pl.duration(days=1)
    resolution = pl.col("resolution")
    status = (
        pl.when((resolution == "disputed_error") & known)
        .then(pl.lit("removed_as_error"))
        .when(pl.col("_display_end") <= pl.col("as_of"))
        .then(pl.lit("expired"))
        .when(resolution.is_in(ADDRESSED) & known)
        .then(pl.lit("addressed"))
        .otherwise(pl.lit("open"))
    )
    # Sorting millions of rows on strings is slow: rank the few violations once, sort on ints.
    order = pl.struct(*_SELLER, "violation_id").rank("ordinal")
    last = pl.lit(end, pl.Date)
    known_violations = (
        violation_windows(data.violations, policy=policy)
        .filter(detected <= last)
        .with_columns(_order=order)
    )
    # Dates on which a violation costs points come from its stretches of constant rank;
    # every other date from its first as-of date on costs nothing. Concatenating the two
    # expansions avoids joining millions of (violation, date) rows.
    segments = point_segments(data.violations, start=as_of, end=end, policy=policy).select(
        "violation_id", "counts_from", "clears_on", "points"
    )
    costing = (
        segments.join(known_violations, on="violation_id")
        .with_columns(as_of=pl.date_ranges("counts_from", pl.col("clears_on") - day))
        .explode("as_of")
        .drop("counts_from", "clears_on")
    )
    never = day_after(end)  # no known end of the point cost: no idle dates
    idle_from = pl.max_horizontal(first, pl.col("cost_ends").fill_null(never))
    idle = (
        known_violations.filter(idle_from <= last)
        .with_columns(as_of=pl.date_ranges(idle_from, last), points=pl.lit(0, pl.Int64))
        .explode("as_of")
    )
    return (
        pl.concat([costing, idle], how="diagonal")
        .with_columns(_display_end=ends.display, _cost_end=ends.cost)
        .select(
            "as_of",
            "violation_id",
            *_SELLER,
            "category",
            "severity",
            displayed_from=detected,
            displayed_until=pl.when(pl.col("_display_end") > detected).then(
                pl.col("_display_end") - day
            ),
            costs_points_until=pl.when(pl.col("_cost_end") > detected).then(
                pl.col("_cost_end") - day
            ),
            points_at_as_of="points",
            status=status,
            _order="_order",
        )
        # one integer key sorts faster than (as_of, _order)
        .sort(pl.col("as_of").cast(pl.Int64) * 2**32 + pl.col("_order"))
        .drop("_order")
    )


def violation_clearance(
    data: Dataset, *, as_of: date, policy: Policy | None = None
) -> pl.LazyFrame:
    """Clearance rows for policy violations (definitions section 5): when each one stops showing.

    A row for each violation detected (visible) by D whose display would end after D
    (``detected_on + display_days > D``; under ``display_anchor = "resolved"``, a
    violation addressed or disputed by D ``display_days`` after that, else always),
    including ones already removed by an upheld dispute (``counting`` false).

    Parameters
    ----------
    data
        The dataset; only ``violations`` is read.
    as_of
        The as-of date D.
    policy
        Cadence and display period; default the shipped policy.

    Returns
    -------
    pl.LazyFrame
        The clearance-table columns ``seller_id, marketplace, channel ("all"), metric
        ("policy_violation"), order_id (null), defect_type`` (the category), ``record_id``
        (the violation id), ``attribution_date`` and ``counts_from`` (the visible detected
        date), ``clears_on`` (exclusive end of display given what is known at D: detected
        + display_days, or the visible date of an upheld dispute if earlier), ``counting``
        (displayed on D) and ``clear_reason`` (``expired`` or ``disputed_error``); sorted by
        ``seller_id, marketplace, record_id``. Under ``display_anchor = "resolved"`` a
        violation not yet addressed has null ``clears_on`` and ``clear_reason``.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> violations = pl.DataFrame({
    ...     "violation_id": ["V1", "V2", "V3"], "seller_id": "S1", "category": "other",
    ...     "severity": "low",
    ...     "detected_at": ["2024-07-01T08:00Z", "2025-01-10T08:00Z", "2025-02-01T08:00Z"],
    ...     "resolution": [None, "disputed_error", None],
    ...     "resolved_at": [None, "2025-01-15T10:00Z", None],
    ... })
    >>> violation_clearance(dataset_from_frames(violations=violations),
    ...     as_of=date(2025, 2, 1)).drop("seller_id", "marketplace", "channel", "metric",
    ...     "order_id", "attribution_date").collect()
    shape: (2, 6)
    ┌─────────────┬───────────┬─────────────┬────────────┬──────────┬────────────────┐
    │ defect_type ┆ record_id ┆ counts_from ┆ clears_on  ┆ counting ┆ clear_reason   │
    │ ---         ┆ ---       ┆ ---         ┆ ---        ┆ ---      ┆ ---            │
    │ str         ┆ str       ┆ date        ┆ date       ┆ bool     ┆ str            │
    ╞═════════════╪═══════════╪═════════════╪════════════╪══════════╪════════════════╡
    │ other       ┆ V2        ┆ 2025-01-10  ┆ 2025-01-15 ┆ false    ┆ disputed_error │
    │ other       ┆ V3        ┆ 2025-02-01  ┆ 2025-07-31 ┆ true     ┆ expired        │
    └─────────────┴───────────┴─────────────┴────────────┴──────────┴────────────────┘

    V1 (detected 1 July 2024) left the display on 28 December, so it has no row; V2 was
    disputed as an error and left on 15 January.
    """
    policy = policy or load_policy()
    day = pl.lit(as_of, pl.Date)
    ends = violation_ends(pl.col("resolved_on") <= day, policy=policy)
    natural, clears = ends.natural, ends.display
    return (
        violation_windows(data.violations, policy=policy)
        .filter((pl.col("detected_on") <= day) & (natural.is_null() | (natural > day)))
        .select(
            *_SELLER,
            channel=pl.lit("all"),
            metric=pl.lit("policy_violation"),
            order_id=pl.lit(None, pl.String),
            defect_type="category",
            record_id="violation_id",
            attribution_date="detected_on",
            counts_from="detected_on",
            clears_on=clears,
            counting=clears.is_null() | (day < clears),
            clear_reason=ends.reason,
        )
        .sort(*_SELLER, "record_id")
    )
