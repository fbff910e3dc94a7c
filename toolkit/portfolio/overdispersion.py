"""Over-dispersion: do sellers vary more than chance around the target allows?

Under "every seller is at the target ``p0`` and differs only by chance", a seller's z-score
``(x / n - p0) / sqrt(p0 (1 - p0) / n)`` is about standard normal, so the mean squared
z-score ``phi`` is about 1. Real sellers differ for real reasons (category, carrier,
region), ``phi`` is well above 1, and funnel limits drawn for pure chance flag far too many
sellers. Spiegelhalter (2005b) estimates ``phi`` robustly from winsorised z-scores and
either multiplies the variance by ``phi`` or adds a between-seller variance ``tau2``
(the DerSimonian-Laird moment estimator); :func:`toolkit.portfolio.funnel.funnel_points` and
:func:`toolkit.portfolio.funnel.funnel_limits` apply the result.

References
----------
Spiegelhalter D.J. (2005a) Funnel plots for comparing institutional performance.
Statistics in Medicine 24:1185-1202. doi:10.1002/sim.1970.
Spiegelhalter D.J. (2005b) Handling over-dispersion of performance indicators. Quality and
Safety in Health Care 14:347-351. doi:10.1136/qshc.2005.013755.
DerSimonian R., Laird N. (1986) Meta-analysis in clinical trials. Controlled Clinical
Trials 7:177-188.
"""

from __future__ import annotations

import polars as pl

from toolkit.model.checks import proportion

__all__ = ["overdispersion", "z_score"]


def z_score(numerator: pl.Expr, denominator: pl.Expr, *, p0: float) -> pl.Expr:
    """z-score of a rate against ``p0``: ``(x / n - p0) / sqrt(p0 (1 - p0) / n)``.

    Null where the denominator is 0 or null.

    Examples
    --------
    >>> frame = pl.DataFrame({"x": [1, 9, 0], "n": [100, 100, 0]})
    >>> frame.select(z=z_score(pl.col("x"), pl.col("n"), p0=0.04).round(4))
    shape: (3, 1)
    ┌─────────┐
    │ z       │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ -1.5309 │
    │ 2.5516  │
    │ null    │
    └─────────┘
    """
    p0 = proportion(p0, "p0")
    n = denominator.cast(pl.Float64)
    return (
        pl.when(n > 0)
        .then((numerator.cast(pl.Float64) / n - p0) / (p0 * (1.0 - p0) / n).sqrt())
        .otherwise(None)
    )


def check_winsor(winsor: float) -> float:
    """``winsor`` as a float in [0, 0.5): the share pulled in at each tail."""
    value = float(winsor)
    if not 0.0 <= value < 0.5:
        raise ValueError(f"winsor must be in [0, 0.5), got {winsor!r}")
    return value


def dispersion_exprs(
    numerator: str, denominator: str, *, p0: float, winsor: float, alpha: float
) -> dict[str, pl.Expr]:
    """The columns of :func:`overdispersion` as scalar expressions over all rows.

    In a ``select`` they give one row; in ``with_columns`` they are repeated on every row.
    ``p0``, ``winsor`` and ``alpha`` are checked here (a ``ValueError`` echoes a bad one).
    """
    p0 = proportion(p0, "p0")
    winsor = check_winsor(winsor)
    alpha = proportion(alpha, "alpha")
    from scipy.stats import chi2

    z = z_score(pl.col(numerator), pl.col(denominator), p0=p0)
    zw = z.clip(z.quantile(winsor, "linear"), z.quantile(1.0 - winsor, "linear"))
    sellers = z.count().cast(pl.Int64)
    statistic = zw.pow(2).sum()
    w = pl.when(pl.col(denominator) > 0).then(
        pl.col(denominator).cast(pl.Float64) / (p0 * (1.0 - p0))
    )
    spread = w.sum() - w.pow(2).sum() / w.sum()
    tau2 = (statistic - (sellers - 1)) / spread
    some = sellers > 0
    p_value = pl.map_batches(
        [statistic, sellers],
        lambda s: pl.Series(chi2.sf(s[0].to_numpy(), s[1].to_numpy()), dtype=pl.Float64),
        return_dtype=pl.Float64,
        is_elementwise=True,
    )
    return {
        "sellers": sellers,
        "phi": pl.when(some).then(statistic / sellers),
        "statistic": pl.when(some).then(statistic),
        "df": sellers,
        "p_value": pl.when(some).then(p_value),
        "overdispersed": ((sellers >= 2) & (p_value < alpha)).fill_null(False),
        "tau2": pl.when(sellers >= 2).then(tau2.clip(lower_bound=0.0)).otherwise(0.0),
    }


