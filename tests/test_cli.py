"""The command line: the table commands, the default data directory, light start-up, and
the report batch's checks of its template and output directory before anything starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import toolkit.reports.runner
from tests.reports_data import write_tiny
from toolkit.cli import main
from toolkit.model.errors import OptionError
from toolkit.reports.runner import run_reports

ORDERS = """order_id,seller_id,marketplace,channel,purchased_at,latest_ship_at,shipped_at
O1,S1,US,mfn,2025-01-01T10:00:00Z,2025-01-02T23:59:59Z,2025-01-02T08:00:00Z
O2,S1,US,mfn,2025-01-02T10:00:00Z,2025-01-03T23:59:59Z,2025-01-03T08:00:00Z
O3,S1,US,mfn,2025-01-03T10:00:00Z,2025-01-04T23:59:59Z,2025-01-04T08:00:00Z
O4,S1,US,mfn,2025-01-04T10:00:00Z,2025-01-05T23:59:59Z,2025-01-05T08:00:00Z
"""
FEEDBACK = """feedback_id,order_id,rating,left_at
F1,O1,1,2025-01-10T09:00:00Z
"""


@pytest.fixture
def data(tmp_path) -> Path:
    """One seller, four mfn orders bought 1-4 January 2025, 1-star feedback on the first."""
    path = tmp_path / "data"
    path.mkdir()
    (path / "orders.csv").write_text(ORDERS)
    (path / "feedback.csv").write_text(FEEDBACK)
    return path


# ------------------------------------------------------------------- table commands


def test_clearance_says_when_the_one_defect_clears(data, tmp_path, capsys):
    """The order of 1 January leaves the ODR window (D-73 .. D-14) after 15 March."""
    out = tmp_path / "clearance.csv"
    argv = ["clearance", "--data", str(data), "--as-of", "2025-03-01", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "clearance as of 2025-03-01: 1 records, 1 counting now; next clears on 2025-03-16" in (
        printed
    )
    row = pl.read_csv(out, try_parse_dates=True).row(0, named=True)
    assert (row["record_id"], str(row["counts_from"]), str(row["clears_on"])) == (
        "F1",
        "2025-01-15",
        "2025-03-16",
    )


def test_metrics_writes_the_odr_of_one_defect_in_four_orders(data, tmp_path, capsys):
    out = tmp_path / "metrics.parquet"
    argv = ["metrics", "--data", str(data), "--as-of", "2025-03-01", "--out", str(out)]
    assert main(argv) == 0
    assert "metrics 2025-03-01: " in capsys.readouterr().out
    odr = pl.read_parquet(out).filter(metric="odr", channel="mfn")
    assert odr.select("numerator", "denominator", "status").rows() == [(1, 4, "bad")]


def test_forecast_finds_the_odr_back_on_target_within_the_horizon(data, capsys):
    argv = ["forecast", "--data", str(data), "--as-of", "2025-03-01", "--horizon", "30"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "1 metric rows miss their target today, 0 of them do not recover" in printed
    assert "(no --out: nothing written)" in printed


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["validate"], id="validate without --data"),
        pytest.param(["metrics", "--as-of", "2025-03-01"], id="metrics without --data"),
        pytest.param(["reports", "--quiet", "--workers", "1"], id="reports without --data"),
    ],
)
def test_without_data_and_without_the_default_directory_the_message_says_what_to_do(
    argv, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"no --data given and no data/sample directory in {tmp_path}" in err
    assert "give --data DIR" in err
    assert list(tmp_path.iterdir()) == []


LIGHT = """
import sys
from toolkit.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(sorted(m for m in ("polars", "altair", "nbconvert", "papermill") if m in sys.modules))
"""


@pytest.mark.parametrize(
    ("argv", "loaded"),
    [
        pytest.param(["--help"], "[]", id="help loads none of the heavy packages"),
        pytest.param(["reports", "--help"], "[]", id="a command's help loads none either"),
        pytest.param(["validate"], "['polars']", id="validate loads polars only"),
    ],
)
def test_light_commands_do_not_load_charts_or_notebooks(argv, loaded, tmp_path):
    data = write_tiny(tmp_path / "data")
    args = [*argv, "--data", str(data)] if argv == ["validate"] else argv
    done = subprocess.run(
        [sys.executable, "-c", LIGHT, *args], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == loaded


# -------------------------------------------- reports: checked before anything starts


def _write_bad_template(kind: str, path: Path, monkeypatch) -> None:
    if kind == "directory":
        path.mkdir()
    elif kind == "unreadable":
        path.write_text(json.dumps({"nbformat": 4, "cells": []}))
        path.chmod(0)
        if os.geteuid() == 0:  # root reads anything: make the open fail as it would
            real = Path.open

            def refuse(self, *args, **kwargs):
                if self == path:
                    raise PermissionError(13, "Permission denied", str(self))
                return real(self, *args, **kwargs)

            monkeypatch.setattr(Path, "open", refuse)
    elif kind == "invalid JSON":
        path.write_text('{"nbformat": 4, "cells": [}')
    elif kind == "not UTF-8":
        path.write_bytes(b'{"nbformat": 4, "cells": [], "x": "caf\xe9"}')
    elif kind == "JSON that is no notebook":
        path.write_text(json.dumps({"cells": "none", "nbformat": 4}))
    elif kind == "an old notebook format":
        path.write_text(json.dumps({"nbformat": 3, "worksheets": []}))


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        pytest.param("missing", "missing, expected a readable file", id="a missing template"),
        pytest.param("directory", "a directory, expected a readable file", id="a directory"),
        pytest.param("unreadable", "cannot be read (Permission denied)", id="an unreadable file"),
        pytest.param(
            "invalid JSON",
            "not a notebook (invalid JSON at line 1, column 27",
            id="a file that is not JSON",
        ),
        pytest.param("not UTF-8", "not a notebook (not UTF-8", id="a file that is not UTF-8"),
        pytest.param(
            "JSON that is no notebook", "not a notebook (no list of cells)", id="JSON, no cells"
        ),
        pytest.param(
            "an old notebook format",
            "not a notebook (nbformat 3, expected 4)",
            id="a notebook of format 3",
        ),
    ],
)
def test_a_bad_report_template_is_an_input_error_before_any_worker_starts(
    kind, says, tmp_path, monkeypatch, capsys
):
    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(toolkit.reports.runner, "_Workers", no_pool)
    data = write_tiny(tmp_path / "data")
    template = tmp_path / "template.ipynb"
    _write_bad_template(kind, template, monkeypatch)
    out = tmp_path / "out"
    argv = ["reports", "--data", str(data), "--out", str(out), "--notebook", str(template)]
    assert main([*argv, "--workers", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"seller-health reports: report template {template}: {says}"), err
    assert not out.exists()


@pytest.mark.parametrize(
    ("blocker", "says"),
    [
        pytest.param("out", "{out}: {out} is not a directory", id="--out is a file"),
        pytest.param("parent", "{out}: {parent} is not a directory", id="--out is under a file"),
    ],
)
def test_an_output_directory_that_cannot_be_made_is_an_input_error(blocker, says, tmp_path, capsys):
    data = write_tiny(tmp_path / "data")
    parent = tmp_path / "file"
    parent.write_text("not a directory")
    out = parent if blocker == "out" else parent / "reports"
    assert main(["reports", "--data", str(data), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"output directory {says.format(out=out, parent=parent)}" in err
    assert parent.read_text() == "not a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "file"]


def test_an_unknown_kernel_mode_is_an_option_error(tmp_path):
    with pytest.raises(OptionError, match="kernel must be one of reuse, fresh, got 'warm'"):
        run_reports(data=write_tiny(tmp_path / "data"), out=tmp_path / "out", kernel="warm")
    assert not (tmp_path / "out").exists()
