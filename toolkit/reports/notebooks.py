"""Run the teaching and exploration notebooks, and export the teaching ones as offline HTML.

The notebooks live in ``notebooks/teaching/`` and ``notebooks/explore/`` (outputs stripped
in git). Each one runs top to bottom on ``data/sample`` from its own directory, which is
how JupyterLab runs it too, so relative paths in its ``parameters`` cell work in both.

- :func:`execute_notebook` runs one notebook with papermill (working directory = the
  notebook's directory, kernel ``python3``: the Python that runs this code), injecting only
  the parameters the notebook declares.
- :func:`run_notebooks` runs every notebook and writes the executed copies
  (``make notebooks``).
- :func:`export_teaching_html` runs the teaching notebooks and writes one page each, plus
  an index, with :func:`toolkit.charts.html.notebook_to_html` (``make teaching-html``). The pages
  open offline: the notebooks display :func:`toolkit.charts.html.enable_offline_interactive`
  once, so the Vega bundle is inlined once per page and the sliders keep working.

Command line (from the repository root)::

    python -m toolkit.reports.notebooks run --out reports/notebooks
    python -m toolkit.reports.notebooks teaching-html --out reports/teaching [--as-of 2026-11-01]

Both take ``--workers N`` (notebooks run at a time, each in its own kernel), ``--data DIR``
and ``--as-of D`` (injected into every notebook that declares them).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from html import escape
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from toolkit.model.output import atomic_path
from toolkit.model.resources import NOTEBOOK_KINDS, NOTEBOOK_RUNS, TEACHING_PAGES, notebook_paths
from toolkit.reports.settings import KERNEL_NAME, NOTEBOOK_TIMEOUT

__all__ = [
    "execute_notebook",
    "export_teaching_html",
    "main",
    "notebook_title",
    "run_notebooks",
]


def notebook_title(nb: Any) -> str:
    """The text of the first level-one Markdown heading (``# ...``), or ``"Notebook"``.

    Examples
    --------
    >>> from nbformat.v4 import new_markdown_cell, new_notebook
    >>> notebook_title(new_notebook(cells=[new_markdown_cell("Intro\\n# What *ODR* counts")]))
    'What ODR counts'
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].strip().replace("*", "").replace("`", "")
    return "Notebook"


def execute_notebook(
    path: str | Path,
    *,
    output: str | Path | None = None,
    parameters: Mapping[str, Any] | None = None,
    timeout: int = NOTEBOOK_TIMEOUT,
) -> Any:
    """Run a notebook top to bottom from its own directory; return the executed notebook.

    Parameters
    ----------
    path
        The ``.ipynb`` file (not modified).
    output
        Where to write the executed copy (default: nowhere).
    parameters
        Values for the notebook's ``parameters`` cell. Names the notebook does not
        declare are dropped (a batch can pass ``seller`` to every notebook), so papermill
        never injects unknown names.
    timeout
        Seconds allowed per cell.

    Raises
    ------
    papermill.PapermillExecutionError
        When a cell fails (the executed copy, if written, shows where).
    """
    import papermill

    path = Path(path).resolve()
    declared = {p["name"] for p in papermill.inspect_notebook(str(path)).values()}
    injected = {k: v for k, v in (parameters or {}).items() if k in declared}
    if output is not None:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
    return papermill.execute_notebook(
        str(path),
        None if output is None else str(output),
        parameters=injected,
        cwd=str(path.parent),
        kernel_name=KERNEL_NAME,
        progress_bar=False,
        request_save_on_cell_execute=False,
        execution_timeout=timeout,
    )


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parameters(data: str | Path | None, as_of: str | None) -> dict[str, str]:
    """Parameters for every notebook: an absolute data path, since each runs in its own dir."""
    values = {}
    if data is not None:
        values["data"] = str(Path(data).resolve())
    if as_of is not None:
        values["as_of"] = as_of
    return values


