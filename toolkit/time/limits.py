"""The ends of the calendar: the toolkit's dates run from 0001-01-01 to 9999-12-31.

Input timestamps can hold any year from 1 to 9999. Inside the engine dates are day
numbers (Int32 days since 1970), so arithmetic near either end never overflows there; a
*table*, though, never shows a date outside the calendar. An as-of date or a horizon
whose table would need one (a metric window that starts before year 1, a forecast past
9999-12-31, a record that would clear after it) is an
:class:`~toolkit.model.errors.OptionError` that names the nearest date or horizon that
works.

Examples
--------
>>> from datetime import date
>>> check_reach(date(2025, 3, 1), back=73, ahead=120, what="the forecast")
>>> check_reach(date(9999, 12, 1), ahead=120, what="the forecast over 120 days")
Traceback (most recent call last):
...
toolkit.model.errors.OptionError: the forecast over 120 days from 9999-12-01 would end after 9999-12-31, the last date the toolkit handles: the latest date that works is 9999-09-02
>>> check_reach(date(1, 2, 1), back=73, what="the odr window (60 days, 14-day lag)")
Traceback (most recent call last):
...
toolkit.model.errors.OptionError: the odr window (60 days, 14-day lag) as of 0001-02-01 would start before 0001-01-01, the first date the toolkit handles: the earliest date that works is 0001-03-15
"""

from __future__ import annotations

from datetime import date

import polars as pl

from toolkit.model.errors import OptionError
from toolkit.time.visibility import day_number

__all__ = ["FIRST_DATE", "LAST_DATE", "check_reach", "day_after", "shift"]

#: The first and the last date the toolkit handles (the years the input format can hold).
FIRST_DATE = date.min
LAST_DATE = date.max


def shift(day: date, days: int) -> date | None:
    """``day`` plus ``days`` (minus, when negative), or None outside the calendar.

    >>> shift(date(9999, 12, 30), 1), shift(date(9999, 12, 30), 2)
    (datetime.date(9999, 12, 31), None)
    """
    number = day.toordinal() + days
    if not FIRST_DATE.toordinal() <= number <= LAST_DATE.toordinal():
        return None
    return date.fromordinal(number)


def day_after(day: date) -> pl.Expr:
    """The date after ``day`` as a polars ``Date`` literal, 10000-01-01 included.

    For the engine's exclusive ends ("clears on the day after the last date"): Python's
    ``date`` stops at 9999-12-31, polars' ``Date`` (a day number) does not.

    >>> pl.select(day_after(date(2025, 2, 28))).item()
    datetime.date(2025, 3, 1)
    >>> pl.select(day_after(date(9999, 12, 31)).dt.to_string()).item()
    '+10000-01-01'
    """
    return pl.lit(day_number(day) + 1, pl.Int32).cast(pl.Date)


def check_reach(day: date, *, back: int = 0, ahead: int = 0, what: str) -> None:
    """Check that the dates ``day - back .. day + ahead`` are all in the calendar.

    Parameters
    ----------
    day
        The as-of date (or the first or last of a range).
    back, ahead
        How many days before and after ``day`` the table needs (0 or more).
    what
        What needs them, for the message (``"the forecast over 120 days"``).

    Raises
    ------
    toolkit.model.errors.OptionError
        Naming ``day``, the end of the calendar it passes and the nearest date that works.
    """
    if shift(day, -back) is None:
        earliest = shift(FIRST_DATE, back)
        works = f"the earliest date that works is {earliest}" if earliest else "no date works"
        raise OptionError(
            f"{what} as of {day} would start before {FIRST_DATE}, the first date the "
            f"toolkit handles: {works}"
        )
    if shift(day, ahead) is None:
        latest = shift(LAST_DATE, -ahead)
        works = f"the latest date that works is {latest}" if latest else "no date works"
        raise OptionError(
            f"{what} from {day} would end after {LAST_DATE}, the last date the toolkit "
            f"handles: {works}"
        )
