"""The DuckDB baseline (tests/oracles/duckdb_metrics.py) against a naive per-date oracle.

Three layers, so that every side can fail: hand-computed numbers written as literals
(checked against both the SQL and the brute force), the SQL against the brute force on
hand-built data covering every window edge, and on seeded random data; plus the two SQL
plans (one scan per date, +1/-1 events over a range) against each other.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.oracles import duckdb_metrics
from tests.oracles.bruteforce import bruteforce_metrics as naive_metrics
from tests.oracles.duckdb_metrics import OUTPUT_COLUMNS
from tests.oracles.duckdb_sql import RANK
from toolkit.model.data import dataset_from_frames
from toolkit.model.policy import load_policy

D = date.fromisoformat
KEYS = ["seller_id", "marketplace", "channel", "metric", "as_of"]


def bruteforce_metrics(*args, **kwargs) -> pl.DataFrame:
    """The naive oracle on the metrics the SQL computes (definitions section 4; not those of definitions section 12)."""
    return naive_metrics(*args, **kwargs).filter(pl.col("metric").is_in(list(RANK)))


# Orders columns with their defaults (strings, as in a CSV file; "" = empty cell).
ORDER_COLUMNS = {
    "order_id": "",
    "seller_id": "",
    "marketplace": "US",
    "channel": "mfn",
    "purchased_at": "",
    "latest_ship_at": "",
    "shipped_at": "",
    "promised_delivery_at": "",
    "delivered_at": "",
    "tracking_valid": "",
    "cancelled_at": "",
    "cancelled_by": "",
    "is_business": "false",
    "invoice_uploaded_at": "",
}


def order(order_id: str, seller: str, purchased: str, **columns: str) -> dict[str, str]:
    return {
        **ORDER_COLUMNS,
        "order_id": order_id,
        "seller_id": seller,
        "purchased_at": purchased,
        **columns,
    }


def frame(rows: list[dict[str, str]]) -> pl.DataFrame:
    """A frame of strings; empty cells become nulls, as when a CSV file is read."""
    table = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String), orient="row")
    return table.with_columns(pl.all().replace("", None))


def write_dir(path: Path, tables: dict[str, pl.DataFrame], fmt: str) -> Path:
    """Write a data directory: CSV as given, Parquet typed by the toolkit reader."""
    path.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        for name, table in tables.items():
            table.write_csv(path / f"{name}.csv")
        return path
    data = dataset_from_frames(**tables)
    for name in tables:
        data.table(name).collect().write_parquet(path / f"{name}.parquet")
    return path


# --------------------------------------------------------------------------- edge data
# One seller per topic, so that each literal below isolates one rule.


def edge_tables() -> dict[str, pl.DataFrame]:
    orders = [
        # ODR window at 2025-05-20: purchase dates 03-08 .. 05-06.
        order("E1", "odr_edges", "2025-03-07T23:59:59", channel="afn"),
        order("E2", "odr_edges", "2025-03-08T00:00:00", channel="afn"),
        order("E3", "odr_edges", "2025-05-06T23:59:59", channel="afn"),
        order("E4", "odr_edges", "2025-05-07T00:00:00", channel="afn"),
    ]
    feedback = []
    for i, (left, rating, removed) in enumerate(
        [
            ("2025-03-20T23:50:00", 1, ""),  # F1: visible at midnight, counts from 03-21
            ("2025-03-20T23:30:00", 2, ""),  # F2: exactly on a boundary, counts 03-20
            ("2025-03-20T10:00:00", 3, ""),  # F3: neutral
            ("2025-03-18T12:00:00", 1, "2025-03-25T12:00:00"),  # F4: removed, stops 03-25
            ("2025-03-18T12:00:00", 1, "2025-03-25T23:45:00"),  # F5: removal visible 03-26
            ("2025-03-18T12:00:00", 2, ""),  # F6: a later 5 star does not cancel it
            ("2025-03-10T12:00:00", 1, ""),  # F7: before the lag ends: counts from 03-15
            ("2025-03-16T12:00:00", 1, ""),  # F8: removal kind without removed_at
            ("2025-03-12T12:00:00", 1, "2025-03-13T12:00:00"),  # F9: removed before it counts
        ],
        start=1,
    ):
        orders.append(order(f"F{i}", "fb", "2025-03-01T10:00:00", channel="afn"))
        feedback.append(
            {
                "feedback_id": f"fb{i}",
                "order_id": f"F{i}",
                "rating": str(rating),
                "left_at": left,
                "removed_at": removed,
                "removal": "buyer_removed" if removed or i == 8 else "",
            }
        )
    feedback.append(
        {
            "feedback_id": "fb6b",
            "order_id": "F6",
            "rating": "5",
            "left_at": "2025-03-19T12:00:00",
            "removed_at": "",
            "removal": "",
        }
    )
    claims = []
    for i, (outcome, resolved) in enumerate(
        [
            ("pending", ""),
            ("granted", "2025-03-20T12:00:00"),
            ("denied", "2025-03-20T12:00:00"),  # stops 03-20
            ("withdrawn", "2025-03-21T23:40:00"),  # visible 03-22
            ("protected", "2025-03-19T00:00:00"),  # exactly midnight: stops 03-19
        ],
        start=1,
    ):
        orders.append(order(f"C{i}", "claims", "2025-03-01T10:00:00", channel="afn"))
        claims.append(
            {
                "claim_id": f"cl{i}",
                "order_id": f"C{i}",
                "filed_at": "2025-03-16T12:00:00",
                "outcome": outcome,
                "resolved_at": resolved,
            }
        )
    chargebacks = []
    for i, (kind, outcome, resolved) in enumerate(
        [
            ("service", "seller_won", "2025-03-20T12:00:00"),  # stops 03-20
            ("service", "seller_lost", "2025-03-20T12:00:00"),
            ("fraud", "pending", ""),  # never counts
            ("service", "pending", ""),
        ],
        start=1,
    ):
        orders.append(order(f"B{i}", "cb", "2025-03-01T10:00:00", channel="afn"))
        chargebacks.append(
            {
                "chargeback_id": f"cb{i}",
                "order_id": f"B{i}",
                "filed_at": "2025-03-16T12:00:00",
                "kind": kind,
                "outcome": outcome,
                "resolved_at": resolved,
            }
        )
    # Several defects on one order; two separate spells of negative feedback on another.
    orders += [
        order("M1", "multi", "2025-03-01T10:00:00"),
        order("M2", "multi", "2025-03-01T10:00:00"),
    ]
    feedback += [
        {
            "feedback_id": "m1",
            "order_id": "M1",
            "rating": "1",
            "left_at": "2025-03-16T12:00:00",
            "removed_at": "",
            "removal": "",
        },
        {
            "feedback_id": "m2a",
            "order_id": "M2",
            "rating": "1",
            "left_at": "2025-03-16T12:00:00",
            "removed_at": "2025-03-18T12:00:00",
            "removal": "amazon_removed",
        },
        {
            "feedback_id": "m2b",
            "order_id": "M2",
            "rating": "2",
            "left_at": "2025-03-20T12:00:00",
            "removed_at": "",
            "removal": "",
        },
    ]
    claims.append(
        {
            "claim_id": "m1",
            "order_id": "M1",
            "filed_at": "2025-03-17T12:00:00",
            "outcome": "granted",
            "resolved_at": "2025-03-18T12:00:00",
        }
    )
    chargebacks.append(
        {
            "chargeback_id": "m1",
            "order_id": "M1",
            "filed_at": "2025-03-17T12:00:00",
            "kind": "service",
            "outcome": "pending",
            "resolved_at": "",
        }
    )
    # Late shipment: ship-by 03-10 23:59:59, 15 min cadence for shipments.
    ship_by = "2025-03-10T23:59:59"
    for oid, extra in [
        ("L1", {"shipped_at": ship_by}),  # on time, but visible only on 03-11
        ("L2", {"shipped_at": "2025-03-11T00:00:00"}),  # one second late
        ("L3", {}),  # never shipped
        ("L4", {"shipped_at": "2025-03-09T12:00:00"}),  # early
        ("L5", {"cancelled_at": "2025-03-09T12:00:00", "cancelled_by": "buyer"}),
        ("L6", {"cancelled_at": "2025-03-12T10:00:00", "cancelled_by": "seller"}),
        ("L7", {"cancelled_at": "2025-03-10T23:50:00", "cancelled_by": "amazon"}),
    ]:
        orders.append(order(oid, "lsr", "2025-03-08T10:00:00", latest_ship_at=ship_by, **extra))
    # Cancellation rate: purchases on 03-10 (window 7 days, no lag).
    for oid, at, by in [
        ("K1", "2025-03-10T12:00:00", "seller"),
        ("K2", "2025-03-10T12:00:00", "amazon"),
        ("K3", "2025-03-10T12:00:00", "buyer"),
        ("K4", "2025-03-10T12:00:00", ""),  # cancelled, nobody named: not counted
        ("K5", "", "seller"),  # cancelled_by without cancelled_at: not cancelled
        ("K6", "", ""),
    ]:
        orders.append(order(oid, "cancel", "2025-03-10T10:00:00", cancelled_at=at, cancelled_by=by))
    orders.append(order("K7", "cancel", "2025-03-16T23:55:00"))  # visible on 03-17
    # Tracking and delivery: promised 03-05 20:00 (vtr: D 03-19..04-17; otdr: 03-12..03-25).
    promise = "2025-03-05T20:00:00"
    for oid, extra in [
        ("V1", {"tracking_valid": "true", "delivered_at": promise}),  # exactly on time
        ("V2", {"tracking_valid": "true", "delivered_at": "2025-03-05T20:00:01"}),  # 1 s late
        ("V3", {"tracking_valid": "true"}),  # not delivered
        ("V4", {"tracking_valid": "false", "delivered_at": "2025-03-04T10:00:00"}),
        ("V5", {"delivered_at": "2025-03-04T10:00:00"}),  # empty tracking_valid
        (
            "V7",
            {
                "tracking_valid": "true",
                "delivered_at": "2025-03-04T10:00:00",
                "cancelled_at": "2025-03-03T10:00:00",
                "cancelled_by": "buyer",
            },
        ),
    ]:
        orders.append(
            order(
                oid,
                "delivery",
                "2025-03-01T10:00:00",
                shipped_at="2025-03-02T10:00:00",
                promised_delivery_at=promise,
                **extra,
            )
        )
    orders += [
        order(
            "V6",
            "delivery",
            "2025-03-01T10:00:00",
            promised_delivery_at=promise,
            tracking_valid="true",
        ),  # never shipped
        order(
            "V8",
            "delivery",
            "2025-03-01T10:00:00",
            promised_delivery_at=promise,
            shipped_at="2025-03-19T23:50:00",
            tracking_valid="true",
            delivered_at="2025-03-21T10:00:00",
        ),  # shipment visible on 03-20
    ]
    # Visibility edges that only matter with short lags.
    orders += [
        order("X1", "edge_cases", "2025-03-10T23:55:00", latest_ship_at="2025-03-10T23:59:59"),
        order(
            "X2",
            "edge_cases",
            "2025-03-01T10:00:00",
            shipped_at="2025-03-02T10:00:00",
            promised_delivery_at="2025-03-05T23:59:00",
            tracking_valid="true",
            delivered_at="2025-03-05T23:50:00",  # on time, scan visible on 03-06
        ),
    ]
    # Invoices: business orders bought Saturday 03-01 (window: D 03-08 .. 03-14).
    for oid, shipped, upload, extra in [
        ("I1", "2025-03-07T10:00:00", "", {}),  # Friday: deadline Monday 03-10
        ("I2", "2025-03-08T10:00:00", "", {}),  # Saturday: deadline Monday 03-10
        ("I3", "2025-03-06T10:00:00", "", {}),  # Thursday: deadline Friday 03-07
        ("I4", "2025-03-07T10:00:00", "2025-03-10T23:59:59", {}),  # at the deadline
        ("I5", "2025-03-07T10:00:00", "2025-03-11T00:00:00", {}),  # one second after
        ("I6", "2025-03-07T10:00:00", "2025-03-09T10:00:00", {}),  # early
        ("I7", "2025-03-09T10:00:00", "", {"channel": "afn"}),  # Sunday, afn
        ("I8", "2025-03-07T10:00:00", "", {"is_business": "false"}),  # not business
        ("I9", "", "", {}),  # never shipped
    ]:
        columns = {"is_business": "true", "shipped_at": shipped, "invoice_uploaded_at": upload}
        orders.append(order(oid, "idr", "2025-03-01T10:00:00", **{**columns, **extra}))
    return {
        "orders": frame(orders),
        "feedback": frame(feedback),
        "claims": frame(claims),
        "chargebacks": frame(chargebacks),
    }


EDGE_FIRST, EDGE_LAST = D("2025-03-05"), D("2025-05-25")


@pytest.fixture(scope="module")
def edge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dir(tmp_path_factory.mktemp("edge"), edge_tables(), "parquet")


@pytest.fixture(scope="module")
def edge_oracle(edge_dir: Path) -> pl.DataFrame:
    return bruteforce_metrics(edge_dir, as_of=EDGE_FIRST, to=EDGE_LAST)


@pytest.fixture(scope="module")
def edge_history(edge_dir: Path) -> pl.DataFrame:
    return duckdb_metrics.duckdb_metrics(edge_dir, as_of=EDGE_FIRST, to=EDGE_LAST)


def counts(
    table: pl.DataFrame, seller: str, metric: str, day: str, channel: str | None = None
) -> tuple[int, int]:
    row = table.filter(
        pl.col("seller_id") == seller, pl.col("metric") == metric, pl.col("as_of") == D(day)
    )
    if channel is not None:
        row = row.filter(pl.col("channel") == channel)
    assert row.height == 1, row
    return row.item(0, "numerator"), row.item(0, "denominator")


# (seller, metric, as-of, numerator, denominator, what it shows), worked out by hand from
# definitions section 4 for the edge data above.
# fmt: off
LITERALS = [
    ("odr_edges", "odr", "2025-05-20", 0, 2, "odr window includes its first and last day only"),
    ("odr_edges", "odr", "2025-05-21", 0, 2, "odr window one day later"),
    ("fb", "odr_negative_feedback", "2025-03-14", 0, 0, "orders wait out the 14 day lag"),
    ("fb", "odr_negative_feedback", "2025-03-15", 1, 9, "feedback before the lag counts once the order enters"),
    ("fb", "odr_negative_feedback", "2025-03-20", 6, 9, "feedback exactly on a boundary counts the same day, 23:50 does not"),
    ("fb", "odr_negative_feedback", "2025-03-21", 7, 9, "feedback left at 23:50 counts the next day"),
    ("fb", "odr_negative_feedback", "2025-03-25", 6, 9, "removal at noon stops the same day"),
    ("fb", "odr_negative_feedback", "2025-03-26", 5, 9, "removal at 23:45 stops the next day"),
    ("fb", "odr_negative_feedback", "2025-05-13", 5, 9, "last day of the window"),
    ("fb", "odr_negative_feedback", "2025-05-14", 0, 0, "orders leave after 60 days"),
    ("claims", "odr_claims", "2025-03-18", 5, 5, "every claim outcome counts from filing"),
    ("claims", "odr_claims", "2025-03-19", 4, 5, "protected at midnight stops that day"),
    ("claims", "odr_claims", "2025-03-20", 3, 5, "denied stops, granted keeps counting"),
    ("claims", "odr_claims", "2025-03-22", 2, 5, "withdrawn at 23:40 stops two days later"),
    ("cb", "odr_chargebacks", "2025-03-19", 3, 4, "fraud chargebacks never count"),
    ("cb", "odr_chargebacks", "2025-03-20", 2, 4, "a chargeback the seller won stops"),
    ("multi", "odr", "2025-03-17", 2, 2, "an order with three defects counts once"),
    ("multi", "odr_claims", "2025-03-17", 1, 2, "components count their own defects"),
    ("multi", "odr", "2025-03-18", 1, 2, "feedback removed: the order stops counting"),
    ("multi", "odr", "2025-03-20", 2, 2, "new feedback: the same order counts again"),
    ("lsr", "lsr_10d", "2025-03-09", 0, 0, "lsr attributes to the ship-by date"),
    ("lsr", "lsr_10d", "2025-03-10", 5, 6, "shipment on the deadline not yet visible is late"),
    ("lsr", "lsr_10d", "2025-03-11", 3, 5, "on time once visible; one second late stays late"),
    ("lsr", "lsr_10d", "2025-03-12", 2, 4, "a cancellation leaves the population"),
    ("lsr", "lsr_10d", "2025-03-19", 2, 4, "last day of the 10 day window"),
    ("lsr", "lsr_10d", "2025-03-20", 0, 0, "after the 10 day window"),
    ("lsr", "lsr_30d", "2025-03-20", 2, 4, "still in the 30 day window"),
    ("edge_cases", "lsr_10d", "2025-03-10", 0, 0, "ship-by on the day of a purchase not yet visible"),
    ("edge_cases", "lsr_10d", "2025-03-11", 1, 1, "that order joins lsr when its purchase shows"),
    ("cancel", "cancel_rate_7d", "2025-03-10", 2, 6, "seller and amazon cancellations count"),
    ("cancel", "cancel_rate_7d", "2025-03-16", 2, 6, "purchase at 23:55 is not visible yet"),
    ("cancel", "cancel_rate_7d", "2025-03-17", 0, 1, "purchase at 23:55 counts from the next day"),
    ("delivery", "vtr_30d", "2025-03-19", 4, 6, "empty or false tracking stays in the denominator"),
    ("delivery", "vtr_30d", "2025-03-20", 5, 7, "shipment at 23:50 joins the next day"),
    ("delivery", "otdr_14d", "2025-03-19", 2, 4, "delivered exactly at the promise is on time"),
    ("delivery", "otdr_14d", "2025-03-25", 2, 5, "last day of the otdr window"),
    ("delivery", "otdr_14d", "2025-03-26", 0, 0, "after the otdr window"),
    ("idr", "idr_7d", "2025-03-07", 0, 0, "idr waits out its 7 day lag"),
    ("idr", "idr_7d", "2025-03-08", 1, 6, "thursday shipment: deadline friday has passed"),
    ("idr", "idr_7d", "2025-03-09", 1, 7, "weekend: monday deadlines not passed"),
    ("idr", "idr_7d", "2025-03-10", 6, 7, "monday: upload at the deadline not yet visible"),
    ("idr", "idr_7d", "2025-03-11", 5, 7, "upload exactly at the deadline is on time"),
    ("idr", "idr_7d", "2025-03-14", 5, 7, "last day of the idr window"),
    ("idr", "idr_7d", "2025-03-15", 0, 0, "after the idr window"),
]
# fmt: on


@pytest.mark.parametrize(
    ("seller", "metric", "day", "numerator", "denominator"),
    [pytest.param(*row[:5], id=row[5]) for row in LITERALS],
)
def test_hand_computed_numbers(
    edge_history, edge_oracle, seller, metric, day, numerator, denominator
):
    expected = (numerator, denominator)
    assert counts(edge_history, seller, metric, day) == expected, "duckdb history"
    assert counts(edge_oracle, seller, metric, day) == expected, "brute force"


@pytest.mark.parametrize("day", sorted({row[2] for row in LITERALS}))
def test_hand_computed_numbers_one_date(edge_dir, day):
    table = duckdb_metrics.duckdb_metrics(edge_dir, as_of=D(day))
    for seller, metric, when, numerator, denominator, _ in LITERALS:
        if when == day:
            assert counts(table, seller, metric, day) == (numerator, denominator), (seller, metric)


def test_history_matches_brute_force_on_edges(edge_history, edge_oracle):
    assert_frame_equal(edge_history, edge_oracle)


def test_snapshot_matches_brute_force_on_every_edge_date(edge_dir, edge_oracle):
    days = [EDGE_FIRST + timedelta(days=i) for i in range((EDGE_LAST - EDGE_FIRST).days + 1)]
    snapshots = pl.concat(
        [duckdb_metrics.duckdb_metrics(edge_dir, as_of=day, method="snapshot") for day in days]
    )
    assert_frame_equal(snapshots.sort(KEYS), edge_oracle)


def test_rows_for_every_key_and_metric(edge_history):
    day = edge_history.filter(pl.col("as_of") == D("2025-03-20"))
    shape = day.group_by("channel").agg(pl.col("metric").unique().sort()).sort("channel")
    assert shape.to_dicts() == [
        {
            "channel": "afn",
            "metric": ["odr", "odr_chargebacks", "odr_claims", "odr_negative_feedback"],
        },
        {"channel": "all", "metric": ["idr_7d"]},
        {
            "channel": "mfn",
            "metric": [
                "cancel_rate_7d",
                "lsr_10d",
                "lsr_30d",
                "odr",
                "odr_chargebacks",
                "odr_claims",
                "odr_negative_feedback",
                "otdr_14d",
                "vtr_30d",
            ],
        },
    ]
    # idr_7d once per seller and marketplace, for sellers of either channel
    assert day.filter(pl.col("metric") == "idr_7d").height == 10
    assert edge_history.columns == list(OUTPUT_COLUMNS)
    assert edge_history.equals(edge_history.sort(KEYS))


def test_csv_and_parquet_give_the_same_table(tmp_path, edge_history):
    tables = edge_tables()
    # Same instants written with offsets, as naive text and with other boolean spellings.
    orders = tables["orders"].with_columns(
        pl.col("purchased_at").str.replace(r"^(2025-03-01)T10:00:00$", "2025-03-01T12:00:00+02:00"),
        pl.col("tracking_valid").replace({"true": "YES", "false": "0"}),
        pl.col("is_business").replace({"true": "t", "false": "F"}),
    )
    csv_dir = write_dir(tmp_path, {**tables, "orders": orders}, "csv")
    table = duckdb_metrics.duckdb_metrics(csv_dir, as_of=EDGE_FIRST, to=EDGE_LAST)
    assert_frame_equal(table, edge_history)


# ------------------------------------------------------------------------- random data


def random_tables(seed: int, *, orders: int = 240, sellers: int = 6) -> dict[str, pl.DataFrame]:
    """Small random data that lands on cadence boundaries and around midnight often."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-02-01T00:00:00", "s")
    minutes = np.array([0, 1, 15, 29, 30, 31, 45, 60 * 23 + 30, 60 * 23 + 50, 60 * 24 - 1])

    def instants(base: np.ndarray, max_days: int) -> np.ndarray:
        days = rng.integers(0, max_days + 1, size=base.size)
        within = np.where(
            rng.random(base.size) < 0.6,
            rng.choice(minutes, size=base.size) * 60 + rng.choice([0, 0, 1, 59], size=base.size),
            rng.integers(0, 86400, size=base.size),
        )
        day_start = base.astype("datetime64[D]").astype("datetime64[s]")
        return day_start + (days * 86400 + within).astype("timedelta64[s]")

    def text(values: np.ndarray, present: np.ndarray) -> list[str]:
        return [str(v) if p else "" for v, p in zip(values, present, strict=True)]

    n = orders
    purchased = instants(np.full(n, start), 50)
    mfn = rng.random(n) < 0.6
    shipped = rng.random(n) < 0.85
    ship_at = instants(purchased, 4)
    latest = purchased.astype("datetime64[D]") + rng.integers(1, 4, n) + np.timedelta64(86399, "s")
    promised = instants(purchased, 8)
    delivered_at = instants(ship_at, 6)
    upload_at = instants(ship_at, 5)
    cancelled = rng.random(n) < 0.15
    order_rows = [
        {
            "order_id": f"O{i}",
            "seller_id": f"S{rng.integers(0, sellers)}",
            "marketplace": "CA" if rng.random() < 0.2 else "US",
            "channel": "mfn" if mfn[i] else "afn",
            "purchased_at": str(purchased[i]),
            "latest_ship_at": str(latest[i]) if rng.random() < 0.9 else "",
            "shipped_at": str(ship_at[i]) if shipped[i] else "",
            "promised_delivery_at": str(promised[i]) if rng.random() < 0.9 else "",
            "delivered_at": str(delivered_at[i]) if shipped[i] and rng.random() < 0.8 else "",
            "tracking_valid": str(rng.choice(["true", "false", ""], p=[0.8, 0.1, 0.1])),
            "cancelled_at": str(instants(purchased[i : i + 1], 3)[0]) if cancelled[i] else "",
            "cancelled_by": str(rng.choice(["seller", "buyer", "amazon", ""])),
            "is_business": "true" if rng.random() < 0.4 else "false",
            "invoice_uploaded_at": str(upload_at[i]) if rng.random() < 0.7 else "",
        }
        for i in range(n)
    ]

    def defect_rows(rate: float, make) -> list[dict[str, str]]:
        picks = rng.integers(0, n, size=int(n * rate))
        return [make(j, int(i)) for j, i in enumerate(picks)]

    def resolved(filed: np.datetime64, present: bool) -> str:
        return str(max(filed, instants(np.array([filed]), 10)[0])) if present else ""

    def feedback_row(j: int, i: int) -> dict[str, str]:
        left = instants(purchased[i : i + 1], 30)[0]
        removed = rng.random() < 0.4
        return {
            "feedback_id": f"f{j}",
            "order_id": f"O{i}",
            "rating": str(rng.integers(1, 6)),
            "left_at": str(left),
            "removed_at": resolved(left, removed),
            "removal": str(rng.choice(["buyer_removed", "struck_through", ""])),
        }

    def claim_row(j: int, i: int) -> dict[str, str]:
        filed = instants(purchased[i : i + 1], 30)[0]
        outcome = str(rng.choice(["pending", "granted", "denied", "withdrawn", "protected"]))
        return {
            "claim_id": f"c{j}",
            "order_id": f"O{i}",
            "filed_at": str(filed),
            "outcome": outcome,
            "resolved_at": resolved(filed, outcome != "pending"),
        }

    def chargeback_row(j: int, i: int) -> dict[str, str]:
        filed = instants(purchased[i : i + 1], 30)[0]
        outcome = str(rng.choice(["pending", "seller_lost", "seller_won"]))
        return {
            "chargeback_id": f"b{j}",
            "order_id": f"O{i}",
            "filed_at": str(filed),
            "kind": str(rng.choice(["service", "fraud"])),
            "outcome": outcome,
            "resolved_at": resolved(filed, outcome != "pending"),
        }

    return {
        "orders": frame(order_rows),
        "feedback": frame(defect_rows(0.5, feedback_row)),
        "claims": frame(defect_rows(0.2, claim_row)),
        "chargebacks": frame(defect_rows(0.15, chargeback_row)),
    }


