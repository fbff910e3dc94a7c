"""The batch runner: one HTML report per seller and an index page, computed once, rendered many.

:func:`run_reports` (the ``seller-health reports`` command) checks its inputs, starts the
pool of rendering workers, then runs four steps:

1. **compute** (:func:`toolkit.reports.steps.compute`): read and validate the data once,
   restrict it to the sellers asked for, and compute every seller's report tables in one
   polars pass;
2. **write** (:func:`toolkit.reports.steps.write`): write each seller's slice once, as
   Parquet, under ``<run>.partial/results/<name>/``;
3. **render** (:func:`render`): execute the report template per seller in the pool: the
   parameters are injected by papermill (``injected-parameters`` cell), and each worker
   keeps one started Jupyter kernel and runs notebook after notebook in it with nbclient
   (:mod:`toolkit.reports.kernel`); each executed notebook becomes ``<name>.html``;
4. **finish** (:func:`toolkit.reports.steps.finish`): write ``index.html`` (sellers worst
   first, failures with their error) and ``run.json`` (parameters, versions, per-seller
   status and timing), rename ``<run>.partial`` to ``<run>`` and point ``<out>/latest``
   at it.

The output directory and the template are checked before anything starts, and the data
before anything is written: bad input raises a :class:`~toolkit.model.errors.UsageError`
and leaves nothing behind. One seller's failure does not stop the batch: it is listed on
the index and in ``run.json``, and :attr:`RunResult.failed` tells the caller to exit
non-zero. Every file is written atomically and the run directory only gets its final
name when it is complete, so an interrupted run leaves a ``.partial`` directory and never
a report that looks done.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from tqdm import tqdm

from toolkit.model.errors import OptionError
from toolkit.model.resources import DEFAULT_DATA, DEFAULT_REPORTS, notebook_file, report_notebook
from toolkit.reports.kernel import KERNELS, render_one, start_worker, stop_worker, warm_up
from toolkit.reports.settings import CELL_TIMEOUT

# Only light imports up here: the worker pool starts (and its kernels warm up) before
# polars, the engine, altair or nbconvert are loaded in this process.

__all__ = ["RunResult", "check_out", "render", "run_reports"]


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


def check_out(out: str | Path) -> Path:
    """``out`` as a path, after checking that run directories can be created in it.

    Nothing is created: ``out`` may not exist yet, but its nearest existing ancestor must
    be a directory this process can write to.

    Raises
    ------
    toolkit.model.errors.OptionError
        Naming ``out`` and what is in the way.
    """
    out = Path(out)
    found = out
    while not found.exists() and found.parent != found:
        found = found.parent
    where = "" if found == out else f" ({found})"
    if not found.is_dir():
        raise OptionError(f"output directory {out}: {found} is not a directory")
    if not os.access(found, os.W_OK | os.X_OK):
        raise OptionError(f"output directory {out}: cannot write there{where}")
    return out


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


def render(
    tasks: list[dict], *, pool: ProcessPoolExecutor | None, options: dict, progress: bool
) -> list[dict]:
    """Render every task in ``pool``, or in this process when there is none.

    Returns each task with its ``status``, ``error`` and ``seconds``, in the order of
    ``tasks``; a worker that died makes its seller a failure, never the batch's.
    """
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
        else:
            futures = {pool.submit(render_one, task): task for task in tasks}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    done.append(future.result())
                except Exception as exc:  # a worker died: the seller is a failure
                    error = f"{type(exc).__name__}: {exc}"
                    done.append({**task, "status": "failed", "error": error})
                bar.update()
    finally:
        bar.close()
    order = {task["name"]: i for i, task in enumerate(tasks)}
    return sorted(done, key=lambda r: order[r["name"]])


def run_reports(
    *,
    data: str | Path = DEFAULT_DATA,
    out: str | Path = DEFAULT_REPORTS,
    as_of: date | None = None,
    sellers: list[str] | None = None,
    workers: int | None = None,
    policy: str | Path | None = None,
    reconciliation: str | Path | None = None,
    notebook: str | Path | None = None,
    kernel: str = "reuse",
    timeout: int = CELL_TIMEOUT,
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
    toolkit.model.errors.UsageError
        Bad input (a :class:`~toolkit.model.data.DataError`,
        :class:`~toolkit.model.policy.PolicyError`, an unknown seller, an output
        directory that cannot be written, a report template that is missing or not a
        notebook, ...): raised before anything is written.
    """
    started, clock = datetime.now(UTC), time.perf_counter()
    if kernel not in KERNELS:
        raise OptionError(f"kernel must be one of {', '.join(KERNELS)}, got {kernel!r}")
    out = check_out(out)
    template = notebook_file(notebook or report_notebook(), what="report template")
    options = {"notebook": str(template), "kernel": kernel, "timeout": timeout}
    workers = workers or os.cpu_count() or 1
    if sellers:
        workers = min(workers, len(sellers))
    pool = _start_pool(workers, options)  # kernels warm up while the results are computed
    try:
        # Imported only now (polars, the engine, altair), while the pool's kernels warm up.
        from toolkit.reports import steps

        computed = steps.compute(
            data=data, as_of=as_of, sellers=sellers, policy=policy, reconciliation=reconciliation
        )
        times = [time.perf_counter()]
        written = steps.write(computed, out=out, started=started, policy=policy)
        times.append(time.perf_counter())
        rendered = render(written.tasks, pool=pool, options=options, progress=progress)
        times.append(time.perf_counter())
        seconds = {
            "compute": round(times[0] - clock, 3),
            "write_results": round(times[1] - times[0], 3),
            "render": round(times[2] - times[1], 3),
            "total": round(times[2] - clock, 3),
        }
        parameters = {
            "data": str(data),
            "out": str(out),
            "sellers": sellers,
            "workers": workers,
            "kernel": kernel,
            "policy": {"name": computed.policy.name, "source": computed.policy.source},
            "reconciliation": str(reconciliation) if reconciliation else None,
            "notebook": str(template),
        }
        directory, run = steps.finish(
            computed,
            written,
            rendered,
            out=out,
            parameters=parameters,
            started=started,
            seconds=seconds,
        )
        return RunResult(directory=directory, reports=run["reports"], seconds=seconds)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
