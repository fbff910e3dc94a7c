"""Report results, file names and the HTML pieces (fast: no notebook, no browser)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.reports_data import AS_OF, EMAIL, write_tiny
from toolkit.model.data import dataset_from_frames, read_data
from toolkit.model.policy import load_policy
from toolkit.reports.index import INDEX_COLUMNS, index_page, index_table
from toolkit.reports.names import file_names, safe_name
from toolkit.reports.results import (
    data_freshness,
    last_data_date,
    report_labels,
    report_tables,
)
from toolkit.reports.slices import write_results
from toolkit.reports.view import load_report

SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write_tiny(tmp_path_factory.mktemp("tiny") / "data")


@pytest.fixture(scope="module")
def frames(tiny) -> dict[str, pl.DataFrame]:
    tables = report_tables(read_data(tiny).collect(), as_of=AS_OF, policy=load_policy())
    return dict(zip(tables, pl.collect_all(list(tables.values())), strict=True))


# ------------------------------------------------------------------------ the notebook


def test_report_notebook_has_literal_parameters_and_no_definitions():
    import ast

    import nbformat
    import papermill

    from toolkit.model.resources import report_notebook

    NOTEBOOK = report_notebook()

    names = {p["name"] for p in papermill.inspect_notebook(str(NOTEBOOK)).values()}
    assert names == {
        "seller_id",
        "marketplace",
        "as_of",
        "results",
        "data",
        "policy",
        "reconciliation",
    }
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    [parameters] = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    for statement in ast.parse(parameters.source).body:
        assert isinstance(statement, ast.Assign), ast.dump(statement)
        assert isinstance(statement.value, ast.Constant), ast.dump(statement)
    for cell in cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            defined = [
                n
                for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
            ]
            assert defined == [], cell.source
            assert cell.outputs == [] and cell.execution_count is None  # stripped


# ------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("seller_id", "expected"),
    [
        pytest.param("S01-steady", "S01-steady", id="a safe id is kept as it is"),
        pytest.param("../etc/passwd", "etc_passwd-7fef78f5", id="dot-dot and slashes go"),
        pytest.param("acme/../bad", "acme_bad-de3f174a", id="a path inside the id goes"),
        pytest.param("low volume", "low_volume-80cea0c0", id="spaces become one underscore"),
        pytest.param("..", "seller-5ec1f7e7", id="only dots gives a placeholder"),
        pytest.param("", "seller-e3b0c442", id="an empty id gives a placeholder"),
        pytest.param(".hidden", "hidden-16924190", id="no leading dot"),
        pytest.param("CON", "CON-a3dbc4b6", id="a name Windows reserves is changed"),
    ],
)
def test_safe_name(seller_id, expected):
    assert safe_name(seller_id) == expected
    assert SAFE.match(safe_name(seller_id))


def test_file_names_are_unique_even_when_letter_case_is_ignored():
    ids = ["a/b", "a_b", "a b", "A_B", "S1", "s1", "..", ".", "x" * 300]
    names = file_names(ids)
    assert set(names) == set(ids)
    assert len({n.lower() for n in names.values()}) == len(ids)
    assert all(SAFE.match(n) and len(n) <= 90 for n in names.values())
    assert names["a_b"] == "a_b-648fa9b3"  # clashes with A_B once case is ignored


def test_a_seller_in_two_marketplaces_gets_one_report_per_marketplace():
    summary = pl.DataFrame({"seller_id": ["S1", "S1", "S2"], "marketplace": ["US", "CA", "US"]})
    labels = report_labels(summary).sort("label")
    assert labels["label"].to_list() == ["S1 CA", "S1 US", "S2"]
    assert labels["name"].to_list() == ["S1_CA-21f25877", "S1_US-c117507e", "S2"]


# ------------------------------------------------------------------------ the results


def test_last_data_date_ignores_promises_in_the_future():
    orders = pl.DataFrame(
        {
            "order_id": ["A", "B"],
            "seller_id": ["S1", "S1"],
            "channel": ["mfn", "mfn"],
            "purchased_at": ["2025-03-01T10:00:00Z", "2025-03-03T23:59:00Z"],
            "latest_ship_at": ["2025-03-09T23:59:59Z", "2025-03-10T23:59:59Z"],
        }
    )
    feedback = pl.DataFrame(
        {"feedback_id": ["F"], "order_id": ["A"], "rating": [5], "left_at": ["2025-03-02"]}
    )
    data = dataset_from_frames(orders=orders, feedback=feedback)
    assert last_data_date(data) == date(2025, 3, 3)


@pytest.mark.parametrize(
    ("left_at", "as_of", "expected"),
    [
        pytest.param("2025-03-03T23:50:00Z", date(2025, 3, 3), None, id="visible tomorrow"),
        pytest.param(
            "2025-03-03T23:50:00Z",
            date(2025, 3, 4),
            datetime(2025, 3, 3, 23, 50, tzinfo=UTC),
            id="known the next day",
        ),
        pytest.param(
            "2025-03-03T23:30:00Z",
            date(2025, 3, 3),
            datetime(2025, 3, 3, 23, 30, tzinfo=UTC),
            id="on a refresh boundary",
        ),
    ],
)
def test_freshness_knows_only_what_is_visible_by_the_end_of_the_day(left_at, as_of, expected):
    orders = pl.DataFrame(
        {
            "order_id": ["A"],
            "seller_id": ["S1"],
            "channel": ["mfn"],
            "purchased_at": ["2025-03-01T10:00:00Z"],
        }
    )
    feedback = pl.DataFrame(
        {"feedback_id": ["F"], "order_id": ["A"], "rating": [1], "left_at": [left_at]}
    )
    data = dataset_from_frames(orders=orders, feedback=feedback)
    fresh = data_freshness(data, as_of=as_of, policy=load_policy()).collect()
    row = fresh.filter(pl.col("source") == "feedback").row(0, named=True)
    assert row["last_event_at"] == expected
    assert row["cadence_minutes"] == 30


def test_summary_puts_the_sellers_that_need_attention_first(frames):
    summary = frames["summary"].select(
        "seller_id", "status", "worst_numerator", "ahr_estimate", "band", "attention"
    )
    expected = pl.DataFrame(
        {
            "seller_id": ["critical", "acme/../bad", "low volume", "ok"],
            "status": ["good", "bad", "bad_low_volume", "good"],
            "worst_numerator": [0, 2, 1, 0],
            "ahr_estimate": [0, 200, 200, 200],
            "band": ["critical", "healthy", "healthy", "healthy"],
            "attention": ["critical", "bad", "bad_low_volume", "good"],
        }
    )
    assert_frame_equal(summary, expected)
    dates = frames["summary"].select("seller_id", "recovery_date", "next_clearance")
    assert dates.rows() == [
        ("critical", None, date(2025, 12, 17)),
        ("acme/../bad", date(2025, 7, 16), date(2025, 7, 15)),
        ("low volume", date(2025, 7, 17), date(2025, 7, 17)),
        ("ok", None, None),
    ]


def test_no_column_outside_the_spec_reaches_the_results(frames):
    for name, frame in frames.items():
        assert "rater_email" not in frame.columns, name
        text = frame.select(pl.col(pl.String)).write_csv()
        assert EMAIL not in text, name


def test_results_written_once_load_back_equal_to_a_fresh_computation(tiny, frames, tmp_path):
    labels = report_labels(frames["summary"])
    written = write_results(frames, tmp_path, labels=labels)
    assert sorted(p.name for p in written.values()) == [
        "acme_bad-de3f174a",
        "critical",
        "low_volume-80cea0c0",
        "ok",
    ]
    assert sorted(p.name for p in (tmp_path / "ok").iterdir())[:4] == [
        "actions.parquet",
        "ahr.parquet",
        "clearance.parquet",
        "forecast.parquet",
    ]
    stored = load_report("low volume", results=tmp_path / "low_volume-80cea0c0")
    fresh = load_report("low volume", data=tiny, as_of="2025-06-30")
    assert stored.as_of == fresh.as_of == AS_OF
    for table in ("metrics", "forecast", "clearance", "actions", "ahr", "violations", "freshness"):
        assert_frame_equal(stored.tables[table], fresh.tables[table], check_row_order=False)
    with pytest.raises(ValueError, match="not 2025-07-01"):
        load_report("low volume", results=tmp_path / "low_volume-80cea0c0", as_of="2025-07-01")
    with pytest.raises(ValueError, match="no results for seller 'ok'"):
        load_report("ok", results=tmp_path / "critical")


# ------------------------------------------------------------------- the HTML pieces


def test_a_comment_with_markup_is_shown_as_text(tiny):
    report = load_report("low volume", data=tiny, as_of="2025-06-30")
    html = report.customer_service()._repr_html_()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script" not in html
    low = report.low_volume()._repr_html_()
    assert "Wilson interval of your rate is 1.8% to 40.4%" in low
    assert "9.6% of the time" in low


def test_sections_say_what_applies_to_the_seller(tiny):
    report = load_report("critical", data=tiny, as_of="2025-06-30")
    assert "None of your metrics is in this situation today" in report.low_volume().html
    assert "No record of your Order Defect Rate is in a window today" in (
        report.customer_service().html
    )
    assert "V1" in report.policy_compliance().html
    assert "No Amazon report supplied" in report.reconciliation_table().html
    headline = report.headline().html
    assert "Account Health Rating estimate 0</b>" in headline and "Critical" in headline
    assert "estimate: 0</b>" in report.policy_compliance().html


def test_a_supplied_reconciliation_shows_the_sellers_rows_as_text(tiny, tmp_path):
    table = pl.DataFrame(
        {
            "seller_id": ["ok", "ok", "critical"],
            "metric": ["odr", "lsr_30d", "odr"],
            "amazon_rate": [0.0, 0.05, 0.02],
            "note": ["<b>match</b>", "differs", "other seller"],
        }
    )
    table.write_csv(tmp_path / "reconciliation.csv")
    report = load_report(
        "ok", data=tiny, as_of="2025-06-30", reconciliation=tmp_path / "reconciliation.csv"
    )
    html = report.reconciliation_table().html
    assert "&lt;b&gt;match&lt;/b&gt;" in html and "differs" in html
    assert "other seller" not in html and "No Amazon report supplied" not in html
    assert "<th>amazon_rate</th>" in html


def test_index_lists_failures_first_with_their_error_escaped(frames):
    reports = [
        {
            "seller_id": s,
            "marketplace": "US",
            "label": s,
            "file": f"{safe_name(s)}.html",
            "status": "ok",
            "error": None,
        }
        for s in ["acme/../bad", "critical", "ok"]
    ] + [
        {
            "seller_id": "low volume",
            "marketplace": "US",
            "label": "low volume",
            "file": None,
            "status": "failed",
            "error": "ValueError: <b>bad</b> parquet",
        }
    ]
    run = {
        "run": "2025-06-30_x",
        "as_of": "2025-06-30",
        "parameters": {"policy": {"name": "amazon-us"}},
        "counts": {"sellers": 4, "ok": 3, "failed": 1},
    }
    page = index_page(frames["summary"], reports, run=run)
    assert "ValueError: &lt;b&gt;bad&lt;/b&gt; parquet" in page
    order = [page.index(s) for s in [">low volume<", ">critical<", ">acme/../bad<", ">ok<"]]
    assert order == sorted(order)
    # index.csv: the same rows in the same order, the failure first with its error
    rows = index_table(frames["summary"], reports)
    assert rows.select("seller_id", "report", "status", "report_error").rows() == [
        ("low volume", None, "Over, could be chance", "ValueError: <b>bad</b> parquet"),
        ("critical", "critical.html", "AHR critical", None),
        ("acme/../bad", "acme_bad-de3f174a.html", "Over the limit", None),
        ("ok", "ok.html", "Good", None),
    ]
    assert rows.columns == INDEX_COLUMNS
    assert "<td></td>" not in page  # no always-empty column
    assert 'href="acme_bad-de3f174a.html"' in page
    assert "<script" not in page and "http" not in page


def test_reports_reconcile_the_sample_report_files_and_skip_when_there_are_none(tmp_path):
    from datetime import date

    from toolkit.model.data import read_data
    from toolkit.model.policy import load_policy
    from toolkit.reports.steps import reconcile_reports

    data = read_data("data/sample").collect()
    policy = load_policy()
    table = reconcile_reports("data/sample", data, as_of=date(2026, 11, 15), policy=policy)
    assert sorted(table["seller_id"].unique()) == [
        "S02-claims-burst",
        "S06-violations",
        "S10-disputes",
    ]
    assert set(table["Result"]) == {"match"}
    assert set(table["Amazon report of"]) == {"2 Nov 2026"}  # each seller's latest snapshot
    odr = table.filter(
        table["Metric"] == "Order Defect Rate (shipped by you)",
        table["seller_id"] == "S02-claims-burst",
    )
    assert odr.select("Amazon", "Recomputed here").row(0) == ("12 / 227", "12 / 227")
    earlier = reconcile_reports("data/sample", data, as_of=date(2026, 10, 28), policy=policy)
    assert set(earlier["Amazon report of"]) == {"28 Oct 2026"}
    assert reconcile_reports(tmp_path, data, as_of=date(2026, 11, 15), policy=policy) is None
