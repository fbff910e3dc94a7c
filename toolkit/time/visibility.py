"""Time and visibility (definitions section 2): when a fact is known, and which day it belongs to.

An event's **visible time** is its timestamp rounded *up* to the next multiple of its
source's refresh cadence, counted from 00:00 UTC; an event exactly on a boundary is visible
at that boundary; cadence 0 means visible at once. Its **visible date** is the UTC date of
the visible time. As of date D, a fact is known when its visible date is on or before D.

Attribution (which window a record belongs to) always uses the event's own timestamp.

Examples
--------
>>> from datetime import datetime, timezone
>>> import polars as pl
>>> from toolkit.time.visibility import visible_date, visible_time
>>> utc = timezone.utc
>>> frame = pl.DataFrame({"left_at": [
...     datetime(2025, 3, 3, 23, 50, tzinfo=utc),   # a 30 min cadence pushes it to 4 March
...     datetime(2025, 3, 3, 23, 30, tzinfo=utc),   # exactly on a boundary
...     datetime(2025, 3, 3, 23, 30, 1, tzinfo=utc),
... ]})
>>> frame.with_columns(
...     visible=visible_time(pl.col("left_at"), cadence_minutes=30),
...     day=visible_date(pl.col("left_at"), cadence_minutes=30),
... )
shape: (3, 3)
┌─────────────────────────┬─────────────────────────┬────────────┐
│ left_at                 ┆ visible                 ┆ day        │
│ ---                     ┆ ---                     ┆ ---        │
│ datetime[μs, UTC]       ┆ datetime[μs, UTC]       ┆ date       │
╞═════════════════════════╪═════════════════════════╪════════════╡
│ 2025-03-03 23:50:00 UTC ┆ 2025-03-04 00:00:00 UTC ┆ 2025-03-04 │
│ 2025-03-03 23:30:00 UTC ┆ 2025-03-03 23:30:00 UTC ┆ 2025-03-03 │
│ 2025-03-03 23:30:01 UTC ┆ 2025-03-04 00:00:00 UTC ┆ 2025-03-04 │
└─────────────────────────┴─────────────────────────┴────────────┘
"""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = [
    "DAY_US",
    "day_number",
    "utc_date",
    "utc_day",
    "visible_date",
    "visible_day",
    "visible_time",
]

#: Microseconds in a day: timestamps are ``Datetime("us", "UTC")``.
DAY_US = 86_400_000_000
_EPOCH = date(1970, 1, 1)


def _visible_us(ts: pl.Expr, cadence_minutes: int) -> pl.Expr:
    """Visible time as microseconds since the epoch (Int64)."""
    if cadence_minutes < 0:
        raise ValueError(f"cadence_minutes must be >= 0, got {cadence_minutes}")
    us = ts.dt.epoch("us")
    if cadence_minutes == 0:
        return us
    step = cadence_minutes * 60_000_000
    if DAY_US % step == 0:
        # the cadence divides the day: every midnight is a multiple of it, so rounding up
        # from the epoch is rounding up from midnight
        return (us + (step - 1)).floordiv(step) * step
    day_start = us.floordiv(DAY_US) * DAY_US
    into_day = us - day_start
    # Next multiple of the cadence counted from midnight; never past the next midnight,
    # which is a boundary too (for cadences that do not divide the day).
    rounded = ((into_day + (step - 1)).floordiv(step) * step).clip(upper_bound=DAY_US)
    return day_start + rounded


def visible_time(ts: pl.Expr, *, cadence_minutes: int) -> pl.Expr:
    """The instant at which an event stamped ``ts`` becomes visible (``Datetime[us, UTC]``).

    Null timestamps give null.
    """
    return _visible_us(ts, cadence_minutes).cast(pl.Datetime("us", "UTC"))


def visible_day(ts: pl.Expr, *, cadence_minutes: int) -> pl.Expr:
    """:func:`visible_date` as a day number (Int32 days since 1970-01-01).

    The engine computes with day numbers: integer arithmetic on them is many times
    faster than adding durations to dates.
    """
    return _visible_us(ts, cadence_minutes).floordiv(DAY_US).cast(pl.Int32)


def visible_date(ts: pl.Expr, *, cadence_minutes: int) -> pl.Expr:
    """The UTC date of :func:`visible_time` (``Date``): the first as-of date that knows it."""
    return visible_day(ts, cadence_minutes=cadence_minutes).cast(pl.Date)


def utc_day(ts: pl.Expr) -> pl.Expr:
    """:func:`utc_date` as a day number (Int32 days since 1970-01-01)."""
    return ts.dt.epoch("us").floordiv(DAY_US).cast(pl.Int32)


def utc_date(ts: pl.Expr) -> pl.Expr:
    """The UTC calendar date of an instant: the attribution date of an event."""
    return utc_day(ts).cast(pl.Date)


def day_number(day: date) -> int:
    """Days since 1970-01-01 of a date (the physical value of ``pl.Date``).

    >>> day_number(date(1970, 1, 2))
    1
    """
    return (day - _EPOCH).days
