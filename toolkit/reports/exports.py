"""Files a seller takes away beside each report: the actions as CSV, and a calendar file.

Beside ``<name>.html`` a run writes (definitions section 9):

- ``<name>-actions.csv``: the seller's rows of the actions table (definitions section 10), as every
  table of the toolkit is written (:func:`toolkit.model.output.write_table`: ISO dates,
  ``true``/``false``, text that would start a spreadsheet formula made safe);
- ``<name>.ics``: an iCalendar file (RFC 5545) with one all-day event per date on which
  records clear by themselves, and one per action deadline, for any calendar program.

Calendar text is built from ids and the words of :mod:`toolkit.model.vocabulary`, never
from a buyer's comment. Every event has a UID that stays the same from one run to the
next as long as the event does (the seller, the kind, the date, and the record for a
deadline), so a calendar that imports the file again updates events instead of doubling
them. Lines end in CRLF, text is escaped, and lines longer than 75 octets are folded.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from toolkit.model.output import atomic_path, write_table
from toolkit.model.vocabulary import (
    ACTION_WORDS,
    defect_words,
    metric_words,
    word,
)

__all__ = [
    "calendar_events",
    "export_names",
    "ics_text",
    "write_actions_csv",
    "write_calendar",
    "write_exports",
]

_PRODID = "-//seller-health//account health reports//EN"
#: Records listed at most in one clearing-date event (the rest are counted).
_LISTED = 20
_EVENT_SCHEMA = {"uid": pl.String, "day": pl.Date, "summary": pl.String, "description": pl.String}


def _uid(*parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:24]
    return f"{digest}@seller-health"


def _record(row: dict) -> str:
    """``Late shipment, order O1`` or ``Negative feedback F1, order O1`` or ``... V1``."""
    what = defect_words(row["defect_type"])
    if row["order_id"] is None:
        return f"{what} {row['record_id']}"
    if row["record_id"] == row["order_id"]:
        return f"{what}, order {row['order_id']}"
    return f"{what} {row['record_id']}, order {row['order_id']}"


def _clearing_events(clearance: pl.DataFrame, *, seller: str, as_of: date) -> list[dict]:
    """One event per future date on which counting or waiting records clear."""
    ahead = clearance.filter(
        (pl.col("clears_on") > as_of) & (pl.col("counts_from") < pl.col("clears_on"))
    ).sort("clears_on", "metric", "record_id")
    events = []
    for (day,), rows in ahead.group_by(["clears_on"], maintain_order=True):
        records = rows.to_dicts()
        kinds = rows.group_by("defect_type", maintain_order=True).len()
        parts = [f"{defect_words(kind)}: {n}" for kind, n in kinds.iter_rows()]
        listed = [_record(r) for r in records[:_LISTED]]
        more = len(records) - len(listed)
        lines = [
            "These records stop counting against your account health on this day, by "
            "themselves (nothing to do):",
            *[f"- {line}" for line in listed],
            *([f"- and {more} more"] if more else []),
        ]
        noun = "record clears" if len(records) == 1 else "records clear"
        events.append(
            {
                "uid": _uid(seller, "clears", day),
                "day": day,
                "summary": f"{seller}: {len(records)} {noun} ({', '.join(parts)})",
                "description": "\n".join(lines),
            }
        )
    return events


def _deadline_events(actions: pl.DataFrame, *, seller: str) -> list[dict]:
    """One event per action with a deadline (passed ones too: they say so)."""
    events = []
    dated = actions.filter(pl.col("deadline").is_not_null()).sort("deadline", "record_id")
    for row in dated.iter_rows(named=True):
        deadline = row["deadline"]
        day = deadline.date() if isinstance(deadline, datetime) else deadline
        at = f" {deadline:%H:%M} UTC" if isinstance(deadline, datetime) else ""
        what = _record(row)
        lines = [
            f"{word(ACTION_WORDS, row['action'])}: {what}.",
            f"Deadline: {day.day} {day:%b %Y}{at}" + (" (passed)" if row["overdue"] else "."),
            f"Where: Seller Central > {row['where']}." if row["where"] else "",
            f"Metric: {metric_words(row['metric'])}." if row["metric"] else "",
        ]
        events.append(
            {
                "uid": _uid(seller, "deadline", row["action"], row["record_id"], day),
                "day": day,
                "summary": f"{seller}: deadline to {word(ACTION_WORDS, row['action']).lower()}"
                f" ({what})",
                "description": "\n".join(line for line in lines if line),
            }
        )
    return events


def calendar_events(
    clearance: pl.DataFrame, actions: pl.DataFrame, *, seller: str, as_of: date
) -> pl.DataFrame:
    """The all-day events of a seller's calendar file.

    Parameters
    ----------
    clearance
        The seller's clearance rows (definitions section 5).
    actions
        The seller's actions rows (definitions section 10); ``deadline`` a date or a UTC timestamp.
    seller
        The report's label, at the start of every summary.
    as_of
        D: dates on which records clear are taken after D.

    Returns
    -------
    pl.DataFrame
        ``uid, day, summary, description``: one row per date after D on which records
        that count (or wait to count) clear, and one per action deadline; by day.

    Examples
    --------
    >>> clearance = pl.DataFrame({"metric": ["lsr_10d", "lsr_10d", "odr_claims"],
    ...     "defect_type": ["late_shipment", "late_shipment", "claim"],
    ...     "order_id": ["O1", "O2", "O3"], "record_id": ["O1", "O2", "C1"],
    ...     "counts_from": [date(2026, 10, 1)] * 3,
    ...     "clears_on": [date(2026, 10, 12), date(2026, 10, 12), date(2026, 12, 1)]})
    >>> actions = pl.DataFrame({"metric": ["odr"], "defect_type": ["claim"],
    ...     "order_id": ["O3"], "record_id": ["C1"], "action": ["respond"],
    ...     "deadline": [datetime(2026, 10, 14, 9, 0)], "overdue": [False],
    ...     "where": ["Performance > A-to-z Guarantee Claims"]})
    >>> events = calendar_events(clearance, actions, seller="S1", as_of=date(2026, 10, 11))
    >>> events.select("day", "summary").rows()  # doctest: +NORMALIZE_WHITESPACE
    [(datetime.date(2026, 10, 12), 'S1: 2 records clear (Late shipment: 2)'),
     (datetime.date(2026, 10, 14), 'S1: deadline to respond to the claim (A-to-z Guarantee claim C1, order O3)'),
     (datetime.date(2026, 12, 1), 'S1: 1 record clears (A-to-z Guarantee claim: 1)')]
    """
    events = _clearing_events(clearance, seller=seller, as_of=as_of) + _deadline_events(
        actions, seller=seller
    )
    frame = pl.DataFrame(events, schema=_EVENT_SCHEMA, orient="row")
    return frame.sort("day", "uid")


def _escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newlines escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character.

    Examples
    --------
    >>> folded = _fold("DESCRIPTION:" + "é" * 40)
    >>> [len(part.encode()) for part in folded.split("\\r\\n")]
    [74, 19]
    """
    data = line.encode()
    parts, start, limit = [], 0, 75
    while len(data) - start > limit:
        end = start + limit
        while end > start and (data[end] & 0xC0) == 0x80:  # a continuation byte
            end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, 74  # a continuation line starts with one space
    parts.append(data[start:].decode())
    return "\r\n ".join(parts)


