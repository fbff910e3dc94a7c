"""The headless-browser check: exported notebooks open offline in Chromium and draw.

Each test executes a small notebook with papermill, exports it with
``toolkit.charts.html.notebook_to_html`` and opens the page in Debian's Chromium with every
network request aborted (``tests/browser.py``). Screenshots land in ``tests/artifacts/``.
Without Chromium these tests fail when ``CI`` is set and are skipped otherwise (the first
two tests check that rule without a browser).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import tests.browser
from tests.browser import open_page, require_chromium
from toolkit.charts.html import notebook_to_html

ATTACK = "<script>alert(1)</script>"

REPORT_CELLS = [
    new_code_cell('seller = "S1"', metadata={"tags": ["parameters"]}),
    new_markdown_cell("# Seller report"),
    new_code_cell(
        "from datetime import date, timedelta\n"
        "import polars as pl\n"
        "from IPython.display import Markdown\n"
        "from toolkit import charts\nfrom toolkit.charts import html\n"
        "html.enable_offline_svg();"
    ),
    new_code_cell(
        "days = [date(2025, 3, 1) + timedelta(days=i) for i in range(10)]\n"
        "numerators = [3, 3, 3, 2, 2, 2, 2, 1, 1, 1]\n"
        "metrics = pl.DataFrame({\n"
        '    "as_of": days, "metric": ["odr"] * 10, "channel": ["mfn"] * 10,\n'
        '    "numerator": numerators, "denominator": [200 + i for i in range(10)],\n'
        '    "target": [0.01] * 10, "condition": ["<"] * 10,\n'
        '}).with_columns(rate=pl.col("numerator") / pl.col("denominator")).with_columns(\n'
        '    status=pl.when(pl.col("rate") >= 0.01).then(pl.lit("bad_low_volume"))\n'
        '    .when(pl.col("rate") >= 0.008).then(pl.lit("watch")).otherwise(pl.lit("good")))\n'
        'charts.metric_history(metrics, title=f"ODR of seller {seller}")'
    ),
    new_code_cell(f'pl.DataFrame({{"comment": ["{ATTACK}"]}})'),
    new_code_cell(f'Markdown("Buyer wrote: {ATTACK}")'),
]

TEACHING_CELLS = [
    new_markdown_cell("# How the window moves"),
    new_code_cell(
        "from toolkit import charts\nfrom toolkit.charts import html\nhtml.enable_offline_interactive()"
    ),
    new_code_cell(
        "from datetime import date, timedelta\n"
        "import polars as pl\n"
        "W, L = 10, 3\n"
        "orders = pl.DataFrame({\n"
        '    "order_id": [f"O{i:02d}" for i in range(15)],\n'
        '    "attribution_date": [date(2025, 3, 1) + timedelta(days=2 * i) for i in range(15)],\n'
        '}).with_columns(record_type=pl.lit("order"),\n'
        '    counts_from=pl.col("attribution_date") + pl.duration(days=L),\n'
        '    clears_on=pl.col("attribution_date") + pl.duration(days=L + W))\n'
        'defects = orders.filter(pl.col("order_id").is_in(["O02", "O05", "O09"])).with_columns(\n'
        '    record_type=pl.lit("negative_feedback"),\n'
        '    counts_from=pl.col("counts_from") + pl.duration(days=1),\n'
        '    clears_on=pl.when(pl.col("order_id") == "O05")\n'
        '    .then(pl.col("counts_from") + pl.duration(days=4)).otherwise(pl.col("clears_on")))\n'
        "records = pl.concat([orders, defects])"
    ),
    new_code_cell(
        "charts.window_explorer(records, window_days=W, lag_days=L, value=date(2025, 3, 20))"
    ),
    new_markdown_cell("Altair's own HTML renderer also uses the inlined library:"),
    new_code_cell(
        "import altair as alt\n"
        'alt.renderers.enable("html", embed_options={"renderer": "svg"})\n'
        'alt.Chart(pl.DataFrame({"x": [1, 2, 3], "y": [1, 3, 2]})).mark_line().encode(x="x", y="y")'
    ),
]

IN_WINDOW = "#0072B2"  # STATE_COLORS["order in window"]


def executed(cells: list, tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    import papermill

    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    source = tmp_path / "source.ipynb"
    nbformat.write(notebook, source)
    return papermill.execute_notebook(
        str(source),
        str(tmp_path / "executed.ipynb"),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
    )


def assert_offline_and_clean(page) -> None:
    assert page.blocked_requests == [], "the page tried to reach the network"
    assert page.console_errors == []
    assert page.page_errors == []
    assert page.dialogs == [], "a script from the data ran"


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_chromium_fails_under_ci(monkeypatch, ci):
    monkeypatch.setattr(tests.browser, "chromium_path", lambda: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="chromium is not installed"):
        require_chromium()


@pytest.mark.parametrize("ci", [None, "false"])
def test_missing_chromium_skips_outside_ci(monkeypatch, ci):
    monkeypatch.setattr(tests.browser, "chromium_path", lambda: None)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        require_chromium()


@pytest.mark.slow
def test_report_notebook_opens_offline_and_draws_its_svg_chart(chromium, tmp_path):
    notebook = executed(REPORT_CELLS, tmp_path, seller="S2")
    path = tmp_path / "report.html"
    path.write_text(notebook_to_html(notebook, title="Seller S2"), encoding="utf-8")
    with open_page(path) as page:
        page.wait_for(".jp-RenderedSVG svg g.role-mark")
        assert page.count(".jp-RenderedSVG svg") == 1
        # one piece of line per run of days with one status: could be chance, watch, good
        assert page.svg_mark_count(".jp-RenderedSVG svg g.rate_marks > path") == 3
        assert page.svg_mark_count(".jp-RenderedSVG svg g.last_marks > path") == 1
        legend = page.text(".jp-RenderedSVG svg g.role-legend")
        assert "Over, could be chance" in legend and "Watch" in legend and "Good" in legend
        assert "ODR of seller S2" in page.text(".jp-RenderedSVG svg")
        assert "target < 1.0%" in page.text(".jp-RenderedSVG svg")
        body = page.text("body")
        assert "Error loading script" not in body
        assert body.count(ATTACK) == 2  # shown as text by the table and the markdown
        assert page.count("script") == 0
        page.screenshot("report-svg")
    assert_offline_and_clean(page)


@pytest.mark.slow
def test_the_check_sees_the_cdn_scripts_of_the_stock_template(chromium, tmp_path):
    """The same notebook through nbconvert's stock lab template asks a CDN for scripts."""
    from nbconvert import HTMLExporter

    notebook = executed(REPORT_CELLS[:2], tmp_path)
    path = tmp_path / "stock.html"
    path.write_text(HTMLExporter(template_name="lab").from_notebook_node(notebook)[0])
    with open_page(path) as page:
        pass
    assert any("require" in url for url in page.blocked_requests), page.blocked_requests
    assert all(url.startswith("http") for url in page.blocked_requests)


