"""The teaching and exploration notebooks: their rules, that they run, and their HTML pages.

Fast tests read the committed ``.ipynb`` files: a ``parameters`` cell of literals first,
no ``def`` or ``class``, no committed outputs, the offline renderer switched on before any
chart, and (teaching notebooks) no number typed into the prose. Slow tests run every
notebook top to bottom on ``data/sample`` with papermill, check the numbers they print
against the sample's stories, and export the teaching ones to offline HTML.
"""

from __future__ import annotations

import ast
import re
import shutil
import sys
from datetime import date
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT, SAMPLE
from toolkit.model.resources import notebook_paths
from toolkit.reports.notebooks import (
    _index,
    main,
    notebook_title,
    run_notebooks,
)

NOTEBOOKS = ROOT / "notebooks"
PATHS = notebook_paths(NOTEBOOKS)
IDS = [f"{p.parent.name}/{p.name}" for p in PATHS]
TEACHING = [p for p in PATHS if p.parent.name == "teaching"]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_the_notebooks_are_the_expected_ones():
    assert IDS == [
        "teaching/01_order_defect_rate.ipynb",
        "teaching/02_rolling_windows.ipynb",
        "teaching/03_low_volume.ipynb",
        "teaching/04_policy_violations.ipynb",
        "teaching/05_data_freshness.ipynb",
        "teaching/06_inventory_performance.ipynb",
        "teaching/07_not_used_for_account_health.ipynb",
        "explore/portfolio.ipynb",
    ]


def test_notebook_paths_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="'reports'"):
        notebook_paths(NOTEBOOKS, kinds=["reports"])


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_first_code_cell_is_a_parameters_cell_of_literals(path):
    cell = code_cells(read(path))[0]
    assert "parameters" in cell.metadata.get("tags", [])
    values = {}
    for statement in ast.parse(cell.source).body:
        assert isinstance(statement, ast.Assign), ast.dump(statement)
        assert len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name)
        assert isinstance(statement.value, ast.Constant), f"not a literal: {ast.unparse(statement)}"
        values[statement.targets[0].id] = statement.value.value
    assert date.fromisoformat(values["as_of"]) == date(2026, 11, 15)
    assert (path.parent / values["data"]).resolve() == SAMPLE.resolve()
    assert "seller" in values


def test_only_parameters_cells_are_tagged_parameters():
    tagged = [sum("parameters" in c.metadata.get("tags", []) for c in read(p).cells) for p in PATHS]
    assert tagged == [1] * len(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_defines_no_function_or_class(path):
    for cell in code_cells(read(path)):
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            ), f"{path.name}: {ast.unparse(node)[:80]}"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_outputs_are_not_committed(path):
    nb = read(path)
    for cell in code_cells(nb):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert "widgets" not in nb.metadata
    assert "papermill" not in nb.metadata


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_asks_for_the_default_python_kernel(path):
    assert read(path).metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_offline_renderer_is_enabled_before_any_chart(path):
    sources = [cell.source for cell in code_cells(read(path))]
    enable = next(i for i, s in enumerate(sources) if "html.enable_offline_interactive()" in s)
    # the call is the cell's last expression, so its output (the Vega bundle) is displayed
    assert sources[enable].strip().endswith("html.enable_offline_interactive()")
    first_chart = next(i for i, s in enumerate(sources) if re.search(r"(?<![\w.])charts\.", s))
    assert enable < first_chart
    assert sum("enable_offline_interactive" in s for s in sources) == 1


#: Digits a teaching notebook's prose may contain: persona names, star ratings, the
#: formulas, file names, and the source document's 10-order example (definitions section 4.1).
ALLOWED_DIGITS = [
    r"\bS\d\d\b(-[a-z-]+)?",
    r"\b1 or 2 stars\b",
    r"\b3 stars\b",
    r"\b1-star\b",
    r"\bp0\b",
    r"W \+ 1\b",
    r"\) \+ 1`",
    r"`0\d_[a-z_]+\.ipynb`",
]
SPEC_EXAMPLE = [
    "One bad order out of ten is 10 %",
    "10 orders in the window, 1 with a defect",
    "The ODR is 10 %, over the 1 % target",
    "P(X >= 1 | n = 10, p = 0.01) = 0.096",
    "from 1.8 % to 40.4 %",
    "the same 10 % defect rate",
]


def prose_digits(text: str, *, spec_example: bool) -> list[str]:
    """The digits left in ``text`` once the allowed phrases are taken out."""
    text = " ".join(text.split())
    if spec_example:
        for phrase in SPEC_EXAMPLE:
            text = text.replace(phrase, "")
    for pattern in ALLOWED_DIGITS:
        text = re.sub(pattern, "", text)
    return [m.group(0) for m in re.finditer(r".{0,20}\d.{0,20}", text)]


