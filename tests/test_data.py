"""Reading and validating data directories (definitions sections 3 and 8)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import CORPUS
from toolkit.cli import main
from toolkit.model.data import DataError, dataset_from_frames, read_data, validate_data

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
    # definitions section 12: returns, messages and reviews (one directory, each error once)
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
    pytest.param(
        "timestamp_outside_calendar",
        "orders.csv",
        "purchased_at",
        "timestamp outside the years 1 to 9999 once converted to UTC",
        (2, 3),
        ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-05:00"),
        id="an offset that moves a time out of the years 1 to 9999",
    ),
    pytest.param(
        "not_utf8",
        "orders.csv",
        None,
        "is not UTF-8 text: it looks like Windows-1252 (or ISO-8859-1, Latin-1); re-save it "
        "as UTF-8 (Excel: Save As 'CSV UTF-8 (Comma delimited)'; or iconv -f WINDOWS-1252 -t "
        "UTF-8 FILE > NEW)",
        (2,),
        ("Société",),
        id="a row in Windows-1252, not UTF-8",
    ),
    pytest.param(
        "more_fields",
        "orders.csv",
        None,
        "row with more fields than the header's 5",
        (2,),
        ("6",),
        id="a row with more fields than the header",
    ),
    pytest.param(
        "fewer_fields",
        "orders.csv",
        None,
        "row with fewer fields than the header's 5",
        (2,),
        ("4",),
        id="a row with fewer fields than the header",
    ),
    pytest.param(
        "unbalanced_quote",
        "orders.csv",
        None,
        "unbalanced quote: a quoted field that opens in this row is never closed",
        (2,),
        (),
        id="a quote that never closes",
    ),
    pytest.param(
        "stray_quote",
        "orders.csv",
        None,
        "a quote inside a field that does not start with one",
        (2,),
        ('O2,S"1,mfn,2025-03-02T10:00:00Z,1',),
        id="a quote in the middle of an unquoted field",
    ),
    pytest.param(
        "text_after_quote",
        "orders.csv",
        None,
        "text after the closing quote of a quoted field",
        (2,),
        (),
        id="text after a closing quote",
    ),
    pytest.param(
        "blank_row_between",
        "orders.csv",
        None,
        "blank row (no values) between data rows: delete it",
        (2, 3),
        (),
        id="an empty line and a row of commas between rows",
    ),
    pytest.param(
        "integer_out_of_range",
        "orders.csv",
        "units",
        "not an integer (or outside the 64-bit range)",
        (2,),
        ("99999999999999999999",),
        id="units beyond 64 bits in a CSV file",
    ),
    pytest.param(
        "parquet_uint64_overflow",
        "orders.parquet",
        "units",
        "not an integer (or outside the 64-bit range)",
        (2,),
        ("18446744073709551615",),
        id="a UInt64 too large for a 64-bit integer in Parquet",
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


# case directory -> (file, column, the whole problem): errors of a file or column, no rows
FILE_CASES = [
    pytest.param(
        "utf16",
        "orders.csv",
        None,
        "is not UTF-8 text: it looks like UTF-16 (little-endian, with a byte order mark); "
        "re-save it as UTF-8 (Excel: Save As 'CSV UTF-8 (Comma delimited)'; or iconv -f "
        "UTF-16 -t UTF-8 FILE > NEW)",
        id="a UTF-16 file",
    ),
    pytest.param(
        "wrong_delimiter",
        "orders.csv",
        None,
        "looks semicolon (;)-separated: the toolkit reads comma-separated files; re-save it "
        "with commas as the separator",
        id="a semicolon-separated file",
    ),
    pytest.param(
        "duplicate_column",
        "orders.csv",
        "channel",
        "duplicate column name (columns 3, 5): keep one",
        id="two columns with one name",
    ),
    pytest.param(
        "carriage_return_line_ends",
        "orders.csv",
        None,
        "uses carriage returns alone as line ends (old Mac format): re-save it with LF or "
        "CRLF line ends",
        id="old Mac line ends",
    ),
    pytest.param("empty_file", "orders.csv", None, "is empty: no header row", id="an empty file"),
    pytest.param(
        "directory_as_table",
        "claims.csv",
        None,
        "is a directory, not a table file",
        id="a directory named claims.csv",
    ),
    pytest.param(
        "parquet_list_column",
        "orders.parquet",
        "seller_id",
        "stored as List(String); a text column is read from text or integer values",
        id="a Parquet list column",
    ),
]


@pytest.mark.parametrize(("case", "file", "column", "problem"), FILE_CASES)
def test_each_file_level_error_is_the_only_error(case, file, column, problem):
    with pytest.raises(DataError) as info:
        read_data(CORPUS / case)
    (error,) = info.value.errors
    assert (error.file, error.column, error.problem, error.rows, error.count) == (
        file,
        column,
        problem,
        (),
        0,
    )


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


VALID = ["valid_mixed_offsets", "valid_trailing_blank_lines", "valid_leap_second",
         "valid_quoted_fields"]  # fmt: skip


def test_every_corpus_directory_is_read_by_a_test():
    from tests.test_calendar_ends import FAR
    from tests.test_inventory_data import CASES as INVENTORY_CASES

    named = {p.values[0] for p in [*CASES, *FILE_CASES, *INVENTORY_CASES]}
    named |= {"no_orders_file", "both_formats", FAR.name}
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert on_disk == named | set(VALID)


@pytest.mark.parametrize("case", [p.values[0] for p in [*CASES, *FILE_CASES]])
def test_cli_exits_non_zero_and_writes_nothing(case, tmp_path, capsys):
    out = tmp_path / "out.csv"
    argv = ["metrics", "--data", str(CORPUS / case), "--as-of", "2025-03-10", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("seller-health metrics: ") and "input error" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_trailing_blank_lines_are_not_rows():
    orders = read_data(CORPUS / "valid_trailing_blank_lines").orders.collect()
    assert orders.select("order_id", "channel", "units").sort("order_id").rows() == [
        ("O1", "mfn", 1),
        ("O2", "afn", 2),
    ]


def test_a_leap_second_stays_in_its_minute_and_on_its_day():
    """23:59:60 (also with a fraction, and 01:59:60 at +02:00) is 23:59:59.999999 UTC."""
    orders = read_data(CORPUS / "valid_leap_second").orders.collect()
    last = datetime(2016, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    assert orders.sort("order_id")["purchased_at"].to_list() == [last, last, last]


def test_quoted_fields_with_commas_quotes_and_line_breaks_are_read():
    orders = read_data(CORPUS / "valid_quoted_fields").orders.collect().sort("order_id")
    assert orders.select("order_id", "seller_id", "note").rows() == [
        ("O1", "S1, the first", "two\nlines"),
        ("O2", 'say "hi"', None),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("'=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0", id="a quoted formula"),
        pytest.param("'-2", "-2", id="a quoted minus"),
        pytest.param("''@x", "'@x", id="a quote before a quoted at sign"),
        pytest.param("'plain", "'plain", id="a leading quote before plain text stays"),
    ],
)
def test_csv_text_loses_the_spreadsheet_quote_the_toolkit_writes(tmp_path, text, expected):
    (tmp_path / "orders.csv").write_text(
        f"order_id,seller_id,channel,purchased_at\nO1,{text},mfn,2025-03-01\n"
    )
    assert read_data(tmp_path).orders.collect()["seller_id"].to_list() == [expected]


def test_an_unreadable_data_directory_is_an_input_error(tmp_path, monkeypatch):
    """As root a chmod does not stop reading, so the operating system's refusal is faked."""
    import os

    real = os.scandir

    def refuse(path):
        if str(path) == str(tmp_path):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", refuse)
    with pytest.raises(DataError) as info:
        read_data(tmp_path)
    assert [str(e) for e in info.value.errors] == [f"{tmp_path}: cannot be read: Permission denied"]


