"""The Inventory performance section, the summary's IPI estimate and the index column.

Hand-built: seller S1 sells through FBA with three SKUs of 101 days each (1 unit shipped
a day), one of them named with markup; S2 has orders and no inventory. As of Monday 30
June 2025, by hand (definitions section 11):

- sell-through = 3 x 90 shipped / the mean of 120 units on hand at D, D-30, D-60, D-90
  = 2.25 (good);
- excess: no Amazon estimate, 90 days of 1 unit a day is more than any SKU holds: 0 %;
- stranded = (20 + 5) / 120 = 20.8 %;
- in stock every day: 100 % (excellent);
- proxy = 1000 x (0.35 x 0.75 + 0.35 x 1 + 0.15 x 0 + 0.15 x 1) = 762.5, rounded to 763.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

import toolkit
from toolkit.model.data import dataset_from_frames
from toolkit.model.policy import load_policy
from toolkit.model.vocabulary import INVENTORY_COMPONENT_NAMES
from toolkit.reports.content import ReportContent
from toolkit.reports.index import INDEX_COLUMNS, index_page, index_table
from toolkit.reports.inventory import NO_INVENTORY, inventory_performance
from toolkit.reports.results import inventory_skus, report_tables
from toolkit.reports.view import SellerReport

D = date(2025, 6, 30)  # a Monday
ATTACK = "<script>alert(1)</script>"
DAYS = [D - timedelta(days=n) for n in range(100, -1, -1)]  # D-100 .. D


def _sku(name: str, asin: str, on_hand: int, stranded: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "date": DAYS,
            "seller_id": "S1",
            "sku": name,
            "asin": asin,
            "on_hand": on_hand,
            "available": on_hand - stranded,
            "stranded": stranded,
            "shipped": 1,
        }
    )


def _dataset(*, with_inventory: bool = True):
    orders = pl.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "seller_id": ["S1", "S2", "S2"],
            "channel": ["afn", "mfn", "mfn"],
            "purchased_at": [
                "2025-06-01T10:00:00Z",
                "2025-06-02T10:00:00Z",
                "2025-06-03T10:00:00Z",
            ],
        }
    )
    if not with_inventory:
        return dataset_from_frames(orders=orders)
    inventory = pl.concat(
        [
            _sku("OK-1", "B000000001", 40, 0),
            _sku(ATTACK, "B000000002", 30, 5),
            _sku("MUG", "B000000003", 50, 20),
        ]
    )
    return dataset_from_frames(orders=orders, inventory=inventory)


def _frames(data) -> dict[str, pl.DataFrame]:
    tables = report_tables(data, as_of=D, policy=load_policy())
    return dict(zip(tables, pl.collect_all(list(tables.values())), strict=True))


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    return _frames(_dataset())


def _report(frames: dict[str, pl.DataFrame], seller: str) -> SellerReport:
    mine = {name: f.filter(pl.col("seller_id") == seller) for name, f in frames.items()}
    return SellerReport(
        seller_id=seller, marketplace="US", as_of=D, policy=load_policy(), tables=mine
    )


def test_a_seller_without_inventory_gets_one_line_and_no_number(frames):
    html = inventory_performance(_report(frames, "S2")).html
    assert html == f'<div class="sh-report"><p>{NO_INVENTORY}</p></div>'
    assert "IPI estimate" not in html and "<table" not in html
    assert not any(ch.isdigit() for ch in html)


def test_the_estimate_is_labelled_unofficial_next_to_its_number(frames):
    html = inventory_performance(_report(frames, "S1")).html
    assert "IPI estimate (unofficial): <b>763</b> of 1000" in html
    assert "it is not Amazon's score" in html
    assert "over 3 SKUs with 120 units on hand" in html


def test_components_show_their_values_and_amazons_bars_in_words(frames):
    html = inventory_performance(_report(frames, "S1")).html
    rows = html.split("<tr>")
    sell = next(r for r in rows if "FBA sell-through rate, 90 days" in r)
    assert ">2.25</td>" in sell and ">Good</span>" in sell
    assert "270 units shipped in the last 90 days" in sell
    assert "30, 60 and 90 days ago" in sell
    stranded = next(r for r in rows if "Stranded inventory" in r and "<td" in r)
    assert ">20.8%</td>" in stranded and ">No band published</span>" in stranded
    assert "25 of 120 units on hand have no active offer" in stranded
    excess = next(r for r in rows if "Excess inventory" in r and "<td" in r)
    assert ">0.0%</td>" in excess and "0 of 120 units" in excess
    in_stock = next(r for r in rows if "FBA in-stock rate, 30 days" in r)
    assert ">100.0%</td>" in in_stock and ">Excellent</span>" in in_stock


def test_the_skus_with_stranded_units_come_most_units_first_with_their_action(frames):
    html = inventory_performance(_report(frames, "S1")).html
    table = html.split("most units first:")[1]
    assert table.index("MUG") < table.index("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "OK-1" not in table  # nothing to do about it
    assert table.count("<b>Fix the listing</b>") == 2
    assert "Inventory → Fix stranded inventory" in table
    assert ">B000000003</span>" in table


def test_a_sku_named_with_markup_is_shown_as_text(frames):
    html = inventory_performance(_report(frames, "S1")).html
    assert ATTACK not in html and "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_sku_list_is_bounded_and_says_how_many_there_are(frames):
    html = inventory_performance(_report(frames, "S1"), limit=1).html
    assert "most units first (the 1 with the most units of 2):" in html
    assert "MUG" in html and "alert(1)" not in html


def test_the_next_evaluation_and_checkpoint_are_dated_and_explained(frames):
    html = inventory_performance(_report(frames, "S1")).html
    # 30 June 2025 is a Monday: the next weekly evaluation is the Monday after
    assert "the next evaluation is on <b>7 Jul 2025</b> (Monday)" in html
    # July's checkpoint: the last Monday at least 14 days before 1 July
    assert "The limits for the month 1 Jul 2025 – 31 Jul 2025 are decided at its " in html
    assert "checkpoint on <b>16 Jun 2025</b>" in html
    assert "Nothing from earlier periods carries over" in html
    # June was decided on 12 May, when no SKU was 90 days old yet
    assert "checkpoint of 12 May 2025: IPI estimate (unofficial) no estimate" in html
    assert "no published threshold" in html


@pytest.mark.parametrize(
    ("component", "band", "words"),
    [
        pytest.param("in_stock_rate_30d", "excellent", "Excellent", id="in stock every day"),
        pytest.param("in_stock_rate_30d", "good", "Good", id="in stock 90 percent reads good"),
        pytest.param("in_stock_rate_30d", "fair", "Fair", id="in stock 70 percent reads fair"),
        pytest.param("sell_through_90d", "poor", "Poor", id="sell-through below 1 reads poor"),
        pytest.param("excess_pct", "info", "No band published", id="excess has no band"),
        pytest.param("in_stock_rate_30d", "not_used", "Not used in this marketplace", id="CA"),
        pytest.param("sell_through_90d", "no_data", "No data", id="nothing shipped or on hand"),
    ],
)
def test_each_band_reads_in_words(frames, component, band, words):
    report = _report(frames, "S1")
    report.tables["inventory"] = report.tables["inventory"].with_columns(
        pl.lit(band).alias(f"{component}_band")
    )
    html = inventory_performance(report).html
    name = INVENTORY_COMPONENT_NAMES[component]
    row = next(r for r in html.split("<tr>") if "<td" in r and name in r)
    assert f">{words}</span>" in row
    assert f">{band}<" not in html


def test_an_out_of_stock_sku_is_named_with_send_more_units():
    out = _sku("CABLE", "B000000009", 10, 0).with_columns(
        available=pl.when(pl.col("date") >= D - timedelta(days=2)).then(0).otherwise(10),
        on_hand=pl.when(pl.col("date") >= D - timedelta(days=2)).then(0).otherwise(10),
    )
    orders = pl.DataFrame(
        {
            "order_id": ["O1"],
            "seller_id": ["S1"],
            "channel": ["afn"],
            "purchased_at": ["2025-06-01"],
        }
    )
    frames = _frames(dataset_from_frames(orders=orders, inventory=out))
    html = inventory_performance(_report(frames, "S1")).html
    assert "No SKU holds excess or stranded units today." in html
    assert "Out of stock today and counted in the in-stock rate: CABLE." in html
    assert "<b>Send more units</b>" in html


def test_the_summary_carries_the_estimate_and_keeps_the_one_ranking(frames):
    summary = frames["summary"].sort("seller_id")
    assert summary.select("seller_id", "ipi_proxy").rows() == [("S1", 763), ("S2", None)]
    without = _frames(_dataset(with_inventory=False))["summary"]
    assert without["ipi_proxy"].to_list() == [None, None]
    ranking = ["seller_id", "rank", "attention"]
    assert frames["summary"].select(ranking).equals(without.select(ranking))


def test_the_index_shows_the_estimate_labelled_unofficial_and_nothing_without_inventory(frames):
    summary = frames["summary"]
    reports = [
        {"seller_id": s, "marketplace": "US", "label": s, "file": f"{s}.html", "status": "ok"}
        for s in summary["seller_id"]
    ]
    rows = index_table(summary, reports)
    assert rows.columns == INDEX_COLUMNS
    assert dict(rows.select("seller_id", "ipi_estimate_unofficial").rows()) == {
        "S1": 763,
        "S2": None,
    }
    run = {
        "run": "r",
        "as_of": D.isoformat(),
        "parameters": {"policy": {"name": "amazon_us"}},
        "counts": {"sellers": 2, "ok": 2, "failed": 0},
    }
    page = index_page(summary, reports, run=run)
    assert "<th>IPI estimate (unofficial)</th>" in page
    s1 = next(r for r in page.split("<tr>") if 'href="S1.html"' in r)
    s2 = next(r for r in page.split("<tr>") if 'href="S2.html"' in r)
    assert 'data-label="IPI estimate (unofficial)">763 <span' in s1
    assert "data-label=\"IPI estimate (unofficial)\"><span class='sh-note'>no FBA inventory" in s2


def test_on_the_last_day_of_the_calendar_the_next_evaluation_is_said_in_words():
    """Only the section's own tables: the batch's forecast stops a report on that day."""
    last = date(9999, 12, 31)
    days = [last - timedelta(days=n) for n in range(100, -1, -1)]
    inventory = pl.DataFrame(
        {"date": days, "seller_id": "S1", "sku": "K", "on_hand": 10, "available": 10, "shipped": 1}
    )
    data = dataset_from_frames(inventory=inventory)
    policy = load_policy()
    tables = {
        "summary": pl.DataFrame({"seller_id": ["S1"], "marketplace": ["US"]}),
        "inventory": toolkit.inventory_table(data, as_of=last, policy=policy).collect(),
        "inventory_skus": inventory_skus(data, as_of=last, policy=policy).collect(),
        "inventory_periods": toolkit.inventory_periods(data, as_of=last, policy=policy).collect(),
    }
    report = ReportContent(
        seller_id="S1", marketplace="US", as_of=last, policy=policy, tables=tables
    )
    html = inventory_performance(report).html
    assert "the next evaluation is after 31 Dec 9999, the last date this report can handle" in html
    assert "IPI estimate (unofficial): <b>" in html


def test_a_seller_whose_skus_are_all_new_has_inventory_but_no_estimate_yet():
    new = _sku("NEW", "B000000010", 10, 0).filter(pl.col("date") > D - timedelta(days=10))
    orders = pl.DataFrame(
        {
            "order_id": ["O1"],
            "seller_id": ["S1"],
            "channel": ["afn"],
            "purchased_at": ["2025-06-01"],
        }
    )
    frames = _frames(dataset_from_frames(orders=orders, inventory=new))
    assert frames["summary"].select("ipi_proxy", "fba_inventory").row(0) == (None, True)
    html = inventory_performance(_report(frames, "S1")).html
    assert "IPI estimate (unofficial): <b>no estimate</b> (no data)" in html
    assert "over 0 SKUs with 0 units on hand" in html
    reports = [{"seller_id": "S1", "marketplace": "US", "label": "S1", "file": "S1.html",
                "status": "ok"}]  # fmt: skip
    run = {"run": "r", "as_of": D.isoformat(), "parameters": {"policy": {"name": "p"}},
           "counts": {"sellers": 1, "ok": 1, "failed": 0}}  # fmt: skip
    page = index_page(frames["summary"], reports, run=run)
    assert "no estimate (no data)" in page and "no FBA inventory data" not in page
