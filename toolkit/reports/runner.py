"""The batch runner: one HTML report per seller and an index page, computed once, rendered many.

:func:`run_reports` (the ``seller-health reports`` command):

1. reads and validates the data once and computes every seller's report tables in one
   polars pass (:func:`toolkit.reports.results.report_tables`);
2. writes each seller's slice once, as Parquet, under ``<run>.partial/results/<name>/``;
3. executes ``notebooks/report.ipynb`` per seller in a process pool: the parameters are
   injected by papermill (``injected-parameters`` cell), and each worker keeps one
   started Jupyter kernel and runs notebook after notebook in it with nbclient (the
   namespace is reset between sellers; imports, vl-convert and the theme stay warm);
4. converts each executed notebook with :func:`toolkit.charts.html.notebook_to_html` (code and
   parameters hidden, charts as inline SVG) into ``<name>.html``;
5. writes ``index.html`` (sellers worst first, failures with their error) and
   ``run.json`` (parameters, versions, per-seller status and timing), renames
   ``<run>.partial`` to ``<run>`` and points ``<out>/latest`` at it.

One seller's failure does not stop the batch: it is listed on the index and in
``run.json``, and :attr:`RunResult.failed` tells the caller to exit non-zero. Every file is
written atomically and the run directory only gets its final name when it is complete,
so an interrupted run leaves a ``.partial`` directory and never a report that looks done.
"""

from __future__ import annotations

import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from toolkit.model.resources import readable_file, report_notebook
from toolkit.reports.kernel import render_one, start_worker, stop_worker, warm_up

# Only light imports up here: the worker pool starts (and its kernels warm up) before
# polars, the engine, altair or nbconvert are loaded in this process.

__all__ = ["RunResult", "run_reports"]

_PACKAGES = (
    "seller-health",
    "polars",
    "pyarrow",
    "altair",
    "vl-convert-python",
    "papermill",
    "nbclient",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "jupyter-client",
)


