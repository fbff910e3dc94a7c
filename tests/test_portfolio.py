"""Portfolio statistics against reference values: funnel limits, over-dispersion, EB, p-chart.

Where the expected numbers come from:
- exact funnel limits: Spiegelhalter (2005a, appendix A.1.1) interpolation, rebuilt here
  from exact rational binomial probabilities (``fractions.Fraction`` and ``math.comb``) and,
  for one case, from probabilities written out by hand; also from ``scipy.stats.binom.ppf``
  with the interpolation written in the test;
- normal limits: literals, chosen so that ``sqrt(p0 (1 - p0) / n)`` is a round number;
- over-dispersion: a ten-seller case worked by hand below (z-scores, R type-7 percentiles
  as FunnelPlotR's ``winsorisation`` uses, phi, the DerSimonian-Laird tau2 as FunnelPlotR's
  ``tau_func``), and the chi-square tail in closed form for an even df;
- empirical Bayes: a direct ``scipy.optimize.minimize`` of ``scipy.stats.betabinom.logpmf``
  (another parameterisation, another optimiser, no gradient), known parameters recovered
  from a large simulated data set with a fixed seed, and closed-form Beta(1, b) and
  Beta(a, 1) posteriors;
- p-chart: limits that are round numbers by construction.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import optimize, stats

from toolkit.portfolio import (
    BetaPrior,
    fit_beta_binomial,
    funnel_limits,
    funnel_points,
    overdispersion,
    p_chart,
    shrink_rates,
    z_for_level,
)

Z95, Z998 = 1.959963984540054, 3.090232306167813


# ----------------------------------------------------------------------------- funnel limits


def exact_limit_by_fractions(n: int, p0: Fraction, q: Fraction) -> float:
    """Spiegelhalter's interpolated quantile from exact rational binomial probabilities."""
    below = Fraction(0)
    for r in range(n + 1):
        at = below + math.comb(n, r) * p0**r * (1 - p0) ** (n - r)
        if at >= q:
            fraction = (at - q) / (at - below)
            return max(0.0, float((r - fraction) / n))
        below = at
    raise AssertionError("the cdf never reached q")


