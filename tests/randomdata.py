"""Seeded random datasets that hit every edge: midnight, cadence boundaries, every outcome.

Used by the property tests that compare the engine's formulations with each other and
with a brute-force per-day implementation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from tests.builders import frame
from toolkit.model.data import Dataset, dataset_from_frames

START = date(2025, 1, 1)
# times that sit on, just before and just after the 15 and 30 minute boundaries and midnight
_EDGE_SECONDS = np.array([0, 1, 899, 900, 901, 1799, 1800, 43_200, 85_500, 86_340, 86_399])


def _instant(rng: np.random.Generator, day_offset: np.ndarray) -> list[str]:
    edge = rng.random(day_offset.shape) < 0.4
    seconds = np.where(
        edge, rng.choice(_EDGE_SECONDS, day_offset.shape), rng.integers(0, 86_400, day_offset.shape)
    )
    base = datetime(START.year, START.month, START.day, tzinfo=UTC)
    return [
        (base + timedelta(days=int(d), seconds=int(s))).strftime("%Y-%m-%dT%H:%M:%SZ")
        for d, s in zip(day_offset, seconds, strict=True)
    ]


def _maybe(rng, values: list[str], p: float) -> list[str | None]:
    keep = rng.random(len(values)) < p
    return [v if k else None for v, k in zip(values, keep, strict=True)]


def random_dataset(seed: int, *, orders: int = 400, days: int = 120, sellers: int = 3) -> Dataset:
    """A valid dataset of ``orders`` orders over ``days`` days from START."""
    rng = np.random.default_rng(seed)
    n = orders
    purchase = rng.integers(0, days, n)
    ship = purchase + rng.integers(0, 4, n)
    latest = purchase + rng.integers(0, 3, n)
    promised = ship + rng.integers(1, 8, n)
    delivered = promised + rng.integers(-3, 4, n)
    rows = {
        "order_id": [f"O{i}" for i in range(n)],
        "seller_id": [f"S{i}" for i in rng.integers(0, sellers, n)],
        "marketplace": rng.choice(["US", "DE"], n, p=[0.8, 0.2]).tolist(),
        "channel": rng.choice(["mfn", "afn"], n, p=[0.75, 0.25]).tolist(),
        "purchased_at": _instant(rng, purchase),
        "latest_ship_at": _maybe(rng, _instant(rng, latest), 0.9),
        "shipped_at": _maybe(rng, _instant(rng, ship), 0.85),
        "promised_delivery_at": _maybe(rng, _instant(rng, promised), 0.9),
        "delivered_at": _maybe(rng, _instant(rng, delivered), 0.8),
        "tracking_valid": _maybe(rng, rng.choice(["true", "false"], n, p=[0.9, 0.1]).tolist(), 0.9),
        "cancelled_at": _maybe(rng, _instant(rng, purchase + rng.integers(0, 3, n)), 0.08),
        "cancelled_by": _maybe(rng, rng.choice(["seller", "buyer", "amazon"], n).tolist(), 0.9),
        "is_business": rng.choice(["true", "false"], n, p=[0.2, 0.8]).tolist(),
        "invoice_uploaded_at": _maybe(rng, _instant(rng, ship + rng.integers(0, 5, n)), 0.7),
    }
    orders_frame = frame(
        "orders",
        [dict(zip(rows, values, strict=True)) for values in zip(*rows.values(), strict=True)],
    )

    def defects(count: int, prefix: str):
        idx = rng.integers(0, n, count)
        at = purchase[idx] + rng.integers(1, 40, count)
        return idx, at, [f"{prefix}{i}" for i in range(count)]

    idx, at, ids = defects(n // 5, "F")
    removed = _maybe(rng, _instant(rng, at + rng.integers(0, 20, len(at))), 0.3)
    feedback = frame(
        "feedback",
        [
            {
                "feedback_id": i,
                "order_id": f"O{o}",
                "rating": int(r),
                "left_at": t,
                "removed_at": rm,
                "removal": rng.choice(["buyer_removed", "amazon_removed", "struck_through"])
                if rm or rng.random() < 0.1
                else None,
            }
            for i, o, r, t, rm in zip(
                ids, idx, rng.integers(1, 6, len(ids)), _instant(rng, at), removed, strict=True
            )
        ],
    )
    idx, at, ids = defects(n // 8, "C")
    outcomes = rng.choice(["pending", "granted", "denied", "withdrawn", "protected"], len(ids))
    claims = frame(
        "claims",
        [
            {
                "claim_id": i,
                "order_id": f"O{o}",
                "filed_at": t,
                "outcome": out,
                "resolved_at": None if out == "pending" else r,
            }
            for i, o, t, out, r in zip(
                ids,
                idx,
                _instant(rng, at),
                outcomes,
                _instant(rng, at + rng.integers(0, 25, len(at))),
                strict=True,
            )
        ],
    )
    idx, at, ids = defects(n // 12, "B")
    outcomes = rng.choice(["pending", "seller_lost", "seller_won"], len(ids))
    chargebacks = frame(
        "chargebacks",
        [
            {
                "chargeback_id": i,
                "order_id": f"O{o}",
                "filed_at": t,
                "kind": k,
                "outcome": out,
                "resolved_at": None if out == "pending" else r,
            }
            for i, o, t, k, out, r in zip(
                ids,
                idx,
                _instant(rng, at),
                rng.choice(["service", "fraud"], len(ids), p=[0.7, 0.3]),
                outcomes,
                _instant(rng, at + rng.integers(0, 25, len(at))),
                strict=True,
            )
        ],
    )
    # a filed time can precede its resolution by chance; keep the data valid
    claims = _order_resolution(claims, "filed_at")
    chargebacks = _order_resolution(chargebacks, "filed_at")
    service = _service_tables(seed, rows, purchase)
    return dataset_from_frames(
        orders=orders_frame, feedback=feedback, claims=claims, chargebacks=chargebacks, **service
    )


# answers that sit on, just before and just after 24 and 48 hours (seconds after the event)
_REPLY_SECONDS = np.array(
    [0, 60, 3_600, 86_399, 86_400, 86_401, 172_799, 172_800, 172_801, 259_200, 600_000]
)


def _answer(rng, start: list[str], p: float) -> list[str | None]:
    """A reply or response after each instant of ``start``, often on an hour edge; some none."""
    edge = rng.random(len(start)) < 0.6
    seconds = np.where(
        edge, rng.choice(_REPLY_SECONDS, len(start)), rng.integers(0, 400_000, len(start))
    )
    stamps = [
        (datetime.fromisoformat(t) + timedelta(seconds=int(s))).strftime("%Y-%m-%dT%H:%M:%SZ")
        for t, s in zip(start, seconds, strict=True)
    ]
    return _maybe(rng, stamps, p)


def _service_tables(seed: int, orders: dict, purchase: np.ndarray) -> dict[str, pl.DataFrame]:
    """Returns, messages and reviews (definitions section 12), from their own random stream (the order
    tables of a seed stay what they were)."""
    rng = np.random.default_rng([seed, 12])
    n = len(orders["order_id"])
    count = n // 4
    idx = rng.integers(0, n, count)
    requested = _instant(rng, purchase[idx] + rng.integers(2, 30, count))
    returns = frame(
        "returns",
        [
            {
                "return_id": f"R{i}",
                "order_id": orders["order_id"][o],
                "requested_at": t,
                "responded_at": r,
                "in_policy": rng.choice(["true", "false", None], p=[0.6, 0.2, 0.2]),
                "outcome": rng.choice(["authorized", "refunded", "rejected", "closed", None]),
                "buyer_resolved": rng.choice(["true", "false", None], p=[0.5, 0.2, 0.3]),
            }
            for i, (o, t, r) in enumerate(
                zip(idx, requested, _answer(rng, requested, 0.8), strict=True)
            )
        ],
    )
    sellers = sorted(set(orders["seller_id"]))
    received = _instant(rng, rng.integers(0, int(purchase.max()) + 10, count))
    about = rng.integers(0, n, count)
    messages = frame(
        "messages",
        [
            {
                "message_id": f"M{i}",
                "seller_id": orders["seller_id"][o] if k else rng.choice(sellers),
                "marketplace": orders["marketplace"][o] if k else "US",
                "received_at": t,
                "replied_at": r,
                "order_id": orders["order_id"][o] if k else None,
            }
            for i, (o, k, t, r) in enumerate(
                zip(
                    about,
                    rng.random(count) < 0.7,
                    received,
                    _answer(rng, received, 0.85),
                    strict=True,
                )
            )
        ],
    )
    written = _instant(rng, rng.integers(-200, int(purchase.max()) + 10, count))
    reviews = frame(
        "reviews",
        [
            {
                "review_id": f"V{i}",
                "seller_id": rng.choice(sellers),
                "marketplace": rng.choice(["US", "DE"], p=[0.8, 0.2]),
                "asin": f"B0{rng.integers(0, 5)}",
                "reviewed_at": t,
                "stars": int(rng.integers(1, 6)),
                "verified": rng.choice(["true", "false", None], p=[0.7, 0.2, 0.1]),
            }
            for i, t in enumerate(written)
        ],
    )
    return {"returns": returns, "messages": messages, "reviews": reviews}


def _order_resolution(table: pl.DataFrame, start: str) -> pl.DataFrame:
    """Swap start and resolved_at where the random draw put the resolution first."""
    swap = pl.col("resolved_at").is_not_null() & (pl.col("resolved_at") < pl.col(start))
    return table.with_columns(
        pl.when(swap).then(pl.col("resolved_at")).otherwise(pl.col(start)).alias(start),
        pl.when(swap).then(pl.col(start)).otherwise(pl.col("resolved_at")).alias("resolved_at"),
    )
