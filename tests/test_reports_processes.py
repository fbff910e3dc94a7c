"""The batch owns its processes: worker counts, stopping, stale runs (``reports --clean``).

The slow tests start ``seller-health reports`` on ``data/sample`` as a subprocess, wait
until its two workers run their kernels (the process tree is read from ``/proc``), stop
it (SIGTERM or SIGKILL to the main process, SIGINT to its process group as Ctrl-C does)
and check that none of its processes is alive 10 seconds later and that no kernel
connection file is left. They only ever signal processes they started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

import toolkit.reports.runner
import toolkit.reports.runs
from tests.conftest import CORPUS, ROOT, SAMPLE
from tests.reports_data import write_tiny
from toolkit.cli import main
from toolkit.model.errors import OptionError
from toolkit.reports.runner import Interrupted, worker_count
from toolkit.reports.runs import KERNEL_DIR_PREFIX, LOCK_NAME, RunLock, clean_runs

LINUX = sys.platform.startswith("linux")


@pytest.fixture
def own_tmp(tmp_path, monkeypatch) -> Path:
    """A temp directory of the test's own, where ``--clean`` looks for kernel directories
    (the machine's may hold other runs' leftovers)."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(toolkit.reports.runs.tempfile, "gettempdir", lambda: str(directory))
    return directory


# ------------------------------------------------------------------ how many workers


@pytest.mark.parametrize(
    ("asked", "reports", "cpus", "expected"),
    [
        pytest.param(None, 12, 2, 2, id="default: one per CPU"),
        pytest.param(None, 1, 8, 1, id="default: never more than the reports"),
        pytest.param(None, 0, 2, 1, id="no report: one"),
        pytest.param(1000, 2, 2, 2, id="1000 asked for 2 sellers: 2"),
        pytest.param(1, 12, 2, 1, id="fewer than the CPUs when asked"),
        pytest.param(8, 12, 2, 8, id="up to 4 per CPU when asked"),
    ],
)
def test_worker_count(asked, reports, cpus, expected, capsys):
    assert worker_count(asked, reports, cpus=cpus) == expected
    warned = "warning: 8 workers on 2 CPUs" in capsys.readouterr().err
    assert warned == (expected > cpus)


@pytest.mark.parametrize(
    ("asked", "says"),
    [
        pytest.param(0, "--workers must be at least 1, got 0", id="zero"),
        pytest.param(9, "--workers 9: at most 8 on this machine (4 per CPU, 2 CPUs)", id="9 on 2"),
    ],
)
def test_too_few_or_too_many_workers_is_an_option_error(asked, says):
    with pytest.raises(OptionError) as info:
        worker_count(asked, 100, cpus=2)
    assert says in str(info.value)


class _Started(Exception):
    """Raised instead of starting a pool, with the worker count asked for."""


def _record_pool(monkeypatch) -> None:
    def started(count, options):
        raise _Started(count)

    monkeypatch.setattr(toolkit.reports.runner, "_Workers", started)


def test_a_thousand_workers_for_four_sellers_starts_four(tmp_path, monkeypatch):
    _record_pool(monkeypatch)
    monkeypatch.setattr(toolkit.reports.runner, "_cpus", lambda: 2)
    argv = ["reports", "--data", str(write_tiny(tmp_path / "data")), "--out", str(tmp_path)]
    with pytest.raises(_Started) as info:
        main([*argv, "--workers", "1000", "--quiet"])
    assert info.value.args == (4,)
    with pytest.raises(_Started) as info:
        main([*argv, "--quiet"])
    assert info.value.args == (2,)


def test_a_data_error_starts_no_process(tmp_path, monkeypatch, capsys):
    """The data is read and validated before the pool (and its kernels) would start."""

    def started(*args, **kwargs):
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(toolkit.reports.runner, "_Workers", started)
    monkeypatch.setattr(toolkit.reports.runner, "kernel_dir", started)
    out = tmp_path / "out"
    data = CORPUS / "unparseable_timestamp"
    assert main(["reports", "--data", str(data), "--out", str(out), "--quiet"]) == 2
    assert "input error" in capsys.readouterr().err
    assert not out.exists()


# ------------------------------------------------------------------- interruption


