"""Walking one seller performance report document: rows found and problems met.

Used by :mod:`toolkit.amazon.ingest.sp_api`; problems are JSON paths such as
``missing performanceMetrics[0].lateShipmentRate.reportingDateRange.reportingDateFrom``.

Required: ``performanceMetrics`` (a list), each entry's ``marketplaceId``, and the
``reportingDateRange`` of every present block that has one in the schema (the snapshot
row means nothing without its window). Everything else is optional: real reports omit
blocks and fields the schema calls required, so an absent count, rate, target, condition
or status gives a null, while a value of the wrong type is a problem.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from toolkit.amazon.marketplaces import marketplace_code
from toolkit.amazon.report_shape import (
    AHR_STATUS_KEYS,
    CONDITIONS,
    LISTING_ALIASES,
    LISTING_KEYS,
    LISTING_PREFIX,
    ODR,
    ODR_COMPONENTS,
    REPORT_METRICS,
    SNAPSHOT_SCHEMA,
    WARNING_KEYS,
    ReportMetric,
)

Window = tuple[date | None, date | None]
_MAX_COUNT = 2**63 - 1  # the snapshot table's counts are 64-bit integers


def _finite(value: Any) -> bool:
    """A JSON number (not a boolean), finite."""
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


class ReportParser:
    """Walks one report, collecting rows and the problems found (as JSON paths)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.problems: list[str] = []

    # ------------------------------------------------------------------ fields
    def get(self, block: Any, dotted: str, where: str, *, required: bool = True) -> Any:
        value = block
        for part in dotted.split("."):
            if not isinstance(value, Mapping) or value.get(part) is None:
                if required:
                    self.problems.append(f"missing {where}.{dotted}")
                return None
            value = value[part]
        return value

    def count(self, block: Any, dotted: str, where: str, *, required: bool = True) -> int | None:
        value = self.get(block, dotted, where, required=required)
        if value is None:
            return None
        if not _finite(value) or value != int(value) or not 0 <= value <= _MAX_COUNT:
            self.problems.append(f"{where}.{dotted} is not a count: {value!r}")
            return None
        return int(value)

    def number(self, block: Any, key: str, where: str) -> float | None:
        value = self.get(block, key, where, required=False)
        if value is None:
            return None
        if not _finite(value):
            self.problems.append(f"{where}.{key} is not a number: {value!r}")
            return None
        return float(value)

    def text(self, block: Any, key: str, where: str, *, required: bool = False) -> str | None:
        value = self.get(block, key, where, required=required)
        if value is not None and not isinstance(value, str):
            self.problems.append(f"{where}.{key} is not a string: {value!r}")
            return None
        return value

    def condition(self, block: Any, where: str) -> str | None:
        value = self.text(block, "targetCondition", where)
        if value is not None and value not in CONDITIONS:
            known = ", ".join(CONDITIONS)
            self.problems.append(f"{where}.targetCondition {value!r} is not one of {known}")
            return None
        return CONDITIONS.get(value) if value else None

    def window(self, block: Any, where: str, *, required: bool = True) -> Window:
        dates = []
        for end in ("reportingDateFrom", "reportingDateTo"):
            text = self.text(block, f"reportingDateRange.{end}", where, required=required)
            dates.append(_utc_date(text) if text is not None else None)
            if text is not None and dates[-1] is None:
                self.problems.append(f"{where}.reportingDateRange.{end} is not a time: {text!r}")
        return dates[0], dates[1]

    def pick(self, entry: Mapping, keys: Sequence[str], where: str) -> Any:
        """The block under the first present spelling of ``keys`` (others must agree)."""
        present = [k for k in keys if entry.get(k) is not None]
        if any(entry[k] != entry[present[0]] for k in present[1:]):
            self.problems.append(f"{where} has both {' and '.join(present)}, and they differ")
        return entry[present[0]] if present else None

    # -------------------------------------------------------------------- rows
    def add(self, marketplace: str, metric: str, channel: str, window: Window, **values) -> None:
        row = dict.fromkeys(SNAPSHOT_SCHEMA)
        row.update(marketplace=marketplace, metric=metric, channel=channel)
        row.update(window_start=window[0], window_end=window[1], **values)
        self.rows.append(row)

    def rate_block(
        self, block: Any, spec: ReportMetric, metric: str, where: str, **ctx
    ) -> dict[str, Any] | None:
        if not isinstance(block, Mapping):
            self.problems.append(f"{where} is not an object")
            return None
        self.add(
            metric=metric,
            window=self.window(block, where),
            numerator=self.count(block, spec.numerator, where, required=False),
            denominator=self.count(block, spec.denominator, where, required=False),
            rate=self.number(block, "rate", where),
            target=self.number(block, "targetValue", where),
            condition=self.condition(block, where),
            amazon_status=self.text(block, "status", where),
            **ctx,
        )
        return self.rows[-1]

    def odr(self, block: Any, market: str, where: str) -> None:
        if not isinstance(block, Mapping):
            self.problems.append(f"{where} is not an object")
            return
        for channel in ("mfn", "afn"):
            sub = self.get(block, channel, where, required=False)
            if sub is None:
                continue
            here = f"{where}.{channel}"
            row = self.rate_block(sub, ODR, "odr", here, marketplace=market, channel=channel)
            if row is None:
                continue
            window, orders = (row["window_start"], row["window_end"]), row["denominator"]
            for key, metric in ODR_COMPONENTS.items():
                if self.get(sub, key, here, required=False) is None:
                    continue
                defects = self.count(sub, f"{key}.count", here, required=False)
                self.add(
                    market,
                    metric,
                    channel,
                    window,
                    numerator=defects,
                    denominator=orders,
                    rate=defects / orders if defects is not None and orders else None,
                    amazon_status=self.text(sub, f"{key}.status", here),
                )

    def entry(self, entry: Any, where: str) -> None:
        if not isinstance(entry, Mapping):
            self.problems.append(f"{where} is not an object")
            return
        market_id = self.text(entry, "marketplaceId", where, required=True)
        if market_id is None:
            return
        market = marketplace_code(market_id)
        handled = {"marketplaceId"}
        if entry.get(ODR.key) is not None:
            self.odr(entry[ODR.key], market, f"{where}.{ODR.key}")
        handled.add(ODR.key)
        lsr_names = set()
        lsr_list = entry.get("lateShipmentRateList") or []
        handled.add("lateShipmentRateList")
        if not isinstance(lsr_list, list):
            self.problems.append(f"{where}.lateShipmentRateList is not a list")
            lsr_list = []
        for i, block in enumerate(lsr_list):
            here = f"{where}.lateShipmentRateList[{i}]"
            start, end = self.window(block, here)
            if start is None or end is None:
                continue
            name = f"lsr_{(end - start).days + 1}d"
            lsr_names.add(name)
            self.rate_block(block, REPORT_METRICS[0], name, here, marketplace=market, channel="all")
        for spec in REPORT_METRICS:
            keys = (spec.key, *spec.aliases)
            handled.update(keys)
            block = self.pick(entry, keys, where)
            if block is not None and spec.metric not in lsr_names:
                here = f"{where}.{spec.key}"
                self.rate_block(block, spec, spec.metric, here, marketplace=market, channel="all")
        aliases = {alias for keys in LISTING_ALIASES.values() for alias in keys}
        others = [
            key
            for key, block in entry.items()
            if isinstance(block, Mapping) and "defectsCount" in block
            if key not in handled and key not in LISTING_KEYS and key not in aliases
        ]
        for key in (*LISTING_KEYS, *others):
            block = self.pick(entry, (key, *LISTING_ALIASES.get(key, ())), where)
            if block is not None:
                self.listing(block, market, key, f"{where}.{key}")
        self.extras(entry, market, where)

    def listing(self, block: Any, market: str, key: str, where: str) -> None:
        target = self.number(block, "targetValue", where)
        condition = self.condition(block, where)
        self.add(
            market,
            LISTING_PREFIX + key,
            "all",
            self.window(block, where),
            numerator=self.count(block, "defectsCount", where, required=False),
            target=0.0 if target is None else target,
            condition=condition or "=",
            amazon_status=self.text(block, "status", where),
        )

    def extras(self, entry: Mapping, market: str, where: str) -> None:
        """AHR, warning states and the policy-violation warnings count."""
        ahr = entry.get("accountHealthRating")
        if ahr is not None:
            here = f"{where}.accountHealthRating"
            status = self.pick(ahr, AHR_STATUS_KEYS, here) if isinstance(ahr, Mapping) else None
            if status is not None and not isinstance(status, str):
                self.problems.append(f"{here}.{AHR_STATUS_KEYS[0]} is not a string: {status!r}")
                status = None
            score = self.count(ahr, "ahrScore", here, required=False)
            window = self.window(ahr, here)
            self.add(market, "ahr", "all", window, numerator=score, amazon_status=status)
        warnings = self.pick(entry, WARNING_KEYS, where)
        if isinstance(warnings, Mapping):
            warnings = [warnings]
        elif warnings is not None and not isinstance(warnings, list):
            self.problems.append(f"{where}.{WARNING_KEYS[0]} is not a list")
            warnings = None
        for i, item in enumerate(warnings or []):
            here = f"{where}.{WARNING_KEYS[0]}[{i}]"
            if isinstance(item, str):
                self.add(market, f"warning_{item}", "all", (None, None))
                continue
            kind = self.text(item, "warningType", here, required=True)
            status = self.text(item, "status", here)
            self.add(market, f"warning_{kind}", "all", (None, None), amazon_status=status)
        warned = entry.get("policyViolationWarnings")
        if warned is not None:
            here = f"{where}.policyViolationWarnings"
            window = self.window(warned, here, required=False)
            count = self.count(warned, "warningsCount", here, required=False)
            self.add(market, "policy_violation_warnings", "all", window, numerator=count)

    def report(self, report: Any) -> None:
        if not isinstance(report, Mapping):
            kind = type(report).__name__
            self.problems.append(
                f"not a seller performance report: the top level is a {kind}, not an object"
            )
            return
        entries = report.get("performanceMetrics")
        if entries is None:
            keys = ", ".join(list(report)[:6]) or "none"
            self.problems.append(
                "not a seller performance report: missing performanceMetrics "
                f"(top-level keys found: {keys})"
            )
            return
        if not isinstance(entries, list):
            self.problems.append("performanceMetrics is not a list")
            return
        for i, entry in enumerate(entries):
            self.entry(entry, f"performanceMetrics[{i}]")
        statuses = report.get("accountStatuses") or []
        if not isinstance(statuses, list):
            self.problems.append("accountStatuses is not a list")
            return
        for i, item in enumerate(statuses):
            here = f"accountStatuses[{i}]"
            market_id = self.text(item, "marketplaceId", here, required=True)
            status = self.text(item, "status", here, required=True)
            if market_id is not None:
                self.add(
                    marketplace_code(market_id),
                    "account_status",
                    "all",
                    (None, None),
                    amazon_status=status,
                )


def _utc_date(text: str) -> date | None:
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not a time, or past year 9999 once in UTC
        return None
    return moment.date()
