"""The toolkit's own numbers as an SP-API seller performance report, and back."""

from __future__ import annotations

import gzip
import json
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.amazon.ingest import (
    read_seller_performance,
    seller_performance_report,
    write_report_json,
)
from toolkit.model.policy import NOT_FOR_HEALTH

D = date(2025, 3, 31)
METRICS_SCHEMA = {
    "seller_id": pl.String,
    "marketplace": pl.String,
    "channel": pl.String,
    "metric": pl.String,
    "as_of": pl.Date,
    "window_start": pl.Date,
    "window_end": pl.Date,
    "numerator": pl.Int64,
    "denominator": pl.Int64,
    "rate": pl.Float64,
    "target": pl.Float64,
    "condition": pl.String,
    "informational": pl.Boolean,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_value": pl.Float64,
    "status": pl.String,
}
ODR = (date(2025, 1, 17), date(2025, 3, 17))
# channel, metric, window, numerator, denominator, rate, target, condition, status
ROWS = [
    ("afn", "odr", ODR, 0, 400, 0.0, 0.01, "<", "good"),
    ("afn", "odr_chargebacks", ODR, 0, 400, 0.0, None, None, "info"),
    ("afn", "odr_claims", ODR, 0, 400, 0.0, None, None, "info"),
    ("afn", "odr_negative_feedback", ODR, 0, 400, 0.0, None, None, "info"),
    ("mfn", "odr", ODR, 3, 200, 0.015, 0.01, "<", "bad_low_volume"),
    ("mfn", "odr_chargebacks", ODR, 1, 200, 0.005, None, None, "info"),
    ("mfn", "odr_claims", ODR, 1, 200, 0.005, None, None, "info"),
    ("mfn", "odr_negative_feedback", ODR, 2, 200, 0.01, None, None, "info"),
    ("mfn", "lsr_10d", (date(2025, 3, 22), D), 2, 50, 0.04, 0.04, "<", "bad"),
    ("mfn", "lsr_30d", (date(2025, 3, 2), D), 3, 150, 0.02, 0.04, "<", "good"),
    ("mfn", "cancel_rate_7d", (date(2025, 3, 25), D), 1, 50, 0.02, 0.025, "<", "watch"),
    ("mfn", "vtr_30d", (date(2025, 2, 16), date(2025, 3, 17)), 95, 100, 0.95, 0.95, ">", "bad"),
    ("mfn", "otdr_14d", (date(2025, 3, 11), date(2025, 3, 24)), 0, 0, None, 0.9, ">", "no_data"),
    ("all", "idr_7d", (date(2025, 3, 18), date(2025, 3, 24)), 1, 40, 0.025, 0.05, "<", "good"),
]  # fmt: skip


def metrics_table() -> pl.DataFrame:
    rows = [
        {
            "seller_id": "S1",
            "marketplace": "US",
            "channel": channel,
            "metric": metric,
            "as_of": D,
            "window_start": window[0],
            "window_end": window[1],
            "numerator": num,
            "denominator": den,
            "rate": rate,
            "target": target,
            "condition": condition,
            "informational": metric.startswith("odr_"),
            "status": status,
        }
        for channel, metric, window, num, den, rate, target, condition, status in ROWS
    ]
    ours = pl.DataFrame(rows, schema=METRICS_SCHEMA)
    other_seller = ours.with_columns(seller_id=pl.lit("S2"), numerator=pl.lit(7, pl.Int64))
    other_day = ours.with_columns(as_of=pl.lit(date(2025, 3, 30)), numerator=pl.lit(9, pl.Int64))
    return pl.concat([other_seller, ours, other_day])


def violations_table() -> pl.DataFrame:
    rows = [
        # violation, seller, as_of, category, displayed_from, displayed_until
        ("V1", "S1", D, "listing_policy", date(2025, 1, 10), date(2025, 7, 8)),
        ("V2", "S1", D, "customer_product_reviews", date(2025, 3, 31), date(2025, 9, 26)),
        ("V3", "S1", D, "other", date(2024, 10, 3), D),  # last day displayed
        ("V4", "S1", D, "product_safety", date(2024, 9, 1), date(2025, 2, 27)),  # expired
        ("V5", "S1", D, "product_safety", date(2025, 2, 1), None),  # removed as an error
        ("V6", "S1", date(2025, 3, 30), "restricted_product", date(2025, 3, 1), date(2025, 8, 27)),
        ("V7", "S2", D, "restricted_product", date(2025, 3, 1), date(2025, 8, 27)),
    ]
    return pl.DataFrame(
        rows,
        schema=[
            "violation_id",
            "seller_id",
            "as_of",
            "category",
            "displayed_from",
            "displayed_until",
        ],
        orient="row",
    ).with_columns(marketplace=pl.lit("US"), severity=pl.lit("low"), status=pl.lit("open"))


