"""Executing the report notebook per seller, in a kernel that stays started (private).

Each batch worker process calls :func:`start_worker` once and :func:`render_one` per seller.
With ``kernel="reuse"`` the worker starts one Jupyter kernel and executes notebook after
notebook in it with nbclient: papermill injects the parameters (the usual
``injected-parameters`` cell) and a hidden first cell runs ``%reset -f``, so no variable
survives from one seller to the next while imports, vl-convert's engine and the chart
theme stay loaded (a fresh kernel spends seconds on those before the first chart). The
kernel is replaced after :data:`~toolkit.reports.settings.RESTART_EVERY` notebooks, and
whenever it died or a cell timed out. With ``kernel="fresh"`` every report is executed
in a new kernel (for comparison).

The batch runner imports this module before it starts its workers, so everything heavy
(papermill, nbclient, nbconvert, altair) is imported inside the functions that run in a
worker: the main process goes on computing while the workers load it.

**Owned by the batch.** A worker writes its kernels' connection files into the batch's
own directory (``kernel_dir``) and watches a *lifeline*, a pipe whose other end only the
batch's main process holds. When the main process closes it, or dies in any way
(SIGKILL included: the operating system closes the pipe), or when the worker's parent
changes, the worker kills its kernel's process group, removes its connection files and
exits at once (:func:`stop_now`); SIGTERM and SIGHUP to the worker do the same. Ctrl-C
is for the main process alone: workers ignore SIGINT.
"""

from __future__ import annotations

import atexit
import copy
import os
import signal
import subprocess
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from toolkit.reports.settings import CELL_TIMEOUT, KERNEL_NAME, RESTART_EVERY

__all__ = ["KERNELS", "render_one", "start_worker", "stop_now", "warm_up"]

#: How a worker runs notebooks: one kept kernel, or a new one per report.
KERNELS = ("reuse", "fresh")
_RESET = "get_ipython().run_line_magic('reset', '-f')"
#: What a report needs loaded before its first chart: run once per kernel, ahead of time.
#: Then everything loaded so far is moved out of the garbage collector's sight
#: (``gc.freeze``): the ``%reset -f`` before each report runs a full collection, which
#: otherwise walks the ~200,000 objects of altair, polars and the toolkit every time
#: (about 0.1 s of CPU per report).
_WARM_UP = """\
import altair as alt
import polars as pl
from toolkit import charts
from toolkit.charts import html
from toolkit.reports import view as report_view
html.enable_offline_svg()
html.svg_chart(alt.Chart(pl.DataFrame({"x": [1, 2]})).mark_point().encode(x="x"))
import gc
gc.collect()
gc.freeze()
del gc
"""

#: Seconds between two looks at the parent process (the lifeline wakes the watch at once).
_WATCH_SECONDS = 0.5

_worker: _Worker | None = None


def _error_text(exc: BaseException) -> str:
    """``KeyError: 'x'`` from a cell error (nbclient or papermill), else the exception."""
    ename = getattr(exc, "ename", None)
    if ename:
        return f"{ename}: {getattr(exc, 'evalue', '')}".strip()
    return f"{type(exc).__name__}: {exc}".strip()


