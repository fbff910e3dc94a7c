"""The shape of a CSV input file, checked before polars reads it (definitions section 8).

polars reads a CSV file fast, but some mistakes it reports without a row number (bytes
that are not UTF-8, an unbalanced quote, a row with more fields than the header) and some
it does not report at all (a row with fewer fields is padded with empty cells, a second
column with the same name is renamed). :func:`check_csv` finds them all, with row numbers:

1. the first 64 KiB: an empty file, UTF-16 or UTF-32 text, a header that is not UTF-8,
   carriage returns alone as line ends, duplicate column names, and (when required
   columns are missing) a file separated by ``;``, tab or ``|`` instead of commas;
2. one cheap pass over the lines (polars, no parsing into columns): the number of fields
   of every line and blank lines;
3. only when step 2 meets bytes that are not UTF-8, a quote it cannot follow (a quoted
   field over several lines, or a stray quote) or a wrong field count: an exact pass
   with Python's ``csv`` module that numbers records as polars does.

Rows are data rows counted from 1 (the header is not a row). Blank lines at the end of the
file are accepted (spreadsheets often write one) and not read; a blank line between rows
is an error.

Examples
--------
>>> import tempfile, pathlib
>>> tmp = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(tmp.name) / "orders.csv"
>>> _ = path.write_bytes(b"order_id,seller_id,units\\nA,S1,1\\nB,S1\\nC,S1,2,9\\n\\n")
>>> layout, errors = check_csv(path, "orders.csv", required=("order_id",))
>>> for error in errors:
...     print(error)
orders.csv: row with fewer fields than the header's 3; 1 row: 2; values: '2'
orders.csv: row with more fields than the header's 3; 1 row: 3; values: '4'
>>> _ = path.write_bytes(b"order_id,seller_id\\nA,S1\\n\\n")
>>> check_csv(path, "orders.csv", required=("order_id",))
(CsvLayout(header=('order_id', 'seller_id'), rows=1, leap_seconds=False), [])
>>> tmp.cleanup()
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from toolkit.model.errors import InputError
from toolkit.model.text import looks_like, resave_hint

__all__ = ["CsvLayout", "check_csv"]

_HEAD_BYTES = 1 << 16
_MAX_SHOWN = 10
_QUOTED = r'"(?:[^"]|"")*"'
_FIELD = rf'(?:{_QUOTED}|[^",\r\n]*)'
#: A line whose quotes are all where CSV allows them (a quoted field closes on its line).
_LINE_OK = rf"^{_FIELD}(?:,{_FIELD})*$"
#: The same for a whole record, whose quoted fields may hold line breaks.
_RECORD_OK = re.compile(rf"{_FIELD}(?:,{_FIELD})*\r?\n?", re.DOTALL)
_OTHER_SEPARATORS = {";": "semicolon (;)", "\t": "tab", "|": "pipe (|)"}
_MORE = "row with more fields than the header's {n}"
_FEWER = "row with fewer fields than the header's {n}"
_BLANK = "blank row (no values) between data rows: delete it"
_UNCLOSED = "unbalanced quote: a quoted field that opens in this row is never closed"
_STRAY = (
    "a quote inside a field that does not start with one (quote the whole field and "
    'double the inner quote: "5""x")'
)
_AFTER = "text after the closing quote of a quoted field"


@dataclass(frozen=True)
class CsvLayout:
    """What polars should read: the header, and how many data rows (``None``: all).

    ``rows`` is set when blank lines end the file: they are left out. ``leap_seconds`` is
    false when no line holds ``:60``, so timestamps need no leap-second step.
    """

    header: tuple[str, ...]
    rows: int | None = None
    leap_seconds: bool = True


@dataclass
class _Found:
    """Rows found with each problem (the first ten, a count, some values)."""

    file: str
    rows: dict[str, list[int]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    values: dict[str, dict[str, None]] = field(default_factory=dict)

    def add(self, problem: str, row: int, value: str | None = None) -> None:
        self.counts[problem] += 1
        shown = self.rows.setdefault(problem, [])
        if len(shown) < _MAX_SHOWN:
            shown.append(row)
            if value is not None:
                self.values.setdefault(problem, {})[value] = None

    def errors(self) -> list[InputError]:
        return [
            InputError(
                self.file,
                None,
                problem,
                tuple(self.rows[problem]),
                self.counts[problem],
                tuple(self.values.get(problem, ())),
            )
            for problem in self.rows
        ]


def check_csv(
    path: Path, label: str, *, required: Sequence[str] = ()
) -> tuple[CsvLayout | None, list[InputError]]:
    """The layout of the CSV file ``path`` and every problem of its shape.

    Parameters
    ----------
    path
        The file.
    label
        The name used in messages (the file name).
    required
        Columns the table needs: when some are missing, the header is also tried with
        ``;``, tab and ``|`` to say that the file has another separator.

    Returns
    -------
    (CsvLayout or None, list of InputError)
        The layout is ``None`` when the header itself is unusable. Missing required
        columns are not reported here (the caller does, with its own wording), except as
        the hint of another separator.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError as exc:
        return None, [InputError(label, None, f"cannot be read: {exc.strerror or exc}")]
    header, errors = _header(head, label, required)
    if header is None:
        return None, errors
    rows, leap, found = _lines(path, label, len(header))
    return CsvLayout(tuple(header), rows, leap), errors + found


