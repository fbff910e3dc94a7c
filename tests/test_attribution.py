"""Records by attribution date: daily counts for p-charts and the window explorer's records."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.builders import dataset, day, order
from tests.randomdata import random_dataset
from toolkit.engine.attribution import daily_attribution_counts, window_records
from toolkit.engine.metrics import metric_parameters, metrics_table
from toolkit.model.policy import load_policy

D0 = date(2025, 3, 1)


def d(offset: int) -> date:
    return D0 + timedelta(days=offset)


def odr_counts(data, known_at: date, metrics=("odr",)) -> pl.DataFrame:
    return (
        daily_attribution_counts(data, known_at=known_at, metrics=list(metrics))
        .select("metric", "date", "numerator", "denominator")
        .collect()
        .sort("metric", "date")
    )


def expected(rows: list[tuple[str, date, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "metric": pl.String,
            "date": pl.Date,
            "numerator": pl.Int64,
            "denominator": pl.Int64,
        },
        orient="row",
    ).sort("metric", "date")


# ------------------------------------------------------------------ daily_attribution_counts

TWO_ORDERS = [order("O1", day(D0, 0, "09:00:00")), order("O2", day(D0, 0, "23:55:00"))]


@pytest.mark.parametrize(
    ("known_at", "rows"),
    [
        pytest.param(d(0), [("odr", d(0), 0, 1)], id="order bought at 23:55 is not known that day"),
        pytest.param(
            d(1),
            [("odr", d(0), 0, 2)],
            id="order bought at 23:55 is known the next day, dated by purchase",
        ),
    ],
)
def test_orders_are_counted_once_visible_on_their_purchase_date(known_at, rows):
    assert_frame_equal(odr_counts(dataset(orders=TWO_ORDERS), known_at), expected(rows))


CLAIM_ORDERS = [order("O1", day(D0)), order("O2", day(D0, 1))]


@pytest.mark.parametrize(
    ("claim", "known_at", "numerator"),
    [
        pytest.param(
            {"filed_at": day(D0, 9, "23:50:00"), "outcome": "pending"},
            d(9),
            0,
            id="claim filed at 23:50 not yet visible",
        ),
        pytest.param(
            {"filed_at": day(D0, 9, "23:50:00"), "outcome": "pending"},
            d(10),
            1,
            id="claim visible from the next day",
        ),
        pytest.param(
            {"filed_at": day(D0, 5), "outcome": "denied", "resolved_at": day(D0, 20)},
            d(19),
            1,
            id="claim denied after the knowledge date still counts",
        ),
        pytest.param(
            {"filed_at": day(D0, 5), "outcome": "denied", "resolved_at": day(D0, 20)},
            d(20),
            0,
            id="claim denied by the knowledge date never counts",
        ),
        pytest.param(
            {"filed_at": day(D0, 5), "outcome": "granted", "resolved_at": day(D0, 20)},
            d(40),
            1,
            id="granted claim keeps counting",
        ),
    ],
)
def test_claim_counts_as_known_at_the_date(claim, known_at, numerator):
    data = dataset(orders=CLAIM_ORDERS, claims=[{"claim_id": "C1", "order_id": "O1", **claim}])
    assert_frame_equal(
        odr_counts(data, known_at),
        expected([("odr", d(0), numerator, 1), ("odr", d(1), 0, 1)]),
    )


def test_an_order_with_two_defects_counts_once_in_odr_and_once_per_component():
    data = dataset(
        orders=CLAIM_ORDERS,
        feedback=[{"feedback_id": "F1", "order_id": "O1", "rating": 1, "left_at": day(D0, 3)}],
        claims=[{"claim_id": "C1", "order_id": "O1", "filed_at": day(D0, 4), "outcome": "pending"}],
        chargebacks=[
            {
                "chargeback_id": "B1",
                "order_id": "O2",
                "filed_at": day(D0, 4),
                "kind": "fraud",
                "outcome": "pending",
            }
        ],
    )
    metrics = ["odr", "odr_negative_feedback", "odr_claims", "odr_chargebacks"]
    assert_frame_equal(
        odr_counts(data, d(10), metrics),
        expected(
            [
                ("odr", d(0), 1, 1),
                ("odr", d(1), 0, 1),
                ("odr_negative_feedback", d(0), 1, 1),
                ("odr_negative_feedback", d(1), 0, 1),
                ("odr_claims", d(0), 1, 1),
                ("odr_claims", d(1), 0, 1),
                ("odr_chargebacks", d(0), 0, 1),
                ("odr_chargebacks", d(1), 0, 1),
            ]
        ),
    )


SHIPPING = [
    order("L1", day(D0), latest_ship_at=day(D0, 1, "23:59:59"), shipped_at=day(D0, 2)),
    order(
        "L2",
        day(D0),
        latest_ship_at=day(D0, 1, "23:59:59"),
        shipped_at=day(D0, 1, "23:50:00"),
    ),
    order(
        "L3",
        day(D0),
        latest_ship_at=day(D0, 1, "23:59:59"),
        cancelled_at=day(D0, 0, "15:00:00"),
        cancelled_by="buyer",
    ),
    order("L4", day(D0), latest_ship_at=day(D0, 1, "23:59:59"), channel="afn"),
]


@pytest.mark.parametrize(
    ("known_at", "numerator", "denominator"),
    [
        pytest.param(d(0), 2, 2, id="nothing shipped yet: both open orders late so far"),
        pytest.param(d(1), 2, 2, id="on-time shipment at 23:50 visible only the next day"),
        pytest.param(d(2), 1, 2, id="shipped late counts, on time does not, cancelled leaves"),
    ],
)
def test_late_shipments_by_latest_ship_date(known_at, numerator, denominator):
    counts = odr_counts(dataset(orders=SHIPPING), known_at, ["lsr_30d"])
    assert_frame_equal(counts, expected([("lsr_30d", d(1), numerator, denominator)]))


def test_invoice_defects_wait_for_the_deadline_and_use_channel_all():
    # shipped Friday 7 March 2025: the deadline is 23:59:59 on Monday 10 March; B2's upload
    # exactly at the deadline is on time but becomes visible at 00:00 on 11 March
    orders = [
        order("B1", day(date(2025, 3, 6)), shipped_at=day(date(2025, 3, 7)), is_business="true"),
        order(
            "B2",
            day(date(2025, 3, 6)),
            shipped_at=day(date(2025, 3, 7)),
            is_business="true",
            invoice_uploaded_at=day(date(2025, 3, 10), 0, "23:59:59"),
            channel="afn",
        ),
    ]
    data = dataset(orders=orders)
    rows = {
        known_at: daily_attribution_counts(data, known_at=known_at, metrics=["idr_7d"])
        .select("channel", "date", "numerator", "denominator")
        .collect()
        .row(0)
        for known_at in (date(2025, 3, 9), date(2025, 3, 10), date(2025, 3, 11))
    }
    assert rows == {
        date(2025, 3, 9): ("all", date(2025, 3, 6), 0, 2),
        date(2025, 3, 10): ("all", date(2025, 3, 6), 2, 2),
        date(2025, 3, 11): ("all", date(2025, 3, 6), 1, 2),
    }


def test_unknown_metric_is_an_error_naming_it():
    with pytest.raises(ValueError, match="'odr_30d'"):
        daily_attribution_counts(dataset(orders=TWO_ORDERS), known_at=D0, metrics=["odr_30d"])


def window_sums(daily: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    """Sum daily counts over the attribution dates of each metric's window at ``as_of``."""
    params = metric_parameters(load_policy()).select("metric", "_window", "_lag")
    offset = (pl.lit(as_of) - pl.col("date")).dt.total_days()
    return (
        daily.join(params, on="metric")
        .filter(offset.is_between(pl.col("_lag"), pl.col("_lag") + pl.col("_window") - 1))
        .group_by("seller_id", "marketplace", "channel", "metric")
        .agg(pl.col("numerator", "denominator").sum())
    )


