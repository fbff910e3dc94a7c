"""Reconciliation on hand-built cases: Amazon's numbers differ from ours, and why."""

from __future__ import annotations

import re
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.builders import dataset, order
from toolkit.amazon.ingest import SNAPSHOT_SCHEMA
from toolkit.amazon.reconcile import (
    ORDER_COLUMNS,
    RECONCILE_COLUMNS,
    order_reconciliation,
    parse_orders_list,
    reconcile_table,
)
from toolkit.engine.metrics import metrics_table
from toolkit.model.data import DataError
from toolkit.model.policy import load_policy

D = date(2025, 4, 30)
ODR_WINDOW = (date(2025, 2, 16), date(2025, 4, 16))  # 60 days, lag 14


def snapshot(rows: list[tuple], *, seller: str = "S1", day: date = D) -> pl.DataFrame:
    """Snapshot rows: (metric, channel, window, numerator, denominator)."""
    return pl.DataFrame(
        [
            {
                "seller_id": seller,
                "marketplace": "US",
                "snapshot_date": day,
                "metric": metric,
                "channel": channel,
                "window_start": None if window is None else window[0],
                "window_end": None if window is None else window[1],
                "numerator": num,
                "denominator": den,
                "rate": None if not den else num / den,
            }
            for metric, channel, window, num, den in rows
        ],
        schema=SNAPSHOT_SCHEMA,
    )


# ------------------------------------------------------------ ODR with the order list


def odr_case():
    """Amazon still counts a removed feedback, a claim outside the window, a 3-star and a
    feedback not yet visible to us; we count a chargeback that became visible on the
    snapshot date, a claim denied only after it, and an order on the window's last day."""
    orders = [
        order("A", "2025-03-01T10:00:00Z"),
        order("B", "2025-02-10T10:00:00Z"),  # before the window
        order("C", "2025-03-05T10:00:00Z"),
        order("E", "2025-04-10T10:00:00Z"),
        order("G", "2025-03-20T10:00:00Z"),
        order("K", "2025-03-15T10:00:00Z"),
        order("N", "2025-04-16T10:00:00Z"),  # the window's last day
        order("P", "2025-03-25T10:00:00Z"),
        order("D1", "2025-03-02T10:00:00Z"),
        order("D2", "2025-03-03T10:00:00Z"),
        order("Z", "2025-03-10T10:00:00Z", channel="afn"),
    ]
    feedback = [
        {"feedback_id": "F1", "order_id": "A", "rating": 1, "left_at": "2025-03-10T10:00:00Z",
         "removed_at": "2025-03-20T10:00:00Z", "removal": "amazon_removed"},
        {"feedback_id": "F2", "order_id": "K", "rating": 3, "left_at": "2025-03-20T10:00:00Z"},
        {"feedback_id": "F3", "order_id": "N", "rating": 2, "left_at": "2025-04-20T10:00:00Z"},
        {"feedback_id": "F4", "order_id": "P", "rating": 1, "left_at": "2025-04-30T23:50:00Z"},
    ]  # fmt: skip
    claims = [
        {"claim_id": "C1", "order_id": "B", "filed_at": "2025-03-01T10:00:00Z",
         "outcome": "pending"},
        {"claim_id": "C2", "order_id": "C", "filed_at": "2025-03-25T10:00:00Z",
         "outcome": "pending"},
        {"claim_id": "C3", "order_id": "G", "filed_at": "2025-04-01T10:00:00Z",
         "outcome": "denied", "resolved_at": "2025-05-02T10:00:00Z"},
    ]  # fmt: skip
    chargebacks = [
        {"chargeback_id": "CB1", "order_id": "E", "filed_at": "2025-04-29T23:50:00Z",
         "kind": "service", "outcome": "pending"},
    ]  # fmt: skip
    data = dataset(orders=orders, feedback=feedback, claims=claims, chargebacks=chargebacks)
    snaps = snapshot(
        [
            ("odr", "mfn", ODR_WINDOW, 6, 10),
            ("odr_negative_feedback", "mfn", ODR_WINDOW, 3, 10),
            ("odr_claims", "mfn", ODR_WINDOW, 3, 10),
            ("odr_chargebacks", "mfn", ODR_WINDOW, 0, 10),
            ("odr", "afn", ODR_WINDOW, 0, 1),
        ]
    )
    listed = parse_orders_list(
        pl.DataFrame(
            {
                "Order Date": [None, None, "2025-03-04", None, None, None],
                "Order ID": ["A", "B", "C", "H", "K", "P"],
                "Category": [
                    "Negative feedback",
                    "A-to-z Guarantee claim",
                    "A-to-z Guarantee claim",
                    "A-to-z Guarantee claim",
                    "Negative Feedback",
                    "negative_feedback",
                ],
            }
        )
    )
    return data, snaps, listed