@dataclass
class RunResult:
    """What a batch produced: the run directory and one entry per seller report."""

    directory: Path
    reports: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The reports that failed, with their ``error``."""
        return [r for r in self.reports if r["status"] != "ok"]


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _run_name(as_of: date, now: datetime) -> str:
    """``2026-11-15_20261126T081500Z``: the as-of date, then when the run started (UTC)."""
    return f"{as_of.isoformat()}_{now:%Y%m%dT%H%M%SZ}"


def _fresh_dir(out: Path, name: str) -> tuple[str, Path]:
    """A run name whose final and partial directories are both free."""
    candidate, n = name, 1
    while (out / candidate).exists() or (out / f"{candidate}.partial").exists():
        n += 1
        candidate = f"{name}-{n}"
    partial = out / f"{candidate}.partial"
    partial.mkdir(parents=True)
    return candidate, partial


def _point_latest(out: Path, name: str) -> None:
    """Make ``out/latest`` a symlink to ``name`` (atomically), or a small file naming it."""
    from toolkit.model.output import atomic_path

    link = out / "latest"
    tmp = out / f".latest.{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(name, target_is_directory=True)
        if link.is_dir() and not link.is_symlink():
            raise OSError(f"{link} is a directory")
        os.replace(tmp, link)
    except OSError:
        if tmp.is_symlink():
            tmp.unlink()
        with atomic_path(out / "LATEST") as path:
            path.write_text(name + "\n", encoding="utf-8")


def _start_pool(workers: int, options: dict) -> ProcessPoolExecutor | None:
    """A pool of ``workers`` processes whose kernels start warming up right away.

    ``None`` for one worker: reports are then rendered in this process.
    """
    if workers <= 1:
        return None
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),  # no fork of a process that runs polars threads
        initializer=partial(start_worker, **options),
    )
    for _ in range(workers):  # one warm-up each: the pool spawns a process per submission
        pool.submit(warm_up)
    return pool


def _render_all(
    tasks: list[dict], *, pool: ProcessPoolExecutor | None, options: dict, progress: bool
) -> list[dict]:
    """Render every task in ``pool``, or in this process when there is none."""
    from tqdm import tqdm

    bar = tqdm(total=len(tasks), desc="reports", unit="seller", disable=not progress)
    done: list[dict] = []
    try:
        if pool is None:
            start_worker(**options)
            try:
                for task in tasks:
                    done.append(render_one(task))
                    bar.update()
            finally:
                stop_worker()
            return done
        futures = {pool.submit(render_one, task): task for task in tasks}
        # The index needs the theme's colours (altair, seconds to import): load them now,
        # while the workers render, not after the last report.
        import toolkit.reports.index  # noqa: F401

        for future in as_completed(futures):
            task = futures[future]
            try:
                done.append(future.result())
            except Exception as exc:  # a worker died: the seller is a failure
                done.append({**task, "status": "failed", "error": f"{type(exc).__name__}: {exc}"})
            bar.update()
        return done
    finally:
        bar.close()


def run_reports(
    *,
    data: str | Path = "data/sample",
    out: str | Path = "reports",
    as_of: date | None = None,
    sellers: list[str] | None = None,
    workers: int | None = None,
    policy: str | Path | None = None,
    reconciliation: str | Path | None = None,
    notebook: str | Path | None = None,
    kernel: str = "reuse",
    timeout: int = 600,
    progress: bool = True,
) -> RunResult:
    """Render one HTML report per seller of ``data`` and an index page into ``out/<run>/``.

    Parameters
    ----------
    data
        The data directory.
    out
        Where run directories go; ``out/latest`` points at the last complete run.
    as_of
        The report date; default the last date in the data.
    sellers
        Seller ids to report on (default every seller).
    workers
        Processes rendering in parallel, each with its own kernel (default: the number of
        cores).
    policy
        A policy TOML file (default the shipped Amazon US policy).
    reconciliation
        A reconciliation table (``.parquet``/``.csv`` with ``seller_id``); by default the
        SP-API report files under ``<data>/sp_api/`` are reconciled. Shown in each
        seller's report; without it the reports say no Amazon report was supplied.
    notebook
        The report template (default: the shipped ``report.ipynb``); checked before any
        worker starts.
    kernel
        ``"reuse"`` (each worker keeps one kernel) or ``"fresh"`` (papermill starts a
        kernel per report; slower, kept for comparison).
    timeout
        Seconds a single notebook cell may run.
    progress
        Show a progress bar (tqdm, on stderr).

    Returns
    -------
    RunResult
        The run directory and each report's status, error and timing.

    Raises
    ------
    toolkit.model.data.DataError, toolkit.model.policy.PolicyError, ValueError
        Bad input (nothing is written).
    """
    from toolkit.model.data import read_data

    started, clock = datetime.now(UTC), time.perf_counter()
    template = readable_file(notebook or report_notebook(), what="report template")
    options = {"notebook": str(template), "kernel": kernel, "timeout": timeout}
    workers = workers or os.cpu_count() or 1
    if sellers:
        workers = min(workers, len(sellers))
    pool = _start_pool(workers, options)  # kernels warm up while the results are computed
    try:
        import polars as pl

        from toolkit.model.output import atomic_path
        from toolkit.model.policy import load_policy
        from toolkit.reports import results as report_data

        loaded = load_policy(policy)
        dataset = read_data(data).collect().for_sellers(sellers)
        day = as_of or report_data.last_data_date(dataset)
        tables = report_data.report_tables(dataset, as_of=day, policy=loaded)
        frames = dict(zip(tables, pl.collect_all(list(tables.values())), strict=True))
        if reconciliation:
            recon = report_data.read_reconciliation(reconciliation)
        else:  # Amazon's own reports next to the data, if any (data/sample has some)
            recon = report_data.reconcile_reports(data, dataset, as_of=day, policy=loaded)
        computed = time.perf_counter()

        out = Path(out)
        name, partial = _fresh_dir(out, _run_name(day, started))
        labels = report_data.report_labels(frames["summary"])
        slices = report_data.write_results(frames, partial / "results", labels=labels)
        if recon is not None:
            report_data.write_results({"reconciliation": recon}, partial / "results", labels=labels)
        source = (
            f"computed for all sellers by seller-health reports from {data} "
            f"(policy {loaded.name}) at {started:%Y-%m-%d %H:%M} UTC"
        )
        for directory in slices.values():
            with atomic_path(directory / "meta.json") as path:
                path.write_text(json.dumps({"source": source, "run": name}), encoding="utf-8")
        tasks = [
            {
                "seller_id": seller_id,
                "marketplace": marketplace,
                "label": label,
                "name": stem,
                "results": str(slices[stem].resolve()),
                "policy": str(Path(policy).resolve()) if policy else "",
                "html": str((partial / f"{stem}.html").resolve()),
                "title": f"{label}: account health as of {day.isoformat()}",
            }
            for seller_id, marketplace, label, stem in labels.iter_rows()
        ]
        written = time.perf_counter()
        rendered = _render_all(tasks, pool=pool, options=options, progress=progress)
        order = {task["name"]: i for i, task in enumerate(tasks)}
        rendered.sort(key=lambda r: order[r["name"]])
        reports = [
            {
                "seller_id": r["seller_id"],
                "marketplace": r["marketplace"],
                "label": r["label"],
                "file": f"{r['name']}.html" if r["status"] == "ok" else None,
                "status": r["status"],
                "error": r.get("error"),
                "seconds": r.get("seconds"),
            }
            for r in rendered
        ]
        finished = time.perf_counter()
        seconds = {
            "compute": round(computed - clock, 3),
            "write_results": round(written - computed, 3),
            "render": round(finished - written, 3),
            "total": round(finished - clock, 3),
        }
        run = {
            "run": name,
            "state": "complete",
            "as_of": day.isoformat(),
            "parameters": {
                "data": str(data),
                "out": str(out),
                "sellers": sellers,
                "workers": workers,
                "kernel": kernel,
                "policy": {"name": loaded.name, "source": loaded.source},
                "reconciliation": str(reconciliation) if reconciliation else None,
                "notebook": str(template),
            },
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": seconds,
            "versions": _versions(),
            "counts": {
                "sellers": len(reports),
                "ok": sum(r["status"] == "ok" for r in reports),
                "failed": sum(r["status"] != "ok" for r in reports),
            },
            "reports": reports,
        }
        with atomic_path(partial / "index.html") as path:
            from toolkit.reports.index import index_page

            page = index_page(frames["summary"], reports, run=run)
            path.write_text(page, encoding="utf-8")
        with atomic_path(partial / "run.json") as path:
            path.write_text(json.dumps(run, indent=2, default=str) + "\n", encoding="utf-8")
        final = out / name
        os.replace(partial, final)
        _point_latest(out, name)
        return RunResult(directory=final, reports=reports, seconds=seconds)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
