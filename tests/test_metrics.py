"""The metrics table on hand-built cases: window edges, visibility, stops, every outcome.

As-of date D = Monday 30 June 2025 unless a test says otherwise. Windows at D:
odr D-73 .. D-14 (18 Apr .. 16 Jun), lsr_10d D-9 .. D, lsr_30d D-29 .. D,
cancel_rate_7d D-6 .. D, vtr_30d D-43 .. D-14, otdr_14d D-20 .. D-7, idr_7d D-13 .. D-7.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from tests.builders import dataset, day, order
from toolkit.engine.metrics import METRIC_COLUMNS, metrics_table
from toolkit.model.policy import load_policy

D = date(2025, 6, 30)


def counts(data, metric, *, as_of=D, channel="mfn", known_at=None, policy=None):
    table = metrics_table(data, as_of=as_of, known_at=known_at, policy=policy).collect()
    row = table.filter((pl.col("metric") == metric) & (pl.col("channel") == channel))
    assert row.height == 1, table
    return row["numerator"].item(), row["denominator"].item()


def row_of(data, metric, *, as_of=D, channel="mfn"):
    table = metrics_table(data, as_of=as_of).collect()
    return table.filter((pl.col("metric") == metric) & (pl.col("channel") == channel)).row(
        0, named=True
    )


# ----------------------------------------------------------------------------- ODR


def test_odr_window_edges_by_purchase_date():
    data = dataset(
        orders=[
            order("too-old", day(D, -74)),
            order("first-day", day(D, -73, "00:00:00")),
            order("last-day", day(D, -14, "23:55:00")),  # visible D-13, dated D-14
            order("in-the-lag", day(D, -13, "00:00:00")),
        ]
    )
    assert counts(data, "odr") == (0, 2)
    odr = row_of(data, "odr")
    assert (odr["window_start"], odr["window_end"]) == (date(2025, 4, 18), date(2025, 6, 16))


@pytest.mark.parametrize(
    ("left_at", "expected_on_d", "expected_next_day"),
    [
        pytest.param("23:50:00", 0, 1, id="feedback at 23:50 shows the next day"),
        pytest.param(
            "23:30:00", 1, 1, id="feedback exactly on a 30-minute boundary shows that day"
        ),
        pytest.param("23:30:01", 0, 1, id="feedback one second after the boundary waits"),
        pytest.param("00:00:00", 1, 1, id="feedback at midnight shows that day"),
    ],
)
def test_feedback_visibility_at_midnight(left_at, expected_on_d, expected_next_day):
    data = dataset(
        orders=[order("O1", day(D, -30))],
        feedback=[
            {"feedback_id": "F1", "order_id": "O1", "rating": 1, "left_at": day(D, 0, left_at)}
        ],
    )
    assert counts(data, "odr_negative_feedback") == (expected_on_d, 1)
    assert counts(data, "odr", as_of=D + timedelta(days=1))[0] == expected_next_day


@pytest.mark.parametrize(
    ("removed_at", "removal", "expected"),
    [
        pytest.param(day(D, -1), "buyer_removed", 0, id="feedback removed the day before"),
        pytest.param(
            day(D, 1), "amazon_removed", 1, id="feedback removed the day after still counts"
        ),
        pytest.param(
            day(D, 0, "00:00:00"), "struck_through", 0, id="struck through at midnight of D"
        ),
        pytest.param(
            day(D, 0, "23:50:00"), "buyer_removed", 1, id="removal at 23:50 is visible tomorrow"
        ),
        pytest.param(None, "amazon_removed", 1, id="removal without removed_at removes nothing"),
    ],
)
def test_feedback_removal(removed_at, removal, expected):
    data = dataset(
        orders=[order("O1", day(D, -30))],
        feedback=[
            {
                "feedback_id": "F1",
                "order_id": "O1",
                "rating": 2,
                "left_at": day(D, -20),
                "removed_at": removed_at,
                "removal": removal,
            }
        ],
    )
    assert counts(data, "odr") == (expected, 1)
    assert counts(data, "odr_negative_feedback") == (expected, 1)


def test_neutral_and_later_positive_feedback():
    data = dataset(
        orders=[order("neutral", day(D, -30)), order("mixed", day(D, -30))],
        feedback=[
            {"feedback_id": "F1", "order_id": "neutral", "rating": 3, "left_at": day(D, -20)},
            {"feedback_id": "F2", "order_id": "mixed", "rating": 1, "left_at": day(D, -20)},
            {"feedback_id": "F3", "order_id": "mixed", "rating": 5, "left_at": day(D, -10)},
        ],
    )
    assert counts(data, "odr_negative_feedback") == (1, 2)


@pytest.mark.parametrize(
    ("outcome", "resolved_at", "expected"),
    [
        pytest.param("pending", None, 1, id="pending claim counts"),
        pytest.param("granted", day(D, -5), 1, id="granted claim counts"),
        pytest.param("denied", day(D, -5), 0, id="denied claim stops counting"),
        pytest.param("denied", day(D, 2), 1, id="claim denied after D still counts on D"),
        pytest.param("denied", day(D, 0, "23:50:00"), 1, id="denial at 23:50 is visible tomorrow"),
        pytest.param("withdrawn", day(D, -5), 0, id="withdrawn claim stops counting"),
        pytest.param("protected", day(D, -5), 0, id="claims-protected claim stops counting"),
    ],
)
def test_claim_outcomes(outcome, resolved_at, expected):
    data = dataset(
        orders=[order("O1", day(D, -30)), order("O2", day(D, -30))],
        claims=[
            {
                "claim_id": "C1",
                "order_id": "O1",
                "filed_at": day(D, -20),
                "outcome": outcome,
                "resolved_at": resolved_at,
            }
        ],
    )
    assert counts(data, "odr_claims") == (expected, 2)
    assert counts(data, "odr") == (expected, 2)


@pytest.mark.parametrize(
    ("kind", "outcome", "won_removes", "expected"),
    [
        pytest.param("service", "pending", True, 1, id="pending service chargeback counts"),
        pytest.param("service", "seller_lost", True, 1, id="chargeback the seller lost counts"),
        pytest.param("service", "seller_won", True, 0, id="chargeback the seller won stops"),
        pytest.param(
            "service", "seller_won", False, 1, id="won chargeback counts when the policy says so"
        ),
        pytest.param("fraud", "seller_lost", True, 0, id="fraud chargeback never counts"),
    ],
)
def test_chargeback_outcomes(tmp_path, kind, outcome, won_removes, expected):
    policy = None
    if not won_removes:
        from toolkit.model.resources import policy_text

        text = policy_text()
        path = tmp_path / "p.toml"
        path.write_text(
            text.replace("chargeback_won_removes = true", "chargeback_won_removes = false")
        )
        policy = load_policy(path)
    data = dataset(
        orders=[order("O1", day(D, -30), channel="afn")],
        chargebacks=[
            {
                "chargeback_id": "B1",
                "order_id": "O1",
                "filed_at": day(D, -20),
                "kind": kind,
                "outcome": outcome,
                "resolved_at": None if outcome == "pending" else day(D, -5),
            }
        ],
    )
    assert counts(data, "odr_chargebacks", channel="afn", policy=policy) == (expected, 1)


def test_order_with_several_defects_counts_once():
    data = dataset(
        orders=[order(f"O{i}", day(D, -30)) for i in range(1, 4)],
        feedback=[
            {"feedback_id": "F1", "order_id": "O1", "rating": 1, "left_at": day(D, -25)},
            {"feedback_id": "F2", "order_id": "O2", "rating": 1, "left_at": day(D, -25)},
            {"feedback_id": "F3", "order_id": "O2", "rating": 2, "left_at": day(D, -24)},
        ],
        claims=[
            {"claim_id": "C1", "order_id": "O1", "filed_at": day(D, -20), "outcome": "pending"}
        ],
        chargebacks=[
            {
                "chargeback_id": "B1",
                "order_id": "O1",
                "filed_at": day(D, -19),
                "kind": "service",
                "outcome": "pending",
            }
        ],
    )
    assert counts(data, "odr") == (2, 3)
    assert counts(data, "odr_negative_feedback") == (2, 3)
    assert counts(data, "odr_claims") == (1, 3)
    assert counts(data, "odr_chargebacks") == (1, 3)


def test_defect_waiting_out_the_lag_does_not_count_yet():
    data = dataset(
        orders=[order("recent", day(D, -10))],
        claims=[
            {"claim_id": "C1", "order_id": "recent", "filed_at": day(D, -2), "outcome": "pending"}
        ],
    )
    assert counts(data, "odr") == (0, 0)
    assert counts(data, "odr", as_of=D + timedelta(days=4)) == (1, 1)


def test_channels_are_separate():
    data = dataset(
        orders=[order("M", day(D, -30)), order("A", day(D, -30), channel="afn")],
        claims=[{"claim_id": "C1", "order_id": "A", "filed_at": day(D, -20), "outcome": "pending"}],
    )
    assert counts(data, "odr", channel="mfn") == (0, 1)
    assert counts(data, "odr", channel="afn") == (1, 1)


# ------------------------------------------------------------------------ known-at


def test_known_at_counts_a_defect_that_arrived_later():
    data = dataset(
        orders=[order("O1", day(D, -30))],
        feedback=[{"feedback_id": "F1", "order_id": "O1", "rating": 1, "left_at": day(D, 5)}],
    )
    assert counts(data, "odr") == (0, 1)
    assert counts(data, "odr", known_at=D + timedelta(days=4)) == (0, 1)
    assert counts(data, "odr", known_at=D + timedelta(days=5)) == (1, 1)


def test_known_at_applies_a_removal_known_later_to_the_past():
    data = dataset(
        orders=[order("O1", day(D, -30))],
        feedback=[
            {
                "feedback_id": "F1",
                "order_id": "O1",
                "rating": 1,
                "left_at": day(D, -20),
                "removed_at": day(D, 3),
                "removal": "buyer_removed",
            }
        ],
    )
    assert counts(data, "odr") == (1, 1)
    assert counts(data, "odr", known_at=D + timedelta(days=3)) == (0, 1)


def test_known_at_before_as_of_is_an_error():
    data = dataset(orders=[order("O1", day(D, -30))])
    with pytest.raises(ValueError, match="known-at"):
        metrics_table(data, as_of=D, known_at=D - timedelta(days=1))


# ---------------------------------------------------------------------------- LSR

LATE = "18:00:00"


def test_late_shipment_rate():
    def o(oid, lsd, **kw):
        return order(oid, day(D, -12), latest_ship_at=day(D, lsd, LATE), **kw)

    data = dataset(
        orders=[
            o("on-time", -5, shipped_at=day(D, -5, "10:00:00")),
            o("at-deadline", -5, shipped_at=day(D, -5, LATE)),
            o("one-second-late", -5, shipped_at=day(D, -5, "18:00:01")),
            o("unshipped", -5),
            o("cancelled", -5, cancelled_at=day(D, -6), cancelled_by="buyer"),
            o("cancelled-tomorrow", -5, cancelled_at=day(D, 1), cancelled_by="seller"),
            o("10d-first-day", -9, shipped_at=day(D, -9, "10:00:00")),
            o("only-in-30d", -10, shipped_at=day(D, -9, "10:00:00")),
            o("30d-first-day", -29, shipped_at=day(D, -29, "10:00:00")),
            o("30d-too-old", -30, shipped_at=day(D, -31, "10:00:00")),
            order(
                "shipped-23:58-not-visible",
                day(D, -1),
                latest_ship_at=day(D, 0, "23:59:30"),
                shipped_at=day(D, 0, "23:58:00"),
            ),
            order("afn", day(D, -12), channel="afn", latest_ship_at=day(D, -5)),
        ]
    )
    # in 10d: on-time, at-deadline, one-second-late, unshipped, cancelled-tomorrow,
    # 10d-first-day, shipped-23:58 (7); late: one-second-late, unshipped,
    # cancelled-tomorrow (still unshipped, cancellation not visible), shipped-23:58 (4)
    assert counts(data, "lsr_10d") == (4, 7)
    assert counts(data, "lsr_30d") == (5, 9)
    # the next day the 23:58 shipment is visible and on time; the cancellation is visible
    assert counts(data, "lsr_10d", as_of=D + timedelta(days=1)) == (2, 5)


# ------------------------------------------------------------------------- cancel


def test_cancellation_rate():
    def o(oid, offset=-3, **kw):
        return order(oid, day(D, offset), **kw)

    data = dataset(
        orders=[
            o("seller", cancelled_at=day(D, -2), cancelled_by="seller"),
            o("amazon", cancelled_at=day(D, -2), cancelled_by="amazon"),
            o("buyer", cancelled_at=day(D, -2), cancelled_by="buyer"),
            o("no-canceller", cancelled_at=day(D, -2)),
            o("canceller-without-time", cancelled_by="seller"),
            o("seller-at-23:50", cancelled_at=day(D, 0, "23:50:00"), cancelled_by="seller"),
            o("before-window", offset=-7, cancelled_at=day(D, -6), cancelled_by="seller"),
            o("not-visible-yet", offset=0, time=None)
            if False
            else order("late-night", day(D, 0, "23:55:00")),
            order("fba", day(D, -3), channel="afn", cancelled_at=day(D, -2), cancelled_by="seller"),
        ]
    )
    assert counts(data, "cancel_rate_7d") == (2, 6)
    assert counts(data, "cancel_rate_7d", as_of=D + timedelta(days=1)) == (3, 7)


# ---------------------------------------------------------------------------- VTR


def test_valid_tracking_rate():
    def o(oid, promised, **kw):
        return order(oid, day(D, promised - 5), promised_delivery_at=day(D, promised), **kw)

    ship = day(D, -25)
    data = dataset(
        orders=[
            o("valid", -20, shipped_at=ship, tracking_valid="true"),
            o("invalid", -20, shipped_at=ship, tracking_valid="false"),
            o("unknown", -20, shipped_at=ship),
            o("unshipped", -20, tracking_valid="true"),
            o("in-the-lag", -13, shipped_at=ship, tracking_valid="true"),
            o("first-day", -43, shipped_at=day(D, -45), tracking_valid="true"),
            o("too-old", -44, shipped_at=day(D, -45), tracking_valid="true"),
            o(
                "cancelled-after-shipping",
                -20,
                shipped_at=ship,
                tracking_valid="true",
                cancelled_at=day(D, -24),
                cancelled_by="buyer",
            ),
        ]
    )
    assert counts(data, "vtr_30d") == (3, 5)


# --------------------------------------------------------------------------- OTDR


def test_on_time_delivery_rate():
    def o(oid, promised, delivered=None, tracking="true"):
        return order(
            oid,
            day(D, promised - 5),
            shipped_at=day(D, promised - 3),
            tracking_valid=tracking,
            promised_delivery_at=day(D, promised, "18:00:00"),
            delivered_at=delivered,
        )

    data = dataset(
        orders=[
            o("exactly-on-time", -10, day(D, -10, "18:00:00")),
            o("one-second-late", -10, day(D, -10, "18:00:01")),
            o("not-delivered", -10),
            o("no-valid-tracking", -10, day(D, -11), tracking="false"),
            o("first-day", -20, day(D, -21)),
            o("too-old", -21, day(D, -22)),
            o("last-day", -7, day(D, -8)),
            o("in-the-lag", -6, day(D, -8)),
        ]
    )
    assert counts(data, "otdr_14d") == (3, 5)


# ---------------------------------------------------------------------------- IDR


def test_invoice_defect_rate():
    friday = date(2025, 6, 20)  # D-10
    assert friday.weekday() == 4

    def b(oid, purchased, shipped, upload=None, business="true", channel="mfn"):
        return order(
            oid,
            purchased,
            channel=channel,
            is_business=business,
            shipped_at=shipped,
            invoice_uploaded_at=upload,
        )

    data = dataset(
        orders=[
            b(
                "upload-at-deadline",
                day(friday, 0, "10:00:00"),
                day(friday, 0, "15:00:00"),
                day(friday, 3, "23:59:59"),
            ),
            b(
                "upload-one-second-late",
                day(friday, 0, "10:00:00"),
                day(friday, 0, "15:00:00"),
                day(friday, 4, "00:00:00"),
            ),
            b("saturday-no-upload", day(friday, 0, "10:00:00"), day(friday, 1, "15:00:00")),
            b(
                "fba-on-time",
                day(friday, 0, "10:00:00"),
                day(friday, 0, "15:00:00"),
                day(friday, 1),
                channel="afn",
            ),
            b(
                "not-business",
                day(friday, 0, "10:00:00"),
                day(friday, 0, "15:00:00"),
                business="false",
            ),
            b("unshipped", day(friday, 0, "10:00:00"), None),
            b("deadline-is-d", day(D, -7), day(D, -3)),  # shipped Friday 27th, due Monday 30th
            b("deadline-after-d", day(D, -7), day(D, 0, "08:00:00")),  # shipped Monday, due Tuesday
        ]
    )
    assert counts(data, "idr_7d", channel="all") == (3, 6)


def test_invoice_uploaded_on_time_but_visible_after_the_deadline_day():
    monday = date(2025, 6, 23)
    data = dataset(
        orders=[
            order(
                "O1",
                day(monday, -10),
                is_business="true",
                shipped_at=day(monday, -3),  # Friday
                invoice_uploaded_at=day(monday, 0, "23:50:00"),  # visible Tuesday 00:00
            )
        ]
    )
    assert counts(data, "idr_7d", channel="all", as_of=monday) == (1, 1)
    assert counts(data, "idr_7d", channel="all", as_of=monday + timedelta(days=1)) == (0, 1)


# ------------------------------------------------------------------- rows, status


def test_rows_exist_for_every_metric_of_every_channel_even_without_orders_in_window():
    data = dataset(
        orders=[order("M", day(D, -300)), order("A", day(D, -300), seller="S2", channel="afn")]
    )
    table = metrics_table(data, as_of=D).collect()
    assert table.columns == METRIC_COLUMNS
    got = set(table.select("seller_id", "channel", "metric").iter_rows())
    mfn = {
        "odr",
        "odr_negative_feedback",
        "odr_claims",
        "odr_chargebacks",
        "lsr_10d",
        "lsr_30d",
        "cancel_rate_7d",
        "vtr_30d",
        "otdr_14d",
    }
    afn = {"odr", "odr_negative_feedback", "odr_claims", "odr_chargebacks"}
    expected = {("S1", "mfn", m) for m in mfn} | {("S2", "afn", m) for m in afn}
    every = ("idr_7d", "rdr_30d", "contact_response_24h_30d", "product_rating")
    expected |= {(seller, "all", m) for seller in ("S1", "S2") for m in every}
    assert got == expected
    assert set(table["status"]) == {"no_data"}
    assert table["rate"].null_count() == table.height
    keys = table.select("seller_id", "marketplace", "channel", "metric").rows()
    assert keys == sorted(keys)


def test_watch_is_decided_exactly():
    # 1 of 50 cancelled: 0.02 is exactly 0.8 * 0.025 (in floats 1/50 < 0.8 * 0.025)
    orders = [order(f"O{i}", day(D, -3)) for i in range(50)]
    orders[0]["cancelled_at"], orders[0]["cancelled_by"] = day(D, -2), "seller"
    data = dataset(orders=orders)
    row = row_of(data, "cancel_rate_7d")
    assert (row["numerator"], row["denominator"], row["status"]) == (1, 50, "watch")
    assert 1 / 50 < 0.8 * 0.025  # why exact arithmetic is needed


@pytest.mark.parametrize(
    ("valid", "status"),
    [
        pytest.param(20, "good", id="all valid is good"),
        pytest.param(19, "bad_low_volume", id="exactly 95 percent misses a strict target"),
    ],
)
def test_greater_than_target_is_strict(valid, status):
    orders = [
        order(
            f"O{i}",
            day(D, -25),
            shipped_at=day(D, -24),
            promised_delivery_at=day(D, -20),
            tracking_valid="true" if i < valid else "false",
        )
        for i in range(20)
    ]
    row = row_of(dataset(orders=orders), "vtr_30d")
    assert (row["numerator"], row["denominator"], row["status"]) == (valid, 20, status)
    if valid == 19:
        assert row["p_value"] == pytest.approx(1 - 0.95**20)


def test_components_have_no_target():
    data = dataset(
        orders=[order("O1", day(D, -30))],
        claims=[
            {"claim_id": "C1", "order_id": "O1", "filed_at": day(D, -20), "outcome": "pending"}
        ],
    )
    row = row_of(data, "odr_claims")
    assert (
        row["target"],
        row["condition"],
        row["p_value"],
        row["status"],
        row["informational"],
    ) == (
        None,
        None,
        None,
        "info",
        True,
    )
    assert row_of(data, "odr")["informational"] is False


@pytest.mark.parametrize("to", [None, date(2026, 11, 15)], ids=["one date", "a range"])
def test_output_is_sorted_by_the_keys_as_plain_strings(to):
    from toolkit.model.data import read_data

    first = date(2026, 11, 15) if to is None else date(2026, 11, 1)
    table = metrics_table(read_data("data/sample"), as_of=first, to=to).collect()
    keys = table.select("seller_id", "marketplace", "channel", "metric", "as_of").rows()
    assert keys == sorted(keys)
    assert {"afn", "all", "mfn"} <= set(table["channel"])