def test_prose_check_finds_a_typed_number():
    assert prose_digits("The ODR of S02-claims-burst is 3.86 %.", spec_example=False) == [
        "The ODR of  is 3.86 %."
    ]
    assert prose_digits("P(X >= 1 | n = 10, p = 0.01) = 0.096", spec_example=True) == []


@pytest.mark.parametrize("path", TEACHING, ids=[p.name for p in TEACHING])
def test_teaching_prose_types_no_numbers(path):
    spec_example = path.name == "03_low_volume.ipynb"
    for cell in read(path).cells:
        if cell.cell_type == "markdown":
            assert prose_digits(cell.source, spec_example=spec_example) == []


def test_readme_lists_every_notebook():
    readme = " ".join((NOTEBOOKS / "README.md").read_text(encoding="utf-8").split())
    for path in PATHS:
        assert f"{path.parent.name}/{path.name}" in readme
        assert notebook_title(read(path)) in readme


def test_notebook_title_and_index_escape_text():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A & <b>B</b>")])
    assert notebook_title(nb) == "A & <b>B</b>"
    page = _index([("01.html", notebook_title(nb))])
    assert "A &amp; &lt;b&gt;B&lt;/b&gt;" in page and "<b>" not in page


def test_command_line_rejects_a_bad_date(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--as-of", "15/11/2026"])
    assert "not a date" in capsys.readouterr().err


# ----------------------------------------------------------------------------- slow


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    out = tmp_path_factory.mktemp("executed")
    written, failed = run_notebooks(out, root=NOTEBOOKS, workers=2)
    assert failed == {}
    assert len(written) == len(PATHS)
    return {f"{p.parent.name}/{p.name}": read(p) for p in written}


def outputs(nb, mime: str) -> list[str]:
    return [
        "".join(output["data"][mime])
        for cell in code_cells(nb)
        for output in cell.outputs
        if mime in output.get("data", {})
    ]


#: Facts every notebook must print (from data/sample/README.md, checked there by hand).
STORIES = {
    "teaching/01_order_defect_rate.ipynb": [
        "12 claims were filed",
        "**2.67%** (5 of 187 orders, `bad`) on 19 Oct 2026",
        "**0.58%** (1 of 172, `good`)",
        "By reason: denied 3, removed 3,",
    ],
    "teaching/02_rolling_windows.ipynb": [
        "**3 Sep 2026 to 1 Nov 2026**",
        "**1 defect / 10 orders** for S03-low-volume",
        "drops out on **29 Nov 2026**",
        "on 17 Nov 2026, 19 Nov 2026, 20 Nov 2026.",
        "= **668** extra good orders (the forecast table says 668)",
        "recovers on **1 Dec 2026**",
    ],
    "teaching/03_low_volume.ipynb": [
        "**1 defect in 10 orders**: ODR **10.0%**, Wilson interval **1.8% to 40.4%**, "
        "p-value **0.096**, status `bad_low_volume`",
        "from **2 bad orders in 20**",
        "until the seller has **101 orders**",
    ],
    "teaching/04_policy_violations.ipynb": [
        "displayed** for 180 days",
        "the AHR estimate of S06-violations is **192** (`at_risk`): 4 violations cost 16 points, "
        "and 5 are displayed",
        "Its lowest estimate was 0 (`critical`), first on 2 Apr 2026",
        "Acknowledging PV00000009",
    ],
    "teaching/05_data_freshness.ipynb": [
        "**23:50 UTC on 14 Nov 2026**",
        "visible at **00:00 on 15 Nov 2026**",
        "as of 14 Nov 2026 is still 0 of 10 (`good`); as of 15 Nov 2026 it is 1 of 10 "
        "(`bad_low_volume`)",
        "S10-disputes was `bad` on 3 days; restated, on 0",
    ],
    "teaching/06_inventory_performance.ipynb": [
        "As of 15 Nov 2026 the IPI estimate (unofficial) of S06-violations is **808**",
        "39 of 97 units are stranded (**40.2%**)",
        "The period starting **1 Jul 2026** was decided on 15 Jun 2026 at **842**",
        "starting 1 Aug 2026, on 13 Jul 2026 at **992**: nothing carried over",
        "S08-business-invoices: **1,050 of 1,203** units are excess (**87.3%**)",
    ],
    "teaching/07_not_used_for_account_health.ipynb": [
        "**1 of 2** requests of S10-disputes are bad by hand; the metrics table says **1 of 2** "
        "(50.00%), status `info` (For information). Amazon's former target was below 10%.",
        "at or above the former target on **307 of 365** days with return requests, and its "
        "status was `info` every day",
        "By hand, **10 of 17** messages were answered in time; the metrics table says "
        "**10 of 17** (58.82%). Amazon's former target was above 90%",
        "Amazon removed Contact Response Time on **1 Oct 2018**",
        "are **the same** with and without the returns and messages of S09-new-seller",
        "S10-disputes: **4.37** stars (plain average) from **35** verified reviews; the "
        "per-ASIN table adds up to 153 stars from 35 reviews",
        "is B0000461XJ: 1 of 4 (25%)",
    ],
    "explore/portfolio.ipynb": [
        "As of **15 Nov 2026**: 12 sellers",
        "the limits are **widened** (additive)",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", IDS)
def test_notebook_runs_top_to_bottom_on_the_sample(executed, name):
    nb = executed[name]
    for cell in code_cells(nb):
        assert cell.execution_count is not None
        for output in cell.outputs:
            assert output.output_type != "error", output.get("evalue")
            assert output.get("name") != "stderr" or "Warning" not in output.get("text", "")
    bundles = [html for html in outputs(nb, "text/html") if "VEGA_DEBUG" in html]
    charts = [html for html in outputs(nb, "text/html") if "sh-vega-chart" in html]
    assert len(bundles) == 1 and len(charts) >= 1
    text = "\n".join(outputs(nb, "text/markdown"))
    for fact in STORIES[name]:
        assert fact in text


@pytest.mark.slow
def test_portfolio_ranks_the_claims_burst_first_and_flags_its_bad_weeks(executed):
    nb = executed["explore/portfolio.ipynb"]
    ranking = next(h for h in outputs(nb, "text/html") if "sh-status-table" in h)
    rows = re.findall(r"<tr>.*?</tr>", ranking)
    # rows[0] is the header; the index's order: S06's AHR at risk puts it second
    assert "S02-claims-burst" in rows[1] and "S06-violations" in rows[2]
    assert (
        ">192</td>" in rows[2] and ">AHR at risk</span>" in rows[2] and ">At risk</span>" in rows[2]
    )
    weeks = outputs(nb, "text/plain")[-1]
    assert "2026-09-07" in weeks and "2026-09-14" in weeks and "above" in weeks
    # every table is an HTML table with every row: the funnel membership lists all 12
    tables = [h for h in outputs(nb, "text/html") if "sh-status-table" in h]
    assert len(tables) == 4 and tables[1].count("<tr>") == 1 + 12
    assert not [h for h in outputs(nb, "text/html") if "shape: (" in h]


@pytest.mark.slow
@pytest.mark.parametrize("name", [i for i in IDS if i.startswith("teaching/")])
def test_teaching_page_inlines_vega_once_and_loads_nothing(executed, name):
    from toolkit.charts.html import notebook_to_html

    page = notebook_to_html(executed[name], title=notebook_title(executed[name]))
    assert page.count("window.VEGA_DEBUG = Object.assign") == 1
    assert page.count('typeof window.vegaEmbed !== "function") { (function ()') == 1
    assert re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?https?:", page) is None
    assert "cdn.jsdelivr" not in page and "require.js" not in page
    assert "shape: (" not in page and "dtype" not in page  # tables are HTML tables, not polars text
    assert "(days after " not in page  # the slider over dates says dates, not day numbers
    assert page.count('class="sh-vega-chart"') == sum(
        "sh-vega-chart" in h for h in outputs(executed[name], "text/html")
    )
    assert f"<title>{notebook_title(executed[name])}</title>" in page


BROKEN = nbformat.v4.new_notebook(
    cells=[
        nbformat.v4.new_markdown_cell("# Broken <on purpose>"),
        nbformat.v4.new_code_cell('data = "x"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise RuntimeError('this notebook fails')"),
    ],
    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
)


@pytest.mark.slow
def test_teaching_html_export_writes_pages_and_reports_failures(tmp_path, capsys):
    root = tmp_path / "notebooks"
    (root / "teaching").mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "teaching" / "04_policy_violations.ipynb", root / "teaching")
    nbformat.write(BROKEN, root / "teaching" / "00_broken.ipynb")
    out = tmp_path / "pages"
    out.mkdir()
    (out / "00_broken.html").write_text("stale page from an earlier run")
    status = main(
        [
            "teaching-html",
            "--notebooks",
            str(root),
            "--out",
            str(out),
            "--data",
            str(SAMPLE),
            "--workers",
            "2",
        ]
    )
    assert status == 1
    captured = capsys.readouterr()
    assert "FAILED" in captured.err and "this notebook fails" in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["04_policy_violations.html", "index.html"]
    index = (out / "index.html").read_text()
    assert "Policy violations and the Account Health Rating estimate" in index
    assert "Broken" not in index
    page = (out / "04_policy_violations.html").read_text()
    assert page.count("window.VEGA_DEBUG = Object.assign") == 1
    assert "192" in page


@pytest.mark.slow
def test_default_kernel_is_this_python_with_the_toolkit_importable():
    """What ``make lab`` and papermill start for "python3": this interpreter (the .venv)."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        lines = []
        client.execute_interactive(
            "import sys, toolkit; print(sys.executable); print(toolkit.__file__)",
            output_hook=lambda msg: lines.append(msg["content"].get("text", "")),
            timeout=60,
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    executable, module = "".join(lines).split()
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert Path(module).resolve() == (ROOT / "toolkit" / "__init__.py").resolve()
