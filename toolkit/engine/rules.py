"""Every metric's records and their retention windows (definitions sections 4, 4.3 and 5).

A *record* is an order in a metric's population (the denominator) or in its numerator.
Each record is described by four dates:

- ``a``: the attribution date (purchase, latest ship or promised delivery date);
- ``ready``: the first as-of date on which it can count for a reason other than
  knowledge (the invoice deadline of ``idr_7d``), or null;
- ``seen``: the visible date of the last fact it needs (the purchase, the shipment, the
  defect, ...): it cannot count before that;
- ``stop``: the visible date of the fact that ends it (a cancellation, an on-time
  shipment, a removal, a denial, ...), or null.

For a metric with window W and lag L, point in time (knowledge = the as-of date)::

    counts_from = max(a + L, ready, seen)      clears_on = min(a + L + W, stop)

and with knowledge frozen at K (``known_at``, restated history; the forecast's known
part): a record counts on ``a + L <= D < a + L + W`` (and ``ready <= D``) when
``seen <= K`` and no stop is visible by K; otherwise never.

These two bounds are the only definition of each metric in the toolkit: snapshots,
histories, the clearance table and forecasts are all counts over them.

A **bad record** (definitions section 5) is what makes a rate worse: an order of the numerator of a
``<`` metric, or an order of the population outside the numerator of a ``>`` metric.
:meth:`Rule.bad_bounds` gives its ``counts_from``, ``clears_on`` and ``clear_reason`` as
known at D, from the same four dates; each rule carries the names the clearance table
shows (its ``defect_type`` and the reasons of its stops).

All dates here are **day numbers** (Int32 days since 1970-01-01, the physical value of
``pl.Date``): integer arithmetic is many times faster than adding durations to dates.
Public tables convert them back to dates.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from toolkit.model.data import Dataset
from toolkit.model.policy import Policy
from toolkit.time.visibility import DAY_US, day_number, utc_day, visible_day
from toolkit.time.windows import Window, live_at, stop_known_at

_WINDOW = "window"  # clear_reason when the window ends first

__all__ = [
    "CLEARANCE_COLUMNS",
    "COMPONENT_OF",
    "ORDER_RULES",
    "RECORD_COLUMNS",
    "Rule",
    "defect_events",
    "defect_records",
    "order_dates",
    "window_bounds",
]

_NO_DAY = pl.lit(None, dtype=pl.Int32)
#: The columns that name a defect record and its order (clearance table, reconciliation).
RECORD_COLUMNS = [
    "seller_id",
    "marketplace",
    "channel",
    "metric",
    "order_id",
    "defect_type",
    "record_id",
    "attribution_date",
]
#: Columns of the clearance table (definitions section 5): a record, then when it counts and why it clears.
CLEARANCE_COLUMNS = [*RECORD_COLUMNS, "counts_from", "clears_on", "counting", "clear_reason"]


def window_bounds(
    a: pl.Expr,
    *,
    window: Window,
    seen: pl.Expr,
    stop: pl.Expr | None = None,
    ready: pl.Expr | None = None,
    known_at: date | None = None,
) -> tuple[pl.Expr, pl.Expr]:
    """``(counts_from, clears_on)`` of records (day numbers), point in time or known at K.

    A record whose window is empty (``counts_from >= clears_on``) or null never counts.
    """
    opens, closes = window.opens(a), window.closes(a)
    stop = _NO_DAY if stop is None else stop
    ready = _NO_DAY if ready is None else ready
    if known_at is None:
        return pl.max_horizontal(opens, ready, seen), pl.min_horizontal(closes, stop)
    keep = live_at(seen, stop, known_at)
    return (
        pl.when(keep).then(pl.max_horizontal(opens, ready)),
        pl.when(keep).then(closes),
    )


def order_dates(orders: pl.LazyFrame, policy: Policy) -> pl.LazyFrame:
    """Add the attribution and visible day numbers every rule uses (columns starting ``_``).

    ``_pd`` purchase date, ``_pv`` purchase visible, ``_lsd`` latest ship date,
    ``_sd``/``_sv`` ship date and its visible date, ``_pdd`` promised delivery date,
    ``_dv`` delivery visible, ``_cv`` cancellation visible, ``_iv`` invoice visible,
    ``_deadline`` the invoice deadline date (first Monday-to-Friday date after the ship
    date), ``_upload_on_time`` and ``_mfn`` (seller-fulfilled).
    """
    cadence = policy.cadence_minutes["orders"]

    def seen(column: str) -> pl.Expr:
        return visible_day(pl.col(column), cadence_minutes=cadence)

    ship_day = utc_day(pl.col("shipped_at"))
    weekday = (ship_day + 3) % 7  # Monday 0 .. Sunday 6 (day 0, 1970-01-01, was a Thursday)
    step = pl.when(weekday == 4).then(3).when(weekday == 5).then(2).otherwise(1)
    deadline = ship_day + step
    # 23:59:59 UTC of the deadline date; an upload at that instant is on time
    deadline_us = deadline.cast(pl.Int64) * DAY_US + (DAY_US - 1_000_000)
    on_time = pl.col("invoice_uploaded_at").dt.epoch("us") <= deadline_us
    return orders.with_columns(
        _pd=utc_day(pl.col("purchased_at")),
        _pv=seen("purchased_at"),
        _lsd=utc_day(pl.col("latest_ship_at")),
        _sd=ship_day,
        _sv=seen("shipped_at"),
        _pdd=utc_day(pl.col("promised_delivery_at")),
        _dv=seen("delivered_at"),
        _cv=seen("cancelled_at"),
        _iv=seen("invoice_uploaded_at"),
        _deadline=deadline.cast(pl.Int32),
        _mfn=pl.col("channel") == "mfn",
        _upload_on_time=on_time.fill_null(False),
    )


@dataclass(frozen=True)
class Rule:
    """Population and numerator of one metric, over :func:`order_dates` columns.

    ``channel`` is ``"mfn"`` for seller-fulfilled-only metrics, ``None`` for metrics per
    each order's own channel, ``"all"`` for both channels together. The numerator's
    ``seen``, ``stop`` and ``ready`` are combined with the population's (a record counts
    in the numerator only while it is in the population). ``ready`` is the first as-of
    date a population record can count (a message once its 24 hours have passed);
    ``weight`` what a numerator record adds (default 1; a review adds its stars). The
    records of definitions section 12 (returns, messages, reviews) use the same class over their own
    tables (:mod:`toolkit.engine.service`).

    The clearance table's names (definitions section 5) for the metric's bad records: ``defect_type``;
    ``stop_reason`` names the population's ``stop``; ``counted_reason`` names the
    numerator's change that ends a bad record (for a ``<`` metric ``counted_stop``, the
    order leaving the numerator; for a ``>`` metric the order entering it, on
    ``counted_seen``). ``decided`` is the day from which a bad order can no longer turn
    out good (a ship-by, promised or invoice deadline date): before it the order is no
    record yet. ``None``: as soon as the record is seen.
    """

    metric: str
    channel: str | None
    population: pl.Expr
    a: pl.Expr
    seen: pl.Expr
    stop: pl.Expr | None = None
    ready: pl.Expr | None = None
    weight: pl.Expr | None = None
    counted: pl.Expr | None = None
    counted_seen: pl.Expr | None = None
    counted_stop: pl.Expr | None = None
    counted_ready: pl.Expr | None = None
    defect_type: str | None = None
    stop_reason: str | None = None
    counted_reason: str | None = None
    decided: pl.Expr | None = None

    @property
    def channel_column(self) -> pl.Expr:
        """The metric's ``channel`` for a record: ``"all"`` for a metric of both channels
        together, else the order's own channel."""
        return pl.lit("all") if self.channel == "all" else pl.col("channel")

    def _parts(self, role: str):
        """``(scope, seen, stop, ready)`` of the population or of the numerator."""
        scope = self.population
        if self.channel == "mfn":
            scope = scope & pl.col("_mfn")
        seen, stop, ready = self.seen, self.stop, self.ready
        if role == "numerator":
            scope = scope & self.counted
            if self.counted_seen is not None:
                seen = pl.max_horizontal(seen, self.counted_seen)
            if self.counted_stop is not None:
                stop = (
                    self.counted_stop
                    if stop is None
                    else pl.min_horizontal(stop, self.counted_stop)
                )
            if self.counted_ready is not None:
                ready = (
                    self.counted_ready
                    if ready is None
                    else pl.max_horizontal(ready, self.counted_ready)
                )
        return scope.fill_null(False), seen, stop, ready

    def bounds(
        self,
        policy: Policy,
        *,
        role: str,
        known_at: date | None,
        cleared: pl.Expr | None = None,
    ):
        """``(filter, counts_from, clears_on)`` for the ``"denominator"`` or ``"numerator"``.

        ``cleared`` (a boolean expression over orders, the what-if of definitions section 5) marks orders
        whose bad record is taken away: they stay in the population and stop being bad
        (out of the numerator of a ``<`` metric; in the numerator of a ``>`` metric for as
        long as they are in its population).
        """
        scope, seen, stop, ready = self._parts(role)
        cf, co = window_bounds(
            self.a,
            window=Window.of(policy.metric(self.metric)),
            seen=seen,
            stop=stop,
            ready=ready,
            known_at=known_at,
        )
        if cleared is None or role != "numerator":
            return scope, cf, co
        if policy.metric(self.metric).condition == "<":
            return scope & ~cleared.fill_null(False), cf, co
        good = cleared.fill_null(False)
        p_scope, p_cf, p_co = self.bounds(policy, role="denominator", known_at=known_at)
        return (
            pl.when(good).then(p_scope).otherwise(scope),
            pl.when(good).then(p_cf).otherwise(cf),
            pl.when(good).then(p_co).otherwise(co),
        )

    def active(
        self,
        policy: Policy,
        *,
        role: str,
        day: date,
        known_at: date | None,
        cleared: pl.Expr | None = None,
    ) -> pl.Expr:
        """True where the record counts on ``day``: the same test as
        ``counts_from <= day < clears_on`` from :meth:`bounds`, written as direct
        comparisons (several times faster on one date than building the bounds).
        ``cleared`` as in :meth:`bounds`.
        """
        scope, seen, stop, ready = self._parts(role)
        d = day_number(day)
        window = Window.of(policy.metric(self.metric))
        test = scope & window.contains(self.a, d) & live_at(seen, stop, known_at or day)
        if ready is not None:
            test = test & (ready.is_null() | (ready <= d))
        test = test.fill_null(False)
        if cleared is None or role != "numerator":
            return test
        good = cleared.fill_null(False)
        if policy.metric(self.metric).condition == "<":
            return test & ~good
        population = self.active(policy, role="denominator", day=day, known_at=known_at)
        return test | (population & good)

    def bad_bounds(self, policy: Policy, *, as_of: date):
        """``(filter, counts_from, clears_on, clear_reason)`` of the bad records known at D.

        The clearance view of definitions section 5: ``counts_from = max(a + L, ready, seen)`` and
        ``clears_on = min(a + L + W, stop)``, with only the stops visible by D (a stop seen
        later is not known: the record then clears with the window). The filter keeps a
        record when it is seen by D, its order is still in or waiting to enter the window
        (``a + L + W > D``), it counts on at least one date (``counts_from < clears_on``)
        and the fact that makes it bad is known (``decided <= D``). ``clear_reason`` is
        ``window`` when no stop comes before the window's end, else the stop's name (the
        population's stop first when both fall on one day). Day numbers.
        """
        if self.counted is None:
            raise ValueError(f"{self.metric} has no numerator of its own: no bad records")
        window = Window.of(policy.metric(self.metric))
        scope, seen, _, _ = self._parts("denominator")
        pop_stop = None if self.stop is None else stop_known_at(self.stop, as_of)
        ready = None
        if policy.metric(self.metric).condition == "<":
            scope = scope & self.counted.fill_null(False)
            if self.counted_seen is not None:
                seen = pl.max_horizontal(seen, self.counted_seen)
            ready = self.counted_ready
            end = self.counted_stop
        else:  # bad until it enters the numerator, on the visible day of its last fact
            enters = (
                seen if self.counted_seen is None else pl.max_horizontal(seen, self.counted_seen)
            )
            end = pl.when(self.counted.fill_null(False)).then(enters)
        end = None if end is None else stop_known_at(end, as_of)
        stops = [s for s in (pop_stop, end) if s is not None]
        stop = None if not stops else pl.min_horizontal(stops) if len(stops) > 1 else stops[0]
        cf, co = window_bounds(self.a, window=window, seen=seen, stop=stop, ready=ready)
        closes = window.closes(self.a)
        reason = pl.lit(_WINDOW)
        # the population's stop is tested first: it wins a tie with the numerator's
        for each, name in ((end, self.counted_reason), (pop_stop, self.stop_reason)):
            if each is not None:
                ends_it = each.is_not_null() & (each == co) & (each < closes)
                reason = pl.when(ends_it).then(pl.lit(name)).otherwise(reason)
        d = day_number(as_of)
        keep = scope & (seen <= d) & (closes > d) & (cf < co)
        if self.decided is not None:
            keep = keep & (self.decided <= d)
        return keep.fill_null(False), cf, co, reason