@pytest.mark.slow
def test_window_explorer_slider_redraws_offline(chromium, tmp_path):
    notebook = executed(TEACHING_CELLS, tmp_path)
    path = tmp_path / "teaching.html"
    path.write_text(notebook_to_html(notebook, title="Window explorer"), encoding="utf-8")
    orders = ".sh-vega-chart svg g.orders_marks > path"
    defects = ".sh-vega-chart svg g.defects_marks > path"
    headline = ".sh-vega-chart svg g.headline_marks text"
    with open_page(path) as page:
        page.wait_for(headline)
        page.wait_for("div[id^=altair-viz] svg g.role-mark")  # altair's own renderer
        assert page.text(headline) == (
            "As of 20 Mar 2025: 5 orders in the window, 0 defects counting, 2 dropped out"
        )
        assert page.fills(orders).count(IN_WINDOW) == 5
        before = page.svg_markup(".sh-vega-chart svg")
        page.screenshot("window-explorer-day-19")

        assert page.set_slider(4) == "4"
        assert page.text(headline) == (
            "As of 5 Mar 2025: 1 order in the window, 0 defects counting, 0 dropped out"
        )
        assert page.fills(orders).count(IN_WINDOW) == 1

        assert page.set_slider(30) == "30"
        assert page.text(headline) == (
            "As of 31 Mar 2025: 5 orders in the window, 1 defect counting, 2 dropped out"
        )
        assert page.svg_markup(".sh-vega-chart svg") != before
        strokes = page.page.eval_on_selector_all(
            defects, "nodes => nodes.map(n => n.getAttribute('stroke'))"
        )
        assert sorted(strokes) == ["#3D3D3D", "#3D3D3D", "#D55E00"]
        page.screenshot("window-explorer-day-30")
    assert_offline_and_clean(page)
