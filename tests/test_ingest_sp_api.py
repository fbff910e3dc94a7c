"""Reading GET_V2_SELLER_PERFORMANCE_REPORT JSON into the snapshot table (definitions section 7)."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.amazon.ingest import (
    SNAPSHOT_SCHEMA,
    parse_seller_performance,
    read_seller_performance,
    snapshot_history,
)
from toolkit.cli import main
from toolkit.model.data import DataError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"
EXAMPLE = FIXTURES / "sellerPerformanceReport.example.json"
D = date


def example() -> dict:
    return json.loads(EXAMPLE.read_text())


def write(tmp_path: Path, name: str, report) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(report))
    return path


def snap(report: dict, **options) -> pl.DataFrame:
    return parse_seller_performance(report, seller_id="S1", **options).collect()


def only(table: pl.DataFrame, metric: str, channel: str = "all") -> dict:
    rows = table.filter(metric=metric, channel=channel).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


# ------------------------------------------------------------------- the official example

ODR_WINDOW = (D(2020, 9, 6), D(2020, 11, 4))
POLICY_180 = (D(2020, 5, 24), D(2020, 11, 19))
COMPLAINT_180 = (D(2020, 5, 22), D(2020, 11, 17))
DELIVERY = (D(2020, 10, 11), D(2020, 11, 9))
NONE = (None, None)
# metric, channel, window, numerator, denominator, rate, target, condition, amazon_status
EXAMPLE_ROWS = [
    ("account_status", "all", NONE, None, None, None, None, None, "AT_RISK"),
    ("ahr", "all", (D(2020, 5, 23), D(2020, 11, 19)), None, None, None, None, None, "WARNED"),
    ("cancel_rate_7d", "all", (D(2020, 11, 12), D(2020, 11, 18)), 551, 17197, 0.005, 0.01, "<", "GOOD"),
    ("idr_7d", "all", (D(2020, 10, 21), D(2020, 10, 27)), 315, 9001, 0.03499611, 0.05, "<", "GOOD"),
    ("lsr_30d", "all", (D(2020, 10, 21), D(2020, 11, 19)), 27896, 870669, 0.03203973037, 0.04, "<", "GOOD"),
    ("odr", "afn", ODR_WINDOW, 1078, 539000, 0.009, 0.01, "<", "GOOD"),
    ("odr", "mfn", ODR_WINDOW, 1078, 539000, 0.009, 0.01, "<", "GOOD"),
    ("odr_chargebacks", "afn", ODR_WINDOW, 15, 539000, 15 / 539000, None, None, "NONE"),
    ("odr_chargebacks", "mfn", ODR_WINDOW, 15, 539000, 15 / 539000, None, None, "NONE"),
    ("odr_claims", "afn", ODR_WINDOW, 442, 539000, 442 / 539000, None, None, "NONE"),
    ("odr_claims", "mfn", ODR_WINDOW, 442, 539000, 442 / 539000, None, None, "NONE"),
    ("odr_negative_feedback", "afn", ODR_WINDOW, 628, 539000, 628 / 539000, None, None, "NONE"),
    ("odr_negative_feedback", "mfn", ODR_WINDOW, 628, 539000, 628 / 539000, None, None, "NONE"),
    ("otdr_14d", "all", DELIVERY, 146, 165, 0.8848, 0.9, ">", "GOOD"),
    ("otdr_30d", "all", DELIVERY, 847987, 808046, 0.9529, 0.95, ">", "GOOD"),
    # the example's documentRequest range runs backwards; it is kept as written
    ("policy_documentRequests", "all", (D(2020, 11, 21), D(2020, 11, 19)), 8, None, None, 0.0, "=", "GOOD"),
    ("policy_foodAndProductSafetyIssues", "all", POLICY_180, 37, None, None, 0.0, "=", "BAD"),
    ("policy_listingPolicyViolations", "all", POLICY_180, 86, None, None, 0.0, "=", "BAD"),
    ("policy_otherPolicyViolations", "all", POLICY_180, 86, None, None, 0.0, "=", "BAD"),
    ("policy_productAuthenticityCustomerComplaints", "all", COMPLAINT_180, 212, None, None, 0.0, "=", "BAD"),
    ("policy_productConditionCustomerComplaints", "all", COMPLAINT_180, 337, None, None, 0.0, "=", "BAD"),
    ("policy_productSafetyCustomerComplaints", "all", COMPLAINT_180, 165, None, None, 0.0, "=", "BAD"),
    ("policy_receivedIntellectualPropertyComplaints", "all", POLICY_180, 75, None, None, 0.0, "=", "BAD"),
    ("vtr_30d", "all", DELIVERY, 896462, 878443, 0.9529, 0.95, ">", "GOOD"),
    ("warning_spammingSellerMessaging", "all", NONE, None, None, None, None, None, "BAD"),
]  # fmt: skip


def test_official_example_parses_to_its_own_numbers():
    table = read_seller_performance(EXAMPLE).collect()
    us = [
        {
            "seller_id": "sellerPerformanceReport.example",
            "marketplace": "US",
            "snapshot_date": D(2020, 11, 19),
            "metric": metric,
            "channel": channel,
            "window_start": window[0],
            "window_end": window[1],
            "numerator": num,
            "denominator": den,
            "rate": rate,
            "target": target,
            "condition": cond,
            "amazon_status": status,
        }
        for metric, channel, window, num, den, rate, target, cond, status in EXAMPLE_ROWS
    ]
    others = [
        {**us[0], "marketplace": "CA", "amazon_status": "NORMAL"},
        {**us[0], "marketplace": "MX", "amazon_status": "SUSPENDED"},
    ]
    expected = pl.DataFrame(us + others, schema=SNAPSHOT_SCHEMA)
    keys = ["marketplace", "metric", "channel"]
    assert_frame_equal(table.sort(keys), expected.sort(keys))


def test_official_example_numbers_are_copied_not_fixed():
    """Amazon's own example: 1078 / 539000 is 0.002, yet the report says 0.009; keep 0.009."""
    mfn = only(snap(example()), "odr", "mfn")
    assert (mfn["numerator"], mfn["denominator"], mfn["rate"]) == (1078, 539000, 0.009)


