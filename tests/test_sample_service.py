"""The sample's returns, buyer messages and reviews (definitions section 12): the stories of data/sample/README.md."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from tests.conftest import SAMPLE
from toolkit.engine.metrics import metrics_table
from toolkit.model.data import Dataset, read_data
from toolkit.sample.generate import PERSONA_IDS, SAMPLE_END, generate_sample

SERVICE = ("rdr_30d", "contact_response_24h_30d", "product_rating")


@pytest.fixture(scope="module")
def sample() -> Dataset:
    return read_data(SAMPLE).collect()


@pytest.fixture(scope="module")
def history(sample) -> pl.DataFrame:
    first = SAMPLE_END - timedelta(days=394)
    return (
        metrics_table(sample, as_of=first, to=SAMPLE_END)
        .filter(pl.col("metric").is_in(SERVICE))
        .collect()
    )


def test_every_persona_has_messages_and_the_sellers_with_mfn_deliveries_returns(sample):
    orders = sample.orders.select("order_id", "seller_id")
    returns = sample.returns.join(orders, on="order_id").collect()
    messages, reviews = sample.messages.collect(), sample.reviews.collect()
    assert (returns.height, messages.height, reviews.height) == (355, 843, 466)
    assert set(returns["seller_id"]) == set(messages["seller_id"]) == set(PERSONA_IDS)
    assert messages["order_id"].null_count() == 141  # about no order
    assert reviews.filter(~pl.col("verified")).height == 36


def test_a_message_about_no_order_comes_after_the_sellers_first_order(sample):
    first = sample.orders.group_by("seller_id").agg(pl.col("purchased_at").min().alias("first"))
    early = sample.messages.join(first, on="seller_id").filter(
        pl.col("received_at") < pl.col("first")
    )
    assert early.collect().height == 0


def test_s09_answers_buyers_slowly(sample, history):
    messages = sample.messages.filter(pl.col("seller_id") == "S09-new-seller").collect()
    late = messages.filter((pl.col("replied_at") - pl.col("received_at")) > pl.duration(hours=24))
    assert (messages.height, late.height) == (17, 7)
    today = history.filter(
        seller_id="S09-new-seller", metric="contact_response_24h_30d", as_of=SAMPLE_END
    )
    assert today.select("numerator", "denominator", "target", "status").row(0) == (
        10,
        17,
        0.9,
        "info",
    )
    # every other persona with at least five messages in the window stays above 55 %
    others = history.filter(
        pl.col("metric") == "contact_response_24h_30d",
        pl.col("seller_id") != "S09-new-seller",
        pl.col("denominator") >= 5,
    )
    assert others["rate"].min() > 0.55


def test_s10_rejects_in_policy_returns(sample, history):
    orders = sample.orders.filter(pl.col("seller_id") == "S10-disputes").select("order_id")
    returns = sample.returns.join(orders, on="order_id").collect()
    in_policy = returns.filter(pl.col("in_policy"))
    assert (returns.height, in_policy.height) == (63, 58)
    assert in_policy.filter(pl.col("outcome") == "rejected").height == 19
    rdr = history.filter(seller_id="S10-disputes", metric="rdr_30d")
    measured = rdr.filter(pl.col("denominator") > 0)
    # at or above the 10 % Amazon used to publish on 311 of 382 days, yet never a status
    assert (measured.filter(pl.col("rate") >= 0.1).height, measured.height) == (311, 382)
    assert set(rdr["status"]) <= {"info", "no_data"}
    peak = rdr.filter(as_of=date(2025, 12, 9)).select("numerator", "denominator").row(0)
    assert peak == (4, 9)


def test_retired_metrics_never_set_a_personas_status(history):
    assert set(history["status"]) == {"info", "no_data"}
    assert history["informational"].all()


def test_generated_sellers_have_no_returns_messages_or_reviews():
    tables = generate_sample(sellers=14, days=30)
    for name in ("returns", "messages", "reviews"):
        frame = tables[name]
        owners = (
            frame.join(tables["orders"].select("order_id", "seller_id"), on="order_id")
            if name == "returns"
            else frame
        )
        assert not owners["seller_id"].str.starts_with("G").any(), name


@pytest.mark.parametrize(
    ("seller", "expected"),
    [
        pytest.param("S07-recovering", (206, 54), id="S07 has the lowest average, 3.81"),
        pytest.param("S06-violations", (129, 29), id="S06 has the highest, 4.45"),
        pytest.param("S09-new-seller", (0, 0), id="S09 has no verified review yet"),
    ],
)
def test_product_ratings_at_the_end_of_the_sample(history, seller, expected):
    today = history.filter(seller_id=seller, metric="product_rating", as_of=SAMPLE_END)
    assert today.select("numerator", "denominator").row(0) == expected
    rates = history.filter(metric="product_rating", as_of=SAMPLE_END)["rate"].drop_nulls()
    assert (round(rates.min(), 2), round(rates.max(), 2)) == (3.81, 4.45)
