"""The product rating per ASIN (definitions section 12): the reviews ``product_rating`` counts, by ASIN.

Dates: Friday 7 March 2025 is D. Cadence of the shipped policy: reviews every 6 hours.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.builders import dataset, day, order
from tests.conftest import SAMPLE
from toolkit.engine.metrics import metrics_table
from toolkit.engine.service import rating_by_asin
from toolkit.model.data import read_data
from toolkit.model.policy import load_policy
from toolkit.sample.generate import SAMPLE_END

FRI = date(2025, 3, 7)
ORDERS = [order("O1", day(FRI, -10))]
SELLER = ["seller_id", "marketplace"]


def review(review_id: str, when: str, stars: int, asin: str = "B0MUG", **columns) -> dict:
    row = {"review_id": review_id, "seller_id": "S1", "asin": asin, "reviewed_at": when}
    return {**row, "stars": stars, **columns}


def by_asin(reviews: list[dict], as_of: date = FRI) -> pl.DataFrame:
    data = dataset(orders=ORDERS, reviews=reviews)
    return rating_by_asin(data, as_of=as_of, policy=load_policy()).collect()


#: Two reviews of the mug that always count: 4 and 1 stars.
BASE = [review("V1", day(FRI, -10), 4), review("V2", day(FRI, -20), 1)]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            review("V9", day(FRI, -364, "00:00:00"), 2),
            (3, 7, 2),
            id="a review written 364 days before D is on the first day of the window",
        ),
        pytest.param(
            review("V9", day(FRI, -365, "23:59:59"), 2),
            (2, 5, 1),
            id="a review written exactly 365 days before D has left the window",
        ),
        pytest.param(
            review("V9", day(FRI, -3), 5, verified="false"),
            (2, 5, 1),
            id="an unverified review is left out",
        ),
        pytest.param(
            review("V9", day(FRI, -3), 5, verified=""),
            (3, 10, 1),
            id="an empty verified counts as verified",
        ),
        pytest.param(
            review("V9", day(FRI, 0, "18:00:00"), 2),
            (3, 7, 2),
            id="a review at 18:00 on D is visible at that refresh",
        ),
        pytest.param(
            review("V9", day(FRI, 0, "18:01:00"), 2),
            (2, 5, 1),
            id="a review at 18:01 on D is not visible before midnight",
        ),
        pytest.param(
            review("V9", day(FRI, 1, "09:00:00"), 5),
            (2, 5, 1),
            id="a review written after D is unknown",
        ),
        pytest.param(
            review("V9", day(FRI, -3), 3),
            (3, 8, 1),
            id="three stars are not a low review",
        ),
    ],
)
def test_an_asin_counts_the_reviews_product_rating_counts(extra, expected):
    got = by_asin([*BASE, extra])
    assert got.select("asin", "reviews", "stars", "low_reviews").rows() == [("B0MUG", *expected)]
    reviews, stars, low = expected
    assert got.select("rating", "low_share").row(0) == (stars / reviews, low / reviews)


def test_asins_most_reviews_first_then_by_asin_and_per_seller():
    got = by_asin(
        [
            review("V1", day(FRI, -1), 5, asin="B0CUP"),
            review("V2", day(FRI, -2), 2, asin="B0MUG"),
            review("V3", day(FRI, -3), 4, asin="B0MUG"),
            review("V4", day(FRI, -4), 1, asin="B0BOWL"),
            review("V5", day(FRI, -5), 3, asin="B0MUG", seller_id="S2"),
            review("V6", day(FRI, -400), 1, asin="B0OLD"),  # no review in the window: no row
        ]
    )
    expected = pl.DataFrame(
        {
            "seller_id": ["S1", "S1", "S1", "S2"],
            "marketplace": "US",
            "asin": ["B0MUG", "B0BOWL", "B0CUP", "B0MUG"],
            "reviews": [2, 1, 1, 1],
            "stars": [6, 1, 5, 3],
            "rating": [3.0, 1.0, 5.0, 3.0],
            "low_reviews": [1, 1, 0, 0],
            "low_share": [0.5, 1.0, 0.0, 0.0],
        }
    )
    assert_frame_equal(got, expected)


def test_no_reviews_give_an_empty_table_with_the_columns():
    got = by_asin([])
    assert got.height == 0
    assert got.columns == [
        *SELLER,
        "asin",
        "reviews",
        "stars",
        "rating",
        "low_reviews",
        "low_share",
    ]


def _totals_agree(data, days: list[date]) -> int:
    """Per seller, the ASINs' reviews and stars are product_rating's denominator and
    numerator on each day; returns how many reviews were compared."""
    policy = load_policy()
    compared = 0
    for d in days:
        rating = (
            metrics_table(data, as_of=d, policy=policy)
            .filter(metric="product_rating")
            .select(*SELLER, "numerator", "denominator")
            .collect()
        )
        totals = (
            rating_by_asin(data, as_of=d, policy=policy)
            .group_by(SELLER)
            .agg(pl.col("stars").sum(), pl.col("reviews").sum())
            .collect()
        )
        joined = rating.join(totals, on=SELLER, how="full", coalesce=True).sort(SELLER)
        # a seller with reviews but no order anywhere has no metric rows (definitions section 4.2)
        sellers = data.orders.select(SELLER).unique().collect()
        orphans = joined.filter(pl.col("numerator").is_null()).join(sellers, on=SELLER, how="semi")
        assert orphans.height == 0
        joined = joined.filter(pl.col("numerator").is_not_null())
        assert_frame_equal(
            joined.select(pl.col("stars", "reviews").fill_null(0).cast(pl.Int64)),
            joined.select(
                pl.col("numerator").cast(pl.Int64).alias("stars"),
                pl.col("denominator").cast(pl.Int64).alias("reviews"),
            ),
        )
        compared += int(joined["denominator"].sum())
    return compared


@pytest.mark.parametrize("seed", [3, 11, 12])
def test_per_seller_totals_are_product_ratings_counts_on_random_data(seed):
    from tests.randomdata import random_dataset

    data = random_dataset(seed).collect()
    days = [date(2025, 2, 20), date(2025, 4, 2), date(2025, 6, 1)]
    assert _totals_agree(data, days) > 50


def test_per_seller_totals_are_product_ratings_counts_on_the_sample():
    data = read_data(SAMPLE).collect()
    days = [SAMPLE_END, SAMPLE_END - timedelta(days=200)]
    assert _totals_agree(data, days) > 300
