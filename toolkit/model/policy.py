"""The policy file: every window, lag, target, cadence and AHR number, loaded and checked.

Amazon's rules differ by marketplace and change over time, so nothing here is a constant
in code: the shipped ``amazon_us.toml`` holds docs/definitions.md defaults and users pass their own
file. Unknown keys and bad values are errors that name the file and the key.

Examples
--------
>>> from toolkit.model.policy import load_policy
>>> policy = load_policy()
>>> odr = policy.metric("odr")
>>> (odr.window_days, odr.lag_days, odr.target, odr.condition)
(60, 14, Fraction(1, 100), '<')
>>> policy.metric("odr_claims").target is None
True
>>> policy.cadence_minutes["feedback"]
30
>>> rdr = policy.metric("rdr_30d")
>>> (rdr.target, rdr.informational, rdr.retired, rdr.response_hours)
(Fraction(1, 10), True, True, 48)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from toolkit.model.errors import UsageError
from toolkit.model.resources import policy_text
from toolkit.model.text import looks_like, resave_hint

__all__ = [
    "COMPONENTS",
    "INVENTORY_COMPONENTS",
    "MEAN_METRICS",
    "METRICS",
    "NOT_FOR_HEALTH",
    "ActionPolicy",
    "InventoryPolicy",
    "MetricPolicy",
    "Policy",
    "PolicyError",
    "load_policy",
]

#: Every metric of definitions section 4, in the order reports show them.
METRICS = (
    "odr",
    "odr_negative_feedback",
    "odr_claims",
    "odr_chargebacks",
    "lsr_10d",
    "lsr_30d",
    "cancel_rate_7d",
    "vtr_30d",
    "otdr_14d",
    "idr_7d",
    "rdr_30d",
    "contact_response_24h_30d",
    "product_rating",
)
#: The ODR components: they share the ODR window and have no target.
COMPONENTS = ("odr_negative_feedback", "odr_claims", "odr_chargebacks")
#: The metrics of definitions section 12, which Amazon does not use for account health: two
#: customer-service metrics it retired (``retired`` in the policy) and the plain average of
#: product reviews. A policy file written before them gets the shipped defaults.
NOT_FOR_HEALTH = ("rdr_30d", "contact_response_24h_30d", "product_rating")
#: Metrics whose rate is a mean (stars 1 to 5), not a fraction: no Wilson interval.
MEAN_METRICS = ("product_rating",)
#: Metrics whose records wait for a reply: their policy names the hours a reply may take.
_RESPONSE_METRICS = ("rdr_30d", "contact_response_24h_30d")

#: The four IPI components of definitions section 11, in the order tables show them.
INVENTORY_COMPONENTS = ("sell_through_90d", "excess_pct", "stranded_pct", "in_stock_rate_30d")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PERIOD_KINDS = ("quarter", "month")

_SOURCES = ("orders", "feedback", "claims", "chargebacks", "violations", "returns", "reviews")
_SEVERITIES = ("low", "medium", "high")
#: Upper bounds that keep every number meaningful (and every date computation in range):
#: windows, lags, horizons and display periods within ten years, cadences within a day,
#: AHR points and counts within a million.
MAX_DAYS = 3660
MAX_CADENCE_MINUTES = 1440
MAX_POINTS = 1_000_000
MAX_WILSON_Z = 10.0
_MAX_DECIMAL_PLACES = 30


class PolicyError(UsageError):
    """A policy file that cannot be used: names the file, the key and the value."""


@dataclass(frozen=True)
class MetricPolicy:
    """Window, lag, target and condition of one metric.

    ``target`` is an exact :class:`~fractions.Fraction` (``0.01`` is exactly 1/100), or
    ``None`` for the ODR components and ``product_rating``, which have no target.
    ``retired``: Amazon no longer uses the metric; ``target`` is the one it used to
    publish, the status is ``info`` and the metric is informational (it never sets an
    overall status). ``response_hours``: the hours a reply may take (``rdr_30d``,
    ``contact_response_24h_30d``), else ``None``.
    """

    name: str
    window_days: int
    lag_days: int
    target: Fraction | None
    condition: str | None
    informational: bool
    retired: bool = False
    response_hours: int | None = None

    @property
    def allowed_bad(self) -> Fraction | None:
        """The allowed bad fraction p0: the target for ``<``, 1 - target for ``>``."""
        if self.target is None:
            return None
        return self.target if self.condition == "<" else 1 - self.target


@dataclass(frozen=True)
class InventoryPolicy:
    """The ``[inventory]`` section: IPI components, proxy, bands and evaluation periods.

    Every number is exact (:class:`~fractions.Fraction`). ``components``, ``periods`` and
    ``thresholds`` are keyed by marketplace, with ``"default"`` for the marketplaces not
    listed (``thresholds`` has no default: a marketplace not listed has none published).
    ``periods`` rows are ``(from, kind)`` and ``thresholds`` rows ``(from, threshold or
    None)``, sorted by date. Read it through :meth:`components_for`, :meth:`periods_for`
    and :meth:`thresholds_for`.

    >>> inv = load_policy().inventory
    >>> inv.components_for("CA")
    ('sell_through_90d', 'excess_pct', 'stranded_pct')
    >>> inv.weights["sell_through_90d"], inv.proxy_scales["excess_pct"]
    (Fraction(7, 20), Fraction(1, 2))
    >>> inv.thresholds_for("US")[-2:]
    ((datetime.date(2022, 1, 1), 400), (datetime.date(2023, 3, 1), None))
    """

    new_sku_days: int
    sell_through_days: int
    snapshot_step_days: int
    excess_supply_days: int
    excess_demand_days: int
    in_stock_days: int
    in_stock_sales_days: int
    ipi_weekday: int  # 0 = Monday, as date.weekday()
    checkpoint_lead_days: int
    calibration_min_points: int
    weights: dict[str, Fraction]
    proxy_scales: dict[str, Fraction]
    bands: dict[str, tuple[tuple[str, Fraction], ...]]
    components: dict[str, tuple[str, ...]]
    periods: dict[str, tuple[tuple[date, str], ...]]
    thresholds: dict[str, tuple[tuple[date, int | None], ...]]

    def components_for(self, marketplace: str) -> tuple[str, ...]:
        """The components marketplace ``marketplace`` uses (its row, else ``default``)."""
        return self.components.get(marketplace, self.components["default"])

    def periods_for(self, marketplace: str) -> tuple[tuple[date, str], ...]:
        """The ``(from, kind)`` rows of ``marketplace`` (its rows, else ``default``)."""
        return self.periods.get(marketplace, self.periods.get("default", ()))

    def thresholds_for(self, marketplace: str) -> tuple[tuple[date, int | None], ...]:
        """The ``(from, threshold)`` rows of ``marketplace`` (none when it is not listed)."""
        return self.thresholds.get(marketplace, ())

    def with_weights(self, weights: dict[str, Fraction]) -> InventoryPolicy:
        """A copy with other proxy weights (for example calibrated ones)."""
        return replace(self, weights=_check_weights(weights, "weights"))


def _exact(value: object, key: str, *, low: Fraction, high: Fraction) -> Fraction:
    """``value`` (a TOML number or a decimal string) as an exact fraction in ``low..high``.

    Refuses ``inf``, ``nan`` and decimals of more than 30 places before building the
    fraction (``"1e-999999999"`` would otherwise take ages).

    Raises
    ------
    ValueError
        Naming ``key`` and the value.
    """
    if isinstance(value, Fraction):
        decimal = Decimal(value.numerator) / value.denominator
    else:
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidOperation
            decimal = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            decimal = Decimal("NaN")
    if not decimal.is_finite():
        raise ValueError(f"{key} must be a decimal number, got {value!r}")
    if not Decimal(low.numerator) / low.denominator <= decimal <= high:
        raise ValueError(f"{key} must be between {low} and {high}, got {value!r}")
    if isinstance(value, Fraction):
        return value
    if -decimal.as_tuple().exponent > _MAX_DECIMAL_PLACES:
        raise ValueError(f"{key} has more than {_MAX_DECIMAL_PLACES} decimal places: {value!r}")
    return Fraction(decimal)


def _check_weights(weights: dict[str, object], where: str) -> dict[str, Fraction]:
    """Weights of the four components: exact, non-negative, not all zero."""
    if sorted(weights) != sorted(INVENTORY_COMPONENTS):
        raise PolicyError(
            f"[{where}] needs exactly the keys {', '.join(INVENTORY_COMPONENTS)}, "
            f"got {', '.join(sorted(weights)) or 'none'}"
        )
    exact = {}
    for key in INVENTORY_COMPONENTS:
        try:
            exact[key] = _exact(weights[key], key, low=Fraction(0), high=Fraction(MAX_POINTS))
        except ValueError as exc:
            raise PolicyError(f"[{where}] {exc}") from None
    if not any(exact.values()):
        raise PolicyError(f"[{where}] at least one weight must be above 0")
    return exact


@dataclass(frozen=True)
class ActionPolicy:
    """The ``[actions]`` section: how long a seller has to act on a record (definitions section 10).

    Each limit runs from the record's own timestamp (the feedback, the claim's filing or
    decision, the chargeback's filing, the violation's detection). Amazon has changed
    them over the years, so they are policy values. ``violation_response_hours`` is
    ``None`` (unset) by default: Amazon states no general deadline for an appeal.

    >>> load_policy().actions
    ActionPolicy(feedback_removal_days=90, claim_response_hours=72, claim_appeal_days=30, chargeback_response_days=7, violation_response_hours=None)
    """

    feedback_removal_days: int
    claim_response_hours: int
    claim_appeal_days: int
    chargeback_response_days: int
    violation_response_hours: int | None


#: The longest deadline ``[actions]`` accepts: ten years, in the key's unit.
_ACTION_LIMITS = {"days": 3660, "hours": 3660 * 24}


def _action_policy(reader: _Reader, raw: Any) -> ActionPolicy:
    """Read ``[actions]``: whole numbers of days or hours from 1 to ten years."""
    where = "actions"
    if not isinstance(raw, dict):
        raise reader.fail(where, "is not a table")
    raw = dict(raw)
    values: dict[str, int | None] = {}
    for name in ActionPolicy.__dataclass_fields__:
        optional = name == "violation_response_hours"
        if name not in raw:
            if optional:
                values[name] = None
                continue
            raise reader.fail(where, f"missing key {name!r}")
        value = raw.pop(name)
        top = _ACTION_LIMITS[name.rsplit("_", 1)[1]]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise reader.fail(where, f"{name} must be an integer from 1 to {top}, got {value!r}")
        values[name] = value
    reader.done(raw, where)
    return ActionPolicy(**values)


@dataclass(frozen=True)
class Policy:
    """A loaded, validated policy file. Build it with :func:`load_policy`."""

    name: str
    source: str
    cadence_minutes: dict[str, int]
    wilson_z: float
    alpha: Fraction
    watch_fraction: Fraction
    metrics: dict[str, MetricPolicy]
    chargeback_won_removes: bool
    horizon_days: int
    max_horizon_days: int
    forecast_volume: str
    display_days: int
    display_anchor: str
    ahr: dict[str, int]
    severity_points: dict[str, int]
    inventory: InventoryPolicy
    actions: ActionPolicy

    def metric(self, name: str) -> MetricPolicy:
        """The policy of metric ``name`` (one of :data:`METRICS`)."""
        try:
            return self.metrics[name]
        except KeyError:
            raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None

    def with_metric(
        self, name: str, *, window_days: int | None = None, lag_days: int | None = None
    ) -> Policy:
        """A copy whose metric ``name`` has another window length and/or lag.

        Used to recompute a metric over an explicit window, such as the one an Amazon
        report states: for attribution dates ``start .. end`` seen at as-of date D, use
        ``window_days = end - start + 1`` and ``lag_days = D - end``. Everything else
        (targets, cadences, other metrics) is kept. The ODR components share the ODR
        window, so changing ``odr`` changes them too, and a component cannot be changed
        alone.

        Raises
        ------
        KeyError
            ``name`` is not one of :data:`METRICS`.
        ValueError
            ``name`` is an ODR component, ``window_days`` is not an integer >= 1 or
            ``lag_days`` not an integer >= 0.

        Examples
        --------
        >>> policy = load_policy().with_metric("odr", lag_days=15)
        >>> odr = policy.metric("odr")
        >>> (odr.window_days, odr.lag_days, policy.metric("odr_claims").lag_days)
        (60, 15, 15)
        >>> load_policy().metric("odr").lag_days  # the original is unchanged
        14
        """
        self.metric(name)  # KeyError for an unknown name
        if name in COMPONENTS:
            raise ValueError(f"{name} shares the ODR window: change 'odr' instead")
        changes = {}
        for key, value, minimum in (("window_days", window_days, 1), ("lag_days", lag_days, 0)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name}: {key} must be an integer >= {minimum}, got {value!r}")
            changes[key] = value
        names = (name, *COMPONENTS) if name == "odr" else (name,)
        metrics = dict(self.metrics)
        for each in names:
            metrics[each] = replace(metrics[each], **changes)
        return replace(self, metrics=metrics)


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate a policy file; ``None`` loads the shipped Amazon US policy.

    Raises
    ------
    PolicyError
        On a missing file, invalid TOML, an unknown or missing key, or a bad value; the
        message names the file, the key and the value.
    """
    if path is None:
        text, source = policy_text(), "amazon_us.toml (shipped)"
    else:
        source = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            reason = exc.strerror or exc
            raise PolicyError(f"{source}: cannot read the policy file: {reason}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            encoding = looks_like(data)
            raise PolicyError(
                f"{source}: the policy file is not UTF-8 text (byte {exc.start}); it looks like "
                f"{encoding}; {resave_hint(encoding, spreadsheet=False)}"
            ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise PolicyError(f"{source}: not a policy: its tables or arrays nest too deeply") from None
    return _Reader(source).policy(raw)


class _Reader:
    """Walks the TOML document, popping keys so that leftovers are reported as unknown."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> PolicyError:
        return PolicyError(f"{self.source}: [{key}] {message}")

    def table(self, raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = raw.pop(key, None)
        if not isinstance(value, dict):
            raise self.fail(where, "is missing or not a table")
        return value

    def done(self, raw: dict[str, Any], where: str) -> None:
        if raw:
            raise self.fail(where, f"unknown key(s): {', '.join(sorted(raw))}")

    def integer(
        self, raw: dict[str, Any], key: str, where: str, *, minimum: int = 0, maximum: int
    ) -> int:
        if key not in raw:
            raise self.fail(where, f"missing key {key!r}")
        value = raw.pop(key)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.fail(
                where, f"{key} must be an integer from {minimum} to {maximum}, got {value!r}"
            )
        return value

    def boolean(self, raw: dict[str, Any], key: str, where: str) -> bool:
        if key not in raw:
            raise self.fail(where, f"missing key {key!r}")
        value = raw.pop(key)
        if not isinstance(value, bool):
            raise self.fail(where, f"{key} must be true or false, got {value!r}")
        return value

    def choice(self, raw: dict[str, Any], key: str, where: str, options: tuple[str, ...]) -> str:
        if key not in raw:
            raise self.fail(where, f"missing key {key!r}")
        value = raw.pop(key)
        if value not in options:
            raise self.fail(where, f"{key} must be one of {', '.join(options)}, got {value!r}")
        return value

    def fraction(
        self, raw: dict[str, Any], key: str, where: str, *, low: Fraction, high: Fraction
    ) -> Fraction:
        if key not in raw:
            raise self.fail(where, f"missing key {key!r}")
        try:
            return _exact(raw.pop(key), key, low=low, high=high)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None

    def policy(self, raw: dict[str, Any]) -> Policy:
        raw = dict(raw)
        name = raw.pop("name", "custom")
        if not isinstance(name, str):
            raise self.fail("name", f"must be a string, got {name!r}")

        fresh = self.table(raw, "freshness", "freshness")
        cadence = {
            src: self.integer(fresh, src, "freshness", maximum=MAX_CADENCE_MINUTES)
            for src in _SOURCES
        }
        self.done(fresh, "freshness")

        status = self.table(raw, "status", "status")
        wilson_z = status.pop("wilson_z", None)
        if (
            isinstance(wilson_z, bool)
            or not isinstance(wilson_z, int | float)
            or not 0 < wilson_z <= MAX_WILSON_Z  # also refuses nan
        ):
            raise self.fail(
                "status",
                f"wilson_z must be a number above 0, at most {MAX_WILSON_Z:g}, got {wilson_z!r}",
            )
        alpha = self.fraction(status, "alpha", "status", low=Fraction(0), high=Fraction(1))
        watch = self.fraction(status, "watch_fraction", "status", low=Fraction(0), high=Fraction(1))
        self.done(status, "status")

        tables = self.table(raw, "metrics", "metrics")
        metrics: dict[str, MetricPolicy] = {}
        chargeback_won_removes = True
        for metric in METRICS:
            where = f"metrics.{metric}"
            if metric in NOT_FOR_HEALTH and metric not in tables:
                # a policy written before definitions section 12: the shipped defaults
                tables[metric] = tomllib.loads(policy_text())["metrics"][metric]
            entry = dict(self.table(tables, metric, where))
            informational = self.boolean(entry, "informational", where)
            if metric in COMPONENTS:
                odr = metrics["odr"]
                metrics[metric] = MetricPolicy(
                    metric, odr.window_days, odr.lag_days, None, None, informational
                )
            elif metric in MEAN_METRICS:
                window = self.integer(entry, "window_days", where, minimum=1, maximum=MAX_DAYS)
                lag = self.integer(entry, "lag_days", where, maximum=MAX_DAYS)
                metrics[metric] = MetricPolicy(metric, window, lag, None, None, informational)
            else:
                window = self.integer(entry, "window_days", where, minimum=1, maximum=MAX_DAYS)
                lag = self.integer(entry, "lag_days", where, maximum=MAX_DAYS)
                target = self.fraction(entry, "target", where, low=Fraction(0), high=Fraction(1))
                condition = self.choice(entry, "condition", where, ("<", ">"))
                retired = self.boolean(entry, "retired", where) if "retired" in entry else False
                if retired and not informational:
                    raise self.fail(
                        where,
                        "retired = true needs informational = true (a retired metric never "
                        "sets the overall status)",
                    )
                hours = None
                if metric in _RESPONSE_METRICS:
                    hours = self.integer(
                        entry, "response_hours", where, minimum=1, maximum=MAX_DAYS * 24
                    )
                metrics[metric] = MetricPolicy(
                    metric, window, lag, target, condition, informational, retired, hours
                )
            if metric == "odr":
                chargeback_won_removes = self.boolean(entry, "chargeback_won_removes", where)
            self.done(entry, where)
        self.done(tables, "metrics")

        forecast = self.table(raw, "forecast", "forecast")
        horizon = self.integer(forecast, "horizon_days", "forecast", minimum=1, maximum=MAX_DAYS)
        longest = self.integer(
            forecast, "max_horizon_days", "forecast", minimum=1, maximum=MAX_DAYS
        )
        if horizon > longest:
            raise self.fail(
                "forecast", f"horizon_days {horizon} is above max_horizon_days {longest}"
            )
        volume = self.choice(forecast, "forecast_volume", "forecast", ("window_average", "none"))
        self.done(forecast, "forecast")

        violations = self.table(raw, "violations", "violations")
        display_days = self.integer(
            violations, "display_days", "violations", minimum=1, maximum=MAX_DAYS
        )
        anchor = self.choice(violations, "display_anchor", "violations", ("detected", "resolved"))
        self.done(violations, "violations")

        ahr_raw = self.table(raw, "ahr", "ahr")
        points_raw = self.table(ahr_raw, "severity_points", "ahr.severity_points")
        points = {
            sev: self.integer(points_raw, sev, "ahr.severity_points", maximum=MAX_POINTS)
            for sev in _SEVERITIES
        }
        self.done(points_raw, "ahr.severity_points")
        ahr = {
            key: self.integer(ahr_raw, key, "ahr", minimum=minimum, maximum=maximum)
            for key, minimum, maximum in (
                ("start", 0, MAX_POINTS),
                ("minimum", 0, MAX_POINTS),
                ("maximum", 0, MAX_POINTS),
                ("fulfilled_window_days", 1, MAX_DAYS),
                ("orders_per_step", 1, MAX_POINTS),
                ("points_per_step", 0, MAX_POINTS),
                ("repeat_multiplier", 1, 1000),
                ("healthy_from", 0, MAX_POINTS),
                ("at_risk_from", 0, MAX_POINTS),
            )
        }
        self.done(ahr_raw, "ahr")
        if not ahr["minimum"] <= ahr["maximum"]:
            raise self.fail("ahr", f"minimum {ahr['minimum']} is above maximum {ahr['maximum']}")
        if not ahr["at_risk_from"] <= ahr["healthy_from"]:
            raise self.fail(
                "ahr",
                f"at_risk_from {ahr['at_risk_from']} is above healthy_from {ahr['healthy_from']}",
            )

        inventory = raw.pop("inventory", None)
        if (
            inventory is None
        ):  # a policy written before definitions section 11: the shipped defaults
            inventory = tomllib.loads(policy_text())["inventory"]
        if not isinstance(inventory, dict):
            raise self.fail("inventory", "is not a table")
        inventory_policy = self.inventory(dict(inventory))

        actions = raw.pop("actions", None)
        if actions is None:  # a policy written before definitions section 10: the shipped deadlines
            actions = tomllib.loads(policy_text())["actions"]
        action_policy = _action_policy(self, actions)

        self.done(raw, "top level")
        return Policy(
            name=name,
            source=self.source,
            cadence_minutes=cadence,
            wilson_z=float(wilson_z),
            alpha=alpha,
            watch_fraction=watch,
            metrics=metrics,
            chargeback_won_removes=chargeback_won_removes,
            horizon_days=horizon,
            max_horizon_days=longest,
            forecast_volume=volume,
            display_days=display_days,
            display_anchor=anchor,
            ahr=ahr,
            severity_points=points,
            inventory=inventory_policy,
            actions=action_policy,
        )

    def day(self, value: Any, key: str, where: str) -> date:
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(where, f"{key} must be a date (2023-03-01), got {value!r}")

    def dated_rows(
        self, raw: dict[str, Any], where: str, value_key: str, check
    ) -> dict[str, tuple[tuple[date, Any], ...]]:
        """``{marketplace: ((from, value), ...)}`` from arrays of ``{from, value_key}`` tables."""
        result = {}
        for market, rows in raw.items():
            here = f"{where}.{market}"
            if not isinstance(rows, list) or not rows:
                raise self.fail(here, "must be a non-empty array of {from = ..., ...} tables")
            parsed = []
            for row in rows:
                if not isinstance(row, dict):
                    raise self.fail(here, f"each row must be a table, got {row!r}")
                row = dict(row)
                if "from" not in row:
                    raise self.fail(here, f"row without 'from': {row!r}")
                start = self.day(row.pop("from"), "from", here)
                value = check(row.pop(value_key, None), here)
                self.done(row, here)
                parsed.append((start, value))
            starts = [start for start, _ in parsed]
            if starts != sorted(set(starts)):
                raise self.fail(here, "rows must have increasing 'from' dates")
            result[market] = tuple(parsed)
        return result

    def inventory(self, raw: dict[str, Any]) -> InventoryPolicy:
        where = "inventory"
        days = {
            key: self.integer(raw, key, where, minimum=minimum, maximum=maximum)
            for key, minimum, maximum in (
                ("new_sku_days", 0, MAX_DAYS),
                ("sell_through_days", 1, MAX_DAYS),
                ("snapshot_step_days", 1, MAX_DAYS),
                ("excess_supply_days", 1, MAX_DAYS),
                ("excess_demand_days", 1, MAX_DAYS),
                ("in_stock_days", 1, MAX_DAYS),
                ("in_stock_sales_days", 1, MAX_DAYS),
                ("checkpoint_lead_days", 0, MAX_DAYS),
                ("calibration_min_points", 1, MAX_POINTS),
            )
        }
        if days["sell_through_days"] % days["snapshot_step_days"]:
            raise self.fail(
                where,
                f"sell_through_days {days['sell_through_days']} must be a multiple of "
                f"snapshot_step_days {days['snapshot_step_days']}",
            )
        weekday = self.choice(raw, "ipi_weekday", where, _WEEKDAYS)

        exact_weights = self.weights(
            self.table(raw, "weights", f"{where}.weights"), f"{where}.weights"
        )

        scales_raw = self.table(raw, "proxy_scales", f"{where}.proxy_scales")
        scales = {
            key: self.fraction(
                scales_raw, key, f"{where}.proxy_scales", low=Fraction(0), high=Fraction(10**6)
            )
            for key in INVENTORY_COMPONENTS[:3]
        }
        self.done(scales_raw, f"{where}.proxy_scales")
        for key, value in scales.items():
            if value == 0:
                raise self.fail(f"{where}.proxy_scales", f"{key} must be above 0")

        bands_raw = self.table(raw, "bands", f"{where}.bands")
        bands = {}
        for component, names in (
            ("in_stock_rate_30d", ("excellent", "good", "fair")),
            ("sell_through_90d", ("good", "fair")),
        ):
            here = f"{where}.bands.{component}"
            edges_raw = self.table(bands_raw, component, here)
            edges = tuple(
                (name, self.fraction(edges_raw, name, here, low=Fraction(0), high=Fraction(10**6)))
                for name in names
            )
            self.done(edges_raw, here)
            values = [edge for _, edge in edges]
            if values != sorted(values, reverse=True):
                shown = ", ".join(f"{n} {float(e):g}" for n, e in edges)
                raise self.fail(here, f"edges must not increase from the best band down: {shown}")
            bands[component] = edges
        self.done(bands_raw, f"{where}.bands")

        used_raw = self.table(raw, "components", f"{where}.components")
        components = {}
        for market, names in used_raw.items():
            here = f"{where}.components"
            if (
                not isinstance(names, list)
                or not names
                or len(set(names)) != len(names)
                or not set(names) <= set(INVENTORY_COMPONENTS)
            ):
                raise self.fail(
                    here,
                    f"{market} must list distinct components among "
                    f"{', '.join(INVENTORY_COMPONENTS)}, got {names!r}",
                )
            components[market] = tuple(c for c in INVENTORY_COMPONENTS if c in names)
        if "default" not in components:
            raise self.fail(f"{where}.components", "missing key 'default'")

        def kind(value: Any, here: str) -> str:
            if value not in _PERIOD_KINDS:
                raise self.fail(
                    here, f"kind must be one of {', '.join(_PERIOD_KINDS)}, got {value!r}"
                )
            return value

        def threshold(value: Any, here: str) -> int | None:
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
                raise self.fail(here, f"threshold must be an integer 0..1000, got {value!r}")
            return value

        periods = self.dated_rows(
            self.table(raw, "periods", f"{where}.periods"), f"{where}.periods", "kind", kind
        )
        thresholds = self.dated_rows(
            self.table(raw, "thresholds", f"{where}.thresholds"),
            f"{where}.thresholds",
            "threshold",
            threshold,
        )
        self.done(raw, where)
        return InventoryPolicy(
            **days,
            ipi_weekday=_WEEKDAYS.index(weekday),
            weights=exact_weights,
            proxy_scales=scales,
            bands=bands,
            components=components,
            periods=periods,
            thresholds=thresholds,
        )

    def weights(self, raw: dict[str, Any], where: str) -> dict[str, Fraction]:
        try:
            return _check_weights(raw, where)
        except PolicyError as exc:
            raise PolicyError(f"{self.source}: {exc}") from None
