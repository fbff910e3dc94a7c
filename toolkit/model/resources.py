"""Where things are: default locations and the files shipped inside the package.

One module owns every location the toolkit looks up by itself, so that an installed wheel
and a source checkout find the same files:

- the shipped policy (``toolkit/model/policies/amazon_us.toml``);
- the nbconvert template of the offline pages (``toolkit/reports/templates/``);
- the notebooks: the report template and the teaching and exploration notebooks. In the
  repository they live in ``notebooks/`` (where users open and edit them); the wheel
  carries a copy as package data under ``toolkit/_notebooks/`` (hatch ``force-include``),
  and a test checks that the copy is the same file. A source checkout (an editable
  install) has no copy and uses ``notebooks/`` next to the package.
- the defaults of the command line: ``data/sample`` and ``reports``, relative to the
  working directory, and ``sp_api/`` inside a data directory (Amazon's own report files,
  which the reports reconcile).

A file the toolkit needs that is missing or unreadable is a :class:`ResourceError`
naming the path, raised before any work starts.

>>> report_notebook().name
'report.ipynb'
>>> sorted(p.name for p in notebook_paths(kinds=["teaching"]))[:1]
['01_order_defect_rate.ipynb']
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from toolkit.model.errors import ResourceError

__all__ = [
    "AMAZON_REPORTS_DIR",
    "DEFAULT_DATA",
    "DEFAULT_REPORTS",
    "NOTEBOOK_KINDS",
    "NOTEBOOK_RUNS",
    "TEACHING_PAGES",
    "notebook_dir",
    "notebook_file",
    "notebook_paths",
    "policy_text",
    "readable_file",
    "report_notebook",
    "template_dir",
]

#: The data directory commands read by default (relative to the working directory).
DEFAULT_DATA = Path("data/sample")
#: Where ``seller-health reports`` writes by default.
DEFAULT_REPORTS = Path("reports")
#: Where ``python -m toolkit.reports.notebooks run`` writes the executed notebooks.
NOTEBOOK_RUNS = DEFAULT_REPORTS / "notebooks"
#: Where ``python -m toolkit.reports.notebooks teaching-html`` writes its pages.
TEACHING_PAGES = DEFAULT_REPORTS / "teaching"
#: The sub-directory of a data directory that holds Amazon's report files (SP-API JSON).
AMAZON_REPORTS_DIR = "sp_api"
#: Sub-directories of the notebook directory that hold runnable notebooks.
NOTEBOOK_KINDS = ("teaching", "explore")

_PACKAGE = Path(str(resources.files("toolkit")))


def policy_text() -> str:
    """The shipped Amazon US policy, as TOML text."""
    return (resources.files("toolkit.model") / "policies" / "amazon_us.toml").read_text(
        encoding="utf-8"
    )


def template_dir() -> Path:
    """The nbconvert templates of the offline HTML pages."""
    return _PACKAGE / "reports" / "templates"


def notebook_dir() -> Path:
    """The notebooks shipped with the package, or ``notebooks/`` of a source checkout."""
    packaged = _PACKAGE / "_notebooks"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / "notebooks"


def report_notebook() -> Path:
    """The report template that ``seller-health reports`` executes per seller."""
    return notebook_dir() / "report.ipynb"


def notebook_paths(root: str | Path | None = None, *, kinds: Iterable[str] = NOTEBOOK_KINDS):
    """The ``.ipynb`` files under ``root/<kind>/`` for each kind, sorted by kind then name.

    ``root`` defaults to :func:`notebook_dir`.
    """
    base = notebook_dir() if root is None else Path(root)
    paths: list[Path] = []
    for kind in kinds:
        if kind not in NOTEBOOK_KINDS:
            raise ValueError(f"kind must be one of {NOTEBOOK_KINDS}, got {kind!r}")
        paths.extend(sorted((base / kind).glob("*.ipynb")))
    return paths


def readable_file(path: str | Path, *, what: str) -> Path:
    """``path`` resolved, after checking that it is a file that can be read.

    Raises
    ------
    ResourceError
        Naming ``what`` (for example "report template") and the path.
    """
    path = Path(path)
    if not path.is_file():
        found = (
            "a directory" if path.is_dir() else "not a regular file" if path.exists() else "missing"
        )
        raise ResourceError(f"{what} {path}: {found}, expected a readable file")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise ResourceError(f"{what} {path}: cannot be read ({exc.strerror})") from None
    return path.resolve()


def notebook_file(path: str | Path, *, what: str) -> Path:
    """``path`` resolved, after checking that it is a readable Jupyter notebook (format 4).

    Only the notebook's JSON is read (no Jupyter package is imported): the batch runner
    checks its template with this before it starts a worker.

    Raises
    ------
    ResourceError
        Naming ``what`` and the path: missing, a directory, unreadable, not UTF-8 JSON,
        or JSON that is not a notebook (no ``cells`` list, ``nbformat`` below 4, a cell
        without ``cell_type`` or ``source``).

    Examples
    --------
    >>> notebook_file(report_notebook(), what="report template").name
    'report.ipynb'
    """
    path = readable_file(path, what=what)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ResourceError(f"{what} {path}: not a notebook (not UTF-8: {exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ResourceError(
            f"{what} {path}: not a notebook (invalid JSON at line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg})"
        ) from None
    problem = _notebook_problem(nb)
    if problem:
        raise ResourceError(f"{what} {path}: not a notebook ({problem})")
    return path


def _notebook_problem(nb: object) -> str:
    """What keeps parsed JSON from being a notebook of format 4 or later ("" if nothing)."""
    if not isinstance(nb, dict):
        return f"the JSON is a {type(nb).__name__}, not an object"
    version = nb.get("nbformat")
    if not isinstance(version, int) or version < 4:
        return f"nbformat {version!r}, expected 4"
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return "no list of cells"
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or not {"cell_type", "source"} <= cell.keys():
            return f"cell {number} has no cell_type or source"
    return ""
