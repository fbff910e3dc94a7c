"""Retention windows: the as-of dates on which a record counts, and counts over dates.

Every rule about *when* a record counts lives here, once:

- :class:`Window`: a metric's window of W days and lag L. At as-of D it holds the
  attribution dates ``D-L-W+1 .. D-L`` (definitions section 2); a record attributed to a enters
  it on ``a + L`` and leaves it on ``a + L + W``.
- :func:`live_at` and :func:`stop_known_at`: a record known by K and not stopped by K,
  and the stop of a record as known at K.
- :func:`active_on`: ``counts_from <= D < clears_on``, the retention window (docs/definitions.md
  section 5); never when ``counts_from >= clears_on`` or when either bound is null.
- :func:`daily_grid`: every day's count from the windows directly: each record adds +1
  on ``counts_from`` and -1 on ``clears_on``, and a cumulative sum per series over the
  dates gives every day's count, so the cost grows with records plus series-days, never
  records times days. :func:`daily_counts` is the same over string keys.

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

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import polars as pl

from toolkit.model.errors import OptionError
from toolkit.time.visibility import day_number

#: The most as-of dates one range may hold: 100 years of days.
MAX_RANGE_DAYS = 36_525

__all__ = [
    "MAX_RANGE_DAYS",
    "Window",
    "active_on",
    "as_of_range",
    "daily_counts",
    "daily_grid",
    "live_at",
    "merge_windows",
    "stop_known_at",
]

#: A day: a ``date``, a day number (``int``, days since 1970-01-01) or an expression of day
#: numbers. Window arithmetic returns the kind it is given.
Day = TypeVar("Day", date, int, pl.Expr)


def _day_number(day: date | int | pl.Expr) -> int | pl.Expr:
    return day_number(day) if isinstance(day, date) else day


@dataclass(frozen=True, eq=False)
class Window:
    """A metric's window: ``window_days`` (W) attribution dates, ``lag_days`` (L) before D.

    At as-of date D the window holds the attribution dates ``D-L-W+1 .. D-L``, both
    included (definitions section 2); so a record attributed to a is inside the window on the
    as-of dates ``a+L <= D < a+L+W``: it :meth:`opens` on ``a+L`` and :meth:`closes` on
    ``a+L+W``. This class is the one place that arithmetic is written.

    W and L are integers (one metric: ``Window.of(policy.metric("odr"))``) or integer
    expressions (a window per row, such as the one a report states). The methods take
    and return dates, day numbers or expressions of day numbers; with an expression for W
    or L, an expression.

    Examples
    --------
    >>> from datetime import date
    >>> odr = Window(window_days=60, lag_days=14)
    >>> odr.start(date(2025, 4, 30)), odr.end(date(2025, 4, 30))
    (datetime.date(2025, 2, 16), datetime.date(2025, 4, 16))
    >>> odr.opens(date(2025, 3, 1)), odr.closes(date(2025, 3, 1))
    (datetime.date(2025, 3, 15), datetime.date(2025, 5, 14))
    >>> import polars as pl
    >>> frame = pl.DataFrame({"a": [date(2025, 2, 15), date(2025, 2, 16), date(2025, 4, 16),
    ...                             date(2025, 4, 17)]})
    >>> frame.select(odr.contains(pl.col("a"), date(2025, 4, 30)))["a"].to_list()
    [False, True, True, False]
    """

    window_days: int | pl.Expr
    lag_days: int | pl.Expr

    @classmethod
    def of(cls, metric) -> Window:
        """The window of a :class:`~toolkit.model.policy.MetricPolicy` (or anything with
        ``window_days`` and ``lag_days``)."""
        return cls(metric.window_days, metric.lag_days)

    @classmethod
    def spanning(cls, start: Day, end: Day, *, as_of: Day) -> Window:
        """The window whose attribution dates at ``as_of`` are ``start .. end`` (a report's
        own window): ``W = end - start + 1``, ``L = as_of - end``.

        >>> Window.spanning(date(2025, 2, 16), date(2025, 4, 16), as_of=date(2025, 4, 30))
        Window(window_days=60, lag_days=14)
        """
        start, end, as_of = (_day_number(x) for x in (start, end, as_of))
        return cls(end - start + 1, as_of - end)

    def _shift(self, day: Day, days: int | pl.Expr) -> Day:
        if isinstance(day, date):
            return day + timedelta(days=days)
        return day + days

    def opens(self, a: Day) -> Day:
        """The first as-of date whose window holds attribution date ``a``: ``a + L``."""
        return self._shift(a, self.lag_days)

    def closes(self, a: Day) -> Day:
        """The first as-of date after ``a`` has left the window: ``a + L + W``."""
        return self._shift(a, self.lag_days + self.window_days)

    def start(self, as_of: Day) -> Day:
        """The first attribution date in the window at ``as_of``: ``D - L - W + 1``."""
        return self._shift(as_of, -(self.lag_days + self.window_days - 1))

    def end(self, as_of: Day) -> Day:
        """The last attribution date in the window at ``as_of``: ``D - L``."""
        return self._shift(as_of, -self.lag_days)

    def contains(self, a: pl.Expr, as_of: date | int | pl.Expr) -> pl.Expr:
        """True where attribution date ``a`` (day numbers) is in the window at ``as_of``."""
        d = _day_number(as_of)
        return a.is_between(self.start(d), self.end(d))

    def days_after(self, day: date | int, as_of: pl.Expr) -> pl.Expr:
        """How many attribution dates of the window at ``as_of`` come after ``day``:
        ``clip(D - L - day, 0, W)`` (the forecast's projected days)."""
        return (self.end(as_of) - _day_number(day)).clip(0, self.window_days)


def as_of_range(as_of: date, to: date | None, *, names: tuple[str, str] = ("as_of", "to")) -> date:
    """The last as-of date of the range ``as_of .. to`` (``to`` defaults to ``as_of``).

    A range runs forwards and spans at most :data:`MAX_RANGE_DAYS` dates (a history is a
    dense grid of keys times dates: a mistyped year must not fill the memory). ``names``
    are the words for the two ends in a message (the command line passes its options).

    Raises
    ------
    OptionError
        When ``to`` is before ``as_of``, or the range is longer than allowed.

    Examples
    --------
    >>> as_of_range(date(2026, 1, 1), None)
    datetime.date(2026, 1, 1)
    >>> as_of_range(date(2026, 1, 2), date(2026, 1, 1), names=("--as-of", "--to"))
    Traceback (most recent call last):
    ...
    toolkit.model.errors.OptionError: --to 2026-01-01 is before --as-of 2026-01-02
    >>> as_of_range(date(2000, 1, 1), date(2200, 1, 1))
    Traceback (most recent call last):
    ...
    toolkit.model.errors.OptionError: the range 2000-01-01 .. 2200-01-01 has 73,050 dates; at most 36,525 (100 years) at once: split it
    """
    first, last = names
    end = as_of if to is None else to
    if end < as_of:
        raise OptionError(f"{last} {end} is before {first} {as_of}")
    days = (end - as_of).days + 1
    if days > MAX_RANGE_DAYS:
        raise OptionError(
            f"the range {as_of} .. {end} has {days:,} dates; at most {MAX_RANGE_DAYS:,} "
            f"(100 years) at once: split it"
        )
    return end


def live_at(seen: pl.Expr, stop: pl.Expr | None, at: date | int | pl.Expr) -> pl.Expr:
    """True where a record is known by ``at`` (``seen <= K``) and no stop is known by then.

    ``seen`` and ``stop`` are visible days (day numbers); a stop visible on K ends the
    record on K (definitions section 4: a stop takes effect from its visible date). ``stop=None``
    means the record has no stop. Null ``seen`` gives null.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"seen": [3, 3, 3, 6], "stop": [None, 5, 4, None]})
    >>> frame.select(live=live_at(pl.col("seen"), pl.col("stop"), 4))["live"].to_list()
    [True, True, False, False]
    """
    k = _day_number(at)
    known = seen <= k
    return known if stop is None else known & (stop.is_null() | (stop > k))


def stop_known_at(stop: pl.Expr, at: date | int | pl.Expr) -> pl.Expr:
    """The stop as known at ``at``: the stop day where it is visible by then, else null.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"stop": [None, 5, 4]}).select(stop_known_at(pl.col("stop"), 4))[
    ...     "stop"].to_list()
    [None, None, 4]
    """
    return pl.when(stop <= _day_number(at)).then(stop)


def active_on(counts_from: pl.Expr, clears_on: pl.Expr, day: date | int | pl.Expr) -> pl.Expr:
    """True where the retention window contains ``day`` (``counts_from <= day < clears_on``).

    The bounds may be ``Date`` columns or day numbers (Int32 days since 1970-01-01), and so
    may ``day``. Null bounds give false, never null.
    """
    d = _day_number(day)
    d = pl.lit(d, dtype=pl.Int32) if isinstance(d, int) else d.cast(pl.Int32)
    return ((counts_from.cast(pl.Int32) <= d) & (d < clears_on.cast(pl.Int32))).fill_null(False)


def daily_grid(
    records: pl.LazyFrame,
    series: pl.LazyFrame,
    *,
    start: date,
    end: date,
    key: str = "_key",
    weights: dict[str, pl.Expr] | None = None,
    share: dict[str, str] | None = None,
    counts_from: str = "counts_from",
    clears_on: str = "clears_on",
) -> pl.LazyFrame:
    """Dense daily counts per series from retention windows: the +1/-1 grid, once.

    Every record adds its weight on ``counts_from`` and takes it off on ``clears_on``; a
    cumulative sum along the dates of each series gives the count on every as-of date
    ``start .. end``. The adding is a scatter-add into a series x date array (numpy,
    inside one lazy ``map_batches``): O(records + series x dates), no sort, no join over
    the grid.

    Parameters
    ----------
    records
        One row per record: the integer series code ``key`` and the window bounds
        (``Date`` or day numbers). Records whose code is not in ``series`` are ignored.
    series
        One row per series that gets rows (a count of 0 where no record counts): the code
        ``key`` (distinct, small non-negative integers, not null, such as a row index; the grid
        holds an array as long as the largest code) and any other columns, repeated on
        each of the series' rows.
    start, end
        First and last as-of date of the output.
    weights
        Output column name -> integer expression over ``records`` (null counts 0).
        Default: one column ``count`` counting every record.
    share
        Output column name -> a column of ``series`` holding another series' code: that
        column's counts are taken from the other series (the ODR components divide by the
        ODR population). A null code keeps the series' own counts.

    Returns
    -------
    pl.LazyFrame
        The columns of ``series``, ``as_of`` (Date) and one Int64 column per weight: one
        row per series and date, sorted by ``key`` then ``as_of``.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> records = pl.LazyFrame({"_key": [0, 0, 1], "counts_from": [date(2025, 3, 1),
    ...     date(2025, 3, 2), date(2025, 3, 1)], "clears_on": [date(2025, 3, 3),
    ...     date(2025, 3, 9), date(2025, 3, 2)], "late": [True, False, True]})
    >>> series = pl.LazyFrame({"_key": [1, 0], "seller_id": ["S2", "S1"]})
    >>> daily_grid(records, series, start=date(2025, 3, 1), end=date(2025, 3, 3),
    ...     weights={"all": pl.lit(1), "late": pl.col("late")}).collect()
    shape: (6, 5)
    ┌──────┬───────────┬────────────┬─────┬──────┐
    │ _key ┆ seller_id ┆ as_of      ┆ all ┆ late │
    │ ---  ┆ ---       ┆ ---        ┆ --- ┆ ---  │
    │ i64  ┆ str       ┆ date       ┆ i64 ┆ i64  │
    ╞══════╪═══════════╪════════════╪═════╪══════╡
    │ 0    ┆ S1        ┆ 2025-03-01 ┆ 1   ┆ 1    │
    │ 0    ┆ S1        ┆ 2025-03-02 ┆ 2   ┆ 1    │
    │ 0    ┆ S1        ┆ 2025-03-03 ┆ 1   ┆ 0    │
    │ 1    ┆ S2        ┆ 2025-03-01 ┆ 1   ┆ 1    │
    │ 1    ┆ S2        ┆ 2025-03-02 ┆ 0   ┆ 0    │
    │ 1    ┆ S2        ┆ 2025-03-03 ┆ 0   ┆ 0    │
    └──────┴───────────┴────────────┴─────┴──────┘
    """
    as_of_range(start, end)
    first, last = day_number(start), day_number(end)
    weights = weights or {"count": pl.lit(1)}
    names = list(weights)
    share = share or {}
    unknown = sorted(set(share) - set(names))
    if unknown:
        raise ValueError(f"share names {unknown}, which are not weights {names}")
    cf, co = pl.col(counts_from).cast(pl.Int32), pl.col(clears_on).cast(pl.Int32)
    # cached: polars materialises the filtered records once, markedly faster (polars 2.1)
    events = records.filter(pl.col(key).is_not_null() & (cf < co) & (cf <= last) & (co > first))
    # flags stay one byte, other weights keep their integer type: the grid's memory
    kinds = records.select(
        w.alias(f"_w{i}") for i, w in enumerate(weights.values())
    ).collect_schema()
    columns = [
        w.fill_null(False).cast(pl.Int8) if kind == pl.Boolean else w.fill_null(0)
        for w, kind in zip(weights.values(), kinds.dtypes(), strict=True)
    ]
    events = events.cache().select(
        pl.col(key).alias("_code"),
        (cf.clip(lower_bound=first) - first).alias("_on"),
        # -1: clears after the last date, nothing to take off
        pl.when(co <= last).then(co - first).otherwise(-1).alias("_off"),
        *(w.alias(f"_w{i}") for i, w in enumerate(columns)),
    )
    shared = [names.index(name) for name in share]
    schema = dict.fromkeys(names, pl.Int64)
    series = series.cache()
    rows = series.select(
        pl.col(key).cast(pl.Int64).alias("_series"),
        *(pl.col(share[names[i]]).cast(pl.Int64).alias(f"_s{i}") for i in shared),
    )
    dense = pl.concat([events, rows], how="diagonal").map_batches(
        lambda frame: _grid(frame, names, shared, last - first + 1),
        schema=schema,
    )
    # each series' columns and dates, in the grid's order: both sides are sorted by the
    # code (a join on the code costs about three times as much)
    columns = series.collect_schema().names()
    labels = (
        series.sort(key)
        .with_columns(as_of=pl.int_ranges(first, last + 1, dtype=pl.Int32))
        .explode("as_of")
        .with_columns(pl.col("as_of").cast(pl.Date))
    )
    return pl.concat([labels, dense], how="horizontal").select(*columns, "as_of", *names)


def _grid(frame: pl.DataFrame, names: list[str], shared: list[int], days: int) -> pl.DataFrame:
    """map_batches body of :func:`daily_grid`: scatter-add, then cumulative sums."""
    import numpy as np  # only for histories

    is_series = frame["_series"].is_not_null()
    rows, events = frame.filter(is_series), frame.filter(~is_series)
    codes = np.sort(rows["_series"].to_numpy())
    count = len(codes)
    size = max(int(codes.max(initial=-1)), int(events["_code"].max() or 0)) + 1
    position = np.full(size, -1, dtype=np.int64)
    position[codes] = np.arange(count)
    # the cell (series, day) where each record starts counting, and where it clears
    cell_on = position[events["_code"].to_numpy()]
    kept = cell_on >= 0
    every = bool(kept.all())
    off = events["_off"].to_numpy()
    ends = kept & (off >= 0)
    cell_off = cell_on[ends] * days
    cell_off += off[ends]
    if not every:
        cell_on = cell_on[kept]
    cell_on *= days
    cell_on += events["_on"].to_numpy() if every else events["_on"].to_numpy()[kept]
    sources = {}
    if shared:
        by_code = rows.sort("_series")
        for i in shared:
            source = by_code[f"_s{i}"]
            own = np.arange(count)
            sources[i] = np.where(
                source.is_null().to_numpy(), own, position[source.fill_null(0).to_numpy()]
            )
    out = {}
    cells = count * days
    for i, name in enumerate(names):
        w = events[f"_w{i}"].to_numpy()
        grid = _scatter(cell_on, w if every else w[kept], cells)
        grid -= _scatter(cell_off, w[ends], cells)
        grid = grid.reshape(count, days)
        np.cumsum(grid, axis=1, out=grid)
        if i in sources:
            grid = grid[sources[i]]
        out[name] = grid.ravel()
    return pl.DataFrame(out)


def _scatter(cells, weights, size: int):
    """Exact integer sums of ``weights`` per cell (``numpy.bincount`` where it is exact)."""
    import numpy as np  # only for histories

    if len(weights) == 0:
        return np.zeros(size, dtype=np.int64)
    low, high = int(weights.min()), int(weights.max())
    if low >= 0 and high <= 1:  # flags: count the cells that have one
        return np.bincount(cells[weights == 1], minlength=size)
    if max(-low, high) * len(weights) < 2**53:  # float sums of integers are exact
        return np.rint(np.bincount(cells, weights=weights, minlength=size)).astype(np.int64)
    totals = np.zeros(size, dtype=np.int64)
    np.add.at(totals, cells, weights)
    return totals


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

    :func:`daily_grid` over any key columns: the key combinations get integer codes in
    sorted order first.

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
        combinations present in ``records``. Records of other combinations are ignored.
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
    as_of_range(start, end)
    series = (
        (all_keys if all_keys is not None else records)
        .select(keys)
        .unique()
        .sort(keys)
        .with_row_index("_series_code")
    )
    coded = records.join(series, on=keys, how="inner", nulls_equal=True)
    names = list(weights or {"count": None})
    return daily_grid(
        coded,
        series,
        start=start,
        end=end,
        key="_series_code",
        weights=weights,
        counts_from=counts_from,
        clears_on=clears_on,
    ).select(*keys, "as_of", *names)


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
