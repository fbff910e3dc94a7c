"""Evaluation periods, checkpoints and thresholds (definitions section 11), and calibrating the proxy."""

from __future__ import annotations

import re
from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import polars as pl
import pytest

from tests.test_inventory_bruteforce import random_inventory
from toolkit.inventory import (
    calibrate_proxy,
    evaluation_calendar,
    inventory_periods,
    inventory_table,
)
from toolkit.inventory.calibration import fit_simplex_weights
from toolkit.inventory.periods import checkpoint
from toolkit.model.data import DataError, dataset_from_frames
from toolkit.model.policy import load_policy

POLICY = load_policy()
ORDERS = pl.DataFrame(
    {"order_id": ["O"], "seller_id": ["S1"], "channel": ["afn"], "purchased_at": ["2020-03-01"]}
)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# -------------------------------------------------------------------- the calendar


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(date(2026, 12, 1), date(2026, 11, 16),
                     id="a Tuesday start: the Monday 15 days before"),
        pytest.param(date(2026, 11, 30), date(2026, 11, 16),
                     id="a Monday start: exactly two weeks before"),
        pytest.param(date(2021, 1, 1), date(2020, 12, 14),
                     id="Q1 2021: the week Amazon called week 51 of 2020"),
    ],
)  # fmt: skip
def test_checkpoint_is_the_last_evaluation_day_14_days_before(start, expected):
    assert checkpoint(start, POLICY.inventory) == expected
    assert expected.weekday() == 0


def test_quarters_then_months_from_march_2023():
    calendar = evaluation_calendar(
        POLICY.inventory, marketplaces=["US"], start=date(2022, 11, 1), end=date(2023, 4, 1)
    )
    assert calendar.select("period_kind", "period_start", "period_end").rows() == [
        ("quarter", date(2022, 10, 1), date(2022, 12, 31)),
        ("quarter", date(2023, 1, 1), date(2023, 2, 28)),  # cut short by the switch
        ("month", date(2023, 3, 1), date(2023, 3, 31)),
        ("month", date(2023, 4, 1), date(2023, 4, 30)),
        ("month", date(2023, 5, 1), date(2023, 5, 31)),  # the next one after the range
    ]


@pytest.mark.parametrize(
    ("market", "start", "expected"),
    [
        pytest.param("US", date(2020, 7, 1), 400, id="US Q3 2020: 500 only from 16 August"),
        pytest.param("US", date(2020, 10, 1), 500, id="US Q4 2020: 500"),
        pytest.param("US", date(2021, 1, 1), 450,
                     id="US Q1 2021: 450, though its checkpoint was under 500"),
        pytest.param("US", date(2023, 3, 1), None, id="US from March 2023: none published"),
        pytest.param("UK", date(2020, 4, 1), None, id="UK before 14 May 2020: none in the policy"),
        pytest.param("UK", date(2020, 7, 1), 400, id="UK Q3 2020: 400"),
        pytest.param("MX", date(2020, 7, 1), None, id="a marketplace with no threshold"),
    ],
)  # fmt: skip
def test_threshold_in_force_on_the_first_day_of_the_period(market, start, expected):
    calendar = evaluation_calendar(POLICY.inventory, marketplaces=[market], start=start, end=start)
    row = calendar.filter(pl.col("period_start") == start).row(0, named=True)
    assert row["threshold"] == expected


def test_no_periods_before_the_first_policy_row():
    calendar = evaluation_calendar(
        POLICY.inventory, marketplaces=["US"], start=date(2017, 1, 1), end=date(2017, 3, 1)
    )
    assert calendar["period_start"].to_list() == [date(2018, 7, 1)]


# --------------------------------------------------------------------- periods


def stranded_in_september(market: str = "US", seller: str = "S1") -> pl.DataFrame:
    """One SKU, 100 units, 2 sold a day; its listing closed in August and September 2020."""
    dates = days(date(2020, 3, 1), date(2021, 3, 31))
    closed = [date(2020, 8, 1) <= d <= date(2020, 9, 30) for d in dates]
    return pl.DataFrame(
        {
            "date": dates,
            "seller_id": seller,
            "marketplace": market,
            "sku": "MUG",
            "on_hand": 100,
            "available": [0 if c else 100 for c in closed],
            "stranded": [100 if c else 0 for c in closed],
            "shipped": [0 if c else 2 for c in closed],
        }
    )


