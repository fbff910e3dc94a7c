"""The report section "Not used by Amazon for account health" (definitions section 12): what each retired
metric was, its former target, today's value, why it no longer counts, and the product
rating per ASIN; and that none of it changes what the page says about account health.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import polars as pl
import pytest

from tests.builders import dataset, day, order
from tests.conftest import SAMPLE
from toolkit.model.data import Dataset, read_data
from toolkit.model.policy import load_policy
from toolkit.reports.results import report_tables
from toolkit.reports.view import SellerReport
from toolkit.sample.generate import SAMPLE_END

FRI = date(2025, 3, 7)


def report_of(data: Dataset, seller: str, as_of: date) -> SellerReport:
    """``seller``'s report computed from ``data`` (every table of the batch)."""
    policy = load_policy()
    mine = data.subset(pl.col("seller_id") == seller)
    tables = report_tables(mine, as_of=as_of, policy=policy)
    frames = dict(zip(tables, pl.collect_all(list(tables.values())), strict=True))
    return SellerReport(
        seller_id=seller, marketplace="US", as_of=as_of, policy=policy, tables=frames
    )


def visible(html: str) -> str:
    """The text a reader sees: tags left out, entities of quotes restored, spaces joined."""
    text = re.sub(r"<[^>]*>", " ", html).replace("&#x27;", "'")
    return " ".join(text.split())


# ----------------------------------------------------------------- hand-built seller


def _review(i: int, asin: str, stars: int, **columns) -> dict:
    return {
        "review_id": f"V{i}",
        "seller_id": "S1",
        "asin": asin,
        "reviewed_at": day(FRI, -i),
        "stars": stars,
        **columns,
    }


@pytest.fixture(scope="module")
def hand_built() -> SellerReport:
    """S1 on Friday 7 March 2025: no return, three messages (one answered in 30 hours),
    twelve ASINs (one named with markup), the busiest with 4 reviews."""
    reviews = [_review(i, f"B0A{i:02d}", 5) for i in range(1, 11)]
    reviews += [
        _review(20, "<b>B0X</b>", 1),
        _review(21, "<b>B0X</b>", 2),
        _review(22, "<b>B0X</b>", 4),
        _review(23, "B0BUSY", 5),
        _review(24, "B0BUSY", 5),
        _review(25, "B0BUSY", 1),
        _review(26, "B0BUSY", 4),
        _review(27, "B0BUSY", 1, verified="false"),
    ]
    messages = [
        {"message_id": "M1", "seller_id": "S1", "received_at": day(FRI, -5, "08:00:00")},
        {"message_id": "M2", "seller_id": "S1", "received_at": day(FRI, -4, "08:00:00")},
        {"message_id": "M3", "seller_id": "S1", "received_at": day(FRI, -3, "08:00:00")},
    ]
    messages[0]["replied_at"] = day(FRI, -5, "09:00:00")
    messages[1]["replied_at"] = day(FRI, -3, "14:00:00")  # 30 hours
    messages[2]["replied_at"] = day(FRI, -3, "20:00:00")
    data = dataset(
        orders=[order("O1", day(FRI, -10))], messages=messages, reviews=reviews
    ).collect()
    return report_of(data, "S1", FRI)


def test_a_retired_metric_says_its_value_counts_former_target_and_why(hand_built):
    text = visible(hand_built.not_for_health().html)
    assert (
        "Messages answered within 24 hours, 30 days (retired) Today: 66.67% (2 of 3 "
        "messages answered within 24 hours; window: message received 6 Feb 2025 to "
        "7 Mar 2025). Amazon's former target: above 90%. Today's value misses it."
    ) in text
    assert "What it measures. The share of buyer messages you answered within 24 hours" in text
    assert "removed Contact Response Time from its seller performance metrics on 1 Oct 2018" in (
        text
    )
    assert "takes no action on it" in text


def test_a_retired_metric_without_records_says_so(hand_built):
    text = visible(hand_built.not_for_health().html)
    assert (
        "Return dissatisfaction rate, 30 days (retired) Today: no value (no return requests "
        "in the window; window: return requested 6 Feb 2025 to 7 Mar 2025). Amazon's "
        "former target: below 10%."
    ) in text
    assert "Today's value meets" not in text.split("Messages answered")[0]


def test_the_product_rating_is_labelled_a_plain_average_not_amazons(hand_built):
    text = visible(hand_built.not_for_health().html)
    # 10 x 5 stars, 1 + 2 + 4, 5 + 5 + 1 + 4: 72 stars from 17 verified reviews
    assert (
        "Today: 4.24 of 5 stars , a plain average, not Amazon's star rating (17 verified "
        "reviews, window: review written 8 Mar 2024 to 7 Mar 2025)."
    ) in text
    assert "Product rating, plain average (not Amazon's star rating)" in text
    assert "machine-learned model" in text


