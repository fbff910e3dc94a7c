"""HTML that opens offline: charts as inline SVG or with Vega inlined, notebooks as pages.

Two ways to put an altair chart into a page that loads nothing from the network:

- **Static** (reports): :func:`svg_chart` renders a chart to SVG in-process with
  vl-convert; :func:`enable_offline_svg` switches altair's renderer to ``"svg"`` so a
  notebook's charts are stored as ``image/svg+xml`` outputs. No JavaScript at all.
- **Interactive** (teaching notebooks): :func:`inline_vega_bundle` returns one
  ``<script>`` holding Vega, Vega-Lite and vega-embed (vl-convert's bundle for the
  installed Vega-Lite major.minor, about 0.9 MB) and presets ``VEGA_DEBUG`` so altair's
  own HTML template uses it instead of a CDN. :func:`enable_offline_interactive` switches
  altair to this module's renderer, which embeds each chart's spec safely escaped and
  draws it with the inlined library; display its return value once near the top.

:func:`notebook_to_html` exports an executed notebook with the ``seller_health`` nbconvert
template (``toolkit/templates/``): the lab template without require.js, MathJax,
mermaid.js or the widget manager, code cells and papermill's ``injected-parameters`` cell
hidden, outputs kept.

Escaping: plain-text outputs are escaped by nbconvert, markdown outputs are rendered with
raw HTML escaped, chart specs are JSON with ``<``, ``>`` and ``&`` escaped inside their
script, SVG text is escaped by vl-convert, and DataFrame tables by polars. ``text/html``
outputs are trusted as they are: produce them only from code that escapes its data.

Examples
--------
>>> import altair as alt
>>> import polars as pl
>>> chart = alt.Chart(pl.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_point().encode(x="x", y="y")
>>> svg = svg_chart(chart)
>>> svg.startswith("<svg") and "<script" not in svg
True
>>> page = interactive_chart_html(chart)
>>> "vegaEmbed" in page and "<script src" not in page
True
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from base64 import b64encode
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import altair as alt

from toolkit.model.resources import template_dir
from toolkit.model.text import visible

__all__ = [
    "OFFLINE_RENDERER",
    "enable_offline_interactive",
    "enable_offline_svg",
    "inline_chart",
    "inline_vega_bundle",
    "interactive_chart_html",
    "light_altair",
    "notebook_to_html",
    "svg_chart",
]

#: Name of the altair renderer registered by this module.
OFFLINE_RENDERER = "seller_health_offline"
#: Cells with these tags are left out of exported pages.
REMOVED_CELL_TAGS = frozenset({"injected-parameters", "parameters", "remove-cell"})
_DEFAULT_EMBED = {"renderer": "svg", "actions": False}
_UNSAFE_SVG = re.compile(r"<script|<foreignObject|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


def _vl_version() -> str:
    """The installed altair's Vega-Lite version as vl-convert wants it (``"6.4"``)."""
    import vl_convert

    major_minor = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    if major_minor not in vl_convert.get_vegalite_versions():
        raise RuntimeError(
            f"vl-convert {vl_convert.__version__} has no Vega-Lite {major_minor} "
            f"(altair {alt.__version__}); it has {vl_convert.get_vegalite_versions()}"
        )
    return major_minor


def _spec(chart: alt.TopLevelMixin | dict) -> dict:
    return chart if isinstance(chart, dict) else chart.to_dict()


def svg_chart(chart: alt.TopLevelMixin | dict) -> str:
    """Render an altair chart (or a Vega-Lite spec dict) to an SVG string, in-process.

    Uses vl-convert with the Vega-Lite version of the installed altair; the active
    altair theme is applied by ``chart.to_dict()``. Text in the SVG is XML-escaped.
    """
    import vl_convert

    return vl_convert.vegalite_to_svg(_spec(chart), vl_version=_vl_version())


_PATH = re.compile(r' d="([^"]*)"')
_DECIMALS = re.compile(r"(\d\.\d)\d+")


def _rounded_paths(svg: str) -> str:
    """SVG path data with one decimal (a tenth of a pixel): the same drawing, fewer bytes.

    Examples
    --------
    >>> _rounded_paths('<path d="M0,140L2.011,140L4.0224,139.5"/>')
    '<path d="M0,140L2.0,140L4.0,139.5"/>'
    """
    return _PATH.sub(lambda m: ' d="' + _DECIMALS.sub(r"\1", m.group(1)) + '"', svg)