_c = pl.col
_shipped = _c("shipped_at").is_not_null()
_cancelled = _c("cancelled_at").is_not_null()
_lsr = Rule(
    "lsr",
    "mfn",
    population=_c("latest_ship_at").is_not_null(),
    a=_c("_lsd"),
    seen=_c("_pv"),
    stop=pl.when(_cancelled).then(_c("_cv")),
    counted=pl.lit(True),
    # on time = shipped_at <= latest_ship_at and the shipment visible: it leaves the
    # numerator on the shipment's visible date
    counted_stop=pl.when(_c("shipped_at") <= _c("latest_ship_at")).then(_c("_sv")),
    defect_type="late_shipment",
    stop_reason="cancelled",
    counted_reason="shipped_on_time",
    decided=_c("_lsd"),
)

#: The order-level metrics (the ODR numerators come from :func:`defect_records`).
ORDER_RULES: dict[str, Rule] = {
    "odr": Rule("odr", None, population=pl.lit(True), a=_c("_pd"), seen=_c("_pv")),
    "lsr_10d": replace(_lsr, metric="lsr_10d"),
    "lsr_30d": replace(_lsr, metric="lsr_30d"),
    "cancel_rate_7d": Rule(
        "cancel_rate_7d",
        "mfn",
        population=pl.lit(True),
        a=_c("_pd"),
        seen=_c("_pv"),
        counted=_cancelled & _c("cancelled_by").is_in(["seller", "amazon"]),
        counted_seen=_c("_cv"),
        defect_type="cancellation",
    ),
    "vtr_30d": Rule(
        "vtr_30d",
        "mfn",
        population=_shipped & _c("promised_delivery_at").is_not_null(),
        a=_c("_pdd"),
        seen=pl.max_horizontal(_c("_pv"), _c("_sv")),
        counted=_c("tracking_valid").fill_null(False),
        defect_type="invalid_tracking",
    ),
    "otdr_14d": Rule(
        "otdr_14d",
        "mfn",
        population=_shipped
        & _c("tracking_valid").fill_null(False)
        & _c("promised_delivery_at").is_not_null(),
        a=_c("_pdd"),
        seen=pl.max_horizontal(_c("_pv"), _c("_sv")),
        counted=(_c("delivered_at") <= _c("promised_delivery_at")).fill_null(False),
        counted_seen=_c("_dv"),
        defect_type="late_delivery",
        counted_reason="delivered_on_time",
        decided=_c("_pdd"),
    ),
    "idr_7d": Rule(
        "idr_7d",
        "all",
        population=_c("is_business") & _shipped,
        a=_c("_pd"),
        seen=pl.max_horizontal(_c("_pv"), _c("_sv")),
        counted=pl.lit(True),
        counted_ready=_c("_deadline"),
        counted_stop=pl.when(_c("_upload_on_time")).then(_c("_iv")),
        defect_type="late_invoice",
        counted_reason="invoice_on_time",
        decided=_c("_deadline"),
    ),
}