def ics_text(events: pl.DataFrame, *, name: str, stamp: datetime) -> str:
    """An iCalendar file of all-day events (RFC 5545): CRLF lines, escaped, folded.

    Parameters
    ----------
    events
        :func:`calendar_events`.
    name
        The calendar's name (``X-WR-CALNAME``).
    stamp
        ``DTSTAMP`` of every event (UTC): the end of the report's as-of date, so that a
        second run of the same report writes the same file.

    Examples
    --------
    >>> events = pl.DataFrame({"uid": ["u1@seller-health"], "day": [date(2026, 12, 1)],
    ...     "summary": ["S1: 1 record clears; nothing to do, really"], "description": ["a\\nb"]})
    >>> text = ics_text(events, name="S1", stamp=datetime(2026, 11, 16))
    >>> print(text.replace("\\r\\n", "\\n"))  # doctest: +ELLIPSIS
    BEGIN:VCALENDAR
    VERSION:2.0
    PRODID:-//seller-health//account health reports//EN
    CALSCALE:GREGORIAN
    METHOD:PUBLISH
    X-WR-CALNAME:S1
    BEGIN:VEVENT
    UID:u1@seller-health
    DTSTAMP:20261116T000000Z
    DTSTART;VALUE=DATE:20261201
    DTEND;VALUE=DATE:20261202
    SUMMARY:S1: 1 record clears\\; nothing to do\\, really
    DESCRIPTION:a\\nb
    TRANSP:TRANSPARENT
    END:VEVENT
    END:VCALENDAR
    <BLANKLINE>
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for event in events.iter_rows(named=True):
        day = event["day"]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event['uid']}",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(event['summary'])}",
            f"DESCRIPTION:{_escape(event['description'])}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def write_calendar(
    path: str | Path,
    clearance: pl.DataFrame,
    actions: pl.DataFrame,
    *,
    seller: str,
    as_of: date,
) -> Path:
    """Write the seller's ``.ics`` file (atomically); return its path."""
    events = calendar_events(clearance, actions, seller=seller, as_of=as_of)
    stamp = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    text = ics_text(events, name=f"{seller}: account health as of {as_of:%Y-%m-%d}", stamp=stamp)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path


def write_actions_csv(path: str | Path, actions: pl.DataFrame) -> Path:
    """Write the seller's actions (definitions section 10 columns) as CSV; return its path."""
    return write_table(actions, path)


def export_names(name: str) -> dict[str, str]:
    """The files beside ``<name>.html``: ``{"actions": "<name>-actions.csv", "calendar": ...}``.

    ``name`` is already a safe file name (:func:`toolkit.reports.names.file_names`).
    """
    return {"actions": f"{name}-actions.csv", "calendar": f"{name}.ics"}


def write_exports(
    frames: dict[str, pl.DataFrame],
    directory: str | Path,
    *,
    labels: pl.DataFrame,
    as_of: date,
) -> dict[str, dict[str, str]]:
    """Write every seller's actions CSV and calendar file into ``directory``.

    Parameters
    ----------
    frames
        The collected report tables (``clearance`` and ``actions`` are used).
    directory
        The run directory (the pages' directory).
    labels
        :func:`~toolkit.reports.results.report_labels`: each seller's label and file name.
    as_of
        D.

    Returns
    -------
    dict[str, dict[str, str]]
        Per file name, :func:`export_names` (the files written, relative to the page).
    """
    directory = Path(directory)
    keys = ["seller_id", "marketplace"]
    clearance = frames["clearance"].partition_by(keys, as_dict=True)
    actions = frames["actions"].partition_by(keys, as_dict=True)
    written = {}
    for seller_id, marketplace, label, name in labels.select(*keys, "label", "name").iter_rows():
        files = export_names(name)
        mine = actions.get((seller_id, marketplace), frames["actions"].clear())
        write_actions_csv(directory / files["actions"], mine)
        write_calendar(
            directory / files["calendar"],
            clearance.get((seller_id, marketplace), frames["clearance"].clear()),
            mine,
            seller=label,
            as_of=as_of,
        )
        written[name] = files
    return written
