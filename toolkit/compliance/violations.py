"""Policy violations (definitions section 6): when each one shows, when it costs AHR points, and why.

Every date here is a *visible* date (definitions section 2, policy cadence ``violations``): a
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
- ``display_anchor = "resolved"`` (the documented alternative; no archived Amazon source
  supports it) shows a violation until ``display_days`` after the day it was addressed.
  An upheld dispute still removes it at once, ``appeal_rejected`` still changes nothing,
  and a violation nobody has addressed has no known end: it shows, and costs points,
  until it is addressed (its ends are null: "no end known").

Points and the AHR are an **estimate**: Amazon does not publish the formula (see
:mod:`toolkit.compliance.ahr`).
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import polars as pl

from toolkit.model.policy import Policy, load_policy
from toolkit.time.limits import day_after
from toolkit.time.visibility import visible_date

__all__ = [
    "ADDRESSED",
    "POINTS_CAP",
    "VIOLATION_STATUSES",
    "ViolationEnds",
    "point_segments",
    "violation_ends",
    "violation_windows",
]

#: Resolutions that address a violation: it stops costing points, and keeps showing.
ADDRESSED = ("appeal_accepted", "action_taken", "acknowledged")
#: Statuses of the violations table; the first that applies wins.
VIOLATION_STATUSES = ("removed_as_error", "expired", "addressed", "open")
#: Points of one violation saturate here (a category repeated ~40 times); the AHR is at its
#: minimum long before, and sums of saturated points cannot overflow Int64.
POINTS_CAP = 10**12

_SELLER = ["seller_id", "marketplace"]


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


class ViolationEnds(NamedTuple):
    """Expressions for a violation's ends (exclusive dates; null: no end known)."""

    #: End of display: :attr:`natural`, or an upheld dispute if earlier.
    display: pl.Expr
    #: End of the point cost: the display's end, or the day it was addressed if earlier.
    cost: pl.Expr
    #: Where the display would end without an upheld dispute: ``display_days`` after the
    #: detected date (anchor "detected") or after the resolution (anchor "resolved").
    natural: pl.Expr
    #: Why the display ends: ``disputed_error`` (the dispute comes first) or ``expired``.
    reason: pl.Expr


def violation_ends(known: pl.Expr, *, policy: Policy) -> ViolationEnds:
    """Exclusive ends of the display and of the point cost, using the resolutions ``known``.

    Expression builders over a frame with ``detected_on``, ``resolution`` and
    ``resolved_on``: ``known`` says which resolutions count (``resolved_on <= as_of`` for
    a point-in-time view, ``resolved_on.is_not_null()`` for the windows). The display ends
    ``display_days`` after ``detected_on`` (anchor "detected") or after an addressing or
    disputing resolution (anchor "resolved"), or at an upheld dispute if earlier; the
    point cost also ends when the violation is addressed. Null means "no end known" (only
    under ``display_anchor = "resolved"``). A violation addressed or disputed on its first
    visible day has an end equal to ``detected_on``: an empty period.
    """
    resolution, res = pl.col("resolution"), pl.col("resolved_on")
    known = known.fill_null(False)
    addressed_on = pl.when(resolution.is_in(ADDRESSED) & known).then(res)
    disputed_on = pl.when((resolution == "disputed_error") & known).then(res)
    days = pl.duration(days=policy.display_days)
    if policy.display_anchor == "detected":
        natural = pl.col("detected_on") + days
    else:
        natural = pl.coalesce(addressed_on, disputed_on) + days
    display = pl.min_horizontal(natural, disputed_on)
    reason = (
        pl.when(disputed_on.is_not_null() & (natural.is_null() | (disputed_on < natural)))
        .then(pl.lit("disputed_error"))
        .when(display.is_not_null())
        .then(pl.lit("expired"))
    )
    cost = pl.min_horizontal(display, addressed_on, disputed_on)
    return ViolationEnds(display=display, cost=cost, natural=natural, reason=reason)


