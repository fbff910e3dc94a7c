"""`seller-health ahr`: writes the AHR estimate and the violations table, or nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.cli import main
from toolkit.compliance.ahr import ahr_table
from toolkit.compliance.tables import violations_table
from toolkit.model.data import read_data

ORDERS = """order_id,seller_id,marketplace,channel,purchased_at,shipped_at
O1,S1,US,mfn,2025-01-01T10:00:00Z,2025-01-02T10:00:00Z
O2,S1,US,afn,2025-01-01T11:00:00Z,2025-01-02T23:50:00Z
O3,S2,US,mfn,2025-01-01T12:00:00Z,
"""
VIOLATIONS = """violation_id,seller_id,marketplace,category,severity,detected_at,resolution,resolved_at
V1,S1,US,listing_policy,high,2025-01-03T08:00:00Z,,
V2,S1,US,listing_policy,medium,2025-01-03T09:00:00Z,acknowledged,2025-01-04T09:00:00Z
V3,S2,US,product_safety,critical,2025-01-03T23:50:00Z,disputed_error,2025-01-05T01:00:00Z
"""


def data_dir(tmp_path: Path, violations: str = VIOLATIONS) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    (path / "orders.csv").write_text(ORDERS)
    (path / "violations.csv").write_text(violations)
    return path


def test_writes_both_tables_and_a_summary(tmp_path, capsys):
    data = data_dir(tmp_path)
    out, vout = tmp_path / "out" / "ahr.csv", tmp_path / "out" / "violations.parquet"
    argv = ["ahr", "--data", str(data), "--as-of", "2025-01-02", "--to", "2025-01-05"]
    status = main([*argv, "--out", str(out), "--violations-out", str(vout)])
    assert status == 0
    dataset = read_data(data)
    want = ahr_table(dataset, as_of=date(2025, 1, 2), to=date(2025, 1, 5)).collect()
    got = pl.read_csv(out, try_parse_dates=True)
    assert_frame_equal(got, want)
    assert got.filter(pl.col("seller_id") == "S2")["ahr_estimate"].to_list() == [200, 200, 0, 200]
    want_v = violations_table(dataset, as_of=date(2025, 1, 2), to=date(2025, 1, 5)).collect()
    assert_frame_equal(pl.read_parquet(vout), want_v)
    text = capsys.readouterr().out
    assert "AHR estimate (Amazon publishes no formula" in text
    assert "8 rows, 2 sellers" in text
    assert "lowest estimate: 0 (critical) for S2 US on 2025-01-04" in text
    assert "bands on 2025-01-05: healthy 1, at_risk 1, critical 0" in text
    assert "violations table: 8 rows" in text


def test_one_date_without_the_violations_table(tmp_path):
    out = tmp_path / "ahr.parquet"
    argv = ["ahr", "--data", str(data_dir(tmp_path)), "--as-of", "2025-01-03", "--out", str(out)]
    assert main(argv) == 0
    assert pl.read_parquet(out).select("seller_id", "ahr_estimate").sort("seller_id").rows() == [
        ("S1", 184),  # 200 - 8 - 4 * 2 (second listing-policy violation doubles)
        ("S2", 200),  # the critical one detected 23:50 shows on 4 January
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ahr.parquet", "data"]


def test_out_is_required(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ahr", "--data", str(data_dir(tmp_path)), "--as-of", "2025-01-03"])
    assert exc.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_to_before_as_of_writes_nothing(tmp_path, capsys):
    out = tmp_path / "ahr.csv"
    argv = ["ahr", "--data", str(data_dir(tmp_path)), "--as-of", "2025-01-03", "--to", "2025-01-02"]
    assert main([*argv, "--out", str(out)]) == 2
    assert "before --as-of" in capsys.readouterr().err
    assert not out.exists()


def test_bad_input_writes_nothing(tmp_path, capsys):
    bad = VIOLATIONS.replace("critical", "severe")
    out, vout = tmp_path / "ahr.csv", tmp_path / "violations.csv"
    argv = ["ahr", "--data", str(data_dir(tmp_path, bad)), "--as-of", "2025-01-03"]
    assert main([*argv, "--out", str(out), "--violations-out", str(vout)]) == 2
    err = capsys.readouterr().err
    assert "violations.csv: column severity" in err
    assert "'severe'" in err
    assert not out.exists()
    assert not vout.exists()