def test_z_for_the_two_spiegelhalter_levels():
    assert z_for_level(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_for_level(0.998) == pytest.approx(3.090232, abs=1e-6)


def test_exact_limits_worked_by_hand_for_ten_orders_at_ten_percent():
    # Binomial(10, 0.1): P(R<=2) = 0.9298091736, P(R=3) = 120 * 0.1^3 * 0.9^7 = 0.057395628,
    # P(R<=3) = 0.9872048016, P(R=5) = 252 * 0.1^5 * 0.9^5 = 0.0014880348,
    # P(R<=5) = 0.9998530974, P(R=0) = 0.9^10 = 0.3486784401.
    upper_95 = (3 - (0.9872048016 - 0.975) / 0.057395628) / 10  # r = 3 at q = 0.975
    upper_998 = (5 - (0.9998530974 - 0.999) / 0.0014880348) / 10  # r = 5 at q = 0.999
    # lower: r = 0 at both levels, (0 - a) / 10 < 0, clipped to 0
    got = funnel_limits([10], p0=0.1).sort("level")
    expected = pl.DataFrame(
        {
            "n": [10, 10],
            "level": [0.95, 0.998],
            "lower": [0.0, 0.0],
            "upper": [upper_95, upper_998],
            "limits": ["exact", "exact"],
        }
    )
    assert_frame_equal(got, expected, rel_tol=1e-9)
    assert got["upper"][0] == pytest.approx(0.278736, abs=1e-6)


@pytest.mark.parametrize(
    ("n", "p0"),
    [
        pytest.param(10, Fraction(1, 10), id="ten orders at a ten percent target"),
        pytest.param(100, Fraction(1, 10), id="a hundred orders, lower limit above zero"),
        pytest.param(400, Fraction(4, 100), id="late shipment target with four hundred orders"),
        pytest.param(1000, Fraction(1, 100), id="order defect target with a thousand orders"),
        pytest.param(37, Fraction(1, 2), id="odd n at one half"),
        pytest.param(60, Fraction(95, 100), id="valid tracking target near one"),
        pytest.param(1, Fraction(1, 100), id="a single order"),
    ],
)
def test_exact_limits_match_exact_rational_binomial_quantiles(n, p0):
    got = funnel_limits([n], p0=p0).sort("level")
    expected = [
        (
            exact_limit_by_fractions(n, p0, Fraction(1, 40)),
            exact_limit_by_fractions(n, p0, Fraction(39, 40)),
        ),
        (
            exact_limit_by_fractions(n, p0, Fraction(1, 1000)),
            exact_limit_by_fractions(n, p0, Fraction(999, 1000)),
        ),
    ]
    assert list(zip(got["lower"], got["upper"], strict=True)) == [
        pytest.approx(pair, rel=1e-9, abs=1e-12) for pair in expected
    ]


def test_exact_limits_match_a_scipy_ppf_construction_on_every_n_up_to_500():
    p0, q = 0.04, 0.975
    ns = np.arange(1, 501)
    r = stats.binom.ppf(q, ns, p0)
    at = stats.binom.cdf(r, ns, p0)
    below = stats.binom.cdf(r - 1, ns, p0)
    expected = np.clip((r - (at - q) / (at - below)) / ns, 0, 1)
    got = funnel_limits(ns.tolist(), p0=p0, levels=[0.95])
    np.testing.assert_allclose(got["upper"].to_numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("p0", "n", "lower_95", "upper_95", "lower_998", "upper_998"),
    [
        # s = sqrt(0.25 / 100) = 0.05
        pytest.param(0.5, 100, 0.4020018, 0.5979982, 0.3454884, 0.6545116, id="s of 0.05"),
        # s = sqrt(0.16 / 400) = 0.02
        pytest.param(0.2, 400, 0.1608007, 0.2391993, 0.1381954, 0.2618046, id="s of 0.02"),
        # s = sqrt(0.0099 / 100) = 0.0099499: the lower limits are negative, clipped to 0
        pytest.param(0.01, 100, 0.0, 0.0295014, 0.0, 0.0407474, id="lower limit clipped at 0"),
    ],
)
def test_normal_limits_are_literals(p0, n, lower_95, upper_95, lower_998, upper_998):
    got = funnel_limits([n], p0=p0, method="normal").sort("level")
    expected = pl.DataFrame(
        {
            "n": [n, n],
            "level": [0.95, 0.998],
            "lower": [lower_95, lower_998],
            "upper": [upper_95, upper_998],
            "limits": ["normal", "normal"],
        }
    )
    assert_frame_equal(got, expected, abs_tol=1e-7, rel_tol=0)


def test_exact_and_normal_limits_agree_at_large_volume():
    exact = funnel_limits([200_000], p0=0.04)
    normal = funnel_limits([200_000], p0=0.04, method="normal")
    np.testing.assert_allclose(exact["upper"], normal["upper"], rtol=2e-4)
    np.testing.assert_allclose(exact["lower"], normal["lower"], rtol=2e-4)


def test_limits_frame_is_long_and_sorted_by_level_then_n():
    got = funnel_limits([300, 20, 5], p0=Fraction(1, 100))
    assert got.columns == ["n", "level", "lower", "upper", "limits"]
    assert got["n"].to_list() == [5, 20, 300, 5, 20, 300]
    assert got["level"].to_list() == [0.95] * 3 + [0.998] * 3
    assert (got["lower"] <= got["upper"]).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"p0": 0}, "p0 must be", id="target of zero"),
        pytest.param({"p0": 1.5}, "p0 must be", id="target above one"),
        pytest.param({"p0": "a"}, "got 'a'", id="target that is not a number"),
        pytest.param({"p0": 0.1, "levels": []}, "levels is empty", id="no levels"),
        pytest.param({"p0": 0.1, "levels": [1.0]}, "every level", id="level of one"),
        pytest.param({"p0": 0.1, "method": "wald"}, "got 'wald'", id="unknown method"),
        pytest.param({"p0": 0.1, "adjust": "both"}, "got 'both'", id="unknown adjustment"),
    ],
)
def test_bad_limit_options_are_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        funnel_limits([10], **kwargs)


@pytest.mark.parametrize("ns", [[0, 10], [], [None]], ids=["zero", "empty", "null"])
def test_denominators_must_be_positive(ns):
    with pytest.raises(ValueError, match="n_values"):
        funnel_limits(ns, p0=0.1)


