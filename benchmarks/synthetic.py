"""A fast, vectorised synthetic data directory for the benchmark (definitions section 3 schema).

This is a stand-in for ``seller-health sample`` at benchmark volumes (millions of orders):
numpy draws every column at once and polars writes Parquet with ``Datetime("us", "UTC")``
timestamps. The rates are plausible, not calibrated (on the benchmark data: ODR about 1 %,
late shipment about 6 %, cancellation about 1 %, valid tracking 95 %, on-time delivery
about 90 %, invoice defects about 14 %); 10 % business orders; 8 % of orders with feedback
(some several times, some removed), 0.7 % claims with every outcome, 0.3 % chargebacks
of both kinds. Timestamps carry microseconds, so cadence rounding and midnight
boundaries are exercised at volume.

Usage::

    python benchmarks/synthetic.py OUT_DIR --orders 10000000 --sellers 50000 \\
        --days 120 --end 2025-06-30 [--seed 1] [--format parquet|csv]
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl

__all__ = ["generate", "write"]

_US = 1_000_000
_HOUR = 3600 * _US
_DAY = 24 * _HOUR
_UTC = pl.Datetime("us", "UTC")


def _pick(
    rng: np.random.Generator,
    values: list,
    p: list[float],
    n: int,
    present: np.ndarray | None = None,
) -> pl.Series:
    """A string column of ``values`` (``None`` allowed) drawn with probabilities ``p``."""
    codes = pl.Series(rng.choice(len(values), size=n, p=p).astype(np.uint32))
    if present is not None:
        codes = pl.select(pl.when(pl.Series(present)).then(codes).alias("c")).to_series()
    lookup = pl.Series("v", values, dtype=pl.String)
    return pl.select(lookup.gather(codes)).to_series()


def _ts(us: np.ndarray, present: np.ndarray | None = None) -> pl.Series:
    series = pl.Series(us.astype(np.int64)).cast(_UTC)
    if present is not None:
        series = pl.select(
            pl.when(pl.Series(present)).then(series).otherwise(None).alias("t")
        ).to_series()
    return series


def _defects(
    rng: np.random.Generator, purchased: np.ndarray, order_ids: pl.Series, rate: float
) -> tuple[np.ndarray, pl.Series, np.ndarray]:
    """Random orders (with repeats) for a defect table: (row indices, ids, n)."""
    n = int(len(purchased) * rate)
    rows = rng.integers(0, len(purchased), size=n)
    return rows, order_ids.gather(rows), n


def generate(
    *, orders: int, sellers: int, days: int, end: date, seed: int = 1
) -> dict[str, pl.DataFrame]:
    """The tables ``orders, feedback, claims, chargebacks`` as polars frames.

    Purchases fall in the ``days`` days ending on ``end`` (included); later events (ship,
    delivery, feedback, claims) may fall after ``end``.
    """
    rng = np.random.default_rng(seed)
    n = orders
    weights = rng.lognormal(0.0, 1.0, size=sellers)
    seller = rng.choice(sellers, size=n, p=weights / weights.sum())
    width = len(str(sellers))
    seller_ids = pl.Series(seller).cast(pl.String).str.zfill(width)
    seller_ids = pl.select(pl.lit("S") + seller_ids).to_series()
    order_ids = pl.select(
        pl.lit("O") + pl.Series(np.arange(n)).cast(pl.String).str.zfill(len(str(n)))
    ).to_series()
    # One marketplace in five sellers also sells in CA; a fifth of its orders go there.
    also_ca = rng.random(sellers) < 0.2
    in_ca = also_ca[seller] & (rng.random(n) < 0.2)
    marketplace = _pick(rng, ["US", "CA"], [1.0, 0.0], n, ~in_ca).fill_null("CA")
    mfn = rng.random(n) < 0.45
    channel = _pick(rng, ["afn", "mfn"], [1.0, 0.0], n, ~mfn).fill_null("mfn")

    start_us = int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp()) * _US
    start_us -= (days - 1) * _DAY
    purchased = start_us + rng.integers(0, days * _DAY, size=n)

    handling = rng.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15])
    # Ship-by: end of the handling day (23:59:59), as Amazon sets it.
    latest_ship = (purchased // _DAY + handling) * _DAY + _DAY - _US
    has_latest = mfn & (rng.random(n) < 0.98)

    cancelled = rng.random(n) < 0.02
    cancelled_at = purchased + rng.integers(10 * 60 * _US, 3 * _DAY, size=n)
    cancelled_by = _pick(
        rng, ["seller", "buyer", "amazon", None], [0.45, 0.4, 0.1, 0.05], n, cancelled
    )
    # Ship delay: 96 % of mfn orders ship before the ship-by, the rest up to 3 days late;
    # afn ships within hours.
    on_time = rng.random(n) < 0.96
    delay = np.where(
        mfn,
        np.where(
            on_time,
            (rng.random(n) * (latest_ship - purchased)).astype(np.int64),
            latest_ship - purchased + rng.integers(_US, 3 * _DAY, size=n),
        ),
        rng.gamma(2.0, 3 * _HOUR, size=n).astype(np.int64),
    )
    shipped_at = purchased + delay
    shipped = (~cancelled | (rng.random(n) < 0.15)) & (rng.random(n) < 0.985)
    # Some ship exactly at the ship-by instant or one second after it.
    exact = mfn & (rng.random(n) < 0.01)
    shipped_at = np.where(exact, latest_ship + rng.integers(0, 2, size=n) * _US, shipped_at)
    promised = (purchased // _DAY + handling + rng.integers(2, 7, size=n)) * _DAY + 22 * _HOUR
    has_promised = rng.random(n) < 0.97
    delivered = shipped & (rng.random(n) < 0.93)
    delivered_at = shipped_at + rng.gamma(2.0, 0.7 * _DAY, size=n).astype(np.int64)
    tracking = _pick(rng, ["true", "false", None], [0.95, 0.025, 0.025], n)
    is_business = rng.random(n) < 0.1
    uploaded = is_business & shipped & (rng.random(n) < 0.9)
    uploaded_at = shipped_at + rng.exponential(0.5 * _DAY, size=n).astype(np.int64)

    orders_df = pl.DataFrame(
        {
            "order_id": order_ids,
            "seller_id": seller_ids,
            "marketplace": marketplace,
            "channel": channel,
            "purchased_at": _ts(purchased),
            "latest_ship_at": _ts(latest_ship, has_latest),
            "shipped_at": _ts(shipped_at, shipped),
            "promised_delivery_at": _ts(promised, has_promised & mfn),
            "delivered_at": _ts(delivered_at, delivered),
            "tracking_valid": tracking == "true",
            "cancelled_at": _ts(cancelled_at, cancelled),
            "cancelled_by": cancelled_by,
            "is_business": is_business,
            "invoice_uploaded_at": _ts(uploaded_at, uploaded),
            "units": rng.integers(1, 4, size=n),
        }
    )

    rows, ids, k = _defects(rng, purchased, order_ids, 0.08)
    left = purchased[rows] + rng.integers(2 * _DAY, 40 * _DAY, size=k)
    rating = rng.choice([1, 2, 3, 4, 5], size=k, p=[0.08, 0.05, 0.07, 0.2, 0.6])
    removed = (rating <= 2) & (rng.random(k) < 0.25)
    feedback = pl.DataFrame(
        {
            "feedback_id": pl.Series(np.arange(k)).cast(pl.String),
            "order_id": ids,
            "rating": rating,
            "left_at": _ts(left),
            "removed_at": _ts(left + rng.integers(_HOUR, 30 * _DAY, size=k), removed),
            "removal": _pick(
                rng,
                ["buyer_removed", "amazon_removed", "struck_through"],
                [0.5, 0.3, 0.2],
                k,
                removed,
            ),
        }
    )

    rows, ids, k = _defects(rng, purchased, order_ids, 0.007)
    filed = purchased[rows] + rng.integers(3 * _DAY, 60 * _DAY, size=k)
    outcome = _pick(
        rng,
        ["pending", "granted", "denied", "withdrawn", "protected"],
        [0.2, 0.35, 0.25, 0.12, 0.08],
        k,
    )
    resolved = (outcome != "pending").to_numpy()
    claims = pl.DataFrame(
        {
            "claim_id": pl.Series(np.arange(k)).cast(pl.String),
            "order_id": ids,
            "filed_at": _ts(filed),
            "outcome": outcome,
            "resolved_at": _ts(filed + rng.integers(_HOUR, 25 * _DAY, size=k), resolved),
        }
    )

    rows, ids, k = _defects(rng, purchased, order_ids, 0.003)
    filed = purchased[rows] + rng.integers(5 * _DAY, 70 * _DAY, size=k)
    outcome = _pick(rng, ["pending", "seller_lost", "seller_won"], [0.3, 0.4, 0.3], k)
    chargebacks = pl.DataFrame(
        {
            "chargeback_id": pl.Series(np.arange(k)).cast(pl.String),
            "order_id": ids,
            "filed_at": _ts(filed),
            "kind": _pick(rng, ["service", "fraud"], [0.7, 0.3], k),
            "outcome": outcome,
            "resolved_at": _ts(
                filed + rng.integers(_DAY, 40 * _DAY, size=k), (outcome != "pending").to_numpy()
            ),
        }
    )
    return {"orders": orders_df, "feedback": feedback, "claims": claims, "chargebacks": chargebacks}


def write(tables: dict[str, pl.DataFrame], out: Path, *, fmt: str = "parquet") -> None:
    """Write each table as ``<out>/<table>.<fmt>``."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "parquet":
            frame.write_parquet(out / f"{name}.parquet")
        else:
            frame.write_csv(out / f"{name}.csv")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--sellers", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2025, 6, 30))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    args = parser.parse_args(argv)
    tables = generate(
        orders=args.orders, sellers=args.sellers, days=args.days, end=args.end, seed=args.seed
    )
    write(tables, args.out, fmt=args.format)


if __name__ == "__main__":
    main()
