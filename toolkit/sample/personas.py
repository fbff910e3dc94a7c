"""The sample's sellers: twelve personas with stories, and templates for many more.

Each persona is a row of background parameters (see :mod:`toolkit.sample.events`), some
episodes (a probability raised for the orders purchased on a range of dates) and,
for some, a *story*: a short function that adds hand-placed events (a burst of claims,
a removed feedback, the violations of a compliance case) to the generated frames.
``data/sample/README.md`` tells the stories with their dates and checked numbers.

Sellers beyond the personas take the parameters of a persona chosen at random (its
episodes moved to a random date), without the story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from toolkit.sample.events import Sellers

DEFAULTS: dict[str, float] = {
    "volume": 5.0,  # mean orders per day
    "start_day": 0.0,  # first purchase date (epoch day); 0 = from the start of the sample
    "afn_share": 0.25,
    "business_share": 0.04,
    "handling_2d": 0.3,  # share of orders with two handling days (else one)
    "p_late_ship": 0.006,
    "p_cancel_buyer": 0.01,
    "p_cancel_seller": 0.0015,
    "p_cancel_amazon": 0.0003,
    "p_invalid_tracking": 0.003,
    "p_late_delivery": 0.015,
    "p_feedback": 0.09,
    "p_negative": 0.03,  # of feedback (three times higher after a late or lost delivery)
    "p_removal": 0.15,  # of negative feedback
    "p_claim": 0.001,  # per order (six times higher after a late or lost delivery)
    "p_denied": 0.3,  # of claims
    "p_chargeback": 0.0012,
    "p_invoice_late": 0.003,
    "p_invoice_missing": 0.001,
    "violations_per_year": 0.3,
}


@dataclass(frozen=True)
class Episode:
    """``param`` takes ``value`` for orders purchased ``first .. last`` (both included)."""

    param: str
    first: date
    last: date
    value: float


@dataclass(frozen=True)
class Persona:
    """A seller of the sample: ``params`` for it and its template, ``sample`` for it only.

    In the sample, personas have no random violations: their stories place them.
    """

    seller_id: str
    weight: float  # share among generated sellers
    params: dict[str, float] = field(default_factory=dict)
    episodes: tuple[Episode, ...] = ()
    sample: dict[str, float] = field(default_factory=dict)
    exact: tuple[tuple[date, date, int], ...] = ()


def _epoch(day: date) -> int:
    return (day - date(1970, 1, 1)).days


D = date  # short for the persona table below

PERSONAS: tuple[Persona, ...] = (
    Persona(
        "S01-steady",
        0.30,
        {"volume": 5.0, "p_negative": 0.02},
        sample={"p_claim": 0.0005, "p_chargeback": 0.0},
    ),
    Persona("S02-claims-burst", 0.05, {"volume": 5.0}),
    Persona(
        "S03-low-volume",
        0.12,
        {"volume": 0.12, "afn_share": 0.0},
        sample={"p_negative": 0.0, "p_claim": 0.0, "p_chargeback": 0.0},
        exact=((D(2026, 9, 3), D(2026, 11, 1), 10),),
    ),
    Persona(
        "S04-late-carrier",
        0.07,
        {"volume": 4.0, "afn_share": 0.1},
        (Episode("p_late_ship", D(2026, 9, 21), D(2026, 10, 11), 0.16),),
    ),
    Persona("S05-fba", 0.12, {"volume": 4.0, "afn_share": 0.92}),
    Persona(
        "S06-violations",
        0.05,
        {"volume": 3.0, "violations_per_year": 5.0},
        sample={"p_negative": 0.01},
    ),
    Persona(
        "S07-recovering",
        0.05,
        {"volume": 5.0, "afn_share": 0.0},
        (
            Episode("p_negative", D(2026, 8, 10), D(2026, 9, 9), 0.45),
            Episode("p_claim", D(2026, 8, 10), D(2026, 9, 9), 0.01),
        ),
    ),
    Persona(
        "S08-business-invoices",
        0.06,
        {
            "volume": 5.0,
            "business_share": 0.5,
            "p_invoice_late": 0.001,
            "p_invoice_missing": 0.0005,
        },
        (
            Episode("p_invoice_late", D(2026, 8, 3), D(2026, 8, 23), 0.2),
            Episode("p_invoice_missing", D(2026, 8, 3), D(2026, 8, 23), 0.12),
        ),
    ),
    Persona(
        "S09-new-seller",
        0.05,
        {"volume": 4.0, "start_day": float(_epoch(D(2026, 10, 20)))},
        sample={"p_negative": 0.0},
    ),
    Persona(
        "S10-disputes",
        0.04,
        {"volume": 4.0, "p_negative": 0.06, "p_removal": 0.7, "p_denied": 0.85},
        sample={"p_chargeback": 0.0},
    ),
    Persona(
        "S11-cancellations",
        0.05,
        {"volume": 4.0, "afn_share": 0.15},
        (Episode("p_cancel_seller", D(2026, 10, 12), D(2026, 10, 22), 0.12),),
    ),
    Persona(
        "S12-tracking",
        0.04,
        {"volume": 4.0, "afn_share": 0.15},
        (
            Episode("p_late_delivery", D(2026, 7, 13), D(2026, 8, 2), 0.25),
            Episode("p_invalid_tracking", D(2026, 9, 25), D(2026, 10, 14), 0.2),
        ),
    ),
)


def _episode_arrays(count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.full(count, -1, np.int64), np.full(count, -1, np.int64), np.zeros(count)


def persona_sellers(count: int) -> Sellers:
    """The first ``count`` personas as a block of sellers (their sample parameters)."""
    chosen = PERSONAS[:count]
    params = {
        name: np.array([{**DEFAULTS, **p.params, **p.sample}[name] for p in chosen])
        for name in DEFAULTS
    }
    params["violations_per_year"] = np.zeros(count)  # the stories place the personas' ones
    params["start_day"] = params["start_day"].astype(np.int64)
    episodes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for i, persona in enumerate(chosen):
        for ep in persona.episodes:
            first, last, value = episodes.setdefault(ep.param, _episode_arrays(count))
            first[i], last[i], value[i] = _epoch(ep.first), _epoch(ep.last), ep.value
    exact = [
        (i, _epoch(first), _epoch(last), n)
        for i, p in enumerate(chosen)
        for first, last, n in p.exact
    ]
    return Sellers([p.seller_id for p in chosen], params, episodes, exact)


def generated_sellers(
    rng: np.random.Generator,
    first_number: int,
    count: int,
    *,
    first_day: int,
    days: int,
    daily_orders: float,
    day_factor: np.ndarray,
) -> Sellers:
    """``count`` sellers ``G000001 ..`` drawn from the persona templates.

    Volumes are log-normal around the template's volume, scaled so that the expected
    number of orders of the block is ``count * days * daily_orders``; episodes move to
    a random date of the period; a new-seller template starts on a random date.
    """
    weights = np.array([p.weight for p in PERSONAS])
    template = rng.choice(len(PERSONAS), size=count, p=weights / weights.sum())
    table = np.array([[{**DEFAULTS, **p.params}[name] for name in DEFAULTS] for p in PERSONAS])
    params = {name: table[template, j] for j, name in enumerate(DEFAULTS)}
    params["afn_share"] = np.clip(params["afn_share"] + rng.normal(0, 0.05, count), 0, 1)
    new = params["start_day"] > 0
    start = first_day + (rng.random(count) * (days * 0.8)).astype(np.int64) + days // 5
    params["start_day"] = np.where(new, np.minimum(start, first_day + days - 1), 0).astype(np.int64)
    volume = params["volume"] * rng.lognormal(-0.32, 0.8, count)
    cum = np.concatenate([[0.0], np.cumsum(day_factor)])
    active = cum[days] - cum[np.clip(params["start_day"] - first_day, 0, days)]
    params["volume"] = volume * count * days * daily_orders / max(float(volume @ active), 1e-9)

    episodes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for t, persona in enumerate(PERSONAS):
        rows = np.flatnonzero(template == t)
        for ep in persona.episodes:
            length = (ep.last - ep.first).days
            first, last, value = episodes.setdefault(ep.param, _episode_arrays(count))
            shift = rng.integers(0, max(days - length, 1), rows.size)
            first[rows] = first_day + shift
            last[rows] = first_day + shift + length
            value[rows] = ep.value
    ids = [f"G{first_number + i:06d}" for i in range(count)]
    return Sellers(ids, params, episodes)
