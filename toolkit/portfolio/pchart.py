"""Weekly p-chart: is a seller's weekly rate stable, or did something change?

A p-chart (Shewhart's control chart for a proportion) plots each week's rate ``x_t / n_t``
around the centre line ``p-bar = sum x / sum n`` (all weeks pooled) with control limits
``p-bar +- k sqrt(p-bar (1 - p-bar) / n_t)`` (``k = 3`` by default), clipped to [0, 1].
The limits are wider in weeks with fewer orders. A week outside its limits is *out of
control*: more (or fewer) bad orders than the seller's own usual variation explains, which
points to a cause worth finding (a carrier problem, a stock-out, a new listing).

Feed it counts per day of *attribution* (e.g. orders by purchase date and how many of them
became defects), not the metrics table's rolling-window values: consecutive rolling
windows share most of their orders, and the chart assumes independent weeks.

References
----------
Montgomery D.C. (2019) Introduction to Statistical Quality Control, 8th ed., section 7.2
(the p chart with variable sample size).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = ["p_chart"]


def p_chart(
    frame: pl.LazyFrame,
    *,
    date: str = "date",
    numerator: str = "numerator",
    denominator: str = "denominator",
    keys: Sequence[str] = (),
    sigmas: float = 3.0,
) -> pl.LazyFrame:
    """Weekly rates of one seller (or of each ``keys`` group) with p-chart limits.

    Parameters
    ----------
    frame
        Daily counts: a ``date`` column (``Date``; a UTC ``Datetime`` is cast to its date),
        integer ``numerator`` and ``denominator`` columns, and the ``keys`` columns.
    keys
        Columns that separate charts (e.g. ``["seller_id"]``); each group gets its own
        centre line. Empty: the whole frame is one chart.
    sigmas
        Width of the limits in standard errors (3 gives the usual 3-sigma chart).

    Returns
    -------
    pl.LazyFrame
        ``keys + [week, numerator, denominator, rate, centre, lower, upper, status,
        out_of_control]``, one row per group and week, sorted. ``week`` is the Monday that
        starts the ISO week. Weeks between a group's first and last week with no rows get
        counts 0. ``rate`` and the limits are null in a week with denominator 0 (``status``
        ``no_data``); ``status`` is otherwise ``above`` (rate > upper), ``below``
        (rate < lower) or ``inside``; ``out_of_control`` is true for above and below.

    Notes
    -----
    The centre line pools the group's weeks (``sum x / sum n``, never a mean of weekly
    rates). A partial first or last week is a week with fewer orders: its limits are wider.
    Rows with a null date are ignored.

    Examples
    --------
    >>> from datetime import date
    >>> daily = pl.LazyFrame({
    ...     "date": [date(2025, 3, 3), date(2025, 3, 5), date(2025, 3, 10),
    ...              date(2025, 3, 17), date(2025, 3, 19), date(2025, 3, 31)],
    ...     "numerator": [4, 6, 16, 20, 16, 4],
    ...     "denominator": [100, 100, 400, 200, 100, 100],
    ... })
    >>> chart = p_chart(daily)
    >>> chart.select("week", "denominator", pl.col("rate", "centre", "lower", "upper").round(4),
    ...              "status").collect()
    shape: (5, 7)
    ┌────────────┬─────────────┬──────┬────────┬────────┬────────┬─────────┐
    │ week       ┆ denominator ┆ rate ┆ centre ┆ lower  ┆ upper  ┆ status  │
    │ ---        ┆ ---         ┆ ---  ┆ ---    ┆ ---    ┆ ---    ┆ ---     │
    │ date       ┆ i64         ┆ f64  ┆ f64    ┆ f64    ┆ f64    ┆ str     │
    ╞════════════╪═════════════╪══════╪════════╪════════╪════════╪═════════╡
    │ 2025-03-03 ┆ 200         ┆ 0.05 ┆ 0.066  ┆ 0.0133 ┆ 0.1187 ┆ inside  │
    │ 2025-03-10 ┆ 400         ┆ 0.04 ┆ 0.066  ┆ 0.0288 ┆ 0.1032 ┆ inside  │
    │ 2025-03-17 ┆ 300         ┆ 0.12 ┆ 0.066  ┆ 0.023  ┆ 0.109  ┆ above   │
    │ 2025-03-24 ┆ 0           ┆ null ┆ 0.066  ┆ null   ┆ null   ┆ no_data │
    │ 2025-03-31 ┆ 100         ┆ 0.04 ┆ 0.066  ┆ 0.0    ┆ 0.1405 ┆ inside  │
    └────────────┴─────────────┴──────┴────────┴────────┴────────┴─────────┘
    """
    if not float(sigmas) > 0:
        raise ValueError(f"sigmas must be a positive number, got {sigmas!r}")
    group = list(keys) or ["_chart"]
    source = frame if keys else frame.with_columns(_chart=pl.lit(0))
    weekly = (
        source.filter(pl.col(date).is_not_null())
        .group_by(*group, week=pl.col(date).cast(pl.Date).dt.truncate("1w"))
        .agg(pl.col(numerator).sum().cast(pl.Int64), pl.col(denominator).sum().cast(pl.Int64))
    )
    weeks = (
        weekly.group_by(group)
        .agg(pl.col("week").min().alias("_first"), pl.col("week").max().alias("_last"))
        .select(*group, week=pl.date_ranges("_first", "_last", "1w"))
        .explode("week")
    )
    x, n = pl.col(numerator), pl.col(denominator)
    centre = x.sum().over(group) / n.sum().over(group)
    half = float(sigmas) * (pl.col("centre") * (1.0 - pl.col("centre")) / n).sqrt()
    has = n > 0
    rate = pl.col("rate")
    table = (
        weeks.join(weekly, on=[*group, "week"], how="left", nulls_equal=True)
        .with_columns(x.fill_null(0), n.fill_null(0))
        .with_columns(
            rate=pl.when(has).then(x / n),
            centre=pl.when(n.sum().over(group) > 0).then(centre),
        )
        .with_columns(
            lower=pl.when(has).then((pl.col("centre") - half).clip(0.0, 1.0)),
            upper=pl.when(has).then((pl.col("centre") + half).clip(0.0, 1.0)),
        )
        .with_columns(
            status=pl.when(~has)
            .then(pl.lit("no_data"))
            .when(rate > pl.col("upper"))
            .then(pl.lit("above"))
            .when(rate < pl.col("lower"))
            .then(pl.lit("below"))
            .otherwise(pl.lit("inside"))
        )
        .with_columns(out_of_control=pl.col("status").is_in(["above", "below"]))
        .sort(*group, "week")
    )
    columns = [*keys, "week", numerator, denominator, "rate", "centre", "lower", "upper"]
    return table.select(*columns, "status", "out_of_control")
