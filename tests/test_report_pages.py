"""What a seller reads: the first screen, the three panels, and one ranking, on the sample."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

from tests.conftest import SAMPLE
from toolkit.charts.tables import seller_ranking
from toolkit.model.data import read_data
from toolkit.model.policy import load_policy
from toolkit.model.vocabulary import day_text
from toolkit.reports.content import ReportContent, records
from toolkit.reports.results import report_tables
from toolkit.reports.sections import records_table
from toolkit.reports.view import SellerReport, load_report

SHIPPING = ("lsr_10d", "lsr_30d", "cancel_rate_7d", "vtr_30d", "otdr_14d", "idr_7d")
ODR_FAMILY = ("odr", "odr_negative_feedback", "odr_claims", "odr_chargebacks")
#: Sentences that say nothing counts against the seller.
NOTHING = re.compile(r"no record counts against you|No defect or policy violation counts", re.I)


@pytest.fixture(scope="module")
def sample():
    return read_data(SAMPLE).collect()


_COMPUTED: dict[date, list[SellerReport]] = {}


def reports_at(sample, day: date) -> list[SellerReport]:
    """Every sample seller's report at ``day``, from one computation for all sellers."""
    if day not in _COMPUTED:
        _COMPUTED[day] = _reports(sample, day)
    return _COMPUTED[day]


def _reports(sample, day: date) -> list[SellerReport]:
    policy = load_policy()
    tables = report_tables(sample, as_of=day, policy=policy)
    frames = dict(zip(tables, pl.collect_all(list(tables.values())), strict=True))
    keys = ["seller_id", "marketplace"]
    parts = {name: frame.partition_by(keys, as_dict=True) for name, frame in frames.items()}
    reports = []
    for seller_id, marketplace in frames["summary"].select(keys).iter_rows():
        mine = {
            name: parts[name].get((seller_id, marketplace), frames[name].clear()) for name in frames
        }
        reports.append(
            SellerReport(
                seller_id=seller_id,
                marketplace=marketplace,
                as_of=day,
                policy=policy,
                tables=mine,
            )
        )
    return reports


@pytest.fixture(scope="module")
def s04(sample) -> SellerReport:
    """S04-late-carrier as of 11 October 2026: its only problem is its late shipments."""
    (report,) = [
        r for r in reports_at(sample, date(2026, 10, 11)) if r.seller_id == "S04-late-carrier"
    ]
    return report


def test_a_seller_whose_only_problem_is_late_shipments_sees_each_one_and_when_it_clears(s04):
    late = s04.tables["clearance"].filter(
        pl.col("metric").is_in(["lsr_10d", "lsr_30d"]), pl.col("counting")
    )
    today = s04.tables["metrics"].filter(pl.col("as_of") == s04.as_of)
    over = today.filter(pl.col("status").is_in(["bad", "bad_low_volume"]))
    assert set(over["metric"]) <= {"lsr_10d", "lsr_30d"} and over.height >= 1
    assert late.height >= 1
    head = s04.headline().html
    # what is wrong: the late shipment rate, in words, with its counts
    assert "<b>Late shipment rate, 10 days (shipped by you)</b> is" in head
    assert "shipped late" in head
    # nothing contradicts it
    assert NOTHING.search(head) is None
    assert "Every metric with a target meets it" not in head
    # what clears by itself, and when: the next and the last clearing date of the records
    assert "Late shipment ×" in head
    assert f"<b>{day_text(late['clears_on'].min())}</b>" in head
    # the shipping panel lists every counting late shipment with its clearing date
    shipping = s04.shipping().html
    for row in late.iter_rows(named=True):
        assert row["order_id"] in shipping
        assert f"<b>{day_text(row['clears_on'])}</b>" in shipping
    assert "No record of your shipping metrics is in a window today" not in shipping
    # and the customer service panel does not claim the account is clean
    assert NOTHING.search(s04.customer_service().html) is None


