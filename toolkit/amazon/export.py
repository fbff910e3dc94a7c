"""Write the toolkit's own numbers as a seller performance report in the SP-API shape.

:func:`seller_performance_report` turns one seller's metrics (definitions section 4.2), and optionally
its violations (definitions section 6) and AHR estimate, at one as-of date into the JSON document of
``GET_V2_SELLER_PERFORMANCE_REPORT``, so tools built for Amazon's report can read the
toolkit's numbers, and :func:`~toolkit.amazon.ingest.sp_api.read_seller_performance` reads them
back into exactly the metrics they came from.

Mapping (the reverse of the reader, :mod:`toolkit.amazon.report_shape`):

- ``odr`` mfn / afn and its components -> ``orderDefectRate.mfn`` / ``.afn``;
  ``lsr_30d`` -> ``lateShipmentRate`` and, with ``lsr_10d``, ``lateShipmentRateList``;
  ``cancel_rate_7d``, ``vtr_30d``, ``otdr_14d`` (orders, written in the unit fields of
  ``unitOnTimeDeliveryRate``) and ``idr_7d`` -> their blocks. ``onTimeDeliveryRate`` is
  written only if the table has an ``otdr_30d``.
- Window dates -> ``reportingDateFrom`` ``YYYY-MM-DDT00:00Z`` and ``reportingDateTo``
  ``YYYY-MM-DDT23:59Z``; condition ``<``/``>``/``=`` -> ``LESS_THAN``/``GREATER_THAN``/
  ``EQUALS``; a null rate (denominator 0) is written as ``null``.
- status (:data:`AMAZON_STATUS`): ``good``, ``watch`` -> ``GOOD``; ``bad``,
  ``bad_low_volume`` -> ``BAD`` (Amazon judges the target alone); ``info``, ``no_data``
  -> ``NONE``.
- violations: per listing-level key, the violations **displayed** at the as-of date,
  window ``as_of - display_days + 1 .. as_of``, target 0, ``EQUALS``, ``BAD`` when any.
- ahr: ``ahr_estimate`` -> ``ahrScore`` (with ``ahrScoreIsEstimate: true``), band
  ``healthy`` -> ``GREAT``, ``at_risk`` and ``critical`` -> ``WARNED``.
- ``accountStatuses`` and ``warningStates`` are empty lists: they are Amazon's decisions,
  which the toolkit cannot know. ``missingInvoice`` and ``lateInvoice`` are not written.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.amazon.marketplaces import marketplace_id
from toolkit.amazon.report_shape import (
    CONDITIONS,
    LISTING_KEYS,
    ODR,
    ODR_COMPONENTS,
    REPORT_METRICS,
    ReportMetric,
)
from toolkit.model.output import atomic_path
from toolkit.model.schema import CATEGORY_SPAPI_KEYS

__all__ = ["AHR_STATUS", "AMAZON_STATUS", "seller_performance_report", "write_report_json"]

#: The toolkit's metric status -> Amazon's.
AMAZON_STATUS = {
    "good": "GOOD",
    "watch": "GOOD",
    "bad": "BAD",
    "bad_low_volume": "BAD",
    "info": "NONE",
    "no_data": "NONE",
}
#: The AHR estimate's band -> Amazon's AHR status.
AHR_STATUS = {"healthy": "GREAT", "at_risk": "WARNED", "critical": "WARNED"}
_AMAZON_CONDITION = {ours: amazon for amazon, ours in CONDITIONS.items()}


def _range(start: date, end: date) -> dict[str, str]:
    return {
        "reportingDateFrom": f"{start.isoformat()}T00:00Z",
        "reportingDateTo": f"{end.isoformat()}T23:59Z",
    }


def _status(row: Mapping[str, Any]) -> str:
    status = row.get("status")
    if status is None:
        return "NONE"
    if status not in AMAZON_STATUS:
        raise ValueError(f"metric {row['metric']}: unknown status {status!r}")
    return AMAZON_STATUS[status]


def _put(block: dict[str, Any], dotted: str, value: Any, status: str) -> None:
    head, _, leaf = dotted.partition(".")
    if leaf:
        block[head] = {leaf: value, "status": status}
    else:
        block[head] = value


def _rate_block(row: Mapping[str, Any], spec: ReportMetric) -> dict[str, Any]:
    if row["window_start"] is None or row["window_end"] is None:
        raise ValueError(f"metric {row['metric']} {row['channel']}: no window dates")
    status = _status(row)
    block: dict[str, Any] = {"reportingDateRange": _range(row["window_start"], row["window_end"])}
    _put(block, spec.denominator, row["denominator"], status)
    _put(block, spec.numerator, row["numerator"], status)
    target = row["target"]
    block.update(
        status=status,
        rate=row["rate"],
        targetValue=None if target is None else float(target),
        targetCondition=_AMAZON_CONDITION.get(row["condition"]),
    )
    return block


def _rows(frame: pl.LazyFrame | pl.DataFrame, **keys: Any) -> list[dict[str, Any]]:
    return frame.lazy().filter(**keys).collect().to_dicts()


def _metric_blocks(rows: list[dict[str, Any]]) -> dict[str, Any]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["metric"], row["channel"])
        if key in seen:
            raise ValueError(f"two metrics rows for {key[0]} {key[1]}")
        seen[key] = row
    by_metric: dict[str, dict[str, Any]] = {}
    for metric, channel in seen:
        if metric not in (ODR.metric, *ODR_COMPONENTS.values()):
            if metric in by_metric:
                raise ValueError(f"metric {metric} has rows for more than one channel")
            by_metric[metric] = seen[metric, channel]
    entry: dict[str, Any] = {}
    odr: dict[str, Any] = {}
    for channel in ("mfn", "afn"):
        if (ODR.metric, channel) not in seen:
            continue
        block = _rate_block(seen[ODR.metric, channel], ODR)
        for key, metric in ODR_COMPONENTS.items():
            if (metric, channel) in seen:
                component = seen[metric, channel]
                block[key] = {"count": component["numerator"], "status": _status(component)}
        odr[channel] = {**block, "fulfillmentType": channel}
    if odr:
        entry[ODR.key] = odr
    lsr = [by_metric[m] for m in ("lsr_10d", "lsr_30d") if m in by_metric]
    if lsr:
        entry["lateShipmentRateList"] = [_rate_block(row, REPORT_METRICS[0]) for row in lsr]
    for spec in REPORT_METRICS:
        if spec.metric in by_metric:
            entry[spec.key] = _rate_block(by_metric[spec.metric], spec)
    return entry


def _listing_blocks(rows: list[dict[str, Any]], as_of: date, days: int) -> dict[str, Any]:
    counts = dict.fromkeys(LISTING_KEYS, 0)
    for row in rows:
        counts[CATEGORY_SPAPI_KEYS[row["category"]]] += row["displayed"]
    window = _range(as_of - timedelta(days=days - 1), as_of)
    return {
        key: {
            "reportingDateRange": window,
            "defectsCount": count,
            "status": "BAD" if count else "GOOD",
            "targetValue": 0,
            "targetCondition": "EQUALS",
        }
        for key, count in counts.items()
    }


def seller_performance_report(
    metrics: pl.LazyFrame | pl.DataFrame,
    *,
    seller_id: str,
    marketplace: str,
    as_of: date,
    violations: pl.LazyFrame | pl.DataFrame | None = None,
    ahr: pl.LazyFrame | pl.DataFrame | None = None,
    display_days: int = 180,
) -> dict[str, Any]:
    """One seller's numbers at ``as_of`` as a ``GET_V2_SELLER_PERFORMANCE_REPORT`` document.

    Parameters
    ----------
    metrics
        A metrics table (definitions section 4.2 columns); rows of other sellers, marketplaces and dates
        are ignored.
    seller_id, marketplace, as_of
        Whose numbers, where (country code) and when.
    violations
        Optional violations table (definitions section 6); the violations displayed at ``as_of`` are
        counted per SP-API listing-level key.
    ahr
        Optional ahr table (definitions section 6); its row at ``as_of`` gives ``accountHealthRating``.
    display_days
        Length of the listing-level and AHR windows (the policy's ``display_days``).

    Returns
    -------
    dict
        The report as JSON-ready Python values (see :func:`write_report_json`).

    Raises
    ------
    ValueError
        No metrics row for the seller, marketplace and date; two rows for one metric and
        channel; a status outside definitions section 4.1.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> metrics = pl.DataFrame({"seller_id": ["S1"], "marketplace": ["DE"],
    ...     "channel": ["mfn"], "metric": ["cancel_rate_7d"], "as_of": [date(2025, 3, 9)],
    ...     "window_start": [date(2025, 3, 3)], "window_end": [date(2025, 3, 9)],
    ...     "numerator": [1], "denominator": [50], "rate": [0.02], "target": [0.025],
    ...     "condition": ["<"], "status": ["watch"]})
    >>> report = seller_performance_report(
    ...     metrics, seller_id="S1", marketplace="DE", as_of=date(2025, 3, 9))
    >>> entry = report["performanceMetrics"][0]
    >>> entry["marketplaceId"], entry["preFulfillmentCancellationRate"]["status"]
    ('A1PA6795UKMFR9', 'GOOD')
    >>> entry["preFulfillmentCancellationRate"]["reportingDateRange"]
    {'reportingDateFrom': '2025-03-03T00:00Z', 'reportingDateTo': '2025-03-09T23:59Z'}
    """
    keys = {"seller_id": seller_id, "marketplace": marketplace}
    rows = _rows(metrics, as_of=as_of, **keys)
    if not rows:
        raise ValueError(f"no metrics for seller {seller_id}, {marketplace}, as of {as_of}")
    entry: dict[str, Any] = {"marketplaceId": marketplace_id(marketplace)}
    entry.update(_metric_blocks(rows))
    if violations is not None:
        shown = (
            violations.lazy()
            .filter(as_of=as_of, **keys)
            .filter(pl.lit(as_of).is_between(pl.col("displayed_from"), pl.col("displayed_until")))
            .group_by("category")
            .agg(displayed=pl.len())
        )
        entry.update(_listing_blocks(shown.collect().to_dicts(), as_of, display_days))
    if ahr is not None:
        found = _rows(ahr, as_of=as_of, **keys)
        if len(found) > 1:
            raise ValueError(f"{len(found)} ahr rows for seller {seller_id}, as of {as_of}")
        if found:
            entry["accountHealthRating"] = {
                "ahrStatus": AHR_STATUS[found[0]["band"]],
                "ahrScore": found[0]["ahr_estimate"],
                "ahrScoreIsEstimate": True,
                "reportingDateRange": _range(as_of - timedelta(days=display_days - 1), as_of),
            }
    entry["warningStates"] = []
    return {
        "accountStatuses": [],
        "performanceMetrics": [entry],
        "toolkitExport": {
            "generator": "seller-health",
            "sellerId": seller_id,
            "asOf": as_of.isoformat(),
            "note": "Recomputed from raw events by seller-health, not issued by Amazon; "
            "ahrScore is an estimate.",
        },
    }


def write_report_json(report: Mapping[str, Any], path: str | Path) -> Path:
    """Write a report document as JSON (gzip when ``path`` ends in ``.gz``), atomically."""
    path = Path(path)
    data = (json.dumps(report, indent=2, allow_nan=False) + "\n").encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path
