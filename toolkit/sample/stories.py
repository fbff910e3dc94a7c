"""Hand-placed events that make the personas' stories (private to :mod:`toolkit.sample.generate`).

Each story picks some of its seller's generated orders (at random, from the block's
generator) and adds events to them at fixed dates: the dates are the ones
``data/sample/README.md`` tells. The frames are the raw block frames: orders carry
``_o`` (the order's row) and events refer to orders through it. A story whose dates fall
before the first day of a shorter sample finds no orders there and adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np
import polars as pl

Frames = dict[str, pl.DataFrame]
D = date


def at(day: date, hhmm: str = "00:00") -> datetime:
    """``day`` at ``hhmm`` UTC."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def candidates(frames: Frames, seller: str, first: date, last: date) -> pl.DataFrame:
    """Delivered, never cancelled mfn orders of ``seller`` purchased ``first .. last``."""
    return frames["orders"].filter(
        (pl.col("seller_id") == seller)
        & (pl.col("channel") == "mfn")
        & pl.col("purchased_at").dt.date().is_between(first, last)
        & pl.col("cancelled_at").is_null()
        & pl.col("delivered_at").is_not_null()
    )


def choose(frame: pl.DataFrame, k: int, rng: np.random.Generator) -> pl.DataFrame:
    """``k`` random rows of ``frame`` (all of them if fewer), in their original order."""
    rows = np.sort(rng.choice(frame.height, size=min(k, frame.height), replace=False))
    return frame[rows.tolist()]


def after(rng: np.random.Generator, base: pl.Series, low_days: float, high_days: float):
    """``base`` plus a random whole-second duration of ``low_days .. high_days`` each."""
    seconds = np.floor(rng.uniform(low_days * 86_400, high_days * 86_400, base.len()))
    return base + pl.Series(seconds.astype(np.int64) * 1_000_000).cast(pl.Duration("us"))


def add(frames: Frames, table: str, rows: dict) -> None:
    """Append ``rows`` (some of the table's columns, as lists or series) to the table."""
    schema = frames[table].schema
    n = max(len(v) for v in rows.values())
    full = {c: rows.get(c, pl.Series(c, [None] * n, dtype=dtype)) for c, dtype in schema.items()}
    frame = pl.DataFrame({c: pl.Series(c, v) for c, v in full.items()}, strict=False)
    frames[table] = pl.concat([frames[table], frame.cast(schema)])


def _s01(frames: Frames, rng: np.random.Generator) -> None:
    add(
        frames,
        "violations",
        {
            "seller_id": ["S01-steady"],
            "marketplace": ["US"],
            "category": ["listing_policy"],
            "severity": ["low"],
            "detected_at": [at(D(2026, 2, 11), "14:05")],
            "asin": ["B0C4R7T2K9"],
            "resolution": ["acknowledged"],
            "resolved_at": [at(D(2026, 2, 12), "09:30")],
        },
    )


def _s02(frames: Frames, rng: np.random.Generator) -> None:
    """A carrier loses a batch: 12 claims filed 3..9 October on orders of 29 Aug .. 20 Sep."""
    lost = choose(candidates(frames, "S02-claims-burst", D(2026, 8, 29), D(2026, 9, 20)), 12, rng)
    if lost.is_empty():
        return
    frames["orders"] = frames["orders"].with_columns(
        delivered_at=pl.when(pl.col("_o").is_in(lost["_o"].implode()))
        .then(None)
        .otherwise(pl.col("delivered_at"))
    )
    n = lost.height
    outcome = rng.permutation(np.array(["granted"] * 6 + ["pending"] * 4 + ["denied"] * 2))[:n]
    filed = after(rng, pl.Series([at(D(2026, 10, 3))] * n), 0, 7)
    resolved = after(rng, filed, 10, 30)
    add(
        frames,
        "claims",
        {
            "_o": lost["_o"],
            "filed_at": filed,
            "outcome": pl.Series(outcome),
            "resolved_at": pl.select(
                pl.when(pl.Series(outcome) != "pending").then(resolved)
            ).to_series(),
        },
    )


def _one_feedback(
    frames: Frames,
    rng: np.random.Generator,
    seller: str,
    bought: tuple[date, date],
    rating: int,
    left_at: Callable[[pl.DataFrame], object],
    comment: str,
) -> None:
    """One feedback on one random order of ``seller`` bought in ``bought``, if any;
    ``left_at`` gives its time from the chosen order."""
    order = choose(candidates(frames, seller, *bought), 1, rng)
    if order.is_empty():
        return
    add(
        frames,
        "feedback",
        {"_o": order["_o"], "rating": [rating], "left_at": left_at(order), "comment": [comment]},
    )


def _s03(frames: Frames, rng: np.random.Generator) -> None:
    """One 1-star feedback at 23:50 on 14 November: it shows on 15 November."""
    _one_feedback(
        frames,
        rng,
        "S03-low-volume",
        (D(2026, 9, 3), D(2026, 11, 1)),
        1,
        lambda order: [at(D(2026, 11, 14), "23:50")],
        "Broken on arrival & the seller never replied",
    )


