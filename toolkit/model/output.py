"""Writing result tables: ``.parquet`` or ``.csv`` by extension, atomically.

CSV follows SPEC 4.2: dates ISO ``YYYY-MM-DD``, booleans ``true``/``false``, nulls empty;
timestamps (all UTC) as ``2025-03-03T23:50:00Z``.
A file is written to a temporary name in the same directory and renamed into place, so an
interrupted run never leaves a half-written table that looks complete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from toolkit.model.errors import OptionError

__all__ = ["atomic_path", "write_table"]


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path next to ``path``; rename it to ``path`` when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _writer(path: Path) -> Callable[[pl.DataFrame, Path], None]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return lambda frame, target: frame.write_csv(
            target, date_format="%Y-%m-%d", datetime_format="%Y-%m-%dT%H:%M:%S%.fZ"
        )
    if suffix == ".parquet":
        return lambda frame, target: frame.write_parquet(target)
    raise OptionError(f"{path}: output must end in .csv or .parquet")


def write_table(frame: pl.DataFrame | pl.LazyFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` (``.csv`` or ``.parquet``) atomically; return the path."""
    path = Path(path)
    write = _writer(path)
    data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    with atomic_path(path) as tmp:
        write(data, tmp)
    return path
