"""The actions table (definitions section 10): what the seller can do about each record, by when, and what
it would change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from tests.builders import dataset, day, order
from tests.conftest import SAMPLE
from toolkit.engine.actions import ACTION_COLUMNS, ACTIONS, ELIGIBILITY, actions_table
from toolkit.model.policy import load_policy

D = date(2025, 6, 30)  # a Monday
LAST = "23:59:59"


def on(offset: int) -> date:
    return D + timedelta(days=offset)


def at(offset: int, hhmm: str = "12:00") -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(on(offset), datetime.min.time(), UTC).replace(hour=hour, minute=minute)


def mfn_orders(count: int, *, bought: int = -30, **columns) -> list[dict]:
    """``count`` plain orders of seller S1 bought on ``D + bought``."""
    return [order(f"O{i}", day(D, bought), **columns) for i in range(count)]


def only(table: pl.DataFrame) -> dict:
    assert table.height == 1, table
    return table.row(0, named=True)


def fact(row: dict) -> tuple:
    return (row["action"], row["deadline"], row["overdue"], row["eligibility"], row["where"])


FEEDBACK = "Performance > Feedback"
CLAIMS = "Performance > A-to-z Guarantee Claims"
CHARGEBACKS = "Performance > Chargeback Claims"
HEALTH = "Performance > Account Health"


def claim(outcome: str, filed: str, resolved: str | None = None) -> dict:
    return {
        "claim_id": "C1",
        "order_id": "O0",
        "filed_at": filed,
        "outcome": outcome,
        "resolved_at": resolved,
    }


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        pytest.param(
            {"feedback": [{"feedback_id": "F1", "order_id": "O0", "rating": 1,
                           "left_at": day(D, -20)}]},
            ("request_removal", at(70), False, "check", FEEDBACK),
            id="negative feedback on a seller-fulfilled order: check the comment, 90 days",
        ),
        pytest.param(
            {"channel": "afn",
             "feedback": [{"feedback_id": "F1", "order_id": "O0", "rating": 2,
                           "left_at": day(D, -20)}]},
            ("request_removal", at(70), False, "likely", FEEDBACK),
            id="negative feedback on an order fulfilled by Amazon: likely struck through",
        ),
        pytest.param(
            {"claims": [claim("pending", day(D, -5))]},
            ("respond", at(-2), True, "open", CLAIMS),
            id="a pending claim filed five days ago: 72 hours have passed",
        ),
        pytest.param(
            {"claims": [claim("pending", day(D, -2, "23:59:59"))]},
            ("respond", datetime(2025, 7, 1, 23, 59, 59, tzinfo=UTC), False, "open", CLAIMS),
            id="a pending claim whose 72 hours end tomorrow is not overdue",
        ),
        pytest.param(
            {"claims": [claim("pending", day(D, -3, "23:00:00"))]},
            ("respond", at(0, "23:00"), True, "open", CLAIMS),
            id="a deadline at 23:00 on D is before the end of D: overdue",
        ),
        pytest.param(
            {"claims": [claim("granted", day(D, -20), day(D, -10))]},
            ("appeal", at(20), False, "open", CLAIMS),
            id="a granted claim: appeal within 30 days of the decision",
        ),
        pytest.param(
            {"claims": [claim("granted", day(D, -20), day(D, 0, "23:50:00"))]},
            ("respond", at(-17), True, "open", CLAIMS),
            id="a grant not yet visible at D: the claim is still pending",
        ),
        pytest.param(
            {"chargebacks": [{"chargeback_id": "B1", "order_id": "O0", "filed_at": day(D, -3),
                              "kind": "service", "outcome": "pending"}]},
            ("represent", at(4), False, "open", CHARGEBACKS),
            id="a pending service chargeback: respond within 7 days",
        ),
        pytest.param(
            {"chargebacks": [{"chargeback_id": "B1", "order_id": "O0", "filed_at": day(D, -20),
                              "kind": "service", "outcome": "seller_lost",
                              "resolved_at": day(D, -5)}]},
            ("wait", None, False, "none", None),
            id="a chargeback the seller lost can only wait",
        ),
    ],
)  # fmt: skip
def test_odr_defects(tables, expected):
    channel = tables.pop("channel", "mfn")
    data = dataset(orders=mfn_orders(10, channel=channel), **tables)
    row = only(actions_table(data, as_of=D).collect())
    assert fact(row) == expected
    assert row["order_id"] == "O0" and row["ahr_if_addressed"] is None
    assert (row["rate_now"], row["rate_if_cleared"], row["meets_target_if_cleared"]) == (
        0.1,
        0.0,
        True,
    )


SHIPPED = {
    "shipped_at": day(D, -28),
    "promised_delivery_at": day(D, -16, LAST),
    "tracking_valid": "true",
    "delivered_at": day(D, -25),
}


@pytest.mark.parametrize(
    ("bad", "metric", "expected"),
    [
        pytest.param(
            {"tracking_valid": "false", "delivered_at": None},
            "vtr_30d",
            ("fix_tracking", None, False, "open", "Orders > Manage Orders"),
            id="invalid tracking on an order not delivered: re-enter it",
        ),
        pytest.param(
            {"tracking_valid": "false"},
            "vtr_30d",
            ("wait", None, False, "none", None),
            id="invalid tracking on a delivered order: too late to fix",
        ),
        pytest.param(
            {"delivered_at": day(D, -10)},
            "otdr_14d",
            ("wait", None, False, "none", None),
            id="a late delivery clears by itself",
        ),
        pytest.param(
            {"is_business": "true", "invoice_uploaded_at": None},
            "idr_7d",
            ("upload_invoice", None, False, "open", "Orders > Manage Orders"),
            id="a late invoice never uploaded: upload it",
        ),
        pytest.param(
            {"is_business": "true", "invoice_uploaded_at": day(D, -3)},
            "idr_7d",
            ("wait", None, False, "none", None),
            id="a late invoice uploaded late stays a defect: wait",
        ),
    ],
)
def test_shipping_records(bad, metric, expected):
    orders = [order(f"O{i}", day(D, -30), **SHIPPED) for i in range(10)]
    orders[0] = {**orders[0], **bad}
    if metric == "idr_7d":  # the invoice window is 7 days, lag 7: bought 10 days ago
        orders = [{**o, "purchased_at": day(D, -10), "shipped_at": day(D, -9)} for o in orders]
        orders = [{**o, "is_business": "true", "invoice_uploaded_at": day(D, -9)} for o in orders]
        orders[0] = {**orders[0], **bad}
    row = only(actions_table(dataset(orders=orders), as_of=D).collect())
    assert (row["metric"], row["record_id"], row["order_id"]) == (metric, "O0", "O0")
    assert fact(row) == expected


def violation(vid: str, category: str, *, resolution=None, resolved=None, severity="medium"):
    return {
        "violation_id": vid,
        "seller_id": "S1",
        "category": category,
        "severity": severity,
        "detected_at": day(D, -10, "08:00:00"),
        "resolution": resolution,
        "resolved_at": resolved,
    }


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(
            violation("V1", "received_intellectual_property"),
            ("dispute_error", 200),
            id="a rights owner's complaint: dispute it as an error",
        ),
        pytest.param(
            violation("V1", "suspected_intellectual_property"),
            ("dispute_error", 200),
            id="a suspected IP violation: dispute it as an error",
        ),
        pytest.param(
            violation("V1", "product_condition"),
            ("appeal", 200),
            id="another complaint: a plan of action",
        ),
        pytest.param(
            violation("V1", "listing_policy", resolution="appeal_rejected",
                      resolved=day(D, -5)),
            ("appeal", 200),
            id="a rejected appeal changes nothing: appeal again",
        ),
        pytest.param(
            violation("V1", "listing_policy", resolution="acknowledged", resolved=day(D, -5)),
            ("wait", 200),
            id="an addressed violation shows until its display ends: wait",
        ),
        pytest.param(
            violation("V1", "listing_policy", resolution="acknowledged",
                      resolved=day(D, 0, "23:50:00")),
            ("appeal", 200),
            id="addressed after the end of D: still open on D",
        ),
    ],
)  # fmt: skip
def test_violations(row, expected):
    data = dataset(violations=[row])
    got = only(actions_table(data, as_of=D).collect())
    assert (got["metric"], got["defect_type"], got["record_id"]) == (
        "policy_violation",
        row["category"],
        "V1",
    )
    action, ahr = expected
    assert (got["action"], got["ahr_if_addressed"]) == (action, ahr)
    assert got["where"] == (None if action == "wait" else HEALTH)
    assert got["deadline"] is None and not got["overdue"]
    assert (got["order_id"], got["rate_now"], got["rate_if_cleared"]) == (None, None, None)
    assert got["clears_on"] == on(170)


def test_a_violation_deadline_from_the_policy(tmp_path):
    from toolkit.model.resources import policy_text

    path = tmp_path / "policy.toml"
    path.write_text(
        policy_text().replace("# violation_response_hours = 72", "violation_response_hours = 72")
    )
    data = dataset(violations=[violation("V1", "other")])
    got = only(actions_table(data, as_of=D, policy=load_policy(path)).collect())
    assert (got["action"], got["deadline"], got["overdue"]) == ("appeal", at(-7, "08:00"), True)


def test_which_records_are_listed():
    """Counting or waiting records and displayed violations; never what has cleared."""
    orders = [*mfn_orders(10), order("LAG", day(D, -5)), order("OLD", day(D, -100))]
    feedback = [
        {"feedback_id": "F-count", "order_id": "O0", "rating": 1, "left_at": day(D, -20)},
        {"feedback_id": "F-lag", "order_id": "LAG", "rating": 1, "left_at": day(D, -2)},
        {"feedback_id": "F-old", "order_id": "OLD", "rating": 1, "left_at": day(D, -90)},
        {"feedback_id": "F-gone", "order_id": "O1", "rating": 2, "left_at": day(D, -20),
         "removed_at": day(D, -3), "removal": "buyer_removed"},
        {"feedback_id": "F-three", "order_id": "O2", "rating": 3, "left_at": day(D, -20)},
    ]  # fmt: skip
    claims = [claim("denied", day(D, -20), day(D, -10)) | {"claim_id": "C-denied"}]
    violations = [
        violation("V-shown", "other"),
        violation("V-gone", "other", resolution="disputed_error", resolved=day(D, -2)),
        {**violation("V-expired", "other"), "detected_at": day(D, -200)},
    ]
    data = dataset(orders=orders, feedback=feedback, claims=claims, violations=violations)
    table = actions_table(data, as_of=D).collect()
    assert table.columns == ACTION_COLUMNS
    assert sorted(table["record_id"]) == ["F-count", "F-lag", "V-shown"]
    lag = only(table.filter(record_id="F-lag"))
    # waiting out the lag: nothing changes today, so the rate is the same either way
    assert (lag["clears_on"], lag["rate_now"], lag["rate_if_cleared"]) == (on(69), 0.1, 0.1)


def test_an_order_with_two_counting_defects_stays_a_defect():
    feedback = [{"feedback_id": "F1", "order_id": "O0", "rating": 1, "left_at": day(D, -20)}]
    claims = [claim("pending", day(D, -20))]
    data = dataset(orders=mfn_orders(10), feedback=feedback, claims=claims)
    table = actions_table(data, as_of=D).collect()
    assert table["rate_now"].to_list() == [0.1, 0.1]
    assert table["rate_if_cleared"].to_list() == [0.1, 0.1]
    assert table["meets_target_if_cleared"].to_list() == [False, False]


def test_rows_are_sorted_overdue_first_then_deadline_then_what_brings_a_metric_back():
    # 30 orders of 20 days ago; 1 late shipment makes LSR 30d 1/30 = 3.3 % (under 4 %)
    orders = [
        order(f"O{i}", day(D, -21), latest_ship_at=day(D, -20, LAST), shipped_at=day(D, -20))
        for i in range(30)
    ]
    orders[0] = {**orders[0], "shipped_at": day(D, -19)}
    # 3 orders bought 12 days ago, one late: LSR 10d 1/3 (over); clearing it meets 4 %
    orders += [
        order(f"N{i}", day(D, -12), latest_ship_at=day(D, -9, LAST), shipped_at=day(D, -9))
        for i in range(3)
    ]
    orders[30] = {**orders[30], "shipped_at": day(D, -8)}
    feedback = [
        {"feedback_id": "F-soon", "order_id": "O1", "rating": 1, "left_at": day(D, -15)},
        {"feedback_id": "F-later", "order_id": "O2", "rating": 1, "left_at": day(D, -5)},
    ]
    claims = [claim("pending", day(D, -10)) | {"order_id": "O3"}]
    data = dataset(orders=orders, feedback=feedback, claims=claims)
    table = actions_table(data, as_of=D).collect()
    assert table.select("metric", "record_id", "action", "overdue").rows() == [
        ("odr_claims", "C1", "respond", True),
        ("odr_negative_feedback", "F-soon", "request_removal", False),
        ("odr_negative_feedback", "F-later", "request_removal", False),
        ("lsr_10d", "N0", "wait", False),  # clearing it would bring LSR 10d back on target
        ("lsr_30d", "O0", "wait", False),  # clears on D + 10
        ("lsr_30d", "N0", "wait", False),  # clears on D + 21
    ]
    n0 = only(table.filter(metric="lsr_10d"))
    assert (n0["rate_now"], n0["rate_if_cleared"], n0["meets_target_if_cleared"]) == (
        pytest.approx(1 / 3),
        0.0,
        True,
    )


def test_a_greater_than_metric_cleared_gains_a_good_order():
    orders = [order(f"O{i}", day(D, -30), **SHIPPED) for i in range(20)]
    for i in (0, 1):
        orders[i] = {**orders[i], "tracking_valid": "false", "delivered_at": None}
    table = actions_table(dataset(orders=orders), as_of=D).collect()
    assert table["record_id"].to_list() == ["O0", "O1"]
    assert table["rate_now"].to_list() == [0.9, 0.9]
    # 19 of 20 valid is 95 %, not above the 95 % target
    assert table["rate_if_cleared"].to_list() == [0.95, 0.95]
    assert table["meets_target_if_cleared"].to_list() == [False, False]


# ------------------------------------------------------------------------- the sample

REPORT_DATE = date(2026, 11, 15)  # the last date in data/sample


@pytest.fixture(scope="module")
def sample():
    from toolkit.model.data import read_data

    return read_data(SAMPLE).collect()


@pytest.fixture(scope="module")
def sample_actions(sample):
    return actions_table(sample, as_of=REPORT_DATE).collect()


def test_every_action_kind_appears_in_the_sample(sample_actions):
    table = sample_actions
    assert set(table["action"]) == set(ACTIONS)
    assert set(table["eligibility"]) == set(ELIGIBILITY)
    assert table.filter("overdue").height > 0
    kinds = {(r["action"], r["defect_type"]) for r in table.iter_rows(named=True)}
    assert ("appeal", "claim") in kinds and ("appeal", "product_authenticity") in kinds
    assert {"late_shipment", "late_delivery"} <= set(table.filter(action="wait")["defect_type"])


@pytest.mark.parametrize(
    ("seller", "record", "expected"),
    [
        pytest.param(
            "S02-claims-burst", "AZ00000003",
            ("respond", datetime(2026, 10, 7, 20, 57, 12, tzinfo=UTC), True, "open", CLAIMS),
            id="S02 never answered a claim of 4 October",
        ),
        pytest.param(
            "S12-tracking", "CB00000011",
            ("represent", datetime(2026, 11, 19, 16, 40, tzinfo=UTC), False, "open", CHARGEBACKS),
            id="S12 has until 19 November to represent a chargeback",
        ),
        pytest.param(
            "S12-tracking", "FB00001503",
            ("request_removal", datetime(2027, 2, 11, 9, 15, tzinfo=UTC), False, "likely",
             FEEDBACK),
            id="S12's delivery complaint on an FBA order is likely struck through",
        ),
        pytest.param(
            "S08-business-invoices", "113-0409261-1836694",
            ("upload_invoice", None, False, "open", "Orders > Manage Orders"),
            id="S08 never uploaded the invoice of a 10 November order",
        ),
        pytest.param(
            "S10-disputes", "PV00000010",
            ("dispute_error", None, False, "open", HEALTH),
            id="S10 can dispute an intellectual property complaint",
        ),
        pytest.param(
            "S06-violations", "PV00000009",
            ("appeal", None, False, "open", HEALTH),
            id="S06 can appeal its authenticity complaint",
        ),
    ],
)  # fmt: skip
def test_sample_actions(sample_actions, seller, record, expected):
    row = only(sample_actions.filter(seller_id=seller, record_id=record))
    assert fact(row) == expected


def test_the_sample_s06_estimate_back_to_200(sample_actions):
    """Issue 11: S06 shows 192; addressing its authenticity complaint alone gives 200."""
    rows = sample_actions.filter(seller_id="S06-violations", metric="policy_violation")
    got = dict(zip(rows["record_id"], rows["ahr_if_addressed"], strict=True))
    assert got == {
        "PV00000004": 192,  # addressed already: nothing to give back
        "PV00000005": 194,
        "PV00000007": 196,  # the second product-condition complaint moves up a rank
        "PV00000008": 196,
        "PV00000009": 200,
    }


def test_rate_if_cleared_agrees_with_a_what_if_forecast(sample, sample_actions):
    """For one row of each metric and action (counting and waiting), the what-if with that
    record removed gives the same rate today and says the target is met today exactly when
    ``meets_target_if_cleared`` does."""
    from toolkit.engine.forecast import what_if
    from toolkit.model.policy import COMPONENTS

    picked = (
        sample_actions.filter(pl.col("metric") != "policy_violation")
        .with_columns(_changes=pl.col("rate_now") != pl.col("rate_if_cleared"))
        .unique(["metric", "action", "_changes"], keep="first", maintain_order=True)
    )
    assert picked.height >= 12 and picked["_changes"].any() and not picked["_changes"].all()
    for row in picked.iter_rows(named=True):
        one_seller = sample.for_sellers([row["seller_id"]])
        compare = what_if(one_seller, as_of=REPORT_DATE, remove=[row["record_id"]], horizon=1)
        metric = "odr" if row["metric"] in COMPONENTS else row["metric"]
        channel = pl.col("channel") == "all" if metric == "idr_7d" else pl.lit(True)
        got = compare.filter(metric=metric).filter(channel).collect()
        got = got.filter(pl.col("rate") == row["rate_now"])  # its channel
        assert got.height >= 1, row
        what = got.row(0, named=True)
        assert what["rate_if_removed"] == pytest.approx(row["rate_if_cleared"]), row
        assert (what["recovery_date_if_removed"] == REPORT_DATE) == row[
            "meets_target_if_cleared"
        ], row


@pytest.mark.parametrize("seed", [51, 52], ids=lambda s: f"seed {s}")
def test_rate_if_cleared_is_the_rate_with_that_record_removed_on_random_data(seed):
    from tests.randomdata import random_dataset
    from toolkit.engine.metrics import snapshot_counts
    from toolkit.model.policy import COMPONENTS, NOT_FOR_HEALTH

    data = random_dataset(seed, orders=300, days=100).collect()
    policy = load_policy()
    as_of = date(2025, 3, 20)
    table = actions_table(data, as_of=as_of).collect()
    assert table.height > 40
    keys = ["seller_id", "marketplace", "channel", "metric"]
    orders = data.orders.collect().select("order_id", "channel")
    for row in table.iter_rows(named=True):
        metric = "odr" if row["metric"] in COMPONENTS else row["metric"]
        channel = (
            "all"  # both channels together, and the return requests and messages
            if metric == "idr_7d" or metric in NOT_FOR_HEALTH
            else orders.filter(order_id=row["order_id"]).item(0, "channel")
        )
        counts = (
            snapshot_counts(data, policy, as_of, remove=frozenset([row["record_id"]]))
            .filter(seller_id=row["seller_id"], marketplace=row["marketplace"])
            .filter(channel=channel, metric=metric)
            .select(*keys, "numerator", "denominator")
            .collect()
        )
        n = only(counts)
        if n["denominator"] == 0:  # a record waiting to enter an empty window
            assert row["rate_if_cleared"] is None and row["meets_target_if_cleared"] is None
            continue
        assert n["numerator"] / n["denominator"] == pytest.approx(row["rate_if_cleared"]), row


def test_an_empty_dataset_has_no_actions():
    data = dataset(orders=mfn_orders(3))
    table = actions_table(data, as_of=D).collect()
    assert table.is_empty() and table.columns == ACTION_COLUMNS
    assert table.schema["deadline"] == pl.Datetime("us", "UTC")
    assert table.schema["overdue"] == pl.Boolean and table.schema["clears_on"] == pl.Date


def test_a_violation_whose_addressing_makes_the_estimate_healthy_comes_first():
    # 200 shipments: 204 before points; 8 + 2 points: 194 (at risk). Addressing the high
    # one gives 202 (healthy); addressing the low one 196 (still at risk).
    orders = mfn_orders(200, shipped_at=day(D, -29))
    violations = [
        {**violation("V-low", "other", severity="low"), "detected_at": day(D, -40)},
        {**violation("V-high", "listing_policy", severity="high"), "detected_at": day(D, -5)},
    ]
    table = actions_table(dataset(orders=orders, violations=violations), as_of=D).collect()
    assert table.select("record_id", "ahr_if_addressed", "clears_on").rows() == [
        ("V-high", 202, on(175)),
        ("V-low", 196, on(140)),
    ]