def inline_chart(chart: alt.TopLevelMixin | dict, *, validate: bool = False) -> str:
    """A chart as SVG markup to put into a page: drawn by :func:`svg_chart`, then checked.

    Plain drawing is returned as ``<svg ...>`` markup, its path coordinates to a tenth
    of a pixel; SVG that holds a script, an event handler, ``foreignObject`` or a
    ``javascript:`` link (which vl-convert never writes) becomes an ``<img>`` in which
    none of it runs.

    A chart whose spec is the same as one of the last 64 drawn in this process is not
    drawn again: the SVG is the same.

    The chart's spec is not checked against the Vega-Lite schema unless ``validate``:
    the report's charts are built by the toolkit's own code (the tests validate every
    one of them), and the check costs more CPU than building the spec (about 0.3 s of
    a report's 12 charts).
    """
    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=validate)
    key = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    found = _DRAWN.get(key)
    if found is None:
        found = _inline_svg(_rounded_paths(svg_chart(spec)))
        if len(_DRAWN) >= _DRAWN_KEPT:
            del _DRAWN[next(iter(_DRAWN))]  # the oldest
        _DRAWN[key] = found
    return found


#: SVG already drawn in this process, by the JSON of its spec (data, theme and all):
#: many sellers of a batch share a chart (the AHR line of a seller without violations is
#: the same for all of them), and drawing is the dearest part of a report.
_DRAWN: dict[str, str] = {}
_DRAWN_KEPT = 64


def enable_offline_svg(*, light: bool = True) -> Any:
    """Make altair display charts as inline SVG (``image/svg+xml`` outputs, no JavaScript).

    Returns altair's plugin enabler, so ``with enable_offline_svg(): ...`` restores the
    previous renderer afterwards.

    With ``light`` (the default) altair is also made lighter to build charts with, for
    the rest of the process (:func:`light_altair`): the reports build a dozen charts
    each, and most of altair's CPU went into checks and tables it recomputes for every
    chart part. Charts and their specs are the same either way.
    """
    if light:
        light_altair()
    return alt.renderers.enable("svg")


@cache
def light_altair() -> bool:
    """Make building altair charts cheaper in this process (idempotent); False if it cannot.

    Two things, neither of which changes a chart or its spec:

    - altair's *debug mode* is switched off: in it every chart part (an encoding, a
      mark, a scale...) is converted to a dict and checked against the Vega-Lite schema
      as it is created, on top of the check of the whole chart;
    - the table altair builds for each ``encode()`` argument that maps schemas to its
      ~600 wrapper classes (a JSON dump and a hash of every class's schema, each time)
      is built once and kept. This reaches into ``altair.utils.schemapi._FromDict``;
      when a future altair has no such class nothing is kept and the function returns
      False.

    Examples
    --------
    >>> light_altair() in (True, False)
    True
    >>> from altair.utils import schemapi
    >>> schemapi.DEBUG_MODE
    False
    """
    from altair.utils import schemapi

    schemapi.disable_debug_mode()
    table = getattr(schemapi, "_FromDict", None)
    init = getattr(table, "__init__", None)
    if table is None or init is None or not hasattr(table, "hash_schema"):
        return False
    kept: dict[tuple, Any] = {}

    def kept_init(self: Any, wrapper_classes: Any, /) -> None:
        classes = tuple(wrapper_classes)
        found = kept.get(classes)
        if found is None:
            init(self, classes)
            kept[classes] = self.class_dict
        else:
            self.class_dict = found

    table.__init__ = kept_init
    return True


@cache
def _bundle_script() -> str:
    import vl_convert

    bundle = vl_convert.javascript_bundle(vl_version=_vl_version())
    # A literal "</script" would end the element early; it is not in today's bundle.
    bundle = re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)
    # The function scope keeps the bundle's minified top-level names off the page; the
    # guard makes a second copy on the same page harmless (only wasteful).
    return (
        '<script type="text/javascript">\n'
        'if (typeof window.vegaEmbed !== "function") { (function () {\n'
        f"{bundle}\n"
        "})(); }\n"
        "</script>"
    )


#: Vega writes a range slider's raw value after it: a day number for a slider over dates.
#: The charts say the date in words (:func:`toolkit.charts.window_explorer`), so the
#: number is hidden.
_SLIDER_STYLE = (
    '<style type="text/css">.vega-bind input[type=range] + span { display: none; }</style>'
)