def ahr_table() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "seller_id": ["S1", "S1"],
            "marketplace": ["US", "US"],
            "as_of": [D, date(2025, 3, 30)],
            "fulfilled_orders_180d": [900, 900],
            "active_violations": [3, 3],
            "displayed_violations": [3, 3],
            "points": [36, 20],
            "ahr_estimate": [180, 196],
            "band": ["at_risk", "at_risk"],
        }
    )


def exported(tmp_path, name: str = "S1.json", **options):
    report = seller_performance_report(
        metrics_table(), seller_id="S1", marketplace="US", as_of=D, **options
    )
    path = write_report_json(report, tmp_path / name)
    return report, read_seller_performance(path).collect()


def test_round_trip_gives_back_every_metric(tmp_path):
    _, snapshot = exported(tmp_path)
    compared = [
        "metric",
        "channel",
        "window_start",
        "window_end",
        "numerator",
        "denominator",
        "rate",
        "target",
        "condition",
    ]
    family = pl.col("metric").str.starts_with("odr")
    expected = (
        metrics_table()
        .filter(seller_id="S1", as_of=D)
        # the report has channels only for ODR; definitions section 7: channel "all" elsewhere
        .with_columns(channel=pl.when(family).then("channel").otherwise(pl.lit("all")))
        .select(compared)
    )
    assert snapshot.select("seller_id", "marketplace", "snapshot_date").unique().rows() == [
        ("S1", "US", D)
    ]
    assert_frame_equal(
        snapshot.select(compared).sort("metric", "channel"),
        expected.sort("metric", "channel"),
    )


def test_status_is_mapped_to_good_bad_none(tmp_path):
    _, snapshot = exported(tmp_path)
    got = dict(snapshot.filter(channel="all").select("metric", "amazon_status").iter_rows())
    assert got == {
        "lsr_10d": "BAD",
        "lsr_30d": "GOOD",
        "cancel_rate_7d": "GOOD",  # watch
        "vtr_30d": "BAD",
        "otdr_14d": "NONE",  # no_data
        "idr_7d": "GOOD",
    }
    mfn = dict(snapshot.filter(channel="mfn").select("metric", "amazon_status").iter_rows())
    assert mfn == {
        "odr": "BAD",  # bad_low_volume: Amazon judges the target alone
        "odr_chargebacks": "NONE",
        "odr_claims": "NONE",
        "odr_negative_feedback": "NONE",
    }


def test_violations_displayed_at_the_date_are_counted_per_key(tmp_path):
    report, snapshot = exported(tmp_path, violations=violations_table())
    counts = dict(
        snapshot.filter(pl.col("metric").str.starts_with("policy_"))
        .select("metric", "numerator")
        .iter_rows()
    )
    assert counts == {
        "policy_listingPolicyViolations": 1,
        "policy_productAuthenticityCustomerComplaints": 0,
        "policy_productConditionCustomerComplaints": 0,
        "policy_productSafetyCustomerComplaints": 0,
        "policy_receivedIntellectualPropertyComplaints": 0,
        "policy_restrictedProductPolicyViolations": 0,
        "policy_suspectedIntellectualPropertyViolations": 0,
        "policy_foodAndProductSafetyIssues": 0,
        "policy_documentRequests": 0,
        "policy_otherPolicyViolations": 2,
    }
    listing = snapshot.filter(metric="policy_otherPolicyViolations").row(0, named=True)
    assert (listing["window_start"], listing["window_end"]) == (date(2024, 10, 3), D)
    assert (listing["target"], listing["condition"], listing["amazon_status"]) == (0.0, "=", "BAD")
    block = report["performanceMetrics"][0]["documentRequests"]
    assert (block["defectsCount"], block["status"], block["targetCondition"]) == (
        0,
        "GOOD",
        "EQUALS",
    )


