"""Account Health Rating **estimate** (definitions section 6).

Amazon does not publish how it computes the Account Health Rating (AHR). This module
implements the model of the policy file ``[ahr]``, built from what Amazon's help pages and
staff say, and labels it an **estimate**
everywhere. Per seller, marketplace and as-of date D::

    ahr_estimate = clamp(start + points_per_step * floor(fulfilled_orders_180d / orders_per_step)
                         - points, minimum, maximum)

with the shipped defaults ``start = 200``, ``+4`` per ``200`` fulfilled orders, clamped to
``0 .. 1000``. ``points`` is the sum over the violations *active* on D (costing points:
see :mod:`toolkit.compliance.violations`) of ``severity_points`` (low 2, medium 4, high 8), where the
k-th active violation of the same category (ranked by ``detected_at``, then
``violation_id``) costs ``points * repeat_multiplier ** (k - 1)`` (doubling by default).
Any active critical violation sets the estimate to ``minimum`` (0). Bands: ``healthy``
from ``healthy_from`` (200), ``at_risk`` from ``at_risk_from`` (100), else ``critical``.

``fulfilled_orders_180d`` counts orders of every channel with a ship confirmation (an
order cancelled after shipping included) whose ship date (UTC date of ``shipped_at``) is in
``D - 179 .. D`` and whose shipment is visible by D (orders cadence).

Examples
--------
>>> from datetime import date
>>> import polars as pl
>>> from toolkit.model.data import dataset_from_frames
>>> orders = pl.DataFrame({
...     "order_id": [f"O{i}" for i in range(400)], "seller_id": "S1", "channel": "afn",
...     "purchased_at": "2025-01-01T10:00Z", "shipped_at": "2025-01-02T10:00Z",
... })
>>> violations = pl.DataFrame({
...     "violation_id": ["V1", "V2", "V3"], "seller_id": "S1", "category": "listing_policy",
...     "severity": ["high", "medium", "low"],
...     "detected_at": ["2025-01-05T08:00Z", "2025-01-06T08:00Z", "2025-01-07T08:00Z"],
... })
>>> data = dataset_from_frames(orders=orders, violations=violations)
>>> ahr_table(data, as_of=date(2025, 1, 4), to=date(2025, 1, 7)).select(
...     "as_of", "fulfilled_orders_180d", "points", "ahr_estimate", "band").collect()
shape: (4, 5)
┌────────────┬───────────────────────┬────────┬──────────────┬─────────┐
│ as_of      ┆ fulfilled_orders_180d ┆ points ┆ ahr_estimate ┆ band    │
│ ---        ┆ ---                   ┆ ---    ┆ ---          ┆ ---     │
│ date       ┆ i64                   ┆ i64    ┆ i64          ┆ str     │
╞════════════╪═══════════════════════╪════════╪══════════════╪═════════╡
│ 2025-01-04 ┆ 400                   ┆ 0      ┆ 208          ┆ healthy │
│ 2025-01-05 ┆ 400                   ┆ 8      ┆ 200          ┆ healthy │
│ 2025-01-06 ┆ 400                   ┆ 16     ┆ 192          ┆ at_risk │
│ 2025-01-07 ┆ 400                   ┆ 24     ┆ 184          ┆ at_risk │
└────────────┴───────────────────────┴────────┴──────────────┴─────────┘

400 fulfilled orders add 2 steps of 4 points; the second listing-policy violation costs
4 * 2 and the third 2 * 4 (repeat doubling).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from toolkit.compliance.violations import _points, point_segments, violation_windows
from toolkit.model.data import Dataset
from toolkit.model.policy import Policy, load_policy
from toolkit.time.limits import day_after
from toolkit.time.visibility import utc_date, visible_date
from toolkit.time.windows import as_of_range, daily_counts

__all__ = ["AHR_BANDS", "ahr_band", "ahr_if_addressed", "ahr_table", "fulfilled_windows"]

#: Bands of the AHR estimate, best first.
AHR_BANDS = ("healthy", "at_risk", "critical")

_SELLER = ["seller_id", "marketplace"]


def ahr_band(score: pl.Expr, *, policy: Policy | None = None) -> pl.Expr:
    """Band of an AHR estimate: ``healthy`` from ``healthy_from``, ``at_risk`` from
    ``at_risk_from``, else ``critical`` (null stays null).

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"ahr": [0, 99, 100, 199, 200]}).with_columns(
    ...     band=ahr_band(pl.col("ahr")))["band"].to_list()
    ['critical', 'critical', 'at_risk', 'at_risk', 'healthy']
    """
    ahr = (policy or load_policy()).ahr
    return (
        pl.when(score >= ahr["healthy_from"])
        .then(pl.lit("healthy"))
        .when(score >= ahr["at_risk_from"])
        .then(pl.lit("at_risk"))
        .when(score.is_not_null())
        .then(pl.lit("critical"))
    )


def fulfilled_windows(orders: pl.LazyFrame, *, policy: Policy | None = None) -> pl.LazyFrame:
    """Retention window of each shipped order in ``fulfilled_orders_180d``.

    An order counts on the as-of dates ``counts_from <= D < clears_on`` with
    ``counts_from = max(ship date, visible date of the shipment)`` and ``clears_on = ship
    date + fulfilled_window_days``: its ship date is in ``D - W + 1 .. D`` and the shipment
    is visible by D. Orders without ``shipped_at`` have no row; a cancellation does not
    remove a shipped order.

    Returns
    -------
    pl.LazyFrame
        ``seller_id, marketplace, order_id, counts_from, clears_on``.

    Examples
    --------
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> orders = pl.DataFrame({
    ...     "order_id": ["A", "B", "C"], "seller_id": "S1", "channel": ["mfn", "afn", "mfn"],
    ...     "purchased_at": "2025-03-01T10:00Z",
    ...     "shipped_at": ["2025-03-02T10:00Z", "2025-03-02T23:50Z", None],
    ... })
    >>> fulfilled_windows(dataset_from_frames(orders=orders).orders).collect()
    shape: (2, 5)
    ┌───────────┬─────────────┬──────────┬─────────────┬────────────┐
    │ seller_id ┆ marketplace ┆ order_id ┆ counts_from ┆ clears_on  │
    │ ---       ┆ ---         ┆ ---      ┆ ---         ┆ ---        │
    │ str       ┆ str         ┆ str      ┆ date        ┆ date       │
    ╞═══════════╪═════════════╪══════════╪═════════════╪════════════╡
    │ S1        ┆ US          ┆ A        ┆ 2025-03-02  ┆ 2025-08-29 │
    │ S1        ┆ US          ┆ B        ┆ 2025-03-03  ┆ 2025-08-29 │
    └───────────┴─────────────┴──────────┴─────────────┴────────────┘
    """
    policy = policy or load_policy()
    shipped = pl.col("shipped_at")
    ship_date = utc_date(shipped)
    visible = visible_date(shipped, cadence_minutes=policy.cadence_minutes["orders"])
    return orders.filter(shipped.is_not_null()).select(
        *_SELLER,
        "order_id",
        counts_from=pl.max_horizontal(ship_date, visible),
        clears_on=ship_date + pl.duration(days=policy.ahr["fulfilled_window_days"]),
    )


def ahr_table(
    data: Dataset, *, as_of: date, to: date | None = None, policy: Policy | None = None
) -> pl.LazyFrame:
    """The AHR **estimate** per seller, marketplace and as-of date (Amazon publishes no formula).

    Parameters
    ----------
    data
        The dataset; ``orders`` (shipments) and ``violations`` are read.
    as_of, to
        First and last as-of date (``to`` defaults to ``as_of``: one date).
    policy
        Cadences, display period and the ``[ahr]`` numbers; default the shipped policy.

    Returns
    -------
    pl.LazyFrame
        One row per (seller, marketplace) found anywhere in ``orders`` or ``violations``
        and as-of date, sorted by ``seller_id, marketplace, as_of``: ``seller_id,
        marketplace, as_of, fulfilled_orders_180d, active_violations`` (costing points on
        D, critical included), ``displayed_violations, points`` (sum over the active
        violations, repeat doubling included; critical ones add none), ``ahr_estimate``
        (Int64) and ``band``.

    Notes
    -----
    A range of dates costs one pass over the (seller, date) grid, never one query per
    date: shipments (:func:`fulfilled_windows`), displays
    (:func:`toolkit.compliance.violations.violation_windows`) and stretches of constant repeat rank
    (:func:`toolkit.compliance.violations.point_segments`) are all retention windows, counted and
    weighted with :func:`toolkit.time.windows.daily_counts`.

    Any active critical violation sets the estimate to the policy ``minimum`` (0 in the
    shipped policy: docs/definitions.md "makes the AHR 0"); ``points`` still shows what the other
    violations cost.
    """
    policy = policy or load_policy()
    end = as_of_range(as_of, to)
    ahr = policy.ahr
    keys = pl.concat(
        [data.orders.select(_SELLER), data.violations.select(_SELLER)], how="vertical"
    ).unique()
    beyond = day_after(end)  # past 9999-12-31 too
    # Three kinds of retention windows, counted in one pass over the (seller, date) grid.
    window = [*_SELLER, "counts_from", "clears_on"]
    shipped = fulfilled_windows(data.orders, policy=policy).select(
        *window,
        _kind=pl.lit("fulfilled"),
        points=pl.lit(0, pl.Int64),
        severity=pl.lit(None, pl.String),
    )
    shown = violation_windows(data.violations, policy=policy).select(
        *_SELLER,
        counts_from="detected_on",
        clears_on=pl.col("display_ends").fill_null(beyond),
        _kind=pl.lit("displayed"),
        points=pl.lit(0, pl.Int64),
        severity="severity",
    )
    # A violation's stretches of constant rank are disjoint: one counts once per date.
    costing = point_segments(data.violations, start=as_of, end=end, policy=policy).select(
        *window, _kind=pl.lit("active"), points="points", severity="severity"
    )
    kind = pl.col("_kind")
    counts = daily_counts(
        pl.concat([shipped, shown, costing]),
        keys=_SELLER,
        start=as_of,
        end=end,
        all_keys=keys,
        weights={
            "fulfilled_orders_180d": kind == "fulfilled",
            "displayed_violations": kind == "displayed",
            "active_violations": kind == "active",
            "points": pl.when(kind == "active").then(pl.col("points")).otherwise(0),
            "_critical": (kind == "active") & (pl.col("severity") == "critical"),
        },
    )
    steps = pl.col("fulfilled_orders_180d") // ahr["orders_per_step"]
    score = ahr["start"] + ahr["points_per_step"] * steps - pl.col("points")
    estimate = (
        pl.when(pl.col("_critical") > 0)
        .then(pl.lit(ahr["minimum"], pl.Int64))
        .otherwise(score.clip(ahr["minimum"], ahr["maximum"]))
    )
    on = [*_SELLER, "as_of"]
    return (
        counts.with_columns(ahr_estimate=estimate)
        .select(
            *on,
            "fulfilled_orders_180d",
            "active_violations",
            "displayed_violations",
            "points",
            "ahr_estimate",
            band=ahr_band(pl.col("ahr_estimate"), policy=policy),
        )
        .sort(*on)
    )


def ahr_if_addressed(data: Dataset, *, as_of: date, policy: Policy | None = None) -> pl.LazyFrame:
    """The AHR **estimate** at D if each displayed violation were addressed on D (definitions section 10).

    Addressing a violation on D ends its point cost on D. The others keep their points,
    but their repeat rank is taken again without it: the k-th active violation of a
    category costs ``points * repeat_multiplier ** (k - 1)``, so addressing the first of
    three listing-policy violations moves the second to rank 1 and the third to rank 2. A
    critical violation addressed gives back the estimate unless another critical one is
    active. Addressing a violation that costs nothing on D (already addressed) changes
    nothing.

    Returns
    -------
    pl.LazyFrame
        One row per violation displayed on D: ``seller_id, marketplace, violation_id,
        ahr_estimate`` (today's, as in :func:`ahr_table`) and ``ahr_if_addressed``.

    Notes
    -----
    Each displayed violation is paired with every violation active on D of its seller and
    marketplace: the cost grows with the square of a seller's active violations (a few),
    never with dates or orders.

    Examples
    --------
    Three listing-policy violations of 2, 4 and 8 points, doubled by rank: 2 + 4 x 2 +
    8 x 4 = 42 points, an estimate of 158. Addressing V1 moves the others up a rank
    (4 + 8 x 2 = 20 points: 180); addressing V2 leaves 2 + 8 x 2 (182); V3, 2 + 4 x 2 (190):

    >>> from datetime import date
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> violations = pl.DataFrame({
    ...     "violation_id": ["V1", "V2", "V3"], "seller_id": "S1", "category": "listing_policy",
    ...     "severity": ["low", "medium", "high"],
    ...     "detected_at": ["2025-01-05T08:00Z", "2025-01-06T08:00Z", "2025-01-07T08:00Z"],
    ... })
    >>> data = dataset_from_frames(violations=violations)
    >>> ahr_if_addressed(data, as_of=date(2025, 1, 10)).drop("seller_id", "marketplace").collect()
    shape: (3, 3)
    ┌──────────────┬──────────────┬──────────────────┐
    │ violation_id ┆ ahr_estimate ┆ ahr_if_addressed │
    │ ---          ┆ ---          ┆ ---              │
    │ str          ┆ i64          ┆ i64              │
    ╞══════════════╪══════════════╪══════════════════╡
    │ V1           ┆ 158          ┆ 180              │
    │ V2           ┆ 158          ┆ 182              │
    │ V3           ┆ 158          ┆ 190              │
    └──────────────┴──────────────┴──────────────────┘
    """
    policy = policy or load_policy()
    ahr = policy.ahr
    day = pl.lit(as_of, pl.Date)
    windows = violation_windows(data.violations, policy=policy)
    ends = pl.col("display_ends")
    displayed = windows.filter(
        (pl.col("detected_on") <= day) & (ends.is_null() | (ends > day))
    ).select(*_SELLER, "violation_id", "category")
    active = (
        point_segments(data.violations, start=as_of, end=as_of, policy=policy)
        .join(windows.select("violation_id", "category"), on="violation_id")
        .select(*_SELLER, "violation_id", "category", "severity", "rank")
    )
    # v: the violation addressed; u: every violation active on D (v itself included, so
    # that a v alone still has a row). u's rank drops by one when v is active, of u's
    # category, not critical, and ranked before u.
    pairs = displayed.join(
        active.rename({"category": "_category_v"}).select(
            "violation_id", "_category_v", _rank_v="rank"
        ),
        on="violation_id",
        how="left",
    ).join(active, on=_SELLER, how="left", suffix="_u")
    other = pl.col("violation_id_u").is_not_null() & (
        pl.col("violation_id_u") != pl.col("violation_id")
    )
    moves_up = (
        pl.col("_rank_v").is_not_null()
        & (pl.col("category_u") == pl.col("_category_v"))
        & (pl.col("_rank_v") < pl.col("rank"))
    ).fill_null(False)
    rank = pl.col("rank") - moves_up.cast(pl.Int64)
    points = pl.when(other).then(_points(pl.col("severity"), rank, policy)).otherwise(0)
    critical = other & (pl.col("severity") == "critical")
    left = pairs.group_by(*_SELLER, "violation_id").agg(
        points.sum().alias("_points"), critical.any().alias("_critical")
    )
    now = ahr_table(data, as_of=as_of, policy=policy).select(
        *_SELLER, "fulfilled_orders_180d", "ahr_estimate"
    )
    steps = pl.col("fulfilled_orders_180d") // ahr["orders_per_step"]
    score = ahr["start"] + ahr["points_per_step"] * steps - pl.col("_points")
    estimate = (
        pl.when(pl.col("_critical"))
        .then(pl.lit(ahr["minimum"], pl.Int64))
        .otherwise(score.clip(ahr["minimum"], ahr["maximum"]))
    )
    return (
        left.join(now, on=_SELLER, how="left")
        .select(*_SELLER, "violation_id", "ahr_estimate", ahr_if_addressed=estimate)
        .sort(*_SELLER, "violation_id")
    )