_S06_VIOLATIONS = [  # category, severity, detected, asin, resolution, resolved
    ("product_condition", "medium", at(D(2025, 11, 20), "16:40"), "B07Q2M9XKD", None, None),
    ("food_and_product_safety", "critical", at(D(2026, 4, 2), "10:12"), "B08TF3L1ZC",
     "action_taken", at(D(2026, 4, 6), "11:00")),
    ("listing_policy", "medium", at(D(2026, 6, 10), "08:30"), "B09X7W4RQP",
     "appeal_accepted", at(D(2026, 6, 20), "15:45")),
    ("restricted_product", "low", at(D(2026, 7, 1), "12:00"), "B0B5N2H8VJ",
     "appeal_rejected", at(D(2026, 7, 10), "17:20")),
    ("received_intellectual_property", "high", at(D(2026, 8, 5), "09:05"), "B0CJ4K7DWS",
     "disputed_error", at(D(2026, 8, 25), "13:10")),
    ("product_condition", "low", at(D(2026, 9, 2), "19:15"), "B07Q2M9XKD", None, None),
    ("product_condition", "low", at(D(2026, 10, 15), "07:55"), "B0D1PZ6M3T", None, None),
    ("product_authenticity", "high", at(D(2026, 10, 28), "23:50"), "B0BRQ8T5YN", None, None),
]  # fmt: skip


def _s06(frames: Frames, rng: np.random.Generator) -> None:
    columns = ("category", "severity", "detected_at", "asin", "resolution", "resolved_at")
    rows = {c: [v[i] for v in _S06_VIOLATIONS] for i, c in enumerate(columns)}
    n = len(_S06_VIOLATIONS)
    add(
        frames,
        "violations",
        {"seller_id": ["S06-violations"] * n, "marketplace": ["US"] * n, **rows},
    )


def _s09(frames: Frames, rng: np.random.Generator) -> None:
    """A 2-star feedback on one of the first orders."""
    _one_feedback(
        frames,
        rng,
        "S09-new-seller",
        (D(2026, 10, 20), D(2026, 10, 25)),
        2,
        lambda order: after(rng, order["delivered_at"], 3, 6),
        "Slow to ship, item OK",
    )


_S10_FEEDBACK = [  # rating, comment, removal
    (1, "Wrong item sent & no reply from the seller.", "buyer_removed"),
    (2, "Item < described > not happy", "amazon_removed"),
    (1, '<script>alert("x")</script>', "struck_through"),
    (1, "Qualité médiocre, très déçu.", None),
]


def _s10(frames: Frames, rng: np.random.Generator) -> None:
    """Removed and struck-through feedback, claims that stop, fraud and won chargebacks."""
    pool = candidates(frames, "S10-disputes", D(2026, 9, 3), D(2026, 10, 10))
    picked = choose(pool, 12, rng)
    if picked.height < 12:
        return
    order = picked[rng.permutation(12).tolist()]
    fb = order[:4]
    left = after(rng, fb["delivered_at"], 2, 8)
    removed = after(rng, left, 3, 8)
    removal = [r for _, _, r in _S10_FEEDBACK]
    add(
        frames,
        "feedback",
        {
            "_o": fb["_o"],
            "rating": [r for r, _, _ in _S10_FEEDBACK],
            "left_at": left,
            "comment": [c for _, c, _ in _S10_FEEDBACK],
            "removed_at": pl.select(
                pl.when(pl.Series(removal).is_not_null()).then(removed)
            ).to_series(),
            "removal": removal,
        },
    )
    claimed = order[4:9]
    filed = after(rng, claimed["purchased_at"], 16, 28)
    outcome = ["denied", "denied", "denied", "protected", "withdrawn"]
    add(
        frames,
        "claims",
        {"_o": claimed["_o"], "filed_at": filed, "outcome": outcome,
         "resolved_at": after(rng, filed, 5, 12)},
    )  # fmt: skip
    charged = order[9:12]
    filed = after(rng, charged["purchased_at"], 22, 30)
    add(
        frames,
        "chargebacks",
        {
            "_o": charged["_o"],
            "filed_at": filed,
            "kind": ["fraud", "fraud", "service"],
            "outcome": ["seller_lost", "pending", "seller_won"],
            "resolved_at": pl.select(
                pl.when(pl.Series([True, False, True])).then(after(rng, filed, 12, 20))
            ).to_series(),
        },
    )


STORIES: dict[str, Callable[[Frames, np.random.Generator], None]] = {
    "S01-steady": _s01,
    "S02-claims-burst": _s02,
    "S03-low-volume": _s03,
    "S06-violations": _s06,
    "S09-new-seller": _s09,
    "S10-disputes": _s10,
}
