"""Funnel plots: control limits around a target, and where each seller falls.

A funnel plot draws every seller's rate against its volume (the denominator) with control
limits around the target ``p0`` that narrow as the volume grows (Spiegelhalter 2005a). A
seller outside the 95 % limits is worth a look; outside the 99.8 % limits it is very
unlikely to be at the target by chance, *if* sellers vary only by chance. When the sellers
vary more than binomial chance allows (over-dispersion), the limits are widened
(Spiegelhalter 2005b), either additively (a between-seller variance ``tau2``) or
multiplicatively (a factor ``sqrt(phi)``).

- ``exact`` limits: binomial quantiles of ``Binomial(n, p0)`` made continuous with
  Spiegelhalter's interpolation (2005a, appendix A.1.1): with ``r`` the smallest count such
  that ``P(R <= r) >= q`` and ``a = (P(R <= r) - q) / (P(R <= r) - P(R <= r - 1))``, the limit
  is ``(r - a) / n``.
- ``normal`` limits: ``p0 +- z * s`` with ``s = sqrt(p0 (1 - p0) / n)``.
- ``additive``: ``p0 +- z * sqrt(s**2 + tau2)``; ``multiplicative``: ``p0 +- z * sqrt(phi) * s``.

``z`` is the two-sided normal quantile of the level: 1.959964 for 0.95 and 3.090232 for
0.998. Limits are clipped to [0, 1] (the interpolation gives a small negative lower limit
when ``r = 0``; a rate can never be below it, so 0 draws the same thing).

References
----------
Spiegelhalter D.J. (2005a) Funnel plots for comparing institutional performance.
Statistics in Medicine 24:1185-1202. doi:10.1002/sim.1970.
Spiegelhalter D.J. (2005b) Handling over-dispersion of performance indicators. Quality and
Safety in Health Care 14:347-351. doi:10.1136/qshc.2005.013755.

Examples
--------
>>> from toolkit.portfolio.funnel import funnel_limits
>>> funnel_limits([50, 200, 1000], p0=0.04, levels=[0.998], method="normal")
shape: (3, 5)
┌──────┬───────┬──────────┬──────────┬────────┐
│ n    ┆ level ┆ lower    ┆ upper    ┆ limits │
│ ---  ┆ ---   ┆ ---      ┆ ---      ┆ ---    │
│ i64  ┆ f64   ┆ f64      ┆ f64      ┆ str    │
╞══════╪═══════╪══════════╪══════════╪════════╡
│ 50   ┆ 0.998 ┆ 0.0      ┆ 0.125639 ┆ normal │
│ 200  ┆ 0.998 ┆ 0.0      ┆ 0.08282  ┆ normal │
│ 1000 ┆ 0.998 ┆ 0.020851 ┆ 0.059149 ┆ normal │
└──────┴───────┴──────────┴──────────┴────────┘
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial

import numpy as np
import polars as pl

from toolkit.model.checks import choice, proportion
from toolkit.model.checks import levels as check_levels
from toolkit.portfolio.overdispersion import dispersion_exprs, z_score

__all__ = ["funnel_limits", "funnel_points", "z_for_level"]

_METHODS = ("exact", "normal")
_ADJUSTMENTS = ("additive", "multiplicative", "none")


def z_for_level(level: float) -> float:
    """Two-sided standard normal quantile of a level: 1.959964 for 0.95, 3.090232 for 0.998.

    Examples
    --------
    >>> round(z_for_level(0.95), 6), round(z_for_level(0.998), 6)
    (1.959964, 3.090232)
    """
    from scipy.stats import norm

    return float(norm.ppf(1.0 - (1.0 - proportion(level, "level")) / 2.0))


def _exact_limit(n: pl.Series, *, p0: float, q: float) -> pl.Series:
    """Spiegelhalter's interpolated binomial ``q`` quantile of ``Binomial(n, p0)``, over n."""
    from scipy.stats import binom

    sizes = n.cast(pl.Float64).fill_null(0.0).to_numpy()
    out = np.full(sizes.shape, np.nan)
    ok = sizes > 0
    m = sizes[ok]
    r = binom.ppf(q, m, p0)
    at_r = binom.cdf(r, m, p0)
    below_r = binom.cdf(r - 1.0, m, p0)
    step = at_r - below_r
    safe = np.where(step > 0, step, 1.0)
    fraction = np.clip(np.where(step > 0, (at_r - q) / safe, 0.0), 0.0, 1.0)
    out[ok] = np.clip((r - fraction) / m, 0.0, 1.0)
    return pl.Series(n.name, out, dtype=pl.Float64).fill_nan(None)