class _NoWorkers:
    """Stands in for the pool: nothing is started."""

    def __init__(self, count, options):
        self.pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["Ctrl-C", "SIGTERM", "SIGHUP"],
)
def test_a_stopped_run_says_so_in_one_line_and_stays_partial(signum, status, tmp_path, monkeypatch, capsys, own_tmp):  # fmt: skip
    def stopped(*args, **kwargs):
        raise Interrupted(signum)

    monkeypatch.setattr(toolkit.reports.runner, "_Workers", _NoWorkers)
    monkeypatch.setattr(toolkit.reports.runner, "render", stopped)
    out = tmp_path / "out"
    argv = ["reports", "--data", str(write_tiny(tmp_path / "data")), "--out", str(out)]
    assert main([*argv, "--quiet"]) == status
    [partial] = out.iterdir()
    err = capsys.readouterr().err
    assert err == (
        f"seller-health reports: stopped by {signal.Signals(signum).name}; the unfinished run "
        f"{partial} is left (seller-health reports --clean removes it)\n"
    )
    assert partial.name.endswith(".partial") and not (partial / "index.html").exists()
    # the lock is let go: the run is recognisably stale
    assert clean_runs(out).removed == [partial]


# -------------------------------------------------------------------- stale runs


def _aged(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_clean_removes_stale_partial_runs_and_keeps_those_in_use(tmp_path, capsys, own_tmp):
    out = tmp_path / "reports"
    finished = out / "2026-11-15_20261126T081500Z"
    (finished / "results").mkdir(parents=True)
    (out / "latest").symlink_to(finished.name)
    stopped = out / "2026-11-15_20261126T090000Z.partial"
    stopped.mkdir()
    RunLock(stopped).release()  # a run that ended without finishing
    running = out / "2026-11-15_20261126T100000Z.partial"
    running.mkdir()
    lock = RunLock(running)
    unlocked_old = out / "old.partial"  # no lock file, untouched for an hour
    unlocked_old.mkdir()
    _aged(unlocked_old, 3600)
    just_made = out / "new.partial"
    just_made.mkdir()
    try:
        assert main(["reports", "--clean", "--out", str(out)]) == 0
    finally:
        lock.release()
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        f"removed {stopped}",
        f"removed {unlocked_old}",
        f"kept {running}: in use by process {os.getpid()}",
        f"kept {just_made}: in use by a run that has just started",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [finished.name, "latest", running.name, just_made.name]
    )
    assert (running / LOCK_NAME).exists()


def test_clean_removes_kernel_directories_whose_batch_is_gone(tmp_path, capsys, own_tmp):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = own_tmp / f"{KERNEL_DIR_PREFIX}{gone.stdout.strip()}-abc"
    dead.mkdir()
    (dead / "kernel-1-1.json").write_text("{}")
    mine = own_tmp / f"{KERNEL_DIR_PREFIX}{os.getpid()}-def"
    mine.mkdir()
    assert main(["reports", "--clean", "--out", str(tmp_path / "reports")]) == 0
    assert capsys.readouterr().out.splitlines() == [f"removed {dead}"]
    assert not dead.exists() and mine.exists()


def test_clean_takes_only_out_and_needs_no_data(tmp_path, monkeypatch, capsys, own_tmp):
    monkeypatch.chdir(tmp_path)  # no data/sample here
    assert main(["reports", "--clean"]) == 0
    assert capsys.readouterr().out == "nothing stale in reports\n"
    assert main(["reports", "--clean", "--sellers", "S1"]) == 2
    assert "--clean takes only --out, not --sellers" in capsys.readouterr().err


def test_a_run_holds_its_lock_until_it_has_its_final_name(tmp_path, monkeypatch):
    """While the pages render, the partial directory is in use; a finished run has no lock."""
    seen = {}

    def render(tasks, *, pool, progress):
        partial = Path(tasks[0]["html"]).parent
        seen["in use"] = toolkit.reports.runs.partial_in_use(partial)
        return [{**t, "status": "failed", "error": "not rendered"} for t in tasks]

    monkeypatch.setattr(toolkit.reports.runner, "_Workers", _NoWorkers)
    monkeypatch.setattr(toolkit.reports.runner, "render", render)
    result = toolkit.reports.runner.run_reports(
        data=write_tiny(tmp_path / "data"), out=tmp_path / "out", progress=False
    )
    assert seen["in use"] == os.getpid()
    assert not (result.directory / LOCK_NAME).exists()
    assert not result.directory.name.endswith(".partial")