def test_channel_comes_from_the_key_not_the_copy_pasted_fulfillment_type():
    report = example()
    report["performanceMetrics"][0]["orderDefectRate"]["afn"]["orderCount"] = 4322
    assert only(snap(report), "odr", "afn")["denominator"] == 4322
    assert only(snap(report), "odr", "mfn")["denominator"] == 539000


# ------------------------------------------------------------------ spellings and extras


def rename(report: dict, old: str, new: str) -> dict:
    entry = report["performanceMetrics"][0]
    entry[new] = entry.pop(old)
    return report


@pytest.mark.parametrize(
    ("old", "new", "metric"),
    [
        pytest.param(
            "prefulfillmentCancelRate",
            "preFulfillmentCancellationRate",
            "cancel_rate_7d",
            id="cancellation rate under its schema name",
        ),
        pytest.param(
            "documentRequest", "documentRequests", "policy_documentRequests", id="documentRequests"
        ),
        pytest.param(
            "warningState",
            "warningStates",
            "warning_spammingSellerMessaging",
            id="warningStates",
        ),
    ],
)
def test_both_spellings_give_the_same_rows(old, new, metric):
    assert_frame_equal(snap(rename(example(), old, new)), snap(example()))
    assert only(snap(rename(example(), old, new)), metric)["amazon_status"] is not None


def test_both_spellings_at_once_must_agree():
    report = example()
    entry = report["performanceMetrics"][0]
    entry["documentRequests"] = copy.deepcopy(entry["documentRequest"])
    assert only(snap(report), "policy_documentRequests")["numerator"] == 8
    entry["documentRequests"]["defectsCount"] = 9
    with pytest.raises(DataError, match="both documentRequests and documentRequest"):
        snap(report)


@pytest.mark.parametrize(
    ("ahr", "numerator", "status"),
    [
        pytest.param({"ahrStatus": "WARNED"}, None, "WARNED", id="ahrScore absent"),
        pytest.param({"ahrStatus": "GREAT", "ahrScore": 428}, 428, "GREAT", id="ahrScore 428"),
        pytest.param(
            {"accountHealthRatingStatus": "GREAT", "ahrScore": 0},
            0,
            "GREAT",
            id="schema spelling accountHealthRatingStatus, score 0",
        ),
    ],
)
def test_account_health_rating(ahr, numerator, status):
    report = example()
    window = report["performanceMetrics"][0]["accountHealthRating"]["reportingDateRange"]
    report["performanceMetrics"][0]["accountHealthRating"] = {**ahr, "reportingDateRange": window}
    row = only(snap(report), "ahr")
    assert (row["numerator"], row["amazon_status"]) == (numerator, status)