def _bounds(
    n: pl.Expr, *, kind: str, p0: float, level: float, tau2: pl.Expr, phi: pl.Expr
) -> tuple[pl.Expr, pl.Expr]:
    """Lower and upper limit expressions of one kind (exact, normal, additive, multiplicative)."""
    if kind == "exact":
        tail = (1.0 - level) / 2.0
        lower, upper = (
            n.map_batches(
                partial(_exact_limit, p0=p0, q=q), return_dtype=pl.Float64, is_elementwise=True
            )
            for q in (tail, 1.0 - tail)
        )
        return lower, upper
    variance = p0 * (1.0 - p0) / n.cast(pl.Float64)
    if kind == "additive":
        variance = variance + tau2
    elif kind == "multiplicative":
        variance = variance * phi.clip(lower_bound=1.0)
    half = z_for_level(level) * variance.sqrt()
    valid = n.cast(pl.Float64) > 0
    return (
        pl.when(valid).then((p0 - half).clip(0.0, 1.0)),
        pl.when(valid).then((p0 + half).clip(0.0, 1.0)),
    )


def funnel_limits(
    n_values: Iterable[int],
    *,
    p0: float,
    levels: Iterable[float] = (0.95, 0.998),
    method: str = "exact",
    dispersion: Mapping[str, object] | pl.DataFrame | pl.LazyFrame | None = None,
    adjust: str = "additive",
) -> pl.DataFrame:
    """Control limits around ``p0`` at each denominator in ``n_values``, for drawing a funnel.

    Parameters
    ----------
    n_values
        Denominators (integers >= 1), e.g. ``range(1, 2001)`` or a log-spaced grid.
    p0
        The target proportion.
    levels
        Two-sided levels; the defaults are the 95 % and 99.8 % limits of Spiegelhalter.
    method
        ``"exact"`` (interpolated binomial) or ``"normal"``.
    dispersion
        The row of :func:`~toolkit.portfolio.overdispersion.overdispersion` (its one-row frame, lazy
        or collected, or a dict). When it says
        ``overdispersed``, the limits are widened as ``adjust`` says (normal scale),
        exactly as :func:`funnel_points` does, so points and lines agree.
    adjust
        ``"additive"`` (``tau2``), ``"multiplicative"`` (``phi``) or ``"none"``.

    Returns
    -------
    pl.DataFrame
        ``n, level, lower, upper, limits``: one row per denominator and level, sorted by
        level then n; ``limits`` names the kind drawn (exact, normal, additive,
        multiplicative).

    Examples
    --------
    >>> funnel_limits([10, 100], p0=0.1, levels=[0.95])
    shape: (2, 5)
    ┌─────┬───────┬──────────┬──────────┬────────┐
    │ n   ┆ level ┆ lower    ┆ upper    ┆ limits │
    │ --- ┆ ---   ┆ ---      ┆ ---      ┆ ---    │
    │ i64 ┆ f64   ┆ f64      ┆ f64      ┆ str    │
    ╞═════╪═══════╪══════════╪══════════╪════════╡
    │ 10  ┆ 0.95  ┆ 0.0      ┆ 0.278736 ┆ exact  │
    │ 100 ┆ 0.95  ┆ 0.040381 ┆ 0.157719 ┆ exact  │
    └─────┴───────┴──────────┴──────────┴────────┘
    """
    p0 = proportion(p0, "p0")
    checked = check_levels(levels)
    choice(method, "method", _METHODS)
    choice(adjust, "adjust", _ADJUSTMENTS)
    ns = pl.Series("n", list(n_values), dtype=pl.Int64)
    if ns.len() == 0 or ns.null_count() or ns.min() < 1:  # type: ignore[operator]
        raise ValueError(f"n_values must be integers >= 1, got {ns.to_list()[:10]!r}")
    kind, tau2, phi = method, 0.0, 1.0
    if dispersion is not None and adjust != "none":
        if isinstance(dispersion, pl.LazyFrame):
            dispersion = dispersion.collect()
        row = dispersion.row(0, named=True) if isinstance(dispersion, pl.DataFrame) else dispersion
        if row["overdispersed"]:
            kind, tau2, phi = adjust, float(row["tau2"]), float(row["phi"])  # type: ignore[arg-type]
    grid = pl.LazyFrame({"n": ns})
    parts = []
    for level in checked:
        lower, upper = _bounds(
            pl.col("n"), kind=kind, p0=p0, level=level, tau2=pl.lit(tau2), phi=pl.lit(phi)
        )
        parts.append(
            grid.select(
                "n",
                pl.lit(level, pl.Float64).alias("level"),
                lower.alias("lower"),
                upper.alias("upper"),
                pl.lit(kind).alias("limits"),
            )
        )
    return pl.concat(parts).sort("level", "n").collect()