#: ODR components: (metric, defect_type) per defect table.
COMPONENT_OF = {
    "feedback": ("odr_negative_feedback", "negative_feedback"),
    "claims": ("odr_claims", "claim"),
    "chargebacks": ("odr_chargebacks", "chargeback"),
}


def defect_events(data: Dataset, policy: Policy) -> pl.LazyFrame:
    """Every ODR defect record on its own, without its order.

    Columns: ``order_id, metric`` (the component), ``defect_type, record_id, seen`` (the
    record's visible day), ``stop`` (visible day of the removal or resolution that ends
    it, or null) and ``stop_reason``. Day numbers.
    """
    won = policy.chargeback_won_removes
    cadence = policy.cadence_minutes

    def records(frame, source, record_id, at, *, stops, stopped_at, reason) -> pl.LazyFrame:
        minutes = cadence[source]
        return frame.select(
            "order_id",
            pl.lit(source).alias("_source"),
            pl.col(record_id).alias("record_id"),
            visible_day(pl.col(at), cadence_minutes=minutes).alias("seen"),
            pl.when(stops)
            .then(visible_day(pl.col(stopped_at), cadence_minutes=minutes))
            .alias("stop"),
            pl.when(stops).then(reason).alias("stop_reason"),
        )

    stops_claim = pl.col("outcome").is_in(["denied", "withdrawn", "protected"])
    parts = [
        records(
            data.feedback.filter(pl.col("rating") <= 2),
            "feedback",
            "feedback_id",
            "left_at",
            stops=pl.col("removed_at").is_not_null(),
            stopped_at="removed_at",
            reason=pl.lit("removed"),
        ),
        records(
            data.claims,
            "claims",
            "claim_id",
            "filed_at",
            stops=stops_claim,
            stopped_at="resolved_at",
            reason=pl.col("outcome"),
        ),
        records(
            data.chargebacks.filter(pl.col("kind") == "service"),
            "chargebacks",
            "chargeback_id",
            "filed_at",
            stops=(pl.col("outcome") == "seller_won") & pl.lit(won),
            stopped_at="resolved_at",
            reason=pl.lit("seller_won"),
        ),
    ]
    metric = pl.col("_source").replace_strict({k: v[0] for k, v in COMPONENT_OF.items()})
    kind = pl.col("_source").replace_strict({k: v[1] for k, v in COMPONENT_OF.items()})
    return pl.concat(parts).select(
        "order_id",
        metric.alias("metric"),
        kind.alias("defect_type"),
        "record_id",
        "seen",
        "stop",
        "stop_reason",
    )


