"""Dates near the ends of the calendar (0001-01-01 .. 9999-12-31): work, or an option error.

Input timestamps may hold any year from 1 to 9999. Every table either comes out with all
its dates inside the calendar or the command says which date is the problem and exits 2;
never an OverflowError. Boundaries with the shipped policy: the earliest metrics as-of
date is 0001-12-31 (the product rating's 365-day window), the latest clearance date
9999-07-04 (a violation shows 180 days), the latest violations-table date 9999-07-05, a
report's dates 0002-06-28 .. 9999-07-04 (the product rating's 365-day window under 180 days of history).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

import toolkit.reports.runner
from tests.builders import dataset, order
from tests.conftest import CORPUS, SAMPLE
from tests.reports_data import write_tiny
from toolkit.cli import main
from toolkit.compliance.ahr import ahr_table
from toolkit.compliance.tables import violations_table
from toolkit.engine.clearance import clearance_table
from toolkit.engine.forecast import forecast_table
from toolkit.engine.metrics import metrics_table
from toolkit.inventory import inventory_periods, inventory_sku_table, inventory_table
from toolkit.model.errors import OptionError
from toolkit.model.policy import PolicyError, load_policy
from toolkit.model.resources import policy_text
from toolkit.reports import steps
from toolkit.time.limits import FIRST_DATE, LAST_DATE, check_reach, shift

POLICY = load_policy()
FAR = CORPUS / "order_dated_9999_12_31"


def ends() -> object:
    """Events on the first and the last days of the calendar, of every kind."""
    return dataset(
        orders=[
            order(
                "O1",
                "0001-01-01T00:10:00Z",
                latest_ship_at="0001-01-02T23:59:59Z",
                shipped_at="0001-01-03T10:00:00Z",
                promised_delivery_at="0001-01-06T23:59:59Z",
                delivered_at="0001-01-08T10:00:00Z",
                tracking_valid="true",
                is_business="true",
            ),
            order("O2", "0001-01-02T12:00:00Z", cancelled_at="0001-01-02T13:00:00Z",
                  cancelled_by="seller"),
            order(
                "O3",
                "9999-12-20T12:00:00Z",
                latest_ship_at="9999-12-21T23:59:59Z",
                shipped_at="9999-12-24T10:00:00Z",
                promised_delivery_at="9999-12-31T23:59:59Z",
                tracking_valid="false",
                is_business="true",
            ),
            order("O4", "9999-12-31T23:59:59Z", seller="S2", channel="afn",
                  shipped_at="9999-12-31T23:59:59Z"),
        ],
        feedback=[
            {"feedback_id": "F1", "order_id": "O1", "rating": "1",
             "left_at": "0001-01-04T09:00:00Z"},
            {"feedback_id": "F2", "order_id": "O3", "rating": "2",
             "left_at": "9999-12-31T23:50:00Z"},
        ],
        claims=[
            {"claim_id": "C1", "order_id": "O3", "filed_at": "9999-12-30T09:00:00Z",
             "outcome": "pending"},
        ],
        violations=[
            {"violation_id": "V1", "seller_id": "S1", "category": "listing_policy",
             "severity": "high", "detected_at": "0001-01-01T00:00:00Z"},
            {"violation_id": "V2", "seller_id": "S1", "category": "listing_policy",
             "severity": "medium", "detected_at": "9999-12-31T23:45:00Z"},
            {"violation_id": "V3", "seller_id": "S2", "category": "product_safety",
             "severity": "critical", "detected_at": "9999-12-01T00:00:00Z",
             "resolution": "acknowledged", "resolved_at": "9999-12-31T23:59:59Z"},
            {"violation_id": "V4", "seller_id": "S2", "category": "listing_policy",
             "severity": "low", "detected_at": "9999-07-01T00:00:00Z"},
        ],
        inventory=[
            {"date": day, "seller_id": "S1", "sku": sku, "on_hand": "10", "available": "8",
             "stranded": "2", "shipped": "1"}
            for sku, days in (("K1", ("0001-01-01", "0001-01-02")),
                              ("K2", ("9999-12-30", "9999-12-31")))
            for day in days
        ],
    )  # fmt: skip


DATA = ends()
TABLES = {
    "metrics": lambda d: metrics_table(DATA, as_of=d),
    "metrics over a week": lambda d: metrics_table(DATA, as_of=d, to=shift(d, 6) or d),
    "forecast": lambda d: forecast_table(DATA, as_of=d),
    "forecast over 1 day": lambda d: forecast_table(DATA, as_of=d, horizon=1),
    "clearance": lambda d: clearance_table(DATA, as_of=d),
    "ahr": lambda d: ahr_table(DATA, as_of=d),
    "ahr over a week": lambda d: ahr_table(DATA, as_of=shift(d, -6) or d, to=d),
    "violations": lambda d: violations_table(DATA, as_of=d),
    "inventory": lambda d: inventory_table(DATA, as_of=d),
    "inventory by SKU": lambda d: inventory_sku_table(DATA, as_of=d),
    "inventory periods": lambda d: inventory_periods(DATA, as_of=d),
}
DATES = [
    date(1, 1, 1),
    date(1, 3, 14),
    date(1, 3, 15),
    date(2, 6, 28),
    date(2025, 6, 30),
    date(9999, 7, 4),
    date(9999, 7, 5),
    date(9999, 12, 1),
    date(9999, 12, 30),
    date(9999, 12, 31),
]


@pytest.mark.parametrize("as_of", DATES, ids=str)
@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_works_or_says_which_date_is_the_problem(table, as_of):
    """A table, all of whose dates Python can hold (in the calendar), or an OptionError."""
    try:
        frame = TABLES[table](as_of).collect()
    except OptionError as exc:
        assert str(as_of) in str(exc)
        assert "the toolkit handles" in str(exc)
        return
    frame.rows()  # every date converts: none lies before year 1 or after 9999


@pytest.mark.parametrize(
    ("table", "works", "fails", "says"),
    [
        pytest.param(
            "metrics",
            date(1, 12, 31),
            date(1, 12, 30),
            "the earliest date that works is 0001-12-31",
            id="metrics: the product rating's 365-day window",
        ),
        pytest.param(
            "clearance",
            date(9999, 7, 4),
            date(9999, 7, 5),
            "the latest date that works is 9999-07-04",
            id="clearance: a violation shows 180 days",
        ),
        pytest.param(
            "violations",
            date(9999, 7, 5),
            date(9999, 7, 6),
            "the latest date that works is 9999-07-05",
            id="violations: shown until detected + 179",
        ),
        pytest.param(
            "forecast",
            date(9999, 9, 2),
            date(9999, 9, 3),
            "the longest horizon from 9999-09-03 is 119 days",
            id="forecast: 120 days",
        ),
    ],
)
def test_the_nearest_date_that_works_is_named_and_works(table, works, fails, says):
    with pytest.raises(OptionError) as info:
        TABLES[table](fails).collect()
    assert says in str(info.value)
    assert TABLES[table](works).collect().height > 0


def test_the_ahr_works_on_both_last_days():
    first = ahr_table(DATA, as_of=FIRST_DATE).collect()
    last = ahr_table(DATA, as_of=date(9999, 12, 25), to=LAST_DATE).collect()
    assert first.filter(seller_id="S1")["points"].to_list() == [8]  # V1, detected that day
    s2 = last.filter(seller_id="S2")
    assert s2["as_of"].to_list()[-1] == LAST_DATE
    # V3 is critical until its acknowledgement becomes visible: 10000-01-01 00:00
    assert s2["ahr_estimate"].to_list()[-1] == 0
    # O4 shipped at 23:59:59 on the last day: visible at 10000-01-01, never counted
    assert s2["fulfilled_orders_180d"].to_list()[-1] == 0
    assert last.filter(seller_id="S1")["fulfilled_orders_180d"].to_list()[-1] == 1  # O3


def test_a_forecast_ends_on_the_last_day_at_most():
    fc = forecast_table(DATA, as_of=date(9999, 12, 1), horizon=30).collect()
    assert fc["as_of"].max() == LAST_DATE
    with pytest.raises(OptionError, match="the longest horizon from 9999-12-01 is 30 days"):
        forecast_table(DATA, as_of=date(9999, 12, 1), horizon=31)
    with pytest.raises(OptionError, match="9999-12-31 leaves no day to forecast"):
        forecast_table(DATA, as_of=LAST_DATE, horizon=1)


def test_the_horizon_is_bounded_by_the_policy():
    with pytest.raises(OptionError, match=r"horizon 3000000 days .* max_horizon_days \(365"):
        forecast_table(DATA, as_of=date(2025, 6, 30), horizon=3_000_000)
    fc = forecast_table(DATA, as_of=date(2025, 6, 30), horizon=365).collect()
    assert fc["as_of"].max() == date(2026, 6, 30)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        pytest.param(
            "horizon_days = 120\nmax_horizon_days = 100",
            "[forecast] horizon_days 120 is above max_horizon_days 100",
            id="a default horizon above the longest",
        ),
        pytest.param("horizon_days = 120", "[forecast] missing key 'max_horizon_days'", id="none"),
        pytest.param(
            "horizon_days = 120\nmax_horizon_days = 0",
            "max_horizon_days must be an integer",
            id="zero",
        ),
    ],
)
def test_the_longest_horizon_is_checked_in_the_policy(change, says, tmp_path):
    text = policy_text().replace(
        "horizon_days = 120\nmax_horizon_days = 365", change.replace("\\n", "\n")
    )
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert says in str(info.value)


def test_check_reach_names_both_ends():
    check_reach(date(1, 1, 2), back=1, ahead=0, what="x")
    with pytest.raises(OptionError, match="x as of 0001-01-01 would start before 0001-01-01"):
        check_reach(FIRST_DATE, back=1, what="x")
    with pytest.raises(OptionError, match="no date works"):
        check_reach(date(5000, 1, 1), back=4_000_000, what="x")
    assert shift(LAST_DATE, 1) is None and shift(FIRST_DATE, -1) is None


# --------------------------------------------------------------------- command line


def tiny(tmp_path: Path) -> Path:
    return write_tiny(tmp_path / "data")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        pytest.param(
            ["forecast", "--as-of", "9999-12-01"],
            "a forecast of 120 days from 9999-12-01 would end after 9999-12-31, the last date "
            "the toolkit handles: the longest horizon from 9999-12-01 is 30 days",
            id="forecast --as-of 9999-12-01",
        ),
        pytest.param(
            ["metrics", "--as-of", "0001-01-01"],
            "the earliest date that works is 0001-12-31",
            id="metrics --as-of 0001-01-01",
        ),
        pytest.param(
            ["clearance", "--as-of", "9999-12-31"],
            "the latest date that works is 9999-07-04",
            id="clearance --as-of 9999-12-31",
        ),
        pytest.param(
            ["ahr", "--as-of", "9999-12-31", "--violations-out", "v.csv"],
            "the violations table (180-day display) from 9999-12-31 would end after",
            id="ahr --as-of 9999-12-31 with the violations table",
        ),
    ],
)
def test_commands_say_which_date_is_the_problem(argv, says, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = tiny(tmp_path)
    code = main([*argv, "--data", str(data), "--out", "out.csv"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert says in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def status(argv: list[str]) -> int:
    """The exit status of the command line, whether it returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_forecast_with_a_horizon_of_three_million_days_is_an_input_error(tmp_path, capsys):
    argv = ["forecast", "--as-of", "2025-06-30", "--horizon", "3000000"]
    assert status([*argv, "--data", str(tiny(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert "3000000" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "view", [[], ["--by-sku"], ["--periods"]], ids=["per seller", "per SKU", "periods"]
)
def test_inventory_works_on_the_last_day_and_says_no_evaluation_follows(view, tmp_path, capsys):
    out = tmp_path / "inventory.csv"
    argv = ["inventory", "--as-of", "9999-12-31", "--data", str(SAMPLE), "--out", str(out), *view]
    assert main(argv) == 0, capsys.readouterr().err
    assert "next weekly evaluation: after 9999-12-31" in capsys.readouterr().out


def test_ahr_works_on_the_last_day(tmp_path, capsys):
    out = tmp_path / "ahr.csv"
    code = main(["ahr", "--as-of", "9999-12-31", "--data", str(tiny(tmp_path)), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert pl.read_csv(out)["as_of"].unique().to_list() == ["9999-12-31"]


# -------------------------------------------------------------------------- reports


@pytest.fixture
def no_workers(monkeypatch):
    """Fail the test if a batch starts its worker pool."""

    def started(*args, **kwargs):
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(toolkit.reports.runner, "_Workers", started)


def test_reports_as_of_0001_03_01_is_an_option_error(tmp_path, capsys, no_workers):
    out = tmp_path / "out"
    code = main(["reports", "--data", str(tiny(tmp_path)), "--out", str(out), "--as-of",
                 "0001-03-01", "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("seller-health reports: --as-of 0001-03-01: a report's 180 days")
    assert "the earliest date that works is 0002-06-28" in err
    assert not out.exists()


def test_an_order_dated_9999_12_31_names_its_row_without_starting_a_worker(
    tmp_path, capsys, no_workers
):
    """The default report date comes from that order: the run names the file, column, row
    and value, and says what to do."""
    out = tmp_path / "out"
    code = main(["reports", "--data", str(FAR), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        "orders.csv: column purchased_at: the last date in the data, 9999-12-31, is the "
        "default report date, but a report's forecast and clearance dates (180 days) from "
        "9999-12-31 would end after 9999-12-31"
    ) in err
    assert "the latest date that works is 9999-07-04; give --as-of; 1 row: 3; values: " in err
    assert "'9999-12-31T12:00:00Z'" in err
    assert not out.exists()


@pytest.mark.parametrize(
    "day",
    [date(2, 6, 28), date(9999, 7, 4)],
    ids=["the earliest report date", "the latest report date"],
)
def test_a_report_computes_on_the_first_and_last_dates_it_accepts(day, tmp_path):
    """Every table of a report, for the tiny data moved to the calendar's end."""
    loaded = steps.load(data=FAR, as_of=day, sellers=None, policy=None, reconciliation=None)
    computed = steps.compute(loaded)
    for frame in computed.frames.values():
        frame.rows()  # all dates in the calendar
    assert computed.frames["summary"].height == 2
    with pytest.raises(OptionError):
        steps.check_report_date(day + timedelta(days=1 if day.year > 2 else -1), POLICY)


@pytest.mark.slow
def test_a_far_future_order_does_not_stop_the_batch_given_an_as_of(tmp_path, capsys):
    """The corpus's seller with an order on 9999-12-31 gets its report like the others."""
    out = tmp_path / "out"
    code = main(["reports", "--data", str(FAR), "--out", str(out), "--as-of", "2025-06-30",
                 "--workers", "2", "--quiet"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    run = json.loads((out / "latest" / "run.json").read_text())
    assert {(r["seller_id"], r["status"]) for r in run["reports"]} == {("S1", "ok"), ("S2", "ok")}