def test_order_level_table_explains_each_difference():
    data, snaps, listed = odr_case()
    table = order_reconciliation(snaps, data, listed).collect()
    assert table.columns == ORDER_COLUMNS
    assert table.select("seller_id", "marketplace", "snapshot_date").unique().rows() == [
        ("S1", "US", D)
    ]
    got = table.select("order_id", "defect_type", "channel", "in_amazon", "in_ours", "reason")
    expected = pl.DataFrame(
        [
            ("A", "negative_feedback", "mfn", True, False, "feedback removed, visible 2025-03-20"),
            ("B", "claim", "mfn", True, False,
             "outside window (order date 2025-02-10; window 2025-02-16 .. 2025-04-16)"),
            ("C", "claim", "mfn", True, True, "Amazon's order date 2025-03-04, ours 2025-03-05"),
            ("E", "chargeback", "mfn", False, True,
             "visible only since 2025-04-30, shortly before the snapshot: Amazon may lag"),
            ("G", "claim", "mfn", False, True,
             "stopped after the snapshot (claim denied, visible 2025-05-02): "
             "Amazon may have it earlier"),
            ("H", "claim", None, True, False, "order not in the data"),
            ("K", "negative_feedback", "mfn", True, False,
             "feedback rated 3 or more (not negative)"),
            ("N", "negative_feedback", "mfn", False, True,
             "on the edge of the window: a one-day shift (lag, time zone) drops it"),
            ("P", "negative_feedback", "mfn", True, False,
             "not visible at snapshot (visible 2025-05-01)"),
        ],
        schema=got.schema,
        orient="row",
    )  # fmt: skip
    assert_frame_equal(got, expected)
    dates = dict(table.select("order_id", "order_date").iter_rows())
    assert (dates["B"], dates["N"], dates["H"]) == (date(2025, 2, 10), date(2025, 4, 16), None)


def test_odr_rows_show_the_counts_and_name_the_orders():
    data, snaps, listed = odr_case()
    table = reconcile_table(snaps, data, orders_list=listed).collect()
    assert table.columns == RECONCILE_COLUMNS
    got = table.select(
        "metric",
        "channel",
        "amazon_numerator",
        "amazon_denominator",
        "our_numerator",
        "our_denominator",
        "numerator_diff",
        "denominator_diff",
        "status",
        "explanation",
    )
    unknown = "listed, not in the data (channel unknown): 1 order(s) (H)"
    expected = pl.DataFrame(
        [
            ("odr", "afn", 0, 1, 0, 1, 0, 0, "match", unknown),
            ("odr", "mfn", 6, 10, 4, 9, 2, 1, "differs",
             f"Amazon only: 4 order(s) (A, B, K, P); ours only: 3 order(s) (E, G, N); {unknown}"),
            ("odr_chargebacks", "mfn", 0, 10, 1, 9, -1, 1, "differs",
             "ours only: 1 order(s) (E)"),
            ("odr_claims", "mfn", 3, 10, 2, 9, 1, 1, "differs",
             f"Amazon only: 1 order(s) (B); ours only: 1 order(s) (G); {unknown}"),
            ("odr_negative_feedback", "mfn", 3, 10, 1, 9, 2, 1, "differs",
             "Amazon only: 3 order(s) (A, K, P); ours only: 1 order(s) (N)"),
        ],
        schema=got.schema,
        orient="row",
    )  # fmt: skip
    assert_frame_equal(got, expected)
    odr = table.filter(metric="odr", channel="mfn").row(0, named=True)
    assert (odr["window_start"], odr["window_end"], odr["our_rate"]) == (*ODR_WINDOW, 4 / 9)