@pytest.mark.parametrize("seed", [3, 8])
def test_daily_counts_summed_over_the_window_give_the_metrics_table(seed):
    data = random_dataset(seed).collect()
    keys = ["seller_id", "marketplace", "channel", "metric"]
    for as_of in (date(2025, 2, 10), date(2025, 3, 20), date(2025, 5, 2)):
        table = metrics_table(data, as_of=as_of).select(*keys, "numerator", "denominator")
        sums = window_sums(daily_attribution_counts(data, known_at=as_of), as_of)
        joined = (
            table.join(sums, on=keys, how="left", suffix="_daily")
            .with_columns(pl.col("numerator_daily", "denominator_daily").fill_null(0))
            .collect()
        )
        assert joined.height > 50
        assert joined.filter(pl.col("denominator") > 0).height > 20
        assert_frame_equal(
            joined.select("numerator", "denominator"),
            joined.select(
                pl.col("numerator_daily").alias("numerator"),
                pl.col("denominator_daily").alias("denominator"),
            ),
        )


# ------------------------------------------------------------------ window_records

EXPLORER = [
    order("O1", day(D0, 0, "10:00:00")),
    order("O2", day(D0, 4, "23:50:00")),
    order("O3", day(D0, 9)),
    order("X1", day(D0, 2), seller="S2"),
    order("A1", day(D0, 2), channel="afn"),
]
EXPLORER_FEEDBACK = [
    # counts from the order's window opening (D0+4+14) until its removal on D0+40
    {
        "feedback_id": "F1",
        "order_id": "O2",
        "rating": 1,
        "left_at": day(D0, 8),
        "removed_at": day(D0, 40),
        "removal": "buyer_removed",
    },
    # removed before the order enters the window: never counts
    {
        "feedback_id": "F2",
        "order_id": "O3",
        "rating": 2,
        "left_at": day(D0, 12),
        "removed_at": day(D0, 15),
        "removal": "amazon_removed",
    },
    {"feedback_id": "F3", "order_id": "O3", "rating": 5, "left_at": day(D0, 12)},
]
EXPLORER_CLAIMS = [
    {"claim_id": "C1", "order_id": "O1", "filed_at": day(D0, 30), "outcome": "pending"},
]


