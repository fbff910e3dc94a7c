"""Offline HTML: SVG charts, the inlined Vega bundle, escaping, and the notebook export."""

from __future__ import annotations

import json
import re
from datetime import date

import altair as alt
import nbformat
import polars as pl
import pytest
from altair.vegalite.v6.display import VEGA_VERSION, VEGAEMBED_VERSION, VEGALITE_VERSION
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
)

from toolkit.charts import html

ATTACK = "<script>alert(1)</script>"
#: A URL in a src or href attribute: something the page would fetch or link to.
REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def labelled_chart(label: str) -> alt.Chart:
    frame = pl.DataFrame({"x": [1, 2], "y": [3, 4], "label": [label, "ok"]})
    return alt.Chart(frame).mark_text().encode(x="x:Q", y="y:Q", text="label:N")


@pytest.fixture
def restore_renderer():
    before = alt.renderers.active
    yield
    alt.renderers.enable(before)


def test_svg_chart_renders_in_process_and_escapes_text():
    svg = html.svg_chart(labelled_chart(ATTACK))
    assert svg.startswith("<svg")
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_enable_offline_svg_makes_charts_svg_outputs(restore_renderer):
    html.enable_offline_svg()
    bundle = labelled_chart("a").mark_point()._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert list(bundle) == ["image/svg+xml"]
    assert bundle["image/svg+xml"].lstrip().startswith("<svg")


def test_inline_vega_bundle_presets_the_versions_altair_asks_for():
    page = html.inline_vega_bundle()
    assert page.count("<script") == 2
    assert page.count("</script>") == 2
    assert not REMOTE.search(page)
    preset = re.search(r"Object.assign\(window.VEGA_DEBUG \|\| \{\}, (\{.*?\})\)", page)
    assert json.loads(preset.group(1)) == {
        "vega_version": VEGA_VERSION,
        "vegalite_version": VEGALITE_VERSION,
        "vegaembed_version": VEGAEMBED_VERSION,
    }
    assert "window.vegaEmbed=" in page
    assert page.index("window.vegaEmbed=") < page.index("VEGA_DEBUG")


def test_interactive_chart_keeps_free_text_inside_its_script():
    chart = labelled_chart("</script><script>alert(1)</script>")
    fragment = html.interactive_chart_html(chart)
    assert fragment.count("<script") == 1
    assert fragment.count("</script>") == 1
    assert "alert(1)</script>" not in fragment
    spec_json = re.search(r"window.vegaEmbed\(el, (\{.*\}), \{", fragment).group(1)
    assert json.loads(spec_json) == chart.to_dict()


def test_interactive_chart_defaults_to_svg_without_actions():
    fragment = html.interactive_chart_html(labelled_chart("a"), embed_options={"actions": True})
    options = json.loads(re.search(r"\}, (\{[^{}]*\})\)\n", fragment).group(1))
    assert options == {"renderer": "svg", "actions": True}


def test_enable_offline_interactive_switches_the_renderer(restore_renderer):
    bundle = html.enable_offline_interactive()
    assert alt.renderers.active == html.OFFLINE_RENDERER
    assert bundle._repr_html_() == html.inline_vega_bundle()
    output = labelled_chart("a")._repr_mimebundle_()
    output = output[0] if isinstance(output, tuple) else output
    assert list(output) == ["text/html"]
    assert "window.vegaEmbed(el, " in output["text/html"]
    assert "<script src" not in output["text/html"]


# ----------------------------------------------------------------------------------------
# Notebook export


def display(data: dict, kind: str = "display_data") -> nbformat.NotebookNode:
    if kind == "execute_result":
        return new_output(kind, data=data, execution_count=1)
    return new_output(kind, data=data)


def exported(*cells) -> str:
    return html.notebook_to_html(new_notebook(cells=list(cells)), title="Seller S1")


def script_bodies(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.DOTALL)


