"""Read Amazon's ``GET_V2_SELLER_PERFORMANCE_REPORT`` JSON into the snapshot table (definitions section 7).

One report is one day's view of a seller's Account Health page. Each metric block becomes
one row of the **snapshot table** (:data:`SNAPSHOT_SCHEMA`):
``seller_id, marketplace, snapshot_date, metric, channel, window_start, window_end,
numerator, denominator, rate, target, condition, amazon_status``.

- ``seller_id``: given, else the file name without ``.json`` / ``.gz``.
- ``snapshot_date``: given, else the latest ``reportingDateTo`` date in the file.
- ``window_start`` / ``window_end``: UTC dates of ``reportingDateFrom`` / ``reportingDateTo``,
  as the file says (even a range that runs backwards).
- Counts, rates and targets are copied, never recomputed: the schema's own example does
  not add up (ODR 1078 / 539000 is not its ``rate`` 0.009) and is kept as it is. Only the
  ODR components, which carry no rate in the report, get ``count / orderCount``.
- ``condition``: ``<``, ``>`` or ``=``; ``amazon_status``: the block's ``status``.

Metric names are in ``docs/ingest.md``; the mapping lives in
:mod:`toolkit.amazon.report_shape`. Both spellings of the renamed keys are read, unknown
keys are ignored, absent metric blocks give no rows and absent fields give nulls. A file
that is not such a report, is truncated, lacks a block's window or has a value of the
wrong type is a :class:`~toolkit.model.data.DataError` naming the file and the field; nothing
of any file is returned then.

Examples
--------
>>> from toolkit.amazon.ingest.sp_api import parse_seller_performance
>>> report = {"accountStatuses": [{"marketplaceId": "ATVPDKIKX0DER", "status": "NORMAL"}],
...     "performanceMetrics": [{"marketplaceId": "ATVPDKIKX0DER",
...         "lateShipmentRate": {"reportingDateRange": {
...             "reportingDateFrom": "2025-02-02T00:00Z", "reportingDateTo": "2025-03-03T23:59Z"},
...             "orderCount": 200, "lateShipmentCount": 6, "status": "GOOD", "rate": 0.03,
...             "targetValue": 0.04, "targetCondition": "LESS_THAN"}}]}
>>> snap = parse_seller_performance(report, seller_id="S1").collect()
>>> snap.select("marketplace", "snapshot_date", "metric", "numerator", "denominator", "rate")
shape: (2, 6)
┌─────────────┬───────────────┬────────────────┬───────────┬─────────────┬──────┐
│ marketplace ┆ snapshot_date ┆ metric         ┆ numerator ┆ denominator ┆ rate │
│ ---         ┆ ---           ┆ ---            ┆ ---       ┆ ---         ┆ ---  │
│ str         ┆ date          ┆ str            ┆ i64       ┆ i64         ┆ f64  │
╞═════════════╪═══════════════╪════════════════╪═══════════╪═════════════╪══════╡
│ US          ┆ 2025-03-03    ┆ account_status ┆ null      ┆ null        ┆ null │
│ US          ┆ 2025-03-03    ┆ lsr_30d        ┆ 6         ┆ 200         ┆ 0.03 │
└─────────────┴───────────────┴────────────────┴───────────┴─────────────┴──────┘
>>> snap.select("metric", "target", "condition", "amazon_status").row(1)
('lsr_30d', 0.04, '<', 'GOOD')
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.amazon.ingest.parser import ReportParser
from toolkit.amazon.ingest.tsv import stem
from toolkit.amazon.report_shape import SNAPSHOT_KEYS, SNAPSHOT_SCHEMA
from toolkit.model.data import DataError, InputError

__all__ = [
    "SNAPSHOT_KEYS",
    "SNAPSHOT_SCHEMA",
    "parse_seller_performance",
    "read_seller_performance",
    "seller_from_path",
]


def _frame(
    report: Any, *, seller_id: str, snapshot_date: date | None, source: str
) -> tuple[pl.DataFrame | None, list[InputError]]:
    parser = ReportParser()
    parser.report(report)
    errors = [InputError(source, None, problem) for problem in parser.problems]
    if errors:
        return None, errors
    if snapshot_date is None:
        ends = [row["window_end"] for row in parser.rows if row["window_end"] is not None]
        if not ends:
            problem = "no reportingDateTo in the file: give the snapshot date"
            return None, [InputError(source, None, problem)]
        snapshot_date = max(ends)
    for row in parser.rows:
        row.update(seller_id=seller_id, snapshot_date=snapshot_date)
    return pl.DataFrame(parser.rows, schema=SNAPSHOT_SCHEMA, orient="row"), []


def _combine(frames: list[tuple[str, pl.DataFrame]]) -> pl.LazyFrame:
    """Concatenate, refusing two rows for the same key (from one file or several)."""
    empty = pl.DataFrame(schema={**SNAPSHOT_SCHEMA, "_file": pl.String()})
    tagged = pl.concat(
        [empty, *(frame.with_columns(_file=pl.lit(name)) for name, frame in frames)],
        how="vertical",
    )
    clashes = (
        tagged.group_by(SNAPSHOT_KEYS)
        .agg(pl.len(), pl.col("_file").unique().sort())
        .filter(pl.col("len") > 1)
        .sort(SNAPSHOT_KEYS)
    )
    if clashes.height:
        errors = [
            InputError(
                ", ".join(row["_file"]),
                None,
                f"{row['len']} snapshot rows for seller {row['seller_id']}, marketplace "
                f"{row['marketplace']}, date {row['snapshot_date']}, metric {row['metric']}, "
                f"channel {row['channel']}: give each file its own --seller or snapshot date",
            )
            for row in clashes.head(10).iter_rows(named=True)
        ]
        raise DataError(errors)
    return tagged.drop("_file").sort(SNAPSHOT_KEYS).lazy()


def _load_json(path: Path) -> tuple[Any, str | None]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror}"
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            return None, f"is a damaged or truncated gzip file: {exc}"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, f"is not UTF-8 JSON text (byte {exc.start}): not a seller performance report"
    if not text.strip():
        return None, "is empty: not a seller performance report"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, (
            f"is not valid JSON (truncated?): {exc.msg} at line {exc.lineno} column {exc.colno}"
        )
    except RecursionError:
        return None, "is not a seller performance report: its JSON nests too deeply"
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        return None, f"is not a seller performance report: {exc}"


def seller_from_path(path: str | Path) -> str:
    """The default seller id of a report file: its name without ``.gz`` and extension.

    >>> seller_from_path("reports/A2SELLER.json.gz")
    'A2SELLER'
    """
    return stem(path)


def parse_seller_performance(
    report: Mapping[str, Any],
    *,
    seller_id: str,
    snapshot_date: date | None = None,
    source: str = "<report>",
) -> pl.LazyFrame:
    """The snapshot table of one already-loaded report (a ``dict`` from ``json.load``).

    Parameters
    ----------
    report
        The parsed JSON document.
    seller_id
        The seller the report belongs to (the report does not say).
    snapshot_date
        The day of the report; default: the latest ``reportingDateTo`` date in it.
    source
        Name used in error messages.

    Returns
    -------
    pl.LazyFrame
        The columns of :data:`SNAPSHOT_SCHEMA`, sorted by :data:`SNAPSHOT_KEYS`.

    Raises
    ------
    DataError
        When it is not a seller performance report, a present block lacks its window, or
        a value has the wrong type.
    """
    frame, errors = _frame(report, seller_id=seller_id, snapshot_date=snapshot_date, source=source)
    if errors:
        raise DataError(errors)
    return _combine([(source, frame)])


def read_seller_performance(
    paths: str | Path | Sequence[str | Path],
    *,
    seller_id: str | None = None,
    snapshot_date: date | None = None,
) -> pl.LazyFrame:
    """Read one or many report files (JSON, optionally gzip) into one snapshot table.

    Parameters
    ----------
    paths
        Report files. Gzip is recognised by its magic bytes, whatever the name.
    seller_id
        Seller of every file; default: each file's name without extension
        (:func:`seller_from_path`).
    snapshot_date
        Date of every file; default: each file's latest ``reportingDateTo`` date.

    Returns
    -------
    pl.LazyFrame
        The snapshot table (columns of :data:`SNAPSHOT_SCHEMA`), one row per
        :data:`SNAPSHOT_KEYS`, sorted by them. Many daily files of a seller make a history
        (see :func:`toolkit.amazon.ingest.history.snapshot_history`).

    Raises
    ------
    DataError
        Every problem of every file (file name and missing field), or two files giving the
        same seller, marketplace, date, metric and channel. Nothing is returned then.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    frames: list[tuple[str, pl.DataFrame]] = []
    errors: list[InputError] = []
    for path in map(Path, paths):
        report, problem = _load_json(path)
        if problem is not None:
            errors.append(InputError(str(path), None, problem))
            continue
        seller = seller_id if seller_id is not None else seller_from_path(path)
        frame, found = _frame(
            report, seller_id=seller, snapshot_date=snapshot_date, source=str(path)
        )
        errors += found
        if frame is not None:
            frames.append((str(path), frame))
    if errors:
        raise DataError(errors)
    return _combine(frames)
