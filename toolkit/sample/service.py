"""Return requests, buyer messages and product reviews of the personas (private to the sample).

definitions section 12's tables, drawn after the orders exist from a generator stream of their own (spawn
key ``(0, 2)``), so every other table keeps its bytes. Per persona order, vectorised:

- a **return request** for 2.5 % of the delivered seller-fulfilled orders, 1 to 20 days
  after the delivery; the seller answers after a log-normal delay (median 8 hours, so about
  4 % after more than 48 hours) and 1 % never; 90 % are in policy; an in-policy request is
  refunded (55 %), authorised (40 %), closed (3 %) or rejected (2 %), an out-of-policy one
  rejected half the time; 40 % of buyers answer "was your return resolved?", 8 % of them no;
- a **buyer message** for 4 % of the orders (both channels), 0 to 8 days after the
  purchase, and about one a month about no order; the reply comes after a log-normal delay
  (median 4 hours, about 4 % after more than 24 hours), 1 % never; messages about no order
  come from the seller's first order on;
- a **product review** for 3 % of the delivered orders (both channels), 3 to 30 days after
  the delivery, of one of the persona's five products: 1 to 5 stars with shares 4, 4, 8, 24
  and 60 %; one review in twelve is not a verified purchase.

What would happen after the end of the sample is not in it (a request with an answer still
to come is open: no ``responded_at``, no outcome, no buyer answer). Two stories change the
background (``data/sample/README.md``):

- ``S09-new-seller`` answers buyers slowly while it learns the job: a quarter of its orders
  bring a message and the median reply takes 20 hours;
- ``S10-disputes``, which disputes everything, also rejects 40 % of the in-policy return
  requests of its buyers (and gets twice the returns).

Generated sellers (benchmarks) get none of these tables.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from toolkit.model.schema import TABLES
from toolkit.sample.frames import asins, timestamps

__all__ = ["SERVICE_STORIES", "service_frames"]

_DAY = 86_400
_HOUR = 3_600
_BACKGROUND = {
    "p_return": 0.025,
    "respond_hours": 8.0,  # median delay of the seller's answer to a return request
    "p_rejected_in_policy": 0.02,
    "p_message": 0.04,
    "reply_hours": 4.0,  # median delay of a reply to a buyer message
    "reply_sigma": 1.0,
    "p_review": 0.03,
}
#: The personas whose stories change the background.
SERVICE_STORIES: dict[str, dict[str, float]] = {
    "S09-new-seller": {"p_message": 0.25, "reply_hours": 20.0, "reply_sigma": 0.8},
    "S10-disputes": {"p_return": 0.05, "p_rejected_in_policy": 0.40},
}
_STARS = np.array([0.04, 0.04, 0.08, 0.24, 0.60])
_PRODUCTS = 5


def _params(sellers: pl.Series) -> dict[str, np.ndarray]:
    """Each background parameter per row of ``sellers``."""
    return {
        name: np.array([SERVICE_STORIES.get(s, {}).get(name, value) for s in sellers])
        for name, value in _BACKGROUND.items()
    }


def _seconds(column: pl.Series) -> np.ndarray:
    return column.dt.epoch("s").to_numpy().astype(np.float64)


def _cut(seconds: np.ndarray, end: float) -> np.ndarray:
    """NaN where the event would come after the end of the sample."""
    return np.where(seconds < end, seconds, np.nan)


def _returns(rng, orders: pl.DataFrame, end: float) -> pl.DataFrame:
    eligible = orders.filter(pl.col("channel") == "mfn", pl.col("delivered_at").is_not_null())
    p = _params(eligible["seller_id"])
    chosen = rng.random(eligible.height) < p["p_return"]
    rows = eligible.filter(pl.Series(chosen))
    p = {name: values[chosen] for name, values in p.items()}
    n = rows.height
    requested = np.floor(_seconds(rows["delivered_at"]) + rng.uniform(1, 20, n) * _DAY)
    delay = np.exp(rng.normal(np.log(p["respond_hours"] * _HOUR), 1.0, n))
    answered = np.where(rng.random(n) < 0.01, np.nan, np.floor(requested + delay))
    answered = _cut(answered, end)
    in_policy = rng.random(n) < 0.9
    draw = rng.random(n)
    rejected_share = np.where(in_policy, p["p_rejected_in_policy"], 0.5)
    rest = 1 - rejected_share  # split over refunded, authorized, closed
    outcome = np.select(
        [
            draw < rejected_share,
            draw < rejected_share + rest * np.where(in_policy, 0.55 / 0.98, 0.2),
            draw < rejected_share + rest * np.where(in_policy, 0.95 / 0.98, 0.6),
        ],
        ["rejected", "refunded", "authorized"],
        "closed",
    )
    said = rng.random(n)  # below 0.4: the buyer answered; below 0.032 (8 % of them): no
    answered_now = pl.col("responded_at").is_not_null()
    return (
        pl.DataFrame(
            {
                "seller_id": rows["seller_id"],
                "order_id": rows["order_id"],
                "requested_at": timestamps(requested),
                "responded_at": timestamps(answered),
                "in_policy": in_policy,
                "_outcome": outcome,
                "_said": said,
            }
        )
        .with_columns(
            outcome=pl.when(answered_now).then(pl.col("_outcome")),
            buyer_resolved=pl.when(answered_now & (pl.col("_said") < 0.4)).then(
                pl.col("_said") >= 0.4 * 0.08
            ),
        )
        .filter(pl.Series(requested < end))
    )


def _messages(rng, orders: pl.DataFrame, sellers: list[str], end: float):
    p = _params(orders["seller_id"])
    chosen = rng.random(orders.height) < p["p_message"]
    rows = orders.filter(pl.Series(chosen))
    hours, sigma = p["reply_hours"][chosen], p["reply_sigma"][chosen]
    received = np.floor(_seconds(rows["purchased_at"]) + rng.uniform(0, 8, rows.height) * _DAY)
    # about one message a month per seller about no order, from its first order on (none
    # for a seller without orders)
    first = pl.DataFrame({"seller_id": sellers}).join(
        orders.group_by("seller_id").agg(pl.col("purchased_at").min()),
        on="seller_id",
        how="left",
        maintain_order="left",
    )
    start = np.nan_to_num(_seconds(first["purchased_at"]), nan=end)
    loose = rng.poisson((end - start) / (30 * _DAY))
    owner = np.repeat(np.arange(len(sellers)), loose)
    loose_at = np.floor(rng.uniform(start[owner], end))
    loose_p = _params(pl.Series(sellers).gather(owner))
    received = np.concatenate([received, loose_at])
    hours = np.concatenate([hours, loose_p["reply_hours"]])
    sigma = np.concatenate([sigma, loose_p["reply_sigma"]])
    n = received.size
    delay = np.exp(rng.normal(np.log(hours * _HOUR), sigma, n))
    replied = np.where(rng.random(n) < 0.01, np.nan, np.floor(received + delay))
    frame = pl.DataFrame(
        {
            "seller_id": pl.concat([rows["seller_id"], pl.Series(sellers).gather(owner)]),
            "marketplace": pl.concat(
                [rows["marketplace"], pl.repeat("US", owner.size, eager=True)]
            ),
            "received_at": timestamps(received),
            "replied_at": timestamps(_cut(replied, end)),
            "order_id": pl.concat(
                [rows["order_id"], pl.repeat(None, owner.size, dtype=pl.String, eager=True)]
            ),
        }
    )
    return frame.filter(pl.Series(received < end))


def _reviews(rng, orders: pl.DataFrame, sellers: list[str], end: float) -> pl.DataFrame:
    delivered = orders.filter(pl.col("delivered_at").is_not_null())
    p = _params(delivered["seller_id"])
    chosen = rng.random(delivered.height) < p["p_review"]
    rows = delivered.filter(pl.Series(chosen))
    n = rows.height
    written = np.floor(_seconds(rows["delivered_at"]) + rng.uniform(3, 30, n) * _DAY)
    product = rng.integers(0, _PRODUCTS, n)
    number = {s: i for i, s in enumerate(sellers)}
    code = rows["seller_id"].replace_strict(number, return_dtype=pl.Int64).to_numpy()
    frame = pl.DataFrame(
        {
            "seller_id": rows["seller_id"],
            "marketplace": rows["marketplace"],
            "asin": asins(7_000_000 + code * 100 + product),
            "reviewed_at": timestamps(written),
            "stars": rng.choice(np.arange(1, 6), n, p=_STARS).astype(np.int64),
            "verified": rng.random(n) >= 1 / 12,
        }
    )
    return frame.filter(pl.Series(written < end))


def _numbered(frame: pl.DataFrame, table: str, prefix: str, order: list[str], sellers: list[str]):
    """Sorted by seller (persona order), time and order, then numbered ``prefix00000001`` ..,
    the columns of ``table`` in schema order."""
    rank = pl.col("seller_id").replace_strict({s: i for i, s in enumerate(sellers)})
    number = pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8)
    return (
        frame.sort(rank, *order, maintain_order=True)
        .with_columns(pl.format("{}{}", pl.lit(prefix), number).alias(TABLES[table].key))
        .select(TABLES[table].names)
    )


def service_frames(
    orders: pl.DataFrame, sellers: list[str], *, seed: int, end: date
) -> dict[str, pl.DataFrame]:
    """``returns``, ``messages`` and ``reviews`` of the personas ``sellers`` (each with at
    least one order) from their (finished) ``orders``, cut at the end of ``end``."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0, 2))))
    cut = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC).timestamp()
    returns = _returns(rng, orders, cut)
    messages = _messages(rng, orders, sellers, cut)
    reviews = _reviews(rng, orders, sellers, cut)
    return {
        "returns": _numbered(returns, "returns", "RT", ["requested_at", "order_id"], sellers),
        "messages": _numbered(messages, "messages", "MS", ["received_at", "order_id"], sellers),
        "reviews": _numbered(reviews, "reviews", "RV", ["reviewed_at", "asin"], sellers),
    }
