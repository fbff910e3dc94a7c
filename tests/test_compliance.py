"""Policy violations (definitions section 6): display, point cost, statuses and clearance rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.compliance.tables import violation_clearance, violations_table
from toolkit.compliance.violations import POINTS_CAP, point_segments, violation_windows
from toolkit.model.data import dataset_from_frames
from toolkit.model.policy import load_policy

POLICY = load_policy()
RESOLVED_ANCHOR = replace(POLICY, display_anchor="resolved")
_COLUMNS = ("violation_id", "seller_id", "marketplace", "category", "severity")
_COLUMNS += ("detected_at", "resolution", "resolved_at")


def violation(
    vid: str,
    detected: str,
    *,
    severity: str = "medium",
    category: str = "listing_policy",
    resolution: str | None = None,
    resolved: str | None = None,
    seller: str = "S1",
    marketplace: str = "US",
) -> dict[str, str | None]:
    return dict(
        zip(
            _COLUMNS,
            (vid, seller, marketplace, category, severity, detected, resolution, resolved),
            strict=True,
        )
    )


def dataset(*rows: dict[str, str | None]):
    frame = pl.DataFrame(list(rows), schema=dict.fromkeys(_COLUMNS, pl.String))
    return dataset_from_frames(violations=frame)


def d(text: str) -> date:
    return date.fromisoformat(text)


def state(data, as_of: str, *, policy=POLICY) -> dict[str, tuple]:
    """violation_id -> (displayed_until, costs_points_until, points_at_as_of, status)."""
    frame = violations_table(data, as_of=d(as_of), policy=policy).collect()
    return {
        row["violation_id"]: (
            row["displayed_until"],
            row["costs_points_until"],
            row["points_at_as_of"],
            row["status"],
        )
        for row in frame.iter_rows(named=True)
    }


# Detected 10 January 08:00 (visible the same day): displayed 10 Jan .. 8 July 2025.
DET = "2025-01-10T08:00:00Z"
LAST, AFTER = d("2025-07-08"), d("2025-07-09")
LIFECYCLE = [
    pytest.param(None, None, "2025-01-10", (LAST, LAST, 4, "open"), id="open on its first day"),
    pytest.param(None, None, "2025-07-08", (LAST, LAST, 4, "open"), id="last day of the display"),
    pytest.param(
        None, None, "2025-07-09", (LAST, LAST, 0, "expired"), id="first day after the display"
    ),
    pytest.param(
        "appeal_accepted",
        "2025-02-20T23:40:00Z",
        "2025-02-20",
        (LAST, LAST, 4, "open"),
        id="accepted appeal not yet visible (23:40 shows the next day)",
    ),
    pytest.param(
        "appeal_accepted",
        "2025-02-20T23:40:00Z",
        "2025-02-21",
        (LAST, d("2025-02-20"), 0, "addressed"),
        id="accepted appeal stops the points but the violation still shows",
    ),
    pytest.param(
        "appeal_accepted",
        "2025-02-20T23:40:00Z",
        "2025-07-08",
        (LAST, d("2025-02-20"), 0, "addressed"),
        id="accepted appeal still shown on the last day of the display",
    ),
    pytest.param(
        "appeal_accepted",
        "2025-02-20T23:40:00Z",
        "2025-07-09",
        (LAST, d("2025-02-20"), 0, "expired"),
        id="accepted appeal expires with the display",
    ),
    pytest.param(
        "action_taken",
        "2025-03-01T10:00:00Z",
        "2025-03-01",
        (LAST, d("2025-02-28"), 0, "addressed"),
        id="action taken",
    ),
    pytest.param(
        "acknowledged",
        "2025-03-01T10:00:00Z",
        "2025-03-01",
        (LAST, d("2025-02-28"), 0, "addressed"),
        id="acknowledgement",
    ),
    pytest.param(
        "acknowledged",
        "2025-03-01T10:00:00Z",
        "2025-02-28",
        (LAST, LAST, 4, "open"),
        id="acknowledgement the day before it is visible",
    ),
    pytest.param(
        "appeal_rejected",
        "2025-03-01T10:00:00Z",
        "2025-03-01",
        (LAST, LAST, 4, "open"),
        id="rejected appeal changes nothing",
    ),
    pytest.param(
        "appeal_rejected",
        "2025-03-01T10:00:00Z",
        "2025-07-09",
        (LAST, LAST, 0, "expired"),
        id="rejected appeal expires like an open violation",
    ),
    pytest.param(
        "disputed_error",
        "2025-03-01T10:00:00Z",
        "2025-02-28",
        (LAST, LAST, 4, "open"),
        id="upheld dispute not yet visible",
    ),
    pytest.param(
        "disputed_error",
        "2025-03-01T10:00:00Z",
        "2025-03-01",
        (d("2025-02-28"), d("2025-02-28"), 0, "removed_as_error"),
        id="upheld dispute removes it from its visible date",
    ),
    pytest.param(
        "disputed_error",
        "2025-08-01T10:00:00Z",
        "2025-08-01",
        (LAST, LAST, 0, "removed_as_error"),
        id="dispute upheld after the display ended: removed_as_error wins over expired",
    ),
    pytest.param(
        "appeal_accepted",
        "2025-08-01T10:00:00Z",
        "2025-08-01",
        (LAST, LAST, 0, "expired"),
        id="appeal accepted after the display ended: expired wins over addressed",
    ),
    pytest.param(
        "acknowledged",
        "2025-01-10T09:00:00Z",
        "2025-01-10",
        (LAST, None, 0, "addressed"),
        id="acknowledged on the day it became visible: no point cost at all",
    ),
    pytest.param(
        "disputed_error",
        "2025-01-10T09:00:00Z",
        "2025-01-10",
        (None, None, 0, "removed_as_error"),
        id="disputed on the day it became visible: never displayed",
    ),
]


@pytest.mark.parametrize(("resolution", "resolved", "as_of", "expected"), LIFECYCLE)
def test_lifecycle_of_one_violation(resolution, resolved, as_of, expected):
    data = dataset(violation("V1", DET, resolution=resolution, resolved=resolved))
    assert state(data, as_of) == {"V1": expected}


@pytest.mark.parametrize(
    ("detected", "as_of", "shown"),
    [
        pytest.param(
            "2025-03-03T23:50:00Z", "2025-03-03", False, id="detected 23:50 not yet shown"
        ),
        pytest.param(
            "2025-03-03T23:50:00Z", "2025-03-04", True, id="detected 23:50 shows next day"
        ),
        pytest.param("2025-03-03T23:30:00Z", "2025-03-03", True, id="detected on a boundary"),
        pytest.param("2025-03-03T23:30:01Z", "2025-03-03", False, id="one second past a boundary"),
    ],
)
def test_a_violation_is_known_from_its_visible_detected_date(detected, as_of, shown):
    frame = violations_table(dataset(violation("V1", detected)), as_of=d(as_of)).collect()
    assert frame.height == int(shown)


def test_detected_at_2350_displays_from_the_next_day_for_180_days():
    data = dataset(violation("V1", "2025-03-03T23:50:00Z"))
    row = violations_table(data, as_of=d("2025-03-04")).collect().row(0, named=True)
    assert (row["displayed_from"], row["displayed_until"]) == (d("2025-03-04"), d("2025-08-30"))


def test_critical_violation_has_no_points_and_a_cost_period():
    data = dataset(
        violation(
            "C1",
            DET,
            severity="critical",
            resolution="appeal_accepted",
            resolved="2025-02-01T12:00Z",
        ),
        violation("V1", DET, severity="medium"),
    )
    assert state(data, "2025-01-31") == {
        "C1": (LAST, LAST, 0, "open"),
        "V1": (LAST, LAST, 4, "open"),  # the critical one takes no rank
    }
    assert state(data, "2025-02-01")["C1"] == (LAST, d("2025-01-31"), 0, "addressed")


def test_repeat_violations_of_a_category_double():
    data = dataset(
        violation("A1", "2025-01-05T10:00Z", severity="medium"),
        violation("A2", "2025-01-06T10:00Z", severity="medium"),
        violation("A3", "2025-01-07T10:00Z", severity="low"),
        violation("A4", "2025-01-07T11:00Z", severity="high"),
        violation("B1", "2025-01-08T10:00Z", severity="medium", category="product_safety"),
        violation("C1", "2025-01-04T10:00Z", severity="critical"),
        violation("X1", "2025-01-04T10:00Z", severity="high", seller="S2"),
    )
    points = {k: v[2] for k, v in state(data, "2025-01-10").items()}
    assert points == {"A1": 4, "A2": 8, "A3": 8, "A4": 64, "B1": 4, "C1": 0, "X1": 8}


def test_an_addressed_violation_leaves_the_ranking():
    data = dataset(
        violation(
            "A1", "2025-01-05T10:00Z", resolution="acknowledged", resolved="2025-02-01T10:00Z"
        ),
        violation(
            "A2", "2025-01-06T10:00Z", resolution="appeal_rejected", resolved="2025-02-01T10:00Z"
        ),
        violation("A3", "2025-01-07T10:00Z"),
    )
    before = {k: v[2] for k, v in state(data, "2025-01-31").items()}
    after = {k: v[2] for k, v in state(data, "2025-02-01").items()}
    assert (before, after) == ({"A1": 4, "A2": 8, "A3": 16}, {"A1": 0, "A2": 4, "A3": 8})


def test_ranking_uses_the_detected_instant_then_the_id():
    data = dataset(
        violation("V3", "2025-01-09T23:50:00Z"),  # visible 10 Jan, earliest instant
        violation("V2", "2025-01-10T00:10:00Z"),  # visible 10 Jan 00:30
        violation("V10", "2025-01-10T00:10:00Z"),  # same instant: "V10" < "V2"
    )
    points = {k: v[2] for k, v in state(data, "2025-01-10").items()}
    assert points == {"V3": 4, "V10": 8, "V2": 16}


def test_points_saturate_instead_of_overflowing():
    rows = [
        violation(f"V{i:02d}", f"2025-01-01T00:{i:02d}:00Z", severity="high") for i in range(50)
    ]
    frame = point_segments(
        dataset(*rows).violations, start=d("2025-01-02"), end=d("2025-01-02"), policy=POLICY
    )
    points = frame.sort("violation_id").collect()["points"].to_list()
    assert points[:3] == [8, 16, 32]
    assert points[-1] == POINTS_CAP
    assert 8 * 2**36 < POINTS_CAP < 8 * 2**38


def test_range_rows_include_every_date_from_detection():
    data = dataset(
        violation(
            "V1", "2025-01-10T08:00Z", resolution="disputed_error", resolved="2025-01-12T08:00Z"
        ),
        violation("V2", "2025-01-11T08:00Z"),
    )
    frame = violations_table(data, as_of=d("2025-01-09"), to=d("2025-01-12")).collect()
    expected = pl.DataFrame(
        {
            "as_of": [
                d("2025-01-10"),
                d("2025-01-11"),
                d("2025-01-11"),
                d("2025-01-12"),
                d("2025-01-12"),
            ],
            "violation_id": ["V1", "V1", "V2", "V1", "V2"],
            "displayed_until": [LAST, LAST, d("2025-07-09"), d("2025-01-11"), d("2025-07-09")],
            "points_at_as_of": [4, 4, 8, 0, 4],
            "status": ["open", "open", "open", "removed_as_error", "open"],
        }
    )
    got = frame.select(expected.columns)
    assert_frame_equal(got, expected)


def test_output_columns_and_types():
    frame = violations_table(dataset(violation("V1", DET)), as_of=d("2025-01-10")).collect()
    assert frame.schema == pl.Schema(
        {
            "as_of": pl.Date,
            "violation_id": pl.String,
            "seller_id": pl.String,
            "marketplace": pl.String,
            "category": pl.String,
            "severity": pl.String,
            "displayed_from": pl.Date,
            "displayed_until": pl.Date,
            "costs_points_until": pl.Date,
            "points_at_as_of": pl.Int64,
            "status": pl.String,
        }
    )


def test_no_violations_gives_an_empty_table():
    frame = violations_table(dataset(), as_of=d("2025-01-10"), to=d("2025-02-10")).collect()
    assert frame.height == 0


def test_to_before_as_of_is_an_error():
    with pytest.raises(ValueError, match="before as_of"):
        violations_table(dataset(), as_of=d("2025-01-10"), to=d("2025-01-09"))


# ----------------------------------------------------------------- "resolved" anchor

RESOLVED_CASES = [
    pytest.param(
        None, None, "2026-06-01", (None, None, 4, "open"), id="never addressed: no known end"
    ),
    pytest.param(
        "appeal_rejected",
        "2025-02-01T10:00Z",
        "2026-06-01",
        (None, None, 4, "open"),
        id="rejected appeal: no known end",
    ),
    pytest.param(
        "acknowledged",
        "2025-02-01T10:00Z",
        "2025-07-30",
        (d("2025-07-30"), d("2025-01-31"), 0, "addressed"),
        id="acknowledged: shown 180 days from the acknowledgement",
    ),
    pytest.param(
        "acknowledged",
        "2025-02-01T10:00Z",
        "2025-07-31",
        (d("2025-07-30"), d("2025-01-31"), 0, "expired"),
        id="acknowledged: expired 180 days after it",
    ),
    pytest.param(
        "acknowledged",
        "2025-02-01T10:00Z",
        "2025-01-31",
        (None, None, 4, "open"),
        id="acknowledgement not yet visible: no known end",
    ),
    pytest.param(
        "disputed_error",
        "2025-02-01T10:00Z",
        "2025-02-01",
        (d("2025-01-31"), d("2025-01-31"), 0, "removed_as_error"),
        id="upheld dispute still removes it at once",
    ),
]


@pytest.mark.parametrize(("resolution", "resolved", "as_of", "expected"), RESOLVED_CASES)
def test_display_anchored_on_the_resolution(resolution, resolved, as_of, expected):
    data = dataset(violation("V1", DET, resolution=resolution, resolved=resolved))
    assert state(data, as_of, policy=RESOLVED_ANCHOR) == {"V1": expected}


def test_display_days_come_from_the_policy():
    data = dataset(violation("V1", DET))
    short = replace(POLICY, display_days=30)
    assert state(data, "2025-02-09", policy=short) == {
        "V1": (d("2025-02-08"), d("2025-02-08"), 0, "expired")
    }


def test_windows_use_every_resolution():
    data = dataset(
        violation("V1", DET, resolution="appeal_accepted", resolved="2025-02-20T23:40Z"),
        violation("V2", DET, resolution="disputed_error", resolved="2025-02-20T10:00Z"),
        violation("V3", DET, resolution="appeal_rejected", resolved="2025-02-20T10:00Z"),
    )
    frame = (
        violation_windows(data.violations)
        .select("violation_id", "display_ends", "cost_ends")
        .collect()
    )
    expected = pl.DataFrame(
        {
            "violation_id": ["V1", "V2", "V3"],
            "display_ends": [AFTER, d("2025-02-20"), AFTER],
            "cost_ends": [d("2025-02-21"), d("2025-02-20"), AFTER],
        }
    )
    assert_frame_equal(frame.sort("violation_id"), expected)


# ------------------------------------------------------------------------ clearance


def clearance(data, as_of: str, *, policy=POLICY) -> dict[str, tuple]:
    frame = violation_clearance(data, as_of=d(as_of), policy=policy).collect()
    return {
        row["record_id"]: (
            row["counts_from"],
            row["clears_on"],
            row["counting"],
            row["clear_reason"],
        )
        for row in frame.iter_rows(named=True)
    }


CLEARANCE = [
    pytest.param(
        None, None, "2025-01-10", (d("2025-01-10"), AFTER, True, "expired"), id="open violation"
    ),
    pytest.param(
        None,
        None,
        "2025-07-08",
        (d("2025-01-10"), AFTER, True, "expired"),
        id="last day of the display",
    ),
    pytest.param(None, None, "2025-07-09", None, id="no row once the display ended"),
    pytest.param(None, None, "2025-01-09", None, id="no row before it is detected"),
    pytest.param(
        "acknowledged",
        "2025-02-01T10:00Z",
        "2025-03-01",
        (d("2025-01-10"), AFTER, True, "expired"),
        id="acknowledged: still displayed until the end",
    ),
    pytest.param(
        "disputed_error",
        "2025-02-01T10:00Z",
        "2025-01-31",
        (d("2025-01-10"), AFTER, True, "expired"),
        id="dispute not yet visible",
    ),
    pytest.param(
        "disputed_error",
        "2025-02-01T10:00Z",
        "2025-02-01",
        (d("2025-01-10"), d("2025-02-01"), False, "disputed_error"),
        id="upheld dispute: cleared, not counting",
    ),
    pytest.param(
        "disputed_error",
        "2025-02-01T10:00Z",
        "2025-07-08",
        (d("2025-01-10"), d("2025-02-01"), False, "disputed_error"),
        id="upheld dispute: row until the display would have ended",
    ),
    pytest.param(
        "disputed_error",
        "2025-02-01T10:00Z",
        "2025-07-09",
        None,
        id="upheld dispute: no row after that",
    ),
]


@pytest.mark.parametrize(("resolution", "resolved", "as_of", "expected"), CLEARANCE)
def test_violation_clearance_rows(resolution, resolved, as_of, expected):
    data = dataset(violation("V1", DET, resolution=resolution, resolved=resolved))
    assert clearance(data, as_of) == ({} if expected is None else {"V1": expected})


def test_violation_clearance_under_the_resolved_anchor():
    data = dataset(
        violation("V1", DET),
        violation("V2", DET, resolution="acknowledged", resolved="2025-02-01T10:00Z"),
        violation("V3", DET, resolution="disputed_error", resolved="2025-02-01T10:00Z"),
    )
    got = clearance(data, "2025-03-01", policy=RESOLVED_ANCHOR)
    assert got == {
        "V1": (d("2025-01-10"), None, True, None),
        "V2": (d("2025-01-10"), d("2025-07-31"), True, "expired"),
        "V3": (d("2025-01-10"), d("2025-02-01"), False, "disputed_error"),
    }
    assert set(clearance(data, "2025-07-31", policy=RESOLVED_ANCHOR)) == {"V1"}


def test_violation_clearance_columns():
    data = dataset(violation("V1", DET, category="product_safety", seller="S9", marketplace="CA"))
    frame = violation_clearance(data, as_of=d("2025-02-01")).collect()
    expected = pl.DataFrame(
        {
            "seller_id": ["S9"],
            "marketplace": ["CA"],
            "channel": ["all"],
            "metric": ["policy_violation"],
            "order_id": pl.Series([None], dtype=pl.String),
            "defect_type": ["product_safety"],
            "record_id": ["V1"],
            "attribution_date": [d("2025-01-10")],
            "counts_from": [d("2025-01-10")],
            "clears_on": [AFTER],
            "counting": [True],
            "clear_reason": ["expired"],
        }
    )
    assert_frame_equal(frame, expected)
