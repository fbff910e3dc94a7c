"""The policy file: every window, lag, target, cadence and AHR number, loaded and checked.

Amazon's rules differ by marketplace and change over time, so nothing here is a constant
in code: the shipped ``amazon_us.toml`` holds the SPEC defaults and users pass their own
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
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from toolkit.model.errors import UsageError
from toolkit.model.resources import policy_text
from toolkit.model.text import looks_like, resave_hint

__all__ = [
    "COMPONENTS",
    "METRICS",
    "MetricPolicy",
    "Policy",
    "PolicyError",
    "load_policy",
]

#: Every metric of SPEC section 4, in the order reports show them.
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
)
#: The ODR components: they share the ODR window and have no target.
COMPONENTS = ("odr_negative_feedback", "odr_claims", "odr_chargebacks")

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
    ``None`` for the ODR components, which have no target.
    """

    name: str
    window_days: int
    lag_days: int
    target: Fraction | None
    condition: str | None
    informational: bool

    @property
    def allowed_bad(self) -> Fraction | None:
        """The allowed bad fraction p0: the target for ``<``, 1 - target for ``>``."""
        if self.target is None:
            return None
        return self.target if self.condition == "<" else 1 - self.target


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
    forecast_volume: str
    display_days: int
    display_anchor: str
    ahr: dict[str, int]
    severity_points: dict[str, int]

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
        value = raw.pop(key)
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidOperation
            decimal = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            decimal = Decimal("NaN")
        if not decimal.is_finite():
            raise self.fail(where, f"{key} must be a decimal number, got {value!r}")
        if not Decimal(low.numerator) / low.denominator <= decimal <= high:
            raise self.fail(where, f"{key} must be between {low} and {high}, got {value!r}")
        if -decimal.as_tuple().exponent > _MAX_DECIMAL_PLACES:  # Fraction() would take ages
            raise self.fail(
                where, f"{key} has more than {_MAX_DECIMAL_PLACES} decimal places: {value!r}"
            )
        return Fraction(decimal)

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
            entry = dict(self.table(tables, metric, where))
            informational = self.boolean(entry, "informational", where)
            if metric in COMPONENTS:
                odr = metrics["odr"]
                metrics[metric] = MetricPolicy(
                    metric, odr.window_days, odr.lag_days, None, None, informational
                )
            else:
                window = self.integer(entry, "window_days", where, minimum=1, maximum=MAX_DAYS)
                lag = self.integer(entry, "lag_days", where, maximum=MAX_DAYS)
                target = self.fraction(entry, "target", where, low=Fraction(0), high=Fraction(1))
                condition = self.choice(entry, "condition", where, ("<", ">"))
                metrics[metric] = MetricPolicy(
                    metric, window, lag, target, condition, informational
                )
            if metric == "odr":
                chargeback_won_removes = self.boolean(entry, "chargeback_won_removes", where)
            self.done(entry, where)
        self.done(tables, "metrics")

        forecast = self.table(raw, "forecast", "forecast")
        horizon = self.integer(forecast, "horizon_days", "forecast", minimum=1, maximum=MAX_DAYS)
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
            forecast_volume=volume,
            display_days=display_days,
            display_anchor=anchor,
            ahr=ahr,
            severity_points=points,
        )