def test_unknown_keys_are_ignored_and_unknown_listing_keys_are_read():
    report = example()
    entry = report["performanceMetrics"][0]
    entry["someFutureThing"] = {"a": 1}
    report["requestId"] = "abc"
    entry["customerProductReviewsPolicyViolations"] = {
        **entry["listingPolicyViolations"],
        "defectsCount": 3,
    }
    table = snap(report)
    assert only(table, "policy_customerProductReviewsPolicyViolations")["numerator"] == 3
    assert table.height == snap(example()).height + 1


def test_missing_optional_metrics_give_no_rows():
    """A real DE response: only some blocks, no channel-less LSR, warnings as []."""
    window = {"reportingDateFrom": "2026-09-05T00:00Z", "reportingDateTo": "2026-10-04T23:59Z"}
    report = {
        "accountStatuses": [{"marketplaceId": "A1PA6795UKMFR9", "status": "NORMAL"}],
        "performanceMetrics": [
            {
                "marketplaceId": "A1PA6795UKMFR9",
                "accountHealthRating": {
                    "ahrScore": 428,
                    "ahrStatus": "GREAT",
                    "reportingDateRange": window,
                },
                "onTimeDeliveryRate": {
                    "rate": 0.42857,
                    "status": "GOOD",
                    "targetValue": 0.97,
                    "targetCondition": "GREATER_THAN",
                    "reportingDateRange": window,
                    "onTimeDeliveryCount": 3,
                    "shipmentCountWithValidTracking": 7.0,
                },
                "policyViolationWarnings": {"warningsCount": 0, "reportingDateRange": window},
                "warningStates": [],
            }
        ],
    }
    table = snap(report)
    assert table.select("marketplace", "metric", "numerator", "denominator").rows() == [
        ("DE", "account_status", None, None),
        ("DE", "ahr", 428, None),
        ("DE", "otdr_30d", 3, 7),
        ("DE", "policy_violation_warnings", 0, None),
    ]
    assert table["snapshot_date"].unique().to_list() == [D(2026, 10, 4)]


def test_absent_counts_give_nulls_and_keep_amazons_rate():
    """A real DE excerpt has an ODR block with a rate but no orderWithDefects."""
    report = example()
    afn = report["performanceMetrics"][0]["orderDefectRate"]["afn"]
    for key in ("orderWithDefects", "claims", "chargebacks", "negativeFeedback"):
        del afn[key]
    afn.update(orderCount=4322, rate=0)
    del report["performanceMetrics"][0]["listingPolicyViolations"]["defectsCount"]
    table = snap(report)
    row = only(table, "odr", "afn")
    assert (row["numerator"], row["denominator"], row["rate"]) == (None, 4322, 0.0)
    assert table.filter(channel="afn").height == 1  # no component rows without components
    assert only(table, "policy_listingPolicyViolations")["numerator"] is None


def test_late_shipment_list_is_named_by_window_length():
    report = example()
    entry = report["performanceMetrics"][0]
    ten = {
        **entry["lateShipmentRate"],
        "reportingDateRange": {
            "reportingDateFrom": "2020-11-10T00:00Z",
            "reportingDateTo": "2020-11-19T23:59Z",
        },
        "orderCount": 300,
        "lateShipmentCount": 9,
        "rate": 0.03,
    }
    entry["lateShipmentRateList"] = [ten, entry["lateShipmentRate"]]
    table = snap(report)
    assert only(table, "lsr_10d")["numerator"] == 9
    assert only(table, "lsr_30d")["numerator"] == 27896
    assert table.height == snap(example()).height + 1


def test_seller_and_snapshot_date_options(tmp_path):
    path = write(tmp_path, "A2SELLER.json", example())
    gz = tmp_path / "B3SELLER.json.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    table = read_seller_performance([path, gz]).collect()
    assert sorted(table["seller_id"].unique()) == ["A2SELLER", "B3SELLER"]
    bom = tmp_path / "C4SELLER.json"
    bom.write_bytes(EXAMPLE.read_text().encode("utf-8-sig"))
    assert read_seller_performance(bom).collect().height == 27
    table = read_seller_performance(gz, seller_id="X", snapshot_date=D(2020, 11, 20)).collect()
    assert table.select("seller_id", "snapshot_date").unique().rows() == [("X", D(2020, 11, 20))]


