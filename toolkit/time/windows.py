"""Retention windows: the as-of dates on which a record counts, and counts over dates.

A record counts on the as-of dates ``counts_from <= D < clears_on`` (SPEC section 5);
never when ``counts_from >= clears_on`` or when either bound is null (``clears_on`` null
means "never clears" only where the caller fills it; here null means the record never
counts). Histories come from the windows directly: each record adds +1 on
``counts_from`` and -1 on ``clears_on``, and a cumulative sum per key over the dates gives
every day's count, so the cost grows with records plus key-days, never records times days.

Examples
--------
>>> from datetime import date
>>> import polars as pl
>>> from toolkit.time.windows import daily_counts
>>> records = pl.LazyFrame({
...     "seller_id": ["S1", "S1", "S2"],
...     "counts_from": [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)],
...     "clears_on": [date(2025, 3, 3), date(2025, 3, 9), date(2025, 3, 3)],
... })
>>> daily_counts(records, keys=["seller_id"], start=date(2025, 3, 1), end=date(2025, 3, 3)).collect()
shape: (6, 3)
┌───────────┬────────────┬───────┐
│ seller_id ┆ as_of      ┆ count │
│ ---       ┆ ---        ┆ ---   │
│ str       ┆ date       ┆ i64   │
╞═══════════╪════════════╪═══════╡
│ S1        ┆ 2025-03-01 ┆ 1     │
│ S1        ┆ 2025-03-02 ┆ 2     │
│ S1        ┆ 2025-03-03 ┆ 1     │
│ S2        ┆ 2025-03-01 ┆ 0     │
│ S2        ┆ 2025-03-02 ┆ 0     │
│ S2        ┆ 2025-03-03 ┆ 0     │
└───────────┴────────────┴───────┘
"""

from __future__ import annotations

from datetime import date

import polars as pl

from toolkit.time.visibility import day_number

__all__ = ["active_on", "daily_counts", "merge_windows"]


def active_on(counts_from: pl.Expr, clears_on: pl.Expr, day: date) -> pl.Expr:
    """True where the retention window contains ``day`` (``counts_from <= day < clears_on``).

    The bounds may be ``Date`` columns or day numbers (Int32 days since 1970-01-01).
    Null bounds give false, never null.
    """
    d = pl.lit(day_number(day), dtype=pl.Int32)
    return ((counts_from.cast(pl.Int32) <= d) & (d < clears_on.cast(pl.Int32))).fill_null(False)


def daily_counts(
    records: pl.LazyFrame,
    *,
    keys: list[str],
    start: date,
    end: date,
    counts_from: str = "counts_from",
    clears_on: str = "clears_on",
    all_keys: pl.LazyFrame | None = None,
    weights: dict[str, pl.Expr] | None = None,
) -> pl.LazyFrame:
    """Number of records counting on each as-of date ``start .. end`` (both included).

    Parameters
    ----------
    records
        One row per record with the ``keys`` and its window bounds (``Date`` or day
        numbers).
    keys
        Columns that identify a count (for example seller, marketplace, channel, metric).
    start, end
        First and last as-of date of the output.
    all_keys
        Key combinations that get rows even with no record (count 0). Default: the key
        combinations present in ``records``.
    weights
        Several counts at once: output column name -> integer expression over
        ``records`` (for example ``{"numerator": pl.col("role") == "numerator"}``).
        Default: one column ``count`` counting every record.

    Returns
    -------
    pl.LazyFrame
        ``keys + ["as_of"]`` and one Int64 column per weight (``count`` by default): one row
        per key and date, sorted by the keys and ``as_of``.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    cf, co = pl.col(counts_from).cast(pl.Int32), pl.col(clears_on).cast(pl.Int32)
    first = pl.lit(day_number(start), dtype=pl.Int32)
    last = pl.lit(day_number(end), dtype=pl.Int32)
    weights = weights or {"count": pl.lit(1)}
    names = list(weights)
    live = records.filter((cf < co) & (cf <= last) & (co > first)).select(
        *keys,
        cf.clip(lower_bound=first).alias("_on"),
        co.alias("_off"),
        *(w.cast(pl.Int64).alias(name) for name, w in weights.items()),
    )
    plus = live.select(*keys, pl.col("_on").alias("as_of"), *names)
    minus = live.filter(pl.col("_off") <= last).select(
        *keys, pl.col("_off").alias("as_of"), *(-pl.col(n) for n in names)
    )
    deltas = pl.concat([plus, minus]).group_by(*keys, "as_of").agg(pl.col(names).sum())
    key_frame = (all_keys if all_keys is not None else records).select(keys).unique()
    dates = pl.LazyFrame(
        {"as_of": pl.int_range(day_number(start), day_number(end) + 1, dtype=pl.Int32, eager=True)}
    )
    grid = key_frame.join(dates, how="cross")
    return (
        grid.join(deltas, on=[*keys, "as_of"], how="left", nulls_equal=True)
        .sort(*keys, "as_of")
        .select(
            *keys,
            pl.col("as_of").cast(pl.Date),
            *(pl.col(n).fill_null(0).cum_sum().over(keys).alias(n) for n in names),
        )
    )


def merge_windows(
    records: pl.LazyFrame,
    *,
    by: list[str],
    counts_from: str = "counts_from",
    clears_on: str = "clears_on",
) -> pl.LazyFrame:
    """Union of the retention windows within each ``by`` group, as disjoint windows.

    An order with several defects counts once: the union of its defects' windows gives the
    dates on which the order is in the numerator. Empty windows are dropped; windows that
    touch (one clears on the day the next starts) are joined.

    Returns
    -------
    pl.LazyFrame
        ``by + [counts_from, clears_on]``, disjoint and sorted within each group.

    Examples
    --------
    >>> from datetime import date
    >>> d = lambda day: date(2025, 3, day)
    >>> windows = pl.LazyFrame({
    ...     "order_id": ["A", "A", "A", "B"],
    ...     "counts_from": [d(1), d(3), d(10), d(5)],
    ...     "clears_on": [d(4), d(6), d(12), d(5)],
    ... })
    >>> merge_windows(windows, by=["order_id"]).collect()
    shape: (2, 3)
    ┌──────────┬─────────────┬────────────┐
    │ order_id ┆ counts_from ┆ clears_on  │
    │ ---      ┆ ---         ┆ ---        │
    │ str      ┆ date        ┆ date       │
    ╞══════════╪═════════════╪════════════╡
    │ A        ┆ 2025-03-01  ┆ 2025-03-06 │
    │ A        ┆ 2025-03-10  ┆ 2025-03-12 │
    └──────────┴─────────────┴────────────┘
    """
    cf, co = pl.col(counts_from), pl.col(clears_on)
    ordered = records.filter(cf < co).select(*by, cf, co).sort(*by, counts_from, clears_on)
    reach = co.cum_max().shift(1).over(by)
    return (
        ordered.with_columns(_new=(reach.is_null() | (cf > reach)).cum_sum().over(by))
        .group_by(*by, "_new")
        .agg(cf.min(), co.max())
        .drop("_new")
        .sort(*by, counts_from)
    )
