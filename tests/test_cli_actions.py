"""`seller-health actions`, and `--sellers` on every command that writes a table."""

from __future__ import annotations

import polars as pl
import pytest

from tests.conftest import SAMPLE
from toolkit.cli import main
from toolkit.engine.actions import ACTION_COLUMNS

AS_OF = "2026-11-15"


def test_actions_for_two_sellers(tmp_path, capsys):
    out = tmp_path / "actions.csv"
    argv = ["actions", "--data", str(SAMPLE), "--as-of", AS_OF, "--out", str(out)]
    argv += ["--sellers", "S08-business-invoices", "S02-claims-burst"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert (
        "actions as of 2026-11-15: 20 records of 2 sellers; 13 with something to do "
        "(appeal 6, fix_tracking 3, request_removal 1, respond 2, upload_invoice 1), "
        "2 of them past their deadline; 7 clear by themselves"
    ) in printed
    assert "next deadline: 2026-11-18 00:23 UTC, appeal AZ00000004 (S02-claims-burst)" in printed
    table = pl.read_csv(out, infer_schema=False)
    assert table.columns == ACTION_COLUMNS
    assert set(table["seller_id"]) == {"S08-business-invoices", "S02-claims-burst"}
    first = table.row(0, named=True)
    assert (first["seller_id"], first["record_id"], first["action"], first["overdue"]) == (
        "S02-claims-burst",
        "AZ00000003",
        "respond",
        "true",
    )
    assert first["deadline"] == "2026-10-07T20:57:12Z"
    invoice = table.filter(action="upload_invoice").row(0, named=True)
    assert (invoice["deadline"], invoice["where"]) == (None, "Orders > Manage Orders")


def reconcile_snapshots(tmp_path):
    snapshots = tmp_path / "snapshots.csv"
    files = sorted(str(p) for p in (SAMPLE / "sp_api").glob("*/*.json"))
    assert main(["ingest", "sp-api", *files, "--out", str(snapshots)]) == 0
    return ["--snapshots", str(snapshots)]


TABLE_COMMANDS = [
    pytest.param(["metrics", "--as-of", AS_OF], id="metrics"),
    pytest.param(["clearance", "--as-of", AS_OF], id="clearance"),
    pytest.param(["forecast", "--as-of", AS_OF, "--horizon", "3"], id="forecast"),
    pytest.param(["ahr", "--as-of", AS_OF], id="ahr"),
    pytest.param(["actions", "--as-of", AS_OF], id="actions"),
    pytest.param(["inventory", "--as-of", AS_OF], id="inventory (S08 has inventory, S10 none)"),
    pytest.param(["reconcile"], id="reconcile"),
]


@pytest.mark.parametrize("command", TABLE_COMMANDS)
def test_every_table_command_takes_sellers(command, tmp_path, capsys):
    sellers = [
        "S06-violations",
        "S08-business-invoices" if "inventory" in command else "S10-disputes",
    ]
    out = tmp_path / "table.parquet"
    argv = [*command, "--data", str(SAMPLE), "--sellers", *sellers, "--out", str(out)]
    if command[0] == "reconcile":
        argv += reconcile_snapshots(tmp_path)
    assert main(argv) == 0, capsys.readouterr().err
    table = pl.read_parquet(out)
    assert table.height > 0
    assert set(table["seller_id"]) == set(sellers)


@pytest.mark.parametrize("command", TABLE_COMMANDS)
def test_an_unknown_seller_is_an_input_error_and_nothing_is_written(command, tmp_path, capsys):
    out = tmp_path / "table.csv"
    argv = [*command, "--data", str(SAMPLE), "--sellers", "S06-violations", "S99-nobody"]
    argv += ["--out", str(out)]
    if command[0] == "reconcile":
        argv += reconcile_snapshots(tmp_path)
        capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"seller-health {command[0]}: unknown seller ids: 'S99-nobody'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_forecast_removes_an_order_record(tmp_path, capsys):
    """What-if by order id: S08's missing invoice cleared changes nothing today (it waits
    out the lag), and the forecast has the order's IDR window without it."""
    argv = ["forecast", "--data", str(SAMPLE), "--as-of", AS_OF, "--horizon", "12"]
    argv += ["--sellers", "S08-business-invoices"]
    out, cleared = tmp_path / "plain.parquet", tmp_path / "cleared.parquet"
    assert main([*argv, "--out", str(out)]) == 0
    assert main([*argv, "--remove", "113-0409261-1836694", "--out", str(cleared)]) == 0
    capsys.readouterr()

    def idr(path):
        return pl.read_parquet(path).filter(metric="idr_7d").sort("as_of")["projected_numerator"]

    # the order of 10 November is in the IDR window of 17-23 November (D+2 .. D+8)
    assert (idr(out) - idr(cleared)).to_list() == [0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
