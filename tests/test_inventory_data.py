"""The inventory and ipi_observed tables (definitions section 11): reading, defaults, every error kind."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import CORPUS
from toolkit.cli import main
from toolkit.model.data import DataError, dataset_from_frames, read_data
from toolkit.model.summary import data_summary

ORDERS = pl.DataFrame(
    {"order_id": ["O1"], "seller_id": ["S1"], "channel": ["afn"], "purchased_at": ["2025-03-01"]}
)

# case directory -> (file, column, problem fragment, rows, values)
CASES = [
    pytest.param(
        "inventory_duplicate_sku_date",
        "inventory.csv",
        "seller_id, marketplace, sku, date",
        "duplicate (seller_id, marketplace, sku, date)",
        (1, 3),
        ("S1/US/MUG/2025-03-01",),
        id="the same SKU twice on one date (an empty marketplace is US)",
    ),
    pytest.param(
        "inventory_available_above_on_hand",
        "inventory.csv",
        "available",
        "available above on_hand",
        (2,),
        ("11 > on_hand 9",),
        id="more units available than on hand",
    ),
    pytest.param(
        "inventory_stranded_above_on_hand",
        "inventory.csv",
        "stranded",
        "stranded above on_hand",
        (2,),
        ("12 > on_hand 10",),
        id="more units stranded than on hand",
    ),
    pytest.param(
        "inventory_excess_above_on_hand",
        "inventory.csv",
        "excess",
        "excess above on_hand",
        (2,),
        ("40 > on_hand 10",),
        id="more excess units than on hand",
    ),
    pytest.param(
        "inventory_negative_units",
        "inventory.csv",
        "shipped",
        "shipped not >= 0",
        (2,),
        ("-3",),
        id="negative units shipped",
    ),
    pytest.param(
        "inventory_gap_in_dates",
        "inventory.csv",
        "date",
        "gap in a SKU's dates",
        (3,),
        ("MUG (S1, US): no rows for 2025-03-03 .. 2025-03-04",),
        id="a SKU without rows for two days between its first and last",
    ),
    pytest.param(
        "inventory_unparseable_date",
        "inventory.csv",
        "date",
        "unparseable date",
        (2,),
        ("03/02/2025",),
        id="a date that is not YYYY-MM-DD",
    ),
    pytest.param(
        "inventory_not_an_integer",
        "inventory.csv",
        "on_hand",
        "not an integer",
        (2,),
        ("9.5",),
        id="half a unit on hand",
    ),
    pytest.param(
        "ipi_observed_score_out_of_range",
        "ipi_observed.csv",
        "score",
        "score not 0..1000",
        (2,),
        ("1200",),
        id="an observed score above 1000",
    ),
    pytest.param(
        "ipi_observed_duplicate_date",
        "ipi_observed.csv",
        "seller_id, marketplace, date",
        "duplicate (seller_id, marketplace, date)",
        (1, 2),
        ("S1/US/2025-03-03",),
        id="two observed scores on one date",
    ),
]


@pytest.mark.parametrize(("case", "file", "column", "problem", "rows", "values"), CASES)
def test_each_inventory_error_is_reported_with_its_place(case, file, column, problem, rows, values):
    with pytest.raises(DataError) as info:
        read_data(CORPUS / case)
    (error,) = info.value.errors
    assert (error.file, error.column) == (file, column)
    assert problem in error.problem
    assert (error.rows, error.count) == (rows, len(rows))
    assert error.values == values


@pytest.mark.parametrize("case", [p.values[0] for p in CASES])
def test_cli_exits_2_on_each_inventory_error(case, tmp_path, capsys):
    out = tmp_path / "inventory.csv"
    status = main(["inventory", "--data", str(CORPUS / case), "--as-of", "2025-03-05"])
    status_out = main(
        ["inventory", "--data", str(CORPUS / case), "--as-of", "2025-03-05", "--out", str(out)]
    )
    assert status == status_out == 2
    assert "input error" in capsys.readouterr().err
    assert not out.exists()


def test_inventory_defaults_and_types():
    inventory = pl.DataFrame(
        {
            "date": ["2025-03-01", "2025-03-02"],
            "seller_id": ["S1", "S1"],
            "sku": ["MUG", "MUG"],
            "on_hand": ["10", "9"],
            "available": ["10", "9"],
            "replenishable": ["", "no"],
        }
    )
    got = dataset_from_frames(orders=ORDERS, inventory=inventory).inventory.collect()
    expected = pl.DataFrame(
        {
            "date": [date(2025, 3, 1), date(2025, 3, 2)],
            "seller_id": ["S1", "S1"],
            "marketplace": ["US", "US"],
            "sku": ["MUG", "MUG"],
            "asin": [None, None],
            "on_hand": [10, 9],
            "available": [10, 9],
            "stranded": [0, 0],
            "shipped": [0, 0],
            "excess": [None, None],
            "replenishable": [True, False],
        },
        schema_overrides={"asin": pl.String, "excess": pl.Int64},
    )
    assert_frame_equal(got.sort("date"), expected)


def test_parquet_dates_and_datetimes_read_as_dates(tmp_path):
    (tmp_path / "d").mkdir()
    ORDERS.write_csv(tmp_path / "d" / "orders.csv")
    pl.DataFrame(
        {
            "seller_id": ["S1", "S1"],
            "date": [date(2025, 3, 3), date(2025, 3, 10)],
            "score": [612, 598],
        }
    ).write_parquet(tmp_path / "d" / "ipi_observed.parquet")
    got = read_data(tmp_path / "d").ipi_observed.collect()
    assert got.schema["date"] == pl.Date
    assert got.sort("date")["score"].to_list() == [612, 598]


def test_absent_inventory_tables_are_empty_and_listed_in_the_summary():
    data = dataset_from_frames(orders=ORDERS)
    assert data.inventory.collect().height == 0
    assert data.ipi_observed.collect_schema()["date"] == pl.Date
    summary = data_summary(data)
    assert "inventory           0 rows" in summary
    assert "ipi_observed        0 rows" in summary


def test_subset_and_for_sellers_cover_the_inventory_tables():
    orders = pl.DataFrame(
        {
            "order_id": ["O1", "O2"],
            "seller_id": ["S1", "S2"],
            "channel": ["afn", "afn"],
            "purchased_at": ["2025-03-01", "2025-03-01"],
        }
    )
    inventory = pl.DataFrame(
        {
            "date": ["2025-03-01"] * 3,
            "seller_id": ["S1", "S2", "S3"],
            "sku": ["A", "A", "A"],
            "on_hand": [1, 2, 3],
            "available": [1, 2, 3],
        }
    )
    observed = pl.DataFrame({"seller_id": ["S3"], "date": ["2025-03-03"], "score": [500]})
    data = dataset_from_frames(orders=orders, inventory=inventory, ipi_observed=observed)
    only = data.for_sellers(["S3"])  # a seller with inventory and no order is known
    assert only.inventory.collect()["on_hand"].to_list() == [3]
    assert only.ipi_observed.collect()["score"].to_list() == [500]
    assert only.orders.collect().height == 0
    assert data.for_sellers(["S1"]).ipi_observed.collect().height == 0