def inline_vega_bundle() -> str:
    """HTML for once per page: the Vega libraries inlined, and ``VEGA_DEBUG`` preset.

    A ``<style>`` hides the raw number Vega writes after a range slider (the charts
    that have one say its value in words). The first ``<script>`` defines the globals ``vega``, ``vegaLite`` and ``vegaEmbed``
    (vl-convert's bundle for the installed Vega-Lite major.minor). The second sets
    ``VEGA_DEBUG`` to the versions altair's HTML template asks for, so that template
    skips loading them from a CDN. Put it before the first interactive chart.

    Examples
    --------
    >>> html = inline_vega_bundle()
    >>> html.count("<script"), len(html) > 500_000
    (2, True)
    >>> html[html.rindex("<script"):]  # doctest: +ELLIPSIS
    '<script type="text/javascript">\\nwindow.VEGA_DEBUG = Object.assign(window.VEGA_DEBUG || {}, {"vega_version": "6", "vegalite_version": "6...", "vegaembed_version": "7"});\\n</script>'
    """
    from altair.vegalite.v6.display import VEGA_VERSION, VEGAEMBED_VERSION, VEGALITE_VERSION

    versions = {
        "vega_version": VEGA_VERSION,
        "vegalite_version": VEGALITE_VERSION,
        "vegaembed_version": VEGAEMBED_VERSION,
    }
    preset = (
        '<script type="text/javascript">\n'
        "window.VEGA_DEBUG = Object.assign(window.VEGA_DEBUG || {}, "
        f"{json.dumps(versions)});\n</script>"
    )
    return f"{_SLIDER_STYLE}\n{_bundle_script()}\n{preset}"


def _script_json(value: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``<``, ``>`` or ``&``, ASCII only."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def interactive_chart_html(
    chart: alt.TopLevelMixin | dict, *, embed_options: dict | None = None
) -> str:
    """A ``<div>`` and ``<script>`` drawing the chart with the page's inlined vega-embed.

    The page must hold :func:`inline_vega_bundle` before this fragment; without it the
    chart's box says so (and logs a console error) instead of fetching anything.
    ``embed_options`` go to vega-embed; by default charts draw as SVG with no action menu
    (its entries open online editors).
    """
    options = {**_DEFAULT_EMBED, **(embed_options or {})}
    element = f"sh-vega-{uuid.uuid4().hex}"
    missing = (
        "This chart needs the Vega library inlined in the page: display "
        "toolkit.charts.html.inline_vega_bundle() once before the first chart."
    )
    return (
        f'<div id="{element}" class="sh-vega-chart"></div>\n'
        '<script type="text/javascript">\n'
        "(function () {\n"
        f'  var el = document.getElementById("{element}");\n'
        '  if (typeof window.vegaEmbed !== "function") {\n'
        f"    el.textContent = {_script_json(missing)};\n"
        f"    console.error({_script_json(missing)});\n"
        "    return;\n"
        "  }\n"
        f"  window.vegaEmbed(el, {_script_json(_spec(chart))}, {_script_json(options)})\n"
        "    .catch(function (err) { el.textContent = 'Chart error: ' + err; console.error(err); });\n"
        "})();\n"
        "</script>"
    )


def _offline_renderer(spec: dict, **metadata: Any) -> dict[str, str]:
    return {"text/html": interactive_chart_html(spec, embed_options=metadata.get("embed_options"))}


class _HTML:
    """An HTML fragment that notebooks display as ``text/html``."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html


def enable_offline_interactive(**embed_options: Any) -> _HTML:
    """Switch altair to the offline interactive renderer; return the bundle to display.

    Make the call the last line of a cell near the top of a teaching notebook: the cell's
    output is the inlined Vega bundle (:func:`inline_vega_bundle`), and every chart
    displayed afterwards is drawn by it (:func:`interactive_chart_html`). Keyword
    arguments are vega-embed options (default ``renderer="svg"``, ``actions=False``).
    """
    if OFFLINE_RENDERER not in alt.renderers.names():
        alt.renderers.register(OFFLINE_RENDERER, _offline_renderer)
    alt.renderers.enable(OFFLINE_RENDERER, embed_options=embed_options or None)
    return _HTML(inline_vega_bundle())


# ----------------------------------------------------------------------------------------
# Notebook export


def _inline_svg(svg: str) -> str:
    """Inline an SVG output as markup when it is plain drawing, else as an ``<img>``.

    SVG with scripts, event handlers, ``foreignObject`` or ``javascript:`` links is put
    in an ``<img>`` (where none of it runs) instead of into the page.
    """
    text = svg.decode() if isinstance(svg, bytes) else str(svg)
    if _UNSAFE_SVG.search(text):
        data = b64encode(text.encode()).decode()
        return f'<img src="data:image/svg+xml;base64,{data}" alt="chart">'
    start = text.find("<svg")
    return text[start:] if start >= 0 else escape(text)


def _markdown2html_escaped(source: str) -> str:
    """Markdown to HTML with raw HTML escaped and ``javascript:`` links refused."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=True, allow_harmful_protocols=False)
    return MarkdownWithMath(renderer=renderer).render(source)


