"""The report's cheaper chart path: no schema check per chart, altair's tables kept, one exporter.

The batch skips altair's per-chart schema checks (``inline_chart(validate=False)``,
``light_altair``): these tests make sure every chart a report draws is still valid
Vega-Lite, that the lighter altair builds the same specs, and that the page exporter
made once gives the same pages as a new one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import altair as alt
import nbformat
import polars as pl
import pytest
from altair.utils import schemapi
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from toolkit.charts import html
from toolkit.model.resources import report_notebook
from toolkit.reports import account, sections
from toolkit.reports.view import load_report


def _sections() -> list[str]:
    """The ``report.<section>()`` calls of the report template, in order."""
    nb = nbformat.read(report_notebook(), as_version=4)
    calls = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            calls += re.findall(r"^report\.(\w+)\(\)\s*$", cell.source, flags=re.MULTILINE)
    return calls


#: The report template's sections, in order (each may draw charts).
SECTIONS = _sections()


@pytest.mark.parametrize("seller", ["S02-claims-burst", "S03-low-volume", "S10-disputes"])
def test_every_chart_of_a_report_is_valid_vega_lite(seller, monkeypatch):
    checked: list[dict] = []

    def checking(chart, *, validate=False):
        with schemapi.debug_mode(True):
            checked.append(chart.to_dict(validate=True))  # raises on an invalid spec
        return html.inline_chart(chart, validate=validate)

    monkeypatch.setattr(sections, "inline_chart", checking)
    monkeypatch.setattr(account, "inline_chart", checking)
    with schemapi.debug_mode(True):  # every chart part is checked as it is created too
        report = load_report(seller)
        for name in SECTIONS:
            getattr(report, name)()
    assert "shipping" in SECTIONS and "headline" in SECTIONS, SECTIONS
    assert len(checked) >= 5, checked
    assert all(spec["$schema"].startswith("https://vega.github.io/schema/") for spec in checked)


def test_inline_chart_draws_the_same_svg_with_and_without_the_check():
    frame = pl.DataFrame({"day": ["2026-01-01", "2026-01-02"], "rate": [0.01, 0.02]})
    chart = alt.Chart(frame).mark_line().encode(x="day:T", y=alt.Y("rate:Q", title="ODR"))
    unchecked = html.inline_chart(chart)
    html._DRAWN.clear()  # drawn anew, not taken from the charts already drawn
    assert unchecked == html.inline_chart(chart, validate=True)
    invalid = alt.Chart(frame).mark_line().encode(x=alt.X("day:T", bin="yes please"))
    with pytest.raises(Exception, match="bin"):
        html.inline_chart(invalid, validate=True)


def test_a_chart_drawn_before_in_the_process_is_not_drawn_again(monkeypatch):
    drawn: list[dict] = []
    original = html.svg_chart

    def counting(spec):
        drawn.append(spec)
        return original(spec)

    monkeypatch.setattr(html, "svg_chart", counting)
    monkeypatch.setattr(html, "_DRAWN", {})
    frame = pl.DataFrame({"day": ["2026-01-01", "2026-01-02"], "rate": [0.01, 0.02]})
    chart = alt.Chart(frame).mark_line().encode(x="day:T", y="rate:Q")
    other = (
        alt.Chart(frame.with_columns(rate=pl.lit(0.03))).mark_line().encode(x="day:T", y="rate:Q")
    )
    first, again, different = (
        html.inline_chart(chart),
        html.inline_chart(chart),
        html.inline_chart(other),
    )
    assert len(drawn) == 2  # the same spec once, the one with other data anew
    assert first == again and first.startswith("<svg") and different != first


def test_the_charts_kept_are_the_last_ones_drawn(monkeypatch):
    monkeypatch.setattr(html, "_DRAWN", {})
    monkeypatch.setattr(html, "_DRAWN_KEPT", 2)
    charts = [alt.Chart(pl.DataFrame({"x": [n]})).mark_point().encode(x="x:Q") for n in range(3)]
    for chart in charts:
        html.inline_chart(chart)
    assert [json.loads(key)["datasets"] for key in html._DRAWN] == [
        {name: rows} for chart in charts[1:] for name, rows in chart.to_dict()["datasets"].items()
    ]


_SPECS = """
import json, sys
import altair as alt
import nbformat
import polars as pl
from toolkit.charts import html
from toolkit.model.resources import report_notebook
if sys.argv[1] == "light":
    assert html.light_altair()
