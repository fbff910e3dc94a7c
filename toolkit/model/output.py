"""Writing result tables: ``.parquet`` or ``.csv`` by extension, atomically and safely.

CSV follows definitions section 4.2: dates ISO ``YYYY-MM-DD``, booleans ``true``/``false``, nulls empty;
timestamps (all UTC) as ``2025-03-03T23:50:00Z``. A text cell that a spreadsheet would
run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
is written with a leading ``'`` (definitions section 8, the OWASP rule; see
:func:`toolkit.model.text.quote_formula`); numbers, dates and booleans are never changed,
so ``-0.5`` in a numeric column stays a number. Parquet keeps every value as it is. The
toolkit's readers take the ``'`` off again, so a table written and read back is unchanged.

A file is written to a temporary name in the same directory and renamed into place, so an
interrupted run never leaves a half-written table that looks complete. The command line
checks every output path with :func:`check_output` before it computes anything.

Examples
--------
>>> import tempfile, pathlib
>>> import polars as pl
>>> tmp = tempfile.TemporaryDirectory()
>>> frame = pl.DataFrame({"seller_id": ["=HYPERLINK(1)", "S1"], "diff": [-0.5, 2.0]})
>>> path = write_table(frame, pathlib.Path(tmp.name) / "t.csv")
>>> print(path.read_text(), end="")
seller_id,diff
'=HYPERLINK(1),-0.5
S1,2.0
>>> tmp.cleanup()
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from toolkit.model.errors import OptionError
from toolkit.model.text import quote_formula

__all__ = ["atomic_path", "check_output", "write_table"]

_TABLE_SUFFIXES = (".csv", ".parquet")


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


def check_output(path: str | Path, *, directory: bool = False, option: str = "--out") -> Path:
    """``path`` if a table file (or, with ``directory``, a directory) can be written there.

    Checked without writing anything: a table file must end in ``.csv`` or ``.parquet``
    and must not be an existing directory or special file; a directory must not be an
    existing file. The nearest existing ancestor must be a directory (not a file: then
    the path is "under a file") that this user can write into; missing directories
    between it and ``path`` are created when the output is written.

    Raises
    ------
    OptionError
        Naming the option, the path and what is wrong with it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> check_output(tmp / "new" / "metrics.csv") == tmp / "new" / "metrics.csv"
    True
    >>> _ = (tmp / "notes.txt").write_text("x")
    >>> check_output(tmp / "notes.txt" / "metrics.csv")
    Traceback (most recent call last):
    ...
    toolkit.model.errors.OptionError: --out .../notes.txt/metrics.csv: .../notes.txt is a file, so nothing can be written under it
    """
    path = Path(path)

    def fail(problem: str) -> OptionError:
        return OptionError(f"{option} {path}: {problem}")

    if not directory and path.suffix.lower() not in _TABLE_SUFFIXES:
        raise fail("must end in .csv or .parquet")
    ancestor = path
    try:
        while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        mode = ancestor.stat().st_mode
    except OSError as exc:
        raise fail(f"cannot be checked ({exc.strerror or exc})") from None
    if ancestor == path:
        if directory and not stat.S_ISDIR(mode):
            raise fail("is a file, not a directory")
        if not directory and stat.S_ISDIR(mode):
            raise fail("is a directory; give a file name ending in .csv or .parquet")
        if not directory and not stat.S_ISREG(mode):
            raise fail("is not a regular file")
        ancestor = path if directory else path.parent
        mode = ancestor.stat().st_mode
    if not stat.S_ISDIR(mode):
        raise fail(f"{ancestor} is a file, so nothing can be written under it")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise fail(f"{ancestor} is not writable (read-only directory or file system)")
    return path


def _writer(path: Path) -> Callable[[pl.DataFrame, Path], None]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return lambda frame, target: _spreadsheet_safe(frame).write_csv(
            target, date_format="%Y-%m-%d", datetime_format="%Y-%m-%dT%H:%M:%S%.fZ"
        )
    if suffix == ".parquet":
        return lambda frame, target: frame.write_parquet(target)
    raise OptionError(f"{path}: output must end in .csv or .parquet")


def _spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text columns with formula-like cells quoted; every other column as it is."""
    text = [
        name
        for name, dtype in frame.schema.items()
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
    ]
    return frame.with_columns(quote_formula(pl.col(name).cast(pl.String)) for name in text)


def write_table(frame: pl.DataFrame | pl.LazyFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` (``.csv`` or ``.parquet``) atomically; return the path.

    Raises
    ------
    OptionError
        The path does not end in ``.csv`` or ``.parquet``, or the file cannot be written
        (the message names the path and the reason; nothing is left behind).
    """
    path = Path(path)
    write = _writer(path)
    data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    try:
        with atomic_path(path) as tmp:
            write(data, tmp)
    except OSError as exc:
        raise OptionError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    return path
