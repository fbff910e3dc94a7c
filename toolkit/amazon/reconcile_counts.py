"""Our side of a reconciliation: snapshot metrics recomputed over the reports' own windows.

A report states each metric's window as dates (``window_start .. window_end``) on its
snapshot date D. The engine computes a metric at D over ``D-L-W+1 .. D-L``, so the report's
window is the engine's with ``W = window_end - window_start + 1`` and
``L = D - window_end`` (:meth:`toolkit.model.policy.Policy.with_metric`). One engine pass
computes every metric at once, so the windows a set of snapshots needs are grouped into as
few policies as possible: one per distinct assignment of windows to metrics (normally one
in all, since Amazon's windows move with the date), with runs of consecutive snapshot
dates computed as one history (:func:`toolkit.engine.metrics.window_counts`) and lone dates as
one snapshot each (:func:`toolkit.engine.metrics.snapshot_counts`).

Used by :mod:`toolkit.amazon.reconcile`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from toolkit.amazon.report_shape import SNAPSHOT_SCHEMA
from toolkit.compliance.ahr import ahr_table
from toolkit.compliance.tables import violations_table
from toolkit.engine.metrics import snapshot_counts, window_counts
from toolkit.engine.rules import ORDER_RULES, order_dates
from toolkit.model.data import Dataset
from toolkit.model.policy import COMPONENTS, Policy
from toolkit.model.schema import CATEGORY_SPAPI_KEYS
from toolkit.time.windows import Window, active_on

#: Snapshot metric -> the engine metric whose rule recomputes it. ``otdr_30d`` (Amazon's
#: package-level on-time delivery) uses the ``otdr_14d`` rule over its own 30-day window:
#: the data model has one shipment per order, so a package is an order. Any other
#: ``lsr_<days>d`` uses the late shipment rule too.
ENGINE_METRIC = {
    "odr": "odr",
    "odr_negative_feedback": "odr_negative_feedback",
    "odr_claims": "odr_claims",
    "odr_chargebacks": "odr_chargebacks",
    "lsr_10d": "lsr_10d",
    "lsr_30d": "lsr_30d",
    "cancel_rate_7d": "cancel_rate_7d",
    "vtr_30d": "vtr_30d",
    "otdr_14d": "otdr_14d",
    "otdr_30d": "otdr_14d",
    "idr_7d": "idr_7d",
}
#: Engine metrics reported under ``mfn`` while the report has no channel (``all``).
MFN_ONLY = tuple(m for m, rule in ORDER_RULES.items() if rule.channel == "mfn")
#: Listing-level snapshot metric -> the violation categories counted for it.
POLICY_CATEGORIES: dict[str, list[str]] = {}
for _category, _key in CATEGORY_SPAPI_KEYS.items():
    POLICY_CATEGORIES.setdefault(f"policy_{_key}", []).append(_category)

_SELLER = ["seller_id", "marketplace"]
_OURS = [*_SELLER, "channel", "metric", "as_of", "window_start", "window_end"]


def slot(metric: str) -> str:
    """The policy entry that sets a metric's window (the components follow ``odr``)."""
    return "odr" if metric in COMPONENTS else metric


@dataclass(frozen=True)
class EnginePass:
    """One policy (windows per slot) and the snapshot dates computed with it."""

    windows: tuple[tuple[str, int, int], ...]  # (slot, window_days, lag_days), sorted
    dates: tuple[date, ...]

    def policy(self, base: Policy) -> Policy:
        """``base`` with this pass's windows."""
        for name, window, lag in self.windows:
            base = base.with_metric(name, window_days=window, lag_days=lag)
        return base

    def metrics(self) -> dict[str, tuple[int, int]]:
        """Engine metric -> (window, lag) for every metric this pass answers."""
        out = {}
        for name, window, lag in self.windows:
            for metric in (name, *COMPONENTS) if name == "odr" else (name,):
                out[metric] = (window, lag)
        return out


def plan_passes(requirements: Iterable[tuple[date, str, int, int]]) -> list[EnginePass]:
    """Group ``(date, slot, window, lag)`` needs into as few engine passes as possible.

    On one date a slot can hold one window per pass, so a date that needs two windows of
    one metric (say ``otdr_14d`` and ``otdr_30d``, both the on-time rule) takes two
    passes; dates whose needs are identical share a pass.

    >>> from datetime import date
    >>> d1, d2 = date(2026, 3, 1), date(2026, 3, 2)
    >>> [p.dates for p in plan_passes([(d1, "odr", 60, 14), (d2, "odr", 60, 14),
    ...                                (d2, "otdr_14d", 14, 7), (d2, "otdr_14d", 30, 10)])]
    [(datetime.date(2026, 3, 1),), (datetime.date(2026, 3, 2),), (datetime.date(2026, 3, 2),)]
    """
    by_date: dict[date, set[tuple[str, int, int]]] = {}
    for day, name, window, lag in requirements:
        by_date.setdefault(day, set()).add((name, window, lag))
    groups: dict[tuple[tuple[str, int, int], ...], list[date]] = {}
    for day in sorted(by_date):
        layers: list[dict[str, tuple[int, int]]] = []
        for name, window, lag in sorted(by_date[day]):
            for layer in layers:
                if name not in layer:
                    layer[name] = (window, lag)
                    break
            else:
                layers.append({name: (window, lag)})
        for layer in layers:
            key = tuple(sorted((name, w, lag) for name, (w, lag) in layer.items()))
            groups.setdefault(key, []).append(day)
    return [EnginePass(windows, tuple(days)) for windows, days in groups.items()]