def test_the_asin_table_lists_most_reviews_first_and_counts_the_rest(hand_built):
    html = hand_built.not_for_health().html
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows[1:]]
    assert len(cells) == 10  # RATING_ASINS
    assert cells[0] == ["B0BUSY", "4", "3.75", "25% (1)"]
    assert cells[1] == ["&lt;b&gt;B0X&lt;/b&gt;", "3", "2.33", "66.7% (2)"]
    assert cells[2] == ["B0A01", "1", "5.00", "0% (0)"]
    assert [c[0] for c in cells[2:]] == [f"B0A{i:02d}" for i in range(1, 9)]
    assert "<b>B0X</b>" not in html
    assert "and 2 more ASINs (2 verified reviews) not listed." in visible(html)


@pytest.mark.parametrize(
    ("limit", "note"),
    [
        pytest.param(12, None, id="every ASIN fits: no note"),
        pytest.param(11, "and 1 more ASIN (1 verified review) not listed.", id="one ASIN cut"),
        pytest.param(1, "and 11 more ASINs (13 verified reviews) not listed.", id="all but one"),
    ],
)
def test_the_asin_table_is_bounded(hand_built, limit, note):
    html = hand_built.rating_table(limit=limit).html
    assert html.count("<tr>") == 1 + min(limit, 12)
    assert ("more ASIN" in html) == (note is not None)
    if note:
        assert note in visible(html)


def test_a_seller_without_reviews_gets_no_table():
    data = dataset(orders=[order("O1", day(FRI, -10))]).collect()
    report = report_of(data, "S1", FRI)
    html = report.not_for_health().html
    assert "<table" not in html
    assert "Today: no verified reviews" in visible(html)
    assert "no messages in the window" in visible(html)


# ------------------------------------------------------------------------- sample


@pytest.fixture(scope="module")
def sample() -> Dataset:
    return read_data(SAMPLE).collect()


def test_s09_reads_its_slow_replies_and_s10_its_asins(sample):
    s09 = visible(report_of(sample, "S09-new-seller", SAMPLE_END).not_for_health().html)
    assert "Today: 58.82% (10 of 17 messages answered within 24 hours;" in s09
    assert "Amazon's former target: above 90%. Today's value misses it." in s09
    assert "Today: no verified reviews" in s09
    s10 = report_of(sample, "S10-disputes", SAMPLE_END).not_for_health().html
    rows = re.findall(r"<tr>(.*?)</tr>", s10)
    first = re.findall(r"<td[^>]*>(.*?)</td>", rows[1])
    assert first == ["B0000461XK", "11", "4.36", "9.1% (1)"]
    assert len(rows) == 1 + 5 and "more ASIN" not in s10
    assert "Today: 4.37 of 5 stars" in visible(s10)


@pytest.mark.parametrize("seller", ["S09-new-seller", "S10-disputes"])
def test_returns_and_messages_never_change_what_the_page_says_about_health(sample, seller):
    with_them = report_of(sample, seller, SAMPLE_END)
    without = report_of(
        replace(sample, returns=sample.returns.clear(), messages=sample.messages.clear()),
        seller,
        SAMPLE_END,
    )
    # the retired metrics did change: the section differs
    assert with_them.not_for_health().html != without.not_for_health().html
    assert "no messages in the window" in visible(without.not_for_health().html)
    # what is wrong, the status chip and the AHR estimate do not
    assert with_them.headline().html == without.headline().html
    for key in ("status", "attention", "ahr_estimate", "band", "missing_targets"):
        assert with_them.summary[key] == without.summary[key], key
    assert with_them.policy_compliance().html == without.policy_compliance().html


def test_a_seller_with_a_violation_and_reviews_but_no_order_gets_its_asins():
    violation = {
        "violation_id": "PV1",
        "seller_id": "S2",
        "category": "listing_policy",
        "severity": "low",
        "detected_at": day(FRI, -3),
    }
    data = dataset(
        orders=[order("O1", day(FRI, -10))],
        violations=[violation],
        reviews=[{**_review(1, "B0LONE", 2), "seller_id": "S2"}],
    ).collect()
    html = report_of(data, "S2", FRI).not_for_health().html
    assert "None of these metrics is computed for a seller without orders." in visible(html)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells == ["B0LONE", "1", "2.00", "100% (1)"]
