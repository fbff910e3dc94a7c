"""The all-orders flat file into docs/definitions.md orders table (one row per order)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.amazon.ingest import read_orders_report
from toolkit.cli import main
from toolkit.model.data import DataError, dataset_from_frames
from toolkit.model.schema import TABLES

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"
ALL_ORDERS = FIXTURES / "all_orders.txt"
UTC_US = pl.Datetime("us", "UTC")
HEADER = "amazon-order-id\tpurchase-date\torder-status\tfulfillment-channel\tquantity"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "S7.txt"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_items_are_aggregated_to_orders():
    got = read_orders_report(ALL_ORDERS, seller_id="S1").collect()
    expected = pl.DataFrame(
        {
            "order_id": [
                "111-0000001-0000001",
                "111-0000002-0000002",
                "111-0000003-0000003",
                "111-0000004-0000004",
            ],
            "seller_id": ["S1"] * 4,
            "marketplace": ["US"] * 4,
            "channel": ["mfn", "afn", "mfn", "mfn"],
            "purchased_at": [
                utc(2025, 3, 3, 23, 55),
                utc(2025, 3, 4, 18, 0),
                utc(2025, 3, 5, 12, 0),
                utc(2025, 3, 6, 1, 0),
            ],
            "cancelled_at": [None, None, utc(2025, 3, 5, 18, 30), None],
            "is_business": [False, True, False, False],
            "units": [3, 4, None, 1],
            "order_status": ["Shipped", "Shipped", "Cancelled", "Pending"],
        },
        schema_overrides={"purchased_at": UTC_US, "cancelled_at": UTC_US},
    )
    assert got.columns == [*TABLES["orders"].names, "order_status"]
    empty = [c for c in TABLES["orders"].names if c not in expected.columns]
    assert got.select(pl.col(empty).null_count()).row(0) == (4,) * len(empty)
    assert_frame_equal(got.select(expected.columns).sort("order_id"), expected)


def test_output_is_a_valid_orders_table():
    data = dataset_from_frames(orders=read_orders_report(ALL_ORDERS).collect())
    orders = data.orders.collect()
    assert orders["seller_id"].unique().to_list() == ["all_orders"]
    assert orders["units"].to_list() == [3, 4, 1, 1]  # empty units are read as 1


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        pytest.param("Amazon", "afn", id="Amazon is afn"),
        pytest.param("Merchant", "mfn", id="Merchant is mfn"),
        pytest.param("AFN", "afn", id="AFN as in the help pages"),
        pytest.param(" merchant ", "mfn", id="any case and spaces"),
    ],
)
def test_channels(tmp_path, channel, expected):
    path = write(tmp_path, f"O-1\t2025-03-03T10:00:00Z\tShipped\t{channel}\t1")
    assert read_orders_report(path).collect()["channel"].to_list() == [expected]


def test_minimal_columns_and_file_name_as_seller(tmp_path):
    header = "Amazon-Order-Id\tpurchase-date\tfulfillment-channel"
    path = write(tmp_path, "O-1\t2025-03-03 10:00:00\tMerchant", header=header)
    got = read_orders_report(path, marketplace="DE").collect()
    assert got.select("order_id", "seller_id", "marketplace", "units", "is_business").rows() == [
        ("O-1", "S7", "DE", None, False)
    ]


@pytest.mark.parametrize(
    ("rows", "column", "problem", "where", "values"),
    [
        pytest.param(
            ["O-1\t03/03/2025 10:00\tShipped\tMerchant\t1"],
            "purchase-date",
            "unparseable timestamp",
            (1,),
            ("03/03/2025 10:00",),
            id="a US-style purchase date",
        ),
        pytest.param(
            ["O-1\t2025-03-03T10:00:00Z\tShipped\tFBA\t1"],
            "fulfillment-channel",
            "not Amazon or Merchant",
            (1,),
            ("FBA",),
            id="an unknown channel",
        ),
        pytest.param(
            ["O-1\t2025-03-03T10:00:00Z\tShipped\tMerchant\t-1"],
            "quantity",
            "not a whole number from 0 to 1000000",
            (1,),
            ("-1",),
            id="a negative quantity",
        ),
        pytest.param(
            ["O-1\t2025-03-03T10:00:00Z\tShipped\tMerchant\t9223372036854775807"],
            "quantity",
            "not a whole number from 0 to 1000000",
            (1,),
            ("9223372036854775807",),
            id="a quantity whose sum over the order would not fit 64 bits",
        ),
        pytest.param(
            ["O-1\t9999-12-31T23:00:00-05:00\tShipped\tMerchant\t1"],
            "purchase-date",
            "timestamp outside the years 1 to 9999 once converted to UTC",
            (1,),
            ("9999-12-31T23:00:00-05:00",),
            id="a purchase date past the year 9999 in UTC",
        ),
        pytest.param(
            [
                "O-1\t2025-03-03T10:00:00Z\tShipped\tMerchant\t1",
                "O-1\t2025-03-04T10:00:00Z\tShipped\tMerchant\t1",
            ],
            "purchase-date",
            "items of one order disagree on purchase-date",
            (1, 2),
            ("2025-03-03T10:00:00Z", "2025-03-04T10:00:00Z"),
            id="two purchase dates for one order",
        ),
        pytest.param(
            [
                "O-1\t2025-03-03T10:00:00Z\tShipped\tMerchant\t1",
                "O-1\t2025-03-03T10:00:00Z\tShipped\tAmazon\t1",
            ],
            "fulfillment-channel",
            "items of one order disagree on fulfillment-channel",
            (1, 2),
            ("Merchant", "Amazon"),
            id="two channels for one order",
        ),
    ],
)
def test_bad_rows(tmp_path, rows, column, problem, where, values):
    path = write(tmp_path, *rows)
    with pytest.raises(DataError) as info:
        read_orders_report(path)
    (error,) = info.value.errors
    assert (error.file, error.column, error.problem, error.rows, error.values) == (
        str(path),
        column,
        problem,
        where,
        values,
    )


def test_same_instant_in_two_offsets_is_one_purchase_date(tmp_path):
    path = write(
        tmp_path,
        "O-1\t2025-03-03T10:00:00Z\tShipped\tMerchant\t1",
        "O-1\t2025-03-03T12:00:00+02:00\tShipped\tMerchant\t2",
    )
    got = read_orders_report(path).collect()
    assert got.select("purchased_at", "units").rows() == [(utc(2025, 3, 3, 10), 3)]


def test_missing_required_columns(tmp_path):
    path = write(tmp_path, "O-1\tShipped", header="amazon-order-id\torder-status")
    with pytest.raises(DataError) as info:
        read_orders_report(path)
    assert [(e.column, e.problem) for e in info.value.errors] == [
        ("purchase-date", "missing required column"),
        ("fulfillment-channel", "missing required column"),
    ]


def test_cli(tmp_path, capsys):
    out = tmp_path / "orders.parquet"
    status = main(["ingest", "orders", str(ALL_ORDERS), "--out", str(out), "--seller", "S1"])
    assert status == 0
    assert pl.read_parquet(out).height == 4
    printed = capsys.readouterr().out
    assert "4 orders (afn 1, mfn 3; 1 cancelled), purchased 2025-03-03 .. 2025-03-06" in printed


def test_cli_bad_file_writes_nothing(tmp_path, capsys):
    path = write(tmp_path, "O-1\t2025-03-03T10:00:00Z\tShipped\tFBA\t1")
    out = tmp_path / "orders.csv"
    assert main(["ingest", "orders", str(path), "--out", str(out)]) == 2
    assert not out.exists()
    assert "column fulfillment-channel: not Amazon or Merchant" in capsys.readouterr().err


def test_buyer_columns_of_other_order_reports_are_not_kept(tmp_path):
    header = f"{HEADER}\tbuyer-email\tbuyer-name"
    path = write(
        tmp_path, "O-1\t2025-03-03T10:00:00Z\tShipped\tMerchant\t1\tb@example.com\tB", header=header
    )
    got = read_orders_report(path).collect()
    text = [str(v) for row in got.select(pl.all().cast(pl.String)).rows() for v in row]
    assert not [cell for cell in [*got.columns, *text] if "@" in cell or "buyer" in cell]
