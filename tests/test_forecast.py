"""Forecasts (definitions section 5): recovery date, orders needed, what-if, on hand-built cases."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from tests.builders import dataset, day, order
from toolkit.engine.forecast import FORECAST_COLUMNS, forecast_table, what_if
from toolkit.model.policy import load_policy

D = date(2025, 6, 30)


def on(offset: int) -> date:
    return D + timedelta(days=offset)


def daily_orders(days: int, *, seller="S1", channel="mfn", **kw):
    return [
        order(f"{seller}-O{i}", day(D, -i), seller=seller, channel=channel, **kw)
        for i in range(days)
    ]


def one(table: pl.DataFrame, metric: str, channel: str = "mfn") -> pl.DataFrame:
    return table.filter((pl.col("metric") == metric) & (pl.col("channel") == channel))


def claim(cid, oid, filed, outcome="pending", resolved=None):
    return {
        "claim_id": cid,
        "order_id": oid,
        "filed_at": filed,
        "outcome": outcome,
        "resolved_at": resolved,
    }


def test_orders_needed_is_exact():
    # 3 defects of 200 orders: floor(3 / 0.01 - 200) + 1
    orders = [order(f"O{i}", day(D, -14 - (i % 60))) for i in range(200)]
    claims = [claim(f"C{i}", f"O{i}", day(D, -10)) for i in range(3)]
    fc = forecast_table(dataset(orders=orders, claims=claims), as_of=D, horizon=3).collect()
    assert one(fc, "odr")["clean_orders_needed"].unique().to_list() == [101]


def test_orders_needed_for_a_greater_than_metric():
    # 19 of 20 valid: one more good shipment gives 20/21 > 0.95
    orders = [
        order(
            f"O{i}",
            day(D, -25),
            shipped_at=day(D, -24),
            promised_delivery_at=day(D, -20),
            tracking_valid=str(i > 0),
        )
        for i in range(20)
    ]
    fc = forecast_table(dataset(orders=orders), as_of=D, horizon=2).collect()
    assert one(fc, "vtr_30d")["clean_orders_needed"].unique().to_list() == [1]
    # in floats 1 - 0.95 is 0.050000000000000044 and the formula would give 0
    assert math.floor(1 / (1 - 0.95) - 20) + 1 == 0


def test_recovery_by_aging_out_and_what_if():
    orders = daily_orders(121)
    claims = [claim("C1", "S1-O70", day(D, -60))]
    data = dataset(orders=orders, claims=claims)
    fc = one(forecast_table(data, as_of=D, horizon=10).collect(), "odr")
    assert fc["recovery_date"].unique().to_list() == [on(4)]
    assert fc["projected_numerator"].to_list()[:5] == [1, 1, 1, 0, 0]
    assert fc["projected_denominator"].unique().to_list() == [60.0]
    compare = what_if(data, as_of=D, remove=["C1"], horizon=10).collect()
    odr = one(compare, "odr").row(0, named=True)
    assert odr["rate"] == pytest.approx(1 / 60)
    assert odr["rate_if_removed"] == 0
    assert (odr["recovery_date"], odr["recovery_date_if_removed"]) == (on(4), D)
    assert (odr["clean_orders_needed"], odr["clean_orders_needed_if_removed"]) == (41, 0)


def test_never_within_the_horizon_is_null():
    data = dataset(orders=daily_orders(121), claims=[claim("C1", "S1-O70", day(D, -60))])
    fc = one(forecast_table(data, as_of=D, horizon=2).collect(), "odr")
    assert fc["recovery_date"].null_count() == fc.height == 2


def test_defect_waiting_out_the_lag_enters_with_its_order():
    data = dataset(orders=daily_orders(121), claims=[claim("C1", "S1-O10", day(D, -5))])
    fc = one(forecast_table(data, as_of=D, horizon=6).collect(), "odr")
    # the order of D-10 enters the window on D+4 (window end F-14 = D-10)
    assert fc["projected_numerator"].to_list() == [0, 0, 0, 1, 1, 1]
    assert fc["recovery_date"].unique().to_list() == [D]


def test_projection_for_a_young_seller_divides_by_the_window():
    # 10 days of history, 1 order a day: v = 10 / 60 orders per day in the ODR window
    data = dataset(orders=daily_orders(10))
    fc = one(forecast_table(data, as_of=D, horizon=20).collect(), "odr")
    by_day = dict(zip(fc["as_of"], fc["projected_denominator"], strict=True))
    assert by_day[on(1)] == 0  # window ends D-13: the real orders are still in the lag
    assert by_day[on(14)] == 10  # window ends D: all ten real orders, no projected day
    assert by_day[on(15)] == pytest.approx(10 + 10 / 60)  # one projected day at v = 10/60
    assert by_day[on(20)] == pytest.approx(10 + 6 * 10 / 60)


def test_volume_none_projects_nothing(tmp_path):
    from toolkit.model.resources import policy_text

    text = policy_text()
    path = tmp_path / "p.toml"
    path.write_text(text.replace('forecast_volume = "window_average"', 'forecast_volume = "none"'))
    data = dataset(orders=daily_orders(10))
    fc = one(forecast_table(data, as_of=D, horizon=20, policy=load_policy(path)).collect(), "odr")
    assert dict(zip(fc["as_of"], fc["projected_denominator"], strict=True))[on(20)] == 10


def test_greater_than_metrics_project_good_orders_into_the_numerator():
    orders = [
        order(
            f"O{i}",
            day(D, -i - 5),
            shipped_at=day(D, -i - 4),
            promised_delivery_at=day(D, -i),
            tracking_valid=str(i % 10 != 0),
        )
        for i in range(60)
    ]
    fc = one(forecast_table(dataset(orders=orders), as_of=D, horizon=30).collect(), "vtr_30d")
    last = fc.filter(pl.col("as_of") == on(30)).row(0, named=True)
    # by D+30 the window (promised dates D-13 .. D+16) holds 14 real days and 16 projected
    # days of v = 30/30 = 1 good order each
    real = [i for i in range(60) if 0 <= i <= 13]
    real_good = sum(1 for i in real if i % 10 != 0)
    assert last["projected_denominator"] == pytest.approx(len(real) + 16)
    assert last["projected_numerator"] == pytest.approx(real_good + 16)


def test_shape_and_metrics_without_target():
    data = dataset(orders=daily_orders(30), claims=[claim("C1", "S1-O20", day(D, -10))])
    fc = forecast_table(data, as_of=D, horizon=4).collect()
    assert fc.columns == FORECAST_COLUMNS
    # nine mfn metrics; idr and the three of definitions section 12 on channel all; four dates each
    assert fc.height == 4 * (9 + 4)
    for metric, channel in (("odr_claims", "mfn"), ("product_rating", "all")):
        rows = one(fc, metric, channel)
        assert rows["recovery_date"].null_count() == rows["clean_orders_needed"].null_count() == 4
    assert sorted(set(fc["as_of"])) == [on(1), on(2), on(3), on(4)]


@pytest.mark.parametrize(
    ("metric", "bad", "rate", "rate_if_removed"),
    [
        pytest.param(
            "lsr_10d",
            {"shipped_at": day(D, -2, "09:00:00")},
            1 / 20,
            0.0,
            id="a late shipment cleared leaves the numerator, not the population",
        ),
        pytest.param(
            "vtr_30d",
            {"tracking_valid": "false"},
            19 / 20,
            1.0,
            id="invalid tracking cleared joins the numerator of a greater-than metric",
        ),
    ],
)
def test_what_if_an_order_record_is_cleared(metric, bad, rate, rate_if_removed):
    good = {
        "latest_ship_at": day(D, -3, "23:59:59"),
        "shipped_at": day(D, -3, "09:00:00"),
        "promised_delivery_at": day(D, -20),
        "tracking_valid": "true",
    }
    orders = [
        order(f"O{i}", day(D, -4), **{**good, "promised_delivery_at": day(D, -20 + i % 5)})
        for i in range(20)
    ]
    orders[0] = {**orders[0], **bad}
    compare = what_if(dataset(orders=orders), as_of=D, remove=["O0"], horizon=5).collect()
    row = one(compare, metric).row(0, named=True)
    assert (row["rate"], row["rate_if_removed"]) == (pytest.approx(rate), rate_if_removed)
    assert row["recovery_date_if_removed"] == D
    assert row["clean_orders_needed_if_removed"] == 0


@pytest.mark.parametrize(
    ("uploaded", "expected"),
    [
        pytest.param(
            None, 0.0, id="deadline after D, no upload known: the clean scenario adds no defect"
        ),
        pytest.param("2025-03-11T09:00:00Z", 0.0, id="a late upload after D is not known either"),
    ],
)
def test_an_invoice_whose_deadline_passes_after_d_adds_no_defect(uploaded, expected):
    """As of Saturday 8 March an invoice of an order shipped on Friday 7 March is due on
    Monday 10 March: definitions section 5's clean scenario adds no defect for it, while the same order
    with its deadline already passed counts until its window ends."""
    as_of = date(2025, 3, 8)
    business = {"is_business": "true", "shipped_at": "2025-03-07T10:00:00Z"}
    orders = [
        order("DUE", "2025-03-06T12:00:00Z", invoice_uploaded_at=uploaded, **business),
        order("PAST", "2025-02-27T12:00:00Z", **{**business, "shipped_at": "2025-02-28T10:00:00Z"}),
    ]
    data = dataset(orders=orders)
    fc = one(forecast_table(data, as_of=as_of, horizon=20).collect(), "idr_7d", "all")
    by_date = dict(zip(fc["as_of"], fc["projected_numerator"], strict=True))
    # PAST (bought 27 Feb, deadline Mon 3 Mar) counts on 6 .. 12 March; DUE never counts
    assert by_date[date(2025, 3, 12)] == 1.0
    assert [by_date[date(2025, 3, 13) + timedelta(days=k)] for k in range(7)] == [expected] * 7
