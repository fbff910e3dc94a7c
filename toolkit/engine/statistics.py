"""Low-volume statistics and status (definitions section 4.1): Wilson interval, exact binomial p-value.

For a metric row with denominator n, "bad" count b (the numerator for ``<`` metrics,
n - numerator for ``>`` metrics) and allowed bad fraction p0 (the target for ``<``,
1 - target for ``>``):

- ``ci_low``, ``ci_high``: the Wilson score interval of the reported rate numerator / n;
- ``p_value``: P(X >= b) for X ~ Binomial(n, p0), how likely this many bad orders are if
  the seller were exactly at the limit;
- ``status``: ``no_data`` (n = 0), ``info`` (no target), ``good`` (target met and
  b/n < 0.8 p0), ``watch`` (met, b/n >= 0.8 p0), ``bad`` (missed and p < 0.05),
  ``bad_low_volume`` (missed, p >= 0.05).

Every comparison with the target, with 0.8 p0 and with 0.05 is exact: targets are
decimals held as fractions, rates are compared as integer cross products, and a p-value
within 1e-9 of alpha is settled with exact rational arithmetic.

Examples
--------
The source document's example: 10 orders, 1 defect, target 1 %.

>>> import polars as pl
>>> from fractions import Fraction
>>> from toolkit.engine.statistics import with_statistics
>>> frame = pl.LazyFrame({"numerator": [1, 0, 3], "denominator": [10, 0, 50]})
>>> with_statistics(
...     frame, condition=pl.lit("<"), p0_numerator=pl.lit(1), p0_denominator=pl.lit(100),
...     z=1.959963984540054, alpha=Fraction(1, 20), watch_fraction=Fraction(4, 5),
... ).collect()
shape: (3, 7)
┌───────────┬─────────────┬──────┬──────────┬──────────┬──────────┬────────────────┐
│ numerator ┆ denominator ┆ rate ┆ ci_low   ┆ ci_high  ┆ p_value  ┆ status         │
│ ---       ┆ ---         ┆ ---  ┆ ---      ┆ ---      ┆ ---      ┆ ---            │
│ i64       ┆ i64         ┆ f64  ┆ f64      ┆ f64      ┆ f64      ┆ str            │
╞═══════════╪═════════════╪══════╪══════════╪══════════╪══════════╪════════════════╡
│ 1         ┆ 10          ┆ 0.1  ┆ 0.017876 ┆ 0.40415  ┆ 0.095618 ┆ bad_low_volume │
│ 0         ┆ 0           ┆ null ┆ null     ┆ null     ┆ null     ┆ no_data        │
│ 3         ┆ 50          ┆ 0.06 ┆ 0.020615 ┆ 0.162171 ┆ 0.013817 ┆ bad            │
└───────────┴─────────────┴──────┴──────────┴──────────┴──────────┴────────────────┘
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING

import polars as pl

from toolkit.model.vocabulary import STATUSES

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "STATUSES",
    "bad_count",
    "binomial_tail",
    "clean_orders_needed",
    "orders_needed",
    "target_met",
    "watch_reached",
    "wilson_interval",
    "with_statistics",
]


_EXACT_BAND = 1e-9
_EXACT_MAX_N = 20_000


def wilson_interval(numerator: pl.Expr, denominator: pl.Expr, *, z: float) -> pl.Expr:
    """Wilson score interval of numerator / denominator: a struct ``{ci_low, ci_high}``.

    Null where the denominator is 0. Never the Wald interval, which collapses to a point
    at 0 or 1 defects and is badly wrong at low volume.
    """
    n = denominator.cast(pl.Float64)
    p = numerator.cast(pl.Float64) / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt()
    valid = denominator > 0
    return pl.struct(
        pl.when(valid).then((centre - half).clip(0, 1)).alias("ci_low"),
        pl.when(valid).then((centre + half).clip(0, 1)).alias("ci_high"),
    )


def _exact_tail_below(bad: int, n: int, p0: Fraction, alpha: Fraction) -> bool:
    """P(X >= bad) < alpha for X ~ Binomial(n, p0), in exact rational arithmetic."""
    q = 1 - p0
    tail = sum(math.comb(n, k) * p0**k * q ** (n - k) for k in range(bad, n + 1))
    return tail < alpha


def binomial_tail(bad: np.ndarray, n: np.ndarray, p0: float) -> np.ndarray:
    """P(X >= bad) for X ~ Binomial(n, p0), elementwise (``1.0`` where bad <= 0).

    Examples
    --------
    >>> import numpy as np
    >>> binomial_tail(np.array([1, 0, 2]), np.array([10, 10, 10]), 0.01).round(6)
    array([0.095618, 1.      , 0.004266])
    """
    import numpy as np
    from scipy.special import bdtrc  # heavy import, only when p-values are needed

    bad = np.asarray(bad, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    tail = np.ones(bad.shape, dtype=np.float64)
    some = bad > 0
    tail[some] = bdtrc(bad[some] - 1, n[some], p0)
    return tail


def _tail_and_verdict(columns: pl.Series, *, alpha: Fraction) -> pl.Series:
    """map_batches body: p-value and ``p < alpha``, once per distinct (b, n, p0).

    Rows without a p0 (no target) or with n = 0 get null.
    """
    import numpy as np  # only when p-values are computed

    frame = columns.struct.unnest()
    size = frame.height
    p_value = np.full(size, np.nan)
    significant = np.zeros(size, dtype=bool)
    valid = (frame["p_num"].is_not_null() & (frame["n"] > 0)).fill_null(False).to_numpy()
    if valid.any():
        bad = frame["bad"].to_numpy()[valid].astype(np.int64)
        n = frame["n"].to_numpy()[valid].astype(np.int64)
        p_num = frame["p_num"].to_numpy()[valid].astype(np.int64)
        p_den = frame["p_den"].to_numpy()[valid].astype(np.int64)
        # one code per distinct (p0, n, b): the binomial tail is computed once per code
        _, p_index = np.unique(p_num * (int(p_den.max()) + 1) + p_den, return_inverse=True)
        p0s = [(int(p_num[i]), int(p_den[i])) for i in np.unique(p_index, return_index=True)[1]]
        span = np.int64(max(int(n.max()), int(bad.max()), 0) + 1)
        codes, inverse = np.unique(
            (p_index.ravel().astype(np.int64) * span + n) * span + bad, return_inverse=True
        )
        u_bad, u_n, u_p = codes % span, (codes // span) % span, codes // (span * span)
        tail = np.empty(len(codes))
        for i, (num, den) in enumerate(p0s):
            at = u_p == i
            tail[at] = binomial_tail(u_bad[at], u_n[at], num / den)
        below = tail < float(alpha)
        for i in np.flatnonzero(np.abs(tail - float(alpha)) <= _EXACT_BAND):
            if u_n[i] <= _EXACT_MAX_N:
                num, den = p0s[u_p[i]]
                p0 = Fraction(num, den)
                below[i] = _exact_tail_below(int(u_bad[i]), int(u_n[i]), p0, alpha)
        p_value[valid] = tail[inverse.ravel()]
        significant[valid] = below[inverse.ravel()]
    return pl.DataFrame(
        {
            "p_value": pl.Series(p_value).fill_nan(None),
            "significant": pl.Series(significant),
        }
    ).to_struct()


def bad_count(numerator: pl.Expr, denominator: pl.Expr, condition: pl.Expr) -> pl.Expr:
    """The "bad" count b: the numerator for ``<`` metrics, n - numerator for ``>``.

    Examples
    --------
    >>> frame = pl.DataFrame({"num": [3, 95], "n": [100, 100], "condition": ["<", ">"]})
    >>> frame.select(bad_count(pl.col("num"), pl.col("n"), pl.col("condition"))).to_series().to_list()
    [3, 5]
    """
    return pl.when(condition == ">").then(denominator - numerator).otherwise(numerator)


def target_met(bad: pl.Expr, n: pl.Expr, p0_numerator: pl.Expr, p0_denominator: pl.Expr) -> pl.Expr:
    """``b / n < p0`` exactly, as integers: ``b * p0_den < p0_num * n`` (false when n = 0).

    Examples
    --------
    >>> frame = pl.DataFrame({"bad": [0, 1, 2], "n": [0, 200, 200]})
    >>> frame.select(target_met(pl.col("bad"), pl.col("n"), pl.lit(1), pl.lit(100))).to_series(
    ...     ).to_list()
    [False, True, False]
    """
    return bad * p0_denominator < p0_numerator * n


def watch_reached(
    bad: pl.Expr,
    n: pl.Expr,
    p0_numerator: pl.Expr,
    p0_denominator: pl.Expr,
    *,
    watch_fraction: Fraction,
) -> pl.Expr:
    """``b / n >= watch_fraction * p0`` exactly, as integers (the ``watch`` early warning).

    True when n = 0 (0 >= 0): a status asks about n = 0 first (``no_data``).

    Examples
    --------
    >>> frame = pl.DataFrame({"bad": [1, 1], "n": [50, 51]})  # 1/50 = 0.8 * 0.025
    >>> frame.select(watch_reached(pl.col("bad"), pl.col("n"), pl.lit(1), pl.lit(40),
    ...     watch_fraction=Fraction(4, 5))).to_series().to_list()
    [True, False]
    """
    return (
        bad * p0_denominator * watch_fraction.denominator
        >= watch_fraction.numerator * p0_numerator * n
    )


def orders_needed(
    bad: pl.Expr, n: pl.Expr, p0_numerator: pl.Expr, p0_denominator: pl.Expr
) -> pl.Expr:
    """Smallest number x of additional good orders for which ``b / (n + x) < p0`` (definitions section 5).

    ``x = floor(b / p0 - n) + 1`` when ``b / n >= p0``, else 0 (also for n = 0), in
    integers: ``floor((b * p0_den - n * p0_num) / p0_num) + 1``. Null when p0 = 0: no
    number of good orders meets the target.

    Examples
    --------
    >>> frame = pl.DataFrame({"bad": [3, 1, 0, 1], "n": [200, 200, 0, 1]})
    >>> frame.select(orders_needed(pl.col("bad"), pl.col("n"), pl.lit(1), pl.lit(100))).to_series(
    ...     ).to_list()  # 3 / 0.01 = 300 exactly
    [101, 0, 0, 100]
    """
    missed = (n > 0) & ~target_met(bad, n, p0_numerator, p0_denominator)
    needed = (bad * p0_denominator - n * p0_numerator).floordiv(p0_numerator) + 1
    return pl.when(p0_numerator == 0).then(None).when(missed).then(needed).otherwise(0)


def with_statistics(
    frame: pl.LazyFrame,
    *,
    condition: pl.Expr,
    p0_numerator: pl.Expr,
    p0_denominator: pl.Expr,
    z: float,
    alpha: Fraction,
    watch_fraction: Fraction,
    numerator: str = "numerator",
    denominator: str = "denominator",
    retired: pl.Expr | None = None,
) -> pl.LazyFrame:
    """Add ``rate, ci_low, ci_high, p_value, status`` to ``frame``.

    Parameters
    ----------
    condition
        ``"<"`` or ``">"`` per row, null for metrics without a target (the ODR
        components): p-value null, status ``info``.
    p0_numerator, p0_denominator
        The allowed bad fraction p0 per row as an exact integer ratio (the target for
        ``<``, 1 - target for ``>``).
    z, alpha, watch_fraction
        From the policy's ``[status]`` table.
    retired
        True for rows of a metric Amazon no longer uses (definitions section 12): status ``info`` (or
        ``no_data``), though its old target still gives the interval and the p-value.

    Notes
    -----
    Every statistic depends only on (numerator, denominator, condition, p0, retired):
    they are computed once per distinct combination and joined back to the rows (in
    their order), so long histories, whose counts repeat from day to day and from seller
    to seller, cost a join rather than a p-value, an interval and a status per row.
    """
    inputs = {
        "numerator": pl.col(numerator),
        "denominator": pl.col(denominator),
        "condition": condition,
        "p_num": p0_numerator,
        "p_den": p0_denominator,
        "retired": pl.lit(False) if retired is None else retired,
    }
    added = ["rate", "ci_low", "ci_high", "p_value", "status"]
    # the distinct combinations of the inputs that vary (constants are used as they are)
    varying = {f"_stat_{n}": value for n, value in inputs.items() if not value.meta.is_literal()}
    given = {n: pl.col(f"_stat_{n}") if f"_stat_{n}" in varying else v for n, v in inputs.items()}
    frame = frame.drop(added, strict=False).cache()  # evaluated once: for its keys and rows
    keys = frame.select(value.alias(key) for key, value in varying.items())
    computed = _statistics(
        keys.unique(),
        given["numerator"],
        given["denominator"],
        given["condition"],
        given["p_num"].cast(pl.Int64),
        given["p_den"].cast(pl.Int64),
        given["retired"].fill_null(False),
        z=z,
        alpha=alpha,
        watch_fraction=watch_fraction,
    )
    statistics = keys.join(
        computed.select(*varying, *added),
        on=list(varying),
        how="left",
        nulls_equal=True,  # a metric without a target has a null condition and p0
        maintain_order="left",
    )
    # the join keeps the rows in order: its new columns go beside the frame's own
    return pl.concat([frame, statistics.select(added)], how="horizontal")


def _statistics(
    frame: pl.LazyFrame,
    num: pl.Expr,
    den: pl.Expr,
    condition: pl.Expr,
    p_num: pl.Expr,
    p_den: pl.Expr,
    retired: pl.Expr,
    *,
    z: float,
    alpha: Fraction,
    watch_fraction: Fraction,
) -> pl.LazyFrame:
    """:func:`with_statistics` row by row (on the distinct combinations)."""
    wilson = wilson_interval(num, den, z=z)
    bad = bad_count(num, den, condition)
    tail = pl.struct(
        bad.alias("bad"), den.alias("n"), p_num.alias("p_num"), p_den.alias("p_den")
    ).map_batches(
        lambda s: _tail_and_verdict(s, alpha=alpha),
        return_dtype=pl.Struct({"p_value": pl.Float64, "significant": pl.Boolean}),
    )
    met = target_met(bad, den, p_num, p_den)
    watch = watch_reached(bad, den, p_num, p_den, watch_fraction=watch_fraction)
    has_target = condition.is_not_null()
    status = (
        pl.when(den == 0)
        .then(pl.lit("no_data"))
        .when(~has_target | retired)
        .then(pl.lit("info"))
        .when(met & ~watch)
        .then(pl.lit("good"))
        .when(met)
        .then(pl.lit("watch"))
        .when(pl.col("_tail").struct.field("significant"))
        .then(pl.lit("bad"))
        .otherwise(pl.lit("bad_low_volume"))
    )
    return (
        frame.with_columns(_tail=tail)
        .with_columns(
            pl.when(den > 0).then(num / den).alias("rate"),
            wilson.struct.field("ci_low"),
            wilson.struct.field("ci_high"),
            pl.when((den > 0) & has_target)
            .then(pl.col("_tail").struct.field("p_value"))
            .alias("p_value"),
            status.alias("status"),
        )
        .drop("_tail")
    )


def clean_orders_needed(bad: int, n: int, *, allowed_bad: Fraction) -> int | None:
    """:func:`orders_needed` for one metric row: good orders that would meet the target.

    ``x = floor(b / p0 - n) + 1`` when ``b / n >= p0``, else 0, in exact arithmetic; None
    when p0 = 0.

    Examples
    --------
    >>> clean_orders_needed(3, 200, allowed_bad=Fraction(1, 100))  # 3 / 0.01 = 300
    101
    >>> clean_orders_needed(1, 200, allowed_bad=Fraction(1, 100))
    0
    """
    p0 = Fraction(allowed_bad)
    needed = orders_needed(
        pl.lit(bad, pl.Int64),
        pl.lit(n, pl.Int64),
        pl.lit(p0.numerator, pl.Int64),
        pl.lit(p0.denominator, pl.Int64),
    )
    return pl.select(needed).item()