def notebook_to_html(nb: Any, *, title: str) -> str:
    """Export an executed notebook to one HTML page that opens offline.

    Parameters
    ----------
    nb
        A notebook (``nbformat.NotebookNode``, for example papermill's result) or the
        path of an ``.ipynb`` file. It is not modified.
    title
        The page's ``<title>`` (escaped).

    Returns
    -------
    str
        The page. Code cells show only their outputs; cells tagged
        ``injected-parameters``, ``parameters`` or ``remove-cell`` are left out; nothing
        is loaded from the network by the template (a chart's own ``text/html`` output
        must be offline too: use :func:`enable_offline_svg` or
        :func:`enable_offline_interactive`).
    """
    import nbformat

    if isinstance(nb, str | Path):
        nb = nbformat.read(nb, as_version=4)
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = visible(title)  # the template escapes it
    body, _ = _exporter(str(template_dir())).from_notebook_node(nb)
    return body


@cache
def _exporter(templates: str) -> Any:
    """The page exporter, made once per process (and per template directory).

    Creating an ``HTMLExporter`` finds, reads and compiles the Jinja templates and sets
    up its preprocessors: about a third of an export's CPU when it was done for every
    page. The exporter keeps no state from one notebook to the next: each export gets
    fresh resources.
    """
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(REMOVED_CELL_TAGS)
    exporter = _page_exporter_class()(
        config=config,
        template_name="seller_health",
        extra_template_basedirs=[templates],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_filter("inline_svg", _inline_svg)
    exporter.register_filter("markdown2html_escaped", _markdown2html_escaped)
    return exporter


#: The start tags nbconvert's HTML exporter edits after rendering (see :func:`_focusable`).
_START_TAG = re.compile(r"<(div|img)\b([^>]*)>")
_RAW_TEXT = re.compile(
    r"(<script\b.*?</script\s*>|<style\b.*?</style\s*>)", re.IGNORECASE | re.DOTALL
)
_CLASS = re.compile(r'\sclass="([^"]*)"')
_FOCUSABLE = frozenset({"jp-OutputArea-output", "jp-Cell-inputWrapper"})
_NO_ALT = "No description has been provided for this image"


def _focusable(page: str) -> str:
    """What nbconvert's ``HTMLExporter`` adds to a rendered page, without re-parsing it.

    Inputs and outputs become focusable (``tabindex="0"``) and an image without
    alternative text gets nbconvert's (not inside a script or a style: the inlined Vega
    library holds HTML in its strings). nbconvert does this by parsing the whole page with
    BeautifulSoup and writing it out again: about two thirds of a report page's export,
    for two attributes. The tests check that the page is the same document.

    Examples
    --------
    >>> _focusable('<div class="jp-OutputArea-output x"><img src="a.png"></div><div>')
    '<div class="jp-OutputArea-output x" tabindex="0"><img src="a.png" alt="No description has been provided for this image"></div><div>'
    >>> _focusable('<script>t = `<img src="a.png">`;</script><img src="b.png" alt="b">')
    '<script>t = `<img src="a.png">`;</script><img src="b.png" alt="b">'
    """

    def edit(match: re.Match) -> str:
        name, attributes = match.group(1), match.group(2)
        closing = "/" if attributes.endswith("/") else ""
        attributes = attributes.removesuffix("/")
        if name == "img":
            if re.search(r"\salt=", attributes):
                return match.group(0)
            return f'<img{attributes} alt="{_NO_ALT}"{closing}>'
        found = _CLASS.search(attributes)
        if found is None or not _FOCUSABLE & set(found.group(1).split()):
            return match.group(0)
        if re.search(r"\stabindex=", attributes):
            return match.group(0)
        return f'<div{attributes} tabindex="0"{closing}>'

    parts = _RAW_TEXT.split(page)  # odd items: scripts and styles, left as they are
    return "".join(part if n % 2 else _START_TAG.sub(edit, part) for n, part in enumerate(parts))


@cache
def _page_exporter_class() -> type:
    """nbconvert's ``HTMLExporter``, rendering the page without re-parsing it afterwards.

    ``HTMLExporter.from_notebook_node`` registers two filters, renders the template, then
    parses the page with BeautifulSoup to add a few attributes; this one registers the
    same filters, renders, and adds the attributes with :func:`_focusable`.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
            )
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _focusable(page), resources

    return PageExporter