RANDOM_FIRST, RANDOM_LAST = D("2025-02-10"), D("2025-04-20")


@pytest.mark.parametrize(
    ("seed", "fmt"),
    [
        pytest.param(1, "parquet", id="seed 1 parquet"),
        pytest.param(2, "csv", id="seed 2 csv"),
        pytest.param(3, "parquet", id="seed 3 parquet"),
    ],
)
def test_random_data_matches_brute_force(tmp_path, seed, fmt):
    data_dir = write_dir(tmp_path, random_tables(seed), fmt)
    oracle = bruteforce_metrics(data_dir, as_of=RANDOM_FIRST, to=RANDOM_LAST)
    assert oracle.filter(pl.col("numerator") > 0).height > 500, "the data exercises little"
    history = duckdb_metrics.duckdb_metrics(data_dir, as_of=RANDOM_FIRST, to=RANDOM_LAST)
    assert_frame_equal(history, oracle)
    for day in (RANDOM_FIRST, D("2025-03-08"), D("2025-03-09"), D("2025-03-10"), RANDOM_LAST):
        snapshot = duckdb_metrics.duckdb_metrics(data_dir, as_of=day)
        assert_frame_equal(snapshot, oracle.filter(pl.col("as_of") == day))


def test_history_on_a_single_date_equals_the_snapshot(tmp_path):
    data_dir = write_dir(tmp_path, random_tables(4), "parquet")
    day = D("2025-03-15")
    history = duckdb_metrics.duckdb_metrics(data_dir, as_of=day, to=day, method="history")
    assert_frame_equal(history, duckdb_metrics.duckdb_metrics(data_dir, as_of=day))


