"""The [inventory] section of the policy (definitions section 11): defaults, fallback, and errors."""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction

import pytest

from toolkit.model.policy import INVENTORY_COMPONENTS, PolicyError, load_policy
from toolkit.model.resources import policy_text

SHIPPED = load_policy().inventory


def _with(tmp_path, old, new):
    text = policy_text()
    assert old in text, old
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_shipped_inventory_policy_holds_the_spec_defaults():
    assert SHIPPED.weights == {
        "sell_through_90d": Fraction(35, 100),
        "excess_pct": Fraction(35, 100),
        "stranded_pct": Fraction(15, 100),
        "in_stock_rate_30d": Fraction(15, 100),
    }
    assert SHIPPED.proxy_scales == {
        "sell_through_90d": Fraction(3),
        "excess_pct": Fraction(1, 2),
        "stranded_pct": Fraction(1, 10),
    }
    assert SHIPPED.bands == {
        "in_stock_rate_30d": (
            ("excellent", Fraction(1)),
            ("good", Fraction(9, 10)),
            ("fair", Fraction(7, 10)),
        ),
        "sell_through_90d": (("good", Fraction(2)), ("fair", Fraction(1))),
    }
    days = (
        SHIPPED.new_sku_days,
        SHIPPED.sell_through_days,
        SHIPPED.snapshot_step_days,
        SHIPPED.excess_supply_days,
        SHIPPED.excess_demand_days,
        SHIPPED.in_stock_days,
        SHIPPED.in_stock_sales_days,
        SHIPPED.checkpoint_lead_days,
        SHIPPED.calibration_min_points,
    )
    assert days == (90, 90, 30, 90, 30, 30, 60, 14, 8)
    assert SHIPPED.ipi_weekday == 0  # Monday
    for market in ("US", "UK", "JP"):
        assert SHIPPED.components_for(market) == INVENTORY_COMPONENTS
    assert "in_stock_rate_30d" not in SHIPPED.components_for("CA")
    assert SHIPPED.components_for("DE") == INVENTORY_COMPONENTS  # the default
    assert SHIPPED.periods_for("US") == (
        (date(2018, 7, 1), "quarter"),
        (date(2023, 3, 1), "month"),
    )
    assert SHIPPED.thresholds_for("US") == (
        (date(2018, 7, 1), 350),
        (date(2020, 1, 1), 400),
        (date(2020, 8, 16), 500),
        (date(2021, 1, 1), 450),
        (date(2022, 1, 1), 400),
        (date(2023, 3, 1), None),
    )
    assert SHIPPED.thresholds_for("UK")[0] == (date(2020, 5, 14), 400)
    assert SHIPPED.thresholds_for("MX") == ()


def test_a_policy_without_an_inventory_section_takes_the_shipped_one(tmp_path):
    text = policy_text()
    path = tmp_path / "old.toml"
    path.write_text(text[: text.index("[inventory]")])
    assert load_policy(path).inventory == SHIPPED


def test_with_weights_replaces_the_weights_and_checks_them():
    changed = SHIPPED.with_weights(dict.fromkeys(INVENTORY_COMPONENTS, Fraction(1, 4)))
    assert changed.weights["stranded_pct"] == Fraction(1, 4)
    assert SHIPPED.weights["stranded_pct"] == Fraction(15, 100)
    with pytest.raises(PolicyError, match="at least one weight"):
        SHIPPED.with_weights(dict.fromkeys(INVENTORY_COMPONENTS, 0))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param("excess_pct = 0.35", "excess_pct = -0.35",
                     "excess_pct must be between 0 and 1000000, got -0.35",
                     id="a negative weight"),
        pytest.param("excess_pct = 0.35", "excess_pct = inf",
                     "excess_pct must be a decimal number, got inf", id="an infinite weight"),
        pytest.param("excess_pct = 0.35", 'excess_pct = "1e-999999999"',
                     "excess_pct has more than 30 decimal places", id="a weight of a billion places"),
        pytest.param("in_stock_days = 30", "in_stock_days = 1000000000",
                     "in_stock_days must be an integer from 1 to 3660", id="a window of a billion days"),
        pytest.param("excess_pct = 0.35", "", "needs exactly the keys",
                     id="a weight missing"),
        pytest.param("stranded_pct = 0.1\n", "stranded_pct = 0\n", "stranded_pct must be above 0",
                     id="a proxy scale of zero"),
        pytest.param("good = 0.90", "good = 1.10", "edges must not increase",
                     id="in-stock band edges out of order"),
        pytest.param('ipi_weekday = "monday"', 'ipi_weekday = "mon"', "monday, tuesday",
                     id="a weekday that is not one"),
        pytest.param("checkpoint_lead_days = 14", "checkpoint_lead_days = -1", "integer from 0 to 3660",
                     id="a negative lead"),
        pytest.param("snapshot_step_days = 30", "snapshot_step_days = 40",
                     "must be a multiple of snapshot_step_days 40",
                     id="snapshots that do not divide the sell-through window"),
        pytest.param('CA = ["sell_through_90d", "excess_pct", "stranded_pct"]',
                     'CA = ["sell_through_90d", "ipi"]', "CA must list distinct components",
                     id="an unknown component"),
        pytest.param('kind = "month"', 'kind = "week"', "kind must be one of quarter, month",
                     id="an unknown period kind"),
        pytest.param("threshold = 500", "threshold = 5000", "threshold must be an integer 0..1000",
                     id="a threshold above 1000"),
        pytest.param("{ from = 2021-01-01, threshold = 450 }",
                     "{ from = 2019-01-01, threshold = 450 }", "increasing 'from' dates",
                     id="thresholds out of date order"),
        pytest.param("{ from = 2022-01-01, threshold = 400 }",
                     '{ from = "January 2022", threshold = 400 }', "must be a date",
                     id="a date that is not one"),
        pytest.param("new_sku_days = 90", "new_sku_days = 90\nnew_asin_days = 90",
                     "unknown key(s): new_asin_days", id="an unknown key"),
    ],
)  # fmt: skip
def test_bad_inventory_sections_are_errors_that_name_the_key(tmp_path, old, new, message):
    with pytest.raises(PolicyError, match=re.escape(message)) as info:
        load_policy(_with(tmp_path, old, new))
    assert str(tmp_path) in str(info.value)
    assert "[inventory" in str(info.value)