def _map(task: Callable[..., Any], jobs: list[tuple], workers: int) -> list[Any]:
    """``task(*job)`` for every job, in order; in ``workers`` processes when more than one.

    Processes are spawned, not forked: the parent may hold polars' thread pool.
    """
    if workers <= 1 or len(jobs) <= 1:
        return [task(*job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        return list(pool.map(task, *zip(*jobs, strict=True)))


def _run_one(path: Path, target: Path, parameters: Mapping[str, Any] | None) -> str | None:
    """Execute one notebook into ``target``; the error text, or ``None`` when it ran."""
    try:
        execute_notebook(path, output=target, parameters=parameters)
    except Exception as exc:  # a failed notebook is reported, the batch goes on
        return f"{type(exc).__name__}: {exc}"
    return None


def run_notebooks(
    out_dir: str | Path = NOTEBOOK_RUNS,
    *,
    root: str | Path | None = None,
    kinds: Iterable[str] = NOTEBOOK_KINDS,
    parameters: Mapping[str, Any] | None = None,
    workers: int = 1,
) -> tuple[list[Path], dict[Path, str]]:
    """Run every notebook of ``kinds``; write the executed copies to ``out_dir/<kind>/``.

    Returns the written paths and, per notebook that failed, its error (one failure never
    stops the others; the executed copy of a failed notebook is written too, showing the
    failing cell). ``workers`` notebooks run at a time, each in its own kernel.
    """
    paths = notebook_paths(root, kinds=kinds)
    targets = [Path(out_dir) / path.parent.name / path.name for path in paths]
    errors = _map(
        _run_one, [(p, t, parameters) for p, t in zip(paths, targets, strict=True)], workers
    )
    written = [t for t, e in zip(targets, errors, strict=True) if e is None]
    failed = {p: e for p, e in zip(paths, errors, strict=True) if e is not None}
    return written, failed


def _index(pages: list[tuple[str, str]]) -> str:
    items = "\n".join(
        f'<li><a href="{escape(name)}">{escape(title)}</a></li>' for name, title in pages
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">\n'
        "<title>Seller account health: teaching notebooks</title></head>\n"
        '<body style="font-family: sans-serif; max-width: 50em; margin: 2em auto">\n'
        "<h1>Seller account health: teaching notebooks</h1>\n"
        "<p>Each page opens offline; the charts with a slider are interactive.</p>\n"
        f"<ol>\n{items}\n</ol>\n</body>\n</html>\n"
    )


def _export_one(
    path: Path, target: Path, parameters: Mapping[str, Any] | None
) -> tuple[str | None, str | None]:
    """Execute one teaching notebook and write its page: ``(title, None)`` or ``(None, error)``."""
    # Here, not at the top: altair and nbconvert load only in the processes that export.
    from toolkit.charts.html import notebook_to_html

    try:
        nb = execute_notebook(path, parameters=parameters)
        title = notebook_title(nb)
        page = notebook_to_html(nb, title=title)
    except Exception as exc:  # reported by the caller; the other notebooks still export
        return None, f"{type(exc).__name__}: {exc}"
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return title, None


def export_teaching_html(
    out_dir: str | Path = TEACHING_PAGES,
    *,
    root: str | Path | None = None,
    parameters: Mapping[str, Any] | None = None,
    workers: int = 1,
) -> tuple[list[Path], dict[Path, str]]:
    """Run each teaching notebook and write it as one offline HTML page, plus ``index.html``.

    Returns the written pages (index last) and, per notebook that failed, its error.
    Pages are written atomically: a failed notebook leaves no page behind (and an old page
    of it, from an earlier run, is removed so the index and the directory agree).
    """
    out = Path(out_dir)
    paths = notebook_paths(root, kinds=["teaching"])
    targets = [out / f"{path.stem}.html" for path in paths]
    results = _map(
        _export_one, [(p, t, parameters) for p, t in zip(paths, targets, strict=True)], workers
    )
    written: list[Path] = []
    failed: dict[Path, str] = {}
    pages: list[tuple[str, str]] = []
    for path, target, (title, error) in zip(paths, targets, results, strict=True):
        if error is not None:
            failed[path] = error
            target.unlink(missing_ok=True)
            continue
        written.append(target)
        pages.append((target.name, title))
    index = out / "index.html"
    with atomic_path(index) as tmp:
        tmp.write_text(_index(pages), encoding="utf-8")
    written.append(index)
    return written, failed


def main(argv: list[str] | None = None) -> int:
    """``python -m toolkit.reports.notebooks {run,teaching-html}``; exit status 1 if any notebook failed."""
    parser = argparse.ArgumentParser(
        prog="python -m toolkit.reports.notebooks",
        description="Run the teaching and exploration notebooks, or export the teaching ones.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute every notebook; write the executed copies")
    run.add_argument("--out", type=Path, default=NOTEBOOK_RUNS)
    html = sub.add_parser("teaching-html", help="teaching notebooks as offline HTML pages")
    html.add_argument("--out", type=Path, default=TEACHING_PAGES)
    for command in (run, html):
        command.add_argument(
            "--notebooks",
            type=Path,
            default=None,
            help="notebook directory (default: the shipped one)",
        )
        command.add_argument("--data", type=Path, default=None, help="data directory")
        command.add_argument("--as-of", type=_date, default=None, help="as-of date YYYY-MM-DD")
        command.add_argument("--workers", type=int, default=1, help="notebooks run at a time")
    args = parser.parse_args(argv)
    parameters = _parameters(args.data, args.as_of)
    task = run_notebooks if args.command == "run" else export_teaching_html
    written, failed = task(
        args.out, root=args.notebooks, parameters=parameters, workers=args.workers
    )
    for path in written:
        print(f"wrote {path}")
    for path, error in failed.items():
        print(f"FAILED {path}: {error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
