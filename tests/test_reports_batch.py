"""The batch runner end to end: data/sample, failure isolation, interruption, the browser."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import nbformat
import polars as pl
import pytest

import toolkit.reports.runner
import toolkit.reports.slices
from tests.browser import ARTIFACTS, open_page
from tests.conftest import SAMPLE
from tests.reports_data import EMAIL, SCRIPT, write_tiny
from toolkit.cli import main
from toolkit.engine.actions import ACTION_COLUMNS
from toolkit.reports.runner import run_reports
from toolkit.reports.steps import page_sizes

E_MAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.]+")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    result = run_reports(data=SAMPLE, out=out, workers=2, progress=False)
    assert result.failed == []
    return result.directory


def test_interrupted_run_leaves_only_a_partial_directory(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(toolkit.reports.runner, "render", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_reports(
            data=write_tiny(tmp_path / "data"), out=tmp_path / "out", workers=1, progress=False
        )
    [run] = (tmp_path / "out").iterdir()
    assert run.name.endswith(".partial")
    assert not (run / "index.html").exists() and not (run / "run.json").exists()
    assert not (tmp_path / "out" / "latest").exists()


def test_unknown_seller_is_an_input_error(tmp_path, capsys):
    data = write_tiny(tmp_path / "data")
    code = main(["reports", "--data", str(data), "--out", str(tmp_path), "--sellers", "nobody"])
    assert code == 2
    assert "unknown seller ids: 'nobody'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [data]


@pytest.mark.slow
def test_one_broken_seller_does_not_stop_the_batch(tmp_path, monkeypatch, capsys):
    real = toolkit.reports.slices.write_results

    def corrupt_one(frames, directory, *, labels):
        written = real(frames, directory, labels=labels)
        (written["critical"] / "metrics.parquet").write_bytes(b"not a parquet file")
        return written

    monkeypatch.setattr(toolkit.reports.slices, "write_results", corrupt_one)
    data = write_tiny(tmp_path / "data")
    out = tmp_path / "out"
    code = main(["reports", "--data", str(data), "--out", str(out), "--workers", "2", "--quiet"])
    assert code == 1
    assert "FAILED critical:" in capsys.readouterr().err
    run = json.loads((out / "latest" / "run.json").read_text())
    status = {r["seller_id"]: (r["status"], r["file"]) for r in run["reports"]}
    assert status == {
        "acme/../bad": ("ok", "acme_bad-de3f174a.html"),
        "critical": ("failed", None),
        "low volume": ("ok", "low_volume-80cea0c0.html"),
        "ok": ("ok", "ok.html"),
    }
    [error] = [r["error"] for r in run["reports"] if r["status"] == "failed"]
    assert "parquet" in error.lower()
    assert run["counts"] == {"sellers": 4, "ok": 3, "failed": 1}
    index = (out / "latest" / "index.html").read_text()
    assert "Report failed" in index and "critical" in index
    pages = sorted(p.name for p in (out / "latest").glob("*.html"))
    assert pages == ["acme_bad-de3f174a.html", "index.html", "low_volume-80cea0c0.html", "ok.html"]
    low = (out / "latest" / "low_volume-80cea0c0.html").read_text()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in low  # escaped, quotes too
    assert SCRIPT not in low and EMAIL not in low
    assert [p.name for p in out.iterdir() if p.name.endswith(".partial")] == []


def _probe(tmp_path: Path, source: str) -> Path:
    """A report template of the parameters cell and one cell of ``source``."""
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(
        cells=[
            new_code_cell(
                'seller_id = ""\nmarketplace = ""\nresults = ""\npolicy = ""',
                metadata={"tags": ["parameters"]},
            ),
            new_code_cell(source),
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "probe.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.mark.slow
def test_a_kept_kernel_forgets_the_last_seller_and_a_dead_one_is_replaced(tmp_path):
    """One worker, four sellers rendered worst first (critical, acme/../bad, low volume,
    ok): the kernel is reused, reset between sellers, and replaced after the third
    seller's notebook kills it."""
    path = _probe(
        tmp_path,
        "import os\n"
        'assert "previous" not in globals(), previous\n'
        "previous = seller_id\n"
        'if seller_id == "low volume":\n'
        "    os._exit(1)\n"
        'print(f"kernel pid {os.getpid()}")\n'
        "import gc\n"
        'print(f"frozen {gc.get_freeze_count()}")',
    )
    result = run_reports(
        data=write_tiny(tmp_path / "data"),
        out=tmp_path / "out",
        workers=1,
        notebook=path,
        progress=False,
    )
    order = [r["seller_id"] for r in result.reports]
    assert order == ["critical", "acme/../bad", "low volume", "ok"]  # the order rendered
    status = {r["seller_id"]: r["status"] for r in result.reports}
    assert status == {"acme/../bad": "ok", "critical": "ok", "low volume": "failed", "ok": "ok"}
    [error] = [r["error"] for r in result.failed]
    assert "DeadKernelError" in error
    pids = {
        r["seller_id"]: re.search(r"kernel pid (\d+)", (result.directory / r["file"]).read_text())[
            1
        ]
        for r in result.reports
        if r["file"]
    }
    assert pids["critical"] == pids["acme/../bad"]  # kept
    assert pids["ok"] != pids["acme/../bad"]  # replaced after it died
    # Every kept kernel, the replacement too, was warmed up: imports done, then frozen
    # out of the garbage collector's sight (the reset before each report collects).
    frozen = {
        r["seller_id"]: int(
            re.search(r"frozen (\d+)", (result.directory / r["file"]).read_text())[1]
        )
        for r in result.reports
        if r["file"]
    }
    assert min(frozen.values()) > 50_000, frozen


