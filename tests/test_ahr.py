"""The AHR estimate (definitions section 6): fulfilled-order bonus, points, critical, clamps, bands."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.test_compliance import DET, violation
from toolkit.compliance.ahr import ahr_band, ahr_table, fulfilled_windows
from toolkit.model.data import dataset_from_frames
from toolkit.model.policy import load_policy

POLICY = load_policy()
_ORDER_COLUMNS = ("order_id", "seller_id", "marketplace", "channel", "purchased_at")
_ORDER_COLUMNS += ("shipped_at", "cancelled_at", "cancelled_by")


def orders(
    count: int,
    shipped: str | None,
    *,
    seller: str = "S1",
    marketplace: str = "US",
    channel: str = "mfn",
    prefix: str = "O",
    cancelled: str | None = None,
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "order_id": [f"{prefix}{i}" for i in range(count)],
            "seller_id": seller,
            "marketplace": marketplace,
            "channel": channel,
            "purchased_at": "2025-01-01T00:00:00Z",
            "shipped_at": shipped,
            "cancelled_at": cancelled,
            "cancelled_by": "buyer" if cancelled else None,
        },
        schema=dict.fromkeys(_ORDER_COLUMNS, pl.String),
    )


def dataset(order_frames=(), violations=(), *, validate: bool = True):
    """Validation is slow on tens of thousands of string rows; big synthetic frames skip it."""
    frames = {}
    if order_frames:
        frames["orders"] = pl.concat(order_frames)
    if violations:
        vcols = ("violation_id", "seller_id", "marketplace", "category", "severity")
        vcols += ("detected_at", "resolution", "resolved_at")
        frames["violations"] = pl.DataFrame(
            list(violations), schema=dict.fromkeys(vcols, pl.String)
        )
    return dataset_from_frames(validate=validate, **frames).collect()


def d(text: str) -> date:
    return date.fromisoformat(text)


def one(data, as_of: str, *, seller: str = "S1", policy=POLICY) -> dict:
    frame = ahr_table(data, as_of=d(as_of), policy=policy).filter(
        pl.col("seller_id") == seller, pl.col("marketplace") == "US"
    )
    rows = frame.collect().to_dicts()
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize(
    ("shipped", "estimate"),
    [
        pytest.param(0, 200, id="no orders: the start value"),
        pytest.param(199, 200, id="199 orders: no step yet"),
        pytest.param(200, 204, id="200 orders: one step"),
        pytest.param(399, 204, id="399 orders: still one step"),
        pytest.param(400, 208, id="400 orders: two steps"),
    ],
)
def test_fulfilled_order_bonus_steps(shipped, estimate):
    frames = [orders(shipped, "2025-03-01T10:00:00Z"), orders(5, None, prefix="U")]
    row = one(dataset(frames), "2025-03-10")
    assert (row["fulfilled_orders_180d"], row["ahr_estimate"], row["band"]) == (
        shipped,
        estimate,
        "healthy",
    )


@pytest.mark.parametrize(
    ("shipped", "as_of", "counted"),
    [
        pytest.param("2025-03-01T23:50:00Z", "2025-03-01", 0, id="shipped 23:50 not yet visible"),
        pytest.param("2025-03-01T23:50:00Z", "2025-03-02", 1, id="shipped 23:50 counts next day"),
        pytest.param("2025-03-01T23:45:00Z", "2025-03-01", 1, id="shipped on a 15 min boundary"),
        pytest.param("2025-03-01T10:00:00Z", "2025-08-27", 1, id="ship date is D-179"),
        pytest.param("2025-03-01T10:00:00Z", "2025-08-28", 0, id="ship date is D-180"),
        pytest.param("2025-03-01T23:50:00Z", "2025-08-27", 1, id="late shipment on D-179"),
        pytest.param("2025-03-02T10:00:00Z", "2025-03-01", 0, id="ship date after D"),
    ],
)
def test_fulfilled_orders_window_and_visibility(shipped, as_of, counted):
    row = one(dataset([orders(1, shipped)]), as_of)
    assert row["fulfilled_orders_180d"] == counted


def test_every_channel_and_cancelled_after_shipping_count():
    frames = [
        orders(1, "2025-03-01T10:00Z", channel="mfn", prefix="M"),
        orders(1, "2025-03-01T10:00Z", channel="afn", prefix="A"),
        orders(1, "2025-03-01T10:00Z", prefix="C", cancelled="2025-03-02T10:00Z"),
        orders(1, None, prefix="X", cancelled="2025-03-01T09:00Z"),
        orders(1, "2025-03-01T10:00Z", prefix="O", marketplace="CA"),
    ]
    row = one(dataset(frames), "2025-03-10")
    assert row["fulfilled_orders_180d"] == 3


def test_fulfilled_windows_rows():
    data = dataset([orders(2, "2025-03-01T23:50Z")])
    frame = fulfilled_windows(data.orders).collect()
    expected = pl.DataFrame(
        {
            "seller_id": ["S1", "S1"],
            "marketplace": ["US", "US"],
            "order_id": ["O0", "O1"],
            "counts_from": [d("2025-03-02"), d("2025-03-02")],
            "clears_on": [d("2025-08-28"), d("2025-08-28")],
        }
    )
    assert_frame_equal(frame.sort("order_id"), expected)


def test_repeat_doubling_lowers_the_estimate():
    violations = [
        violation("A1", "2025-01-05T10:00Z", severity="high"),
        violation("A2", "2025-01-06T10:00Z", severity="high"),
        violation("A3", "2025-01-07T10:00Z", severity="high"),
        violation("B1", "2025-01-07T10:00Z", severity="low", category="product_condition"),
    ]
    row = one(dataset(violations=violations), "2025-01-10")
    assert (row["active_violations"], row["points"], row["ahr_estimate"], row["band"]) == (
        4,
        8 + 16 + 32 + 2,
        142,
        "at_risk",
    )


def test_critical_violation_sets_the_estimate_to_zero_until_addressed():
    crit = violation(
        "C1", DET, severity="critical", resolution="appeal_accepted", resolved="2025-02-01T10:00Z"
    )
    data = dataset(
        [orders(41_000, "2025-01-09T10:00Z")],
        [crit, violation("L1", DET, severity="low")],
        validate=False,
    )
    during = one(data, "2025-01-31")
    after = one(data, "2025-02-01")
    pick = ("active_violations", "displayed_violations", "points", "ahr_estimate", "band")
    assert tuple(during[k] for k in pick) == (2, 2, 2, 0, "critical")
    assert tuple(after[k] for k in pick) == (1, 2, 2, 1000, "healthy")


@pytest.mark.parametrize(
    ("order_count", "highs", "expected"),
    [
        pytest.param(0, 5, (248, 0, "critical"), id="clamped at 0: 8+16+32+64+128 points"),
        pytest.param(40_000, 0, (0, 1000, "healthy"), id="40,000 orders reach exactly 1000"),
        pytest.param(41_000, 0, (0, 1000, "healthy"), id="41,000 orders clamp at 1000"),
        pytest.param(41_000, 1, (8, 1000, "healthy"), id="clamp applies after the points"),
        pytest.param(40_000, 1, (8, 992, "healthy"), id="below the clamp points count"),
    ],
)
def test_clamping(order_count, highs, expected):
    frames = [orders(order_count, "2025-01-09T10:00Z")] if order_count else []
    violations = [
        violation(f"H{i}", f"2025-01-0{i + 1}T10:00Z", severity="high") for i in range(highs)
    ]
    row = one(dataset(frames, violations, validate=order_count < 1000), "2025-01-10")
    assert (row["points"], row["ahr_estimate"], row["band"]) == expected


@pytest.mark.parametrize(
    ("resolution", "expected"),
    [
        pytest.param(None, (1, 1, 8, 192), id="open"),
        pytest.param("appeal_accepted", (0, 1, 0, 200), id="accepted appeal: shown, no points"),
        pytest.param("acknowledged", (0, 1, 0, 200), id="acknowledged: shown, no points"),
        pytest.param("action_taken", (0, 1, 0, 200), id="action taken: shown, no points"),
        pytest.param("appeal_rejected", (1, 1, 8, 192), id="rejected appeal: nothing changes"),
        pytest.param("disputed_error", (0, 0, 0, 200), id="upheld dispute: gone"),
    ],
)
def test_resolutions_and_the_estimate(resolution, expected):
    resolved = "2025-02-01T10:00Z" if resolution else None
    data = dataset(
        violations=[violation("V1", DET, severity="high", resolution=resolution, resolved=resolved)]
    )
    row = one(data, "2025-02-01")
    pick = ("active_violations", "displayed_violations", "points", "ahr_estimate")
    assert tuple(row[k] for k in pick) == expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2025-07-08", (1, 1, 192), id="last day of the display"),
        pytest.param("2025-07-09", (0, 0, 200), id="first day after the display"),
    ],
)
def test_points_end_with_the_display(as_of, expected):
    row = one(dataset(violations=[violation("V1", DET, severity="high")]), as_of)
    assert (row["active_violations"], row["displayed_violations"], row["ahr_estimate"]) == expected


def test_resolution_visible_on_the_detection_day_costs_nothing():
    v = violation(
        "V1", DET, severity="high", resolution="acknowledged", resolved="2025-01-10T23:00Z"
    )
    row = one(dataset(violations=[v]), "2025-01-10")
    assert (row["active_violations"], row["displayed_violations"], row["ahr_estimate"]) == (
        0,
        1,
        200,
    )


def test_detected_2350_lowers_the_estimate_the_next_day():
    data = dataset(violations=[violation("V1", "2025-01-09T23:50Z", severity="high")])
    frame = ahr_table(data, as_of=d("2025-01-09"), to=d("2025-01-10")).collect()
    assert frame["ahr_estimate"].to_list() == [200, 192]


def test_one_row_per_seller_and_marketplace_in_orders_or_violations():
    data = dataset(
        [
            orders(1, "2025-01-05T10:00Z", seller="S1"),
            orders(1, None, seller="S2", prefix="P"),
            orders(1, "2030-01-01T10:00Z", seller="S1", marketplace="CA", prefix="Q"),
        ],
        [violation("V1", "2025-01-05T10:00Z", seller="S3", marketplace="UK")],
    )
    frame = ahr_table(data, as_of=d("2025-01-05"), to=d("2025-01-06")).collect()
    expected = pl.DataFrame(
        {
            "seller_id": ["S1", "S1", "S1", "S1", "S2", "S2", "S3", "S3"],
            "marketplace": ["CA", "CA", "US", "US", "US", "US", "UK", "UK"],
            "as_of": [d("2025-01-05"), d("2025-01-06")] * 4,
            "fulfilled_orders_180d": [0, 0, 1, 1, 0, 0, 0, 0],
            "active_violations": [0, 0, 0, 0, 0, 0, 1, 1],
            "displayed_violations": [0, 0, 0, 0, 0, 0, 1, 1],
            "points": [0, 0, 0, 0, 0, 0, 4, 4],
            "ahr_estimate": [200, 200, 200, 200, 200, 200, 196, 196],
            "band": ["healthy"] * 6 + ["at_risk"] * 2,
        }
    )
    assert_frame_equal(frame, expected)


def test_numbers_come_from_the_policy():
    ahr = dict(POLICY.ahr, start=150, points_per_step=10, orders_per_step=5, repeat_multiplier=3)
    policy = replace(POLICY, ahr=ahr, severity_points={"low": 1, "medium": 2, "high": 3})
    violations = [violation("V1", DET, severity="low"), violation("V2", DET, severity="high")]
    row = one(dataset([orders(12, "2025-01-09T10:00Z")], violations), "2025-01-10", policy=policy)
    # 150 + 10 * floor(12 / 5) - (1 + 3 * 3) = 160
    assert (row["points"], row["ahr_estimate"], row["band"]) == (10, 160, "at_risk")


@pytest.mark.parametrize(
    ("score", "band"),
    [
        pytest.param(1000, "healthy", id="1000"),
        pytest.param(200, "healthy", id="200 is healthy"),
        pytest.param(199, "at_risk", id="199 is at risk"),
        pytest.param(100, "at_risk", id="100 is at risk"),
        pytest.param(99, "critical", id="99 is critical"),
        pytest.param(0, "critical", id="0"),
        pytest.param(None, None, id="null stays null"),
    ],
)
def test_bands(score, band):
    frame = pl.DataFrame({"s": [score]}, schema={"s": pl.Int64})
    assert frame.select(ahr_band(pl.col("s"))).item() == band


def test_output_columns_and_types():
    frame = ahr_table(dataset([orders(1, None)]), as_of=d("2025-01-10")).collect()
    assert frame.schema == pl.Schema(
        {
            "seller_id": pl.String,
            "marketplace": pl.String,
            "as_of": pl.Date,
            "fulfilled_orders_180d": pl.Int64,
            "active_violations": pl.Int64,
            "displayed_violations": pl.Int64,
            "points": pl.Int64,
            "ahr_estimate": pl.Int64,
            "band": pl.String,
        }
    )


def test_to_before_as_of_is_an_error():
    with pytest.raises(ValueError, match="before as_of"):
        ahr_table(dataset([orders(1, None)]), as_of=d("2025-01-10"), to=d("2025-01-01"))


# ------------------------------------------------------ what addressing one would give back


@pytest.mark.parametrize(
    ("violations", "expected"),
    [
        pytest.param(
            [
                violation("A1", "2025-01-05T10:00Z", severity="high"),
                violation("A2", "2025-01-06T10:00Z", severity="high"),
                violation("A3", "2025-01-07T10:00Z", severity="high"),
                violation("B1", "2025-01-07T10:00Z", severity="low", category="product_condition"),
            ],
            # today 8 + 16 + 32 + 2 = 58 points: 142
            {"A1": 200 - (8 + 16 + 2), "A2": 200 - (8 + 16 + 2), "A3": 200 - (8 + 16 + 2),
             "B1": 200 - (8 + 16 + 32)},
            id="addressing any of three repeats leaves two, ranked again",
        ),
        pytest.param(
            [
                violation("C1", "2025-01-05T10:00Z", severity="critical"),
                violation("L1", "2025-01-05T10:00Z", severity="low"),
            ],
            {"C1": 198, "L1": 0},
            id="a critical one addressed gives the estimate back; the low one alone does not",
        ),
        pytest.param(
            [
                violation("C1", "2025-01-05T10:00Z", severity="critical"),
                violation("C2", "2025-01-06T10:00Z", severity="critical", category="other"),
            ],
            {"C1": 0, "C2": 0},
            id="with two critical ones, addressing one leaves the estimate at 0",
        ),
        pytest.param(
            [
                violation("M1", "2025-01-05T10:00Z", resolution="acknowledged",
                          resolved="2025-01-08T10:00Z"),
                violation("M2", "2025-01-06T10:00Z"),
            ],
            {"M1": 196, "M2": 200},
            id="an addressed violation still shown changes nothing when addressed again",
        ),
        pytest.param(
            [
                violation("R1", "2025-01-05T10:00Z", resolution="appeal_rejected",
                          resolved="2025-01-08T10:00Z"),
                violation("D1", "2025-01-06T10:00Z", resolution="disputed_error",
                          resolved="2025-01-08T10:00Z"),
            ],
            {"R1": 200},
            id="a rejected appeal still costs; a violation disputed away has no row",
        ),
    ],
)  # fmt: skip
def test_ahr_if_addressed(violations, expected):
    from toolkit.compliance.ahr import ahr_if_addressed

    data = dataset(violations=violations)
    rows = ahr_if_addressed(data, as_of=d("2025-01-10")).collect()
    assert dict(zip(rows["violation_id"], rows["ahr_if_addressed"], strict=True)) == expected
    today = one(data, "2025-01-10")["ahr_estimate"]
    assert (rows["ahr_estimate"] == today).all()
