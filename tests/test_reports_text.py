"""The report's words take their numbers from the policy, and the numbers put into words
are right (checked against scipy and the visibility rule)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from tests.reports_data import write_tiny
from toolkit.model.resources import policy_text
from toolkit.reports.account import _late_event
from toolkit.reports.text import coverage, share, times
from toolkit.reports.view import load_report
from toolkit.time.visibility import visible_time


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [
        pytest.param(0.8, "80%", id="a whole percentage has no decimals"),
        pytest.param(Fraction(1, 20), "5%", id="an exact fraction"),
        pytest.param(0.6827, "68.3%", id="one decimal where it is needed"),
        pytest.param(0.99949, "99.9%", id="rounded to one decimal"),
        pytest.param(1, "100%", id="all of it"),
    ],
)
def test_share(fraction, expected):
    assert share(fraction) == expected


@pytest.mark.parametrize(
    ("multiplier", "expected"),
    [
        pytest.param(1, "the same", id="no extra cost for a repeat"),
        pytest.param(2, "double", id="the shipped policy"),
        pytest.param(3, "triple", id="three times"),
        pytest.param(5, "5 times as much", id="more than three times"),
    ],
)
def test_times(multiplier, expected):
    assert times(multiplier) == expected


def test_coverage_agrees_with_the_normal_distribution_on_random_z():
    z = np.random.default_rng(11).uniform(0.01, 4.0, size=200)
    expected = norm.cdf(z) - norm.cdf(-z)
    got = np.array([coverage(float(v)) for v in z])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_the_late_event_example_is_true_for_every_cadence_that_gives_one():
    """Each example's event, on 3 March, becomes visible on 4 March under its cadence."""
    day = datetime(2025, 3, 3, tzinfo=UTC)
    rows = []
    for cadence in range(0, 24 * 60 + 1):
        text = _late_event(cadence)
        divides_the_day = cadence > 0 and (24 * 60) % cadence == 0
        assert (text != "") == (divides_the_day and cadence >= 2), cadence
        if not text:
            continue
        hour, minute, said = re.fullmatch(
            r" \(an event at (\d\d):(\d\d) with a (\d+)-minute refresh counts from the next day\)",
            text,
        ).groups()
        assert int(said) == cadence
        rows.append((cadence, day + timedelta(hours=int(hour), minutes=int(minute))))
    assert len(rows) == 35  # 1440 = 2^5 3^2 5 has 36 divisors; all but 1
    for cadence, at in rows:
        visible = pl.select(visible_time(pl.lit(at), cadence_minutes=cadence)).item()
        assert visible.date() == date(2025, 3, 4), (cadence, at, visible)


OTHER_POLICY = {
    "watch_fraction": "0.75",
    "wilson_z": "2.5758293035489",
    "alpha": "0.09",  # p = 0.0956 for 1 bad order in 10: still low volume
    "repeat_multiplier": "3",
    "display_days": "90",
    "display_anchor": '"resolved"',
    "feedback": "15",
}


def _policy_file(directory: Path) -> Path:
    text = policy_text()
    for key, value in OTHER_POLICY.items():
        text, n = re.subn(rf"(?m)^{key} = \S+", f"{key} = {value}", text)
        assert n == 1, key
    path = directory / "other.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        pytest.param(
            None,
            [
                "on target, but within 80% of the limit",
                "if that happens 5% of the time or more",
                "The 95% Wilson interval of your rate is",
                "(z = 1.96)",
                "displayed on your account for 180 days from the day it is detected",
                "same category costs double",
                "(an event at 23:50 with a 30-minute refresh counts from the next day)",
            ],
            id="the shipped policy",
        ),
        pytest.param(
            "other",
            [
                "on target, but within 75% of the limit",
                "if that happens 9% of the time or more",
                "The 99% Wilson interval of your rate is",
                "(z = 2.58)",
                "displayed on your account until 90 days after it is resolved",
                "same category costs triple",
                "(an event at 23:55 with a 15-minute refresh counts from the next day)",
            ],
            id="another policy",
        ),
    ],
)
def test_the_words_of_a_report_follow_its_policy(policy, says, tmp_path):
    data = write_tiny(tmp_path / "data")
    path = _policy_file(tmp_path) if policy else ""
    low = load_report("low volume", data=data, as_of="2025-06-30", policy=path)
    critical = load_report("critical", data=data, as_of="2025-06-30", policy=path)
    today = low.tables["metrics"].filter(as_of=date(2025, 6, 30), status="bad_low_volume")
    assert today.select("metric", "channel").rows() == [("odr", "mfn")]
    pages = " ".join(
        [
            low.shipping().html,
            low.low_volume().html,
            critical.violations().html,
            critical.freshness().html,
        ]
    )
    for text in says:
        assert text in pages, text
