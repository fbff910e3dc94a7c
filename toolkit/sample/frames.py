"""From draws to tables (private to :mod:`toolkit.sample.generate`): labels, ids and the cut.

:func:`raw_frames` turns the numpy draws of :mod:`toolkit.sample.events` into polars
frames in which events refer to orders by row (``_o``), so that the stories can add events
before any id exists. :func:`finish` then removes what happens after the end of the
sample, gives every row its id (numbered on from the previous blocks) and keeps the
columns of definitions section 3 in schema order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from toolkit.model.schema import TABLES
from toolkit.sample import events as ev

_HALF = 10_000_000


def timestamps(seconds: np.ndarray) -> pl.Series:
    """Whole seconds since the epoch (NaN = null) as ``Datetime("us", "UTC")``."""
    series = pl.Series(seconds, dtype=pl.Float64, nan_to_null=True) * 1_000_000
    return series.cast(pl.Int64).cast(pl.Datetime("us", "UTC"))


def pick(values: tuple[str, ...], index: np.ndarray) -> pl.Series:
    """``values[index]`` as strings, null where ``index`` is negative."""
    mapping = dict(enumerate(values))
    return pl.Series(index, dtype=pl.Int64).replace_strict(
        mapping, default=None, return_dtype=pl.String
    )


_BASE36 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def asins(code: np.ndarray) -> pl.Series:
    """ASIN-like strings ``B0`` + 8 base-36 digits of ``code``; null where it is negative."""
    digits = (np.maximum(code, 0)[:, None] // (36 ** np.arange(7, -1, -1))) % 36
    text = np.ascontiguousarray(_BASE36[digits]).view("<U8").ravel()
    series = pl.Series(np.char.add("B0", text), dtype=pl.String)
    return pl.select(pl.when(pl.Series(code >= 0)).then(series)).to_series()


def raw_frames(rng: np.random.Generator, block: ev.Sellers, first_day: int, days: int):
    """The block's frames before the cut: events refer to orders by row ``_o``."""
    o = ev.orders(rng, block, first_day, days)
    n = o["s"].size
    by = np.where(o["by"] == ev.UNKNOWN, -1, o["by"])
    orders = pl.DataFrame(
        {
            "_o": np.arange(n),
            "_s": o["s"],
            "seller_id": pl.Series(block.ids).gather(o["s"]),
            "marketplace": pl.repeat("US", n, eager=True),
            "channel": pl.Series(np.where(o["afn"], "afn", "mfn"), dtype=pl.String),
            "purchased_at": timestamps(o["purchased"]),
            "latest_ship_at": timestamps(o["latest"]),
            "shipped_at": timestamps(o["shipped"]),
            "promised_delivery_at": timestamps(o["promised"]),
            "delivered_at": timestamps(o["delivered"]),
            "tracking_valid": pl.Series(o["tracking"], nan_to_null=True).cast(pl.Boolean),
            "cancelled_at": timestamps(o["cancelled"]),
            "cancelled_by": pick(ev.CANCELLERS, by),
            "is_business": o["business"],
            "invoice_uploaded_at": timestamps(o["invoice"]),
            "units": o["units"].astype(np.int64),
        }
    )
    fb = ev.feedback(rng, block, o)
    feedback = pl.DataFrame(
        {
            "_o": fb["o"],
            "rating": fb["rating"].astype(np.int64),
            "left_at": timestamps(fb["left"]),
            "comment": pick(ev.COMMENTS, fb["comment"]),
            "removed_at": timestamps(fb["removed"]),
            "removal": pick(ev.REMOVALS, fb["removal"]),
        }
    )
    cl = ev.claims(rng, block, o)
    claims = pl.DataFrame(
        {
            "_o": cl["o"],
            "filed_at": timestamps(cl["filed"]),
            "outcome": pick(ev.CLAIM_OUTCOMES, cl["outcome"]),
            "resolved_at": timestamps(cl["resolved"]),
        }
    )
    cb = ev.chargebacks(rng, block, o)
    chargebacks = pl.DataFrame(
        {
            "_o": cb["o"],
            "filed_at": timestamps(cb["filed"]),
            "kind": pl.Series(np.where(cb["fraud"], "fraud", "service"), dtype=pl.String),
            "outcome": pl.Series(np.where(cb["won"], "seller_won", "seller_lost"), dtype=pl.String),
            "resolved_at": timestamps(cb["resolved"]),
        }
    )
    vi = ev.violations(rng, block, first_day, days)
    violations = pl.DataFrame(
        {
            "seller_id": pl.Series(block.ids, dtype=pl.String).gather(vi["s"]),
            "marketplace": pl.repeat("US", vi["s"].size, eager=True),
            "category": pick(ev.CATEGORIES, vi["category"]),
            "severity": pick(ev.SEVERITIES, vi["severity"]),
            "detected_at": timestamps(vi["detected"]),
            "asin": asins(vi["asin"]),
            "resolution": pick(ev.RESOLUTIONS, vi["resolution"]),
            "resolved_at": timestamps(vi["resolved"]),
        }
    )
    return {
        "orders": orders,
        "feedback": feedback,
        "claims": claims,
        "chargebacks": chargebacks,
        "violations": violations,
    }


