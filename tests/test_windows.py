"""The rules of time written once in toolkit.time.windows: the metric window, "live at K",
the range of as-of dates and the +1/-1 grid (checked against a per-day count)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.model.errors import OptionError
from toolkit.time.visibility import day_number
from toolkit.time.windows import (
    Window,
    active_on,
    as_of_range,
    daily_counts,
    daily_grid,
    live_at,
    stop_known_at,
)

D = date(2025, 4, 30)
ODR = Window(window_days=60, lag_days=14)


def test_window_bounds_of_the_odr_at_an_as_of_date():
    assert (ODR.start(D), ODR.end(D)) == (date(2025, 2, 16), date(2025, 4, 16))
    assert (ODR.opens(date(2025, 3, 1)), ODR.closes(date(2025, 3, 1))) == (
        date(2025, 3, 15),
        date(2025, 5, 14),
    )


def test_window_gives_the_same_days_for_dates_day_numbers_and_expressions():
    d = day_number(D)
    frame = pl.DataFrame({"d": [d]}, schema={"d": pl.Int32})
    as_expr = frame.select(
        ODR.start(pl.col("d")).alias("start"),
        ODR.end(pl.col("d")).alias("end"),
        ODR.opens(pl.col("d")).alias("opens"),
        ODR.closes(pl.col("d")).alias("closes"),
    ).row(0)
    as_int = (ODR.start(d), ODR.end(d), ODR.opens(d), ODR.closes(d))
    as_date = tuple(day_number(x) for x in (ODR.start(D), ODR.end(D), ODR.opens(D), ODR.closes(D)))
    assert as_expr == as_int == as_date == (d - 73, d - 14, d + 14, d + 74)


def test_window_with_a_width_and_lag_per_row():
    frame = pl.DataFrame({"d": [100, 100], "w": [60, 7], "lag": [14, 0]})
    window = Window(pl.col("w"), pl.col("lag"))
    out = frame.select(start=window.start(pl.col("d")), end=window.end(pl.col("d")))
    assert out.rows() == [(27, 86), (94, 100)]


@pytest.mark.parametrize(
    ("offset", "inside"),
    [
        pytest.param(-1, False, id="the day before the window's first attribution date"),
        pytest.param(0, True, id="the window's first attribution date"),
        pytest.param(59, True, id="the window's last attribution date (D minus the lag)"),
        pytest.param(60, False, id="the day after: still waiting out the lag"),
    ],
)
def test_window_contains_both_ends(offset, inside):
    a = day_number(ODR.start(D)) + offset
    frame = pl.DataFrame({"a": [a]})
    assert frame.select(ODR.contains(pl.col("a"), D)).item() is inside
    # a record attributed to a counts on D exactly when a+L <= D < a+L+W
    assert (ODR.opens(a) <= day_number(D) < ODR.closes(a)) is inside


def test_days_after_counts_the_window_dates_after_the_last_known_day():
    frame = pl.DataFrame({"f": [day_number(D) + k for k in (1, 14, 15, 40, 100)]})
    out = frame.select(ODR.days_after(D, pl.col("f")))
    # F - L - D, between 0 and W
    assert out.to_series().to_list() == [0, 0, 1, 26, 60]


@pytest.mark.parametrize(
    ("seen", "stop", "live"),
    [
        pytest.param(5, None, True, id="seen on K and never stopped"),
        pytest.param(6, None, False, id="seen the day after K"),
        pytest.param(3, 5, False, id="stopped on K: the stop takes effect that day"),
        pytest.param(3, 6, True, id="stopped the day after K"),
        pytest.param(3, 4, False, id="stopped before K"),
    ],
)
def test_live_at(seen, stop, live):
    frame = pl.DataFrame(
        {"seen": [seen], "stop": [stop]}, schema={"seen": pl.Int32, "stop": pl.Int32}
    )
    assert frame.select(live_at(pl.col("seen"), pl.col("stop"), 5)).item() is live
    known = frame.select(stop_known_at(pl.col("stop"), 5)).item()
    assert known == (stop if stop is not None and stop <= 5 else None)


def test_live_at_without_a_stop_and_with_a_date():
    frame = pl.DataFrame({"seen": [day_number(D), day_number(D) + 1]})
    assert frame.select(live_at(pl.col("seen"), None, D)).to_series().to_list() == [True, False]


@pytest.mark.parametrize(
    ("counts_from", "clears_on", "counts"),
    [
        pytest.param(5, 6, True, id="counts from D"),
        pytest.param(4, 5, False, id="clears on D"),
        pytest.param(6, 9, False, id="counts from the day after D"),
        pytest.param(5, 5, False, id="an empty window never counts"),
        pytest.param(None, 9, False, id="a null bound never counts"),
    ],
)
def test_active_on(counts_from, clears_on, counts):
    frame = pl.DataFrame(
        {"cf": [counts_from], "co": [clears_on]}, schema={"cf": pl.Int32, "co": pl.Int32}
    )
    assert frame.select(active_on(pl.col("cf"), pl.col("co"), 5)).item() is counts


def test_as_of_range():
    assert as_of_range(D, None) == D
    assert as_of_range(D, D + timedelta(days=3)) == D + timedelta(days=3)
    with pytest.raises(OptionError, match="to 2025-04-29 is before as_of 2025-04-30"):
        as_of_range(D, D - timedelta(days=1))


@pytest.mark.parametrize(
    ("days", "works"),
    [
        pytest.param(36_525, True, id="100 years of dates is the longest range"),
        pytest.param(36_526, False, id="one date more is an option error"),
    ],
)
def test_a_range_holds_at_most_100_years_of_dates(days, works):
    end = D + timedelta(days=days - 1)
    if works:
        assert as_of_range(D, end) == end
    else:
        with pytest.raises(OptionError, match="has 36,526 dates; at most 36,525"):
            as_of_range(D, end)


# ------------------------------------------------------------------------ the grid

START, END = date(2025, 3, 1), date(2025, 3, 5)


def _grid(records, series, **options):
    return daily_grid(
        pl.LazyFrame(records), pl.LazyFrame(series), start=START, end=END, **options
    ).collect()


def _day(k: int) -> date:
    return START + timedelta(days=k)


@pytest.mark.parametrize(
    ("counts_from", "clears_on", "expected"),
    [
        pytest.param(0, 2, [1, 1, 0, 0, 0], id="inside the range"),
        pytest.param(-9, 1, [1, 0, 0, 0, 0], id="counting before the first date"),
        pytest.param(3, 99, [0, 0, 0, 1, 1], id="clearing after the last date"),
        pytest.param(-9, 0, [0, 0, 0, 0, 0], id="clearing on the first date"),
        pytest.param(5, 9, [0, 0, 0, 0, 0], id="counting from the day after the last date"),
        pytest.param(2, 2, [0, 0, 0, 0, 0], id="an empty window"),
        pytest.param(3, 1, [0, 0, 0, 0, 0], id="a window that ends before it starts"),
    ],
)
def test_grid_edges(counts_from, clears_on, expected):
    out = _grid(
        {"_key": [0], "counts_from": [_day(counts_from)], "clears_on": [_day(clears_on)]},
        {"_key": [0]},
    )
    assert out["count"].to_list() == expected
    assert out["as_of"].to_list() == [_day(k) for k in range(5)]


def test_grid_weights_series_without_records_and_records_without_series():
    out = _grid(
        {
            "_key": [2, 2, 0, 7],
            "counts_from": [_day(0), _day(1), _day(2), _day(0)],
            "clears_on": [_day(3), _day(9), _day(4), _day(9)],
            "points": [4, -3, None, 100],
        },
        {"_key": [2, 0, 5], "name": ["two", "zero", "five"]},
        weights={"count": pl.lit(1), "points": pl.col("points")},
    )
    expected = pl.DataFrame(
        {
            "_key": [0] * 5 + [2] * 5 + [5] * 5,
            "name": ["zero"] * 5 + ["two"] * 5 + ["five"] * 5,
            "as_of": [_day(k) for k in range(5)] * 3,
            "count": [0, 0, 1, 1, 0] + [1, 2, 2, 1, 1] + [0] * 5,
            # a null weight counts 0; key 7 is not a series
            "points": [0] * 5 + [4, 1, 1, -3, -3] + [0] * 5,
        }
    )
    assert_frame_equal(out, expected)


def test_grid_share_takes_another_series_counts():
    out = _grid(
        {"_key": [0, 1], "counts_from": [_day(0), _day(1)], "clears_on": [_day(9), _day(2)]},
        {"_key": [0, 1, 2], "from": [None, 0, None]},
        share={"count": "from"},
    )
    assert out.select("_key", "count").rows() == [
        *((0, c) for c in [1, 1, 1, 1, 1]),
        *((1, c) for c in [1, 1, 1, 1, 1]),
        *((2, c) for c in [0, 0, 0, 0, 0]),
    ]


def test_grid_sums_huge_integer_weights_exactly():
    big = 10**13  # 999 of them pass 2**53, where float sums lose the last 1
    out = _grid(
        {
            "_key": [0] * 1_000,
            "counts_from": [_day(0)] * 1_000,
            "clears_on": [_day(1)] * 999 + [_day(2)],
            "w": [big] * 999 + [1],
        },
        {"_key": [0]},
        weights={"w": pl.col("w")},
    )
    assert out["w"].to_list()[:2] == [999 * big + 1, 1]


def test_grid_refuses_a_share_that_is_not_a_weight():
    with pytest.raises(ValueError, match="share names"):
        _grid(
            {"_key": [0], "counts_from": [START], "clears_on": [END]},
            {"_key": [0]},
            share={"x": "y"},
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grid_equals_a_count_per_day_on_random_records(seed):
    rng = random.Random(seed)
    start, days = date(2025, 1, 1), 40
    rows = []
    for _ in range(400):
        cf = rng.randint(-15, days + 5)
        rows.append(
            {
                "seller": rng.choice(["A", "B", "C", None]),
                "counts_from": start + timedelta(days=cf),
                "clears_on": start + timedelta(days=cf + rng.randint(-3, 30)),
                "w": rng.choice([0, 1, 2, -5, 10**13]),
            }
        )
    records = pl.DataFrame(rows)
    end = start + timedelta(days=days - 1)
    got = daily_counts(
        records.lazy(),
        keys=["seller"],
        start=start,
        end=end,
        all_keys=pl.LazyFrame({"seller": ["A", "B", "C", "D", None]}),
        weights={"n": pl.lit(1), "w": pl.col("w")},
    ).collect()
    expected = []
    for seller in [None, "A", "B", "C", "D"]:
        mine = [r for r in rows if r["seller"] == seller]
        for k in range(days):
            d = start + timedelta(days=k)
            live = [r for r in mine if r["counts_from"] <= d < r["clears_on"]]
            expected.append((seller, d, len(live), sum(r["w"] for r in live)))
    want = pl.DataFrame(expected, schema=["seller", "as_of", "n", "w"], orient="row")
    assert_frame_equal(got, want, check_dtypes=False)
    assert want["n"].sum() > 500  # the records exercise the grid
