"""Returns, buyer messages and product reviews (definitions section 12): every edge by hand, and the
retired metrics never changing a seller's status, ranking, AHR or SP-API export.

Dates: Friday 7 March 2025 and the weekend after it. Cadences of the shipped policy:
returns 30 minutes, messages (the orders cadence) 15 minutes, reviews 6 hours.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.builders import dataset, day, order
from toolkit.amazon.export import seller_performance_report
from toolkit.charts.tables import seller_ranking
from toolkit.compliance.ahr import ahr_table
from toolkit.engine.clearance import clearance_table
from toolkit.engine.forecast import forecast_table
from toolkit.engine.metrics import metrics_table
from toolkit.model.policy import NOT_FOR_HEALTH, load_policy
from toolkit.reports.results import report_tables

FRI = date(2025, 3, 7)
SAT, SUN, MON = (FRI + timedelta(days=n) for n in (1, 2, 3))
KEYS = ["seller_id", "marketplace", "channel", "metric", "as_of"]


def counts(data, metric: str, days, *, seller: str = "S1", policy=None) -> list[tuple[int, int]]:
    """(numerator, denominator) of ``metric`` on each date, from the history; each date's
    snapshot must give the same row."""
    first, last = min(days), max(days)
    history = metrics_table(data, as_of=first, to=last, policy=policy).collect()
    for d in days:
        snapshot = metrics_table(data, as_of=d, policy=policy).collect()
        assert_frame_equal(snapshot, history.filter(pl.col("as_of") == d), check_row_order=False)
    rows = history.filter(metric=metric, seller_id=seller, channel="all")
    by_day = {r["as_of"]: (r["numerator"], r["denominator"]) for r in rows.iter_rows(named=True)}
    return [by_day[d] for d in days]


def one_return(requested: str, responded: str | None = None, **columns) -> dict:
    row = {"return_id": "R1", "order_id": "O1", "requested_at": requested}
    return {**row, "responded_at": responded, **columns}


ORDERS = [order("O1", day(FRI, -10)), order("O2", day(FRI, -10))]


# ------------------------------------------------------------------- rdr_30d: 48 hours


@pytest.mark.parametrize(
    ("requested", "responded", "bad"),
    [
        pytest.param(
            "2025-03-07T23:30:00Z",
            None,
            [False, True, True],
            id="no answer: late from the Sunday its 48 hours end, weekends count",
        ),
        pytest.param(
            "2025-03-07T00:00:00Z",
            None,
            [False, True, True],
            id="48 hours ending exactly at midnight count from the day they end",
        ),
        pytest.param(
            "2025-03-07T10:00:00Z",
            "2025-03-09T10:00:00Z",
            [False, False, False],
            id="answered exactly 48 hours later is on time",
        ),
        pytest.param(
            "2025-03-07T10:00:00Z",
            "2025-03-09T10:00:01Z",
            [False, True, True],
            id="answered one second after 48 hours is late for good",
        ),
        pytest.param(
            "2025-03-07T23:40:00Z",
            "2025-03-09T23:40:00Z",
            [False, True, False],
            id="an on-time answer visible only the next day leaves one late day",
        ),
        pytest.param(
            "2025-03-07T12:00:00Z",
            "2025-03-07T12:05:00Z",
            [False, False, False],
            id="answered within minutes is never late",
        ),
    ],
)
def test_return_answered_within_48_hours(requested, responded, bad):
    data = dataset(orders=ORDERS, returns=[one_return(requested, responded)])
    got = counts(data, "rdr_30d", [SAT, SUN, MON])
    assert got == [(int(b), 1) for b in bad]


@pytest.mark.parametrize(
    ("columns", "bad_from"),
    [
        pytest.param(
            {"in_policy": "true", "outcome": "rejected"},
            FRI,
            id="an in-policy request rejected is bad from its visible date",
        ),
        pytest.param(
            {"outcome": "rejected"},
            FRI,
            id="in_policy empty means in policy",
        ),
        pytest.param(
            {"in_policy": "false", "outcome": "rejected"},
            None,
            id="rejecting an out-of-policy request is no fault",
        ),
        pytest.param(
            {"buyer_resolved": "false", "outcome": "refunded"},
            FRI,
            id="the buyer says it was not resolved",
        ),
        pytest.param(
            {"buyer_resolved": "", "outcome": "refunded"},
            None,
            id="no answer from the buyer is no fault",
        ),
    ],
)
def test_return_rejected_in_policy_or_not_resolved(columns, bad_from):
    # answered on time: only the outcome and the buyer's answer can make it bad
    request = one_return("2025-03-07T10:00:00Z", "2025-03-07T11:00:00Z", **columns)
    data = dataset(orders=ORDERS, returns=[request])
    days = [FRI - timedelta(days=1), FRI, SUN]
    expected = [(int(bad_from is not None and d >= bad_from), int(d >= FRI)) for d in days]
    assert counts(data, "rdr_30d", days) == expected


def test_a_request_with_several_faults_counts_once_and_two_requests_of_one_order_twice():
    returns = [
        # late, rejected in policy and not resolved: one bad request
        one_return(
            "2025-03-07T10:00:00Z",
            "2025-03-12T10:00:00Z",
            outcome="rejected",
            buyer_resolved="false",
        ),
        # a second request of the same order, answered at once and refunded: good
        {**one_return("2025-03-07T11:00:00Z", "2025-03-07T12:00:00Z"), "return_id": "R2"},
        # another order, no answer yet: late from Sunday
        {**one_return("2025-03-07T12:00:00Z"), "return_id": "R3", "order_id": "O2"},
    ]
    data = dataset(orders=ORDERS, returns=returns)
    assert counts(data, "rdr_30d", [FRI, SAT, SUN]) == [(1, 3), (1, 3), (2, 3)]
    rows = clearance_table(data, as_of=SUN).filter(metric="rdr_30d").collect()
    assert sorted(rows.select("record_id", "defect_type", "counts_from").iter_rows()) == [
        ("R1", "invalid_return_rejection", FRI),
        ("R3", "late_return_response", SUN),
    ]
    assert sorted(rows["order_id"]) == ["O1", "O2"]


def test_window_of_30_request_dates_and_the_policy_hours():
    data = dataset(orders=ORDERS, returns=[one_return("2025-03-07T10:00:00Z")])
    last = FRI + timedelta(days=29)
    assert counts(data, "rdr_30d", [last, last + timedelta(days=1)]) == [(1, 1), (0, 0)]
    # a policy that allows 72 hours: not late before Monday
    base = load_policy()
    longer = replace(base.metric("rdr_30d"), response_hours=72)
    policy = replace(base, metrics={**base.metrics, "rdr_30d": longer})
    assert counts(data, "rdr_30d", [SUN, MON], policy=policy) == [(0, 1), (1, 1)]


# ---------------------------------------------------- contact_response_24h_30d: 24 hours


@pytest.mark.parametrize(
    ("received", "replied", "expected"),
    [
        pytest.param(
            "2025-03-08T10:00:00Z",
            "2025-03-09T10:00:00Z",
            [(0, 0), (1, 1), (1, 1)],
            id="a Saturday message answered exactly 24 hours later on Sunday is on time",
        ),
        pytest.param(
            "2025-03-08T10:00:00Z",
            "2025-03-09T10:00:01Z",
            [(0, 0), (0, 1), (0, 1)],
            id="answered one second after 24 hours is late",
        ),
        pytest.param(
            "2025-03-08T00:00:00Z",
            None,
            [(0, 0), (0, 1), (0, 1)],
            id="received exactly 24 hours before the end of the day is not yet measured",
        ),
        pytest.param(
            "2025-03-07T23:59:59Z",
            None,
            [(0, 1), (0, 1), (0, 1)],
            id="received one second earlier is measured, unanswered",
        ),
        pytest.param(
            "2025-03-08T23:50:00Z",
            "2025-03-09T23:50:00Z",
            [(0, 0), (0, 1), (1, 1)],
            id="an on-time reply at 23:50 is visible at midnight (15 minute cadence)",
        ),
        pytest.param(
            "2025-03-09T09:00:00Z",
            None,
            [(0, 0), (0, 0), (0, 1)],
            id="a Sunday message counts from Monday, weekends included",
        ),
    ],
)
def test_message_answered_within_24_hours(received, replied, expected):
    message = {"message_id": "M1", "seller_id": "S1", "received_at": received}
    data = dataset(orders=ORDERS, messages=[{**message, "replied_at": replied}])
    assert counts(data, "contact_response_24h_30d", [SAT, SUN, MON]) == expected


def test_messages_with_and_without_an_order():
    messages = [
        {"message_id": "M1", "seller_id": "S1", "received_at": day(FRI), "order_id": "O1"},
        {
            "message_id": "M2",
            "seller_id": "S1",
            "received_at": day(FRI),
            "replied_at": day(FRI, 0, "13:00:00"),
        },
        # another seller's message never counts for S1
        {"message_id": "M3", "seller_id": "S2", "received_at": day(FRI)},
    ]
    data = dataset(orders=[*ORDERS, order("X", day(FRI), seller="S2")], messages=messages)
    assert counts(data, "contact_response_24h_30d", [SUN]) == [(1, 2)]
    rows = clearance_table(data, as_of=SUN).filter(metric="contact_response_24h_30d").collect()
    assert sorted(rows.select("seller_id", "record_id", "order_id", "counting").iter_rows()) == [
        ("S1", "M1", "O1", True),
        ("S2", "M3", None, True),
    ]


# ------------------------------------------------------------------- product_rating


def review(review_id: str, when: str, stars: int, **columns) -> dict:
    row = {"review_id": review_id, "seller_id": "S1", "asin": "B0MUG", "reviewed_at": when}
    return {**row, "stars": stars, **columns}


def test_product_rating_is_the_plain_mean_of_verified_reviews_in_365_days():
    reviews = [
        review("V1", day(FRI, -364), 5),  # the first day of the window
        review("V2", day(FRI, -365), 1),  # one day too old
        review("V3", day(FRI, -3), 4),
        review("V4", day(FRI, -3), 1, verified="false"),  # not verified: left out
        review("V5", day(FRI, -2), 2, verified=""),  # empty: verified
    ]
    data = dataset(orders=ORDERS, reviews=reviews)
    row = metrics_table(data, as_of=FRI).filter(metric="product_rating").collect()
    assert row.select("numerator", "denominator", "rate").row(0) == (11, 3, 11 / 3)
    assert row.select("target", "condition", "ci_low", "ci_high", "p_value").row(0) == (None,) * 5
    assert row.select("informational", "status").row(0) == (True, "info")


@pytest.mark.parametrize(
    ("written", "first_day"),
    [
        pytest.param("2025-03-07T17:59:00Z", FRI, id="a review at 17:59 is visible at 18:00"),
        pytest.param("2025-03-07T18:00:00Z", FRI, id="a review at 18:00 is visible at once"),
        pytest.param("2025-03-07T18:01:00Z", SAT, id="a review at 18:01 waits for midnight"),
    ],
)
def test_reviews_are_visible_at_the_6_hour_cadence(written, first_day):
    data = dataset(orders=ORDERS, reviews=[review("V1", written, 3)])
    got = counts(data, "product_rating", [FRI, SAT])
    assert got == [(3, 1) if d >= first_day else (0, 0) for d in (FRI, SAT)]


def test_returns_are_visible_at_the_30_minute_cadence_and_the_policy_decides():
    data = dataset(orders=ORDERS, returns=[one_return("2025-03-07T23:31:00Z")])
    assert counts(data, "rdr_30d", [FRI, SAT]) == [(0, 0), (0, 1)]
    base = load_policy()
    policy = replace(base, cadence_minutes={**base.cadence_minutes, "returns": 0})
    assert counts(data, "rdr_30d", [FRI, SAT], policy=policy) == [(0, 1), (0, 1)]


# -------------------------------------------- retired: informational, never the status


def _sellers(*, with_service: bool):
    """S1: good orders; with_service adds every return late and every message unanswered."""
    orders = [
        order(
            f"O{i}",
            day(FRI, -i),
            shipped_at=day(FRI, -i, "13:00:00"),
            latest_ship_at=day(FRI, -i + 1),
        )
        for i in range(1, 21)
    ]
    tables = {"orders": orders}
    if with_service:
        tables["returns"] = [
            {"return_id": f"R{i}", "order_id": f"O{i}", "requested_at": day(FRI, -i + 1)}
            for i in range(3, 13)
        ]
        tables["messages"] = [
            {"message_id": f"M{i}", "seller_id": "S1", "received_at": day(FRI, -i)}
            for i in range(2, 12)
        ]
        tables["reviews"] = [review(f"V{i}", day(FRI, -i), 1) for i in range(1, 6)]
    return dataset(**tables)


def test_retired_metrics_keep_their_old_target_and_say_info():
    table = metrics_table(_sellers(with_service=True), as_of=FRI).collect()
    rows = {r["metric"]: r for r in table.filter(channel="all").iter_rows(named=True)}
    rdr, contact = rows["rdr_30d"], rows["contact_response_24h_30d"]
    assert (rdr["numerator"], rdr["denominator"], rdr["target"], rdr["condition"]) == (
        10,
        10,
        0.1,
        "<",
    )
    assert (contact["numerator"], contact["denominator"], contact["target"]) == (0, 10, 0.9)
    for row in (rdr, contact):
        assert (row["informational"], row["status"]) == (True, "info")
        # the old target still gives the low-volume statistics
        assert row["p_value"] < 0.05 and row["ci_low"] is not None
    assert (rows["product_rating"]["rate"], rows["product_rating"]["status"]) == (1.0, "info")


def test_retired_metrics_change_no_status_ranking_ahr_or_export():
    policy = load_policy()
    quiet, loud = (_sellers(with_service=flag).collect() for flag in (False, True))
    health = ~pl.col("metric").is_in(NOT_FOR_HEALTH)
    tables = {}
    for name, data in (("quiet", quiet), ("loud", loud)):
        metrics = metrics_table(data, as_of=FRI).collect()
        report = report_tables(data, as_of=FRI, policy=policy)
        tables[name] = {
            "metrics": metrics.filter(health),
            "ranking": seller_ranking(metrics.lazy()).collect(),
            "ahr": ahr_table(data, as_of=FRI - timedelta(days=30), to=FRI).collect(),
            "summary": report["summary"].collect(),
            "export": seller_performance_report(
                metrics, seller_id="S1", marketplace="US", as_of=FRI
            ),
        }
    for name in ("metrics", "ranking", "ahr", "summary"):
        assert_frame_equal(tables["quiet"][name], tables["loud"][name])
    assert tables["quiet"]["export"] == tables["loud"]["export"]
    assert tables["loud"]["summary"]["status"].to_list() == ["good"]


def test_forecast_of_the_retired_metrics_and_no_projected_reviews():
    data = _sellers(with_service=True)
    fc = forecast_table(data, as_of=FRI, horizon=40).filter(channel="all").collect()
    rdr = fc.filter(metric="rdr_30d")
    # ten bad requests of the last ten days, about 10/30 new good ones a day
    assert rdr["clean_orders_needed"][0] == 91  # floor(10 / 0.1 - 10) + 1
    assert rdr["recovery_date"][0] is not None
    rating = fc.filter(metric="product_rating")
    assert rating["recovery_date"].is_null().all() and rating["clean_orders_needed"].is_null().all()
    # no projected reviews: the five known ones stay until they leave the 365-day window
    assert set(rating["projected_denominator"]) == {5.0}


@pytest.mark.parametrize("seed", [11, 12])
def test_clearance_rows_of_the_retired_metrics_prove_their_bad_counts(seed):
    from tests.randomdata import random_dataset

    data = random_dataset(seed).collect()
    for as_of in (date(2025, 2, 20), date(2025, 4, 2)):
        counting = (
            clearance_table(data, as_of=as_of)
            .filter(pl.col("counting"), pl.col("metric").is_in(NOT_FOR_HEALTH))
            .group_by("seller_id", "marketplace", "metric")
            .agg(pl.col("record_id").n_unique().alias("rows"))
        )
        table = (
            metrics_table(data, as_of=as_of)
            .filter(pl.col("metric").is_in(["rdr_30d", "contact_response_24h_30d"]))
            .with_columns(
                bad=pl.when(pl.col("condition") == "<")
                .then(pl.col("numerator"))
                .otherwise(pl.col("denominator") - pl.col("numerator"))
            )
            .join(counting, on=["seller_id", "marketplace", "metric"], how="left")
            .collect()
        )
        assert table["bad"].sum() > 5
        assert_frame_equal(
            table.select(pl.col("rows").fill_null(0).cast(pl.Int64)),
            table.select(pl.col("bad").alias("rows")),
        )


def test_one_sellers_subset_keeps_its_returns_messages_and_reviews():
    data = dataset(
        orders=[*ORDERS, order("X1", day(FRI), seller="S2")],
        returns=[
            one_return(day(FRI)),
            {**one_return(day(FRI)), "return_id": "R2", "order_id": "X1"},
        ],
        messages=[
            {"message_id": "M1", "seller_id": "S1", "received_at": day(FRI)},
            {"message_id": "M2", "seller_id": "S2", "received_at": day(FRI), "order_id": "X1"},
        ],
        reviews=[review("V1", day(FRI), 5), {**review("V2", day(FRI), 2), "seller_id": "S2"}],
    )
    mine = data.for_sellers(["S2"])
    ids = {
        table: mine.table(table).select(column).collect().to_series().to_list()
        for table, column in (
            ("returns", "return_id"),
            ("messages", "message_id"),
            ("reviews", "review_id"),
        )
    }
    assert ids == {"returns": ["R2"], "messages": ["M2"], "reviews": ["V2"]}