class _Worker:
    """One worker's template notebook and its started kernel (kept when reusing)."""

    def __init__(
        self,
        notebook: str,
        kernel: str,
        timeout: int,
        kernel_dir: str | None = None,
        threads: int | None = None,
    ) -> None:
        from papermill.iorw import load_notebook_node

        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
        self.path = notebook
        self.template = load_notebook_node(notebook)  # as papermill reads it (tags added)
        self.reuse = kernel == "reuse"
        self.timeout = timeout
        self.kernel_dir = kernel_dir
        self.km: Any = None
        self.kc: Any = None
        self.runs = 0
        self.started = 0  # kernels started by this worker (names their connection files)
        self.owned = False  # a batch's pool worker: the signals are ours to set
        self.env = kernel_environment(threads)

    def _manager(self) -> Any:
        """A kernel manager whose connection file goes into the batch's ``kernel_dir``."""
        from jupyter_client.manager import AsyncKernelManager

        km = AsyncKernelManager(kernel_name=KERNEL_NAME)
        self.started += 1
        if self.kernel_dir:
            name = f"kernel-{os.getpid()}-{self.started}.json"
            km.connection_file = str(Path(self.kernel_dir) / name)
        return km

    def kill(self) -> None:
        """Kill the kernel's process group at once and remove this worker's connection files.

        Only system calls, no event loop: safe from the watch thread and from a signal
        handler, whatever the main thread is doing.
        """
        km = self.km
        provisioner = getattr(km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is not None and process.returncode is None:
            pgid = getattr(provisioner, "pgid", None)
            with suppress(OSError):
                if pgid and pgid != os.getpgrp():  # the kernel leads its own session
                    os.killpg(pgid, signal.SIGKILL)
                else:
                    os.kill(process.pid, signal.SIGKILL)
        if km is not None:
            with suppress(OSError, TypeError):
                os.unlink(km.connection_file)
        if self.kernel_dir:
            for path in Path(self.kernel_dir).glob(f"kernel-{os.getpid()}-*.json"):
                with suppress(OSError):
                    path.unlink()
            with suppress(OSError):  # the last worker out removes the directory
                os.rmdir(self.kernel_dir)

    def _parameterized(self, parameters: dict[str, Any]):
        from papermill.parameterize import parameterize_notebook

        nb = parameterize_notebook(
            copy.deepcopy(self.template), parameters, kernel_name=KERNEL_NAME, language="python"
        )
        return nb

    def shutdown(self) -> None:
        """Stop the kernel client and the kernel (if any)."""
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            with suppress(Exception):  # best effort on a dead kernel
                self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            with suppress(Exception):
                run_sync(self.km.shutdown_kernel)(now=True)
        self.km, self.kc, self.runs = None, None, 0

    def _execute(self, nb) -> Any:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
        from nbformat.v4 import new_code_cell

        if self.km is None or self.runs >= RESTART_EVERY:
            self.shutdown()
            self.km = self._manager()
        reset = new_code_cell(_RESET, metadata={"tags": ["remove-cell"]})
        nb.cells.insert(0, reset)
        client = NotebookClient(nb, km=self.km, timeout=self.timeout, kernel_name=KERNEL_NAME)
        client.kc = self.kc
        try:
            # The kernel's own stderr (ipykernel's start-up warnings) would interleave with
            # the progress bar; cell errors reach us through the kernel's messages anyway.
            client.execute(cwd=str(Path.cwd()), stderr=subprocess.DEVNULL, env=self.env)
        except CellExecutionError:
            raise  # the kernel is fine: keep it
        except Exception:
            self.kc = client.kc
            self.shutdown()  # dead kernel or timeout: start a new one next time
            raise
        finally:
            if self.km is not None:
                self.kc = client.kc
                self.runs += 1
            nb.cells.remove(reset)
            if self.owned:
                _own_signals()  # nbclient put the default handlers back
        return nb

    def warm(self) -> None:
        """Start a kernel if there is none (or it is due for replacement) and warm it up.

        Never raises: a kernel that fails here fails again, with the error, on the
        report that follows.
        """
        from nbformat.v4 import new_code_cell, new_notebook

        if self.km is not None and self.runs < RESTART_EVERY:
            return
        with suppress(Exception):
            self._execute(new_notebook(cells=[new_code_cell(_WARM_UP)]))

    def execute(self, parameters: dict[str, Any]) -> Any:
        """The executed notebook for ``parameters`` (raises on a cell error).

        A kept kernel that is new (the first, or one replacing a kernel that died, timed
        out or ran :data:`~toolkit.reports.settings.RESTART_EVERY` reports) is warmed up
        first (:data:`_WARM_UP`).
        """
        if not self.reuse:
            self.shutdown()  # a new kernel for every report
        else:
            self.warm()
        return self._execute(self._parameterized(parameters))


def kernel_environment(threads: int | None) -> dict[str, str]:
    """The environment a worker starts its kernels with: its own, polars' threads capped.

    A batch runs one kernel per CPU, each rendering one small report at a time, so a
    kernel's polars pool of one thread per CPU only makes the kernels contend.
    ``threads`` caps it (``POLARS_MAX_THREADS``) unless the user set that variable;
    ``None`` leaves the environment as it is.

    >>> kernel_environment(1)["POLARS_MAX_THREADS"]
    '1'
    """
    env = dict(os.environ)
    if threads is not None:
        env.setdefault("POLARS_MAX_THREADS", str(max(1, threads)))
    return env


def warm_up() -> float:
    """Start this worker's kernel and load what reports need (seconds taken; never raises).

    The batch submits one per worker while the main process still computes the results,
    so kernel start-up overlaps with that work instead of delaying the first report.
    """
    assert _worker is not None, "start_worker() first"
    start = time.perf_counter()
    if _worker.reuse:
        _worker.warm()
    return time.perf_counter() - start


def stop_now(signum: int | None = None, frame: Any = None) -> None:
    """Kill this worker's kernel, remove its connection files and exit at once.

    What a worker does when the batch stops (its lifeline closed, its parent gone,
    SIGTERM or SIGHUP): no graceful kernel shutdown, no waiting for the current report.
    """
    # Silent from here on: the notebook client would otherwise report the kernel's death
    # on the batch's stderr in the moment before this process is gone.
    with suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    if _worker is not None:
        _worker.kill()
    os._exit(128 + (signum or signal.SIGTERM))


def _own_signals() -> None:
    """Ctrl-C belongs to the batch's main process; SIGTERM and SIGHUP stop the worker.

    Set when the worker starts and again after each notebook: nbclient installs handlers
    of its own while it executes and restores the defaults afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_now)


def _watch(lifeline: Any, parent: int) -> None:
    """Wait for the lifeline to close (or the parent to change), then stop the worker."""
    while os.getppid() == parent:
        try:
            if lifeline.poll(_WATCH_SECONDS):
                lifeline.recv()  # nothing is ever sent: EOFError once the other end closed
        except (EOFError, OSError):
            break
    stop_now()


def start_worker(
    notebook: str,
    kernel: str = "reuse",
    timeout: int = CELL_TIMEOUT,
    *,
    kernel_dir: str | None = None,
    lifeline: Any = None,
    parent: int | None = None,
    threads: int | None = None,
) -> None:
    """Set up this process to render reports (the pool's initializer).

    Parameters
    ----------
    notebook, kernel, timeout
        The report template, ``"reuse"`` or ``"fresh"``, and the seconds a cell may run.
    kernel_dir
        Where kernels' connection files go (the batch removes it when it ends).
    lifeline
        The reading end of the batch's lifeline pipe; with ``parent`` (the batch's main
        process id), a watch thread stops this worker when either goes away.
    threads
        Polars threads for this worker's kernels (:func:`kernel_environment`).
    """
    global _worker
    owned = lifeline is not None and parent is not None
    if owned:  # first: the batch may stop while this worker still imports papermill
        _own_signals()
        watch = threading.Thread(target=_watch, args=(lifeline, parent), daemon=True)
        watch.start()
    if _worker is not None:
        _worker.shutdown()
    _worker = _Worker(notebook, kernel, timeout, kernel_dir, threads)
    _worker.owned = owned
    atexit.register(_worker.shutdown)


def render_one(task: dict[str, Any]) -> dict[str, Any]:
    """Execute the report notebook for one seller and write its HTML; never raises.

    ``task`` holds ``seller_id, marketplace, results, policy, html, title`` (and anything
    else, passed through). Returns the task with ``status`` (``ok`` or ``failed``),
    ``error`` and ``seconds`` (``execute``, ``html``).
    """
    # In the worker, not at the top: nbconvert, altair and polars stay out of the main
    # process until its pool has started.
    from toolkit.charts.html import notebook_to_html
    from toolkit.model.output import atomic_path

    assert _worker is not None, "start_worker() first"
    parameters = {
        "seller_id": task["seller_id"],
        "marketplace": task["marketplace"],
        "results": task["results"],
        "policy": task["policy"],
    }
    t0 = time.perf_counter()
    try:
        nb = _worker.execute(parameters)
        t1 = time.perf_counter()
        page = notebook_to_html(nb, title=task["title"])
        with atomic_path(task["html"]) as path:
            path.write_text(page, encoding="utf-8")
    except Exception as exc:
        seconds = {"execute": round(time.perf_counter() - t0, 3)}
        return {**task, "status": "failed", "error": _error_text(exc), "seconds": seconds}
    t2 = time.perf_counter()
    seconds = {"execute": round(t1 - t0, 3), "html": round(t2 - t1, 3)}
    return {**task, "status": "ok", "error": None, "seconds": seconds}