# ----------------------------------------------------------------------------- over-dispersion

# p0 = 0.2, so p0 (1 - p0) = 0.16 and s = 0.04 at n = 100, 0.02 at n = 400, 0.08 at n = 25.
TEN = pl.LazyFrame(
    {
        "seller_id": list("ABCDEFGHIJ"),
        "numerator": [20, 30, 10, 88, 72, 100, 9, 1, 40, 5],
        "denominator": [100, 100, 100, 400, 400, 400, 25, 25, 100, 100],
    }
)
# z-scores: 0, 2.5, -2.5, 1, -1, 2.5, 2, -2, 5, -3.75; sorted:
# -3.75, -2.5, -2, -1, 0, 1, 2, 2.5, 2.5, 5.
# 10th percentile (type 7, h = 0.9): -3.75 + 0.9 * 1.25 = -2.625
# 90th percentile (h = 8.1): 2.5 + 0.1 * 2.5 = 2.75
# winsorised: J -3.75 -> -2.625, I 5 -> 2.75; sum of squares:
# 0 + 6.25 + 6.25 + 1 + 1 + 6.25 + 4 + 4 + 7.5625 + 6.890625 = 43.203125
STATISTIC = 43.203125
PHI = STATISTIC / 10
# w = n / 0.16: 625 (n = 100, five sellers), 2500 (n = 400, three), 156.25 (n = 25, two)
SUM_W = 5 * 625 + 3 * 2500 + 2 * 156.25  # 10937.5
SUM_W2 = 5 * 625**2 + 3 * 2500**2 + 2 * 156.25**2  # 20751953.125
TAU2 = (STATISTIC - 9) / (SUM_W - SUM_W2 / SUM_W)  # 0.0037834...


