"""Policy violations (SPEC section 6): when each one shows, when it costs AHR points, and why.

Every date here is a *visible* date (SPEC section 2, policy cadence ``violations``): a
violation is known from the visible date of ``detected_at`` (``detected_on``) and its
resolution takes effect from the visible date of ``resolved_at`` (``resolved_on``).

- **Displayed** on the as-of dates ``detected_on .. detected_on + display_days - 1``
  (policy ``[violations] display_days``, 180 by default) with ``display_anchor =
  "detected"``. An upheld dispute (``disputed_error``) removes the violation from the
  record from ``resolved_on`` on, as if it had never happened.
- **Costs AHR points** from ``detected_on`` until it is addressed (``appeal_accepted``,
  ``action_taken`` or ``acknowledged``: from ``resolved_on`` on it costs nothing) or until
  its display ends. An addressed violation **keeps showing** until its display ends: the
  dashboard still lists it, it just no longer lowers the rating. ``appeal_rejected``
  changes nothing.
- ``display_anchor = "resolved"`` (the documented alternative; no Amazon source supports
  it) shows a violation until ``display_days`` after it was addressed or disputed. An
  upheld dispute still removes it at once, and a violation nobody has addressed has no
  known end: it shows, and costs points, until it is addressed. Its ``displayed_until``
  and ``costs_points_until`` are null ("no end known"), as is an empty period.

Points and the AHR are an **estimate**: Amazon does not publish the formula (see
:mod:`toolkit.ahr`).

Examples
--------
>>> from datetime import date
>>> import polars as pl
>>> from toolkit.data import dataset_from_frames
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

from datetime import date, timedelta

import polars as pl

from toolkit.data import Dataset
from toolkit.policy import Policy, load_policy
from toolkit.visibility import visible_date

__all__ = [
    "ADDRESSED",
    "POINTS_CAP",
    "VIOLATION_STATUSES",
    "active_points",
    "violation_clearance",
    "violation_windows",
    "violations_table",
]

#: Resolutions that address a violation: it stops costing points, and keeps showing.
ADDRESSED = ("appeal_accepted", "action_taken", "acknowledged")
#: Statuses of the violations table; the first that applies wins.
VIOLATION_STATUSES = ("removed_as_error", "expired", "addressed", "open")
#: Points of one violation saturate here (a category repeated ~40 times); the AHR is at its
#: minimum long before, and sums of saturated points cannot overflow Int64.
POINTS_CAP = 10**12

_SELLER = ["seller_id", "marketplace"]
_DAY = timedelta(days=1)


def _check_dates(as_of: date, to: date | None) -> date:
    end = as_of if to is None else to
    if end < as_of:
        raise ValueError(f"to {end} is before as_of {as_of}")
    return end


def _prepared(violations: pl.LazyFrame, policy: Policy) -> pl.LazyFrame:
    """The violations with their visible dates ``detected_on`` and ``resolved_on``."""
    cadence = policy.cadence_minutes["violations"]
    return violations.select(
        "violation_id",
        "seller_id",
        "marketplace",
        "category",
        "severity",
        "detected_at",
        "resolution",
        detected_on=visible_date(pl.col("detected_at"), cadence_minutes=cadence),
        resolved_on=visible_date(pl.col("resolved_at"), cadence_minutes=cadence),
    )


def _ends(policy: Policy, known: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Exclusive ends of the display and of the point cost, from the resolutions ``known``.

    Null means "no end known" (only under ``display_anchor = "resolved"``).
    """
    resolution, res = pl.col("resolution"), pl.col("resolved_on")
    known = known.fill_null(False)
    addressed_on = pl.when(resolution.is_in(ADDRESSED) & known).then(res)
    disputed_on = pl.when((resolution == "disputed_error") & known).then(res)
    days = pl.duration(days=policy.display_days)
    if policy.display_anchor == "detected":
        natural = pl.col("detected_on") + days
    else:
        natural = addressed_on + days
    display_end = pl.min_horizontal(natural, disputed_on)
    cost_end = pl.min_horizontal(display_end, addressed_on, disputed_on)
    return display_end, cost_end


