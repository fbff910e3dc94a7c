"""`seller-health reconcile`: a snapshot table from `ingest sp-api` against a data directory."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.conftest import SAMPLE
from toolkit.amazon.reconcile import ORDER_COLUMNS, RECONCILE_COLUMNS
from toolkit.cli import main

REPORTS = sorted((SAMPLE / "sp_api").glob("*/*.json"))


@pytest.fixture(scope="module")
def snapshot_files(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("snapshots")
    files = {}
    for suffix in ("csv", "parquet"):
        files[suffix] = out / f"snapshots.{suffix}"
        argv = ["ingest", "sp-api", *map(str, REPORTS), "--out", str(files[suffix])]
        assert main(argv) == 0
    return files


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_sample_reports_reconcile_with_no_difference(snapshot_files, suffix, tmp_path, capsys):
    out = tmp_path / "reconcile.csv"
    argv = ["reconcile", "--snapshots", str(snapshot_files[suffix]), "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "reconciled 525 snapshot rows against data/sample: match 525, differs 0" in printed
    table = pl.read_csv(out, infer_schema_length=None)
    assert table.columns == RECONCILE_COLUMNS
    assert table.height == 525 and set(table["status"]) == {"match"}


def test_orders_list_and_orders_out(snapshot_files, tmp_path, capsys):
    listed = tmp_path / "odr_download.csv"
    # S10 on 29 October counts one negative feedback; Amazon's download lists a claim too
    orders = (
        pl.read_csv(SAMPLE / "feedback.csv", infer_schema=False)
        .join(pl.read_csv(SAMPLE / "orders.csv", infer_schema=False), on="order_id")
        .filter(seller_id="S10-disputes", rating="1")
        .filter(pl.col("comment").str.contains("médiocre"))
    )
    order_id = orders["order_id"].item()
    listed.write_text(
        "order_date,order_id,defect_type,snapshot_date\n"
        f",{order_id},Negative feedback,2026-10-29\n"
        ",111-0000000-0000000,A-to-z Guarantee claim,2026-10-29\n",
        encoding="utf-8",
    )
    out, orders_out = tmp_path / "rec.parquet", tmp_path / "orders.csv"
    argv = ["reconcile", "--snapshots", str(snapshot_files["csv"]), "--orders-list", str(listed)]
    argv += ["--out", str(out), "--orders-out", str(orders_out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "order-level: 2 rows, 1 counted by one side only" in printed
    table = pl.read_csv(orders_out)
    assert table.columns == ORDER_COLUMNS
    assert table.select("order_id", "in_amazon", "in_ours", "reason").rows() == [
        ("111-0000000-0000000", True, False, "order not in the data"),
        (order_id, True, True, None),
    ]
    odr = pl.read_parquet(out).filter(
        seller_id="S10-disputes", metric="odr", channel="mfn", snapshot_date=pl.date(2026, 10, 29)
    )
    assert odr["explanation"].item() == (
        "listed, not in the data (channel unknown): 1 order(s) (111-0000000-0000000)"
    )


def test_orders_out_needs_an_orders_list(snapshot_files, tmp_path, capsys):
    out = tmp_path / "orders.csv"
    argv = ["reconcile", "--snapshots", str(snapshot_files["csv"]), "--orders-out", str(out)]
    assert main(argv) == 2
    assert "--orders-out needs --orders-list" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("seller_id,metric\nS1,odr\n", "not a snapshot table: missing column(s)",
                     id="not a snapshot table"),
        pytest.param(None, "cannot be read", id="a missing file"),
    ],
)  # fmt: skip
def test_bad_snapshot_file_writes_nothing(tmp_path, capsys, content, message):
    snapshots = tmp_path / "snapshots.csv"
    if content is not None:
        snapshots.write_text(content)
    out = tmp_path / "rec.csv"
    assert main(["reconcile", "--snapshots", str(snapshots), "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_bad_orders_list_writes_nothing(snapshot_files, tmp_path, capsys):
    listed = tmp_path / "list.csv"
    listed.write_text("order_id,defect_type\nA,late delivery\n")
    out = tmp_path / "rec.csv"
    argv = ["reconcile", "--snapshots", str(snapshot_files["csv"]), "--orders-list", str(listed)]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "list.csv: column defect_type: unknown defect type" in err and "'late delivery'" in err
    assert not out.exists()
