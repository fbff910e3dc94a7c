"""Vectorised background events of the synthetic sample (private to :mod:`toolkit.sample.generate`).

Every seller has a row of parameters (mean orders per day, channel and business shares,
and per-order probabilities of each kind of trouble); an *episode* replaces one
probability for the orders purchased on a range of dates. From these, one pass of numpy
draws per table gives every order and event of a block of sellers: no Python loop runs
over orders. Times are float64 seconds since the epoch (UTC, whole seconds, exact in
float64), NaN where absent; they become ``Datetime("us", "UTC")`` columns at the end.

The draws come from the caller's generator in a fixed order, so the same generator state
gives the same data. Nothing is cut at the end of the sample here: the caller removes the
events that lie after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.model.schema import CATEGORY_SPAPI_KEYS, TABLES

DAY = 86_400.0
HOUR = 3_600.0

#: Share of orders placed in each UTC hour: US buyers shop most in their evening, which is
#: around midnight UTC, so many orders land just before or after a UTC day boundary.
# fmt: off
HOUR_WEIGHTS = np.array([
    6, 5, 4, 3, 2, 1.5, 1, 0.8, 0.8, 1, 1.5, 2.5,  # 00..11 UTC
    3.5, 4.5, 5, 5.5, 5.5, 5.5, 5.5, 6, 6, 6.5, 7, 7,  # 12..23 UTC
], dtype=float)
# fmt: on
HOUR_WEIGHTS /= HOUR_WEIGHTS.sum()

#: Cancellation codes of the internal arrays (``cancelled_by`` null for UNKNOWN and NONE).
NONE, SELLER, BUYER, AMAZON, UNKNOWN = -1, 0, 1, 2, 3
CANCELLERS = TABLES["orders"].column("cancelled_by").values  # SELLER, BUYER, AMAZON

RATING_NEGATIVE_ONE = 0.6  # share of negative ratings that are 1 star (else 2)


@dataclass
class Sellers:
    """Parameters of a block of sellers: one array element per seller.

    ``episodes`` maps a parameter to ``(first_day, last_day, value)`` arrays in epoch days
    (purchase dates, both ends included; ``first_day = -1`` for none). ``exact`` lists
    ``(seller, first_day, last_day, count)``: the seller gets exactly ``count`` orders on
    those purchase dates (on distinct random days), whatever its volume says.
    """

    ids: list[str]
    params: dict[str, np.ndarray]
    episodes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    exact: list[tuple[int, int, int, int]] = field(default_factory=list)

    def at(self, name: str, seller: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Parameter ``name`` for orders of ``seller`` purchased on epoch ``day``."""
        base = self.params[name][seller]
        if name not in self.episodes:
            return base
        first, last, value = self.episodes[name]
        inside = (day >= first[seller]) & (day <= last[seller])
        return np.where(inside, value[seller], base)


def day_factors(first_day: int, days: int) -> np.ndarray:
    """Relative order volume per date: quieter weekends, shopping events busier."""
    day = np.arange(first_day, first_day + days)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    factor = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.85, 0.9])[weekday]
    for first, last, boost in _EVENTS:
        factor = np.where((day >= first) & (day <= last), factor * boost, factor)
    return factor