def test_export_hides_code_and_injected_parameters_and_keeps_outputs():
    page = exported(
        new_code_cell("seller = 'DEFAULT_SELLER'", metadata={"tags": ["parameters"]}),
        new_code_cell("seller = 'INJECTED_SELLER'", metadata={"tags": ["injected-parameters"]}),
        new_markdown_cell("# Report heading"),
        new_code_cell(
            "print('CODE_SOURCE')",
            outputs=[new_output("stream", name="stdout", text="the output\n")],
        ),
    )
    assert "Report heading" in page
    assert "the output" in page
    for hidden in ("DEFAULT_SELLER", "INJECTED_SELLER", "CODE_SOURCE"):
        assert hidden not in page
    assert "<title>Seller S1</title>" in page


def test_export_loads_nothing_from_the_network_and_inlines_the_svg():
    svg = html.svg_chart(labelled_chart("inline me"))
    page = exported(new_code_cell("chart", outputs=[display({"image/svg+xml": svg})]))
    assert not REMOTE.search(page), REMOTE.search(page).group(0)
    assert "require.min.js" not in page and "MathJax" not in page and "mermaid" not in page
    assert script_bodies(page) == []  # a report page needs no JavaScript
    # nbconvert re-serialises the page with BeautifulSoup (attributes sorted, names lower
    # case; browsers restore viewBox for inline SVG), so look for the element itself
    svg_tags = re.findall(r"<svg [^>]*>", page)
    assert any(
        'class="marks"' in tag and 'xmlns="http://www.w3.org/2000/svg"' in tag for tag in svg_tags
    ), svg_tags
    assert "inline me" in page


def test_stock_lab_template_does_load_from_a_cdn():
    """The reason for the template: the stock lab export has remote scripts."""
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter(template_name="lab").from_notebook_node(new_notebook())
    assert REMOTE.search(page)


@pytest.mark.parametrize(
    "output",
    [
        pytest.param(display({"text/markdown": f"Buyer said: {ATTACK}"}), id="markdown output"),
        pytest.param(
            display(
                {
                    "text/html": pl.DataFrame({"comment": [ATTACK]})._repr_html_(),
                    "text/plain": "frame",
                },
                "execute_result",
            ),
            id="polars DataFrame output",
        ),
        pytest.param(new_output("stream", name="stdout", text=ATTACK), id="printed text"),
        pytest.param(display({"text/plain": ATTACK}), id="plain text output"),
        pytest.param(
            new_output("error", ename="ValueError", evalue=ATTACK, traceback=[ATTACK]),
            id="error traceback",
        ),
    ],
)
def test_free_text_in_outputs_stays_escaped(output):
    page = exported(new_code_cell("x", outputs=[output]))
    assert not any("alert(1)" in body for body in script_bodies(page))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_markdown_output_links_cannot_run_javascript():
    page = exported(
        new_code_cell("x", outputs=[display({"text/markdown": "[click](javascript:alert(1))"})])
    )
    assert 'href="javascript:' not in page


def test_svg_that_could_run_script_is_put_in_an_image():
    svg = f'<svg xmlns="http://www.w3.org/2000/svg">{ATTACK}<rect onload="alert(2)"/></svg>'
    page = exported(new_code_cell("x", outputs=[display({"image/svg+xml": svg})]))
    assert script_bodies(page) == []
    assert 'onload="alert(2)"' not in page
    assert re.search(r'<img [^>]*src="data:image/svg\+xml;base64,', page)


def test_the_title_is_escaped():
    page = html.notebook_to_html(new_notebook(), title=f"{ATTACK} & co")
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>" in page


def test_notebook_files_are_read_and_not_modified(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell(f"Dated {date(2025, 3, 1).isoformat()}")])
    path = tmp_path / "report.ipynb"
    nbformat.write(nb, path)
    before = path.read_text()
    page = html.notebook_to_html(path, title="from a file")
    assert "Dated 2025-03-01" in page
    assert path.read_text() == before
    assert "title" not in nb.metadata
