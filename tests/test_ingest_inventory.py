"""Amazon's FBA inventory reports into the definitions section 11 inventory table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.amazon.ingest.inventory import (
    add_inventory_reports,
    normalise_header,
    read_inventory_reports,
    read_inventory_table,
)
from toolkit.cli import main
from toolkit.model.data import DataError, dataset_from_frames
from toolkit.model.schema import TABLES

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"
LEDGER = FIXTURES / "ledger_summary_daily.txt"
LEDGER_ODD = FIXTURES / "ledger_summary_extra_missing.txt"
STRANDED = FIXTURES / "stranded_2025-03-03.txt"
PLANNING = FIXTURES / "inventory_planning.txt"
LEDGER_HEADER = "Date\tMSKU\tDisposition\tCustomer Shipments\tEnding Warehouse Balance"


def expected(rows: list[tuple], asin=True) -> pl.DataFrame:
    """Inventory rows (date, sku, on_hand, available, stranded, shipped, excess) of S1, US."""
    frame = pl.DataFrame(
        rows,
        schema=["date", "sku", "on_hand", "available", "stranded", "shipped", "excess"],
        orient="row",
    )
    asins = {"MUG-BLUE": "B0MUG00001", "LID-12": "B0LID00001"}
    return frame.select(
        "date",
        seller_id=pl.lit("S1"),
        marketplace=pl.lit("US"),
        sku="sku",
        asin=pl.col("sku").replace_strict(asins) if asin else pl.lit(None, pl.String),
        on_hand="on_hand",
        available="available",
        stranded="stranded",
        shipped="shipped",
        excess=pl.col("excess").cast(pl.Int64),
        replenishable=pl.lit(True),
    )


def d(day: int) -> date:
    return date(2025, 3, day)


def test_ledger_stranded_and_planning_combine_into_the_inventory_table():
    got = read_inventory_reports(
        [LEDGER], stranded=[STRANDED], planning=[PLANNING], seller_id="S1"
    ).collect()
    # MUG-BLUE on 3 March: 65 sellable + 2 damaged = 67 on hand; 10 + 2 stranded; 53 left
    want = expected(
        [
            (d(1), "LID-12", 19, 19, 0, 1, None),
            (d(2), "LID-12", 19, 19, 0, 0, None),
            (d(3), "LID-12", 17, 12, 5, 2, 9),
            (d(1), "MUG-BLUE", 48, 46, 0, 4, None),
            (d(2), "MUG-BLUE", 72, 70, 0, 6, 0),
            (d(3), "MUG-BLUE", 67, 53, 12, 5, 0),
        ]
    )
    assert got.columns == TABLES["inventory"].names
    assert_frame_equal(got, want)
    dataset_from_frames(inventory=got)  # a valid inventory table


def test_a_file_with_extra_and_missing_columns_and_a_gap_filled_forward():
    got = read_inventory_reports([LEDGER_ODD], seller_id="S1", fill_gaps=True).collect()
    want = expected(
        [
            (d(1), "LID-12", 19, 19, 0, 1, None),
            (d(2), "LID-12", 19, 19, 0, 0, None),  # carried forward, nothing shipped
            (d(3), "LID-12", 17, 17, 0, 2, None),
            (d(1), "MUG-BLUE", 46, 46, 0, 4, None),
            (d(2), "MUG-BLUE", 70, 70, 0, 6, None),
            (d(3), "MUG-BLUE", 65, 65, 0, 5, None),
        ],
        asin=False,
    )
    assert_frame_equal(got, want)
    assert "Store" not in got.columns and "notes?" not in got.columns


def test_a_gap_without_fill_gaps_is_an_error_naming_the_sku_and_dates():
    with pytest.raises(DataError, match="--fill-gaps") as info:
        read_inventory_reports([LEDGER_ODD], seller_id="S1")
    (error,) = info.value.errors
    assert error.file.endswith("ledger_summary_extra_missing.txt")
    assert error.values == ("LID-12: no rows for 2025-03-02 .. 2025-03-02",)


@pytest.mark.parametrize(
    ("header", "expected_name"),
    [
        pytest.param("Ending Warehouse Balance", "endingwarehousebalance", id="Title Case With Spaces"),
        pytest.param("ending-warehouse-balance", "endingwarehousebalance", id="kebab-case"),
        pytest.param("ENDING_WAREHOUSE_BALANCE", "endingwarehousebalance", id="SNAKE_CASE"),
        pytest.param("Exempted from Low-Inventory-Level fee?", "exemptedfromlowinventorylevelfee",
                     id="a trailing question mark"),
        pytest.param(' "MSKU" ', "msku", id="quoted and padded"),
    ],
)  # fmt: skip
def test_header_names_are_compared_without_case_spaces_hyphens_or_question_marks(
    header, expected_name
):
    assert normalise_header(header) == expected_name


def test_seller_defaults_to_the_file_name_and_marketplace_is_an_option(tmp_path):
    path = tmp_path / "A2SELLER.txt"
    path.write_text(f"{LEDGER_HEADER}\n2025-03-01\tMUG\tSELLABLE\t-1\t5\n")
    got = read_inventory_reports([path], marketplace="DE").collect()
    assert got.select("seller_id", "marketplace").row(0) == ("A2SELLER", "DE")


def test_day_first_reads_european_dates(tmp_path):
    path = tmp_path / "S1.txt"
    path.write_text(f"{LEDGER_HEADER}\n02/03/2025\tMUG\tSELLABLE\t0\t5\n")
    assert read_inventory_reports([path]).collect()["date"].item() == date(2025, 2, 3)
    assert read_inventory_reports([path], day_first=True).collect()["date"].item() == d(2)


@pytest.mark.parametrize(
    ("header", "rows", "column", "problem", "values"),
    [
        pytest.param("Date\tMSKU\tDisposition\tCustomer Shipments", ["2025-03-01\tM\tSELLABLE\t0"],
                     "Ending Warehouse Balance", "missing required column", (),
                     id="no ending balance column"),
        pytest.param(LEDGER_HEADER + "\tending_warehouse_balance", ["2025-03-01\tM\tSELLABLE\t0\t1\t1"],
                     "Ending Warehouse Balance", "duplicate column names",
                     ("Ending Warehouse Balance", "ending_warehouse_balance"),
                     id="two spellings of one column"),
        pytest.param(LEDGER_HEADER, ["2025-03-01\tM\tSELLABLE\t0\t1", "March 2\tM\tSELLABLE\t0\t1"],
                     "Date", "unparseable date", ("March 2",), id="a date in words"),
        pytest.param(LEDGER_HEADER, ["2025-03-01\tM\tSELLABLE\t3\t1"],
                     "Customer Shipments", "above 0", ("3",), id="shipments written as positive"),
        pytest.param(LEDGER_HEADER, ["2025-03-01\tM\tSELLABLE\t0\tlots"],
                     "Ending Warehouse Balance", "not a whole number", ("lots",),
                     id="a balance that is not a number"),
        pytest.param(LEDGER_HEADER, ["2025-03-01\tM\tSELLABLE\t0\t-2"],
                     "Ending Warehouse Balance", "negative balance", ("-2",),
                     id="a negative balance"),
        pytest.param(LEDGER_HEADER, ["2025-03-01\tM\tSELLABLE\t0\t2", "2025-03-01\tM\tSELLABLE\t0\t2"],
                     "MSKU", "twice", ("M",), id="the same ledger row twice"),
        pytest.param(LEDGER_HEADER, ["2025-03-01\t\tSELLABLE\t0\t2"],
                     "MSKU", "missing value", (), id="an empty SKU"),
    ],
)  # fmt: skip
def test_ledger_errors_name_the_file_rows_column_and_values(
    tmp_path, header, rows, column, problem, values
):
    path = tmp_path / "S1.txt"
    path.write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(DataError) as info:
        read_inventory_reports([path])
    matches = [e for e in info.value.errors if e.column == column and problem in e.problem]
    assert len(matches) == 1, info.value.errors
    assert matches[0].file == str(path)
    assert set(values) <= set(matches[0].values)


def test_stranded_units_for_a_sku_without_a_ledger_row_are_an_error(tmp_path):
    stranded = tmp_path / "stranded_2025-03-04.txt"  # the ledger ends on 3 March
    stranded.write_text(STRANDED.read_text())
    with pytest.raises(DataError, match="without a ledger row") as info:
        read_inventory_reports([LEDGER], stranded=[stranded])
    (error,) = info.value.errors
    assert error.file == str(stranded)
    assert error.values == ("MUG-BLUE on 2025-03-04", "LID-12 on 2025-03-04")
    assert error.rows == (1, 3)


def test_stranded_above_the_ledgers_on_hand_is_an_error(tmp_path):
    stranded = tmp_path / "stranded_2025-03-01.txt"
    stranded.write_text("sku\tfulfillable-qty\nLID-12\t25\n")
    with pytest.raises(DataError, match="stranded above the ledger's on_hand") as info:
        read_inventory_reports([LEDGER], stranded=[stranded])
    assert info.value.errors[0].values == ("LID-12 on 2025-03-01: 25 > on_hand 19",)


def test_a_stranded_report_needs_a_date():
    undated = FIXTURES / "inventory_planning.txt"  # any file without a date in its name
    with pytest.raises(DataError, match="has no date"):
        read_inventory_reports([LEDGER], stranded=[undated])
    got = read_inventory_reports([LEDGER], stranded=[STRANDED], stranded_date=d(2)).collect()
    assert got.filter(pl.col("stranded") > 0)["date"].unique().to_list() == [d(2)]


def test_two_ledger_files_with_the_same_day_are_an_error(tmp_path):
    copy = tmp_path / "again.txt"
    copy.write_bytes(LEDGER.read_bytes())
    with pytest.raises(DataError, match="the same SKU and date in two ledger files"):
        read_inventory_reports([LEDGER, copy])


def test_stranded_and_planning_update_an_existing_table(tmp_path):
    first = read_inventory_reports([LEDGER], seller_id="S1").collect()
    path = tmp_path / "inventory.csv"
    first.write_csv(path)
    table = read_inventory_table(path)
    updated = add_inventory_reports(table, stranded=[STRANDED], planning=[PLANNING]).collect()
    direct = read_inventory_reports(
        [LEDGER], stranded=[STRANDED], planning=[PLANNING], seller_id="S1"
    ).collect()
    assert_frame_equal(updated, direct)


def test_updating_a_table_of_several_sellers_needs_the_seller():
    one = read_inventory_reports([LEDGER], seller_id="S1")
    two = read_inventory_reports([LEDGER], seller_id="S2")
    both = pl.concat([one, two])
    with pytest.raises(DataError, match="S1 US, S2 US") as info:
        add_inventory_reports(both, stranded=[STRANDED], source="both.csv")
    assert info.value.errors[0].file == "both.csv"
    got = add_inventory_reports(both, stranded=[STRANDED], seller_id="S2").collect()
    stranded = got.group_by("seller_id").agg(pl.col("stranded").sum()).sort("seller_id")
    assert stranded.rows() == [("S1", 0), ("S2", 17)]


def test_cli_ingest_inventory_ledger_then_stranded_then_planning(tmp_path, capsys):
    out = tmp_path / "inventory.csv"
    assert (
        main(["ingest", "inventory-ledger", str(LEDGER), "--seller", "S1", "--out", str(out)]) == 0
    )
    assert (
        main(["ingest", "stranded", str(STRANDED), "--inventory", str(out), "--out", str(out)]) == 0
    )
    final = tmp_path / "final.parquet"
    assert (
        main(["ingest", "planning", str(PLANNING), "--inventory", str(out), "--out", str(final)])
        == 0
    )
    printed = capsys.readouterr().out
    assert "6 inventory rows, 2 SKUs, dates 2025-03-01 .. 2025-03-03" in printed
    assert "17 units stranded" in printed
    direct = read_inventory_reports(
        [LEDGER], stranded=[STRANDED], planning=[PLANNING], seller_id="S1"
    ).collect()
    assert_frame_equal(pl.read_parquet(final), direct)


def test_cli_ingest_errors_exit_2_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "inventory.csv"
    status = main(["ingest", "inventory-ledger", str(LEDGER_ODD), "--out", str(out)])
    assert status == 2
    assert "gap in a SKU's dates" in capsys.readouterr().err
    assert not out.exists()
    directory = tmp_path / "looks-like-a-file.csv"
    directory.mkdir()
    assert main(["ingest", "inventory-ledger", str(LEDGER), "--out", str(directory)]) == 2
    assert "is a directory" in capsys.readouterr().err
