"""The sample's inventory personas (data/sample/README.md, "Inventory") and the command line."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tests.conftest import SAMPLE
from toolkit.cli import main
from toolkit.inventory import (
    calibrate_proxy,
    inventory_periods,
    inventory_sku_table,
    inventory_table,
)
from toolkit.model.data import read_data
from toolkit.sample.generate import SAMPLE_END
from toolkit.sample.inventory import OBSERVED_WEIGHTS

D = SAMPLE_END


@pytest.fixture(scope="module")
def sample():
    return read_data(SAMPLE).collect()  # validated: no gap, nothing above on_hand


@pytest.fixture(scope="module")
def today(sample):
    table = inventory_table(sample, as_of=D).collect()
    return {row["seller_id"]: row for row in table.rows(named=True)}


def test_four_personas_have_inventory_within_the_sample_dates(sample):
    spans = (
        sample.inventory.group_by("seller_id")
        .agg(pl.col("date").min().alias("first"), pl.col("date").max().alias("last"))
        .sort("seller_id")
        .collect()
    )
    assert spans.rows() == [
        (seller, date(2025, 10, 17), D)
        for seller in ("S05-fba", "S06-violations", "S08-business-invoices", "S11-cancellations")
    ]
    observed = sample.ipi_observed.collect()
    assert observed.height == 16
    assert set(observed["seller_id"]) == set(spans["seller_id"])


@pytest.mark.parametrize(
    ("seller", "expected"),
    [
        pytest.param("S05-fba", {"ipi_proxy": 986, "skus": 4, "stranded_units": 0},
                     id="S05 is healthy and its new travel mug does not count yet"),
        pytest.param("S06-violations",
                     {"ipi_proxy": 808, "stranded_units": 39, "units_on_hand": 97,
                      "in_stock_rate_30d_band": "fair"},
                     id="S06 has the units of a closed listing stranded"),
        pytest.param("S08-business-invoices",
                     {"ipi_proxy": 320, "excess_units": 1050, "units_on_hand": 1203,
                      "sell_through_90d_band": "poor"},
                     id="S08 over-ordered notebooks"),
        pytest.param("S11-cancellations",
                     {"ipi_proxy": 960, "in_stock_rate_30d_band": "fair"},
                     id="S11 ran out of stock"),
    ],
)  # fmt: skip
def test_personas_at_the_end_of_the_sample(today, seller, expected):
    row = today[seller]
    assert {key: row[key] for key in expected} == expected


def test_s11_in_stock_rate_at_the_end_of_the_sample(today):
    assert today["S11-cancellations"]["in_stock_rate_30d"] == pytest.approx(0.730065, abs=1e-6)


def test_what_to_do_about_each_sku(sample):
    table = inventory_sku_table(sample, as_of=D).filter(pl.col("action").is_not_null())
    assert table.select("seller_id", "sku", "action").sort("sku").collect().rows() == [
        ("S11-cancellations", "CABLE-2M", "restock"),
        ("S08-business-invoices", "DESK-ORGANIZER", "create_removal_order"),
        ("S08-business-invoices", "NOTEBOOK-A5", "reprice"),
        ("S06-violations", "VLT-5521", "fix_listing"),
    ]


def test_s06_june_episode_is_gone_by_the_next_period(sample):
    periods = (
        inventory_periods(sample, as_of=date(2026, 7, 1), to=date(2026, 8, 1))
        .filter(pl.col("seller_id") == "S06-violations")
        .collect()
    )
    assert periods.select("period_start", "checkpoint", "ipi_proxy", "limit_risk").rows() == [
        (date(2026, 7, 1), date(2026, 6, 15), 842, "unknown"),
        (date(2026, 8, 1), date(2026, 7, 13), 992, "unknown"),
        (date(2026, 9, 1), date(2026, 8, 17), None, "pending"),  # after 1 August
    ]


def test_calibration_finds_the_weights_behind_the_observed_scores(sample):
    calibration = calibrate_proxy(sample)
    fit = calibration.fit.row(0, named=True)
    assert (fit["marketplace"], fit["points"], fit["skipped"]) == ("US", 16, 0)
    assert [fit[f"w_{c}"] for c in OBSERVED_WEIGHTS] == [0.3076, 0.3918, 0.2004, 0.1002]
    assert round(fit["mae"], 1) == 2.9
    for component, weight in OBSERVED_WEIGHTS.items():
        assert fit[f"w_{component}"] == pytest.approx(float(weight), abs=0.01)
    recalibrated = inventory_table(sample, as_of=D, by_market=calibration.weights)
    s06 = recalibrated.filter(pl.col("seller_id") == "S06-violations").collect()
    assert s06["ipi_proxy"].item() == 769


# ---------------------------------------------------------------- command line


@pytest.mark.parametrize(
    ("options", "rows", "printed"),
    [
        pytest.param([], 4, "S06-violations US: sell-through 2.88 (good), excess 0.0 %, "
                     "stranded 40.2 %", id="one row per seller"),
        pytest.param(["--by-sku"], 17, "actions on 2026-11-15: create_removal_order 1, "
                     "fix_listing 1, reprice 1, restock 1", id="by SKU"),
        pytest.param(["--periods"], 8, "checkpoint 2026-11-16, not decided yet",
                     id="evaluation periods"),
        pytest.param(["--calibrate"], 4, "calibrated proxy weights US (16 observed points",
                     id="calibrated"),
        pytest.param(["--sellers", "S08-business-invoices", "--to", "2026-11-15",
                      "--as-of", "2026-11-09"], 7, "IPI proxy 320 (unofficial)",
                     id="one seller over a week"),
    ],
)  # fmt: skip
def test_cli_inventory_writes_the_table_and_a_summary(tmp_path, capsys, options, rows, printed):
    out = tmp_path / "inventory.csv"
    argv = [
        "inventory",
        "--data",
        str(SAMPLE),
        "--as-of",
        "2026-11-15",
        *options,
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert printed in text
    assert "unofficial" in text
    assert "next weekly evaluation: Monday 2026-11-16" in text
    assert pl.read_csv(out).height == rows


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(["--to", "2026-11-01"], "--to 2026-11-01 is before --as-of 2026-11-15",
                     id="a range that runs backwards"),
        pytest.param(["--sellers", "S99-nobody"], "unknown seller ids: 'S99-nobody'",
                     id="an unknown seller"),
        pytest.param(["--sellers", "S01-steady", "--calibrate"], "no observed IPI scores",
                     id="calibrating a seller without observed scores"),
    ],
)  # fmt: skip
def test_cli_inventory_errors_exit_2_and_write_nothing(tmp_path, capsys, options, message):
    out = tmp_path / "inventory.csv"
    argv = [
        "inventory",
        "--data",
        str(SAMPLE),
        "--as-of",
        "2026-11-15",
        *options,
        "--out",
        str(out),
    ]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_cli_inventory_checks_the_output_before_computing(tmp_path, capsys):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    out = blocked / "inventory.csv"  # a directory that is a file
    argv = ["inventory", "--data", str(SAMPLE), "--as-of", "2026-11-15", "--out", str(out)]
    assert main(argv) == 2
    assert f"{blocked} is a file, so nothing can be written under it" in capsys.readouterr().err