def defect_records(data: Dataset, policy: Policy, *, known_at: date | None = None) -> pl.LazyFrame:
    """Every ODR defect record with its order and its point-in-time retention window.

    Columns: ``seller_id, marketplace, channel, metric`` (the component),
    ``order_id, defect_type, record_id, attribution_date, seen, stop, stop_reason,
    counts_from, clears_on``, dates as day numbers. ``seen`` is the later of the record's
    and its order's visible day: a record never counts before its order is known.

    ``known_at=K`` keeps only what is known by the end of K: the records seen by K, and
    their stops visible by K (a stop seen later is not known: ``stop`` and
    ``stop_reason`` are null and the record counts until its window ends), the view of
    the clearance table and of the clean forecast.
    """
    odr = policy.metric("odr")
    orders = data.orders.select(
        "order_id",
        "seller_id",
        "marketplace",
        "channel",
        utc_day(pl.col("purchased_at")).alias("attribution_date"),
        visible_day(pl.col("purchased_at"), cadence_minutes=policy.cadence_minutes["orders"]).alias(
            "_pv"
        ),
    )
    events = defect_events(data, policy)
    joined = events.join(orders, on="order_id", how="inner", build_side="force_left")
    seen = pl.max_horizontal("_pv", "seen")
    stop = pl.col("stop")
    if known_at is not None:
        joined = joined.filter(live_at(seen, None, known_at))
        stop = stop_known_at(stop, known_at)
    cf, co = window_bounds(pl.col("attribution_date"), window=Window.of(odr), seen=seen, stop=stop)
    return joined.select(
        *RECORD_COLUMNS,
        seen.alias("seen"),
        stop.alias("stop"),
        pl.when(stop.is_not_null()).then(pl.col("stop_reason")).alias("stop_reason"),
        cf.alias("counts_from"),
        co.alias("clears_on"),
    )