# ------------------------------------------------------- the process tree, from /proc


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0], int(fields[19])


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def _descendants(root: int) -> dict[int, tuple[int, list[str]]]:
    """Every process below ``root``: pid -> (start time, command line)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[0], []).append(int(entry.name))
    found, todo = {}, [root]
    while todo:
        for pid in parents.get(todo.pop(), []):
            if (stat := _stat(pid)) is not None:
                found[pid] = (stat[2], _cmdline(pid))
                todo.append(pid)
    return found


def _alive(pid: int, started: int) -> bool:
    """The same process (same start time) still exists and is not a zombie."""
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[1] not in ("Z", "X")


@contextmanager
def _batch(tmp_path: Path, **popen):
    """``seller-health reports`` on data/sample, with every process it started, cleaned up
    (only those) whatever the test found."""
    command = [sys.executable, "-m", "toolkit.cli", "reports", "--data", str(SAMPLE)]
    command += ["--out", str(tmp_path / "reports"), "--workers", "2", "--quiet"]
    # files, not pipes: a process left behind would hold a pipe open
    with (tmp_path / "stderr.txt").open("w") as err:
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, text=True, **popen
        )
    seen: dict[int, tuple[int, list[str]]] = {}
    try:
        yield proc, seen
    finally:
        for pid, (started, _) in seen.items():
            if _alive(pid, started):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)


def _wait_for_kernels(proc, seen, count: int = 2, timeout: float = 300) -> list[Path]:
    """Wait until ``count`` kernels run; their connection files."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.returncode
        seen.update(_descendants(proc.pid))
        kernels = [
            command
            for pid, (started, command) in seen.items()
            if "ipykernel_launcher" in command and _alive(pid, started)
        ]
        if len(kernels) >= count:
            return [Path(command[command.index("-f") + 1]) for command in kernels]
        time.sleep(0.2)
    raise AssertionError(f"no {count} kernels after {timeout} s: {seen}")


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="reads the process tree from /proc")
@pytest.mark.parametrize(
    "how",
    ["SIGTERM to the main process", "SIGKILL to the main process", "Ctrl-C (SIGINT to the group)"],
)
def test_a_stopped_batch_leaves_no_process_and_no_connection_file(how, tmp_path):
    popen = {"start_new_session": True} if how.startswith("Ctrl-C") else {}
    with _batch(tmp_path, **popen) as (proc, seen):
        files = _wait_for_kernels(proc, seen)
        [kernel_dir] = {f.parent for f in files}
        assert kernel_dir.name.startswith(KERNEL_DIR_PREFIX)
        assert all(f.exists() for f in files)
        assert len(seen) >= 5  # two workers, two kernels, multiprocessing's resource tracker
        if how.startswith("SIGTERM"):
            proc.send_signal(signal.SIGTERM)
        elif how.startswith("SIGKILL"):
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGINT)  # the group holds only this batch's processes
        stopped = time.monotonic()
        proc.wait(timeout=60)
        while time.monotonic() - stopped < 10:
            if not any(_alive(pid, started) for pid, (started, _) in seen.items()):
                break
            time.sleep(0.2)
        left = {pid: c for pid, (s, c) in seen.items() if _alive(pid, s)}
        assert left == {}, f"alive 10 s after {how}: {left}"
        assert [f for f in files if f.exists()] == []
        assert not kernel_dir.exists()
        out = tmp_path / "reports"
        runs = sorted(p.name for p in out.iterdir()) if out.exists() else []
        assert all(name.endswith(".partial") for name in runs), runs  # never complete-looking
        if how.startswith("SIGKILL"):
            assert proc.returncode == -signal.SIGKILL
        else:
            name = "SIGTERM" if how.startswith("SIGTERM") else "SIGINT"
            assert proc.returncode == 128 + signal.Signals[name]
            err = (tmp_path / "stderr.txt").read_text()
            assert len(err.splitlines()) == 1, err  # one line, no traceback
            [line] = err.splitlines()
            assert err == line + "\n", err
            assert line.startswith(f"seller-health reports: stopped by {name}")
        if runs:  # a stopped run is stale: --clean removes it
            removed = clean_runs(out).removed  # (and other runs' kernel leftovers, if any)
            assert [p.name for p in removed if p.parent == out] == runs


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="reads the process tree from /proc")
def test_a_batch_stopped_while_it_computes_its_tables_exits_cleanly(tmp_path):
    """SIGTERM as soon as the workers exist (the tables take seconds to compute, kernels
    longer): the computation in its helper thread ends before the process does, so the
    exit is the usual one (it used to abort, status 134, when the thread was abandoned)."""
    with _batch(tmp_path) as (proc, seen):
        deadline = time.monotonic() + 120
        while not any("spawn_main" in " ".join(c) for _, c in seen.values()):
            assert time.monotonic() < deadline and proc.poll() is None
            seen.update(_descendants(proc.pid))
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        proc.wait(timeout=60)
        assert proc.returncode == 143
        assert (
            tmp_path / "stderr.txt"
        ).read_text() == "seller-health reports: stopped by SIGTERM\n"
        while time.monotonic() - stopped < 10 and any(_alive(p, s) for p, (s, _) in seen.items()):
            time.sleep(0.2)
        assert {p: c for p, (s, c) in seen.items() if _alive(p, s)} == {}
        kernel_dirs = Path(tempfile.gettempdir()).glob(f"{KERNEL_DIR_PREFIX}{proc.pid}-*")
        assert list(kernel_dirs) == []
        assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())