def test_each_period_is_decided_at_its_checkpoint_and_nothing_carries_over():
    data = dataset_from_frames(orders=ORDERS, inventory=stranded_in_september())
    periods = inventory_periods(data, as_of=date(2020, 9, 1), to=date(2020, 12, 20)).collect()
    assert periods.select(
        "period_start", "checkpoint", "decided", "threshold", "limit_risk"
    ).rows() == [
        (date(2020, 7, 1), date(2020, 6, 15), True, 400, "ok"),
        (date(2020, 10, 1), date(2020, 9, 14), True, 500, "at_risk"),  # stranded at checkpoint
        (date(2021, 1, 1), date(2020, 12, 14), True, 450, "ok"),  # the bad quarter is gone
    ]
    # the proxy of a period is the proxy on its checkpoint date, nothing else
    daily = inventory_table(data, as_of=date(2020, 6, 15), to=date(2020, 12, 14)).collect()
    at = dict(zip(daily["as_of"], daily["ipi_proxy"], strict=True))
    assert periods["ipi_proxy"].to_list() == [
        at[date(2020, 6, 15)],
        at[date(2020, 9, 14)],
        at[date(2020, 12, 14)],
    ]
    # 6/15: sell-through 180/100 = 1.8 -> 0.6, no excess, none stranded, always in stock:
    #       1000 x (0.35 x 0.6 + 0.35 + 0.15 + 0.15) = 860
    # 9/14: 90 shipped (17 June - 31 July) / 100 -> 0.3, nothing available so no excess,
    #       all stranded, never in stock: 1000 x (0.35 x 0.3 + 0.35) = 455, under 500
    # 12/14: 150 shipped / 100 -> 0.5, no excess (100 units, 180 of cover), none stranded,
    #       in stock every day: 1000 x (0.175 + 0.35 + 0.15 + 0.15) = 825, over 450
    assert periods["ipi_proxy"].to_list() == [860, 455, 825]


def test_a_checkpoint_after_the_last_date_is_pending():
    data = dataset_from_frames(orders=ORDERS, inventory=stranded_in_september())
    periods = inventory_periods(data, as_of=date(2020, 12, 1), to=date(2020, 12, 13)).collect()
    last = periods.row(-1, named=True)
    assert (last["period_start"], last["checkpoint"]) == (date(2021, 1, 1), date(2020, 12, 14))
    assert (last["decided"], last["ipi_proxy"], last["limit_risk"]) == (False, None, "pending")


def test_unknown_without_a_threshold_or_without_data_at_the_checkpoint():
    inventory = pl.concat(
        [stranded_in_september("MX"), stranded_in_september("US", "S2").filter(
            pl.col("date") >= date(2020, 6, 1))]
    )  # fmt: skip
    data = dataset_from_frames(orders=ORDERS, inventory=inventory)
    periods = inventory_periods(data, as_of=date(2020, 7, 1)).collect()
    rows = {(r["seller_id"], r["period_start"]): r for r in periods.rows(named=True)}
    mx = rows[("S1", date(2020, 7, 1))]
    assert (mx["threshold"], mx["ipi_proxy"] is not None, mx["limit_risk"]) == (
        None,
        True,
        "unknown",
    )
    new = rows[("S2", date(2020, 7, 1))]  # first rows in June: no counted SKU on 15 June
    assert (new["threshold"], new["ipi_proxy"], new["limit_risk"]) == (400, None, "unknown")


# ------------------------------------------------------------------ calibration


KNOWN = {
    "sell_through_90d": Fraction(1, 2),
    "excess_pct": Fraction(1, 10),
    "stranded_pct": Fraction(3, 10),
    "in_stock_rate_30d": Fraction(1, 10),
}


