"""A history computed from retention windows equals a snapshot of each date, on every row."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.randomdata import random_dataset
from toolkit.engine.metrics import metrics_table


def _snapshots(data, first, last, known_at=None):
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return pl.concat(
        [metrics_table(data, as_of=d, known_at=known_at).collect() for d in days]
    ).sort("seller_id", "marketplace", "channel", "metric", "as_of")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_history_equals_daily_snapshots(seed):
    data = random_dataset(seed).collect()
    first, last = date(2025, 2, 20), date(2025, 4, 10)
    history = metrics_table(data, as_of=first, to=last).collect()
    assert_frame_equal(history, _snapshots(data, first, last))
    assert history.filter(pl.col("numerator") > 0).height > 50  # the data exercise the numerators


def test_restated_history_equals_restated_snapshots():
    data = random_dataset(4).collect()
    first, last, known = date(2025, 2, 20), date(2025, 3, 20), date(2025, 4, 30)
    history = metrics_table(data, as_of=first, to=last, known_at=known).collect()
    assert_frame_equal(history, _snapshots(data, first, last, known_at=known))
    point_in_time = metrics_table(data, as_of=first, to=last).collect()
    keys = ["seller_id", "marketplace", "channel", "metric", "as_of"]
    both = history.join(point_in_time, on=keys, suffix="_pit").filter(pl.col("metric") == "odr")
    # defects that arrived later raise some restated numerators; removals known later lower some
    assert both.filter(pl.col("numerator") > pl.col("numerator_pit")).height > 0
    assert both.filter(pl.col("numerator") < pl.col("numerator_pit")).height > 0


def test_a_history_with_records_removed_equals_snapshots_with_them_removed():
    """The what-if removal (defect ids and order ids) is the same on both paths, point in
    time and with knowledge frozen (the forecast's known part)."""
    from toolkit.engine.metrics import snapshot_counts, window_counts
    from toolkit.model.policy import load_policy

    data = random_dataset(5).collect()
    policy = load_policy()
    keys = ["seller_id", "marketplace", "channel", "metric", "as_of"]
    orders = data.orders.collect()["order_id"].sort().to_list()
    feedback = data.feedback.filter(pl.col("rating") <= 2).collect()["feedback_id"].to_list()
    remove = frozenset(orders[::7] + feedback[::2])
    first, last = date(2025, 3, 11), date(2025, 3, 20)
    for known_at in (None, last):
        history = window_counts(data, policy, first, last, known_at=known_at, remove=remove)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        snapshots = pl.concat(
            [
                snapshot_counts(data, policy, d, known_at=known_at, remove=remove).collect()
                for d in days
            ]
        )
        columns = [*keys, "numerator", "denominator"]
        assert_frame_equal(
            history.collect().select(columns).sort(keys), snapshots.select(columns).sort(keys)
        )
    plain = snapshot_counts(data, policy, last).collect()
    cleared = snapshot_counts(data, policy, last, remove=remove).collect()
    both = plain.join(cleared, on=keys[:4], suffix="_cleared")
    # removing takes bad orders off `<` numerators, adds them to `>` ones, never moves a
    # denominator
    assert (both["denominator"] == both["denominator_cleared"]).all()
    lower = both.filter(pl.col("metric").is_in(["lsr_30d", "odr", "odr_negative_feedback"]))
    assert (lower["numerator_cleared"] <= lower["numerator"]).all()
    assert (lower["numerator_cleared"] < lower["numerator"]).any()
    higher = both.filter(pl.col("metric").is_in(["vtr_30d", "otdr_14d"]))
    assert (higher["numerator_cleared"] >= higher["numerator"]).all()
    assert (higher["numerator_cleared"] > higher["numerator"]).any()
