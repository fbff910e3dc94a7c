"""Run directories in progress and stale ones: the run lock and ``reports --clean``.

A batch builds its run in ``<out>/<run>.partial/`` and holds ``<run>.partial/.lock``
(an exclusive ``flock`` on a file holding its process id) until the directory gets its
final name. The operating system releases the lock when the process ends, however it
ends (SIGKILL included), so a ``.partial`` directory whose lock nobody holds is
**stale**: left by a run that was stopped or died. :func:`clean_runs` removes those and
keeps the ones in use. A directory without a lock file is stale once it is older than
:data:`GRACE_SECONDS` (a run creates the lock right after the directory).

The batch's kernel connection files live in a directory of its own,
``<tmp>/seller-health-kernels-<pid>-*``, which the batch and its workers remove when
they stop; :func:`clean_runs` also removes such directories whose process is gone.

This module imports nothing heavy: the command line uses it without polars.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: the process id in the lock file decides
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "GRACE_SECONDS",
    "KERNEL_DIR_PREFIX",
    "LOCK_NAME",
    "Cleaned",
    "RunLock",
    "clean_runs",
    "kernel_dir",
    "partial_in_use",
]

#: The lock file a run in progress holds inside its ``.partial`` directory.
LOCK_NAME = ".lock"
#: A ``.partial`` directory without a lock file is left alone this long after its last change.
GRACE_SECONDS = 60.0
#: Name prefix of a batch's directory of kernel connection files (then its process id).
KERNEL_DIR_PREFIX = "seller-health-kernels-"


class RunLock:
    """The lock a run holds on its ``.partial`` directory while it is being built."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / LOCK_NAME
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        if fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(self._fd, f"{os.getpid()}\n".encode())

    def release(self, *, moved_to: Path | None = None) -> None:
        """Let go of the lock (idempotent); ``moved_to``: the directory's final name, whose
        lock file is removed (a finished run keeps no lock file)."""
        if moved_to is not None:
            with suppress(OSError):
                (Path(moved_to) / LOCK_NAME).unlink()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _lock_owner(path: Path) -> int | None:
    with suppress(OSError, ValueError):
        return int(path.read_text(encoding="utf-8").split()[0])
    return None


def partial_in_use(directory: Path) -> int | None:
    """The process id of the run building ``directory``, or None when it is stale.

    ``-1`` stands for "in use, owner unknown" (a fresh directory without a lock file yet).
    """
    lock = Path(directory) / LOCK_NAME
    if not lock.exists():
        young = time.time() - directory.stat().st_mtime < GRACE_SECONDS
        return -1 if young else None
    owner = _lock_owner(lock)
    if fcntl is None:
        return owner if owner is not None and _pid_alive(owner) else None
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return owner if owner is not None else -1
    finally:
        os.close(fd)  # also lets go of the lock just taken
    return None


def kernel_dir() -> Path:
    """A new directory for a batch's kernel connection files (mode 0700, in the temp dir)."""
    return Path(tempfile.mkdtemp(prefix=f"{KERNEL_DIR_PREFIX}{os.getpid()}-"))


@dataclass(frozen=True)
class Cleaned:
    """What :func:`clean_runs` did: removed stale directories, and those kept in use."""

    removed: list[Path]
    kept: list[tuple[Path, int]]


def clean_runs(out: str | Path) -> Cleaned:
    """Remove the stale ``<run>.partial`` directories in ``out`` and stale kernel directories.

    A ``.partial`` directory is removed only when no process holds its lock (see the
    module notes); one in use is kept, with the process id building it (``-1``: unknown).
    Kernel directories (``seller-health-kernels-<pid>-*`` in the temp directory) are
    removed when process ``<pid>`` is gone.
    """
    out = Path(out)
    removed: list[Path] = []
    kept: list[tuple[Path, int]] = []
    partials = sorted(out.glob("*.partial")) if out.is_dir() else []
    for directory in partials:
        if not directory.is_dir() or directory.is_symlink():
            continue
        owner = partial_in_use(directory)
        if owner is None:
            shutil.rmtree(directory)
            removed.append(directory)
        else:
            kept.append((directory, owner))
    for directory in sorted(Path(tempfile.gettempdir()).glob(f"{KERNEL_DIR_PREFIX}*")):
        pid = directory.name.removeprefix(KERNEL_DIR_PREFIX).split("-")[0]
        if directory.is_dir() and pid.isdigit() and not _pid_alive(int(pid)):
            with suppress(OSError):
                shutil.rmtree(directory)
                removed.append(directory)
    return Cleaned(removed=removed, kept=kept)