def _epoch_day(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


_EVENTS = [  # Black Friday to Cyber Monday, the holiday season, Prime Day, the October event
    (_epoch_day("2025-11-28"), _epoch_day("2025-12-01"), 1.8),
    (_epoch_day("2025-12-02"), _epoch_day("2025-12-19"), 1.3),
    (_epoch_day("2026-07-14"), _epoch_day("2026-07-15"), 2.0),
    (_epoch_day("2026-10-06"), _epoch_day("2026-10-07"), 1.5),
]


def _uniform(rng: np.random.Generator, low, high, n: int) -> np.ndarray:
    return low + (np.asarray(high) - low) * rng.random(n)


def _whole(seconds: np.ndarray) -> np.ndarray:
    return np.floor(seconds)


def _end_of_day(day: np.ndarray) -> np.ndarray:
    """23:59:59 UTC of epoch ``day``."""
    return day * DAY + DAY - 1


def order_counts(
    rng: np.random.Generator, sellers: Sellers, first_day: int, days: int
) -> np.ndarray:
    """Orders per seller (rows) and purchase date (columns): Poisson around the volume."""
    day = np.arange(first_day, first_day + days)
    start = sellers.params["start_day"]
    lam = sellers.params["volume"][:, None] * day_factors(first_day, days)[None, :]
    lam = np.where(day[None, :] >= start[:, None], lam, 0.0)
    counts = rng.poisson(lam)
    for seller, first, last, count in sellers.exact:
        cols = np.flatnonzero((day >= first) & (day <= last))
        counts[seller, cols] = 0
        if count and cols.size:
            chosen = rng.choice(cols, size=min(count, cols.size), replace=False)
            counts[seller, chosen] = 1
    return counts


def orders(rng: np.random.Generator, sellers: Sellers, first_day: int, days: int) -> dict:
    """The order arrays of a block, sorted by seller and purchase time."""
    counts = order_counts(rng, sellers, first_day, days)
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    n = cell.size
    s = cell // days
    day = first_day + cell % days
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS)
    purchased = day * DAY + hour * HOUR + rng.integers(0, 3600, n)
    order = np.lexsort((purchased, s))
    s, day, purchased = s[order], day[order], purchased[order].astype(float)
    p = sellers.params

    afn = rng.random(n) < p["afn_share"][s]
    units = np.minimum(rng.geometric(0.75, n), 9)
    business = rng.random(n) < p["business_share"][s]
    handling = 1 + (rng.random(n) < p["handling_2d"][s])
    latest = _end_of_day(day + handling)

    # Cancellations before shipment: buyers within hours, sellers before the ship-by
    # time, Amazon a few days after an unconfirmed ship-by time (mfn only).
    u = rng.random(n)
    p_buyer = p["p_cancel_buyer"][s]
    p_seller = np.where(afn, 0.0, sellers.at("p_cancel_seller", s, day))
    p_amazon = np.where(afn, 0.0, p["p_cancel_amazon"][s])
    by = np.select(
        [u < p_buyer, u < p_buyer + p_seller, u < p_buyer + p_seller + p_amazon, u > 0.9996],
        [BUYER, SELLER, AMAZON, UNKNOWN],
        NONE,
    )
    cancelled = np.select(
        [by == BUYER, by == SELLER, by == AMAZON, by == UNKNOWN],
        [
            purchased + _uniform(rng, 0.1 * HOUR, 10 * HOUR, n),
            purchased + (latest - purchased) * _uniform(rng, 0.2, 0.95, n),
            latest + _uniform(rng, 2 * DAY, 4 * DAY, n),
            purchased + _uniform(rng, 1 * HOUR, 20 * HOUR, n),
        ],
        np.nan,
    )
    cancelled = _whole(cancelled)
    ships = by == NONE

    # Shipment: on time somewhere before the ship-by time (a few exactly on it), or late
    # (a share of those within two minutes after it, across midnight).
    late = rng.random(n) < np.where(afn, 0.002, sellers.at("p_late_ship", s, day))
    on_time_at = purchased + (latest - purchased) * rng.beta(2.0, 4.0, n)
    on_time_at = np.where(rng.random(n) < 0.003, latest, np.maximum(on_time_at, purchased + 600))
    late_at = np.where(
        rng.random(n) < 0.1,
        latest + rng.integers(1, 121, n),
        latest + 1 + np.minimum(rng.exponential(DAY, n), 5 * DAY),
    )
    shipped = _whole(np.where(ships, np.where(late, late_at, on_time_at), np.nan))

    transit = np.where(afn, rng.integers(1, 4, n), rng.integers(2, 6, n))
    promised = _end_of_day(np.floor(latest / DAY) + transit)
    tracking = afn | (rng.random(n) >= sellers.at("p_invalid_tracking", s, day))
    lost = rng.random(n) < 0.002

    # Cancelled after shipment (intercepted): stays shipped, never delivered.
    after = ships & ~afn & (rng.random(n) < 0.002)
    cancelled = np.where(after, _whole(shipped + _uniform(rng, HOUR, 30 * HOUR, n)), cancelled)
    by = np.where(after, BUYER, by)

    late_delivery = (rng.random(n) < sellers.at("p_late_delivery", s, day)) | (
        promised - shipped < 8 * HOUR
    )
    on_time_delivery = shipped + (promised - shipped) * _uniform(rng, 0.35, 1.0, n)
    on_time_delivery = np.maximum(on_time_delivery, shipped + 8 * HOUR)
    late_delivery_at = promised + _uniform(rng, HOUR, 4 * DAY, n)
    delivered = np.where(late_delivery, late_delivery_at, on_time_delivery)
    delivered = _whole(np.where(ships & tracking & ~lost & ~after, delivered, np.nan))

    invoice = _invoices(rng, sellers, s, day, business, shipped)
    return {
        "s": s,
        "day": day,
        "purchased": purchased,
        "afn": afn,
        "latest": latest,
        "shipped": shipped,
        "promised": promised,
        "delivered": delivered,
        "tracking": np.where(np.isnan(shipped), np.nan, tracking.astype(float)),
        "cancelled": cancelled,
        "by": by,
        "business": business,
        "invoice": invoice,
        "units": units,
        "late_delivery": late_delivery & ~np.isnan(delivered),
        "lost": ships & lost,
    }