def test_a_broken_link_where_a_table_file_should_be(tmp_path):
    (tmp_path / "orders.csv").write_text("order_id,seller_id,channel,purchased_at\n")
    (tmp_path / "claims.csv").symlink_to(tmp_path / "gone.csv")
    assert [str(e) for e in validate_data(tmp_path)] == [
        "claims.csv: is not a regular file (a broken link, a pipe or a device)"
    ]


def test_an_unreadable_table_file_is_an_input_error(tmp_path, monkeypatch):
    from pathlib import Path

    (tmp_path / "orders.csv").write_text("order_id,seller_id,channel,purchased_at\n")
    real = Path.open

    def refuse(self, *args, **kwargs):
        if self.name == "orders.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(DataError) as info:
        read_data(tmp_path)
    assert [str(e) for e in info.value.errors] == ["orders.csv: cannot be read: Permission denied"]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        pytest.param(
            lambda p: p.write_text("x"), "is not a data directory (it is a file)", id="a file"
        ),
        pytest.param(lambda p: None, "is not a data directory (it does not exist)", id="nothing"),
    ],
)
def test_a_data_directory_that_is_not_one(tmp_path, make, problem):
    path = tmp_path / "data"
    make(path)
    assert [str(e) for e in validate_data(path)] == [f"{path}: {problem}"]


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


