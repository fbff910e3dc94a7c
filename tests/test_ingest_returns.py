"""Amazon's seller-fulfilled returns report into the definitions section 12 returns table."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.amazon.ingest import read_returns_report
from toolkit.cli import main
from toolkit.engine.metrics import metrics_table
from toolkit.model.data import DataError, dataset_from_frames, read_data
from toolkit.model.schema import TABLES

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"
US = FIXTURES / "returns_us.txt"
ODD = FIXTURES / "returns_extra_missing.txt"
HEADER = "Order ID\tReturn request date\tReturn request status\tAmazon RMA ID\tIn policy"
UTC_US = pl.Datetime("us", "UTC")


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2025, 7, day, hour, minute, tzinfo=UTC)


def expected(rows: list[tuple]) -> pl.DataFrame:
    """returns rows (return_id, order_id, requested_at, in_policy, outcome)."""
    frame = pl.DataFrame(
        rows,
        schema={
            "return_id": pl.String,
            "order_id": pl.String,
            "requested_at": UTC_US,
            "in_policy": pl.Boolean,
            "outcome": pl.String,
        },
        orient="row",
    )
    return frame.select(
        "return_id",
        "order_id",
        "requested_at",
        responded_at=pl.lit(None, UTC_US),
        in_policy="in_policy",
        outcome="outcome",
        buyer_resolved=pl.lit(None, pl.Boolean),
    )


def one_file(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "returns.txt"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_the_32_column_report_gives_one_row_per_request():
    got = read_returns_report(US).collect()
    assert_frame_equal(
        got,
        expected(
            [
                # no Amazon RMA ID: the order and the request date
                ("113-0000005-0000005:2025-07-15", "113-0000005-0000005", at(15), True, "authorized"),
                # two items, one in policy: the request is in policy; refunded
                ("DqA01RMA", "113-0000001-0000001", at(10), True, "refunded"),
                ("DqA02RMA", "113-0000002-0000002", at(12), True, "rejected"),
                ("DqA03RMA", "113-0000003-0000003", at(13), True, None),  # pending: open
                ("DqA04RMA", "113-0000004-0000004", at(14), False, "closed"),
            ]
        ),
    )  # fmt: skip
    assert got.columns == TABLES["returns"].names


def test_headers_by_name_in_any_spelling_with_extra_and_missing_columns():
    # order-id, RETURN_REQUEST_DATE, lower case; Category and Order Item ID are extra; no
    # Amazon RMA ID, In policy or Resolution; ISO dates, a timestamp with an offset, CRLF
    got = read_returns_report(ODD).collect()
    assert_frame_equal(
        got,
        expected(
            [
                ("113-0000006-0000006:2025-07-20", "113-0000006-0000006", at(20), None, "authorized"),
                ("113-0000007-0000007:2025-07-21", "113-0000007-0000007", at(21, 22, 30), None, "refunded"),
                ("113-0000008-0000008:2025-07-21", "113-0000008-0000008", at(21), None, None),
            ]
        ),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "resolution", "outcome"),
    [
        pytest.param("Approved", "", "authorized", id="approved is authorized"),
        pytest.param("Approved", "StandardRefund", "refunded", id="a refund resolution"),
        pytest.param("Rejected", "StandardRefund", "rejected", id="rejected wins over refund"),
        pytest.param("Denied", "", "rejected", id="denied is rejected"),
        pytest.param("Closed", "", "closed", id="closed"),
        pytest.param("Pending Action", "", None, id="pending action is open"),
        pytest.param(" ", "", None, id="blank status is open"),
    ],
)
def test_status_and_resolution_give_the_outcome(tmp_path, status, resolution, outcome):
    header = HEADER + "\tResolution"
    path = one_file(tmp_path, f"113-1\t10-Jul-2025\t{status}\tR1\tY\t{resolution}", header=header)
    assert read_returns_report(path).collect()["outcome"].to_list() == [outcome]


def test_rows_of_one_request_that_disagree_take_the_first_of_rejected_refunded_authorized(
    tmp_path,
):
    path = one_file(
        tmp_path,
        "113-1\t11-Jul-2025\tApproved\tR1\tN",
        "113-1\t10-Jul-2025\tRejected\tR1\t",
        "113-1\t12-Jul-2025\tClosed\tR1\tN",
    )
    row = read_returns_report(path).collect().row(0, named=True)
    assert (row["requested_at"], row["in_policy"], row["outcome"]) == (at(10), False, "rejected")


@pytest.mark.parametrize(
    ("rows", "column", "problem", "values"),
    [
        pytest.param(
            ["113-1\t2025/07/10\tApproved\tR1\tY"],
            "Return request date",
            "unparseable date",
            ("2025/07/10",),
            id="a date in another format",
        ),
        pytest.param(
            ["113-1\t31-Foo-2025\tApproved\tR1\tY"],
            "Return request date",
            "unparseable date",
            ("31-Foo-2025",),
            id="an unknown month",
        ),
        pytest.param(
            ["113-1\t10-Jul-2025\tLost in space\tR1\tY"],
            "Return request status",
            "status not known",
            ("Lost in space",),
            id="a status the toolkit does not know",
        ),
        pytest.param(
            ["113-1\t10-Jul-2025\tApproved\tR1\tmaybe"],
            "In policy",
            "not Y or N",
            ("maybe",),
            id="In policy neither Y nor N",
        ),
        pytest.param(
            ["113-1\t10-Jul-2025\tApproved\tR1\tY", "113-2\t10-Jul-2025\tApproved\tR1\tY"],
            "Order ID",
            "on different orders",
            ("113-1", "113-2"),
            id="one request on two orders",
        ),
        pytest.param(
            ["\t10-Jul-2025\tApproved\tR1\tY"],
            "Order ID",
            "missing value",
            ("",),
            id="no order id",
        ),
        pytest.param(
            ["buyer@example.com\t10-Jul-2025\tApproved\tR1\tY"],
            "Order ID",
            "looks like an e-mail address",
            ("<hidden: looks like an e-mail address>",),
            id="an e-mail address where the order id belongs is never shown",
        ),
    ],
)
def test_bad_rows_are_errors_that_name_file_row_column_and_value(
    tmp_path, rows, column, problem, values
):
    path = one_file(tmp_path, *rows)
    with pytest.raises(DataError) as info:
        read_returns_report(path)
    errors = [e for e in info.value.errors if problem in e.problem]
    assert len(errors) == 1, info.value.errors
    error = errors[0]
    assert (error.file, error.column, error.values) == (str(path), column, values)
    assert error.rows[0] >= 1
    assert "example.com" not in str(info.value)


def test_a_file_without_a_required_column_or_with_a_doubled_one(tmp_path):
    path = one_file(tmp_path, "113-1\t10-Jul-2025", header="Order ID\tReturn request date")
    with pytest.raises(DataError, match="Return request status: missing required column"):
        read_returns_report(path)
    header = "Order ID\torder-id\tReturn request date\tReturn request status"
    path = one_file(tmp_path, "113-1\t113-1\t10-Jul-2025\tApproved", header=header)
    with pytest.raises(DataError, match="duplicate column names"):
        read_returns_report(path)


def test_gzip_download_reads_like_the_plain_file(tmp_path):
    packed = tmp_path / "returns.txt.gz"
    packed.write_bytes(gzip.compress(US.read_bytes()))
    assert_frame_equal(read_returns_report(packed).collect(), read_returns_report(US).collect())


def test_no_product_label_or_buyer_detail_reaches_the_table():
    table = read_returns_report(US).collect()
    text = " ".join(str(v) for row in table.rows() for v in row)
    for detail in ("Blue mug", "9200000000000000000", "AMZ-PG-BAD-DESC", "USPS", "21.38"):
        assert detail not in text


def test_ingested_returns_make_every_old_request_late():
    returns = read_returns_report(US).collect()
    orders = pl.DataFrame(
        {
            "order_id": returns["order_id"].to_list(),
            "seller_id": "S1",
            "channel": "mfn",
            "purchased_at": "2025-07-01T10:00:00Z",
        }
    )
    data = dataset_from_frames(orders=orders, returns=returns)
    rows = metrics_table(data, as_of=date(2025, 7, 13), to=date(2025, 7, 17)).filter(
        metric="rdr_30d"
    )
    got = rows.select("as_of", "numerator", "denominator").collect().rows()
    # 10 Jul late from 12 Jul; the rejected request of 12 Jul bad at once; 13 Jul from 15
    # Jul; 14 Jul from 16 Jul; 15 Jul from 17 Jul
    assert got == [
        (date(2025, 7, 13), 2, 3),
        (date(2025, 7, 14), 2, 4),
        (date(2025, 7, 15), 3, 5),
        (date(2025, 7, 16), 4, 5),
        (date(2025, 7, 17), 5, 5),
    ]


def test_cli_writes_the_table_that_read_data_accepts(tmp_path, capsys):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    out = data_dir / "returns.csv"
    assert main(["ingest", "returns", str(US), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "5 return requests (authorized 1, closed 1, open 1, refunded 1, rejected 1)" in printed
    assert "responded_at and buyer_resolved are empty" in printed
    orders = (
        read_returns_report(US)
        .collect()
        .select(
            "order_id",
            seller_id=pl.lit("S1"),
            channel=pl.lit("mfn"),
            purchased_at=pl.lit("2025-07-01"),
        )
    )
    orders.write_csv(data_dir / "orders.csv")
    assert_frame_equal(read_data(data_dir).returns.collect(), read_returns_report(US).collect())


def test_cli_errors_exit_2_and_write_nothing(tmp_path, capsys):
    bad = one_file(tmp_path, "113-1\t10-Jul-2025\tLost\tR1\tY")
    out = tmp_path / "returns.csv"
    assert main(["ingest", "returns", str(bad), "--out", str(out)]) == 2
    assert str(bad) in capsys.readouterr().err
    assert not out.exists()
    directory = tmp_path / "returns.parquet"
    directory.mkdir()
    assert main(["ingest", "returns", str(US), "--out", str(directory)]) == 2
    assert "is a directory" in capsys.readouterr().err