def violation_windows(violations: pl.LazyFrame, *, policy: Policy | None = None) -> pl.LazyFrame:
    """One row per violation with its display and point-cost windows as retention windows.

    Stops take effect from their visible date, so these windows are right for every as-of
    date: a violation is displayed on D when ``detected_on <= D < display_ends`` and costs
    points on D when ``detected_on <= D < cost_ends`` (null end: no end known yet).

    Parameters
    ----------
    violations
        The typed ``violations`` table (:attr:`toolkit.model.data.Dataset.violations`).
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
    >>> from toolkit.model.data import dataset_from_frames
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
    ends = violation_ends(pl.col("resolved_on").is_not_null(), policy=policy)
    return _prepared(violations, policy).with_columns(
        display_ends=ends.display, cost_ends=ends.cost
    )


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


def point_segments(
    violations: pl.LazyFrame, *, start: date, end: date, policy: Policy
) -> pl.LazyFrame:
    """Stretches of as-of dates in ``start .. end`` over which a violation costs fixed points.

    Within a seller, marketplace and category, the active low, medium and high violations
    of D are ranked by ``detected_at`` then ``violation_id``; the k-th costs
    ``severity_points * repeat_multiplier ** (k - 1)``. A violation's rank changes only when
    an earlier one of its category starts or stops costing points, so its active dates
    split into a few stretches of constant rank: the cost grows with pairs of violations of
    a category, never with dates. Critical violations take no rank and have 0 points (they
    hold the AHR at its minimum instead); ``rank`` is null for them.

    Returns
    -------
    pl.LazyFrame
        ``seller_id, marketplace, violation_id, severity, counts_from, clears_on, rank,
        points``: the violation costs ``points`` on ``counts_from <= D < clears_on``
        (``clears_on`` at most ``end + 1``). Stretches of one violation are disjoint and
        cover its active dates in the range.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> from toolkit.model.policy import load_policy
    >>> violations = pl.DataFrame({
    ...     "violation_id": ["V1", "V2"], "seller_id": "S1", "category": "other",
    ...     "severity": "medium",
    ...     "detected_at": ["2025-01-10T08:00Z", "2025-01-11T08:00Z"],
    ...     "resolution": ["acknowledged", None],
    ...     "resolved_at": ["2025-01-20T10:00Z", None],
    ... })
    >>> point_segments(dataset_from_frames(violations=violations).violations,
    ...     start=date(2025, 1, 1), end=date(2025, 1, 31), policy=load_policy()).drop(
    ...     "seller_id", "marketplace", "severity").collect()
    shape: (3, 5)
    ┌──────────────┬─────────────┬────────────┬──────┬────────┐
    │ violation_id ┆ counts_from ┆ clears_on  ┆ rank ┆ points │
    │ ---          ┆ ---         ┆ ---        ┆ ---  ┆ ---    │
    │ str          ┆ date        ┆ date       ┆ i64  ┆ i64    │
    ╞══════════════╪═════════════╪════════════╪══════╪════════╡
    │ V1           ┆ 2025-01-10  ┆ 2025-01-20 ┆ 1    ┆ 4      │
    │ V2           ┆ 2025-01-11  ┆ 2025-01-20 ┆ 2    ┆ 8      │
    │ V2           ┆ 2025-01-20  ┆ 2025-02-01 ┆ 1    ┆ 4      │
    └──────────────┴─────────────┴────────────┴──────┴────────┘
    """
    after = day_after(end)  # past 9999-12-31 too
    group = [*_SELLER, "category"]
    active = (
        violation_windows(violations, policy=policy)
        .with_columns(
            _from=pl.max_horizontal("detected_on", pl.lit(start, pl.Date)),
            _to=pl.min_horizontal(pl.col("cost_ends").fill_null(after), after),
        )
        .filter(pl.col("_from") < pl.col("_to"))
    )
    ranked = active.filter(pl.col("severity") != "critical").with_columns(
        _order=pl.struct("detected_at", "violation_id").rank("ordinal").over(group)
    )
    # Each earlier violation u of the category adds 1 to v's rank while both are active.
    earlier = ranked.select(*group, "_order", "_from", "_to")
    pairs = (
        ranked.select(*group, "violation_id", "_order", "_from", "_to")
        .join(earlier, on=group, suffix="_u")
        .filter(pl.col("_order_u") < pl.col("_order"))
        .select(
            "violation_id",
            "_to",
            _on=pl.max_horizontal("_from", "_from_u"),
            _off=pl.min_horizontal("_to", "_to_u"),
        )
        .filter(pl.col("_on") < pl.col("_off"))
    )
    one = pl.lit(1, pl.Int64)
    events = (
        pl.concat(
            [
                ranked.select("violation_id", _day="_from", _delta=pl.lit(0, pl.Int64)),
                pairs.select("violation_id", _day="_on", _delta=one),
                pairs.filter(pl.col("_off") < pl.col("_to")).select(
                    "violation_id", _day="_off", _delta=-one
                ),
            ]
        )
        .group_by("violation_id", "_day")
        .agg(pl.col("_delta").sum())
        .join(ranked.select("violation_id", *_SELLER, "severity", "_to"), on="violation_id")
        .sort("violation_id", "_day")
    )
    segments = events.select(
        *_SELLER,
        "violation_id",
        "severity",
        counts_from="_day",
        clears_on=pl.col("_day").shift(-1).over("violation_id").fill_null(pl.col("_to")),
        rank=pl.col("_delta").cum_sum().over("violation_id") + 1,
    ).with_columns(points=_points(pl.col("severity"), pl.col("rank"), policy))
    critical = active.filter(pl.col("severity") == "critical").select(
        *_SELLER,
        "violation_id",
        "severity",
        counts_from="_from",
        clears_on="_to",
        rank=pl.lit(None, pl.Int64),
        points=pl.lit(0, pl.Int64),
    )
    return pl.concat([segments, critical]).sort(*_SELLER, "violation_id", "counts_from")
