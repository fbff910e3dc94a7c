"""Empirical-Bayes shrinkage: each seller's rate pulled toward what sellers like it achieve.

A seller with 1 defect in 10 orders has a raw rate of 10 %, but nobody believes its true
rate is 10 %: with so few orders the raw rate is mostly noise. Empirical Bayes borrows
strength from the other sellers. Each seller's true rate is modelled as a draw from a
Beta(alpha, beta) distribution (the *prior*: how true rates spread across sellers), and
its bad count as Binomial(n, true rate). The prior is fitted to all sellers by maximum
likelihood of the beta-binomial distribution; each seller's *posterior* is then
Beta(x + alpha, n - x + beta), whose mean ``(x + alpha) / (n + alpha + beta)`` is the
shrunken rate: close to the raw rate for a big seller, close to the prior mean for a small
one.

The fit is parameterised by the prior mean ``mu = alpha / (alpha + beta)`` (on the logit
scale) and the concentration ``kappa = alpha + beta`` (on the log scale), which keeps the
optimiser away from the invalid region and makes the two parameters nearly independent.

Edge cases (chosen here, docs/definitions.md is silent): sellers with denominator 0 carry no information
and are left out of the fit (their posterior is the prior). ``kappa`` is bounded by
``[0.001, total orders + 1]``: when sellers vary no more than binomial chance (all rates
identical, or one seller), the likelihood keeps rising as ``kappa`` grows; the bound stops
it where the prior is as certain as all the data pooled together, and ``at_bound`` says
so. When nothing can be fitted (fewer than two sellers with orders, no bad record
anywhere, or every record bad) the prior is the Jeffreys posterior of the pooled rate,
Beta(sum x + 1/2, sum (n - x) + 1/2), and ``method`` is ``"pooled"``.

References
----------
Efron B., Morris C. (1975) Data analysis using Stein's estimator and its generalizations.
Journal of the American Statistical Association 70:311-319.
Gelman A. et al. (2013) Bayesian Data Analysis, 3rd ed., section 5.3 (the rat tumour
beta-binomial example).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from toolkit.model.checks import choice, proportion

__all__ = ["BetaPrior", "fit_beta_binomial", "shrink_rates"]

_KAPPA_MIN = 1e-3


@dataclass(frozen=True)
class BetaPrior:
    """A Beta(alpha, beta) prior for sellers' true rates, as fitted by :func:`fit_beta_binomial`.

    ``method`` is ``"mle"`` (maximum likelihood) or ``"pooled"`` (the fallback described in
    the module notes); ``sellers`` counts the sellers with orders that informed it;
    ``at_bound`` is true when the concentration stopped at a bound; ``log_likelihood`` is the
    beta-binomial log-likelihood of the data at (alpha, beta), binomial coefficients
    included.
    """

    alpha: float
    beta: float
    method: str
    sellers: int
    at_bound: bool
    converged: bool
    log_likelihood: float

    @property
    def mean(self) -> float:
        """The prior mean rate, ``alpha / (alpha + beta)``."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def concentration(self) -> float:
        """``alpha + beta``: how many orders' worth of evidence the prior is worth."""
        return self.alpha + self.beta


def _counts(frame: pl.LazyFrame | pl.DataFrame, numerator: str, denominator: str) -> pl.DataFrame:
    data = (
        frame.lazy()
        .select(x=pl.col(numerator).cast(pl.Int64), n=pl.col(denominator).cast(pl.Int64))
        .collect()
    )
    bad = data.with_row_index("row").filter(
        pl.col("x").is_null()
        | pl.col("n").is_null()
        | (pl.col("x") < 0)
        | (pl.col("x") > pl.col("n"))
    )
    if bad.height:
        shown = ", ".join(f"row {r}: {x}/{n}" for r, x, n in bad.head(10).iter_rows())
        raise ValueError(
            f"{numerator} / {denominator} must be counts with 0 <= {numerator} <= {denominator}; "
            f"{bad.height} bad rows ({shown})"
        )
    return data.filter(pl.col("n") > 0)


def _log_likelihood(a: float, b: float, x: np.ndarray, n: np.ndarray) -> float:
    from scipy.special import betaln, gammaln

    choose = gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1)
    return float(np.sum(choose + betaln(x + a, n - x + b) - betaln(a, b)))