def test_without_the_list_odr_differences_ask_for_it():
    data, snaps, _ = odr_case()
    table = reconcile_table(snaps, data).collect()
    explained = dict(table.filter(channel="mfn").select("metric", "explanation").iter_rows())
    ask = "no order-level list: give Amazon's download (--orders-list) to see the orders"
    assert explained == {
        "odr": ask,
        "odr_chargebacks": ask,
        "odr_claims": ask,
        "odr_negative_feedback": ask,
    }


def test_a_lag_of_15_days_on_amazons_side_is_recomputed_with_its_own_window():
    data, _, _ = odr_case()
    # Amazon's window ends 15 days before the snapshot: 2025-02-15 .. 2025-04-15, so N
    # (bought on 16 April, with a counted feedback) is out and nothing else changes.
    window = (date(2025, 2, 15), date(2025, 4, 15))
    table = reconcile_table(snapshot([("odr", "mfn", window, 3, 8)]), data).collect()
    row = table.row(0, named=True)
    assert (row["our_numerator"], row["our_denominator"], row["status"]) == (3, 8, "match")
    policy = load_policy().with_metric("odr", window_days=60, lag_days=15)
    engine = metrics_table(data, as_of=D, policy=policy).filter(metric="odr", channel="mfn")
    assert engine.select("numerator", "denominator").collect().row(0) == (3, 8)


# ------------------------------------------------------------ other metrics and statuses


def shipping_case():
    def mfn(oid: str, purchased: str, **kw) -> dict:
        return order(oid, purchased, **kw)

    orders = [
        # ship-by 20 April: one late, one on time; an afn order late by the same clock
        mfn("L1", "2025-04-19T10:00:00Z", latest_ship_at="2025-04-20T23:59:59Z",
            shipped_at="2025-04-21T08:00:00Z"),
        mfn("L2", "2025-04-19T11:00:00Z", latest_ship_at="2025-04-20T23:59:59Z",
            shipped_at="2025-04-20T08:00:00Z"),
        order("L3", "2025-04-19T12:00:00Z", channel="afn", latest_ship_at="2025-04-20T23:59:59Z",
              shipped_at="2025-04-22T08:00:00Z"),
        # promised 10 April, valid tracking; U1 is 3 units, late; U2 one unit, on time
        mfn("U1", "2025-04-01T10:00:00Z", shipped_at="2025-04-02T10:00:00Z",
            promised_delivery_at="2025-04-10T23:59:59Z", delivered_at="2025-04-11T10:00:00Z",
            tracking_valid="true", units=3),
        mfn("U2", "2025-04-01T11:00:00Z", shipped_at="2025-04-02T10:00:00Z",
            promised_delivery_at="2025-04-10T23:59:59Z", delivered_at="2025-04-09T10:00:00Z",
            tracking_valid="true", units=1),
    ]  # fmt: skip
    return dataset(orders=orders)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(
            ("lsr_30d", "all", (date(2025, 4, 1), D), 1, 2),
            (1, 2, "match", None),
            id="late shipment rate without a channel is compared with mfn only",
        ),
        pytest.param(
            ("lsr_7d", "all", (date(2025, 4, 24), D), 0, 0),
            (0, 0, "match", None),
            id="a late shipment window of another length uses the same rule",
        ),
        pytest.param(
            ("otdr_14d", "all", (date(2025, 4, 1), date(2025, 4, 14)), 1, 4),
            (1, 2, "match", "matches in units; in orders ours is 1 / 2"),
            id="unit on-time delivery counted in units by Amazon",
        ),
        pytest.param(
            ("otdr_14d", "all", (date(2025, 4, 1), date(2025, 4, 14)), 1, 2),
            (1, 2, "match",
             "matches in orders (as the toolkit's export writes them); in units ours is 1 / 4"),
            id="unit on-time delivery counted in orders by the toolkit's export",
        ),
        pytest.param(
            ("otdr_14d", "all", (date(2025, 4, 1), date(2025, 4, 14)), 2, 4),
            (1, 2, "differs", "Amazon counts units: ours in units is 1 / 4"),
            id="unit on-time delivery that matches neither way",
        ),
        pytest.param(
            ("otdr_30d", "all", (date(2025, 3, 22), date(2025, 4, 20)), 1, 2),
            (1, 2, "match", "packages counted as orders (one shipment per order in the data)"),
            id="package on-time delivery over its 30 days",
        ),
    ],
)  # fmt: skip
def test_shipping_metrics(row, expected):
    table = reconcile_table(snapshot([row]), shipping_case()).collect()
    got = table.select("our_numerator", "our_denominator", "status", "explanation").row(0)
    assert got == expected


