"""The files beside each report: the calendar (read back with the icalendar library)."""

from __future__ import annotations

import random
from datetime import date, datetime

import icalendar
import polars as pl
import pytest

from toolkit.reports.exports import _fold, calendar_events, ics_text, write_calendar

D = date(2026, 10, 11)

CLEARANCE = pl.DataFrame(
    {
        "metric": ["lsr_10d", "lsr_10d", "lsr_30d", "odr_claims", "policy_violation", "vtr_30d"],
        "defect_type": [
            "late_shipment",
            "late_shipment",
            "late_shipment",
            "claim",
            "product_condition",
            "invalid_tracking",
        ],
        "order_id": ["O1", "O2", "O1", "O3", None, "O4"],
        "record_id": ["O1", "O2", "O1", "C1", "V1", "O4"],
        "counts_from": [
            date(2026, 10, 2),
            date(2026, 10, 3),
            date(2026, 10, 2),
            date(2026, 9, 20),
            date(2026, 6, 1),
            date(2026, 9, 1),
        ],
        "clears_on": [
            date(2026, 10, 12),
            date(2026, 10, 13),
            date(2026, 11, 1),
            date(2026, 11, 29),
            date(2026, 11, 28),
            date(2026, 10, 5),
        ],
    }
)
ACTIONS = pl.DataFrame(
    {
        "seller_id": ["S1"] * 3,
        "marketplace": ["US"] * 3,
        "metric": ["odr", "policy_violation", "lsr_10d"],
        "defect_type": ["claim", "product_condition", "late_shipment"],
        "record_id": ["C1", "V1", "O1"],
        "order_id": ["O3", None, "O1"],
        "action": ["respond", "appeal", "wait"],
        "deadline": [datetime(2026, 10, 9, 14, 30), None, None],
        "overdue": [True, False, False],
        "where": ["Performance > A-to-z Guarantee Claims", "Performance > Account Health", None],
    }
)


def parsed(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text)


def events(calendar: icalendar.Calendar) -> list:
    return [c for c in calendar.walk() if c.name == "VEVENT"]


def test_the_calendar_is_valid_icalendar_with_one_event_per_date_and_deadline():
    frame = calendar_events(CLEARANCE, ACTIONS, seller="S1", as_of=D)
    text = ics_text(frame, name="S1 as of 11 Oct 2026", stamp=datetime(2026, 10, 12))
    found = events(parsed(text))
    # clearing dates after D (12 Oct, 13 Oct, 1 Nov, 28 Nov, 29 Nov; the tracking record
    # cleared on 5 Oct is history), and the one deadline
    assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in found] == [
        (date(2026, 10, 9), date(2026, 10, 10)),
        (date(2026, 10, 12), date(2026, 10, 13)),
        (date(2026, 10, 13), date(2026, 10, 14)),
        (date(2026, 11, 1), date(2026, 11, 2)),
        (date(2026, 11, 28), date(2026, 11, 29)),
        (date(2026, 11, 29), date(2026, 11, 30)),
    ]
    summaries = [str(e["SUMMARY"]) for e in found]
    assert summaries[0] == (
        "S1: deadline to respond to the claim (A-to-z Guarantee claim C1, order O3)"
    )
    assert summaries[1] == "S1: 1 record clears (Late shipment: 1)"
    assert summaries[4] == "S1: 1 record clears (Product condition complaint: 1)"
    assert "(passed)" in str(found[0]["DESCRIPTION"])
    assert "Seller Central > Performance > A-to-z Guarantee Claims" in str(found[0]["DESCRIPTION"])
    assert len({str(e["UID"]) for e in found}) == 6
    assert parsed(text)["X-WR-CALNAME"] == "S1 as of 11 Oct 2026"


def test_the_file_has_crlf_lines_of_at_most_75_octets_and_stable_uids(tmp_path):
    many = pl.DataFrame(
        {
            "metric": ["lsr_10d"] * 30,
            "defect_type": ["late_shipment"] * 30,
            "order_id": [f"112-{i:07d}-{i:07d}" for i in range(30)],
            "record_id": [f"112-{i:07d}-{i:07d}" for i in range(30)],
            "counts_from": [date(2026, 10, 2)] * 30,
            "clears_on": [date(2026, 10, 12)] * 30,
        }
    )
    first = write_calendar(tmp_path / "a.ics", many, ACTIONS, seller="S1; ünïcode", as_of=D)
    second = write_calendar(tmp_path / "b.ics", many, ACTIONS, seller="S1; ünïcode", as_of=D)
    data = first.read_bytes()
    assert data == second.read_bytes()  # same report, same file: UIDs and stamps are stable
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the long description was folded
    (clears,) = [e for e in events(parsed(data.decode())) if "clear" in str(e["SUMMARY"])]
    description = str(clears["DESCRIPTION"])
    assert "Late shipment, order 112-0000000-0000000" in description
    assert description.endswith("- and 10 more")
    assert str(clears["SUMMARY"]).startswith("S1; ünïcode: 30 records clear")


def test_a_deadline_given_as_a_date_is_an_all_day_event_on_that_date():
    actions = ACTIONS.with_columns(pl.col("deadline").cast(pl.Date))
    frame = calendar_events(CLEARANCE.head(0), actions, seller="S1", as_of=D)
    assert frame.select("day").to_series().to_list() == [date(2026, 10, 9)]


def test_a_seller_with_nothing_to_clear_gets_an_empty_valid_calendar():
    frame = calendar_events(CLEARANCE.head(0), ACTIONS.head(0), seller="S1", as_of=D)
    calendar = parsed(ics_text(frame, name="S1", stamp=datetime(2026, 10, 12)))
    assert events(calendar) == [] and calendar["VERSION"] == "2.0"


@pytest.mark.parametrize("seed", range(20), ids=lambda s: f"random text {s}")
def test_folding_keeps_every_character_and_never_splits_one(seed):
    rng = random.Random(seed)
    alphabet = "abc ;,\\é€😀漢"
    text = "DESCRIPTION:" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
    folded = _fold(text)
    parts = folded.encode().split(b"\r\n")
    assert all(len(part) <= 75 for part in parts)
    assert all(part.startswith(b" ") for part in parts[1:])
    assert folded.replace("\r\n ", "") == text


def test_the_actions_csv_is_safe_to_open_in_a_spreadsheet(tmp_path):
    """Text that would start a formula gets a leading quote (definitions section 8), ids and all."""
    from toolkit.reports.exports import write_actions_csv

    actions = ACTIONS.with_columns(
        record_id=pl.Series(['=HYPERLINK("http://x")', "+1", "V1"]),
        order_id=pl.Series(["@SUM(A1)", None, "-2"]),
    )
    text = write_actions_csv(tmp_path / "a-actions.csv", actions).read_text()
    assert "'=HYPERLINK" in text and "'+1" in text and "'@SUM(A1)" in text and "'-2" in text
    assert "\n=" not in text and ",=" not in text