def violation_windows(violations: pl.LazyFrame, *, policy: Policy | None = None) -> pl.LazyFrame:
    """One row per violation with its display and point-cost windows as retention windows.

    Stops take effect from their visible date, so these windows are right for every as-of
    date: a violation is displayed on D when ``detected_on <= D < display_ends`` and costs
    points on D when ``detected_on <= D < cost_ends`` (null end: no end known yet).

    Parameters
    ----------
    violations
        The typed ``violations`` table (:attr:`toolkit.data.Dataset.violations`).
    policy
        Cadence, ``display_days`` and ``display_anchor``; default the shipped policy.

    Returns
    -------
    pl.LazyFrame
        ``violation_id, seller_id, marketplace, category, severity, detected_at,
        resolution, detected_on, resolved_on, display_ends, cost_ends``.

    Examples
    --------
    >>> import polars as pl
    >>> from toolkit.data import dataset_from_frames
    >>> violations = pl.DataFrame({
    ...     "violation_id": ["V1", "V2", "V3"], "seller_id": "S1", "category": "other",
    ...     "severity": ["low", "critical", "high"],
    ...     "detected_at": ["2025-01-10T08:00Z", "2025-01-10T23:45Z", "2025-01-11T08:00Z"],
    ...     "resolution": ["appeal_rejected", "appeal_accepted", "disputed_error"],
    ...     "resolved_at": ["2025-01-20T10:00Z", "2025-02-01T00:00Z", "2025-01-12T00:10Z"],
    ... })
    >>> violation_windows(dataset_from_frames(violations=violations).violations).select(
    ...     "violation_id", "detected_on", "resolved_on", "display_ends", "cost_ends").collect()
    shape: (3, 5)
    ┌──────────────┬─────────────┬─────────────┬──────────────┬────────────┐
    │ violation_id ┆ detected_on ┆ resolved_on ┆ display_ends ┆ cost_ends  │
    │ ---          ┆ ---         ┆ ---         ┆ ---          ┆ ---        │
    │ str          ┆ date        ┆ date        ┆ date         ┆ date       │
    ╞══════════════╪═════════════╪═════════════╪══════════════╪════════════╡
    │ V1           ┆ 2025-01-10  ┆ 2025-01-20  ┆ 2025-07-09   ┆ 2025-07-09 │
    │ V2           ┆ 2025-01-11  ┆ 2025-02-01  ┆ 2025-07-10   ┆ 2025-02-01 │
    │ V3           ┆ 2025-01-11  ┆ 2025-01-12  ┆ 2025-01-12   ┆ 2025-01-12 │
    └──────────────┴─────────────┴─────────────┴──────────────┴────────────┘
    """
    policy = policy or load_policy()
    display_end, cost_end = _ends(policy, pl.col("resolved_on").is_not_null())
    return _prepared(violations, policy).with_columns(display_ends=display_end, cost_ends=cost_end)


def _points(severity: pl.Expr, rank: pl.Expr, policy: Policy) -> pl.Expr:
    """Points of the ``rank``-th active violation of a category (1 = earliest), saturated."""
    base = severity.replace_strict(policy.severity_points, default=0, return_dtype=pl.Int64)
    mult = policy.ahr["repeat_multiplier"]
    if mult == 1:
        return base.clip(upper_bound=POINTS_CAP)
    top = max(1, *policy.severity_points.values())
    max_exp = 0
    while top * mult ** (max_exp + 1) <= POINTS_CAP:
        max_exp += 1
    exp = rank.cast(pl.Int64) - 1
    factor = pl.lit(mult, pl.Int64).pow(exp.clip(upper_bound=max_exp))
    return pl.when(exp > max_exp).then(POINTS_CAP).otherwise(base * factor).clip(0, POINTS_CAP)


