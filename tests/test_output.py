"""Writing tables: spreadsheet-safe CSV, output paths checked before computing, write errors."""

from __future__ import annotations

import os
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import toolkit.model.data
from toolkit.cli import main
from toolkit.model.data import read_data
from toolkit.model.errors import OptionError
from toolkit.model.output import check_output, write_table

# ------------------------------------------------------------------ spreadsheet-safe CSV


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        pytest.param("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0", id="an equals sign"),
        pytest.param("+1 great", "'+1 great", id="a plus sign"),
        pytest.param("-2", "'-2", id="a minus sign in a text column"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="an at sign"),
        pytest.param("\t=1", "'\t=1", id="a tab"),
        pytest.param("\r=1", '"\'\r=1"', id="a carriage return"),
        pytest.param("'=x", "''=x", id="a quote before a formula gets one more"),
        pytest.param("S1", "S1", id="plain text unchanged"),
        pytest.param("a=b", "a=b", id="an equals sign later unchanged"),
        pytest.param("'plain", "'plain", id="a quote before plain text unchanged"),
    ],
)
def test_csv_text_that_would_start_a_formula_gets_a_quote(tmp_path, cell, written):
    path = write_table(pl.DataFrame({"seller_id": [cell]}), tmp_path / "t.csv")
    assert path.read_bytes().decode("utf-8") == f"seller_id\n{written}\n"


def test_numbers_dates_and_nulls_are_never_quoted(tmp_path):
    frame = pl.DataFrame(
        {
            "diff": [-0.5, 2.0],
            "count": [-3, 4],
            "day": [date(2025, 3, 1), None],
            "flag": [True, False],
            "note": [None, "-x"],
        }
    )
    text = write_table(frame, tmp_path / "t.csv").read_text(encoding="utf-8")
    assert text == "diff,count,day,flag,note\n-0.5,-3,2025-03-01,true,\n2.0,4,,false,'-x\n"


def test_parquet_keeps_every_text_as_it_is(tmp_path):
    frame = pl.DataFrame({"seller_id": ["=cmd", "-2", "S1"]})
    assert_frame_equal(pl.read_parquet(write_table(frame, tmp_path / "t.parquet")), frame)


def test_a_table_written_as_csv_reads_back_unchanged(tmp_path):
    """The data reader takes off the quote the writer puts on (every text column)."""
    orders = pl.DataFrame(
        {
            "order_id": ["-1", "=O2", "'@O3", "O4"],
            "seller_id": ["+S", "@S", "=S", "S"],
            "channel": ["mfn", "afn", "mfn", "afn"],
            "purchased_at": ["2025-03-01T10:00:00Z"] * 4,
        }
    )
    (tmp_path / "data").mkdir()
    write_table(orders, tmp_path / "data" / "orders.csv")
    back = read_data(tmp_path / "data").orders.select("order_id", "seller_id").collect()
    assert sorted(back.rows()) == sorted(orders.select("order_id", "seller_id").rows())


# ----------------------------------------------------------------------- output paths


def _blockers(tmp_path):
    (tmp_path / "x.csv").mkdir()
    (tmp_path / "file.txt").write_text("a file")
    os.mkfifo(tmp_path / "pipe.csv")


@pytest.mark.parametrize(
    ("out", "problem"),
    [
        pytest.param(
            "x.csv",
            "is a directory; give a file name ending in .csv or .parquet",
            id="a directory",
        ),
        pytest.param(
            "file.txt/m.csv",
            "{tmp}/file.txt is a file, so nothing can be written under it",
            id="a path under a file",
        ),
        pytest.param(
            "file.txt/deeper/m.csv",
            "{tmp}/file.txt is a file, so nothing can be written under it",
            id="a path further under a file",
        ),
        pytest.param("pipe.csv", "is not a regular file", id="a named pipe"),
        pytest.param("m.txt", "must end in .csv or .parquet", id="another extension"),
    ],
)
def test_output_paths_that_cannot_be_written(tmp_path, out, problem):
    _blockers(tmp_path)
    path = tmp_path / out
    with pytest.raises(OptionError) as info:
        check_output(path)
    assert str(info.value) == f"--out {path}: {problem.format(tmp=tmp_path)}"


@pytest.mark.parametrize(
    "out",
    [
        pytest.param("m.csv", id="a new file"),
        pytest.param("new/deeper/m.parquet", id="in directories still to be made"),
        pytest.param("old.csv", id="a file to replace"),
    ],
)
def test_output_paths_that_can_be_written(tmp_path, out):
    (tmp_path / "old.csv").write_text("old")
    assert check_output(tmp_path / out) == tmp_path / out


