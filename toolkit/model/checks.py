"""Argument checks shared by the statistics modules; messages echo the bad value."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = ["choice", "levels", "proportion"]


def proportion(value: object, name: str) -> float:
    """``value`` as a float strictly between 0 and 1 (a ``Fraction`` or ``Decimal`` is fine)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not 0.0 < number < 1.0:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return number


def levels(values: Iterable[float]) -> tuple[float, ...]:
    """Two-sided levels, each strictly between 0 and 1; at least one."""
    checked = tuple(proportion(value, "every level") for value in values)
    if not checked:
        raise ValueError("levels is empty: give at least one level, e.g. (0.95, 0.998)")
    return checked


def choice(value: str, name: str, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value
