"""The CSV shape check: its quick pass agrees with the exact one, and what it accepts polars
reads exactly as Python's csv module does (the brute-force reading)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.model.csvfile import _exact, _lines, check_csv

HEADER = b"a,b,c\n"
PIECES = [b"x", b"yz", b"", b",", b'"', b'""', b"\n", b"\r\n", b" ", b"\xc3\xa9", b'"q,r"', b"\t"]


def _write(body: bytes) -> Path:
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
        handle.write(HEADER + body)
    return Path(handle.name)


@settings(max_examples=400, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_the_quick_pass_agrees_with_the_exact_pass(pieces):
    path = _write(b"".join(pieces))
    try:
        assert _lines(path, "t.csv", 3) == _exact(path, "t.csv", 3)
    finally:
        path.unlink()


@settings(max_examples=400, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_what_is_accepted_polars_reads_as_the_csv_module_does(pieces):
    path = _write(b"".join(pieces))
    try:
        layout, errors = check_csv(path, "t.csv")
        if layout is None or errors:
            return
        frame = pl.read_csv(path, infer_schema=False, n_rows=layout.rows)
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))[1:]
        if layout.rows is not None:
            rows = rows[: layout.rows]
        empty_is_null = [tuple(cell or None for cell in row) for row in frame.rows()]
        assert empty_is_null == [tuple(cell or None for cell in row) for row in rows]
    finally:
        path.unlink()


@pytest.mark.parametrize(
    ("body", "rows", "problems"),
    [
        pytest.param(b"1,2,3\n\n\n", 1, [], id="blank lines at the end are left out"),
        pytest.param(b"1,2,3\r\n,,\r\n", 1, [], id="a row of commas at the end is left out"),
        pytest.param(b'1,"2\n2",3\n4,5,6\n', None, [], id="a quoted line break is one row"),
        pytest.param(
            b'1,"2\n2",3\n4,5\n',
            None,
            ["row with fewer fields than the header's 3"],
            id="rows are counted as records after a quoted line break",
        ),
        pytest.param(
            b"1,2,3\n\n4,5,6\n",
            None,
            ["blank row (no values) between data rows: delete it"],
            id="a blank row between rows",
        ),
    ],
)
def test_layouts_and_problems(body, rows, problems):
    path = _write(body)
    try:
        layout, errors = check_csv(path, "t.csv")
        assert layout.rows == rows
        assert [e.problem for e in errors] == problems
    finally:
        path.unlink()


def test_polars_would_silently_pad_a_short_row_that_the_check_reports():
    """Why the check exists: polars fills the missing fields with nulls, without a word."""
    data = HEADER + b"1,2\n"
    assert pl.read_csv(io.BytesIO(data), infer_schema=False).rows() == [("1", "2", None)]
    path = _write(b"1,2\n")
    try:
        assert [e.rows for e in check_csv(path, "t.csv")[1]] == [(1,)]
    finally:
        path.unlink()