# ------------------------------------------------------------------------------ errors


def error_text(paths, **options) -> str:
    with pytest.raises(DataError) as info:
        read_seller_performance(paths, **options)
    return str(info.value)


def test_truncated_json_names_the_file(tmp_path):
    path = tmp_path / "S1.json"
    path.write_text(EXAMPLE.read_text()[:1000])
    text = error_text(path)
    assert str(path) in text
    assert "not valid JSON (truncated?)" in text


def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "S1.json.gz"
    path.write_bytes(gzip.compress(EXAMPLE.read_bytes())[:200])
    assert f"{path}: is a damaged or truncated gzip file" in error_text(path)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        pytest.param([1, 2], "the top level is a list, not an object", id="a JSON list"),
        pytest.param(
            {"orders": []},
            "missing performanceMetrics (top-level keys found: orders)",
            id="another report",
        ),
        pytest.param(
            {"performanceMetrics": {}}, "performanceMetrics is not a list", id="not a list"
        ),
    ],
)
def test_not_a_report(tmp_path, document, problem):
    path = write(tmp_path, "S1.json", document)
    assert f"{path}: " in error_text(path) and problem in error_text(path)


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        pytest.param(
            lambda e: e["invoiceDefectRate"].pop("reportingDateRange"),
            "missing performanceMetrics[0].invoiceDefectRate.reportingDateRange.reportingDateFrom",
            id="a window is missing",
        ),
        pytest.param(
            lambda e: e["orderDefectRate"]["afn"]["reportingDateRange"].pop("reportingDateTo"),
            "missing performanceMetrics[0].orderDefectRate.afn.reportingDateRange.reportingDateTo",
            id="a window end is missing",
        ),
        pytest.param(
            lambda e: e["orderDefectRate"]["mfn"]["claims"].update(count=1.5),
            "performanceMetrics[0].orderDefectRate.mfn.claims.count is not a count: 1.5",
            id="a component count is not whole",
        ),
        pytest.param(
            lambda e: e.update(lateShipmentRateList=[{"rate": 0, "status": "GOOD"}]),
            "missing performanceMetrics[0].lateShipmentRateList[0].reportingDateRange.reportingDateFrom",
            id="a late shipment list entry without a window cannot be named",
        ),
        pytest.param(
            lambda e: e.pop("marketplaceId"),
            "missing performanceMetrics[0].marketplaceId",
            id="the marketplace is missing",
        ),
        pytest.param(
            lambda e: e["validTrackingRate"].update(shipmentCount="many"),
            "performanceMetrics[0].validTrackingRate.shipmentCount is not a count: 'many'",
            id="a count is text",
        ),
        pytest.param(
            lambda e: e["validTrackingRate"].update(targetCondition="LESS_THAN_OR_EQUAL"),
            "performanceMetrics[0].validTrackingRate.targetCondition 'LESS_THAN_OR_EQUAL' "
            "is not one of LESS_THAN, GREATER_THAN, EQUALS",
            id="an unknown condition",
        ),
        pytest.param(
            lambda e: e["lateShipmentRate"]["reportingDateRange"].update(reportingDateTo="soon"),
            "performanceMetrics[0].lateShipmentRate.reportingDateRange.reportingDateTo "
            "is not a time: 'soon'",
            id="a date is not a date",
        ),
        pytest.param(
            lambda e: e["validTrackingRate"].update(shipmentCount=2**63),
            "performanceMetrics[0].validTrackingRate.shipmentCount is not a count: "
            "9223372036854775808",
            id="a count beyond 64 bits",
        ),
        pytest.param(
            lambda e: e["lateShipmentRate"]["reportingDateRange"].update(
                reportingDateTo="9999-12-31T23:00:00-05:00"
            ),
            "performanceMetrics[0].lateShipmentRate.reportingDateRange.reportingDateTo "
            "is not a time: '9999-12-31T23:00:00-05:00'",
            id="a date that is past year 9999 in UTC",
        ),
    ],
)
def test_malformed_report_names_file_and_field(tmp_path, damage, problem):
    report = example()
    damage(report["performanceMetrics"][0])
    good = write(tmp_path, "good.json", example())
    bad = write(tmp_path, "S1.json", report)
    text = error_text([good, bad])
    assert f"{bad}: {problem}" in text
    assert str(good) not in text


