"""The clearance table (SPEC 5): every state a defect record can be in on D."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from tests.builders import dataset, day, order
from toolkit.engine.clearance import CLEARANCE_COLUMNS, clearance_table

D = date(2025, 6, 30)


def on(offset: int) -> date:
    return D + timedelta(days=offset)


def test_every_state_of_a_defect_record():
    data = dataset(
        orders=[
            order("counting", day(D, -30)),
            order("in-lag", day(D, -5)),
            order("denied", day(D, -40)),
            order("withdrawn-early", day(D, -10)),
            order("denied-tomorrow", day(D, -40)),
            order("removed-on-window-end", day(D, -60)),
            order("aged-out", day(D, -80)),
            order("not-visible", day(D, -30)),
            order("fraud", day(D, -30), channel="afn"),
            order("won", day(D, -30), channel="afn"),
            order("neutral", day(D, -30)),
        ],
        feedback=[
            {
                "feedback_id": "F-counting",
                "order_id": "counting",
                "rating": 1,
                "left_at": day(D, -20),
            },
            {"feedback_id": "F-in-lag", "order_id": "in-lag", "rating": 2, "left_at": day(D, -1)},
            {
                "feedback_id": "F-removed",
                "order_id": "removed-on-window-end",
                "rating": 1,
                "left_at": day(D, -50),
                "removed_at": day(D, 14),  # a + 74 = D + 14: the window ends that same day
                "removal": "buyer_removed",
            },
            {
                "feedback_id": "F-aged-out",
                "order_id": "aged-out",
                "rating": 1,
                "left_at": day(D, -70),
            },
            {
                "feedback_id": "F-late-night",
                "order_id": "not-visible",
                "rating": 1,
                "left_at": day(D, 0, "23:50:00"),
            },
            {
                "feedback_id": "F-neutral",
                "order_id": "neutral",
                "rating": 3,
                "left_at": day(D, -20),
            },
        ],
        claims=[
            {
                "claim_id": "C-denied",
                "order_id": "denied",
                "filed_at": day(D, -20),
                "outcome": "denied",
                "resolved_at": day(D, -3),
            },
            {
                "claim_id": "C-withdrawn",
                "order_id": "withdrawn-early",
                "filed_at": day(D, -8),
                "outcome": "withdrawn",
                "resolved_at": day(D, -6),
            },
            {
                "claim_id": "C-tomorrow",
                "order_id": "denied-tomorrow",
                "filed_at": day(D, -20),
                "outcome": "denied",
                "resolved_at": day(D, 1),
            },
        ],
        chargebacks=[
            {
                "chargeback_id": "B-fraud",
                "order_id": "fraud",
                "filed_at": day(D, -20),
                "kind": "fraud",
                "outcome": "pending",
            },
            {
                "chargeback_id": "B-won",
                "order_id": "won",
                "filed_at": day(D, -20),
                "kind": "service",
                "outcome": "seller_won",
                "resolved_at": day(D, -2),
            },
        ],
    )
    table = clearance_table(data, as_of=D).collect()
    assert table.columns == CLEARANCE_COLUMNS
    got = {
        r["record_id"]: (
            r["metric"],
            r["counts_from"],
            r["clears_on"],
            r["counting"],
            r["clear_reason"],
        )
        for r in table.iter_rows(named=True)
    }
    nf, cl, cb = "odr_negative_feedback", "odr_claims", "odr_chargebacks"
    assert got == {
        "F-counting": (nf, on(-16), on(44), True, "window"),
        "F-in-lag": (nf, on(9), on(69), False, "window"),
        "C-denied": (cl, on(-20), on(-3), False, "denied"),
        "C-withdrawn": (cl, on(4), on(-6), False, "withdrawn"),  # stopped before it counted
        "C-tomorrow": (cl, on(-20), on(34), True, "window"),  # the denial is not known yet
        "F-removed": (nf, on(-46), on(14), True, "window"),  # a stop on the window's last day loses
        "B-won": ("odr_chargebacks", on(-16), on(-2), False, "seller_won"),
    }
    won = table.filter(pl.col("record_id") == "B-won").row(0, named=True)
    assert (won["channel"], won["order_id"], won["defect_type"], won["attribution_date"]) == (
        "afn",
        "won",
        "chargeback",
        on(-30),
    )
    assert cb  # every component appears


def test_removed_and_protected_reasons():
    data = dataset(
        orders=[order("O1", day(D, -30)), order("O2", day(D, -30))],
        feedback=[
            {
                "feedback_id": "F1",
                "order_id": "O1",
                "rating": 1,
                "left_at": day(D, -20),
                "removed_at": day(D, -2),
                "removal": "struck_through",
            }
        ],
        claims=[
            {
                "claim_id": "C1",
                "order_id": "O2",
                "filed_at": day(D, -20),
                "outcome": "protected",
                "resolved_at": day(D, -1),
            }
        ],
    )
    reasons = dict(
        clearance_table(data, as_of=D).select("record_id", "clear_reason").collect().iter_rows()
    )
    assert reasons == {"F1": "removed", "C1": "protected"}


def test_clearance_agrees_with_the_metrics_table():
    from tests.randomdata import random_dataset
    from toolkit.engine.metrics import metrics_table

    data = random_dataset(11).collect()
    as_of = date(2025, 3, 15)
    counting = (
        clearance_table(data, as_of=as_of)
        .filter(pl.col("counting"))
        .group_by("seller_id", "marketplace", "channel", "metric")
        .agg(pl.col("order_id").n_unique().alias("numerator"))
        .collect()
    )
    table = metrics_table(data, as_of=as_of).collect()
    components = table.filter(pl.col("metric").str.starts_with("odr_"))
    joined = components.join(
        counting, on=["seller_id", "marketplace", "channel", "metric"], how="left"
    )
    assert joined.filter(pl.col("numerator") != pl.col("numerator_right").fill_null(0)).height == 0
    assert components["numerator"].sum() > 0
