"""Calibrating the unofficial IPI proxy against the scores a seller saw (definitions section 11).

The proxy is ``1000 * sum(w * s) / sum(w)`` over the component scores ``s``. Only the
weights' shares matter, so the fit looks for non-negative weights **that add up to 1**
minimising the squared differences between the proxy and the observed scores
(``ipi_observed``): a non-negative least-squares fit on the simplex. With four components
there are fifteen non-empty sets of weights that may be above zero; for each set the
equality-constrained least-squares solution comes from one small linear system, and the
best feasible one (all weights >= 0) is the exact optimum. Deterministic, no iterations,
no tolerance to tune.

Amazon computes every seller's IPI the same way, so the observed points of all sellers of
one marketplace are fitted together; pass one seller's data for that seller's own fit.
A point whose marketplace uses a component with no data on that date is skipped (the
proxy drops such a component, which the linear fit cannot); too few points left is an
error that says how many there are.

This function computes (it collects the components at the observed dates): the fit needs
the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

import numpy as np
import polars as pl

from toolkit.inventory.scores import IPI_SCALE
from toolkit.inventory.tables import inventory_table
from toolkit.model.data import DataError, Dataset, InputError
from toolkit.model.policy import INVENTORY_COMPONENTS, Policy, load_policy

__all__ = ["FIT_COLUMNS", "Calibration", "calibrate_proxy", "fit_simplex_weights"]

#: Columns of :attr:`Calibration.fit`.
FIT_COLUMNS = [
    "marketplace",
    *(f"w_{c}" for c in INVENTORY_COMPONENTS),
    "points",
    "skipped",
    "mae",
    "r_squared",
]
_DECIMALS = 4
_COMPONENT_VALUES = list(INVENTORY_COMPONENTS)


@dataclass(frozen=True)
class Calibration:
    """Fitted proxy weights per marketplace, and how well they fit.

    ``weights`` maps each marketplace to exact weights (rounded to four decimals; pass it
    as ``by_market=`` to the inventory tables). ``fit`` has one row per marketplace with
    :data:`FIT_COLUMNS`: the weights, ``points`` used, ``skipped`` (a component had no
    data), the mean absolute error and R squared of the proxy with those weights (before
    rounding to an integer; R squared null when every observed score is the same).
    ``points_table`` holds the observed points with the fitted proxy.
    """

    weights: dict[str, dict[str, Fraction]]
    fit: pl.DataFrame
    points_table: pl.DataFrame


def fit_simplex_weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights ``w >= 0`` with ``sum(w) = 1`` minimising ``|y - x @ w|^2``.

    Exact for a handful of columns: every support set is tried, and the feasible solution
    with the smallest sum of squares wins (the first in order on a tie). On a support the
    constraint is eliminated (the last weight is one minus the others), which leaves an
    ordinary least-squares problem.

    >>> x = np.array([[1000.0, 0.0], [0.0, 1000.0], [500.0, 500.0]])
    >>> fit_simplex_weights(x, x @ np.array([0.25, 0.75])).round(6).tolist()
    [0.25, 0.75]
    >>> fit_simplex_weights(x, np.array([1000.0, 0.0, 300.0])).round(6).tolist()  # a vertex
    [1.0, 0.0]
    """
    k = x.shape[1]
    best, best_sse = np.zeros(k), np.inf
    for size in range(1, k + 1):
        for support in combinations(range(k), size):
            last = x[:, support[-1]]
            others = x[:, support[:-1]] - last[:, None]
            free = np.linalg.lstsq(others, y - last, rcond=None)[0] if size > 1 else np.zeros(0)
            solution = np.append(free, 1.0 - free.sum())
            if (solution < -1e-9).any():
                continue
            w = np.zeros(k)
            w[list(support)] = np.clip(solution, 0, None)
            w /= w.sum()
            sse = float(((y - x @ w) ** 2).sum())
            if sse < best_sse - 1e-9 * max(1.0, sse):  # a tie keeps the earlier support
                best, best_sse = w, sse
    return best