frame = pl.DataFrame({"day": ["2026-01-01", "2026-01-02"], "rate": [0.01, 0.02], "k": ["a", "b"]})
base = alt.Chart(frame).encode(x=alt.X("day:T", axis=alt.Axis(format="%d %b")), y="rate:Q")
chart = alt.layer(
    base.mark_line(interpolate="step-after"),
    base.mark_point().encode(color=alt.Color("k:N", scale=alt.Scale(range=["#123456", "#abcdef"]))),
    alt.Chart(frame).mark_rule().encode(y=alt.datum(0.015), tooltip=["k", "rate"]),
).properties(width=300, height=120, title="t")
print(json.dumps(chart.to_dict(), sort_keys=True))
"""


def test_light_altair_builds_the_same_specs():
    def spec(mode: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-c", _SPECS, mode], check=True, capture_output=True, text=True
        )
        return json.loads(done.stdout)

    light, plain = spec("light"), spec("plain")
    assert light == plain
    assert light["layer"][1]["encoding"]["color"]["scale"]["range"] == ["#123456", "#abcdef"]


def test_the_kept_exporter_gives_the_pages_a_new_one_gives():
    first = new_notebook(
        cells=[
            new_markdown_cell("# First seller"),
            new_code_cell(
                "x", outputs=[new_output("display_data", data={"text/markdown": "*one* <b>"})]
            ),
        ]
    )
    second = new_notebook(cells=[new_markdown_cell("# Second seller")])
    kept = [html.notebook_to_html(nb, title=t) for nb, t in ((first, "A"), (second, "B"))]
    html._exporter.cache_clear()
    fresh_second = html.notebook_to_html(second, title="B")
    html._exporter.cache_clear()
    fresh_first = html.notebook_to_html(first, title="A")
    assert kept == [fresh_first, fresh_second]
    assert "First seller" not in kept[1] and "<title>B</title>" in kept[1]
    assert "&lt;b&gt;" in kept[0]


def test_the_page_is_the_document_nbconverts_html_exporter_makes():
    """The exporter skips nbconvert's re-parse of the page; the document is the same."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    from toolkit.model.resources import template_dir

    svg = '<svg xmlns="http://www.w3.org/2000/svg"><g class="mark-line"><path d="M0,0L1,1"/></g></svg>'
    nb = new_notebook(
        cells=[
            new_markdown_cell("# A seller"),
            new_code_cell(
                "x",
                outputs=[
                    new_output(
                        "display_data", data={"text/html": "<div class='sh-report'>a &amp; b</div>"}
                    ),
                    new_output("display_data", data={"image/svg+xml": svg}),
                    new_output("display_data", data={"image/png": "iVBORw0KGgo="}),
                    new_output("display_data", data={"text/markdown": "*one* <b>"}),
                    new_output(
                        "display_data",
                        data={"text/html": '<script>t = `<img src="x">`;</script><p>after</p>'},
                    ),
                ],
            ),
        ]
    )
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(html.REMOVED_CELL_TAGS)
    stock = HTMLExporter(
        config=config,
        template_name="seller_health",
        extra_template_basedirs=[str(template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    stock.register_filter("inline_svg", html._inline_svg)
    stock.register_filter("markdown2html_escaped", html._markdown2html_escaped)
    theirs_nb = new_notebook(cells=nb.cells)
    theirs_nb.metadata["title"] = "A"
    theirs, _ = stock.from_notebook_node(theirs_nb)
    ours = html.notebook_to_html(nb, title="A")
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
    assert ours.count('tabindex="0"') == theirs.count('tabindex="0"') >= 5  # outputs focusable
    assert 'alt="No description has been provided for this image"' in ours  # the PNG's
    assert '<script>t = `<img src="x">`;</script>' in ours  # scripts are left as they are
