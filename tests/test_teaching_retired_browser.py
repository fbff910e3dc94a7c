"""The exported teaching notebook 7 in headless Chromium, on a phone: offline, readable.

``export_teaching_html`` (what ``make teaching-html`` runs) writes the page of
``07_not_used_for_account_health.ipynb``; Chromium opens it 400 pixels wide with every
network request aborted. The retired metric's history chart draws, the product rating per
ASIN and the report's own section are on screen with S10-disputes' numbers, and no text
or table reaches past the right edge (the interactive chart keeps its width: the teaching
pages do not scale their Vega charts down).
Screenshot: ``tests/artifacts/teaching-07-400.png``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser import open_page, require_chromium
from tests.conftest import ROOT, SAMPLE
from toolkit.reports.notebooks import export_teaching_html

NAME = "07_not_used_for_account_health"
#: Elements inside a drawn chart (as ``wider_than_viewport`` names them).
_SVG_PARTS = ("svg.", "g.", "path.", "text.", "line.", "rect.", "circle.", "symbol.")


@pytest.fixture(scope="module")
def page_path(tmp_path_factory) -> Path:
    require_chromium()
    root = tmp_path_factory.mktemp("notebooks")
    (root / "teaching").mkdir()
    shutil.copy(ROOT / "notebooks" / "teaching" / f"{NAME}.ipynb", root / "teaching")
    out = tmp_path_factory.mktemp("pages")
    written, failed = export_teaching_html(out, root=root, parameters={"data": str(SAMPLE)})
    assert failed == {}
    assert [p.name for p in written] == [f"{NAME}.html", "index.html"]
    return out / f"{NAME}.html"


@pytest.mark.slow
def test_teaching_page_7_reads_on_a_phone_offline(page_path):
    with open_page(page_path, width=400, height=900) as page:
        page.wait_for(".sh-vega-chart svg g.role-mark")
        assert page.count(".sh-vega-chart svg") == 1
        rating = page.page.get_by_role(
            "heading", name="The product rating: a plain average, not Amazon's star rating"
        )
        rating.scroll_into_view_if_needed()
        assert rating.is_visible()
        # the notebook's per-ASIN table and the report's, both with S10's busiest ASIN
        asin = page.page.get_by_text("B0000461XK", exact=True)
        assert asin.count() == 2
        for i in range(2):
            asin.nth(i).scroll_into_view_if_needed()
            assert asin.nth(i).is_visible()
        section = page.page.get_by_text("Today: 4.37 of 5 stars")
        section.scroll_into_view_if_needed()
        assert section.is_visible()
        assert page.page.get_by_role("heading", name="Why they no longer count").is_visible()
        # the text and the tables fit; the interactive chart keeps its drawn width (its
        # inner SVG elements reach past the edge) but the page does not scroll sideways
        wide = page.wider_than_viewport()
        assert [w for w in wide if not w.startswith(_SVG_PARTS)] == []
        page.screenshot("teaching-07-400")
    assert page.blocked_requests == [] and page.console_errors == [] and page.page_errors == []
