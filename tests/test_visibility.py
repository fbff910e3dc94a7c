"""Visibility (definitions section 2): cadence rounding on boundaries and around midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from toolkit.time.visibility import utc_date, visible_date, visible_time


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


CASES = [
    pytest.param(
        "2025-03-03T23:50:00", 30, "2025-03-04T00:00:00", id="feedback at 23:50 shows at midnight"
    ),
    pytest.param(
        "2025-03-03T23:30:00", 30, "2025-03-03T23:30:00", id="exactly on a boundary is visible then"
    ),
    pytest.param("2025-03-03T23:59:00", 15, "2025-03-04T00:00:00", id="one minute before midnight"),
    pytest.param(
        "2025-03-03T23:59:59.999999", 15, "2025-03-04T00:00:00", id="last microsecond of the day"
    ),
    pytest.param("2025-03-04T00:00:00", 15, "2025-03-04T00:00:00", id="midnight itself"),
    pytest.param("2025-03-04T00:00:00.000001", 15, "2025-03-04T00:15:00", id="just after midnight"),
    pytest.param("2025-03-03T23:59:00", 0, "2025-03-03T23:59:00", id="cadence 0 is immediate"),
    pytest.param("2025-03-03T12:00:01", 360, "2025-03-03T18:00:00", id="six hour cadence"),
    pytest.param(
        "2025-03-03T18:00:01", 360, "2025-03-04T00:00:00", id="six hour cadence past the last slot"
    ),
    pytest.param(
        "2025-03-03T23:56:00",
        7,
        "2025-03-04T00:00:00",
        id="cadence that does not divide the day stops at midnight",
    ),
    pytest.param(
        "2025-03-03T23:54:00", 7, "2025-03-03T23:55:00", id="cadence that does not divide the day"
    ),
    pytest.param("1969-12-31T23:50:00", 30, "1970-01-01T00:00:00", id="before the epoch"),
]


@pytest.mark.parametrize(("event", "cadence", "visible"), CASES)
def test_visible_time(event, cadence, visible):
    frame = pl.DataFrame({"t": [ts(event)]})
    got = frame.select(
        v=visible_time(pl.col("t"), cadence_minutes=cadence),
        d=visible_date(pl.col("t"), cadence_minutes=cadence),
    ).row(0)
    assert got == (ts(visible), ts(visible).date())


def test_attribution_keeps_the_event_date():
    # an order at 23:55 is visible on 4 March but its purchase date is 3 March
    frame = pl.DataFrame({"t": [ts("2025-03-03T23:55:00")]})
    got = frame.select(
        a=utc_date(pl.col("t")), v=visible_date(pl.col("t"), cadence_minutes=15)
    ).row(0)
    assert got == (date(2025, 3, 3), date(2025, 3, 4))


def test_nulls_stay_null():
    frame = pl.DataFrame({"t": [None]}, schema={"t": pl.Datetime("us", "UTC")})
    assert frame.select(visible_date(pl.col("t"), cadence_minutes=30)).item() is None


def test_negative_cadence_is_an_error():
    with pytest.raises(ValueError, match="cadence_minutes"):
        visible_time(pl.col("t"), cadence_minutes=-1)