def overdispersion(
    frame: pl.LazyFrame,
    *,
    p0: float,
    numerator: str = "numerator",
    denominator: str = "denominator",
    winsor: float = 0.1,
    alpha: float = 0.05,
) -> pl.LazyFrame:
    """How much more the sellers' rates vary than binomial chance around ``p0`` allows.

    Parameters
    ----------
    frame
        One row per seller with integer ``numerator`` and ``denominator`` columns (one
        metric at one as-of date, e.g. a filtered metrics table).
    p0
        The target proportion (a float, or the policy's exact ``Fraction``).
    winsor
        Share of z-scores pulled in at each tail before estimating ``phi`` (0.1: below the
        10th percentile set to it, above the 90th set to it; percentiles interpolate
        linearly between order statistics, as R's default ``quantile``). 0 disables it.
    alpha
        Significance level of the chi-square test that decides ``overdispersed``.

    Returns
    -------
    pl.LazyFrame
        One row: ``sellers`` (I, sellers with denominator > 0), ``phi`` (mean squared
        winsorised z-score), ``statistic`` (``I * phi``), ``df`` (I), ``p_value``
        (``P(chi2_df >= statistic)``), ``overdispersed`` (``p_value < alpha`` and I >= 2),
        ``tau2`` (additive between-seller variance, ``max(0, (I phi - (I - 1)) /
        (sum w - sum w^2 / sum w))`` with ``w = n / (p0 (1 - p0))``; 0 when I < 2).

    Notes
    -----
    z-scores are ``(x / n - p0) / sqrt(p0 (1 - p0) / n)`` against the fixed target, so under
    "no over-dispersion" ``I * phi`` is about chi-square with I degrees of freedom (no
    degree is spent estimating the centre). Winsorising makes the test conservative: with
    10 % winsorising ``phi`` is about 0.68, not 1, when sellers vary by chance alone, so
    the test (and ``tau2``) respond only to clear over-dispersion. ``tau2`` is the DerSimonian-Laird moment estimator Spiegelhalter (2005b)
    uses; it is reported even when the test does not call the data over-dispersed.
    Sellers with denominator 0 (or null) are left out.

    Examples
    --------
    >>> sellers = pl.LazyFrame({
    ...     "seller_id": ["A", "B", "C", "D", "E"],
    ...     "numerator": [2, 9, 0, 30, 4],
    ...     "denominator": [100, 100, 50, 400, 200],
    ... })
    >>> overdispersion(sellers, p0=0.04).collect()
    shape: (1, 7)
    ┌─────────┬──────────┬───────────┬─────┬──────────┬───────────────┬──────────┐
    │ sellers ┆ phi      ┆ statistic ┆ df  ┆ p_value  ┆ overdispersed ┆ tau2     │
    │ ---     ┆ ---      ┆ ---       ┆ --- ┆ ---      ┆ ---           ┆ ---      │
    │ i64     ┆ f64      ┆ f64       ┆ i64 ┆ f64      ┆ bool          ┆ f64      │
    ╞═════════╪══════════╪═══════════╪═════╪══════════╪═══════════════╪══════════╡
    │ 5       ┆ 4.345833 ┆ 21.729167 ┆ 5   ┆ 0.000589 ┆ true          ┆ 0.001157 │
    └─────────┴──────────┴───────────┴─────┴──────────┴───────────────┴──────────┘
    """
    return frame.select(
        **dispersion_exprs(numerator, denominator, p0=p0, winsor=winsor, alpha=alpha)
    )
