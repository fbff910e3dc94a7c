"""The seller feedback flat file into docs/definitions.md feedback table."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.amazon.ingest import read_feedback_report
from toolkit.cli import main
from toolkit.model.data import DataError, dataset_from_frames

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"
US = FIXTURES / "feedback_us.txt"
LEGACY_DE = FIXTURES / "feedback_legacy_de.txt"
HEADER = "Date\tRating\tComments\tYour Response\tOrder ID\tRater Email"
UTC_US = pl.Datetime("us", "UTC")


def midnight(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


def one_row(tmp_path: Path, when: str, *, rating: str = "1", header: str = HEADER) -> Path:
    path = tmp_path / "feedback.txt"
    path.write_text(f"{header}\n{when}\t{rating}\tbad\t\tO-1\tbuyer@example.com\n")
    return path


def cells(frame: pl.DataFrame) -> list[str]:
    """Every cell and column name of a frame as text."""
    text = frame.select(pl.all().cast(pl.String)).rows()
    return [*frame.columns, *(str(v) for row in text for v in row)]


def test_us_file_converts_to_the_feedback_table():
    got = read_feedback_report(US, marketplace="US").collect()
    expected = pl.DataFrame(
        {
            "feedback_id": [
                "111-1111111-1111111:2023-10-20",
                "111-2222222-2222222:2023-10-22",
                "111-3333333-3333333:2024-01-03",
            ],
            "order_id": ["111-1111111-1111111", "111-2222222-2222222", "111-3333333-3333333"],
            "rating": [1, 2, 3],
            "left_at": [midnight(2023, 10, 20), midnight(2023, 10, 22), midnight(2024, 1, 3)],
            "comment": [
                "Item never arrived.",
                "Late and damaged, write to me: [e-mail removed]",
                "OK",
            ],
            "removed_at": [None, None, None],
            "removal": [None, None, None],
        },
        schema_overrides={"left_at": UTC_US, "removed_at": UTC_US, "removal": pl.String},
    )
    assert_frame_equal(got.sort("feedback_id"), expected)


@pytest.mark.parametrize(
    ("marketplace", "text", "expected"),
    [
        pytest.param("US", "10/20/23", date(2023, 10, 20), id="US month first M/D/YY"),
        pytest.param("US", "1/2/24", date(2024, 1, 2), id="US without leading zeros"),
        pytest.param("US", "01/02/2024", date(2024, 1, 2), id="US with a four-digit year"),
        pytest.param("DE", "20.10.23", date(2023, 10, 20), id="DE D.M.YY"),
        pytest.param("JP", "23/10/20", date(2023, 10, 20), id="JP YY/M/D"),
        pytest.param("JP", "2023/10/20", date(2023, 10, 20), id="JP yyyy/MM/dd"),
        pytest.param("SE", "2023-10-20", date(2023, 10, 20), id="SE ISO"),
        pytest.param("UK", "2/1/24", date(2024, 1, 2), id="UK day first D/M/YY"),
        pytest.param("FR", "20/10/23", date(2023, 10, 20), id="FR day first"),
        pytest.param("A1VC38T7YXB528", "23/1/2", date(2023, 1, 2), id="JP by marketplace id"),
        pytest.param("us", "10/20/23", date(2023, 10, 20), id="lower-case code"),
    ],
)
def test_date_formats_by_marketplace(tmp_path, marketplace, text, expected):
    got = read_feedback_report(one_row(tmp_path, text), marketplace=marketplace).collect()
    assert got["left_at"].to_list() == [datetime.combine(expected, datetime.min.time(), UTC)]
    assert got["feedback_id"].to_list() == [f"O-1:{expected.isoformat()}"]


@pytest.mark.parametrize(
    ("marketplace", "text"),
    [
        pytest.param("US", "20/10/23", id="a day-first date in a US file"),
        pytest.param("DE", "10/20/23", id="a US date in a DE file"),
        pytest.param("JP", "20/10/2023", id="a four-digit year at the end in a JP file"),
        pytest.param("SE", "23-10-20", id="a two-digit year in an SE file"),
        pytest.param("US", "2/30/24", id="30 February"),
    ],
)
def test_date_not_in_the_marketplace_format_is_an_error(tmp_path, marketplace, text):
    path = one_row(tmp_path, text)
    with pytest.raises(DataError) as info:
        read_feedback_report(path, marketplace=marketplace)
    (error,) = info.value.errors
    assert (error.file, error.column, error.rows, error.values) == (
        str(path),
        "Date (column 1)",
        (1,),
        (text,),
    )
    assert f"date not in the {marketplace.upper()} format" in error.problem


def test_legacy_nine_column_layout_with_localised_headers_and_latin1():
    got = read_feedback_report(LEGACY_DE, marketplace="DE").collect()
    assert got.select("order_id", "rating", "left_at", "comment").rows() == [
        ("302-1111111-1111111", 1, midnight(2023, 10, 20), "Nie angekommen, ärgerlich"),
        ("302-2222222-2222222", 2, midnight(2024, 1, 5), "Verspätet"),
    ]


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: t.encode("utf-8"), id="UTF-8"),
        pytest.param(lambda t: t.encode("utf-8-sig"), id="UTF-8 with BOM"),
        pytest.param(lambda t: t.encode("utf-16"), id="UTF-16 with BOM"),
        pytest.param(lambda t: t.encode("utf-16-le"), id="UTF-16 LE without BOM"),
        pytest.param(lambda t: t.encode("iso-8859-1"), id="ISO-8859-1"),
        pytest.param(lambda t: gzip.compress(t.encode("utf-8-sig")), id="gzip of UTF-8 with BOM"),
        pytest.param(lambda t: t.replace("\n", "\r\n").encode("utf-16"), id="UTF-16 with CRLF"),
    ],
)
def test_encodings_give_the_same_table(tmp_path, encode):
    text = f"{HEADER}\n10/20/23\t1\tZu spät, très déçu\t\tO-1\tb@example.com\n"
    path = tmp_path / "feedback.txt"
    path.write_bytes(encode(text))
    got = read_feedback_report(path, marketplace="US").collect()
    assert got.select("feedback_id", "rating", "comment").rows() == [
        ("O-1:2023-10-20", 1, "Zu spät, très déçu")
    ]


def test_no_e_mail_address_survives_ingestion():
    for path, market in [(US, "US"), (LEGACY_DE, "DE")]:
        assert "@" in path.read_bytes().decode("iso-8859-1")  # the input has them
        got = read_feedback_report(path, marketplace=market).collect()
        assert not [cell for cell in cells(got) if "@" in cell]


def test_e_mail_addresses_are_never_shown_in_errors(tmp_path):
    path = tmp_path / "feedback.txt"
    # columns out of place: the e-mail where the Order ID should be, a rating that is text
    path.write_text(f"{HEADER}\n10/20/23\tb@x.com\tbad\t\tc@example.com\tO-1\n")
    with pytest.raises(DataError) as info:
        read_feedback_report(path, marketplace="US")
    assert "@" not in str(info.value)
    assert "looks like an e-mail address, not an Order ID" in str(info.value)


def test_output_is_a_valid_feedback_table_for_its_orders():
    feedback = read_feedback_report(US, marketplace="US").collect()
    orders = pl.DataFrame(
        {
            "order_id": feedback["order_id"],
            "seller_id": "S1",
            "channel": "mfn",
            "purchased_at": ["2023-10-01"] * 3,
        }
    )
    data = dataset_from_frames(orders=orders, feedback=feedback)
    assert data.feedback.collect().height == 3


@pytest.mark.parametrize(
    ("body", "column", "problem", "rows", "values"),
    [
        pytest.param(
            "10/20/23\t6\tx\t\tO-1\te@x.com\n10/21/23\t0\tx\t\tO-2\te@x.com\n",
            "Rating (column 2)",
            "rating not a whole number 1..5",
            (1, 2),
            ("6", "0"),
            id="ratings outside 1..5",
        ),
        pytest.param(
            "10/20/23\t1\tx\t\t\te@x.com\n",
            "Order ID (column 5)",
            "missing value in a required column",
            (1,),
            ("",),
            id="an empty Order ID",
        ),
        pytest.param(
            "10/20/23\t1\tx\t\tO-1\te@x.com\n10/20/23\t2\ty\t\tO-1\te@x.com\n",
            "Order ID (column 5)",
            "two rows with the same Order ID and date",
            (1, 2),
            ("O-1",),
            id="the same order and date twice",
        ),
        pytest.param(
            "10/20/23\tfive\tx\t\tO-1\te@x.com\n",
            "Rating (column 2)",
            "rating not a whole number 1..5",
            (1,),
            ("five",),
            id="a rating written as a word",
        ),
        pytest.param(
            "10/20/23\t4.5\tx\t\tO-1\te@x.com\n",
            "Rating (column 2)",
            "rating not a whole number 1..5",
            (1,),
            ("4.5",),
            id="a half-star rating",
        ),
        pytest.param(
            "Oct 20\t1\tx\t\tO-1\te@x.com\nsoon\t2\ty\t\tO-1\te@x.com\n",
            "Date (column 1)",
            "date not in the US format M/D/YY",
            (1, 2),
            ("Oct 20", "soon"),
            id="two dates that do not parse are not also duplicates",
        ),
    ],
)
def test_bad_rows(tmp_path, body, column, problem, rows, values):
    path = tmp_path / "feedback.txt"
    path.write_text(f"{HEADER}\n{body}")
    with pytest.raises(DataError) as info:
        read_feedback_report(path, marketplace="US")
    (error,) = info.value.errors
    assert (error.file, error.column, error.problem, error.rows, error.values) == (
        str(path),
        column,
        problem,
        rows,
        values,
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            "Date\tRating\tComments\n10/20/23\t1\tx\n",
            "3 columns; a feedback report has 6",
            id="three columns",
        ),
        pytest.param(
            f"{HEADER}\n10/20/23\t1\tx\tO-1\te@x.com\n",
            "rows with another number of fields than the header's 6; 1 row: 1; values: '5'",
            id="a row with a missing field",
        ),
        pytest.param("", "is empty: no header row", id="an empty file"),
    ],
)
def test_wrong_columns(tmp_path, text, problem):
    path = tmp_path / "feedback.txt"
    path.write_text(text)
    with pytest.raises(DataError, match=r"feedback\.txt: ") as info:
        read_feedback_report(path, marketplace="US")
    assert problem in str(info.value)


def test_unknown_marketplace_is_an_error(tmp_path):
    with pytest.raises(DataError, match="marketplace 'XX' has no known feedback date format"):
        read_feedback_report(one_row(tmp_path, "10/20/23"), marketplace="XX")


def test_cli(tmp_path, capsys):
    out = tmp_path / "feedback.csv"
    assert main(["ingest", "feedback", str(US), "--marketplace", "US", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (
        "3 feedback rows (1-star 1, 2-star 1, 3-star 1), dates 2023-10-20 .. 2024-01-03" in printed
    )
    assert "@" not in printed
    assert "@" not in out.read_text()
    assert pl.read_csv(out).height == 3


def test_cli_bad_date_writes_nothing(tmp_path, capsys):
    out = tmp_path / "feedback.csv"
    status = main(["ingest", "feedback", str(US), "--marketplace", "DE", "--out", str(out)])
    assert status == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "feedback_us.txt: column Date (column 1): date not in the DE format D.M.YY" in err
    assert "3 rows: 1, 2, 3; values: '10/20/23', '10/22/23', '1/3/24'" in err
