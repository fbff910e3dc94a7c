"""Exact arithmetic for the IPI components: values, bands and the unofficial proxy.

Every component is a ratio of two integer columns, ``numerator / denominator``. Bands
compare the ratio with decimal edges without floats: ``n / d >= p / q`` is tested as
``n * q >= p * d`` in 128-bit integers (definitions section 11, as in definitions section 4.1). The proxy is a weighted
mean of per-component scores, each an exact fraction, put over one common denominator and
rounded half up with integer floor divisions, so ``612.5`` gives 613 and never 612 by a
float's error. The arithmetic runs in 128-bit integers and stays exact while the product
of the four denominators does (about 10^8 units on hand and shipped per seller and
marketplace).

Examples
--------
>>> from fractions import Fraction
>>> import polars as pl
>>> edges = (("good", Fraction(2)), ("fair", Fraction(1)))
>>> frame = pl.DataFrame({"n": [8, 7, 0, 5], "d": [4, 4, 3, 0]})
>>> frame.with_columns(band=band(pl.col("n"), pl.col("d"), edges=edges))
shape: (4, 3)
┌─────┬─────┬─────────┐
│ n   ┆ d   ┆ band    │
│ --- ┆ --- ┆ ---     │
│ i64 ┆ i64 ┆ str     │
╞═════╪═════╪═════════╡
│ 8   ┆ 4   ┆ good    │
│ 7   ┆ 4   ┆ fair    │
│ 0   ┆ 3   ┆ poor    │
│ 5   ┆ 0   ┆ no_data │
└─────┴─────┴─────────┘
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import lcm

import polars as pl

from toolkit.model.policy import INVENTORY_COMPONENTS, InventoryPolicy

__all__ = ["BANDS", "IPI_SCALE", "band", "component_columns", "ipi_proxy", "uses"]

#: The band codes, best first: Amazon's four bar colours, ``info`` for the components
#: without a published band, ``no_data`` for a null component, ``not_used`` for a
#: component the marketplace does not use.
BANDS = ("excellent", "good", "fair", "poor", "info", "no_data", "not_used")
#: The IPI and its proxy run from 0 to this.
IPI_SCALE = 1000

_I128 = pl.Int128
Weights = Mapping[str, Fraction]


def _big(expr: pl.Expr) -> pl.Expr:
    return expr.cast(_I128)


def band(
    numerator: pl.Expr, denominator: pl.Expr, *, edges: tuple[tuple[str, Fraction], ...]
) -> pl.Expr:
    """The band of ``numerator / denominator``: the first edge it reaches, else ``poor``.

    ``edges`` are ``(band, lower edge)`` pairs, best first; a ratio exactly on an edge
    takes that band. A null or zero denominator gives ``no_data``.
    """
    n, d = _big(numerator), _big(denominator)
    expr = pl.when(d.is_null() | (d == 0)).then(pl.lit("no_data"))
    for name, edge in edges:
        expr = expr.when(n * edge.denominator >= d * edge.numerator).then(pl.lit(name))
    return expr.otherwise(pl.lit("poor"))


def uses(component: str, policy: InventoryPolicy) -> pl.Expr:
    """True where the row's ``marketplace`` uses ``component`` (policy ``components``)."""
    listed = {m: c for m, c in policy.components.items() if m != "default"}
    yes = [m for m, c in listed.items() if component in c]
    no = [m for m, c in listed.items() if component not in c]
    market = pl.col("marketplace")
    default = component in policy.components["default"]
    return market.is_in(yes) | (~market.is_in(no) & pl.lit(default))


def _weight(component: str, weights: Weights, by_market: Mapping[str, Weights], scale: int):
    """Integer weight of ``component`` (``weight * scale``) for the row's marketplace."""
    default = int(weights[component] * scale)
    if not by_market:
        return pl.lit(default, _I128)
    mapping = {m: int(w[component] * scale) for m, w in by_market.items()}
    return pl.col("marketplace").replace_strict(mapping, default=default, return_dtype=_I128)