def _invoices(rng, sellers: Sellers, s, day, business, shipped) -> np.ndarray:
    """Invoice uploads of shipped business orders: on time, late or missing.

    The deadline is 23:59:59 UTC of the first Monday-to-Friday date after the ship date.
    """
    n = s.size
    ship_day = np.floor(shipped / DAY)
    weekday = (ship_day + 3) % 7
    deadline = _end_of_day(ship_day + np.select([weekday == 4, weekday == 5], [3, 2], 1))
    u = rng.random(n)
    missing = sellers.at("p_invoice_missing", s, day)
    late = sellers.at("p_invoice_late", s, day)
    on_time_at = shipped + (deadline - shipped) * _uniform(rng, 0.05, 1.0, n)
    on_time_at = np.where(rng.random(n) < 0.01, deadline, on_time_at)
    late_at = deadline + 1 + np.minimum(rng.exponential(1.5 * DAY, n), 6 * DAY)
    uploaded = np.select([u < missing, u < missing + late], [np.nan, late_at], on_time_at)
    return _whole(np.where(business & ~np.isnan(shipped), uploaded, np.nan))


def _near_midnight(rng, times: np.ndarray, share: float) -> np.ndarray:
    """Move a share of the events to 23:45..23:59:59 of their own UTC date."""
    moved = np.floor(times / DAY) * DAY + 23.75 * HOUR + rng.integers(0, 900, times.size)
    return np.where(rng.random(times.size) < share, moved, times)


def feedback(rng: np.random.Generator, sellers: Sellers, o: dict) -> dict:
    """Seller feedback rows: days to weeks after delivery, some removed later.

    Returns arrays with ``o`` (order row), ``rating``, ``left``, ``comment`` (pool index,
    -1 for none), ``removed``, ``removal`` (-1 none, else an index of REMOVALS).
    """
    s, day = o["s"], o["day"]
    eligible = ~np.isnan(o["shipped"]) & (o["by"] == NONE)
    rows = np.flatnonzero(eligible & (rng.random(s.size) < sellers.params["p_feedback"][s]))
    n = rows.size
    s, day = s[rows], day[rows]
    base = np.where(
        np.isnan(o["delivered"][rows]), o["shipped"][rows] + 4 * DAY, o["delivered"][rows]
    )
    left = base + 2 * HOUR + np.minimum(rng.gamma(1.3, 5 * DAY, n), 75 * DAY)
    left = _whole(_near_midnight(rng, left, 0.04))
    trouble = o["late_delivery"][rows] | o["lost"][rows]
    p_negative = np.clip(sellers.at("p_negative", s, day) * np.where(trouble, 3.0, 1.0), 0, 0.95)
    negative = rng.random(n) < p_negative
    u = rng.random(n)
    rating = np.where(
        negative,
        np.where(u < RATING_NEGATIVE_ONE, 1, 2),
        np.select([u < 0.08, u < 0.30], [3, 4], 5),
    )
    removed_kind = np.where(
        negative & (rng.random(n) < sellers.params["p_removal"][s]),
        rng.choice(3, size=n, p=[0.45, 0.3, 0.25]),
        -1,
    )
    removed = _whole(
        np.where(removed_kind >= 0, left + _uniform(rng, 0.5 * DAY, 25 * DAY, n), np.nan)
    )
    comment = _comments(rng, rating)

    # A few buyers add a positive row later; it does not cancel the negative one.
    again = np.flatnonzero(negative & (removed_kind < 0) & (rng.random(n) < 0.08))
    m = again.size
    follow_rating = np.where(rng.random(m) < 0.5, 4, 5)
    return {
        "o": np.concatenate([rows, rows[again]]),
        "rating": np.concatenate([rating, follow_rating]),
        "left": np.concatenate([left, _whole(left[again] + _uniform(rng, 2 * DAY, 15 * DAY, m))]),
        "comment": np.concatenate([comment, FOLLOW_UP_START + rng.integers(0, 2, m)]),
        "removed": np.concatenate([removed, np.full(m, np.nan)]),
        "removal": np.concatenate([removed_kind, np.full(m, -1)]),
    }


REMOVALS = TABLES["feedback"].column("removal").values

#: Feedback comments: reports must escape markup and show non-ASCII text as it is.
COMMENTS = (
    # positive (4-5 stars)
    "Great seller, fast shipping.",
    "Item as described. Thank you!",
    "Arrived early & very well packed.",
    "Sehr schnelle Lieferung, danke!",
    "Très bien emballé, merci.",
    "Perfecto, llegó antes de lo previsto 👍",
    "素晴らしい商品です。",
    "5 stars <3",
    "Would buy again",
    # neutral (3 stars)
    "OK, but the box was dented.",
    "Took a while to arrive.",
    "Packaging < expected, product fine.",
    # negative (1-2 stars)
    "Never arrived.",
    "Wrong item sent & no reply from the seller.",
    "Broken on arrival!!",
    '<script>alert("x")</script>',
    "Listed as 'new' but clearly used - not happy",
    "Qualité médiocre, très déçu.",
    "Delivery took 3 weeks > the 5 days promised",
    # follow-up positive rows
    "Seller fixed it quickly, updating my rating.",
    "Replacement arrived, thanks.",
)
_POSITIVE, _NEUTRAL, _NEGATIVE = (0, 9), (9, 12), (12, 19)
FOLLOW_UP_START = 19