@pytest.mark.slow
@pytest.mark.parametrize(
    "user", [None, "3"], ids=["cpus-shared-by-the-kernels", "user-setting-kept"]
)
def test_each_kernel_gets_its_share_of_the_cpus_for_polars(tmp_path, monkeypatch, user):
    """Two workers: each kernel's polars pool is the CPUs divided by the workers, unless
    the user set POLARS_MAX_THREADS (theirs is kept)."""
    import os

    if user is None:
        monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)
    else:
        monkeypatch.setenv("POLARS_MAX_THREADS", user)
    path = _probe(
        tmp_path,
        "import os, polars\n"
        "print(f\"threads {polars.thread_pool_size()} asked {os.environ['POLARS_MAX_THREADS']}\")",
    )
    result = run_reports(
        data=write_tiny(tmp_path / "data"),
        out=tmp_path / "out",
        workers=2,
        notebook=path,
        progress=False,
    )
    assert result.failed == []
    asked = {
        re.search(r"asked (\d+)", (result.directory / r["file"]).read_text())[1]
        for r in result.reports
    }
    cpus = len(os.sched_getaffinity(0))
    assert asked == {user or str(max(1, cpus // 2))}
    if user is None and cpus <= 3:  # polars never runs more threads than asked
        pages = [(result.directory / r["file"]).read_text() for r in result.reports]
        assert {re.search(r"threads (\d+)", page)[1] for page in pages} == {"1"}


@pytest.mark.slow
def test_the_notebook_runs_on_its_own_from_the_notebooks_folder(tmp_path):
    """Opened in JupyterLab (cwd notebooks/), the defaults find data/sample one level up."""
    import papermill

    from toolkit.model.resources import report_notebook

    NOTEBOOK = report_notebook()

    nb = papermill.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / "out.ipynb"),
        parameters={"seller_id": "S03-low-volume"},
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
        kernel_name="python3",
    )
    html = "".join(
        output.get("data", {}).get("text/html", "")
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )
    assert "S03-low-volume · US" in html
    assert "Wilson interval of your rate is 1.8% to 40.4%" in html
    assert "computed from" in html and "data/sample" in html
    # the panels carry their charts inline: the ODR per channel, its components and the
    # calendar of its one record, the AHR estimate, and the shipping metric with orders
    assert html.count("<svg") >= 5


@pytest.mark.slow
def test_sample_run_writes_every_report_index_and_run_json(sample_run, capsys):
    run = json.loads((sample_run / "run.json").read_text())
    assert run["state"] == "complete" and run["as_of"] == "2026-11-15"
    assert run["counts"] == {"sellers": 12, "ok": 12, "failed": 0}
    assert {"polars", "papermill", "nbclient", "python"} <= set(run["versions"])
    assert all(r["seconds"]["execute"] > 0 for r in run["reports"])
    pages = sorted(p.name for p in sample_run.glob("*.html"))
    assert len(pages) == 13 and "S02-claims-burst.html" in pages
    assert (sample_run.parent / "latest").resolve() == sample_run.resolve()
    index = (sample_run / "index.html").read_text()
    links = re.findall(r'href="([^"]+\.html)"', index)
    assert links[:2] == ["S02-claims-burst.html", "S06-violations.html"]  # worst first
    assert sorted(links) == sorted(p for p in pages if p != "index.html")
    # index.csv: one row per seller, in the page's order
    rows = pl.read_csv(sample_run / "index.csv")
    assert rows["report"].to_list() == links
    assert rows.filter(pl.col("seller_id") == "S06-violations").select(
        "status", "ahr_estimate", "ahr_band"
    ).row(0) == ("AHR at risk", 192, "At risk")
    # every page's size is in run.json; the run prints them
    sizes = {r["file"]: r["bytes"] for r in run["reports"]}
    assert sizes == {p: (sample_run / p).stat().st_size for p in links}
    print(page_sizes(run["reports"]))
    assert "page sizes: 12 pages" in capsys.readouterr().out


@pytest.mark.slow
def test_the_busiest_sellers_page_weighs_at_most_400_kb(sample_run):
    orders = pl.read_csv(SAMPLE / "orders.csv", columns=["seller_id"])
    busiest = orders.group_by("seller_id").len().sort("len", "seller_id").row(-1)[0]
    size = (sample_run / f"{busiest}.html").stat().st_size
    assert size <= 400 * 1024, f"{busiest}: {size / 1024:.0f} KB"
    largest = max(p.stat().st_size for p in sample_run.glob("*.html"))
    assert largest <= 400 * 1024


@pytest.mark.slow
def test_beside_each_page_its_actions_csv_and_a_calendar_file(sample_run):
    import icalendar

    for page in sample_run.glob("S*.html"):
        actions = pl.read_csv(sample_run / f"{page.stem}-actions.csv", infer_schema=False)
        assert actions.columns == ACTION_COLUMNS
        calendar = icalendar.Calendar.from_ical((sample_run / f"{page.stem}.ics").read_text())
        events = [c for c in calendar.walk() if c.name == "VEVENT"]
        deadlines = actions.filter(pl.col("deadline").is_not_null()).height
        assert len([e for e in events if "deadline" in str(e["SUMMARY"])]) == deadlines
        text = page.read_text()
        assert f'href="{page.stem}-actions.csv"' in text and f'href="{page.stem}.ics"' in text
    s02 = pl.read_csv(sample_run / "S02-claims-burst-actions.csv", infer_schema=False)
    assert s02.height > 0 and set(s02["seller_id"]) == {"S02-claims-burst"}


CODES = re.compile(
    r"bad_low_volume|no_data|at_risk|\bodr · |lsr_10d|lsr_30d|cancel_rate_7d|vtr_30d"
    r"|otdr_14d|idr_7d|negative_feedback|late_shipment|product_condition PV"
    r"|sell_through_90d|in_stock_rate_30d|excess_pct|stranded_pct|fix_listing"
    r"|create_removal_order|\breprice\b|not_used|ipi_proxy"
)


@pytest.mark.slow
def test_sample_reports_are_safe_and_written_for_the_seller(sample_run):
    for page in sample_run.glob("*.html"):
        text = page.read_text()
        assert "<script" not in text, page.name
        assert E_MAIL.findall(text) == [], page.name
        assert "load_report(" not in text and "seller_id = " not in text, page.name
        visible = re.sub(r"<[^>]*>", " ", text)  # the text a reader sees, tags left out
        assert CODES.findall(visible) == [], page.name
        assert re.findall(r"\b20\d\d-\d\d-\d\d\b", visible) == [], page.name
    s10 = (sample_run / "S10-disputes.html").read_text()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in s10  # escaped, quotes too
    s03 = (sample_run / "S03-low-volume.html").read_text()
    assert "Wilson interval of your rate is 1.8% to 40.4%" in s03
    assert "Over, could be chance" in s03 and "9.6% of the time (about 1 in 10)" in s03
    s02 = (sample_run / "S02-claims-burst.html").read_text()
    assert "back on target on <b>1 Dec 2026</b>" in s02
    # the sample's SP-API report files are reconciled automatically: S02 has some, S01 none
    assert "Comparison with Amazon" in s02 and "12 / 227" in s02 and "match" in s02
    assert "No Amazon report supplied" in (sample_run / "S01-steady.html").read_text()
    s06 = (sample_run / "S06-violations.html").read_text()
    assert "would bring the estimate to <b>200</b>" in s06


#: Pages checked in the browser: the index, the worst seller, the one whose only problem
#: is its late shipments, and the one with violations.
BROWSED = ["index", "S02-claims-burst", "S04-late-carrier", "S06-violations"]


@pytest.mark.slow
@pytest.mark.parametrize("width", [1400, 400], ids=["desktop 1400 px", "phone 400 px"])
def test_pages_draw_offline_and_fit_the_width_in_chromium(sample_run, width):
    for name in BROWSED:
        with open_page(sample_run / f"{name}.html", width=width, height=900) as page:
            if name == "index":
                assert page.count("a[href$='.html']") == 12
            else:
                page.wait_for(".sh-chart svg g.role-mark")
                assert page.count(".sh-chart svg") >= 4
                assert page.count("table.sh-table") >= 4  # three panels and freshness
                for panel in ("Customer Service Performance", "Policy Compliance"):
                    assert page.page.get_by_role("heading", name=panel).is_visible()
            assert page.wider_than_viewport() == [], f"{name} at {width} px"
            page.screenshot(f"{'reports-index' if name == 'index' else 'report-' + name}-{width}")
        assert page.blocked_requests == [], name
        assert page.console_errors == [] and page.page_errors == [] and page.dialogs == []


#: The FBA personas of the sample (they have inventory data) and one seller without any.
FBA = {
    "S05-fba": ("986", None),
    "S06-violations": ("808", "VLT-5521"),
    "S08-business-invoices": ("320", "NOTEBOOK-A5"),
    "S11-cancellations": ("960", None),
}


@pytest.mark.slow
def test_the_index_lists_the_ipi_estimate_of_the_fba_sellers_only(sample_run):
    rows = pl.read_csv(sample_run / "index.csv")
    estimates = dict(rows.select("seller_id", "ipi_estimate_unofficial").rows())
    assert {s: e for s, e in estimates.items() if e is not None} == {
        s: int(v) for s, (v, _) in FBA.items()
    }
    index = (sample_run / "index.html").read_text()
    assert "<th>IPI estimate (unofficial)</th>" in index


@pytest.mark.slow
@pytest.mark.parametrize("width", [1400, 400], ids=["desktop 1400 px", "phone 400 px"])
def test_fba_sellers_see_their_inventory_section_and_others_no_inventory_number(sample_run, width):
    heading = {"name": "Inventory performance", "exact": True}
    for name, (estimate, sku) in FBA.items():
        with open_page(sample_run / f"{name}.html", width=width, height=900) as page:
            section = page.page.get_by_role("heading", **heading)
            section.scroll_into_view_if_needed()
            assert section.is_visible(), name
            label = page.page.get_by_text(f"IPI estimate (unofficial): {estimate} of 1000")
            assert label.is_visible(), name
            component = page.page.get_by_text("FBA sell-through rate, 90 days", exact=True)
            assert component.is_visible(), name
            assert page.page.get_by_text("Amazon recomputes the IPI every week").is_visible()
            if sku:
                cell = page.page.locator("td[data-label='SKU']", has_text=sku)
                assert cell.is_visible(), name
                assert page.page.locator("td[data-label='What to do']").first.is_visible()
            assert page.wider_than_viewport() == [], f"{name} at {width} px"
            section.screenshot(path=str(ARTIFACTS / f"report-{name}-inventory-{width}.png"))
        assert page.blocked_requests == [] and page.page_errors == [], name
    with open_page(sample_run / "S01-steady.html", width=width, height=900) as page:
        assert page.page.get_by_role("heading", **heading).is_visible()
        assert page.page.get_by_text("No FBA inventory data for this seller").is_visible()
        body = page.text("body")
        assert "IPI estimate" not in body and "sell-through" not in body
        assert page.wider_than_viewport() == []


@pytest.mark.slow
def test_the_not_for_health_section_reads_on_a_phone(sample_run):
    """S10's section at 400 px: the heading, the product rating's label and its ASIN cards
    are on screen, inside the width, and no card's cells overlap."""
    with open_page(sample_run / "S10-disputes.html", width=400, height=900) as page:
        heading = page.page.get_by_role("heading", name="Not used by Amazon for account health")
        heading.scroll_into_view_if_needed()
        assert heading.is_visible()
        for name in (
            "Return dissatisfaction rate, 30 days (retired)",
            "Messages answered within 24 hours, 30 days (retired)",
            "Product rating, plain average (not Amazon's star rating)",
        ):
            assert page.page.get_by_role("heading", name=name).is_visible()
        label = page.page.get_by_text("a plain average, not Amazon's star rating (35 verified")
        assert label.is_visible()
        table = page.page.locator("table.sh-table", has_text="B0000461XK")
        table.scroll_into_view_if_needed()
        cells = table.locator("td")
        assert cells.count() == 5 * 4
        boxes = [cells.nth(i).bounding_box() for i in range(cells.count())]
        assert all(b["x"] >= 0 and b["x"] + b["width"] <= 400 + 1 for b in boxes)
        # stacked one card per ASIN: each cell below the one before it, none overlapping
        assert all(b["y"] >= a["y"] + a["height"] - 1 for a, b in itertools.pairwise(boxes))
        assert cells.nth(0).inner_text() == "B0000461XK" and cells.nth(0).is_visible()
        assert cells.nth(3).inner_text() == "9.1% (1)" and cells.nth(3).is_visible()
        page.screenshot("report-S10-disputes-not-for-health-400", full_page=False)
        assert page.wider_than_viewport() == []
    assert page.blocked_requests == [] and page.console_errors == []
