"""The batch runner: one HTML report per seller and an index page, computed once, rendered many.

:func:`run_reports` (the ``seller-health reports`` command) checks its inputs, reads and
validates the data, starts the pool of rendering workers, then runs four steps:

0. **load** (:func:`toolkit.reports.steps.load`): the policy, the data (validated and
   restricted to the sellers asked for), the report date and Amazon's report files: bad
   input raises here, before any worker or kernel starts;
1. **compute** (:func:`toolkit.reports.steps.compute`): every seller's report tables in
   one polars pass, while the workers' kernels warm up;
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

The output directory and the template are checked first, then the data: bad input
raises a :class:`~toolkit.model.errors.UsageError` and leaves nothing behind, and no
process has been started. One seller's failure does not stop the batch: it is listed on
the index and in ``run.json``, and :attr:`RunResult.failed` tells the caller to exit
non-zero. Every file is written atomically and the run directory only gets its final
name when it is complete, so an interrupted run leaves a ``.partial`` directory and never
a report that looks done.

**The runner owns its processes** (:class:`_Workers`). Workers are spawned with SIGINT
ignored (Ctrl-C is the main process's), hold the reading end of a *lifeline* pipe and
write their kernels' connection files into a directory of the batch's own. SIGINT,
SIGTERM and SIGHUP to the main process raise :class:`Interrupted`; on the way out the
runner closes the lifeline, which makes every worker kill its kernel and exit, sends
them SIGTERM, waits :data:`~toolkit.reports.settings.STOP_SECONDS` for them, kills any
left, and removes the connection-file directory. The tables are computed in a helper
thread (:class:`_Background`) so that a signal is handled at once; the computation is
waited for once the workers are gone (it cannot be cancelled). If the main process is killed outright (SIGKILL), the
operating system closes the lifeline for it and the workers do the same on their own.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from toolkit.model.errors import OptionError
from toolkit.model.resources import DEFAULT_DATA, DEFAULT_REPORTS, notebook_file, report_notebook
from toolkit.reports.kernel import KERNELS, render_one, start_worker, warm_up
from toolkit.reports.runs import kernel_dir
from toolkit.reports.settings import CELL_TIMEOUT, STOP_SECONDS, WORKERS_PER_CPU

# Only light imports up here: polars, the engine, altair and nbconvert are loaded when
# the data is read, and the workers load theirs on their own.

__all__ = ["Interrupted", "RunResult", "check_out", "render", "run_reports", "worker_count"]

#: The signals that stop a batch (each raises :class:`Interrupted` in the main thread).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

T = TypeVar("T")


class Interrupted(KeyboardInterrupt):
    """A batch stopped by SIGINT, SIGTERM or SIGHUP; its workers and kernels are stopped.

    ``signum`` is the signal; ``partial`` the unfinished run directory, if one was made.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.partial: Path | None = None


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


def _cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def worker_count(asked: int | None, reports: int, *, cpus: int | None = None) -> int:
    """How many rendering workers a batch of ``reports`` reports starts.

    Default: one per CPU available to this process, never more than there are reports.
    ``asked`` is cut to the number of reports; it may exceed the CPUs (a warning is
    printed on stderr), up to :data:`~toolkit.reports.settings.WORKERS_PER_CPU` per CPU;
    more is an OptionError. At least one.

    >>> worker_count(None, 12, cpus=2), worker_count(None, 1, cpus=2), worker_count(1000, 2, cpus=2)
    (2, 1, 2)
    """
    cpus = cpus or _cpus()
    if asked is None:
        return max(1, min(cpus, reports))
    if asked < 1:
        raise OptionError(f"--workers must be at least 1, got {asked}")
    count = max(1, min(asked, reports))
    most = WORKERS_PER_CPU * cpus
    plural = "s" * (cpus != 1)
    if count > most:
        raise OptionError(
            f"--workers {asked}: at most {most} on this machine ({WORKERS_PER_CPU} per CPU, "
            f"{cpus} CPU{plural}): each worker runs its own Jupyter kernel"
        )
    if count > cpus:
        print(
            f"seller-health reports: warning: {count} workers on {cpus} CPU{plural}: "
            "they share the CPUs and each keeps a kernel in memory",
            file=sys.stderr,
        )
    return count