def funnel_points(
    frame: pl.LazyFrame,
    *,
    p0: float,
    numerator: str = "numerator",
    denominator: str = "denominator",
    keys: Sequence[str] = ("seller_id",),
    levels: Iterable[float] = (0.95, 0.998),
    method: str = "exact",
    adjust: str = "additive",
    winsor: float = 0.1,
    alpha: float = 0.05,
) -> pl.LazyFrame:
    """Each seller's rate and whether it lies inside, above or below each control limit.

    Parameters
    ----------
    frame
        One row per seller (one metric, one as-of date), with ``keys``, ``numerator`` and
        ``denominator``.
    keys
        Columns that name a seller in the output (other columns are not carried, so a
        metrics table's own ``rate`` and ``status`` do not clash with these).
    method, levels, adjust, winsor, alpha
        As in :func:`funnel_limits` and :func:`overdispersion`: the limits are ``method``'s
        unless the sellers are over-dispersed (chi-square test at ``alpha``), then the
        ``adjust`` widening of the normal limits.

    Returns
    -------
    pl.LazyFrame
        ``keys + [numerator, denominator, rate, z, level, lower, upper, limits, status]``:
        one row per seller and level. ``rate`` is numerator / denominator (null when the
        denominator is 0), ``z`` its unadjusted z-score, ``status`` one of ``inside``,
        ``above`` (rate > upper), ``below`` (rate < lower) or ``no_data`` (denominator 0).
        Rows are not sorted.

    Examples
    --------
    Five sellers against a 4 % target. Without adjustment D (30 late of 400) is above the
    99.8 % limit; these five sellers vary far more than chance allows (see
    :func:`overdispersion`), and the additive widening brings D inside:

    >>> sellers = pl.LazyFrame({
    ...     "seller_id": ["A", "B", "C", "D", "E"],
    ...     "numerator": [2, 9, 0, 30, 4],
    ...     "denominator": [100, 100, 50, 400, 200],
    ... })
    >>> columns = ["seller_id", "rate", "lower", "upper", "limits", "status"]
    >>> plain = funnel_points(sellers, p0=0.04, levels=[0.998], adjust="none")
    >>> plain.select(columns).sort("seller_id").collect()
    shape: (5, 6)
    ┌───────────┬───────┬──────────┬──────────┬────────┬────────┐
    │ seller_id ┆ rate  ┆ lower    ┆ upper    ┆ limits ┆ status │
    │ ---       ┆ ---   ┆ ---      ┆ ---      ┆ ---    ┆ ---    │
    │ str       ┆ f64   ┆ f64      ┆ f64      ┆ str    ┆ str    │
    ╞═══════════╪═══════╪══════════╪══════════╪════════╪════════╡
    │ A         ┆ 0.02  ┆ 0.0      ┆ 0.107888 ┆ exact  ┆ inside │
    │ B         ┆ 0.09  ┆ 0.0      ┆ 0.107888 ┆ exact  ┆ inside │
    │ C         ┆ 0.0   ┆ 0.0      ┆ 0.138454 ┆ exact  ┆ inside │
    │ D         ┆ 0.075 ┆ 0.011975 ┆ 0.072147 ┆ exact  ┆ above  │
    │ E         ┆ 0.02  ┆ 0.001508 ┆ 0.086563 ┆ exact  ┆ inside │
    └───────────┴───────┴──────────┴──────────┴────────┴────────┘
    >>> widened = funnel_points(sellers, p0=0.04, levels=[0.998])
    >>> widened.select(columns).filter(pl.col("seller_id") == "D").collect()
    shape: (1, 6)
    ┌───────────┬───────┬───────┬──────────┬──────────┬────────┐
    │ seller_id ┆ rate  ┆ lower ┆ upper    ┆ limits   ┆ status │
    │ ---       ┆ ---   ┆ ---   ┆ ---      ┆ ---      ┆ ---    │
    │ str       ┆ f64   ┆ f64   ┆ f64      ┆ str      ┆ str    │
    ╞═══════════╪═══════╪═══════╪══════════╪══════════╪════════╡
    │ D         ┆ 0.075 ┆ 0.0   ┆ 0.149403 ┆ additive ┆ inside │
    └───────────┴───────┴───────┴──────────┴──────────┴────────┘
    """
    p0 = proportion(p0, "p0")
    checked = check_levels(levels)
    choice(method, "method", _METHODS)
    choice(adjust, "adjust", _ADJUSTMENTS)
    keys = list(keys)
    x, n = pl.col(numerator), pl.col(denominator)
    scalars = dispersion_exprs(numerator, denominator, p0=p0, winsor=winsor, alpha=alpha)
    base = frame.select(*keys, numerator, denominator).with_columns(
        rate=pl.when(n > 0).then(x.cast(pl.Float64) / n.cast(pl.Float64)),
        z=z_score(x, n, p0=p0),
        _tau2=scalars["tau2"],
        _phi=scalars["phi"],
        _od=scalars["overdispersed"],
    )
    widen = pl.col("_od") if adjust != "none" else pl.lit(False)
    parts = []
    for level in checked:
        plain = _bounds(
            n, kind=method, p0=p0, level=level, tau2=pl.col("_tau2"), phi=pl.col("_phi")
        )
        wide = (
            _bounds(n, kind=adjust, p0=p0, level=level, tau2=pl.col("_tau2"), phi=pl.col("_phi"))
            if adjust != "none"
            else plain
        )
        lower = pl.when(widen).then(wide[0]).otherwise(plain[0])
        upper = pl.when(widen).then(wide[1]).otherwise(plain[1])
        parts.append(
            base.with_columns(
                level=pl.lit(level, pl.Float64),
                lower=lower,
                upper=upper,
                limits=pl.when(widen).then(pl.lit(adjust)).otherwise(pl.lit(method)),
            )
        )
    rate = pl.col("rate")
    return pl.concat(parts).select(
        *keys,
        numerator,
        denominator,
        "rate",
        "z",
        "level",
        "lower",
        "upper",
        "limits",
        status=pl.when(rate.is_null())
        .then(pl.lit("no_data"))
        .when(rate > pl.col("upper"))
        .then(pl.lit("above"))
        .when(rate < pl.col("lower"))
        .then(pl.lit("below"))
        .otherwise(pl.lit("inside")),
    )
