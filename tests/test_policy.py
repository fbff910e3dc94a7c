"""The policy file: defaults, exact targets, and errors for unknown keys and bad values."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from toolkit.policy import METRICS, PolicyError, load_policy

SHIPPED = load_policy()


def test_shipped_policy_holds_the_spec_defaults():
    expected = {
        "odr": (60, 14, Fraction(1, 100), "<"),
        "lsr_10d": (10, 0, Fraction(4, 100), "<"),
        "lsr_30d": (30, 0, Fraction(4, 100), "<"),
        "cancel_rate_7d": (7, 0, Fraction(25, 1000), "<"),
        "vtr_30d": (30, 14, Fraction(95, 100), ">"),
        "otdr_14d": (14, 7, Fraction(90, 100), ">"),
        "idr_7d": (7, 7, Fraction(5, 100), "<"),
    }
    for name, values in expected.items():
        m = SHIPPED.metric(name)
        assert (m.window_days, m.lag_days, m.target, m.condition) == values
        assert m.informational is False
    for name in ("odr_negative_feedback", "odr_claims", "odr_chargebacks"):
        m = SHIPPED.metric(name)
        assert (m.window_days, m.lag_days, m.target, m.condition, m.informational) == (
            60,
            14,
            None,
            None,
            True,
        )
    assert SHIPPED.cadence_minutes == {
        "orders": 15,
        "feedback": 30,
        "claims": 30,
        "chargebacks": 30,
        "violations": 30,
        "returns": 30,
        "reviews": 360,
    }
    assert SHIPPED.display_days == 180 and SHIPPED.display_anchor == "detected"
    assert SHIPPED.severity_points == {"low": 2, "medium": 4, "high": 8}
    assert SHIPPED.chargeback_won_removes is True
    assert SHIPPED.horizon_days == 120
    assert set(SHIPPED.metrics) == set(METRICS)


def test_allowed_bad_fraction_is_exact():
    # 1 - 0.95 is exactly 1/20, not 0.050000000000000044
    assert SHIPPED.metric("vtr_30d").allowed_bad == Fraction(1, 20)
    assert SHIPPED.metric("odr").allowed_bad == Fraction(1, 100)


def _with(tmp_path, old, new):
    from importlib import resources

    text = (resources.files("toolkit") / "policies" / "amazon_us.toml").read_text()
    assert old in text
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            "orders = 15",
            "orders = 15\nshipments = 15",
            "unknown key(s): shipments",
            id="unknown key",
        ),
        pytest.param("target = 0.01", "target = 1.5", "between 0 and 1", id="target above 1"),
        pytest.param(
            "target = 0.01", 'target = "one percent"', "decimal number", id="target not a number"
        ),
        pytest.param(
            'condition = "<"', 'condition = "<="', "must be one of <, >", id="unknown condition"
        ),
        pytest.param("window_days = 60", "window_days = 0", "integer >= 1", id="empty window"),
        pytest.param("feedback = 30", "feedback = -5", "integer >= 0", id="negative cadence"),
        pytest.param(
            'display_anchor = "detected"',
            'display_anchor = "filed"',
            "detected, resolved",
            id="bad anchor",
        ),
        pytest.param("window_days = 60", "", "missing key 'window_days'", id="missing key"),
        pytest.param("[ahr]", "[ahr\n", "not valid TOML", id="broken toml"),
    ],
)
def test_bad_policy_files_are_errors_that_name_the_key(tmp_path, old, new, message):
    with pytest.raises(PolicyError, match=re.escape(message)) as info:
        load_policy(_with(tmp_path, old, new))
    assert str(tmp_path) in str(info.value)


def test_a_custom_policy_changes_the_numbers(tmp_path):
    policy = load_policy(_with(tmp_path, "lag_days = 14", "lag_days = 15"))
    assert policy.metric("odr").lag_days == 15
    assert policy.metric("odr_claims").lag_days == 15  # components share the ODR window


def test_missing_policy_file_is_an_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "nope.toml")