def chi2_tail_even_df(x: float, df: int) -> float:
    """P(chi2_df >= x) for even df: exp(-x/2) sum_{j < df/2} (x/2)^j / j!."""
    half = x / 2
    return math.exp(-half) * sum(half**j / math.factorial(j) for j in range(df // 2))


def test_overdispersion_of_the_hand_worked_ten_sellers():
    got = overdispersion(TEN, p0=0.2).collect()
    expected = pl.DataFrame(
        {
            "sellers": [10],
            "phi": [PHI],
            "statistic": [STATISTIC],
            "df": [10],
            "p_value": [chi2_tail_even_df(STATISTIC, 10)],
            "overdispersed": [True],
            "tau2": [TAU2],
        }
    )
    assert_frame_equal(got, expected, rel_tol=1e-9)
    assert got["tau2"].item() == pytest.approx(0.0037834, rel=1e-4)


def test_without_winsorising_phi_is_the_plain_mean_square():
    # 0 + 6.25 + 6.25 + 1 + 1 + 6.25 + 4 + 4 + 25 + 14.0625 = 67.8125
    got = overdispersion(TEN, p0=0.2, winsor=0).collect()
    assert got["phi"].item() == pytest.approx(6.78125, rel=1e-12)


def test_sellers_without_orders_are_left_out_of_the_estimate():
    extra = pl.LazyFrame({"seller_id": ["K"], "numerator": [0], "denominator": [0]})
    with_empty = overdispersion(pl.concat([TEN, extra]), p0=0.2)
    assert_frame_equal(with_empty, overdispersion(TEN, p0=0.2))


@pytest.mark.parametrize(
    ("numerators", "denominators", "expected"),
    [
        pytest.param(
            [4, 8, 16],
            [100, 200, 400],
            {"sellers": 3, "phi": 0.0, "p_value": 1.0, "overdispersed": False, "tau2": 0.0},
            id="every seller exactly at the target",
        ),
        pytest.param(
            [40],
            [100],
            {"sellers": 1, "phi": 337.5, "overdispersed": False, "tau2": 0.0},
            id="one seller is never called over-dispersed",
        ),
        pytest.param(
            [0, 0],
            [0, 0],
            {"sellers": 0, "phi": None, "p_value": None, "overdispersed": False, "tau2": 0.0},
            id="no seller with orders",
        ),
    ],
)
def test_overdispersion_edges(numerators, denominators, expected):
    frame = pl.LazyFrame({"numerator": numerators, "denominator": denominators})
    got = overdispersion(frame, p0=0.04).collect().row(0, named=True)
    for name, value in expected.items():
        assert got[name] == (pytest.approx(value) if isinstance(value, float) else value), name


def test_overdispersion_agrees_with_a_numpy_formulation_on_random_sellers():
    rng = np.random.default_rng(7)
    n = rng.integers(1, 2000, 300)
    x = rng.binomial(n, rng.beta(2, 40, 300))
    p0 = 0.05
    z = (x / n - p0) / np.sqrt(p0 * (1 - p0) / n)
    zw = np.clip(z, *np.quantile(z, [0.1, 0.9]))
    w = n / (p0 * (1 - p0))
    stat = float(np.sum(zw**2))
    tau2 = max(0.0, (stat - 299) / (w.sum() - (w**2).sum() / w.sum()))
    got = overdispersion(pl.LazyFrame({"numerator": x, "denominator": n}), p0=p0).collect()
    assert got.row(0) == (
        300,
        pytest.approx(stat / 300, rel=1e-10),
        pytest.approx(stat, rel=1e-10),
        300,
        pytest.approx(stats.chi2.sf(stat, 300), rel=1e-8),
        True,
        pytest.approx(tau2, rel=1e-10),
    )


# ----------------------------------------------------------------------------- funnel points


@pytest.mark.parametrize(
    ("adjust", "statuses"),
    [
        pytest.param("none", {"I": "above", "J": "below"}, id="plain limits flag I and J"),
        pytest.param("additive", {}, id="additive widening brings everyone inside"),
        pytest.param("multiplicative", {}, id="multiplicative widening brings everyone inside"),
    ],
)
def test_funnel_statuses_of_the_ten_sellers_at_99_8(adjust, statuses):
    got = funnel_points(TEN, p0=0.2, levels=[0.998], method="normal", adjust=adjust).collect()
    flagged = {
        s: st for s, st in zip(got["seller_id"], got["status"], strict=True) if st != "inside"
    }
    assert flagged == statuses


def test_additive_limits_are_the_hand_computed_ones():
    got = (
        funnel_points(TEN, p0=0.2, levels=[0.95])
        .filter(pl.col("seller_id").is_in(["A", "D", "G"]))
        .select("seller_id", "lower", "upper", "limits")
        .collect()
        .sort("seller_id")
    )
    half = [Z95 * math.sqrt(s2 + TAU2) for s2 in (0.0016, 0.0004, 0.0064)]
    expected = pl.DataFrame(
        {
            "seller_id": ["A", "D", "G"],
            "lower": [max(0.0, 0.2 - h) for h in half],
            "upper": [0.2 + h for h in half],
            "limits": ["additive"] * 3,
        }
    )
    assert_frame_equal(got, expected, rel_tol=1e-9)


def test_multiplicative_limits_scale_the_standard_error_by_root_phi():
    got = (
        funnel_points(TEN, p0=0.2, levels=[0.998], adjust="multiplicative")
        .filter(pl.col("seller_id") == "D")
        .select("lower", "upper", "limits")
        .collect()
    )
    half = Z998 * math.sqrt(PHI) * 0.02
    assert got.row(0) == (pytest.approx(0.2 - half), pytest.approx(0.2 + half), "multiplicative")


def test_points_and_drawn_limits_agree():
    dispersion = overdispersion(TEN, p0=0.2)
    lines = funnel_limits([25, 100, 400], p0=0.2, dispersion=dispersion)
    assert_frame_equal(
        funnel_limits([25, 100, 400], p0=0.2, dispersion=dispersion.collect()), lines
    )
    points = (
        funnel_points(TEN, p0=0.2)
        .group_by("denominator", "level")
        .agg(pl.col("lower", "upper", "limits").first())
        .rename({"denominator": "n"})
        .select(lines.columns)
    )
    assert_frame_equal(points.collect(), lines, check_row_order=False)


def test_no_adjustment_when_sellers_vary_only_by_chance():
    calm = pl.LazyFrame(
        {
            "seller_id": ["A", "B", "C", "D"],
            "numerator": [4, 9, 15, 3],
            "denominator": [100, 200, 400, 100],
        }
    )
    got = funnel_points(calm, p0=0.04).collect()
    assert set(got["limits"]) == {"exact"}
    plain = funnel_points(calm, p0=0.04, adjust="none").collect()
    assert_frame_equal(got, plain, check_row_order=False)


def test_points_keep_keys_and_replace_a_metrics_tables_rate_and_status():
    table = pl.LazyFrame(
        {
            "seller_id": ["S1", "S2", "S3"],
            "channel": ["mfn", "mfn", "mfn"],
            "numerator": [0, 3, 1],
            "denominator": [0, 50, 80],
            "rate": [None, 0.06, 0.0125],
            "status": ["no_data", "bad", "good"],
        }
    )
    got = (
        funnel_points(table, p0=0.04, keys=["seller_id", "channel"], levels=[0.95])
        .collect()
        .sort("seller_id")
    )
    assert got.columns == [
        "seller_id",
        "channel",
        "numerator",
        "denominator",
        "rate",
        "z",
        "level",
        "lower",
        "upper",
        "limits",
        "status",
    ]
    assert got["status"].to_list() == ["no_data", "inside", "inside"]
    assert got.row(0, named=True)["z"] is None
    assert got.row(0, named=True)["lower"] is None
    assert got["rate"].to_list() == [None, 0.06, 0.0125]


def test_one_row_per_seller_and_level():
    got = funnel_points(TEN, p0=0.2).collect()
    assert got.height == 20
    assert got.group_by("level").len().sort("level")["len"].to_list() == [10, 10]


# ----------------------------------------------------------------------------- empirical Bayes

SMALL = pl.DataFrame(
    {
        "seller_id": [f"S{i}" for i in range(12)],
        "numerator": [0, 1, 3, 2, 9, 0, 14, 5, 1, 7, 30, 4],
        "denominator": [15, 40, 90, 120, 150, 60, 200, 310, 25, 95, 600, 45],
    }
)


def reference_fit(x: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Nelder-Mead on log(alpha), log(beta) of -sum scipy.stats.betabinom.logpmf."""

    def negative(theta):
        return -np.sum(stats.betabinom.logpmf(x, n, math.exp(theta[0]), math.exp(theta[1])))

    result = optimize.minimize(
        negative,
        np.array([0.0, 3.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    return math.exp(result.x[0]), math.exp(result.x[1])


def test_beta_binomial_mle_matches_a_direct_scipy_fit():
    x, n = SMALL["numerator"].to_numpy(), SMALL["denominator"].to_numpy()
    alpha, beta = reference_fit(x, n)
    prior = fit_beta_binomial(SMALL)
    assert (prior.method, prior.at_bound, prior.converged, prior.sellers) == (
        "mle",
        False,
        True,
        12,
    )
    assert prior.alpha == pytest.approx(alpha, rel=1e-4)
    assert prior.beta == pytest.approx(beta, rel=1e-4)
    reference = float(np.sum(stats.betabinom.logpmf(x, n, alpha, beta)))
    assert prior.log_likelihood == pytest.approx(reference, abs=1e-7)


def test_beta_binomial_mle_recovers_simulated_parameters():
    # 2000 sellers, 50..1000 orders, true rates from Beta(2, 48): mean 0.04, concentration
    # 50. Over 20 seeds the fit's spread was about 0.0005 (mean), 1.8 (concentration) and
    # 0.063 (alpha); the tolerances are four of those.
    rng = np.random.default_rng(20250301)
    n = rng.integers(50, 1001, 2000)
    x = rng.binomial(n, rng.beta(2.0, 48.0, 2000))
    prior = fit_beta_binomial(pl.DataFrame({"numerator": x, "denominator": n}))
    assert prior.mean == pytest.approx(0.04, abs=0.002)
    assert prior.concentration == pytest.approx(50, abs=7.5)
    assert prior.alpha == pytest.approx(2.0, abs=0.25)


def test_sellers_without_orders_do_not_change_the_fit():
    empty = pl.DataFrame({"seller_id": ["Z1", "Z2"], "numerator": [0, 0], "denominator": [0, 0]})
    assert fit_beta_binomial(pl.concat([SMALL, empty])) == fit_beta_binomial(SMALL)


@pytest.mark.parametrize(
    ("numerators", "denominators", "alpha", "beta"),
    [
        pytest.param([0, 0, 0], [50, 100, 250], 0.5, 400.5, id="no defect anywhere"),
        pytest.param([20, 50], [20, 50], 70.5, 0.5, id="every order bad"),
        pytest.param([3], [100], 3.5, 97.5, id="a single seller"),
        pytest.param([0, 3], [0, 100], 3.5, 97.5, id="a single seller with orders"),
    ],
)
def test_pooled_fallback_is_the_jeffreys_posterior_of_the_pooled_rate(
    numerators, denominators, alpha, beta
):
    prior = fit_beta_binomial(pl.DataFrame({"numerator": numerators, "denominator": denominators}))
    assert (prior.method, prior.alpha, prior.beta) == ("pooled", alpha, beta)


def test_identical_rates_pool_completely_at_the_concentration_bound():
    frame = pl.DataFrame({"numerator": [2, 4, 6, 8], "denominator": [100, 200, 300, 400]})
    prior = fit_beta_binomial(frame)
    assert (prior.method, prior.at_bound, prior.converged) == ("mle", True, True)
    assert prior.concentration == pytest.approx(1001, rel=1e-9)  # total orders + 1
    assert prior.mean == pytest.approx(0.02, rel=0.03)  # near the pooled 2 %


@pytest.mark.parametrize(
    ("numerators", "denominators", "shown"),
    [
        pytest.param([5, 11], [10, 10], "row 1: 11/10", id="more bad than orders"),
        pytest.param([-1, 0], [10, 10], "row 0: -1/10", id="negative count"),
        pytest.param([1, None], [10, 10], "row 1: None/10", id="missing count"),
    ],
)
def test_impossible_counts_are_errors(numerators, denominators, shown):
    frame = pl.DataFrame(
        {"numerator": numerators, "denominator": denominators},
        schema={"numerator": pl.Int64, "denominator": pl.Int64},
    )
    with pytest.raises(ValueError, match=shown):
        fit_beta_binomial(frame)


def prior_of(alpha: float, beta: float) -> BetaPrior:
    return BetaPrior(alpha, beta, "mle", 0, False, True, 0.0)


def test_shrunk_rate_interval_and_miss_probability_in_closed_form():
    # Beta(1, 9) prior; seller 0/10 -> Beta(1, 19): mean 1/20, cdf(t) = 1 - (1 - t)^19,
    # quantile(q) = 1 - (1 - q)^(1/19); P(rate > 0.1) = 0.9^19.
    # seller 4/40 -> Beta(5, 45): mean 5/50; seller with no orders keeps the prior: 1/10 and
    # P(rate > 0.1) = 0.9^9.
    frame = pl.LazyFrame(
        {"seller_id": ["A", "B", "C"], "numerator": [0, 4, 0], "denominator": [10, 40, 0]}
    )
    got = shrink_rates(frame, prior=prior_of(1, 9), target=0.1, condition="<").collect()
    a = got.filter(pl.col("seller_id") == "A").row(0, named=True)
    assert a["shrunk_rate"] == pytest.approx(1 / 20)
    assert a["shrunk_low"] == pytest.approx(1 - 0.975 ** (1 / 19))
    assert a["shrunk_high"] == pytest.approx(1 - 0.025 ** (1 / 19))
    assert a["prob_miss"] == pytest.approx(0.9**19)
    c = got.filter(pl.col("seller_id") == "C").row(0, named=True)
    assert (c["shrunk_rate"], c["prob_miss"]) == (pytest.approx(0.1), pytest.approx(0.9**9))
    b = got.filter(pl.col("seller_id") == "B").row(0, named=True)
    assert b["shrunk_rate"] == pytest.approx(0.1)
    assert b["prob_miss"] == pytest.approx(stats.beta.sf(0.1, 5, 45))


def test_greater_is_better_metrics_miss_below_the_target():
    # valid tracking, target > 0.95. Beta(9, 1) prior; seller 10/10 -> Beta(19, 1):
    # cdf(t) = t^19, so P(rate < 0.95) = 0.95^19; quantile(q) = q^(1/19).
    frame = pl.LazyFrame({"numerator": [10], "denominator": [10]})
    got = shrink_rates(frame, prior=prior_of(9, 1), target=0.95, condition=">", level=0.9)
    row = got.collect().row(0, named=True)
    assert row["shrunk_rate"] == pytest.approx(19 / 20)
    assert row["prob_miss"] == pytest.approx(0.95**19)
    assert (row["shrunk_low"], row["shrunk_high"]) == (
        pytest.approx(0.05 ** (1 / 19)),
        pytest.approx(0.95 ** (1 / 19)),
    )


def test_shrinking_keeps_rows_and_columns_and_needs_no_target():
    frame = SMALL.lazy().with_columns(metric=pl.lit("odr"))
    got = shrink_rates(frame, prior=fit_beta_binomial(SMALL)).collect()
    assert got.columns == [
        *SMALL.columns,
        "metric",
        "shrunk_rate",
        "shrunk_low",
        "shrunk_high",
        "prob_miss",
    ]
    assert got.height == 12
    assert got["prob_miss"].null_count() == 12
    assert (got["shrunk_low"] <= got["shrunk_rate"]).all()
    assert (got["shrunk_rate"] <= got["shrunk_high"]).all()


def test_small_sellers_move_further_toward_the_prior_mean():
    prior = prior_of(2, 48)  # mean 0.04
    frame = pl.LazyFrame({"numerator": [1, 100], "denominator": [10, 1000]})  # both 10 %
    got = shrink_rates(frame, prior=prior).collect()["shrunk_rate"].to_list()
    assert got == [pytest.approx(3 / 60), pytest.approx(102 / 1050)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"condition": "<="}, "condition", id="unknown condition"),
        pytest.param({"target": 1.2}, "target", id="target above one"),
        pytest.param({"level": 95}, "level", id="level given in percent"),
    ],
)
def test_bad_shrink_options_are_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        shrink_rates(SMALL.lazy(), prior=prior_of(1, 9), **kwargs)


# ----------------------------------------------------------------------------- p-chart


def daily_frame() -> pl.LazyFrame:
    # centre 75 / 750 = 0.1, so 3 sqrt(0.09 / n) = 0.9 / sqrt(n):
    # n = 100 -> 0.09, 400 -> 0.045, 25 -> 0.18, 225 -> 0.06.
    return pl.LazyFrame(
        {
            "date": [
                date(2025, 3, 3),  # Monday
                date(2025, 3, 9),  # Sunday: same ISO week
                date(2025, 3, 10),
                date(2025, 3, 14),
                date(2025, 3, 17),
                date(2025, 3, 31),  # nothing in the week of 24 March
                date(2025, 4, 6),
            ],
            "numerator": [1, 3, 40, 20, 3, 5, 3],
            "denominator": [60, 40, 300, 100, 25, 125, 100],
        }
    )


def test_p_chart_limits_are_literals():
    got = p_chart(daily_frame()).collect()
    expected = pl.DataFrame(
        {
            "week": [
                date(2025, 3, 3),
                date(2025, 3, 10),
                date(2025, 3, 17),
                date(2025, 3, 24),
                date(2025, 3, 31),
            ],
            "numerator": [4, 60, 3, 0, 8],
            "denominator": [100, 400, 25, 0, 225],
            "rate": [0.04, 0.15, 0.12, None, 8 / 225],
            "centre": [0.1] * 5,
            "lower": [0.01, 0.055, 0.0, None, 0.04],
            "upper": [0.19, 0.145, 0.28, None, 0.16],
            "status": ["inside", "above", "inside", "no_data", "below"],
            "out_of_control": [False, True, False, False, True],
        }
    )
    assert_frame_equal(got, expected, rel_tol=1e-12, abs_tol=1e-15)


def test_p_chart_gives_each_seller_its_own_centre_line():
    one = daily_frame().with_columns(seller_id=pl.lit("S1"))
    other = pl.LazyFrame(
        {"seller_id": ["S2"], "date": [date(2025, 3, 12)], "numerator": [1], "denominator": [4]}
    )
    got = p_chart(pl.concat([one, other], how="diagonal"), keys=["seller_id"]).collect()
    assert got.columns[:2] == ["seller_id", "week"]
    centres = got.group_by("seller_id").agg(pl.col("centre").first()).sort("seller_id")
    assert centres["centre"].to_list() == [pytest.approx(0.1), pytest.approx(0.25)]
    assert got.filter(pl.col("seller_id") == "S2").height == 1


def test_p_chart_without_defects_stays_inside():
    frame = pl.LazyFrame(
        {"date": [date(2025, 3, 3), date(2025, 3, 10)], "numerator": [0, 0], "denominator": [9, 0]}
    )
    got = p_chart(frame).collect()
    assert got["status"].to_list() == ["inside", "no_data"]
    assert got.row(0, named=True)["upper"] == 0.0


def test_p_chart_accepts_utc_timestamps_and_other_column_names():
    frame = pl.LazyFrame(
        {
            "day": [datetime(2025, 3, 9, 23, 59, tzinfo=UTC), datetime(2025, 3, 10, tzinfo=UTC)],
            "defects": [1, 1],
            "orders": [10, 10],
        }
    )
    got = p_chart(frame, date="day", numerator="defects", denominator="orders").collect()
    assert got.columns[:4] == ["week", "defects", "orders", "rate"]
    assert got["week"].to_list() == [date(2025, 3, 3), date(2025, 3, 10)]


@pytest.mark.parametrize("sigmas", [0, -3], ids=["zero sigmas", "negative sigmas"])
def test_p_chart_needs_positive_sigmas(sigmas):
    with pytest.raises(ValueError, match="sigmas"):
        p_chart(daily_frame(), sigmas=sigmas)


def test_the_spec_ten_order_example_on_the_funnel():
    # definitions section 4.1: 1 defect in 10 orders against the 1 % ODR target. Binomial(10, 0.01):
    # P(R=0) = 0.99^10, P(R=1) = 10 * 0.01 * 0.99^9; r = 1 at q = 0.975, so the 95 % upper
    # limit is (1 - (P(R<=1) - 0.975) / P(R=1)) / 10 = 0.0773: the seller's 10 % is above
    # it, although P(X >= 1) = 0.096 (bad_low_volume in the metrics table); the 99.8 %
    # limit (r = 2) is 0.1787 and the seller is inside it.
    p_zero, p_one = 0.99**10, 10 * 0.01 * 0.99**9
    upper_95 = (1 - (p_zero + p_one - 0.975) / p_one) / 10
    seller = pl.LazyFrame({"seller_id": ["S"], "numerator": [1], "denominator": [10]})
    got = funnel_points(seller, p0=0.01).collect().sort("level")
    assert got["status"].to_list() == ["above", "inside"]
    assert got["upper"][0] == pytest.approx(upper_95, rel=1e-9)
    assert got["upper"][1] == pytest.approx(0.178659, abs=1e-6)


def test_winsorised_phi_under_pure_chance_matches_normal_theory():
    # With 10 % winsorising, E[phi] for standard normal z-scores is
    # 2 (Phi(c) - 1/2 - c phi(c)) + 2 (0.1) c^2 with c = Phi^-1(0.9): about 0.679, not 1.
    # 20000 sellers with 2000..5000 orders each, all truly at the 4 % target.
    c = stats.norm.ppf(0.9)
    expected = 2 * (stats.norm.cdf(c) - 0.5 - c * stats.norm.pdf(c)) + 0.2 * c**2
    rng = np.random.default_rng(11)
    n = rng.integers(2000, 5001, 20_000)
    frame = pl.LazyFrame({"numerator": rng.binomial(n, 0.04), "denominator": n})
    got = overdispersion(frame, p0=0.04).collect().row(0, named=True)
    assert got["phi"] == pytest.approx(expected, abs=0.02)
    assert (got["overdispersed"], got["tau2"]) == (False, 0.0)


def test_exact_limits_hold_their_nominal_levels_for_sellers_at_the_target():
    # 20000 sellers with 1..5000 orders, all truly at 4 %: about 5 % should fall outside the
    # 95 % lines and 0.2 % outside the 99.8 % lines (bounds: four binomial standard errors).
    rng = np.random.default_rng(3)
    n = rng.integers(1, 5000, 20_000)
    frame = pl.LazyFrame(
        {"seller_id": np.arange(20_000), "numerator": rng.binomial(n, 0.04), "denominator": n}
    )
    got = funnel_points(frame, p0=0.04, adjust="none").collect()
    outside = got.group_by("level").agg((pl.col("status") != "inside").mean()).sort("level")
    share_95, share_998 = outside["status"].to_list()
    assert 0.044 < share_95 < 0.056
    assert 0.0008 < share_998 < 0.0032