def _comments(rng, rating: np.ndarray) -> np.ndarray:
    n = rating.size
    pick = np.select(
        [rating >= 4, rating == 3],
        [rng.integers(*_POSITIVE, n), rng.integers(*_NEUTRAL, n)],
        rng.integers(*_NEGATIVE, n),
    )
    return np.where(rng.random(n) < 0.3, -1, pick)


CLAIM_OUTCOMES = TABLES["claims"].column("outcome").values[1:]  # all but pending


def claims(rng: np.random.Generator, sellers: Sellers, o: dict) -> dict:
    """A-to-z claims: 2 to 6 weeks after purchase, decided 4 to 40 days later."""
    s, day = o["s"], o["day"]
    trouble = o["late_delivery"] | o["lost"]
    p = sellers.at("p_claim", s, day) * np.where(trouble, 6.0, 1.0)
    rows = np.flatnonzero((o["by"] == NONE) & (rng.random(s.size) < p))
    n = rows.size
    filed = o["purchased"][rows] + _uniform(rng, 14 * DAY, 42 * DAY, n)
    filed = _whole(_near_midnight(rng, filed, 0.03))
    denied = sellers.params["p_denied"][s[rows]]
    rest = (1 - denied) / 0.7  # granted .45, withdrawn .12, protected .13 of the rest
    u = rng.random(n)
    outcome = np.select(
        [u < denied, u < denied + 0.45 * rest, u < denied + 0.57 * rest], [1, 0, 2], 3
    )
    resolved = _whole(filed + _uniform(rng, 4 * DAY, 40 * DAY, n))
    return {"o": rows, "filed": filed, "outcome": outcome, "resolved": resolved}


def chargebacks(rng: np.random.Generator, sellers: Sellers, o: dict) -> dict:
    """Chargebacks: service or fraud, 3 to 11 weeks after purchase."""
    s = o["s"]
    rows = np.flatnonzero(
        (o["by"] == NONE) & (rng.random(s.size) < sellers.params["p_chargeback"][s])
    )
    n = rows.size
    filed = _whole(o["purchased"][rows] + _uniform(rng, 20 * DAY, 80 * DAY, n))
    fraud = rng.random(n) < 0.35
    won = rng.random(n) < 0.45
    resolved = _whole(filed + _uniform(rng, 10 * DAY, 50 * DAY, n))
    return {"o": rows, "filed": filed, "fraud": fraud, "won": won, "resolved": resolved}


CATEGORIES = tuple(CATEGORY_SPAPI_KEYS)
_CATEGORY_WEIGHTS = np.array([20, 8, 14, 6, 12, 8, 6, 4, 6, 8, 8], dtype=float)
SEVERITIES = TABLES["violations"].column("severity").values
RESOLUTIONS = TABLES["violations"].column("resolution").values


def violations(rng: np.random.Generator, sellers: Sellers, first_day: int, days: int) -> dict:
    """Policy violations: a Poisson number per seller, spread over the period."""
    active_days = np.maximum(
        first_day + days - np.maximum(sellers.params["start_day"], first_day), 0
    )
    count = rng.poisson(sellers.params["violations_per_year"] * active_days / 365.0)
    s = np.repeat(np.arange(count.size), count)
    n = s.size
    start = np.maximum(sellers.params["start_day"][s], first_day)
    detected = _whole((start + rng.random(n) * (first_day + days - start)) * DAY)
    category = rng.choice(len(CATEGORIES), size=n, p=_CATEGORY_WEIGHTS / _CATEGORY_WEIGHTS.sum())
    severity = rng.choice(4, size=n, p=[0.45, 0.35, 0.18, 0.02])
    resolution = rng.choice(6, size=n, p=[0.15, 0.25, 0.2, 0.1, 0.1, 0.2]) - 1  # -1: open
    resolved = _whole(np.where(resolution >= 0, detected + _uniform(rng, DAY, 40 * DAY, n), np.nan))
    asin = np.where(rng.random(n) < 0.7, rng.integers(0, 36**8, n), -1)
    return {
        "s": s,
        "detected": detected,
        "category": category,
        "severity": severity,
        "resolution": resolution,
        "resolved": resolved,
        "asin": asin,
    }