def _synthetic(seeds=(11, 12, 13), weekly_from=100, weeks=14, weights=KNOWN):
    """Random US inventory and, every Monday, the score the proxy gives with ``weights``."""
    rows = []
    for seed in seeds:
        rows += [
            {**r, "seller_id": f"{r['seller_id']}-{seed}"}
            for r in random_inventory(seed)
            if r["marketplace"] == "US"
        ]
    inventory = pl.DataFrame(rows, schema_overrides={"excess": pl.Int64})
    data = dataset_from_frames(orders=ORDERS, inventory=inventory)
    first = date(2025, 1, 1) + timedelta(days=weekly_from)
    first += timedelta(days=(7 - first.weekday()) % 7)
    mondays = [first + timedelta(weeks=k) for k in range(weeks)]
    scores = (
        inventory_table(data, as_of=mondays[0], to=mondays[-1], weights=weights)
        .filter(pl.col("as_of").is_in(mondays), pl.col("ipi_proxy").is_not_null())
        .select("seller_id", "marketplace", pl.col("as_of").alias("date"),
                pl.col("ipi_proxy").alias("score"))
        .collect()
    )  # fmt: skip
    return dataset_from_frames(orders=ORDERS, inventory=inventory, ipi_observed=scores)


def test_calibration_recovers_known_weights_from_observed_scores():
    data = _synthetic()
    calibration = calibrate_proxy(data)
    fit = calibration.fit.row(0, named=True)
    assert fit["marketplace"] == "US"
    assert fit["points"] >= 20
    for component, weight in KNOWN.items():
        assert fit[f"w_{component}"] == pytest.approx(float(weight), abs=0.02), component
    assert sum(calibration.weights["US"].values()) == pytest.approx(1, abs=2e-4)
    assert fit["mae"] < 1.0  # the observed scores are the proxy rounded to integers
    assert fit["r_squared"] > 0.999
    # used in the tables, the fitted weights give back the observed scores
    table = inventory_table(data, as_of=date(2025, 4, 14), by_market=calibration.weights)
    observed = data.ipi_observed.filter(pl.col("date") == date(2025, 4, 14))
    both = table.join(observed, left_on=["seller_id", "as_of"], right_on=["seller_id", "date"])
    differences = both.select((pl.col("ipi_proxy") - pl.col("score")).abs().max()).collect()
    assert differences.item() <= 2


def test_calibration_needs_eight_points_and_says_how_many_there_are():
    data = _synthetic(seeds=(11,), weeks=3)
    points = data.ipi_observed.collect().height
    with pytest.raises(DataError, match="at least 8 observed scores per marketplace") as info:
        calibrate_proxy(data)
    (error,) = info.value.errors
    assert (error.file, error.column) == ("<ipi_observed>", "score")
    usable, skipped = map(
        int, re.search(r"US has (\d+) \((\d+) more skipped", error.problem).groups()
    )
    assert usable < 8 and usable + skipped == points


def test_points_with_a_component_without_data_are_skipped_and_counted():
    data = _synthetic()
    before = calibrate_proxy(data).fit.row(0, named=True)
    extra = pl.DataFrame(
        {"seller_id": ["S1-11"], "marketplace": ["US"], "date": [date(2025, 1, 6)],
         "score": [400]}
    )  # fmt: skip
    observed = pl.concat([data.ipi_observed.collect(), extra])
    with_early = dataset_from_frames(
        orders=ORDERS, inventory=data.inventory.collect(), ipi_observed=observed
    )
    fit = calibrate_proxy(with_early).fit.row(0, named=True)
    assert fit["skipped"] == before["skipped"] + 1  # 6 January: no SKU is 90 days old yet
    assert fit["points"] == before["points"] > 0


def test_calibration_without_observed_scores_is_an_error():
    data = dataset_from_frames(orders=ORDERS, inventory=stranded_in_september())
    with pytest.raises(DataError, match="no observed IPI scores"):
        calibrate_proxy(data)


def test_simplex_fit_recovers_weights_on_scores_in_the_thousands():
    # sixteen points of four component scores (0 .. 1000), as the sample has, and scores
    # with up to 6 points of noise: the fit is exact on its support, whatever the scale
    # most scores are a perfect 1000 (nearly collinear columns, as in the sample)
    rng = np.random.default_rng(3)
    x = np.full((16, 4), 1000.0)
    x[:, 0] = rng.uniform(50, 1000, size=16)
    x[[3, 9, 14], 1] = (0.0, 120.0, 880.0)
    x[[5, 6], 2] = (0.0, 450.0)
    x[[10, 11, 12, 13], 3] = (490.0, 530.0, 680.0, 700.0)
    w = np.array([0.3, 0.4, 0.2, 0.1])
    y = np.round(x @ w) + rng.integers(-6, 7, size=16)
    fitted = fit_simplex_weights(x, y)
    assert fitted == pytest.approx(w, abs=0.02)
    assert fitted.sum() == pytest.approx(1.0)
