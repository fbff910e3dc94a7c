"""A deliberately naive reading of definitions section 4, one as-of date at a time, for tiny data.

Nothing here is clever: for every as-of date, every (seller, marketplace, channel) and
every metric, it walks over the orders of that key and asks the definitions' questions in
plain Python (``datetime`` arithmetic, no day numbers, no retention windows): is the
attribution date in ``D-L-W+1 .. D-L``, is the purchase visible by the end of D, is this
feedback visible and not removed, ... It is the oracle the SQL baseline is tested against,
so it is written from docs/definitions.md text, not from the SQL. It reads the data directory with
:func:`toolkit.model.data.read_data`, so DuckDB's own reading of the files is checked too.

The metrics of definitions section 12 are asked the same way, per return request, message and review
of the key's seller and marketplace (channel ``all``).

:func:`bruteforce_clearance` reads definitions section 5 the same way: it judges each order on
every date of its window and reports the run of dates on which it is bad, which must be
the clearance table's ``counts_from .. clears_on``.

Complexity is dates x orders x defects: keep it to a few thousand orders.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl

from toolkit.model.data import Dataset, read_data
from toolkit.model.policy import Policy, load_policy

__all__ = ["bruteforce_clearance", "bruteforce_metrics"]

_ODR_METRICS = ("odr", "odr_negative_feedback", "odr_claims", "odr_chargebacks")
_MFN_METRICS = (*_ODR_METRICS, "lsr_10d", "lsr_30d", "cancel_rate_7d", "vtr_30d", "otdr_14d")
_ALL_METRICS = ("idr_7d", "rdr_30d", "contact_response_24h_30d", "product_rating")
_SERVICE = {
    "rdr_30d": "returns",
    "contact_response_24h_30d": "messages",
    "product_rating": "reviews",
}


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
    """docs/definitions.md questions for one as-of date."""

    def __init__(
        self, policy: Policy, as_of: date, defects: dict, knowledge: date | None = None
    ) -> None:
        self.policy = policy
        self.as_of = as_of
        self.knowledge = as_of if knowledge is None else knowledge
        self.cad = policy.cadence_minutes
        self.defects = defects

    def end_of_day(self) -> datetime:
        return datetime.combine(self.as_of + timedelta(days=1), time(0), tzinfo=UTC)

    def hours(self, metric: str) -> timedelta:
        return timedelta(hours=self.policy.metric(metric).response_hours)

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

    # ---------------------------------------------------- one definitions section 12 record, one metric
    def judge_record(self, metric: str, r: dict) -> tuple[bool, int]:
        """(in the denominator, what it adds to the numerator) of a return, message, review."""
        if metric == "rdr_30d":
            if not self.known(r["requested_at"], "returns"):
                return False, 0
            if not self.window(metric, r["requested_at"]):
                return False, 0
            in_policy = r["in_policy"] is not False
            rejected = in_policy and r["outcome"] == "rejected"
            unresolved = r["buyer_resolved"] is False
            deadline = r["requested_at"] + self.hours(metric)
            answered = r["responded_at"]
            on_time = (
                answered is not None and answered <= deadline and self.known(answered, "returns")
            )
            late = deadline < self.end_of_day() and not on_time
            return True, int(rejected or unresolved or late)
        if metric == "contact_response_24h_30d":
            if not self.known(r["received_at"], "orders"):
                return False, 0
            deadline = r["received_at"] + self.hours(metric)
            if not self.window(metric, r["received_at"]) or not deadline < self.end_of_day():
                return False, 0
            replied = r["replied_at"]
            good = replied is not None and replied <= deadline and self.known(replied, "orders")
            return True, int(good)
        if metric == "product_rating":
            if r["verified"] is False or not self.known(r["reviewed_at"], "reviews"):
                return False, 0
            if not self.window(metric, r["reviewed_at"]):
                return False, 0
            return True, r["stars"]
        raise ValueError(metric)


def _read(data_dir: str | Path) -> tuple[Dataset, list[dict], dict[str, dict[str, list[dict]]]]:
    """The dataset, its orders as dicts, and each defect table's rows by order id."""
    data = read_data(data_dir).collect()
    orders = data.orders.collect().to_dicts()
    defects: dict[str, dict[str, list[dict]]] = {}
    for table in ("feedback", "claims", "chargebacks"):
        by_order: dict[str, list[dict]] = defaultdict(list)
        for row in data.table(table).collect().to_dicts():
            by_order[row["order_id"]].append(row)
        defects[table] = by_order
    return data, orders, defects


def bruteforce_metrics(
    data_dir: str | Path,
    *,
    as_of: date,
    to: date | None = None,
    policy: Policy | None = None,
    known_at: date | None = None,
) -> pl.DataFrame:
    """The definitions section 4.2 key and count columns (plus ``rate``), one date at a time, in Python.

    Same output as :func:`tests.oracles.duckdb_metrics.duckdb_metrics`. ``known_at`` judges
    every "visible by D" at the end of that date instead (restated history); the window and
    the invoice deadline still come from each as-of date.
    """
    policy = policy if policy is not None else load_policy()
    data, orders, defects = _read(data_dir)
    market_of = {o["order_id"]: (o["seller_id"], o["marketplace"]) for o in orders}
    records: dict[str, list[dict]] = {}
    for metric, table in _SERVICE.items():
        rows = data.table(table).collect().to_dicts()
        if table == "returns":  # a return belongs to its order's seller and marketplace
            for row in rows:
                row["seller_id"], row["marketplace"] = market_of[row["order_id"]]
        records[metric] = rows
    keys = sorted({(o["seller_id"], o["marketplace"], o["channel"]) for o in orders})
    keys += sorted({(seller, market, "all") for seller, market, _ in keys})
    last = as_of if to is None else to
    rows = []
    day = as_of
    while day <= last:
        judge = _Judge(policy, day, defects, known_at)
        for seller, market, channel in keys:
            if channel == "all":
                metrics = _ALL_METRICS
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
                if metric in _SERVICE:
                    for r in records[metric]:
                        if (r["seller_id"], r["marketplace"]) == (seller, market):
                            in_den, adds = judge.judge_record(metric, r)
                            denominator += in_den
                            numerator += adds if in_den else 0
                for o in mine if metric not in _SERVICE else ():
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