def ipi_proxy(
    scores: Mapping[str, tuple[pl.Expr, pl.Expr]],
    *,
    weights: Weights,
    by_market: Mapping[str, Weights] | None = None,
) -> pl.Expr:
    """``round(1000 * sum(w * s) / sum(w))``, half up, exactly, over the non-null scores.

    Parameters
    ----------
    scores
        Component -> ``(numerator, denominator)`` of its score in ``0 .. 1``; a null
        denominator means the component has no data (or is not used) on that row and drops
        out with its weight. Components that share a denominator expression should be
        passed in adjacent order; the sum is formed over one common denominator.
    weights
        Component -> exact weight (a missing component weighs 0).
    by_market
        Marketplace -> weights that replace ``weights`` for that marketplace (calibrated
        weights); the row's ``marketplace`` column chooses.

    Returns
    -------
    pl.Expr
        Int64, null when every score with a weight above 0 is null.

    Examples
    --------
    >>> from fractions import Fraction
    >>> import polars as pl
    >>> frame = pl.DataFrame({"a": [1, 5, 1], "b": [2, 8, None]})
    >>> w = {"x": Fraction(1, 2), "y": Fraction(1, 2)}
    >>> frame.select(proxy=ipi_proxy(
    ...     {"x": (pl.col("a"), pl.lit(4)), "y": (pl.col("a"), pl.col("b"))}, weights=w))
    shape: (3, 1)
    ┌───────┐
    │ proxy │
    │ ---   │
    │ i64   │
    ╞═══════╡
    │ 375   │
    │ 938   │
    │ 250   │
    └───────┘

    (1/4 and 1/2 average to 0.375; 5/4 is out of range in a real score, shown here only
    to make 937.5 round half up to 938; with ``b`` null only the first score counts.)
    """
    by_market = dict(by_market or {})
    names = [c for c in scores if c in weights]
    scale = lcm(*(w.denominator for ws in (weights, *by_market.values()) for w in ws.values()))
    one, zero = pl.lit(1, _I128), pl.lit(0, _I128)
    total_weight = whole = fraction = zero
    common = one
    for name in names:
        n, d = scores[name]
        present = d.is_not_null() & (d > 0)
        a = pl.when(present).then(_weight(name, weights, by_market, scale)).otherwise(zero)
        d_big = pl.when(present).then(_big(d)).otherwise(one)
        term = 2 * IPI_SCALE * a * pl.when(present).then(_big(n)).otherwise(zero)
        # 2000 * a * n / d = whole part + remainder / d; the remainders add up to the
        # fraction / common (a sum of at most four proper fractions: its size stays that
        # of the product of the denominators)
        whole = whole + term // d_big
        fraction = fraction * d_big + (term % d_big) * common
        common = common * d_big
        total_weight = total_weight + a
    # floor((2000 * sum(a * s) + A) / (2 A)): only the integer part of the remainders'
    # sum can move the result, since every multiple of 2 A is an integer
    doubled = whole + fraction // common + total_weight
    return pl.when(total_weight > 0).then(doubled // (2 * total_weight)).cast(pl.Int64)


def component_columns(
    policy: InventoryPolicy,
    *,
    weights: Weights | None = None,
    by_market: Mapping[str, Weights] | None = None,
) -> list[pl.Expr]:
    """Component values, bands and ``ipi_proxy`` from the integer columns of a frame.

    The frame holds, per row (a SKU or a seller on an as-of date): ``_st_n, _st_d``
    (sell-through: snapshots x units shipped over 90 days, and the sum of the on-hand
    snapshots), ``units_on_hand``, ``excess_units``, ``stranded_units``, and ``_is_n,
    _is_d`` (in-stock: weighted days in stock, and 30 x the weights; null when no SKU
    qualifies).
    """
    weights = dict(policy.weights if weights is None else weights)
    used = {c: uses(c, policy) for c in INVENTORY_COMPONENTS}
    on_hand = pl.col("units_on_hand")
    ratios = {
        "sell_through_90d": (pl.col("_st_n"), pl.col("_st_d")),
        "excess_pct": (pl.col("excess_units"), on_hand),
        "stranded_pct": (pl.col("stranded_units"), on_hand),
        "in_stock_rate_30d": (pl.col("_is_n"), pl.col("_is_d")),
    }
    ratios = {
        c: (n, pl.when(used[c] & (d > 0)).then(d)) for c, (n, d) in ratios.items()
    }  # d null: no data, or not used
    exprs: list[pl.Expr] = []
    for component in INVENTORY_COMPONENTS:
        n, d = ratios[component]
        value = (n.cast(pl.Float64) / d.cast(pl.Float64)).alias(component)
        edges = policy.bands.get(component)
        kind = (
            band(n, d, edges=edges)
            if edges
            else pl.when(d.is_null()).then(pl.lit("no_data")).otherwise(pl.lit("info"))
        )
        kind = pl.when(used[component]).then(kind).otherwise(pl.lit("not_used"))
        exprs += [value, kind.alias(f"{component}_band")]
    scores = {}
    for component in INVENTORY_COMPONENTS:
        n, d = (_big(x) for x in ratios[component])
        if component == "in_stock_rate_30d":
            scores[component] = (n, d)
            continue
        scale = policy.proxy_scales[component]
        p, q = scale.numerator, scale.denominator
        if component == "sell_through_90d":  # min(value / scale, 1)
            scores[component] = (pl.min_horizontal(n * q, d * p), d * p)
        else:  # max(0, 1 - value / scale)
            scores[component] = ((d * p - n * q).clip(lower_bound=0), d * p)
    exprs.append(ipi_proxy(scores, weights=weights, by_market=by_market).alias("ipi_proxy"))
    return exprs
