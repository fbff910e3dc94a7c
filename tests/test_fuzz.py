"""Fuzzing the inputs: whatever the bytes, every command ends with exit 0 or 2, never a traceback.

Hypothesis mutates the sample's files (a slice of its CSV tables, one of its SP-API report
files and the feedback flat file): single bytes, encodings, quotes, separators, headers,
numbers at the limits of 64-bit integers and floats, dates at the limits of the calendar,
lines added, dropped and cut, and values of the JSON document replaced. Each mutated input
is run through ``seller-health`` in this process (``validate`` and ``metrics`` for a data
directory, ``ingest sp-api``, ``ingest feedback``, ``ingest inventory-ledger``). The runs are derandomized with a fixed
example count: the same examples every time, in CI too.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE
from toolkit.cli import main


def fuzz(examples: int) -> settings:
    """Derandomized (the same examples every run) and bounded, for CI."""
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


AS_OF = "2026-11-01"
FEEDBACK_REPORT = Path(__file__).resolve().parent / "fixtures" / "ingest" / "feedback_us.txt"
REPORT = SAMPLE / "sp_api" / "2026-10-27" / "S02-claims-burst.json"

NUMBERS = [
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "99999999999999999999999999",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "-0",
    "0",
    "1.5",
    "",
]
DATES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31",
    "0001-01-01",
    "2016-12-31T23:59:60Z",
    "2023-02-29T10:00:00Z",
    "10000-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "2025-13-01",
    "24:00",
]
FEEDBACK_DATES = ["1/1/00", "12/31/99", "2/29/23", "13/13/13", "1/1/0001", "12/31/9999", "0/0/0"]
BYTES = [b"\x00", b"\xff", b"\xe9", b"\x93", b"\r", b"\n", b'"', b",", b";", b"\t", b"\xef\xbb\xbf"]


def _slice() -> dict[str, bytes]:
    """The first orders of the sample and the feedback and claims on them (all valid)."""
    with (SAMPLE / "orders.csv").open(encoding="utf-8", newline="") as handle:
        orders = list(csv.reader(handle))[:41]
    ids = {row[0] for row in orders[1:]}
    tables = {"orders": orders}
    for name in ("feedback", "claims"):
        with (SAMPLE / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        tables[name] = [rows[0], *(r for r in rows[1:] if r[1] in ids)]
    out = {}
    for name, rows in tables.items():
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        out[f"{name}.csv"] = text.getvalue().encode("utf-8")
    return out


SLICE = _slice()


# ------------------------------------------------------------------------- mutations


@st.composite
def text_mutation(draw, data: bytes, separator: bytes = b",") -> bytes:
    """One mutation of the bytes of a delimited text file."""
    kind = draw(
        st.sampled_from(
            ["byte", "encoding", "quote", "separator", "header", "number", "date", "lines", "cut"]
        )
    )
    lines = data.split(b"\n")
    if kind == "byte":
        at = draw(st.integers(0, len(data)))
        new = draw(st.sampled_from(BYTES) | st.binary(min_size=1, max_size=3))
        drop = draw(st.integers(0, 2))
        return data[:at] + new + data[at + drop :]
    if kind == "encoding":
        text = data.decode("utf-8")
        encoding = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1"]))
        extra = draw(st.sampled_from(["", "é", "“x”", "ß"]))
        at = draw(st.integers(0, len(text)))
        return (text[:at] + extra + text[at:]).encode(encoding, errors="replace")
    if kind == "quote":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from([b'"', b'""', b'"x"y', b'x"'])) + data[at:]
    if kind == "separator":
        other = draw(st.sampled_from([b";", b"\t", b"|", b","]))
        return data.replace(separator, other)
    if kind == "header":
        names = lines[0].split(separator)
        i = draw(st.integers(0, len(names) - 1))
        how = draw(st.sampled_from(["duplicate", "drop", "rename", "empty", "space"]))
        if how == "duplicate":
            names.append(names[i])
        elif how == "drop":
            del names[i]
        elif how == "rename":
            names[i] = draw(st.sampled_from([b"x", names[i].upper(), b"\xc3\xa9", b'"a,b"']))
        elif how == "empty":
            names[i] = b""
        else:
            names[i] = b" " + names[i]
        return b"\n".join([separator.join(names), *lines[1:]])
    if kind in ("number", "date"):
        row = draw(st.integers(1, max(1, len(lines) - 2)))
        cells = lines[row].split(separator)
        column = draw(st.integers(0, max(0, len(cells) - 1)))
        values = NUMBERS if kind == "number" else DATES
        if separator == b"\t" and kind == "date":
            values = values + FEEDBACK_DATES
        cells[column] = draw(st.sampled_from(values)).encode()
        lines[row] = separator.join(cells)
        return b"\n".join(lines)
    if kind == "lines":
        row = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["repeat", "drop", "blank", "blanks at the end", "crlf"]))
        if how == "repeat":
            lines.insert(row, lines[row])
        elif how == "drop":
            del lines[row]
        elif how == "blank":
            lines.insert(row, b"")
        elif how == "blanks at the end":
            lines += [b"", b"", b","]
        else:
            return data.replace(b"\n", b"\r\n")
        return b"\n".join(lines)
    return data[: draw(st.integers(0, len(data)))]


LIMITS = st.sampled_from(
    [2**63, 2**63 - 1, -1, 2**64, 1e308, -1e308, 0.5, "x", None, [], {}, True, "9999-12-31T23:59Z"]
)


@st.composite
def json_mutation(draw, document) -> bytes:
    """One mutation of a JSON document: a value replaced, a key dropped, or its text cut."""
    kind = draw(st.sampled_from(["value", "drop", "deep", "cut", "bytes"]))
    doc = json.loads(json.dumps(document))
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                paths.append((*path, key))
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                paths.append((*path, i))
                walk(value, (*path, i))

    walk(doc, ())
    if kind == "deep" and draw(st.booleans()):
        return b"[" * 100_000 + b"]" * 100_000  # more levels than Python's recursion limit
    if kind in ("value", "drop", "deep") and paths:
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if kind == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif kind == "deep":
            parent[path[-1]] = json.loads("[" * 50 + "]" * 50)
        else:
            parent[path[-1]] = draw(LIMITS)
        return json.dumps(doc).encode()
    text = json.dumps(doc).encode()
    if kind == "bytes":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(BYTES)) + text[at:]
    return text[: draw(st.integers(0, len(text)))]


# ---------------------------------------------------------------------------- runs


def run(argv: list[str], out: Path | None = None) -> int:
    """``seller-health argv`` in this process: exit 0 or 2, and nothing written on 2."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(argv)
    assert status in (0, 2), (status, stderr.getvalue())
    if status == 2:
        assert stderr.getvalue().startswith(f"seller-health {argv[0]}: "), stderr.getvalue()
        assert out is None or not out.exists()
    elif out is not None:
        assert out.exists()
    return status