# ------------------------------------------------------------------ clearance (definitions section 5)

_ORDER_METRICS = {  # metric: (defect type, attribution column)
    "lsr_10d": ("late_shipment", "latest_ship_at"),
    "lsr_30d": ("late_shipment", "latest_ship_at"),
    "cancel_rate_7d": ("cancellation", "purchased_at"),
    "vtr_30d": ("invalid_tracking", "promised_delivery_at"),
    "otdr_14d": ("late_delivery", "promised_delivery_at"),
    "idr_7d": ("late_invoice", "purchased_at"),
}
#: Why an order that is still in the window stops being bad: it left the population
#: (only a cancellation takes an order out of ``lsr``), or the numerator changed.
_LEFT_NUMERATOR = {
    "lsr_10d": "shipped_on_time",
    "lsr_30d": "shipped_on_time",
    "otdr_14d": "delivered_on_time",
    "idr_7d": "invoice_on_time",
}


def _decided(metric: str, o: dict, as_of: date) -> bool:
    """definitions section 5: the fact that makes the order bad is known at D (until then it can still
    turn out good): the ship-by date, the promised date, the invoice deadline date is on
    or before D. Cancellations and tracking need only be visible (the judge asks that)."""
    if metric in ("lsr_10d", "lsr_30d"):
        return o["latest_ship_at"].date() <= as_of
    if metric == "otdr_14d":
        return o["promised_delivery_at"].date() <= as_of
    if metric == "idr_7d":
        return o["shipped_at"] is not None and _invoice_deadline(o["shipped_at"]).date() <= as_of
    return True


def bruteforce_clearance(
    data_dir: str | Path, *, as_of: date, policy: Policy | None = None
) -> pl.DataFrame:
    """The clearance rows of the order metrics (not the ODR components), asked day by day.

    For every order and metric whose window has not passed at D (``a + L + W > D``) and
    whose bad fact is known at D, judge the order on every as-of date d of its window
    with knowledge ``min(d, D)`` (the past as it was seen, the future as known at D): the
    dates on which it is bad must be one run ``counts_from .. clears_on - 1``. The reason
    is ``window`` when the run ends with the window, else what changed on ``clears_on``:
    the order left the population (``cancelled``) or the numerator changed.
    """
    policy = policy if policy is not None else load_policy()
    _, orders, defects = _read(data_dir)
    judges: dict[date, _Judge] = {}

    def judge(day: date) -> _Judge:
        if day not in judges:
            judges[day] = _Judge(policy, day, defects, min(day, as_of))
        return judges[day]

    rows = []
    for o in orders:
        for metric, (defect_type, column) in _ORDER_METRICS.items():
            if (o["channel"] != "mfn" and metric != "idr_7d") or o[column] is None:
                continue
            m = policy.metric(metric)
            opens = o[column].date() + timedelta(days=m.lag_days)
            closes = opens + timedelta(days=m.window_days)
            if closes <= as_of or not _decided(metric, o, as_of):
                continue
            bad_days = []
            for k in range(m.window_days):
                day = opens + timedelta(days=k)
                in_den, in_num = judge(day).judge(metric, o)
                if in_den and (in_num if m.condition == "<" else not in_num):
                    bad_days.append(day)
            if not bad_days:
                continue
            counts_from, clears_on = bad_days[0], bad_days[-1] + timedelta(days=1)
            assert len(bad_days) == (clears_on - counts_from).days, (metric, o["order_id"])
            if clears_on == closes:
                reason = "window"
            else:
                in_den, _ = judge(clears_on).judge(metric, o)
                reason = _LEFT_NUMERATOR[metric] if in_den else "cancelled"
            rows.append(
                {
                    "seller_id": o["seller_id"],
                    "marketplace": o["marketplace"],
                    "channel": "all" if metric == "idr_7d" else o["channel"],
                    "metric": metric,
                    "order_id": o["order_id"],
                    "defect_type": defect_type,
                    "record_id": o["order_id"],
                    "attribution_date": o[column].date(),
                    "counts_from": counts_from,
                    "clears_on": clears_on,
                    "counting": counts_from <= as_of < clears_on,
                    "clear_reason": reason,
                }
            )
    schema = {
        "seller_id": pl.String,
        "marketplace": pl.String,
        "channel": pl.String,
        "metric": pl.String,
        "order_id": pl.String,
        "defect_type": pl.String,
        "record_id": pl.String,
        "attribution_date": pl.Date,
        "counts_from": pl.Date,
        "clears_on": pl.Date,
        "counting": pl.Boolean,
        "clear_reason": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")