@pytest.mark.parametrize(
    "day",
    [date(2026, 9, 1), date(2026, 10, 11), date(2026, 11, 15)],
    ids=["1 September", "11 October", "15 November"],
)
def test_no_first_screen_contradicts_the_tables(sample, day):
    """ "Nothing counts" only when no record counts; "on target" only when none misses."""
    for report in reports_at(sample, day):
        head = report.headline().html
        counting = report.tables["clearance"].filter(pl.col("counting")).height
        now = report.tables["metrics"].filter(pl.col("as_of") == day, ~pl.col("informational"))
        missing = now.filter(pl.col("status").is_in(["bad", "bad_low_volume"])).height
        says_nothing = NOTHING.search(head) is not None
        assert says_nothing == (
            counting == 0 and missing == 0 and report.summary["band"] in (None, "healthy")
        ), report.seller_id
        if missing:
            assert "What is wrong</h3><ul>" in head, report.seller_id
        # every record that counts is in a panel's table or the violations table
        tables = records_table(report, records(report, ODR_FAMILY), comments=True)
        tables += records_table(report, records(report, SHIPPING), comments=False)
        tables += report.violations().html
        for row in report.tables["clearance"].filter(pl.col("counting")).iter_rows(named=True):
            assert (row["order_id"] or row["record_id"]) in tables, (report.seller_id, row)


def test_the_first_screen_lists_passed_deadlines_first_with_where_to_act(sample):
    reports = {r.seller_id: r for r in reports_at(sample, date(2026, 11, 15))}
    actions = pl.concat([r.tables["actions"] for r in reports.values()])
    assert set(actions["action"]) >= {
        "request_removal",
        "respond",
        "appeal",
        "represent",
        "fix_tracking",
        "upload_invoice",
        "dispute_error",
        "wait",
    }
    overdue = actions.filter(pl.col("overdue"))
    assert overdue.height >= 1
    seller = overdue["seller_id"][0]
    head = reports[seller].headline().html
    todo = head[head.index("What you can do now") :]
    assert "deadline passed" in todo and "Seller Central &gt; " in todo
    # passed deadlines come before the others
    first_open = todo.find("by <b>")
    if first_open >= 0:
        assert todo.index("deadline passed") < first_open


def test_the_ahr_section_names_the_violation_that_would_restore_the_estimate(sample):
    (s06,) = [r for r in reports_at(sample, date(2026, 11, 15)) if r.seller_id == "S06-violations"]
    head = s06.headline().html
    assert "Account Health Rating estimate 192" in head
    assert "alone would bring the estimate to <b>200</b> (healthy)" in head
    policy = s06.policy_compliance().html
    assert "200 (healthy)" in policy and "AHR estimate if addressed" in policy


def test_could_be_chance_is_said_with_its_p_value_in_words(sample):
    (s03,) = [r for r in reports_at(sample, date(2026, 11, 15)) if r.seller_id == "S03-low-volume"]
    head = s03.headline().html
    assert "Over, could be chance" in head
    assert "9.6% of the time (about 1 in 10)" in head
    assert "Amazon may still act on it" in head
    assert "low volume" not in head.lower()


def test_the_good_orders_figure_says_when_new_orders_would_count(sample):
    (s02,) = [
        r for r in reports_at(sample, date(2026, 11, 15)) if r.seller_id == "S02-claims-burst"
    ]
    panel = s02.customer_service().html
    assert "on target today only if the window held 668 more good orders" in panel
    assert "orders you get today count only after the 14-day lag" in panel
    assert "more good orders now" not in panel


def test_the_index_and_the_portfolio_rank_the_sample_the_same_way(sample):
    day = date(2026, 11, 15)
    tables = report_tables(sample, as_of=day, policy=load_policy())
    frames = dict(zip(tables, pl.collect_all(list(tables.values())), strict=True))
    index_order = frames["summary"]["seller_id"].to_list()
    portfolio = seller_ranking(
        frames["metrics"].filter(pl.col("as_of") == day).lazy(),
        ahr=frames["ahr"].filter(pl.col("as_of") == day).lazy(),
        actions=frames["actions"].lazy(),
    ).collect()
    assert portfolio["seller_id"].to_list() == index_order
    assert index_order[:2] == ["S02-claims-burst", "S06-violations"]


def test_a_report_loaded_from_the_data_shows_the_same_first_screen(sample):
    computed = load_report("S04-late-carrier", as_of="2026-10-11", data=SAMPLE)
    assert isinstance(computed, ReportContent)
    assert "Late shipment ×" in computed.headline().html