# --------------------------------------------------------------------- options, errors


def test_policy_switch_keeps_won_chargebacks(edge_dir):
    policy = replace(load_policy(), chargeback_won_removes=False)
    day = D("2025-03-20")
    table = duckdb_metrics.duckdb_metrics(edge_dir, as_of=day, to=day, policy=policy)
    assert counts(table, "cb", "odr_chargebacks", "2025-03-20") == (3, 4)
    assert_frame_equal(table, bruteforce_metrics(edge_dir, as_of=day, policy=policy))


def test_policy_windows_lags_and_cadences_are_used(edge_dir):
    base = load_policy()
    lsr = replace(base.metric("lsr_10d"), window_days=2)
    otdr = replace(base.metric("otdr_14d"), lag_days=0)
    policy = replace(
        base,
        metrics={**base.metrics, "lsr_10d": lsr, "otdr_14d": otdr},
        cadence_minutes={**base.cadence_minutes, "feedback": 0},
    )
    days = {"as_of": D("2025-03-01"), "to": D("2025-03-22")}
    table = duckdb_metrics.duckdb_metrics(edge_dir, **days, policy=policy)
    assert_frame_equal(table, bruteforce_metrics(edge_dir, **days, policy=policy))
    for day in ("2025-03-05", "2025-03-06", "2025-03-12"):
        snapshot = duckdb_metrics.duckdb_metrics(edge_dir, as_of=D(day), policy=policy)
        assert_frame_equal(snapshot, table.filter(pl.col("as_of") == D(day)))
    assert counts(table, "lsr", "lsr_10d", "2025-03-12") == (0, 0)
    assert counts(table, "fb", "odr_negative_feedback", "2025-03-20") == (7, 9)
    # without the lag, an on-time delivery counts only once its scan is visible
    assert counts(table, "edge_cases", "otdr_14d", "2025-03-05") == (0, 1)
    assert counts(table, "edge_cases", "otdr_14d", "2025-03-06") == (1, 1)


