"""A deliberately naive reading of SPEC section 4, one as-of date at a time, for tiny data.

Nothing here is clever: for every as-of date, every (seller, marketplace, channel) and
every metric, it walks over the orders of that key and asks the SPEC's questions in
plain Python (``datetime`` arithmetic, no day numbers, no retention windows): is the
attribution date in ``D-L-W+1 .. D-L``, is the purchase visible by the end of D, is this
feedback visible and not removed, ... It is the oracle the SQL baseline is tested against,
so it is written from the SPEC text, not from the SQL. It reads the data directory with
:func:`toolkit.model.data.read_data`, so DuckDB's own reading of the files is checked too.

Complexity is dates x orders x defects: keep it to a few thousand orders.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl

from toolkit.model.data import read_data
from toolkit.model.policy import Policy, load_policy

__all__ = ["bruteforce_metrics"]

_ODR_METRICS = ("odr", "odr_negative_feedback", "odr_claims", "odr_chargebacks")
_MFN_METRICS = (*_ODR_METRICS, "lsr_10d", "lsr_30d", "cancel_rate_7d", "vtr_30d", "otdr_14d")


def _visible_time(ts: datetime, cadence_minutes: int) -> datetime:
    """``ts`` rounded up to the next multiple of the cadence, counted from 00:00 UTC."""
    if cadence_minutes == 0:
        return ts
    midnight = datetime.combine(ts.astimezone(UTC).date(), time(0), tzinfo=UTC)
    step = timedelta(minutes=cadence_minutes)
    steps = -((midnight - ts) // step)  # ceil((ts - midnight) / step)
    return midnight + steps * step


def _known(ts: datetime | None, cadence_minutes: int, as_of: date) -> bool:
    """Known at the end of ``as_of``: visible earlier than ``as_of + 1`` 00:00 UTC."""
    if ts is None:
        return False
    end_of_day = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)
    return _visible_time(ts, cadence_minutes) < end_of_day


def _in_window(attribution: date, as_of: date, window: int, lag: int) -> bool:
    first = as_of - timedelta(days=lag + window - 1)
    last = as_of - timedelta(days=lag)
    return first <= attribution <= last


def _invoice_deadline(shipped_at: datetime) -> datetime:
    """23:59:59 UTC of the first Monday-to-Friday date after the UTC ship date."""
    day = shipped_at.astimezone(UTC).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


class _Judge:
    """The SPEC questions for one as-of date."""

    def __init__(
        self, policy: Policy, as_of: date, defects: dict, knowledge: date | None = None
    ) -> None:
        self.policy = policy
        self.as_of = as_of
        self.knowledge = as_of if knowledge is None else knowledge
        self.cad = policy.cadence_minutes
        self.defects = defects

    def known(self, ts: datetime | None, source: str) -> bool:
        """Visible by the end of the knowledge date (the as-of date, or ``known_at``)."""
        return _known(ts, self.cad[source], self.knowledge)

    def window(self, metric: str, attribution: datetime | None) -> bool:
        if attribution is None:
            return False
        m = self.policy.metric(metric)
        return _in_window(attribution.date(), self.as_of, m.window_days, m.lag_days)

    # ----------------------------------------------------------- defects of one order
    def negative_feedback(self, order_id: str) -> bool:
        for row in self.defects["feedback"][order_id]:
            if row["rating"] not in (1, 2) or not self.known(row["left_at"], "feedback"):
                continue
            if not self.known(row["removed_at"], "feedback"):
                return True
        return False

    def claim(self, order_id: str) -> bool:
        for row in self.defects["claims"][order_id]:
            if not self.known(row["filed_at"], "claims"):
                continue
            stops = row["outcome"] in ("denied", "withdrawn", "protected")
            if not (stops and self.known(row["resolved_at"], "claims")):
                return True
        return False

    def chargeback(self, order_id: str) -> bool:
        for row in self.defects["chargebacks"][order_id]:
            if row["kind"] != "service" or not self.known(row["filed_at"], "chargebacks"):
                continue
            stops = row["outcome"] == "seller_won" and self.policy.chargeback_won_removes
            if not (stops and self.known(row["resolved_at"], "chargebacks")):
                return True
        return False

    # ----------------------------------------------------------- one order, one metric
    def judge(self, metric: str, o: dict) -> tuple[bool, bool]:
        """(in the denominator, in the numerator) of ``metric`` for order ``o``."""
        if not self.known(o["purchased_at"], "orders"):
            return False, False
        cancelled = o["cancelled_at"] is not None and self.known(o["cancelled_at"], "orders")
        shipped = o["shipped_at"] is not None and self.known(o["shipped_at"], "orders")
        if metric in _ODR_METRICS:
            if not self.window(metric, o["purchased_at"]):
                return False, False
            found = {
                "odr_negative_feedback": self.negative_feedback(o["order_id"]),
                "odr_claims": self.claim(o["order_id"]),
                "odr_chargebacks": self.chargeback(o["order_id"]),
            }
            return True, any(found.values()) if metric == "odr" else found[metric]
        if metric in ("lsr_10d", "lsr_30d"):
            if not self.window(metric, o["latest_ship_at"]) or cancelled:
                return False, False
            on_time = shipped and o["shipped_at"] <= o["latest_ship_at"]
            return True, not on_time
        if metric == "cancel_rate_7d":
            if not self.window(metric, o["purchased_at"]):
                return False, False
            return True, cancelled and o["cancelled_by"] in ("seller", "amazon")
        if metric == "vtr_30d":
            if not self.window(metric, o["promised_delivery_at"]) or not shipped:
                return False, False
            return True, o["tracking_valid"] is True
        if metric == "otdr_14d":
            in_pop = shipped and o["tracking_valid"] is True
            if not self.window(metric, o["promised_delivery_at"]) or not in_pop:
                return False, False
            delivered = self.known(o["delivered_at"], "orders")
            return True, delivered and o["delivered_at"] <= o["promised_delivery_at"]
        if metric == "idr_7d":
            if not o["is_business"] or not shipped or not self.window(metric, o["purchased_at"]):
                return False, False
            deadline = _invoice_deadline(o["shipped_at"])
            upload = o["invoice_uploaded_at"]
            on_time = upload is not None and upload <= deadline and self.known(upload, "orders")
            return True, deadline.date() <= self.as_of and not on_time
        raise ValueError(metric)


def bruteforce_metrics(
    data_dir: str | Path,
    *,
    as_of: date,
    to: date | None = None,
    policy: Policy | None = None,
    known_at: date | None = None,
) -> pl.DataFrame:
    """The SPEC 4.2 key and count columns (plus ``rate``), one date at a time, in Python.

    Same output as :func:`tests.oracles.duckdb_metrics.duckdb_metrics`. ``known_at`` judges
    every "visible by D" at the end of that date instead (restated history); the window and
    the invoice deadline still come from each as-of date.
    """
    policy = policy if policy is not None else load_policy()
    data = read_data(data_dir).collect()
    orders = data.orders.collect().to_dicts()
    defects: dict[str, dict[str, list[dict]]] = {}
    for table in ("feedback", "claims", "chargebacks"):
        by_order: dict[str, list[dict]] = defaultdict(list)
        for row in data.table(table).collect().to_dicts():
            by_order[row["order_id"]].append(row)
        defects[table] = by_order
    keys = sorted({(o["seller_id"], o["marketplace"], o["channel"]) for o in orders})
    keys += sorted({(seller, market, "all") for seller, market, _ in keys})
    last = as_of if to is None else to
    rows = []
    day = as_of
    while day <= last:
        judge = _Judge(policy, day, defects, known_at)
        for seller, market, channel in keys:
            if channel == "all":
                metrics = ("idr_7d",)
            else:
                metrics = _MFN_METRICS if channel == "mfn" else _ODR_METRICS
            mine = [
                o
                for o in orders
                if o["seller_id"] == seller
                and o["marketplace"] == market
                and channel in ("all", o["channel"])
            ]
            for metric in metrics:
                numerator = denominator = 0
                for o in mine:
                    in_den, in_num = judge.judge(metric, o)
                    denominator += in_den
                    numerator += in_den and in_num
                m = policy.metric(metric)
                rows.append(
                    {
                        "seller_id": seller,
                        "marketplace": market,
                        "channel": channel,
                        "metric": metric,
                        "as_of": day,
                        "window_start": day - timedelta(days=m.lag_days + m.window_days - 1),
                        "window_end": day - timedelta(days=m.lag_days),
                        "numerator": numerator,
                        "denominator": denominator,
                        "rate": numerator / denominator if denominator else None,
                    }
                )
        day += timedelta(days=1)
    schema = {
        "seller_id": pl.String,
        "marketplace": pl.String,
        "channel": pl.String,
        "metric": pl.String,
        "as_of": pl.Date,
        "window_start": pl.Date,
        "window_end": pl.Date,
        "numerator": pl.Int64,
        "denominator": pl.Int64,
        "rate": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row").sort(
        "seller_id", "marketplace", "channel", "metric", "as_of"
    )
