"""Reading and validating data directories (SPEC sections 3 and 8)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import CORPUS
from toolkit.cli import main
from toolkit.model.data import DataError, dataset_from_frames, read_data

# case directory -> (file, column, problem fragment, rows, values)
CASES = [
    pytest.param(
        "missing_required_column",
        "orders.csv",
        "channel",
        "missing required column",
        (),
        (),
        id="missing required column",
    ),
    pytest.param(
        "unparseable_timestamp",
        "orders.csv",
        "purchased_at",
        "unparseable timestamp",
        (2, 3),
        ("03/02/2025 10:00", "2025-02-30T10:00:00Z"),
        id="unparseable timestamp",
    ),
    pytest.param(
        "enum_not_allowed",
        "orders.csv",
        "channel",
        "enumeration value not allowed",
        (2,),
        ("fba",),
        id="channel not mfn or afn",
    ),
    pytest.param(
        "enum_not_allowed",
        "orders.csv",
        "cancelled_by",
        "enumeration value not allowed",
        (3,),
        ("customer",),
        id="cancelled_by not allowed",
    ),
    pytest.param(
        "duplicate_order_id",
        "orders.csv",
        "order_id",
        "duplicate order_id",
        (1, 3),
        ("O1",),
        id="duplicate order id",
    ),
    pytest.param(
        "rating_out_of_range",
        "feedback.csv",
        "rating",
        "rating outside 1..5",
        (2, 3),
        ("0", "6"),
        id="rating outside 1..5",
    ),
    pytest.param(
        "resolved_before_filed",
        "claims.csv",
        "resolved_at",
        "resolved_at before filed_at",
        (1,),
        ("2025-03-09T10:00:00Z",),
        id="claim resolved before filed",
    ),
    pytest.param(
        "resolved_before_detected",
        "violations.csv",
        "resolved_at",
        "resolved_at before detected_at",
        (1,),
        ("2025-03-01T10:00:00Z",),
        id="violation resolved before detected",
    ),
    pytest.param(
        "missing_resolved_at",
        "chargebacks.csv",
        "outcome",
        "missing resolved_at for a resolved outcome",
        (2,),
        ("seller_won",),
        id="resolved outcome without resolved_at",
    ),
    pytest.param(
        "unknown_order",
        "claims.csv",
        "order_id",
        "references an unknown order_id",
        (2,),
        ("O9",),
        id="claim on an unknown order",
    ),
    pytest.param(
        "not_a_boolean",
        "orders.csv",
        "tracking_valid",
        "not a boolean",
        (2,),
        ("maybe",),
        id="boolean that is not one",
    ),
    pytest.param(
        "units_not_positive",
        "orders.csv",
        "units",
        "units not >= 1",
        (2,),
        ("0",),
        id="units below 1",
    ),
    pytest.param(
        "missing_value",
        "orders.csv",
        "seller_id",
        "missing value in a required column",
        (1,),
        (),
        id="empty required cell",
    ),
    # SPEC 12: returns, messages and reviews (one directory, each error once)
    *(
        pytest.param("service_bad_rows", *case, id=case_id)
        for case_id, case in {
            "duplicate return id": (
                "returns.csv",
                "return_id",
                "duplicate return_id",
                (1, 3),
                ("R1",),
            ),
            "return of an unknown order": (
                "returns.csv",
                "order_id",
                "references an unknown order_id",
                (2,),
                ("O9",),
            ),
            "response before the request": (
                "returns.csv",
                "responded_at",
                "responded_at before requested_at",
                (3,),
                ("2025-03-06T09:00:00Z",),
            ),
            "return outcome not allowed": (
                "returns.csv",
                "outcome",
                "enumeration value not allowed",
                (3,),
                ("lost",),
            ),
            "in_policy not a boolean": (
                "returns.csv",
                "in_policy",
                "not a boolean",
                (4,),
                ("maybe",),
            ),
            "reply before the message": (
                "messages.csv",
                "replied_at",
                "replied_at before received_at",
                (1,),
                ("2025-03-05T09:59:59Z",),
            ),
            "message about an unknown order": (
                "messages.csv",
                "order_id",
                "references an unknown order_id",
                (3,),
                ("O7",),
            ),
            "message without a seller": (
                "messages.csv",
                "seller_id",
                "missing value in a required column",
                (4,),
                (),
            ),
            "stars outside 1..5": (
                "reviews.csv",
                "stars",
                "stars outside 1..5",
                (2, 3),
                ("0", "6"),
            ),
            "duplicate review id": (
                "reviews.csv",
                "review_id",
                "duplicate review_id",
                (3, 4),
                ("V3",),
            ),
        }.items()
    ),
]


@pytest.mark.parametrize(("case", "file", "column", "problem", "rows", "values"), CASES)
def test_each_error_kind_is_reported_with_its_place(case, file, column, problem, rows, values):
    with pytest.raises(DataError) as info:
        read_data(CORPUS / case)
    matches = [
        e
        for e in info.value.errors
        if e.file == file and e.column == column and problem in e.problem
    ]
    assert len(matches) == 1, info.value.errors
    error = matches[0]
    assert error.rows == rows
    assert error.count == len(rows)
    assert set(values) <= set(error.values)


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        pytest.param("no_orders_file", "no orders.csv or orders.parquet", id="no orders file"),
        pytest.param(
            "both_formats", "both orders.csv and orders.parquet", id="csv and parquet of one table"
        ),
    ],
)
def test_directory_level_errors(case, fragment):
    with pytest.raises(DataError, match=fragment):
        read_data(CORPUS / case)


@pytest.mark.parametrize("case", [p.values[0] for p in CASES])
def test_cli_exits_non_zero_and_writes_nothing(case, tmp_path, capsys):
    out = tmp_path / "out.csv"
    status = main(["validate", "--data", str(CORPUS / case)])
    assert status == 2
    err = capsys.readouterr().err
    assert "input error" in err
    assert not out.exists()


def test_more_than_ten_bad_rows_show_ten_and_the_count():
    n = 25
    orders = pl.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(n)],
            "seller_id": ["S"] * n,
            "channel": ["mfn"] * n,
            "purchased_at": ["not a time"] * n,
        }
    )
    with pytest.raises(DataError) as info:
        dataset_from_frames(orders=orders)
    (error,) = info.value.errors
    assert error.count == 25
    assert error.rows == tuple(range(1, 11))
    assert "25 rows" in str(error) and "first 10 shown" in str(error)


def test_valid_file_with_mixed_offsets_and_defaults():
    data = read_data(CORPUS / "valid_mixed_offsets")
    got = data.orders.select(
        "order_id", "marketplace", "purchased_at", "tracking_valid", "is_business", "units"
    ).collect()
    utc = UTC
    expected = pl.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "marketplace": ["US", "DE", "US"],
            "purchased_at": [
                datetime(2025, 3, 1, 10, tzinfo=utc),
                datetime(2025, 3, 2, 8, tzinfo=utc),  # +02:00 converted to UTC
                datetime(2025, 3, 3, 10, tzinfo=utc),  # naive read as UTC
            ],
            "tracking_valid": [True, False, None],
            "is_business": [False, True, False],
            "units": [1, 3, 1],
        },
        schema_overrides={"purchased_at": pl.Datetime("us", "UTC")},
    )
    assert_frame_equal(got, expected)


def test_absent_tables_are_empty_with_the_full_schema():
    data = read_data(CORPUS / "valid_mixed_offsets")
    claims = data.claims.collect()
    assert claims.height == 0
    assert claims.schema["resolved_at"] == pl.Datetime("us", "UTC")


def test_parquet_with_typed_columns_reads_like_csv(tmp_path):
    csv = read_data(CORPUS / "valid_mixed_offsets").orders.collect()
    (tmp_path / "d").mkdir()
    pl.read_csv(CORPUS / "valid_mixed_offsets" / "orders.csv", infer_schema=False).with_columns(
        pl.col("units").cast(pl.Int64)
    ).write_parquet(tmp_path / "d" / "orders.parquet")
    parquet = read_data(tmp_path / "d").orders.collect()
    assert_frame_equal(csv, parquet)


def test_extra_columns_are_kept_and_ignored():
    orders = pl.DataFrame(
        {
            "order_id": ["A"],
            "seller_id": ["S"],
            "channel": ["afn"],
            "purchased_at": ["2025-01-01"],
            "sku": ["X-1"],
        }
    )
    frame = dataset_from_frames(orders=orders).orders.collect()
    assert frame["sku"].to_list() == ["X-1"]
