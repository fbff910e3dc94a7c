"""The policy file: defaults, exact targets, and errors for unknown keys and bad values."""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction

import polars as pl
import pytest

from tests.builders import dataset, order
from toolkit.engine.metrics import metrics_table
from toolkit.model.policy import METRICS, PolicyError, load_policy
from toolkit.model.resources import policy_text

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
    from toolkit.model.resources import policy_text

    text = policy_text()
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
        pytest.param(
            "window_days = 60", "window_days = 0", "integer from 1 to 3660", id="empty window"
        ),
        pytest.param(
            "window_days = 60",
            "window_days = 1000000000",
            "window_days must be an integer from 1 to 3660, got 1000000000",
            id="window of a billion days",
        ),
        pytest.param(
            "lag_days = 14", "lag_days = 3661", "integer from 0 to 3660", id="lag over ten years"
        ),
        pytest.param(
            "feedback = 30", "feedback = -5", "integer from 0 to 1440", id="negative cadence"
        ),
        pytest.param(
            "feedback = 30",
            "feedback = 100000000",
            "feedback must be an integer from 0 to 1440, got 100000000",
            id="cadence longer than a day",
        ),
        pytest.param(
            "horizon_days = 120",
            "horizon_days = 99999",
            "integer from 1 to 3660",
            id="huge horizon",
        ),
        pytest.param("target = 0.01", "target = inf", "decimal number, got inf", id="target inf"),
        pytest.param("target = 0.01", "target = nan", "decimal number, got nan", id="target nan"),
        pytest.param(
            "target = 0.01",
            'target = "1e-999999999"',
            "more than 30 decimal places",
            id="target with a billion decimal places",
        ),
        pytest.param(
            "target = 0.01",
            'target = "1e999999999"',
            "between 0 and 1",
            id="target with a billion digits",
        ),
        pytest.param(
            "wilson_z = 1.959963984540054", "wilson_z = inf", "at most 10", id="wilson z inf"
        ),
        pytest.param(
            "wilson_z = 1.959963984540054", "wilson_z = nan", "at most 10", id="wilson z nan"
        ),
        pytest.param("low = 2", "low = 10000000", "integer from 0 to 1000000", id="huge points"),
        pytest.param(
            'display_anchor = "detected"',
            'display_anchor = "filed"',
            "detected, resolved",
            id="bad anchor",
        ),
        pytest.param("window_days = 60", "", "missing key 'window_days'", id="missing key"),
        pytest.param("[ahr]", "[ahr\n", "not valid TOML", id="broken toml"),
        pytest.param(
            "retired = true\nresponse_hours = 48",
            "retired = false\nresponse_hours = 48\ninformational_ = 1",
            "[metrics.rdr_30d] unknown key(s): informational_",
            id="unknown key in a retired metric",
        ),
        pytest.param(
            "informational = true\nretired = true\nresponse_hours = 48",
            "informational = false\nretired = true\nresponse_hours = 48",
            "retired = true needs informational = true",
            id="a retired metric that would set the overall status",
        ),
        pytest.param(
            "response_hours = 48",
            "response_hours = 0",
            "[metrics.rdr_30d] response_hours must be an integer from 1 to 87840",
            id="no hours to answer a return",
        ),
        pytest.param(
            "response_hours = 24",
            "",
            "[metrics.contact_response_24h_30d] missing key 'response_hours'",
            id="message hours missing",
        ),
        pytest.param(
            "window_days = 365",
            "window_days = 365\ntarget = 4.0",
            "[metrics.product_rating] unknown key(s): target",
            id="a target for the product rating",
        ),
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


# ----------------------------------------------------------------- with_metric


def test_with_metric_replaces_one_window_and_keeps_the_original():
    changed = SHIPPED.with_metric("vtr_30d", window_days=7, lag_days=10)
    vtr = changed.metric("vtr_30d")
    assert (vtr.window_days, vtr.lag_days, vtr.target, vtr.condition) == (
        7,
        10,
        Fraction(95, 100),
        ">",
    )
    assert (SHIPPED.metric("vtr_30d").window_days, SHIPPED.metric("vtr_30d").lag_days) == (30, 14)
    for name in METRICS:
        if name != "vtr_30d":
            assert changed.metric(name) == SHIPPED.metric(name), name
    assert changed.cadence_minutes == SHIPPED.cadence_minutes


def test_with_metric_on_odr_moves_its_components():
    changed = SHIPPED.with_metric("odr", lag_days=15)
    for name in ("odr", "odr_negative_feedback", "odr_claims", "odr_chargebacks"):
        m = changed.metric(name)
        assert (m.window_days, m.lag_days) == (60, 15), name
    assert changed.metric("odr_claims").target is None


@pytest.mark.parametrize(
    ("name", "options", "error", "message"),
    [
        pytest.param("odr_claims", {"lag_days": 15}, ValueError, "shares the ODR window",
                     id="a component alone"),
        pytest.param("odr", {"window_days": 0}, ValueError, "window_days must be an integer >= 1",
                     id="an empty window"),
        pytest.param("odr", {"lag_days": -1}, ValueError, "lag_days must be an integer >= 0",
                     id="a negative lag"),
        pytest.param("odr", {"lag_days": 1.5}, ValueError, "lag_days must be an integer",
                     id="a fractional lag"),
        pytest.param("otdr_30d", {"lag_days": 1}, KeyError, "unknown metric 'otdr_30d'",
                     id="a metric the engine does not have"),
    ],
)  # fmt: skip
def test_with_metric_refuses(name, options, error, message):
    with pytest.raises(error, match=re.escape(message)):
        SHIPPED.with_metric(name, **options)