@pytest.mark.parametrize(
    ("row", "explanation"),
    [
        pytest.param(("account_status", "all", None, None, None),
                     "Amazon's decision, not a count: nothing to recompute", id="account status"),
        pytest.param(("warning_spammingSellerMessaging", "all", None, None, None),
                     "Amazon's decision, not a count: nothing to recompute", id="a warning"),
        pytest.param(("policy_violation_warnings", "all", None, 2, None),
                     "policy warnings are not in the violations table", id="policy warnings"),
        pytest.param(("policy_customerProductReviewsPolicyViolations", "all", None, 1, None),
                     "no violation category maps to this listing-level key",
                     id="a listing-level key without a category"),
        pytest.param(("odr", "mfn", None, 1, 10), "the report gives no window",
                     id="a rate without its window"),
        pytest.param(("odr", "mfn", (date(2025, 4, 16), date(2025, 2, 16)), 1, 10),
                     "the report's window runs backwards", id="a window that runs backwards"),
        pytest.param(("lsr_30d", "all", (date(2025, 4, 2), date(2025, 5, 1)), 1, 10),
                     "the report's window ends after the snapshot date",
                     id="a window that ends after the snapshot"),
        pytest.param(("fbaInventoryScore", "all", None, 1, None),
                     "no rule for this metric in the toolkit", id="an unknown metric"),
    ],
)  # fmt: skip
def test_rows_that_cannot_be_recomputed(row, explanation):
    table = reconcile_table(snapshot([row]), shipping_case()).collect()
    got = table.select(
        "our_numerator", "our_denominator", "numerator_diff", "status", "explanation"
    )
    assert got.row(0) == (None, None, None, "not_recomputable", explanation)


def test_a_seller_missing_from_the_data_is_not_recomputed():
    snaps = snapshot([("odr", "mfn", ODR_WINDOW, 0, 5)], seller="S9")
    row = reconcile_table(snaps, shipping_case()).collect().row(0, named=True)
    assert (row["our_numerator"], row["status"], row["explanation"]) == (
        None,
        "not_recomputable",
        "seller and marketplace not in the data",
    )


def test_a_channel_without_orders_counts_zero_and_says_so():
    snaps = snapshot([("odr", "afn", ODR_WINDOW, 1, 5), ("idr_7d", "all", ODR_WINDOW, 0, 0)])
    data = dataset(orders=[order("A", "2025-03-01T10:00:00Z")])
    table = reconcile_table(snaps, data).collect()
    got = table.select("metric", "our_numerator", "our_denominator", "status", "explanation")
    assert got.rows() == [
        ("idr_7d", 0, 0, "match", None),
        ("odr", 0, 0, "differs", "no afn orders of this seller in the data; "
         "no order-level list: give Amazon's download (--orders-list) to see the orders"),
    ]  # fmt: skip


