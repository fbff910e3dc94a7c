"""The inventory tables against a naive per-day reading of definitions section 11, on random data.

`tests/inventory_naive.py` rescans every window for every as-of date, SKU by SKU, with
exact fractions; the fast tables use +1/-1 window sums over a date grid. They must agree on
every row, for random SKUs that start, end, run out of stock, strand and carry Amazon's
excess estimate on random dates, in a marketplace with four components and one without
the in-stock rate.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tests.inventory_naive import naive_inventory
from toolkit.inventory import inventory_table
from toolkit.inventory.tables import SELLER_COLUMNS
from toolkit.model.data import dataset_from_frames
from toolkit.model.policy import load_policy

POLICY = load_policy()
FIRST = date(2025, 1, 1)
DAYS = 200
KEYS = ["seller_id", "marketplace", "as_of"]


def random_inventory(seed: int) -> list[dict]:
    """SKUs of two sellers in US and CA, each over a random span of dates, with random units."""
    rng = np.random.default_rng(seed)
    rows = []
    for s, seller in enumerate(("S1", "S2")):
        for market in ("US", "CA"):
            for k in range(int(rng.integers(1, 5))):
                early = rng.random() < 0.6  # most SKUs are old enough to count
                start = int(rng.integers(0, 40 if early else DAYS - 10))
                ends = rng.random() < 0.3  # some end before the last day
                length = int(rng.integers(1, DAYS - start + 1)) if ends else DAYS - start
                stock = int(rng.integers(0, 60))
                always = rng.random() < 0.3  # a SKU that never sells out
                replenishable = bool(rng.random() < 0.8)
                for n in range(start, start + length):
                    sold = int(rng.poisson(1.5)) if rng.random() < 0.7 else 0
                    sold = min(sold, stock)
                    stock -= sold
                    if stock == 0 or rng.random() < 0.05:
                        stock += (
                            0 if (not always and rng.random() < 0.5) else int(rng.integers(5, 80))
                        )
                    stranded = int(rng.integers(0, stock + 1)) if rng.random() < 0.3 else 0
                    extra = int(rng.integers(0, 5))  # units in other states
                    on_hand = stock + extra
                    excess = int(rng.integers(0, on_hand + 1)) if rng.random() < 0.15 else None
                    rows.append(
                        {
                            "date": FIRST + timedelta(days=n),
                            "seller_id": seller,
                            "marketplace": market,
                            "sku": f"K{s}{k}",
                            "on_hand": on_hand,
                            "available": stock - stranded,
                            "stranded": stranded,
                            "shipped": sold,
                            "excess": excess,
                            "replenishable": replenishable
                            if rng.random() < 0.95
                            else not replenishable,
                        }
                    )
    return rows


def _compare(seed: int, start: date, end: date) -> None:
    rows = random_inventory(seed)
    orders = pl.DataFrame(
        {"order_id": ["O"], "seller_id": ["S1"], "channel": ["afn"], "purchased_at": ["2025-01-01"]}
    )
    frame = pl.DataFrame(rows, schema_overrides={"excess": pl.Int64, "replenishable": pl.Boolean})
    data = dataset_from_frames(orders=orders, inventory=frame)
    fast = inventory_table(data, as_of=start, to=end, policy=POLICY).collect()
    naive = pl.DataFrame(
        naive_inventory(rows, start=start, end=end, policy=POLICY.inventory),
        schema=fast.select(SELLER_COLUMNS).schema,
    )
    assert_frame_equal(fast.sort(KEYS), naive.sort(KEYS))
    return fast


def test_fast_tables_agree_with_the_naive_reading_on_a_fixed_seed():
    fast = _compare(7, FIRST + timedelta(days=95), FIRST + timedelta(days=DAYS + 20))
    # the comparison is not vacuous: every component, band and proxy value occurs
    assert fast["ipi_proxy"].drop_nulls().n_unique() > 20
    for column in ("sell_through_90d", "excess_pct", "stranded_pct", "in_stock_rate_30d"):
        assert fast[column].drop_nulls().n_unique() > 10, column
    assert {"good", "fair", "poor"} <= set(fast["sell_through_90d_band"])
    assert {"excellent", "good", "fair", "poor"} <= set(fast["in_stock_rate_30d_band"])
    assert {"not_used", "no_data"} <= set(fast["in_stock_rate_30d_band"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    start=st.integers(min_value=0, max_value=DAYS + 60),
    length=st.integers(min_value=1, max_value=40),
)
def test_fast_tables_agree_with_the_naive_reading(seed, start, length):
    first = FIRST + timedelta(days=start)
    _compare(seed, first, first + timedelta(days=length - 1))