def test_ahr_estimate_becomes_ahr_score(tmp_path):
    report, snapshot = exported(tmp_path, ahr=ahr_table())
    row = snapshot.filter(metric="ahr").row(0, named=True)
    assert (row["numerator"], row["amazon_status"]) == (180, "WARNED")
    assert report["performanceMetrics"][0]["accountHealthRating"]["ahrScoreIsEstimate"] is True


def test_report_shape(tmp_path):
    report, _ = exported(tmp_path)
    entry = report["performanceMetrics"][0]
    assert entry["marketplaceId"] == "ATVPDKIKX0DER"
    assert report["accountStatuses"] == [] and entry["warningStates"] == []
    assert entry["orderDefectRate"]["mfn"]["orderWithDefects"] == {"count": 3, "status": "BAD"}
    assert entry["orderDefectRate"]["mfn"]["negativeFeedback"] == {"count": 2, "status": "NONE"}
    assert entry["invoiceDefectRate"]["invoiceDefect"] == {"count": 1, "status": "GOOD"}
    assert [b["orderCount"] for b in entry["lateShipmentRateList"]] == [50, 150]
    assert entry["lateShipmentRate"]["lateShipmentCount"] == 3
    assert entry["unitOnTimeDeliveryRate"]["rate"] is None
    assert "onTimeDeliveryRate" not in entry


def test_gzip_output_reads_back(tmp_path):
    _, plain = exported(tmp_path, "S1.json")
    _, packed = exported(tmp_path, "S1.json.gz")
    assert (tmp_path / "S1.json.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert_frame_equal(plain, packed)
    json.loads(gzip.decompress((tmp_path / "S1.json.gz").read_bytes()))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda m: m.filter(seller_id="nobody"),
            "no metrics for seller S1, US, as of 2025-03-31",
            id="no rows for the seller",
        ),
        pytest.param(
            lambda m: pl.concat([m, m.filter(seller_id="S1", as_of=D, metric="idr_7d")]),
            "two metrics rows for idr_7d all",
            id="a metric twice",
        ),
        pytest.param(
            lambda m: m.with_columns(status=pl.lit("excellent")),
            "unknown status 'excellent'",
            id="a status outside definitions section 4.1",
        ),
    ],
)
def test_bad_metrics_tables(change, message):
    with pytest.raises(ValueError, match=message):
        seller_performance_report(
            change(metrics_table()), seller_id="S1", marketplace="US", as_of=D
        )


def test_round_trip_of_the_engine_metrics_table(tmp_path):
    from toolkit.engine.metrics import metrics_table
    from toolkit.model.data import dataset_from_frames

    orders = pl.DataFrame(
        {
            "order_id": ["A", "B", "C", "E"],
            "seller_id": ["S1"] * 4,
            "channel": ["mfn", "afn", "mfn", "mfn"],
            "purchased_at": ["2025-03-01T10:00:00Z"] * 3 + ["2025-03-25T10:00:00Z"],
            "latest_ship_at": ["2025-03-02T10:00:00Z"] * 3 + ["2025-03-26T10:00:00Z"],
            "shipped_at": ["2025-03-03T10:00:00Z", None, "2025-03-01T12:00:00Z", None],
            "is_business": [True, False, False, False],
        }
    )
    feedback = pl.DataFrame(
        {"feedback_id": ["F1"], "order_id": ["A"], "rating": [1], "left_at": ["2025-03-05"]}
    )
    data = dataset_from_frames(orders=orders, feedback=feedback)
    metrics = metrics_table(data, as_of=D).collect()
    report = seller_performance_report(metrics, seller_id="S1", marketplace="US", as_of=D)
    snapshot = read_seller_performance(write_report_json(report, tmp_path / "S1.json")).collect()
    compared = ["metric", "channel", "window_start", "window_end", "numerator", "denominator"]
    compared += ["rate", "target", "condition"]
    family = pl.col("metric").str.starts_with("odr")
    # the report has no metric Amazon does not use for account health (definitions section 12)
    expected = (
        metrics.filter(~pl.col("metric").is_in(NOT_FOR_HEALTH))
        .with_columns(channel=pl.when(family).then("channel").otherwise(pl.lit("all")))
        .select(compared)
    )
    assert_frame_equal(
        snapshot.select(compared).sort("metric", "channel"),
        expected.sort("metric", "channel"),
    )
    odr = snapshot.filter(metric="odr", channel="mfn").row(0, named=True)
    assert (odr["numerator"], odr["denominator"]) == (1, 2)