def _scores(policy: Policy) -> list[pl.Expr]:
    """Each component's proxy score in ``0 .. 1`` from the inventory table's values."""
    scales = policy.inventory.proxy_scales
    return [
        (pl.col("sell_through_90d") / float(scales["sell_through_90d"]))
        .clip(upper_bound=1)
        .alias("s_sell_through_90d"),
        (1 - pl.col("excess_pct") / float(scales["excess_pct"]))
        .clip(lower_bound=0)
        .alias("s_excess_pct"),
        (1 - pl.col("stranded_pct") / float(scales["stranded_pct"]))
        .clip(lower_bound=0)
        .alias("s_stranded_pct"),
        pl.col("in_stock_rate_30d").alias("s_in_stock_rate_30d"),
    ]


def _rounded(w: float) -> Fraction:
    return Fraction(round(w * 10**_DECIMALS), 10**_DECIMALS)


def calibrate_proxy(data: Dataset, *, policy: Policy | None = None) -> Calibration:
    """Fit the proxy's weights to the observed IPI scores (``ipi_observed``), per marketplace.

    Parameters
    ----------
    data
        The dataset; ``ipi_observed`` and ``inventory`` are read.
    policy
        Components per marketplace, proxy scales and ``calibration_min_points``.

    Returns
    -------
    Calibration

    Raises
    ------
    DataError
        Naming the ``ipi_observed`` file: no observed score at all, or a marketplace with
        fewer usable points than ``calibration_min_points`` (8), with the counts.
    """
    policy = policy or load_policy()
    file = data.files.get("ipi_observed", "ipi_observed")
    minimum = policy.inventory.calibration_min_points
    observed = data.ipi_observed.select("seller_id", "marketplace", "date", "score").collect()
    if observed.is_empty():
        problem = f"no observed IPI scores: calibration needs at least {minimum} per marketplace"
        raise DataError([InputError(file, None, problem)])
    first, last = observed["date"].min(), observed["date"].max()
    table = inventory_table(data, as_of=first, to=last, policy=policy)
    points = (
        observed.lazy()
        .join(
            table.select("seller_id", "marketplace", pl.col("as_of").alias("date"), *_COMPONENT_VALUES),
            on=["seller_id", "marketplace", "date"],
            how="left",
        )
        .with_columns(_scores(policy))
        .sort("marketplace", "seller_id", "date")
        .collect()
    )  # fmt: skip
    weights: dict[str, dict[str, Fraction]] = {}
    fits, fitted = [], []
    for market in points["marketplace"].unique().sort().to_list():
        used = list(policy.inventory.components_for(market))
        rows = points.filter(pl.col("marketplace") == market)
        usable = rows.filter(pl.all_horizontal(pl.col(f"s_{c}").is_not_null() for c in used))
        skipped = rows.height - usable.height
        if usable.height < minimum:
            problem = (
                f"calibration needs at least {minimum} observed scores per marketplace with "
                f"every component known; {market} has {usable.height}"
                + (
                    f" ({skipped} more skipped: a component had no data that day)"
                    if skipped
                    else ""
                )
            )
            raise DataError([InputError(file, "score", problem)])
        x = IPI_SCALE * usable.select(f"s_{c}" for c in used).to_numpy()
        y = usable["score"].to_numpy().astype(float)
        w = fit_simplex_weights(x, y)
        exact = {c: Fraction(0) for c in INVENTORY_COMPONENTS}
        exact.update({c: _rounded(v) for c, v in zip(used, w, strict=True)})
        weights[market] = exact
        share = np.array([float(exact[c]) for c in used])
        predicted = x @ share / share.sum()
        residual = y - predicted
        total = float(((y - y.mean()) ** 2).sum())
        fits.append(
            {
                "marketplace": market,
                **{f"w_{c}": float(exact[c]) for c in INVENTORY_COMPONENTS},
                "points": usable.height,
                "skipped": skipped,
                "mae": float(np.abs(residual).mean()),
                "r_squared": None if total == 0 else 1 - float((residual**2).sum()) / total,
            }
        )
        fitted.append(usable.with_columns(fitted=pl.Series(predicted)))
    fit = pl.DataFrame(fits, schema_overrides={"r_squared": pl.Float64}).select(FIT_COLUMNS)
    keep = ["seller_id", "marketplace", "date", "score", *_COMPONENT_VALUES, "fitted"]
    return Calibration(weights, fit, pl.concat(fitted).select(keep))