def _runs(days: tuple[date, ...]) -> list[tuple[date, date]]:
    """Consecutive dates as ``(first, last)`` runs."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _with_windows(counts: pl.LazyFrame, windows: dict[str, tuple[int, int]]) -> pl.LazyFrame:
    """Keep the pass's metrics and add their window dates at each as-of date."""

    def per_metric(part: int) -> pl.Expr:
        return pl.col("metric").replace_strict(
            {m: w[part] for m, w in windows.items()}, default=None
        )

    window = Window(window_days=per_metric(0), lag_days=per_metric(1))
    as_of = pl.col("as_of").cast(pl.Int32)
    return counts.filter(pl.col("metric").is_in(list(windows))).select(
        *_OURS[:5],
        window_start=window.start(as_of).cast(pl.Int32).cast(pl.Date),
        window_end=window.end(as_of).cast(pl.Int32).cast(pl.Date),
        numerator=pl.col("numerator").cast(pl.Int64),
        denominator=pl.col("denominator").cast(pl.Int64),
    )


def engine_counts(data: Dataset, policy: Policy, passes: list[EnginePass]) -> pl.LazyFrame:
    """Our counts of every planned (date, metric, window): the engine, once per pass and run.

    Columns ``seller_id, marketplace, channel, metric`` (engine names and channels),
    ``as_of, window_start, window_end, numerator, denominator``; visibility is judged at
    each as-of date (point in time).
    """
    parts = []
    for each in passes:
        rules = each.policy(policy)
        for first, last in _runs(each.dates):
            if first == last:
                counts = snapshot_counts(data, rules, first)
            else:
                counts = window_counts(data, rules, first, last)
            parts.append(_with_windows(counts, each.metrics()))
    if not parts:
        return pl.LazyFrame(schema=_ours_schema())
    return pl.concat(parts)


def _empty(**columns: pl.DataType) -> pl.LazyFrame:
    """No rows: ``seller_id, marketplace`` and ``columns``."""
    return pl.LazyFrame(schema={"seller_id": pl.String(), "marketplace": pl.String(), **columns})


def _ours_schema() -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = dict.fromkeys(_OURS, pl.String())
    schema.update(as_of=pl.Date(), window_start=pl.Date(), window_end=pl.Date())
    return {**schema, "numerator": pl.Int64(), "denominator": pl.Int64()}


def unit_counts(
    data: Dataset, policy: Policy, needs: Iterable[tuple[date, int, int]]
) -> pl.LazyFrame:
    """The on-time delivery rule counted in **units** instead of orders, per (date, W, L).

    Amazon's ``unitOnTimeDeliveryRate`` (``otdr_14d`` in the snapshot table) counts units;
    the engine counts orders. Same rule (:data:`toolkit.engine.rules.ORDER_RULES`), each order
    weighted by its ``units``. Columns ``seller_id, marketplace, as_of, window_start,
    window_end, unit_numerator, unit_denominator`` (channel ``mfn``).
    """
    rule = ORDER_RULES["otdr_14d"]
    orders = order_dates(data.orders, policy).filter(pl.col("channel") == "mfn")
    parts = []
    for day, window, lag in sorted(set(needs)):
        rules = policy.with_metric("otdr_14d", window_days=window, lag_days=lag)
        sums = {}
        for role in ("numerator", "denominator"):
            scope, cf, co = rule.bounds(rules, role=role, known_at=None)
            sums[f"unit_{role}"] = (
                pl.col("units").filter(scope & active_on(cf, co, day)).sum().cast(pl.Int64)
            )
        days = Window(window_days=window, lag_days=lag)
        parts.append(
            orders.group_by(_SELLER)
            .agg(**sums)
            .with_columns(
                as_of=pl.lit(day),
                window_start=pl.lit(days.start(day)),
                window_end=pl.lit(days.end(day)),
            )
        )
    if not parts:
        return _empty(
            unit_numerator=pl.Int64(),
            unit_denominator=pl.Int64(),
            as_of=pl.Date(),
            window_start=pl.Date(),
            window_end=pl.Date(),
        )
    return pl.concat(parts)