def test_a_read_only_directory_is_refused(tmp_path, monkeypatch):
    """As root every directory is writable, so the operating system's answer is faked."""
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if p == tmp_path else real(p, mode))
    with pytest.raises(OptionError) as info:
        check_output(tmp_path / "new" / "m.csv")
    assert str(info.value) == (
        f"--out {tmp_path}/new/m.csv: {tmp_path} is not writable (read-only directory or "
        "file system)"
    )


def test_a_directory_output_that_is_a_file(tmp_path):
    (tmp_path / "data").write_text("a file")
    with pytest.raises(OptionError, match="is a file, not a directory"):
        check_output(tmp_path / "data", directory=True)


def test_a_failed_write_is_an_option_error_and_leaves_nothing(tmp_path, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    with pytest.raises(OptionError) as info:
        write_table(pl.DataFrame({"a": [1]}), tmp_path / "t.parquet")
    assert str(info.value) == f"{tmp_path}/t.parquet: cannot be written (No space left on device)"
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------- the command line checks first


@pytest.fixture
def never_read(monkeypatch):
    """Reading data fails the test: the output must be refused before any computing."""

    def read(*args, **kwargs):
        raise AssertionError("the data was read before the output path was checked")

    monkeypatch.setattr(toolkit.model.data, "read_data", read)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["metrics", "--as-of", "2025-03-01", "--out", "{tmp}/x.csv"],
            "--out {tmp}/x.csv: is a directory; give a file name ending in .csv or .parquet",
            id="metrics to a directory named x.csv",
        ),
        pytest.param(
            ["clearance", "--as-of", "2025-03-01", "--out", "{tmp}/file.txt/c.csv"],
            "--out {tmp}/file.txt/c.csv: {tmp}/file.txt is a file, so nothing can be "
            "written under it",
            id="clearance under a file",
        ),
        pytest.param(
            [
                *("ahr", "--as-of", "2025-03-01", "--out", "{tmp}/a.csv"),
                *("--violations-out", "{tmp}/x.csv"),
            ],
            "--violations-out {tmp}/x.csv: is a directory; give a file name ending in .csv "
            "or .parquet",
            id="ahr with its second output a directory",
        ),
        pytest.param(
            [
                *("ahr", "--as-of", "2025-03-01", "--out", "{tmp}/a.csv"),
                *("--violations-out", "{tmp}/./a.csv"),
            ],
            "--violations-out and --out are the same file: {tmp}/a.csv",
            id="ahr with both outputs on one file",
        ),
        pytest.param(
            ["metrics", "--as-of", "2025-03-01", "--out", "{data}/orders.csv"],
            "--out {data}/orders.csv: is an input of this command; write elsewhere",
            id="metrics over its own orders file",
        ),
        pytest.param(
            ["forecast", "--as-of", "2025-03-01", "--out", "{tmp}/file.txt/f.parquet"],
            "--out {tmp}/file.txt/f.parquet: {tmp}/file.txt is a file, so nothing can be "
            "written under it",
            id="forecast under a file",
        ),
    ],
)
def test_the_command_line_refuses_an_output_before_reading_the_data(
    tmp_path, never_read, capsys, argv, message
):
    _blockers(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "orders.csv").write_text("order_id,seller_id,channel,purchased_at\n")
    argv = [a.format(tmp=tmp_path, data=data) for a in argv]
    command = argv[0]
    assert main([*argv, "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert err == f"seller-health {command}: {message.format(tmp=tmp_path, data=data)}\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["ingest", "sp-api", "{tmp}/r.json", "--out", "{tmp}/r.json.csv/"],
            "--out {tmp}/r.json.csv: is a directory; give a file name ending in .csv or .parquet",
            id="ingest sp-api to a directory",
        ),
        pytest.param(
            ["ingest", "feedback", "{tmp}/f.csv", "--marketplace", "US", "--out", "{tmp}/f.csv"],
            "--out {tmp}/f.csv: is an input of this command; write elsewhere",
            id="ingest feedback over its own input",
        ),
        pytest.param(
            ["sample", "--out", "{tmp}/file.txt"],
            "--out {tmp}/file.txt: is a file, not a directory",
            id="sample into a file",
        ),
    ],
)
def test_other_commands_check_their_outputs_too(tmp_path, capsys, argv, message):
    _blockers(tmp_path)
    (tmp_path / "r.json").write_text("{}")
    (tmp_path / "r.json.csv").mkdir()
    (tmp_path / "f.csv").write_text("x")
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    command = argv[0]
    assert capsys.readouterr().err == f"seller-health {command}: {message.format(tmp=tmp_path)}\n"
    assert (tmp_path / "f.csv").read_text() == "x"