class _Workers:
    """The batch's pool of rendering workers, which the batch owns until they are gone.

    A context manager: on entry the workers are spawned (with SIGINT ignored) and start
    warming their kernels; on a normal exit the pool is shut down and each worker stops
    its kernel; on any exception (an interruption included) the lifeline is closed, so
    every worker kills its kernel and exits at once, and workers still alive after
    :data:`~toolkit.reports.settings.STOP_SECONDS` are killed. Either way the directory
    of kernel connection files is removed.
    """

    def __init__(self, count: int, options: dict[str, Any]) -> None:
        self.count = count
        self.options = options
        self.pool: ProcessPoolExecutor | None = None
        self.kernel_dir: Path | None = None
        self._lifeline: Any = None

    def __enter__(self) -> _Workers:
        context = get_context("spawn")  # no fork of a process that runs polars threads
        self.kernel_dir = kernel_dir()
        reader, self._lifeline = context.Pipe(duplex=False)
        initializer = partial(
            start_worker,
            **self.options,
            kernel_dir=str(self.kernel_dir),
            lifeline=reader,
            parent=os.getpid(),
            threads=max(1, _cpus() // self.count),  # the kernels share the CPUs
        )
        try:
            with _sigint_ignored():  # inherited by the workers from their first instruction
                self.pool = ProcessPoolExecutor(
                    max_workers=self.count, mp_context=context, initializer=initializer
                )
                for _ in range(self.count):  # one warm-up each: a process per submission
                    self.pool.submit(warm_up)
        except BaseException:
            self._stop(abrupt=True)
            raise
        finally:
            reader.close()  # the workers have their copies
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self._stop(abrupt=kind is not None)

    def _stop(self, *, abrupt: bool) -> None:
        try:
            if self.pool is not None and not abrupt:
                self.pool.shutdown(wait=True)
        except BaseException:
            abrupt = True
            raise
        finally:
            if self._lifeline is not None:
                self._lifeline.close()  # the workers stop their kernels and exit
            if abrupt and self.pool is not None:
                self._reap()
            if self.kernel_dir is not None:
                shutil.rmtree(self.kernel_dir, ignore_errors=True)

    def _reap(self) -> None:
        """SIGTERM the workers, wait for them to go, kill those that do not, drop the pool."""
        assert self.pool is not None
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        for process in processes:  # also stops a worker still starting (no watch yet)
            process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join(1)
        self.pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored in this process for the block (main thread only; else unchanged)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` in the main thread for the block.

    Only the first signal raises: a second one (a second Ctrl-C, a service manager
    insisting) does not interrupt the clean-up the first one started. Outside the main
    thread nothing changes (signal handlers can only be set there).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised: list[int] = []

    def stop(signum: int, frame: Any) -> None:
        if not raised:
            raised.append(signum)
            raise Interrupted(signum)

    previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Background:
    """``func(*args, **kwargs)`` in a helper thread, waited for where a signal can interrupt.

    A long polars computation does not return to the interpreter until it is done, so a
    signal handler in the main thread could not run before it ends; waiting on a future
    is interrupted at once, so the workers are stopped at once. A computation cannot be
    cancelled, though: :meth:`join` waits for it to end (the batch does so once its
    workers are gone), so that no thread is left computing when the process exits.
    """

    def __init__(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> None:
        self._box: Future[T] = Future()
        self._thread = threading.Thread(
            target=self._run, args=(func, args, kwargs), name="seller-health-compute"
        )
        self._thread.start()

    def _run(self, func: Callable[..., T], args: tuple, kwargs: dict) -> None:
        try:
            self._box.set_result(func(*args, **kwargs))
        except BaseException as exc:
            self._box.set_exception(exc)

    def result(self) -> T:
        """The result (or the exception) of the computation, once it is done."""
        return self._box.result()

    def join(self) -> None:
        """Wait until the computation has ended."""
        self._thread.join()


def render(tasks: list[dict], *, pool: ProcessPoolExecutor, progress: bool) -> list[dict]:
    """Render every task in ``pool``.

    Returns each task with its ``status``, ``error`` and ``seconds``, in the order of
    ``tasks``; a worker that died makes its seller a failure, never the batch's.
    """
    bar = tqdm(total=len(tasks), desc="reports", unit="seller", disable=not progress)
    done: list[dict] = []
    try:
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
        Processes rendering in parallel, each with its own kernel (:func:`worker_count`:
        by default one per CPU available, never more than there are reports).
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
        ``"reuse"`` (each worker keeps one kernel) or ``"fresh"`` (a new kernel per
        report; slower, kept for comparison).
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
        :class:`~toolkit.model.policy.PolicyError`, an unknown seller, a report date too
        near the ends of the calendar, an output directory that cannot be written, a
        report template that is missing or not a notebook, ...): raised before any
        process starts and before anything is written.
    Interrupted
        SIGINT, SIGTERM or SIGHUP arrived (in the main thread): the workers and their
        kernels are stopped, and an unfinished run is left as ``<run>.partial``.
    """
    with _stop_on_signals():
        return _run(
            data=data,
            out=out,
            as_of=as_of,
            sellers=sellers,
            workers=workers,
            policy=policy,
            reconciliation=reconciliation,
            notebook=notebook,
            kernel=kernel,
            timeout=timeout,
            progress=progress,
        )


def _run(
    *,
    data: str | Path,
    out: str | Path,
    as_of: date | None,
    sellers: list[str] | None,
    workers: int | None,
    policy: str | Path | None,
    reconciliation: str | Path | None,
    notebook: str | Path | None,
    kernel: str,
    timeout: int,
    progress: bool,
) -> RunResult:
    started, clock = datetime.now(UTC), time.perf_counter()
    if kernel not in KERNELS:
        raise OptionError(f"kernel must be one of {', '.join(KERNELS)}, got {kernel!r}")
    out = check_out(out)
    template = notebook_file(notebook or report_notebook(), what="report template")
    options = {"notebook": str(template), "kernel": kernel, "timeout": timeout}
    # Imported only now: polars, the engine and altair.
    from toolkit.reports import steps

    loaded = steps.load(
        data=data, as_of=as_of, sellers=sellers, policy=policy, reconciliation=reconciliation
    )
    count = worker_count(workers, loaded.reports)
    written, computing = None, None
    try:
        with _Workers(count, options) as pool:  # kernels warm up while the tables are computed
            try:
                computing = _Background(steps.compute, loaded)
                computed = computing.result()
                times = [time.perf_counter()]
                written = steps.write(computed, out=out, started=started, policy=policy)
                times.append(time.perf_counter())
                rendered = render(written.tasks, pool=pool.pool, progress=progress)
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
                    "workers": count,
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
            except Interrupted as exc:
                exc.partial = written.partial if written is not None else None
                raise
            finally:
                if written is not None:
                    written.lock.release()
    finally:
        if computing is not None:  # interrupted while computing: the workers are gone now
            computing.join()
    return RunResult(directory=directory, reports=run["reports"], seconds=seconds)