def active_points(
    violations: pl.LazyFrame, *, start: date, end: date, policy: Policy
) -> pl.LazyFrame:
    """One row per violation and as-of date in ``start .. end`` on which it costs points.

    Columns ``seller_id, marketplace, violation_id, severity, as_of, points``. Within a
    seller, marketplace and category, the active low, medium and high violations of D are
    ranked by ``detected_at`` then ``violation_id``; the k-th costs
    ``severity_points * repeat_multiplier ** (k - 1)``. Critical violations take no rank and
    have 0 points (they hold the AHR at its minimum instead).
    """
    windows = violation_windows(violations, policy=policy)
    first = pl.max_horizontal("detected_on", pl.lit(start, pl.Date))
    last = pl.min_horizontal(pl.col("cost_ends") - pl.duration(days=1), pl.lit(end, pl.Date))
    ranked = pl.col("severity") != "critical"
    rank = pl.struct("detected_at", "violation_id").rank("ordinal")
    return (
        windows.filter(first <= last)
        .with_columns(as_of=pl.date_ranges(first, last))
        .explode("as_of")
        .with_columns(
            _rank=rank.over(*_SELLER, "category", "as_of", ranked.alias("_ranked")),
        )
        .select(
            *_SELLER,
            "violation_id",
            "severity",
            "as_of",
            points=pl.when(ranked)
            .then(_points(pl.col("severity"), pl.col("_rank"), policy))
            # Critical violations have no points.
            .otherwise(pl.lit(0, pl.Int64)),
        )
    )


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
    end = _check_dates(as_of, to)
    prepared = _prepared(data.violations, policy)
    points = active_points(data.violations, start=as_of, end=end, policy=policy).select(
        "violation_id", "as_of", "points"
    )
    first = pl.max_horizontal("detected_on", pl.lit(as_of, pl.Date))
    known = pl.col("resolved_on") <= pl.col("as_of")
    display_end, cost_end = _ends(policy, known)
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
    return (
        prepared.filter(detected <= pl.lit(end, pl.Date))
        .with_columns(as_of=pl.date_ranges(first, pl.lit(end, pl.Date)))
        .explode("as_of")
        .join(points, on=["violation_id", "as_of"], how="left")
        .with_columns(_display_end=display_end, _cost_end=cost_end)
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
            points_at_as_of=pl.col("points").fill_null(0),
            status=status,
        )
        .sort("as_of", *_SELLER, "violation_id")
    )


def violation_clearance(
    data: Dataset, *, as_of: date, policy: Policy | None = None
) -> pl.LazyFrame:
    """Clearance rows for policy violations (SPEC section 5): when each one stops showing.

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
    >>> from toolkit.data import dataset_from_frames
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
    resolution, res = pl.col("resolution"), pl.col("resolved_on")
    known = (res <= day).fill_null(False)
    display_end, _ = _ends(policy, known)
    days = pl.duration(days=policy.display_days)
    if policy.display_anchor == "detected":
        natural = pl.col("detected_on") + days
    else:
        stopped = (resolution.is_in(ADDRESSED) | (resolution == "disputed_error")) & known
        natural = pl.when(stopped).then(res + days)
    disputed = (resolution == "disputed_error") & known
    clears = pl.col("clears_on")
    return (
        _prepared(data.violations, policy)
        .filter((pl.col("detected_on") <= day) & (natural.is_null() | (natural > day)))
        .with_columns(clears_on=display_end, _natural=natural)
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
            clear_reason=pl.when(
                disputed & (pl.col("_natural").is_null() | (res < pl.col("_natural")))
            )
            .then(pl.lit("disputed_error"))
            .when(clears.is_not_null())
            .then(pl.lit("expired")),
        )
        .sort(*_SELLER, "record_id")
    )
