"""The exported teaching notebooks 2 and 6 in headless Chromium: offline, sliders work.

``export_teaching_html`` (what ``make teaching-html`` runs) writes the page of
``02_rolling_windows.ipynb``; Chromium opens it with every network request aborted
(``tests/browser.py``). The first window explorer (S03-low-volume, all its orders) must
draw, agree with the metrics table on 15 November 2026, and redraw when the slider moves.
Screenshots: ``tests/artifacts/teaching-02-*.png``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser import ARTIFACTS, open_page, require_chromium
from tests.conftest import ROOT, SAMPLE
from toolkit.reports.notebooks import export_teaching_html

IN_WINDOW = "#0072B2"  # charts STATE_COLORS["order in window"]
CHART = ".sh-vega-chart"


@pytest.fixture(scope="module")
def page_path(tmp_path_factory) -> Path:
    require_chromium()
    root = tmp_path_factory.mktemp("notebooks")
    (root / "teaching").mkdir()
    shutil.copy(ROOT / "notebooks" / "teaching" / "02_rolling_windows.ipynb", root / "teaching")
    out = tmp_path_factory.mktemp("pages")
    written, failed = export_teaching_html(out, root=root, parameters={"data": str(SAMPLE)})
    assert failed == {}
    assert [p.name for p in written] == ["02_rolling_windows.html", "index.html"]
    return out / "02_rolling_windows.html"


def chart(n: int, part: str) -> str:
    return f"{CHART} >> nth={n} >> css=svg g.{part}"


def chart_screenshot(page, name: str) -> None:
    """The whole page, and the first chart alone (legible), in tests/artifacts/."""
    page.screenshot(name)
    page.page.locator(CHART).first.screenshot(path=str(ARTIFACTS / f"{name}-chart.png"))


@pytest.mark.slow
def test_teaching_page_window_explorer_responds_to_the_slider_offline(page_path):
    headline = chart(0, "headline_marks text")
    orders = chart(0, "orders_marks > path")
    defects = chart(0, "defects_marks > path")
    with open_page(page_path, width=1200, height=1000) as page:
        page.wait_for(f"{CHART} svg g.headline_marks text")
        assert page.count(f"{CHART} svg") == 4  # two explorers, two histories
        assert page.count("input[type=range]") == 2
        assert "Error loading script" not in page.text("body")
        assert page.text(headline) == (
            "As of 15 Nov 2026: 10 orders in the window, 1 defect counting, 0 dropped out"
        )
        assert page.fills(orders).count(IN_WINDOW) == 10
        # the notebook's own text shows, and the slider says no day number (the chart
        # says the date)
        assert page.page.get_by_role("heading", name="Why a lag?").is_visible()
        assert page.page.locator(".vega-bind input[type=range] + span").first.is_hidden()
        before = page.svg_markup(f"{CHART} >> nth=0")
        chart_screenshot(page, "teaching-02-as-of-2026-11-15")

        # the slider counts days after the first purchase date, 2025-10-17
        assert page.set_slider(393) == "393"
        assert page.text(headline) == (
            "As of 14 Nov 2026: 10 orders in the window, 0 defects counting, 0 dropped out"
        )

        assert page.set_slider(408) == "408"
        assert page.text(headline) == (
            "As of 29 Nov 2026: 9 orders in the window, 0 defects counting, 1 dropped out"
        )
        assert page.fills(orders).count(IN_WINDOW) == 9
        strokes = page.page.eval_on_selector_all(
            defects, "nodes => nodes.map(n => n.getAttribute('stroke'))"
        )
        assert strokes == ["#3D3D3D"]  # the defect has dropped out
        assert page.svg_markup(f"{CHART} >> nth=0") != before
        chart_screenshot(page, "teaching-02-as-of-2026-11-29")
    assert page.blocked_requests == [], "the page tried to reach the network"
    assert page.console_errors == []
    assert page.page_errors == []
    assert page.dialogs == []


@pytest.fixture(scope="module")
def inventory_page(tmp_path_factory) -> Path:
    require_chromium()
    root = tmp_path_factory.mktemp("notebooks")
    (root / "teaching").mkdir()
    shutil.copy(
        ROOT / "notebooks" / "teaching" / "06_inventory_performance.ipynb", root / "teaching"
    )
    out = tmp_path_factory.mktemp("pages")
    written, failed = export_teaching_html(out, root=root, parameters={"data": str(SAMPLE)})
    assert failed == {}
    assert [p.name for p in written] == ["06_inventory_performance.html", "index.html"]
    return out / "06_inventory_performance.html"


@pytest.mark.slow
def test_inventory_page_ipi_explorer_says_the_date_in_words_as_the_slider_moves(inventory_page):
    """S06-violations: 808 on 15 November 2026; on 15 June, its listing closed, 34.8 %
    of its units were stranded and the estimate (842) decided July's limits."""
    headline = f"{CHART} >> nth=0 >> css=svg g.headline_marks text"
    with open_page(inventory_page, width=1200, height=1000) as page:
        page.wait_for(f"{CHART} svg g.headline_marks text")
        assert page.count("input[type=range]") == 1
        assert "Error loading script" not in page.text("body")
        assert page.text(headline) == (
            "As of 15 Nov 2026: IPI estimate (unofficial) 808 · sell-through 2.88 · "
            "excess 0.0% · stranded 40.2% · in stock 81.4%"
        )
        assert page.page.get_by_role("heading", name="Slide the as-of date").is_visible()
        assert page.page.locator(".vega-bind input[type=range] + span").first.is_hidden()
        before = page.svg_markup(f"{CHART} >> nth=0")
        page.screenshot("teaching-06-as-of-2026-11-15")
        # the slider counts days after 20 March 2026 (240 days before the as-of date)
        assert page.set_slider(87) == "87"
        assert page.text(headline) == (
            "As of 15 Jun 2026: IPI estimate (unofficial) 842 · sell-through 3.23 · "
            "excess 0.0% · stranded 34.8% · in stock 94.7%"
        )
        assert page.svg_markup(f"{CHART} >> nth=0") != before
        page.screenshot("teaching-06-as-of-2026-06-15")
    assert page.blocked_requests == [], "the page tried to reach the network"
    assert page.console_errors == [] and page.page_errors == [] and page.dialogs == []