# ------------------------------------------------------------------------------ header


def _header(
    head: bytes, label: str, required: Sequence[str]
) -> tuple[list[str] | None, list[InputError]]:
    def fail(problem: str) -> tuple[None, list[InputError]]:
        return None, [InputError(label, None, problem)]

    if not head.strip():
        return fail("is empty: no header row")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head.split(b"\n", 1)[0]:
        encoding = looks_like(head)
        if encoding.startswith("UTF"):
            return fail(f"is not UTF-8 text: it looks like {encoding}; {resave_hint(encoding)}")
        return fail("is not CSV text: its first line holds NUL bytes (a binary file?)")
    first = head.split(b"\n", 1)[0]
    try:
        text = first.decode("utf-8").removeprefix("\ufeff").removesuffix("\r")
    except UnicodeDecodeError:
        encoding = looks_like(first)
        return fail(f"is not UTF-8 text: the header looks like {encoding}; {resave_hint(encoding)}")
    if "\r" in text:
        return fail(
            "uses carriage returns alone as line ends (old Mac format): re-save it with "
            "LF or CRLF line ends"
        )
    try:
        names = next(csv.reader([text], strict=True))
    except csv.Error as exc:
        return fail(f"header row cannot be read: {exc}")
    missing = [name for name in required if name not in names]
    if missing:
        for separator, word in _OTHER_SEPARATORS.items():
            split = [part.strip().strip('"') for part in text.split(separator)]
            if len(split) > 1 and any(name in split for name in required):
                return fail(
                    f"looks {word}-separated: the toolkit reads comma-separated files; "
                    "re-save it with commas as the separator"
                )
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(names, start=1):
        positions.setdefault(name, []).append(i)
    duplicates = [
        InputError(
            label,
            name,
            f"duplicate column name (columns {', '.join(map(str, where))}): keep one",
        )
        for name, where in positions.items()
        if len(where) > 1
    ]
    if duplicates:
        return None, duplicates
    return names, []


# ------------------------------------------------------------------------------- lines


