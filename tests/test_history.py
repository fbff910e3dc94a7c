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
