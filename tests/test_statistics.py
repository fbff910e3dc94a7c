"""The exact target test written once (toolkit.engine.statistics): bad count, target met,
watch and clean orders needed, against rational arithmetic."""

from __future__ import annotations

import random
from fractions import Fraction

import polars as pl
import pytest

from toolkit.engine.statistics import (
    bad_count,
    clean_orders_needed,
    orders_needed,
    target_met,
    watch_reached,
)

WATCH = Fraction(4, 5)


def _row(bad: int, n: int, p0: Fraction) -> dict:
    frame = pl.DataFrame(
        {"bad": [bad], "n": [n], "p_num": [p0.numerator], "p_den": [p0.denominator]}
    )
    args = (pl.col("bad"), pl.col("n"), pl.col("p_num"), pl.col("p_den"))
    return frame.select(
        met=target_met(*args),
        watch=watch_reached(*args, watch_fraction=WATCH),
        needed=orders_needed(*args),
    ).row(0, named=True)


@pytest.mark.parametrize(
    ("bad", "n", "p0", "met", "watch", "needed"),
    [
        pytest.param(
            3, 300, Fraction(1, 100), False, True, 1, id="exactly at the target is a miss"
        ),
        pytest.param(3, 301, Fraction(1, 100), True, True, 0, id="one order more meets it"),
        pytest.param(3, 200, Fraction(1, 100), False, True, 101, id="3 / 0.01 is 300, not 299.99"),
        pytest.param(
            1, 50, Fraction(1, 40), True, True, 0, id="1/50 is exactly 0.8 of 0.025: watch"
        ),
        pytest.param(1, 51, Fraction(1, 40), True, False, 0, id="just under 0.8 p0: good"),
        # with no orders the status is no_data before met or watch is asked
        pytest.param(0, 0, Fraction(1, 100), False, True, 0, id="no orders: nothing needed"),
        pytest.param(2, 10, Fraction(0), False, True, None, id="p0 of 0 can never be met"),
    ],
)
def test_target_edges(bad, n, p0, met, watch, needed):
    assert _row(bad, n, p0) == {"met": met, "watch": watch, "needed": needed}
    assert clean_orders_needed(bad, n, allowed_bad=p0) == needed


def test_bad_count_of_greater_than_metrics_is_the_good_orders_missing():
    frame = pl.DataFrame({"num": [3, 95, 4], "n": [100, 100, 4], "c": ["<", ">", None]})
    out = frame.select(bad_count(pl.col("num"), pl.col("n"), pl.col("c"))).to_series()
    assert out.to_list() == [3, 5, 4]


@pytest.mark.parametrize("seed", [1, 2])
def test_against_rational_arithmetic_on_random_rows(seed):
    rng = random.Random(seed)
    p0s = [Fraction(1, 100), Fraction(1, 25), Fraction(1, 20), Fraction(1, 10), Fraction(3, 40)]
    rows = []
    for _ in range(2_000):
        n = rng.randint(0, 400)
        rows.append((rng.randint(0, n), n, rng.choice(p0s)))
    frame = pl.DataFrame(
        {
            "bad": [b for b, _, _ in rows],
            "n": [n for _, n, _ in rows],
            "p_num": [p.numerator for _, _, p in rows],
            "p_den": [p.denominator for _, _, p in rows],
        }
    )
    args = (pl.col("bad"), pl.col("n"), pl.col("p_num"), pl.col("p_den"))
    got = frame.select(
        met=target_met(*args),
        watch=watch_reached(*args, watch_fraction=WATCH),
        needed=orders_needed(*args),
    ).rows()
    for (bad, n, p0), (met, watch, needed) in zip(rows, got, strict=True):
        assert met == (n > 0 and Fraction(bad, n) < p0)
        assert watch == (n == 0 or Fraction(bad, n) >= WATCH * p0)
        if n == 0 or Fraction(bad, n) < p0:
            assert needed == 0
        else:  # the smallest x with bad / (n + x) < p0
            assert Fraction(bad, n + needed) < p0 <= Fraction(bad, n + needed - 1)
    assert sum(1 for _, _, x in got if x) > 100  # the rows exercise misses


def test_statistics_of_repeated_counts_equal_those_computed_row_by_row():
    """with_statistics computes each distinct (numerator, denominator, condition, p0,
    retired) once and joins the result back: every row, in its order, must get what the
    row-by-row computation gives it, nulls (no target) and a replaced status included."""
    from toolkit.engine.statistics import _statistics, with_statistics

    rng = random.Random(7)
    rows = []
    for _ in range(400):
        n = rng.choice([0, 1, 10, 200])
        condition, p_num, p_den = rng.choice([("<", 1, 100), (">", 1, 20), (None, None, None)])
        rows.append(
            {
                "seller": f"S{rng.randrange(30)}",
                "numerator": rng.randint(0, n),
                "denominator": n,
                "condition": condition,
                "p_num": p_num,
                "p_den": p_den,
                "retired": rng.choice([True, False, None]),
                "status": "stale",  # replaced, not kept
            }
        )
    frame = pl.DataFrame(rows, schema_overrides={"p_num": pl.Int32, "p_den": pl.Int32})
    options = {"z": 1.959963984540054, "alpha": Fraction(1, 20), "watch_fraction": WATCH}
    together = with_statistics(
        frame.lazy(),
        condition=pl.col("condition"),
        p0_numerator=pl.col("p_num"),
        p0_denominator=pl.col("p_den"),
        retired=pl.col("retired"),
        **options,
    ).collect()
    one_by_one = pl.concat(
        _statistics(
            frame.slice(i, 1).drop("status").lazy(),
            pl.col("numerator"),
            pl.col("denominator"),
            pl.col("condition"),
            pl.col("p_num").cast(pl.Int64),
            pl.col("p_den").cast(pl.Int64),
            pl.col("retired").fill_null(False),
            **options,
        ).collect()
        for i in range(frame.height)
    )
    assert together.columns == [c for c in frame.columns if c != "status"] + [
        "rate",
        "ci_low",
        "ci_high",
        "p_value",
        "status",
    ]
    assert together.select(one_by_one.columns).equals(one_by_one)
    assert together["seller"].to_list() == frame["seller"].to_list()
    assert set(together["status"]) >= {"no_data", "info", "good", "bad_low_volume"}