def _negative(theta: np.ndarray, x: np.ndarray, n: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log-likelihood (without the constant) and its gradient in (logit mu, log kappa)."""
    from scipy.special import betaln, digamma, expit

    mu, rest, kappa = expit(theta[0]), expit(-theta[0]), math.exp(theta[1])
    a, b = mu * kappa, rest * kappa
    value = np.sum(betaln(x + a, n - x + b) - betaln(a, b))
    common = digamma(kappa) - digamma(n + kappa)
    d_a = np.sum(digamma(x + a) - digamma(a) + common)
    d_b = np.sum(digamma(n - x + b) - digamma(b) + common)
    gradient = np.array([kappa * mu * rest * (d_a - d_b), a * d_a + b * d_b])
    return -float(value), -gradient


def fit_beta_binomial(
    frame: pl.LazyFrame | pl.DataFrame,
    *,
    numerator: str = "numerator",
    denominator: str = "denominator",
) -> BetaPrior:
    """Fit the Beta(alpha, beta) prior of sellers' true rates by maximum likelihood.

    Parameters
    ----------
    frame
        One row per seller with integer ``numerator`` (x) and ``denominator`` (n) columns.
        This function collects those two columns: the optimiser needs the numbers.

    Returns
    -------
    BetaPrior
        The fitted prior; see the module notes for the bounds and the pooled fallback.

    Raises
    ------
    ValueError
        When a count is null, negative, or the numerator exceeds the denominator.

    Examples
    --------
    >>> sellers = pl.DataFrame({
    ...     "seller_id": ["A", "B", "C", "D", "E", "F"],
    ...     "numerator": [1, 0, 25, 3, 14, 9],
    ...     "denominator": [10, 40, 300, 150, 120, 900],
    ... })
    >>> prior = fit_beta_binomial(sellers)
    >>> prior.method, round(prior.mean, 4), round(prior.concentration, 1), prior.at_bound
    ('mle', 0.0509, 23.2, False)
    """
    from scipy.optimize import minimize

    data = _counts(frame, numerator, denominator)
    x = data["x"].to_numpy().astype(float)
    n = data["n"].to_numpy().astype(float)
    sellers, total_x, total_n = len(n), float(x.sum()), float(n.sum())
    if sellers < 2 or total_x == 0 or total_x == total_n:
        a, b = total_x + 0.5, total_n - total_x + 0.5
        loglik = _log_likelihood(a, b, x, n)
        return BetaPrior(a, b, "pooled", sellers, False, True, loglik)
    low, high = math.log(_KAPPA_MIN), math.log(total_n + 1.0)
    start_mu = math.log(total_x / (total_n - total_x))
    grid = np.linspace(low, high, 25)
    start = grid[np.argmin([_negative(np.array([start_mu, g]), x, n)[0] for g in grid])]
    result = minimize(
        _negative,
        np.array([start_mu, start]),
        args=(x, n),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-30.0, 30.0), (low, high)],
        options={"ftol": 1e-12, "gtol": 1e-8, "maxiter": 2000},
    )
    logit_mu, log_kappa = (float(v) for v in result.x)
    at_bound = log_kappa <= low + 1e-6 or log_kappa >= high - 1e-6
    # L-BFGS-B may stop with a failed line search at the optimum (the objective is flat to
    # machine precision there); judge convergence by the gradient, ignoring a bound it pushes on.
    gradient = np.array(result.jac, dtype=float)
    if at_bound:
        gradient[1] = 0.0
    converged = bool(result.success) or float(np.max(np.abs(gradient))) < 1e-4
    kappa = math.exp(log_kappa)
    a = kappa / (1.0 + math.exp(-logit_mu))
    b = kappa / (1.0 + math.exp(logit_mu))
    loglik = _log_likelihood(a, b, x, n)
    return BetaPrior(a, b, "mle", sellers, at_bound, converged, loglik)


def _beta_call(name: str, *args: float):
    """A vectorised scipy.stats.beta method over the posterior (a, b) columns."""
    from scipy.stats import beta

    method = getattr(beta, name)

    def apply(series: list[pl.Series]) -> pl.Series:
        a, b = (s.cast(pl.Float64).to_numpy() for s in series)
        return pl.Series(method(*args, a, b), dtype=pl.Float64).fill_nan(None)

    return apply


def shrink_rates(
    frame: pl.LazyFrame,
    *,
    prior: BetaPrior,
    target: float | None = None,
    condition: str = "<",
    level: float = 0.95,
    numerator: str = "numerator",
    denominator: str = "denominator",
) -> pl.LazyFrame:
    """Add each seller's shrunken rate, its credible interval and P(missing the target).

    Parameters
    ----------
    frame
        One row per seller with integer ``numerator`` and ``denominator``; other columns are
        kept.
    prior
        From :func:`fit_beta_binomial` (usually on the same sellers).
    target, condition
        The metric's target and Amazon condition: ``"<"`` means the rate must stay below
        the target (defect rates), ``">"`` above it (valid tracking, on-time delivery).
        Without a target ``prob_miss`` is null.
    level
        Probability of the equal-tailed credible interval.

    Returns
    -------
    pl.LazyFrame
        The input plus ``shrunk_rate`` (posterior mean ``(x + alpha) / (n + alpha + beta)``),
        ``shrunk_low`` and ``shrunk_high`` (posterior quantiles ``(1 - level) / 2`` and
        ``(1 + level) / 2``) and ``prob_miss``: the posterior probability that the seller's
        true rate is on the wrong side of the target (``P(rate > target)`` for ``<``,
        ``P(rate < target)`` for ``>``). A seller with denominator 0 gets the prior's
        values; null counts give nulls.

    Examples
    --------
    >>> sellers = pl.DataFrame({
    ...     "seller_id": ["A", "B", "C", "D", "E", "F"],
    ...     "numerator": [1, 0, 25, 3, 14, 9],
    ...     "denominator": [10, 40, 300, 150, 120, 900],
    ... })
    >>> prior = fit_beta_binomial(sellers)
    >>> round(prior.alpha, 3), round(prior.beta, 3)
    (1.18, 21.978)

    Seller A's raw rate is 10 % (1 of 10) but it is shrunk to 6.6 %; F keeps close to its
    raw 1 % because 900 orders say a lot. With a 4 % target, C and E almost surely miss:

    >>> shrunk = shrink_rates(sellers.lazy(), prior=prior, target=0.04, condition="<")
    >>> shrunk.select(pl.col("seller_id"), pl.exclude("seller_id").round(4)).collect()
    shape: (6, 7)
    ┌───────────┬───────────┬─────────────┬─────────────┬────────────┬─────────────┬───────────┐
    │ seller_id ┆ numerator ┆ denominator ┆ shrunk_rate ┆ shrunk_low ┆ shrunk_high ┆ prob_miss │
    │ ---       ┆ ---       ┆ ---         ┆ ---         ┆ ---        ┆ ---         ┆ ---       │
    │ str       ┆ i64       ┆ i64         ┆ f64         ┆ f64        ┆ f64         ┆ f64       │
    ╞═══════════╪═══════════╪═════════════╪═════════════╪════════════╪═════════════╪═══════════╡
    │ A         ┆ 1         ┆ 10          ┆ 0.0657      ┆ 0.0095     ┆ 0.17        ┆ 0.6837    │
    │ B         ┆ 0         ┆ 40          ┆ 0.0187      ┆ 0.0008     ┆ 0.0633      ┆ 0.1073    │
    │ C         ┆ 25        ┆ 300         ┆ 0.081       ┆ 0.0539     ┆ 0.1131      ┆ 0.9994    │
    │ D         ┆ 3         ┆ 150         ┆ 0.0241      ┆ 0.0069     ┆ 0.0516      ┆ 0.0974    │
    │ E         ┆ 14        ┆ 120         ┆ 0.106       ┆ 0.0612     ┆ 0.1612      ┆ 0.9995    │
    │ F         ┆ 9         ┆ 900         ┆ 0.011       ┆ 0.0053     ┆ 0.0187      ┆ 0.0       │
    └───────────┴───────────┴─────────────┴─────────────┴────────────┴─────────────┴───────────┘
    """
    choice(condition, "condition", ("<", ">"))
    level = proportion(level, "level")
    goal = None if target is None else proportion(target, "target")
    x = pl.col(numerator).cast(pl.Float64)
    n = pl.col(denominator).cast(pl.Float64)
    a = (x + prior.alpha).alias("a")
    b = (n - x + prior.beta).alias("b")
    tail = (1.0 - level) / 2.0
    if goal is None:
        miss = pl.lit(None, pl.Float64)
    else:
        miss = pl.map_batches(
            [a, b],
            _beta_call("sf" if condition == "<" else "cdf", goal),
            return_dtype=pl.Float64,
            is_elementwise=True,
        )
    return frame.with_columns(
        shrunk_rate=a / (a + b),
        shrunk_low=pl.map_batches(
            [a, b], _beta_call("ppf", tail), return_dtype=pl.Float64, is_elementwise=True
        ),
        shrunk_high=pl.map_batches(
            [a, b], _beta_call("ppf", 1.0 - tail), return_dtype=pl.Float64, is_elementwise=True
        ),
        prob_miss=miss,
    )
