"""The command line's one rule: input problems exit 2 with one message, Ctrl-C exits 130."""

from __future__ import annotations

import subprocess
import sys

import pytest

import toolkit.model.data
from tests.conftest import SAMPLE
from toolkit.cli import main


def test_ctrl_c_prints_one_line_and_exits_130(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(toolkit.model.data, "read_data", interrupted)
    assert main(["validate", "--data", str(SAMPLE)]) == 130
    assert capsys.readouterr().err == "seller-health validate: interrupted\n"


def test_a_closed_output_pipe_ends_quietly_with_141():
    """``seller-health validate | head -c 1``: no traceback, no warning at exit."""
    script = "import sys; from toolkit.cli import main; sys.exit(main(sys.argv[1:]))"
    reader = subprocess.Popen(
        [sys.executable, "-c", script, "validate", "--data", str(SAMPLE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    reader.stdout.close()  # the reader goes away before anything is printed
    err = reader.stderr.read().decode()
    reader.stderr.close()
    assert reader.wait(timeout=120) == 141
    assert err == ""


def test_hidden_characters_in_a_message_are_shown_as_codes(tmp_path, capsys):
    """A file name with a right-to-left override cannot reorder the terminal's text."""
    data = tmp_path / "sales\u202etxt.csv"
    assert main(["validate", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"seller-health validate: 1 input error:\n- {tmp_path}/sales\\u202etxt.csv: "
        "is not a data directory (it does not exist)\n"
    )


@pytest.mark.parametrize(
    ("horizon", "says"),
    [
        pytest.param("0", "the horizon must be 1 to 3660 days (ten years), got 0", id="zero"),
        pytest.param("-5", "the horizon must be 1 to 3660 days (ten years), got -5", id="negative"),
        pytest.param(
            "3000000", "the horizon must be 1 to 3660 days (ten years), got 3000000", id="absurd"
        ),
        pytest.param("ten", "not a whole number of days: 'ten'", id="a word"),
    ],
)
def test_forecast_horizon_outside_what_can_work(horizon, says, capsys):
    argv = ["forecast", "--data", str(SAMPLE), "--as-of", "2026-11-01", "--horizon", horizon]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert f"argument --horizon: {says}" in capsys.readouterr().err