@fuzz(60)
@given(data=st.data())
def test_mutated_data_directories_give_exit_0_or_2(data):
    name = data.draw(st.sampled_from(sorted(SLICE)), label="file")
    mutated = data.draw(text_mutation(SLICE[name]), label="mutation")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "data"
        directory.mkdir()
        for file, content in SLICE.items():
            (directory / file).write_bytes(mutated if file == name else content)
        if run(["validate", "--data", str(directory)]) == 0:
            out = Path(tmp) / "metrics.csv"
            run(["metrics", "--data", str(directory), "--as-of", AS_OF, "--out", str(out)], out)


@fuzz(300)
@given(data=st.data())
def test_mutated_seller_performance_reports_give_exit_0_or_2(data):
    mutated = data.draw(json_mutation(json.loads(REPORT.read_text())), label="mutation")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "S02.json"
        path.write_bytes(mutated)
        out = Path(tmp) / "snapshots.csv"
        run(["ingest", "sp-api", str(path), "--out", str(out)], out)


@fuzz(150)
@given(data=st.data())
def test_mutated_feedback_reports_give_exit_0_or_2(data):
    mutated = data.draw(
        text_mutation(FEEDBACK_REPORT.read_bytes(), separator=b"\t"), label="mutation"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feedback.txt"
        path.write_bytes(mutated)
        out = Path(tmp) / "feedback.csv"
        run(["ingest", "feedback", str(path), "--marketplace", "US", "--out", str(out)], out)


@pytest.mark.parametrize("name", sorted(SLICE))
def test_the_unmutated_slice_is_valid(name, tmp_path):
    """The fuzz starts from valid files: every error found comes from a mutation."""
    for file, content in SLICE.items():
        (tmp_path / file).write_bytes(content)
    assert run(["validate", "--data", str(tmp_path)]) == 0


LEDGER = Path(__file__).resolve().parent / "fixtures" / "ingest" / "ledger_summary_daily.txt"


@fuzz(100)
@given(data=st.data())
def test_mutated_inventory_ledgers_give_exit_0_or_2(data):
    mutated = data.draw(text_mutation(LEDGER.read_bytes(), separator=b"\t"), label="mutation")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.txt"
        path.write_bytes(mutated)
        out = Path(tmp) / "inventory.csv"
        run(["ingest", "inventory-ledger", str(path), "--out", str(out)], out)