def displayed_counts(data: Dataset, policy: Policy, days: list[date]) -> pl.LazyFrame:
    """Violations displayed on each date, per listing-level snapshot metric.

    Columns ``seller_id, marketplace, as_of, metric`` (``policy_<key>``), ``displayed``;
    only metrics with at least one displayed violation have a row.
    """
    if not days:
        return _empty(as_of=pl.Date(), metric=pl.String(), displayed=pl.Int64())
    shown = pl.col("as_of").is_between(pl.col("displayed_from"), pl.col("displayed_until"))
    key = pl.col("category").replace_strict(CATEGORY_SPAPI_KEYS, return_dtype=pl.String)
    return (
        violations_table(data, as_of=min(days), to=max(days), policy=policy)
        .filter(pl.col("as_of").is_in(days), shown.fill_null(False))
        .group_by(*_SELLER, "as_of", metric=pl.lit("policy_") + key)
        .agg(displayed=pl.len().cast(pl.Int64))
    )


def ahr_estimates(data: Dataset, policy: Policy, days: list[date]) -> pl.LazyFrame:
    """``seller_id, marketplace, as_of, ahr_estimate`` on each date (definitions section 6, an estimate)."""
    if not days:
        return _empty(as_of=pl.Date(), ahr_estimate=pl.Int64())
    return (
        ahr_table(data, as_of=min(days), to=max(days), policy=policy)
        .filter(pl.col("as_of").is_in(days))
        .select(*_SELLER, "as_of", pl.col("ahr_estimate").cast(pl.Int64))
    )


def known_channels(data: Dataset) -> pl.LazyFrame:
    """``seller_id, marketplace, channel`` found in the data: order channels, ``all`` for
    every seller and marketplace with an order or a violation."""
    orders = data.orders.select(*_SELLER, "channel")
    sellers = pl.concat([orders.select(_SELLER), data.violations.select(_SELLER)])
    return pl.concat([orders, sellers.with_columns(channel=pl.lit("all"))]).unique()


def classified(snapshots: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """The snapshot rows with the rule that recomputes each, or why none can.

    Adds ``_engine`` (engine metric), ``_channel`` (engine channel), ``_kind`` (``engine``,
    ``policy``, ``ahr`` or ``none``), ``_window``/``_lag`` (days) and ``_why``.
    """
    m, channel = pl.col("metric"), pl.col("channel")
    named = m.replace_strict(ENGINE_METRIC, default=None, return_dtype=pl.String)
    lsr = m.str.contains(r"^lsr_\d+d$")
    engine = pl.when(named.is_null() & lsr).then(pl.lit("lsr_30d")).otherwise(named)
    start, end, day = pl.col("window_start"), pl.col("window_end"), pl.col("snapshot_date")
    kind = (
        pl.when(pl.col("_engine").is_not_null())
        .then(pl.lit("engine"))
        .when(m == "ahr")
        .then(pl.lit("ahr"))
        .when(m.is_in(list(POLICY_CATEGORIES)))
        .then(pl.lit("policy"))
        .otherwise(pl.lit("none"))
    )
    engine_row = pl.col("_kind") == "engine"
    why = (
        pl.when((m == "account_status") | m.str.starts_with("warning_"))
        .then(pl.lit("Amazon's decision, not a count: nothing to recompute"))
        .when(m == "policy_violation_warnings")
        .then(pl.lit("policy warnings are not in the violations table"))
        .when((pl.col("_kind") == "none") & m.str.starts_with("policy_"))
        .then(pl.lit("no violation category maps to this listing-level key"))
        .when(pl.col("_kind") == "none")
        .then(pl.lit("no rule for this metric in the toolkit"))
        .when(engine_row & (start.is_null() | end.is_null()))
        .then(pl.lit("the report gives no window"))
        .when(engine_row & (end < start))
        .then(pl.lit("the report's window runs backwards"))
        .when(engine_row & (end > day))
        .then(pl.lit("the report's window ends after the snapshot date"))
    )
    mfn = pl.col("_engine").is_in(list(MFN_ONLY)) & (channel == "all")
    reported = Window.spanning(start.cast(pl.Int32), end.cast(pl.Int32), as_of=day.cast(pl.Int32))
    return (
        snapshots.lazy()
        .select(SNAPSHOT_SCHEMA.names())
        .with_columns(_engine=engine)
        .with_columns(
            _kind=kind,
            _channel=pl.when(mfn).then(pl.lit("mfn")).otherwise(channel),
            _window=reported.window_days,
            _lag=reported.lag_days,
        )
        .with_columns(_why=why)
        .collect()
    )