def _before(column: str, cut: datetime) -> pl.Expr:
    return pl.when(pl.col(column) < cut).then(pl.col(column))


def _ids(prefix: str, offset: int) -> pl.Expr:
    number = pl.int_range(1, pl.len() + 1, dtype=pl.Int64) + offset
    return pl.format("{}{}", pl.lit(prefix), number.cast(pl.String).str.zfill(8))


def _order_ids(offset: int) -> pl.Expr:
    """Amazon-like ``11x-1234567-1234567`` ids: unique, scrambled from the row number.

    Three Feistel rounds on the two 7-digit halves of the row number: a bijection, so
    distinct rows get distinct ids, without the visible steps of a plain counter.
    """
    g = pl.col("_o") + offset
    left, right = g // _HALF, g % _HALF
    for k1, k2 in ((2_718_281, 3_141_592), (1_618_033, 5_772_156), (4_142_135, 2_236_067)):
        left, right = right, (left + right * k1 + right * right // 7 + k2) % _HALF
    digits = [x.cast(pl.String).str.zfill(7) for x in (left, right)]
    return pl.format("11{}-{}-{}", 1 + right % 4, *digits)


def finish(
    raw: dict[str, pl.DataFrame], ids: list[str], offsets: dict[str, int], *, first: date, end: date
) -> dict[str, pl.DataFrame]:
    """Cut at the end of SAMPLE_END, give every row its id, sort, keep docs/definitions.md columns.

    Returns the five event tables; the inventory tables come from
    :mod:`toolkit.sample.inventory`.
    """
    cut = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    orders = (
        raw["orders"]
        .with_columns(
            *(
                _before(c, cut)
                for c in ("shipped_at", "delivered_at", "invoice_uploaded_at", "cancelled_at")
            ),
            order_id=_order_ids(offsets["orders"]),
        )
        .with_columns(
            tracking_valid=pl.when(pl.col("shipped_at").is_not_null()).then("tracking_valid"),
            cancelled_by=pl.when(pl.col("cancelled_at").is_not_null()).then("cancelled_by"),
        )
    )
    keys = orders.select("_o", "_s", "order_id")

    def events(name: str, start: str, stop: str, status: str | None, pending: str | None):
        frame = raw[name].filter(pl.col(start) < cut)
        stopped_later = pl.col(stop) >= cut
        changes = [pl.when(stopped_later).then(None).otherwise(pl.col(stop)).alias(stop)]
        if status is not None:
            changes.append(
                pl.when(stopped_later).then(pl.lit(pending)).otherwise(pl.col(status)).alias(status)
            )
        return (
            frame.with_columns(changes)
            .join(keys, on="_o", how="left")
            .sort("_s", start, "_o", maintain_order=True)
        )

    index = pl.DataFrame({"seller_id": ids, "_s": np.arange(len(ids))})
    start = datetime.combine(first, datetime.min.time(), UTC)
    violations = (
        raw["violations"]
        .filter((pl.col("detected_at") < cut) & (pl.col("detected_at") >= start))
        .with_columns(
            resolution=pl.when(pl.col("resolved_at") < cut).then("resolution"),
            resolved_at=_before("resolved_at", cut),
        )
        .join(index, on="seller_id", how="left")
        .sort("_s", "detected_at", maintain_order=True)
    )
    frames = {
        "orders": orders,
        "feedback": events("feedback", "left_at", "removed_at", "removal", None),
        "claims": events("claims", "filed_at", "resolved_at", "outcome", "pending"),
        "chargebacks": events("chargebacks", "filed_at", "resolved_at", "outcome", "pending"),
        "violations": violations,
    }
    prefixes = {"feedback": "FB", "claims": "AZ", "chargebacks": "CB", "violations": "PV"}
    for name, prefix in prefixes.items():
        key = TABLES[name].key
        frames[name] = frames[name].with_columns(_ids(prefix, offsets[name]).alias(key))
    return {name: frame.select(TABLES[name].names) for name, frame in frames.items()}
