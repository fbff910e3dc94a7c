"""The one-date snapshot reads only the orders near the date, with the same numbers."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.randomdata import START, random_dataset
from toolkit.engine import metrics
from toolkit.engine.metrics import snapshot_counts
from toolkit.model.data import dataset_from_frames, read_data
from toolkit.model.policy import load_policy


@pytest.mark.parametrize("seed", range(3))
def test_the_orders_near_the_date_give_the_counts_of_every_order(monkeypatch, seed):
    data = random_dataset(seed, orders=500, days=200, sellers=4).collect()
    policy = load_policy()
    days = [START + timedelta(days=n) for n in (0, 20, 75, 110, 160, 199, 230, 300)]
    near = [snapshot_counts(data, policy, day).collect() for day in days]
    monkeypatch.setattr(metrics, "_near", lambda policy, day: pl.lit(True))
    every = [snapshot_counts(data, policy, day).collect() for day in days]
    assert any(frame["numerator"].sum() > 0 for frame in every)  # something to compare
    for day, ours, theirs in zip(days, near, every, strict=True):
        keys = ["_seller", "channel", "_metric"]
        assert_frame_equal(ours.sort(keys), theirs.sort(keys)), day


def test_a_late_promised_delivery_keeps_an_old_order_in_its_window():
    # purchased long before the date, promised (and so attributed, for otdr_14d) near it
    orders = {
        "order_id": ["O1", "O2"],
        "seller_id": "S1",
        "channel": "mfn",
        "purchased_at": ["2025-01-02T10:00:00Z", "2025-06-20T10:00:00Z"],
        "latest_ship_at": ["2025-01-03T10:00:00Z", "2025-06-21T10:00:00Z"],
        "shipped_at": ["2025-01-03T09:00:00Z", "2025-06-21T09:00:00Z"],
        "tracking_valid": [True, True],
        "promised_delivery_at": ["2025-06-15T10:00:00Z", "2025-06-25T10:00:00Z"],
        "delivered_at": ["2025-06-20T10:00:00Z", "2025-06-24T10:00:00Z"],
    }
    data = dataset_from_frames(orders=pl.DataFrame(orders))
    day = START.replace(month=7, day=5)  # OTDR window: promised 2025-05-23 .. 2025-06-28
    counts = snapshot_counts(data, load_policy(), day).collect()
    otdr = counts.filter(pl.col("metric") == "otdr_14d")
    assert otdr.select("numerator", "denominator").row(0) == (1, 2)  # one on time of two
    odr = counts.filter(pl.col("metric") == "odr")
    assert odr.select("denominator").row(0) == (1,)


def test_the_date_filter_reaches_the_parquet_reader(tmp_path):
    stamps = ["purchased_at", "latest_ship_at", "promised_delivery_at"]
    pl.DataFrame(
        {"order_id": ["O1"], "seller_id": "S1", "channel": "mfn"}
        | {stamp: ["2025-03-01T10:00:00Z"] for stamp in stamps}
    ).with_columns(pl.col(stamps).str.to_datetime(time_zone="UTC")).write_parquet(
        tmp_path / "orders.parquet"
    )
    data = read_data(tmp_path)
    plan = data.orders.filter(metrics._near(load_policy(), START)).explain()
    scan = plan[plan.index("Parquet SCAN") :]
    assert "SELECTION" in scan and "purchased_at" in scan.split("SELECTION")[1]