def test_the_largest_64_bit_count_is_still_read(tmp_path):
    report = example()
    report["performanceMetrics"][0]["validTrackingRate"]["shipmentCount"] = 2**63 - 1
    table = read_seller_performance(write(tmp_path, "S1.json", report)).collect()
    assert table.filter(metric="vtr_30d")["denominator"].to_list() == [2**63 - 1]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            "[" * 100_000 + "]" * 100_000,
            "is not a seller performance report: its JSON nests too deeply",
            id="JSON nested a hundred thousand levels deep",
        ),
        pytest.param(
            '{"performanceMetrics": [], "n": ' + "9" * 5000 + "}",
            "is not a seller performance report: Exceeds the limit (4300 digits)",
            id="an integer of five thousand digits",
        ),
    ],
)
def test_json_python_cannot_hold_is_an_input_error(tmp_path, text, problem):
    path = tmp_path / "S1.json"
    path.write_text(text)
    assert f"{path}: {problem}" in error_text(path)


def test_two_files_for_the_same_seller_and_date_are_refused(tmp_path):
    first = write(tmp_path, "a.json", example())
    second = write(tmp_path, "b.json", example())
    text = error_text([first, second], seller_id="S1")
    assert f"{first}, {second}" in text
    assert "2 snapshot rows for seller S1, marketplace US, date 2020-11-19, metric ahr" in text


def test_cli_writes_nothing_when_one_file_is_bad(tmp_path, capsys):
    good = write(tmp_path, "good.json", example())
    bad = tmp_path / "bad.json"
    bad.write_text('{"performanceMetrics": [')
    out = tmp_path / "snap.csv"
    assert main(["ingest", "sp-api", str(good), str(bad), "--out", str(out)]) == 2
    assert not out.exists()
    assert str(bad) in capsys.readouterr().err


def test_cli_writes_the_snapshot_table(tmp_path, capsys):
    out = tmp_path / "snap.parquet"
    status = main(["ingest", "sp-api", str(EXAMPLE), "--out", str(out), "--seller", "S9"])
    assert status == 0
    table = pl.read_parquet(out)
    assert table.schema == SNAPSHOT_SCHEMA
    assert table.height == 27
    assert "27 snapshot rows, sellers S9" in capsys.readouterr().out


# ----------------------------------------------------------------------------- history


def daily(day: int, late: int, status: str) -> dict:
    report = example()
    entry = report["performanceMetrics"][0]
    entry["lateShipmentRate"].update(
        reportingDateRange={
            "reportingDateFrom": f"2020-10-{day + 1:02d}T00:00Z",
            "reportingDateTo": f"2020-11-{day:02d}T23:59Z",
        },
        lateShipmentCount=late,
        orderCount=1000,
        rate=late / 1000,
    )
    report["accountStatuses"][0]["status"] = status
    return report


def test_history_of_daily_reports(tmp_path):
    files = [
        write(tmp_path, f"day{day}.json", daily(day, late, status))
        for day, late, status in [(19, 30, "NORMAL"), (21, 45, "AT_RISK"), (20, 30, "NORMAL")]
    ]
    snapshots = read_seller_performance(files, seller_id="S1", snapshot_date=None)
    history = snapshot_history(snapshots).filter(
        pl.col("marketplace") == "US", pl.col("metric").is_in(["lsr_30d", "account_status"])
    )
    got = history.select(
        "metric", "snapshot_date", "window_end", "value", "change", "label", "status_changed"
    ).collect()
    expected = pl.DataFrame(
        {
            "metric": ["account_status"] * 3 + ["lsr_30d"] * 3,
            "snapshot_date": [D(2020, 11, 19), D(2020, 11, 20), D(2020, 11, 21)] * 2,
            "window_end": [None] * 3 + [D(2020, 11, 19), D(2020, 11, 20), D(2020, 11, 21)],
            "value": [None, None, None, 0.03, 0.03, 0.045],
            "change": [None, None, None, None, 0.0, 0.045 - 0.03],
            "label": ["NORMAL", "NORMAL", "AT_RISK", "30 / 1000", "30 / 1000", "45 / 1000"],
            "status_changed": [None, False, True, None, False, False],
        },
        schema_overrides={"window_end": pl.Date, "value": pl.Float64, "change": pl.Float64},
    )
    assert_frame_equal(got, expected)