def records_frame(rows: list[tuple]) -> pl.DataFrame:
    schema = {
        "order_id": pl.String,
        "record_type": pl.String,
        "record_id": pl.String,
        "attribution_date": pl.Date,
        "counts_from": pl.Date,
        "clears_on": pl.Date,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def test_window_records_give_each_order_and_defect_its_window():
    data = dataset(orders=EXPLORER, feedback=EXPLORER_FEEDBACK, claims=EXPLORER_CLAIMS)
    got = window_records(data, seller_id="S1").collect()
    assert_frame_equal(
        got,
        records_frame(
            [
                ("O1", "claim", "C1", d(0), d(30), d(74)),
                ("O1", "order", "O1", d(0), d(14), d(74)),
                ("O2", "negative_feedback", "F1", d(4), d(18), d(40)),
                ("O2", "order", "O2", d(4), d(18), d(78)),
                ("O3", "negative_feedback", "F2", d(9), d(15), d(15)),
                ("O3", "order", "O3", d(9), d(23), d(83)),
            ]
        ),
    )


@pytest.mark.parametrize(
    ("known_at", "rows"),
    [
        pytest.param(
            d(20),
            [
                ("O1", "order", "O1", d(0), d(14), d(74)),
                ("O2", "negative_feedback", "F1", d(4), d(18), d(78)),
                ("O2", "order", "O2", d(4), d(18), d(78)),
                ("O3", "negative_feedback", "F2", d(9), d(15), d(15)),
                ("O3", "order", "O3", d(9), d(23), d(83)),
            ],
            id="claim not filed yet, removal not known yet: feedback counts to the window end",
        ),
        pytest.param(
            d(5),
            [
                ("O1", "order", "O1", d(0), d(14), d(74)),
                ("O2", "order", "O2", d(4), d(18), d(78)),
            ],
            id="only what is visible by the date",
        ),
    ],
)
def test_window_records_known_at_a_date(known_at, rows):
    data = dataset(orders=EXPLORER, feedback=EXPLORER_FEEDBACK, claims=EXPLORER_CLAIMS)
    assert_frame_equal(
        window_records(data, seller_id="S1", known_at=known_at).collect(), records_frame(rows)
    )


def test_window_records_only_defective_orders():
    data = dataset(orders=EXPLORER, feedback=EXPLORER_FEEDBACK, claims=EXPLORER_CLAIMS)
    got = window_records(data, seller_id="S1", known_at=d(20), only_defective=True).collect()
    assert got["order_id"].unique().sort().to_list() == ["O2", "O3"]
    assert got.height == 4


def test_window_records_reject_an_unknown_channel():
    with pytest.raises(ValueError, match="'all'"):
        window_records(dataset(orders=EXPLORER), seller_id="S1", channel="all")


@pytest.mark.parametrize("seed", [5, 9])
def test_window_records_reproduce_the_odr_on_every_day(seed):
    """Orders in the window and orders with a counting defect, per day, are the ODR's counts."""
    data = random_dataset(seed).collect()
    start, end = date(2025, 1, 20), date(2025, 6, 10)
    history = (
        metrics_table(data, as_of=start, to=end)
        .filter(
            pl.col("metric") == "odr", pl.col("seller_id") == "S1", pl.col("marketplace") == "US"
        )
        .select("channel", "as_of", "numerator", "denominator")
        .collect()
    )
    days = pl.DataFrame({"as_of": pl.date_range(start, end, eager=True)})
    parts = []
    for channel in ("mfn", "afn"):
        records = window_records(data, seller_id="S1", channel=channel).collect()
        live = days.join(records, how="cross").filter(
            (pl.col("counts_from") <= pl.col("as_of")) & (pl.col("as_of") < pl.col("clears_on"))
        )
        counts = live.group_by("as_of").agg(
            pl.col("order_id")
            .filter(pl.col("record_type") != "order")
            .n_unique()
            .alias("numerator"),
            (pl.col("record_type") == "order").sum().cast(pl.Int64).alias("denominator"),
        )
        parts.append(
            days.join(counts, on="as_of", how="left")
            .with_columns(pl.col("numerator", "denominator").fill_null(0).cast(pl.Int64))
            .with_columns(channel=pl.lit(channel))
        )
    brute = pl.concat(parts).select("channel", "as_of", "numerator", "denominator")
    assert history["numerator"].sum() > 0
    assert_frame_equal(history.sort("channel", "as_of"), brute.sort("channel", "as_of"))