def test_amazon_gives_no_count():
    snaps = snapshot([("odr", "mfn", ODR_WINDOW, None, None)])
    row = reconcile_table(snaps, shipping_case()).collect().row(0, named=True)
    assert (row["our_numerator"], row["our_denominator"], row["status"]) == (0, 2, "not_compared")
    assert row["explanation"] == "the report gives no count"


# ------------------------------------------------------------ violations and AHR


def compliance_case():
    orders = [order(f"O{i}", "2025-01-02T10:00:00Z", shipped_at="2025-01-03T10:00:00Z")
              for i in range(3)]  # fmt: skip
    violations = [
        {"violation_id": "V1", "seller_id": "S1", "category": "listing_policy",
         "severity": "medium", "detected_at": "2025-03-01T10:00:00Z"},
        {"violation_id": "V2", "seller_id": "S1", "category": "customer_product_reviews",
         "severity": "low", "detected_at": "2025-04-01T10:00:00Z", "resolution": "acknowledged",
         "resolved_at": "2025-04-02T10:00:00Z"},
        {"violation_id": "V3", "seller_id": "S1", "category": "other", "severity": "low",
         "detected_at": "2025-04-03T10:00:00Z", "resolution": "disputed_error",
         "resolved_at": "2025-04-10T10:00:00Z"},
        {"violation_id": "V4", "seller_id": "S1", "category": "other", "severity": "high",
         "detected_at": "2025-04-29T23:50:00Z"},  # visible 30 April
    ]  # fmt: skip
    return dataset(orders=orders, violations=violations)


def test_listing_level_counts_are_the_violations_displayed_at_the_snapshot():
    display = (date(2024, 11, 2), D)  # 180 days up to the snapshot
    snaps = snapshot(
        [
            ("policy_listingPolicyViolations", "all", display, 1, None),
            ("policy_otherPolicyViolations", "all", display, 1, None),  # Amazon misses V4
            ("policy_productSafetyCustomerComplaints", "all", (date(2024, 10, 31), date(2025, 4, 28)), 0, None),
            ("ahr", "all", display, 180, None),
            ("ahr", "all", display, None, None),
        ]
    )  # fmt: skip
    snaps = snaps.with_columns(
        snapshot_date=pl.when(pl.col("numerator").is_null() & (pl.col("metric") == "ahr"))
        .then(pl.lit(date(2025, 3, 15)))
        .otherwise("snapshot_date")
    )
    table = reconcile_table(snaps, compliance_case()).collect()
    got = table.select(
        "snapshot_date", "metric", "our_numerator", "numerator_diff", "status", "explanation"
    )
    estimate = "the toolkit's AHR is an estimate (Amazon publishes no formula)"
    assert got.rows() == [
        (date(2025, 3, 15), "ahr", 196, None, "not_compared",
         f"{estimate}; the report gives no count"),
        (D, "ahr", 188, -8, "differs", estimate),
        (D, "policy_listingPolicyViolations", 1, 0, "match", None),
        (D, "policy_otherPolicyViolations", 2, -1, "differs", None),
        (D, "policy_productSafetyCustomerComplaints", 0, 0, "match",
         "ours: violations displayed on the snapshot date (the display period is 180 days); "
         "the report's window is 2024-10-31 .. 2025-04-28"),
    ]  # fmt: skip


# ------------------------------------------------------------ engine passes