def test_missing_optional_tables_and_columns(tmp_path):
    orders = frame(
        [
            {
                "order_id": "A",
                "seller_id": "S",
                "channel": "mfn",
                "purchased_at": "2025-03-01T10:00:00",
            },
            {
                "order_id": "B",
                "seller_id": "S",
                "channel": "afn",
                "purchased_at": "2025-03-02T10:00:00",
            },
        ]
    )
    data_dir = write_dir(tmp_path, {"orders": orders}, "csv")
    table = duckdb_metrics.duckdb_metrics(data_dir, as_of=D("2025-03-20"), to=D("2025-03-21"))
    assert_frame_equal(
        table, bruteforce_metrics(data_dir, as_of=D("2025-03-20"), to=D("2025-03-21"))
    )
    assert table.height == 2 * (9 + 4 + 1)
    assert counts(table, "S", "odr", "2025-03-20", "mfn") == (0, 1)
    assert counts(table, "S", "odr", "2025-03-20", "afn") == (0, 1)
    assert table.filter(pl.col("metric") == "lsr_10d").get_column("rate").is_null().all()


def test_parquet_from_another_writer(tmp_path):
    """Naive and non-UTC timestamps, empty and missing marketplaces, integer booleans."""
    when = [datetime(2025, 3, 1, 23, 50), datetime(2025, 3, 2, 10, 0), datetime(2025, 3, 3, 0, 10)]
    pl.DataFrame(
        {
            "order_id": ["A", "B", "C"],
            "seller_id": ["S", "S", "S"],
            "marketplace": ["", None, "CA"],
            "channel": ["mfn", "mfn", "mfn"],
            "purchased_at": when,  # naive: read as UTC
            "latest_ship_at": pl.Series(when).dt.replace_time_zone("UTC") + timedelta(days=1),
            "shipped_at": pl.Series(when)
            .dt.replace_time_zone("UTC")
            .dt.convert_time_zone("Asia/Tokyo")
            + timedelta(hours=20),  # on time, but wrong if read as local time
            "is_business": [1, 0, 1],
        }
    ).write_parquet(tmp_path / "orders.parquet")
    days = {"as_of": D("2025-03-01"), "to": D("2025-03-12")}
    table = duckdb_metrics.duckdb_metrics(tmp_path, **days)
    assert_frame_equal(table, bruteforce_metrics(tmp_path, **days))
    assert table.get_column("marketplace").unique().sort().to_list() == ["CA", "US"]
    us = table.filter(pl.col("marketplace") == "US")
    assert counts(us, "S", "lsr_10d", "2025-03-03") == (0, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"to": D("2025-03-01")}, "before", id="range ending before it starts"),
        pytest.param(
            {"to": D("2025-03-05"), "method": "snapshot"}, "does not fit", id="snapshot of a range"
        ),
        pytest.param({"method": "fast"}, "does not fit", id="unknown method"),
    ],
)
def test_bad_arguments(edge_dir, kwargs, message):
    with pytest.raises(ValueError, match=message):
        duckdb_metrics.duckdb_metrics(edge_dir, as_of=D("2025-03-02"), **kwargs)