def _typed_orders(**columns) -> pl.DataFrame:
    """Three valid orders stored with the types the toolkit writes, some cells replaced."""
    utc = pl.Datetime("us", "UTC")
    frame = pl.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "seller_id": ["S1", "S1", "S1"],
            "channel": ["mfn", "afn", "mfn"],
            "purchased_at": [datetime(2025, 3, d, 10, tzinfo=UTC) for d in (1, 2, 3)],
            "tracking_valid": [True, False, True],
            "units": [1, 2, 3],
        },
        schema_overrides={"purchased_at": utc},
    )
    return frame.with_columns(
        pl.Series(name, values, dtype=frame[name].dtype) for name, values in columns.items()
    )


def test_typed_parquet_cells_are_checked_like_text_ones(tmp_path):
    """A typed Parquet column cannot hold an unparseable value, but it can hold an empty
    text, a null, a number out of range or an instant outside the calendar; each is
    reported with its row, and nothing else is."""
    far = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    orders = _typed_orders(
        order_id=["O1", "", "O3"],
        purchased_at=[datetime(2025, 3, 1, tzinfo=UTC), None, far],
        units=[1, 0, 3],
    ).with_columns(
        pl.when(pl.int_range(pl.len()) == 2)
        .then(pl.col("purchased_at") + pl.duration(days=1))
        .otherwise(pl.col("purchased_at"))
        .alias("purchased_at")
    )
    orders.write_parquet(tmp_path / "orders.parquet")
    found = {(e.column, e.problem, e.rows) for e in validate_data(tmp_path)}
    assert found == {
        ("order_id", "missing value in a required column", (2,)),
        ("purchased_at", "missing value in a required column", (2,)),
        ("purchased_at", "timestamp outside the years 1 to 9999 once converted to UTC", (3,)),
        ("units", "units not >= 1", (2,)),
    }


def test_every_id_check_is_exact_even_when_all_ids_share_one_hash(monkeypatch, tmp_path):
    """Ids are compared by a 64-bit hash first; two ids with one hash must neither look
    like a duplicate nor make an unknown order known (here every id hashes alike)."""
    monkeypatch.setattr(
        pl.Expr, "hash", lambda self, *a, **k: self.is_null().cast(pl.UInt64) * 0 + 7
    )
    monkeypatch.setattr(
        pl.Series, "hash", lambda self, *a, **k: pl.Series([7] * len(self), dtype=pl.UInt64)
    )
    _typed_orders().write_parquet(tmp_path / "orders.parquet")
    pl.DataFrame(
        {
            "feedback_id": ["F1", "F2", "F3"],
            "order_id": ["O2", "O9", "O3"],
            "rating": [1, 2, 5],
            "left_at": ["2025-03-05T00:00:00Z"] * 3,
        }
    ).write_csv(tmp_path / "feedback.csv")
    errors = validate_data(tmp_path)
    assert [(e.file, e.column, e.problem, e.rows, e.values) for e in errors] == [
        ("feedback.csv", "order_id", "references an unknown order_id", (2,), ("O9",))
    ]


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        pytest.param("true", True, id="true"),
        pytest.param("FALSE", False, id="upper case"),
        pytest.param(" Yes ", True, id="spaces around yes"),
        pytest.param("no", False, id="no"),
        pytest.param("1", True, id="one"),
        pytest.param("0", False, id="zero"),
        pytest.param("t", True, id="t"),
        pytest.param("F", False, id="capital f"),
        pytest.param("", False, id="empty takes the default"),
    ],
)
def test_every_spelling_of_a_boolean_in_text(cell, value):
    orders = _typed_orders().with_columns(pl.lit(cell).alias("is_business"))
    frame = dataset_from_frames(orders=orders).orders.collect()
    assert frame["is_business"].to_list() == [value] * 3


def test_a_boolean_spelled_otherwise_is_an_error():
    orders = _typed_orders().with_columns(pl.Series("is_business", ["y", "true", "2"]))
    with pytest.raises(DataError) as caught:
        dataset_from_frames(orders=orders)
    (error,) = caught.value.errors
    assert (error.column, error.rows, error.values) == ("is_business", (1, 3), ("y", "2"))