def test_consecutive_and_lone_dates_agree_with_the_engine_at_each_date():
    """Three consecutive dates (one history per pass) and a lone one (one snapshot), two
    windows of the on-time rule on each date (two passes), a changed window on the last."""
    data = shipping_case()
    days = [date(2025, 4, 20), date(2025, 4, 21), date(2025, 4, 22), date(2025, 4, 30)]

    def window(day: date, start: int, end: int) -> tuple[date, date]:
        return day - timedelta(days=start), day - timedelta(days=end)

    snaps = pl.concat(
        snapshot(
            [
                ("lsr_30d", "all", window(day, 13 if day == days[-1] else 29, 0), 0, 0),
                ("otdr_30d", "all", window(day, 39, 10), 0, 0),
                ("otdr_14d", "all", window(day, 20, 7), 0, 0),
            ],
            day=day,
        )
        for day in days
    )
    ours = reconcile_table(snaps, data).collect()
    assert ours.height == 12
    for row in snaps.iter_rows(named=True):
        span = (row["window_end"] - row["window_start"]).days + 1
        lag = (row["snapshot_date"] - row["window_end"]).days
        name = "otdr_14d" if row["metric"].startswith("otdr") else row["metric"]
        policy = load_policy().with_metric(name, window_days=span, lag_days=lag)
        engine = (
            metrics_table(data, as_of=row["snapshot_date"], policy=policy)
            .filter(metric=name, channel="mfn")
            .select("numerator", "denominator")
            .collect()
            .row(0)
        )
        mine = ours.filter(snapshot_date=row["snapshot_date"], metric=row["metric"])
        assert mine.select("our_numerator", "our_denominator").row(0) == engine, row
    # the data has something in these windows, so the comparison is not all zeros
    assert ours["our_denominator"].sum() > 0 and ours["our_numerator"].sum() > 0


# ------------------------------------------------------------ the order list input


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        pytest.param({"order": ["A"], "defect_type": ["claim"]}, "missing column(s) order_id",
                     id="no order id column"),
        pytest.param({"order_id": ["A", "B", "C"], "defect_type": ["claim", "late", "refund"]},
                     "column defect_type: unknown defect type", id="an unknown category"),
        pytest.param({"order_id": ["A", None], "defect_type": ["claim", "claim"]},
                     "column order_id: empty order id; 1 row: 2", id="an empty order id"),
        pytest.param({"order_id": ["A"], "defect_type": ["claim"], "snapshot_date": ["1/5/25"]},
                     "column snapshot_date: not a date", id="a snapshot date that is not ISO"),
        pytest.param({"order_id": ["A"], "defect_type": ["claim"], "channel": ["fba"]},
                     "column channel: not mfn or afn", id="an unknown channel"),
    ],
)  # fmt: skip
def test_bad_order_lists(frame, message):
    with pytest.raises(DataError, match=re.escape(message)) as info:
        parse_orders_list(pl.DataFrame(frame), source="list.csv")
    assert "list.csv" in str(info.value)


def test_unknown_categories_are_listed_with_their_rows():
    with pytest.raises(DataError) as info:
        parse_orders_list(
            pl.DataFrame({"order_id": ["A", "B", "C"], "defect_type": ["claim", "late", "refund"]}),
            source="list.csv",
        )
    assert "2 rows: 2, 3" in str(info.value) and "'late', 'refund'" in str(info.value)


def test_order_list_spellings_and_repeats():
    listed = parse_orders_list(
        pl.DataFrame(
            {
                "ORDER-ID": ["A", "A", "B", "C", "D"],
                "Defect Category": [
                    "A-to-z Guarantee Claim",
                    "a-to-z guarantee claim",
                    "Credit card chargeback",
                    "Negative Feedback",
                    "chargeback",
                ],
                "Order Date": ["2025-03-01T10:00:00Z", "2025-03-01", None, "2025-03-03", None],
            }
        )
    ).collect()
    assert listed.select("order_id", "defect_type", "order_date").rows() == [
        ("A", "claim", date(2025, 3, 1)),
        ("B", "chargeback", None),
        ("C", "negative_feedback", date(2025, 3, 3)),
        ("D", "chargeback", None),
    ]


# ------------------------------------------------------------ random data


_RANDOM_METRICS = [
    ("odr", "mfn"), ("odr", "afn"), ("odr_claims", "mfn"), ("odr_negative_feedback", "afn"),
    ("odr_chargebacks", "mfn"), ("lsr_10d", "all"), ("cancel_rate_7d", "all"),
    ("vtr_30d", "all"), ("otdr_14d", "all"), ("otdr_30d", "all"), ("idr_7d", "all"),
]  # fmt: skip