def _lines(path: Path, label: str, width: int) -> tuple[int | None, bool, list[InputError]]:
    """Fast pass over the lines; the exact pass when it meets anything it cannot judge.

    Lines without a quote are judged by their comma count; lines with one (few in most
    files) by a second look at them alone. A blank line is empty or only commas.
    """
    line = pl.col("line")
    quoted = line.str.contains('"', literal=True)
    commas = line.str.count_matches(",", literal=True)
    blank = line.str.len_bytes() - line.str.ends_with("\r").cast(pl.UInt32) == commas
    lines = pl.scan_lines(path, row_index_name="_row").filter(pl.col("_row") > 0)
    try:
        stats = (
            lines.select(
                quoted.sum().alias("quoted"),
                (~quoted & (commas != width - 1) & ~blank).sum().alias("wrong"),
                blank.sum().alias("blank"),
                pl.col("_row").filter(~blank).max().alias("last"),
                pl.col("_row").max().alias("end"),
                line.str.contains(":60", literal=True).any().alias("leap"),
            )
            .collect()
            .row(0, named=True)
        )
        if stats["quoted"] and not stats["wrong"]:
            text = line.str.strip_suffix("\r")
            unquoted = text.str.replace_all(_QUOTED, "").str.count_matches(",", literal=True)
            stats["wrong"] = (
                lines.filter(quoted)
                .select((~text.str.contains(_LINE_OK) | (unquoted != width - 1)).sum())
                .collect()
                .item()
            )
    except pl.exceptions.ComputeError:  # not UTF-8: the exact pass says where
        return _exact(path, label, width)
    if stats["wrong"]:
        return _exact(path, label, width)
    leap = bool(stats["leap"])
    if not stats["blank"]:
        return None, leap, []
    last = stats["last"] or 0
    rows = last if last < stats["end"] else None  # blank lines at the end are not read
    middle = lines.filter(blank, pl.col("_row") < last).select(
        pl.col("_row").head(_MAX_SHOWN).implode().alias("rows"), pl.len().alias("count")
    )
    shown = middle.collect().row(0, named=True)
    if not shown["count"]:
        return rows, leap, []
    where = tuple(int(r) for r in shown["rows"])
    return rows, leap, [InputError(label, None, _BLANK, where, int(shown["count"]))]


@contextlib.contextmanager
def _large_fields() -> Iterator[None]:
    """Let the csv module read fields of any size (polars does), then restore the limit."""
    old = csv.field_size_limit()
    csv.field_size_limit(1 << 30)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _exact(path: Path, label: str, width: int) -> tuple[int | None, bool, list[InputError]]:
    """Record by record with the csv module: field counts, quotes, encoding, blank rows."""
    found = _Found(label)
    consumed: list[str] = []
    undecodable: list[bytes] = []
    blanks: list[int] = []
    last = 0
    leap = False

    def lines(handle) -> Iterator[str]:
        for data in handle:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                undecodable.append(data)
                text = data.decode("utf-8", "surrogateescape")
            body = text.rstrip("\r\n")
            if "\r" in body:  # a carriage return inside a field: polars keeps it as text
                text = body.replace("\r", " ") + text[len(body) :]
            consumed.append(text)
            yield text

    with _large_fields(), path.open("rb") as handle:
        reader = csv.reader(lines(handle), strict=True)
        row = -1
        while True:
            consumed.clear()
            undecodable.clear()
            try:
                record = next(reader)
                problem = None
            except StopIteration:
                break
            except csv.Error as exc:
                record, problem = [], _csv_problem(exc)
            row += 1
            if undecodable:
                _encoding(found, row, undecodable)
            if row == 0:
                continue
            raw = "".join(consumed)
            leap = leap or ":60" in raw
            if problem is None and not raw.rstrip("\r\n").strip(","):  # empty or commas only
                blanks.append(row)
                continue
            last = row
            if problem is not None:
                found.add(problem, row)
                continue
            if len(record) != width:
                kind = _MORE if len(record) > width else _FEWER
                found.add(kind.format(n=width), row, str(len(record)))
            if '"' in raw and not _RECORD_OK.fullmatch(raw):
                found.add(_STRAY, row, raw.rstrip("\r\n")[:60])
    for row in blanks:
        if row < last:
            found.add(_BLANK, row)
    return (last if blanks and blanks[-1] > last else None), leap, found.errors()


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "end of data" in text:
        return _UNCLOSED
    if "expected after" in text:
        return _AFTER
    return f"row cannot be read as CSV: {text.split(' - ')[0]}"


def _encoding(found: _Found, row: int, data: list[bytes]) -> None:
    """Record a row that is not UTF-8, with its text as the encoding it looks like."""
    raw = b"".join(data)
    encoding = looks_like(raw)
    problem = f"is not UTF-8 text: it looks like {encoding}; {resave_hint(encoding)}"
    shown = raw.decode("cp1252" if encoding.startswith("Windows") else "latin-1", "replace")
    bad = next((cell for cell in shown.strip().split(",") if not cell.isascii()), shown)
    found.add(problem, row, bad.strip()[:60])