def test_with_metric_makes_the_engine_use_an_explicit_window():
    data = dataset(orders=[order("A", "2025-03-01T10:00:00Z"), order("B", "2025-03-02T10:00:00Z")])
    # the report's window 2025-03-02 .. 2025-03-31 seen on 2025-04-15: W 30, L 15
    policy = SHIPPED.with_metric("odr", window_days=30, lag_days=15)
    row = (
        metrics_table(data, as_of=date(2025, 4, 15), policy=policy)
        .filter(pl.col("metric") == "odr")
        .collect()
        .row(0, named=True)
    )
    assert (row["window_start"], row["window_end"], row["denominator"]) == (
        date(2025, 3, 2),
        date(2025, 3, 31),
        1,
    )


def test_the_metrics_amazon_does_not_use_for_account_health():
    rdr, contact = SHIPPED.metric("rdr_30d"), SHIPPED.metric("contact_response_24h_30d")
    assert (rdr.window_days, rdr.lag_days, rdr.target, rdr.condition) == (
        30,
        0,
        Fraction(1, 10),
        "<",
    )
    assert (contact.window_days, contact.target, contact.condition) == (30, Fraction(9, 10), ">")
    assert (rdr.response_hours, contact.response_hours) == (48, 24)
    assert rdr.retired and contact.retired and rdr.informational and contact.informational
    rating = SHIPPED.metric("product_rating")
    assert (rating.window_days, rating.lag_days, rating.target, rating.condition) == (
        365,
        0,
        None,
        None,
    )
    assert not rating.retired and rating.informational
    assert not any(SHIPPED.metric(m).retired for m in METRICS[:10])


def test_a_policy_written_before_spec_12_gets_the_shipped_entries(tmp_path):
    from toolkit.model.resources import policy_text

    text = policy_text()
    start = text.index("# Not used for account health")
    end = text.index("[forecast]")
    path = tmp_path / "old.toml"
    path.write_text(text[:start] + text[end:])
    old = load_policy(path)
    for name in ("rdr_30d", "contact_response_24h_30d", "product_rating"):
        assert old.metric(name) == SHIPPED.metric(name)


def test_any_metric_with_a_target_can_be_retired(tmp_path):
    path = _with(
        tmp_path,
        'target = 0.025\ncondition = "<"\ninformational = false',
        'target = 0.025\ncondition = "<"\ninformational = true\nretired = true',
    )
    policy = load_policy(path)
    assert policy.metric("cancel_rate_7d").retired
    data = dataset(
        orders=[
            order(
                "O1",
                "2025-03-01T10:00:00Z",
                cancelled_at="2025-03-01T11:00:00Z",
                cancelled_by="seller",
            )
        ]
    )
    row = (
        metrics_table(data, as_of=date(2025, 3, 2), policy=policy)
        .filter(pl.col("metric") == "cancel_rate_7d")
        .collect()
    )
    assert row.select("numerator", "denominator", "target", "status").row(0) == (
        1,
        1,
        0.025,
        "info",
    )


# ----------------------------------------------------------------- [actions] (definitions section 10)


def test_shipped_action_deadlines():
    from toolkit.model.policy import ActionPolicy

    assert SHIPPED.actions == ActionPolicy(
        feedback_removal_days=90,
        claim_response_hours=72,
        claim_appeal_days=30,
        chargeback_response_days=7,
        violation_response_hours=None,
    )


def test_a_violation_response_deadline_can_be_set(tmp_path):
    policy = load_policy(
        _with(tmp_path, "# violation_response_hours = 72", "violation_response_hours = 72")
    )
    assert policy.actions.violation_response_hours == 72


def test_a_policy_without_actions_takes_the_shipped_deadlines(tmp_path):
    from toolkit.model.resources import policy_text

    text = policy_text()
    start = text.index("[actions]")
    end = text.index("# Inventory performance")
    path = tmp_path / "old.toml"
    path.write_text(text[:start] + text[end:])
    assert load_policy(path).actions == SHIPPED.actions


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            "claim_response_hours = 72",
            "claim_response_hours = 0",
            "[actions] claim_response_hours must be an integer from 1 to 87840, got 0",
            id="a zero deadline",
        ),
        pytest.param(
            "feedback_removal_days = 90",
            'feedback_removal_days = "90"',
            "feedback_removal_days must be an integer from 1 to 3660, got '90'",
            id="days written as text",
        ),
        pytest.param(
            "claim_appeal_days = 30",
            "claim_appeal_days = 30.5",
            "claim_appeal_days must be an integer from 1 to 3660, got 30.5",
            id="a fraction of a day",
        ),
        pytest.param(
            "# violation_response_hours = 72",
            "violation_response_hours = true",
            "violation_response_hours must be an integer from 1 to 87840, got True",
            id="a boolean deadline",
        ),
        pytest.param(
            "chargeback_response_days = 7",
            "",
            "[actions] missing key 'chargeback_response_days'",
            id="a missing deadline",
        ),
        pytest.param(
            "chargeback_response_days = 7",
            "chargeback_response_days = 7\nbuyer_removal_days = 60",
            "[actions] unknown key(s): buyer_removal_days",
            id="an unknown deadline",
        ),
    ],
)
def test_bad_action_deadlines_name_the_key(tmp_path, old, new, message):
    with pytest.raises(PolicyError, match=re.escape(message)) as info:
        load_policy(_with(tmp_path, old, new))
    assert str(tmp_path) in str(info.value)


def test_a_policy_file_that_is_not_utf8_names_the_file_and_the_encoding(tmp_path):
    path = tmp_path / "policy.toml"
    text = policy_text().replace("amazon-us", "Zürich")
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert message.startswith(f"{path}: the policy file is not UTF-8 text")
    assert "Windows-1252" in message and "re-save it as UTF-8" in message


def test_deeply_nested_toml_is_a_policy_error(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="nest too deeply"):
        load_policy(path)