@pytest.mark.parametrize("seed", [3, 8])
def test_random_windows_agree_with_the_engine_row_by_row(seed):
    """Random report windows on consecutive and lone dates, every metric: each row's
    counts equal one engine run with that row's window; the order-level table counts the
    engine's ODR numerators."""
    import numpy as np

    from tests.randomdata import random_dataset

    data = random_dataset(seed, orders=300).collect()
    rng = np.random.default_rng(seed)
    sellers = data.orders.select("seller_id", "marketplace").unique().sort("seller_id").collect()
    days = [date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12), date(2025, 4, 20)]
    rows = []
    for day in days:
        odr = (int(rng.integers(20, 61)), int(rng.integers(0, 16)))  # one window per report
        for metric, channel in _RANDOM_METRICS:
            span, lag = odr if metric.startswith("odr") else (
                int(rng.integers(1, 31)), int(rng.integers(0, 15))
            )  # fmt: skip
            end = day - timedelta(days=lag)
            for seller, market in sellers.iter_rows():
                rows.append(
                    {"seller_id": seller, "marketplace": market, "snapshot_date": day,
                     "metric": metric, "channel": channel,
                     "window_start": end - timedelta(days=span - 1), "window_end": end,
                     "numerator": 0, "denominator": 0}
                )  # fmt: skip
    snaps = pl.DataFrame(rows, schema=SNAPSHOT_SCHEMA)
    listed = parse_orders_list(
        sellers.join(
            pl.DataFrame({"snapshot_date": [d.isoformat() for d in days]}), how="cross"
        ).with_columns(order_id=pl.lit("unknown"), defect_type=pl.lit("claim"))
    )
    ours = reconcile_table(snaps, data).collect()
    orders = order_reconciliation(snaps, data, listed).collect()
    checked, runs = 0, {}
    for row in ours.iter_rows(named=True):
        span = (row["window_end"] - row["window_start"]).days + 1
        lag = (row["snapshot_date"] - row["window_end"]).days
        name = "otdr_14d" if row["metric"] == "otdr_30d" else row["metric"]
        slot = "odr" if name.startswith("odr") else name
        key = (row["snapshot_date"], slot, span, lag)
        if key not in runs:
            policy = load_policy().with_metric(slot, window_days=span, lag_days=lag)
            runs[key] = metrics_table(data, as_of=row["snapshot_date"], policy=policy).collect()
        channel = "mfn" if row["channel"] == "all" and name != "idr_7d" else row["channel"]
        engine = runs[key].filter(
            seller_id=row["seller_id"], marketplace=row["marketplace"], metric=name,
            channel=channel,
        ).select("numerator", "denominator")  # fmt: skip
        expected = engine.row(0) if engine.height else (0, 0)
        assert (row["our_numerator"], row["our_denominator"]) == expected, row
        checked += expected[1] > 0
        if name.startswith("odr"):
            kind = {"odr_claims": "claim", "odr_chargebacks": "chargeback",
                    "odr_negative_feedback": "negative_feedback"}.get(name)  # fmt: skip
            counted = orders.filter(
                pl.col("in_ours"),
                seller_id=row["seller_id"],
                marketplace=row["marketplace"],
                snapshot_date=row["snapshot_date"],
                channel=row["channel"],
            )
            if kind is not None:
                counted = counted.filter(defect_type=kind)
            assert counted["order_id"].n_unique() == expected[0], row
    assert checked > len(rows) // 2  # most rows have orders in their window
    assert orders.filter(pl.col("in_ours"))["order_id"].n_unique() > 5


def test_a_window_outside_the_data_says_so():
    data, _, _ = odr_case()
    old = (date(2020, 9, 6), date(2020, 11, 4))
    table = reconcile_table(snapshot([("odr", "afn", old, 0, 0)], day=date(2020, 11, 19)), data)
    row = table.collect().row(0, named=True)
    assert (row["our_numerator"], row["our_denominator"], row["status"]) == (0, 0, "match")
    assert (
        row["explanation"] == "the window is outside the data's orders (2025-02-10 .. 2025-04-16)"
    )
