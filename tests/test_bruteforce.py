"""The engine against a deliberately naive per-day reading of definitions section 4, on every row.

`tests/oracles/bruteforce.py` asks the definitions' questions in plain Python, one as-of date, key,
metric and order at a time, with datetime arithmetic (no day numbers, no retention
windows). The engine's one-date scan and its +1/-1 range counts must both agree with it on
seeded random data full of midnight and cadence edges, point in time and restated.
"""

from __future__ import annotations

from datetime import date

import pytest
from polars.testing import assert_frame_equal

from tests.oracles.bruteforce import bruteforce_metrics
from tests.randomdata import random_dataset
from toolkit.engine.metrics import metrics_table
from toolkit.model.schema import TABLES

KEYS = ["seller_id", "marketplace", "channel", "metric", "as_of"]
COLUMNS = [*KEYS, "window_start", "window_end", "numerator", "denominator", "rate"]


def _write(data, path):
    for name in TABLES:
        data.table(name).collect().write_parquet(path / f"{name}.parquet")
    return path


@pytest.mark.parametrize(
    ("seed", "first", "last", "known_at"),
    [
        pytest.param(21, date(2025, 2, 10), date(2025, 3, 10), None, id="point in time, seed 21"),
        pytest.param(22, date(2025, 3, 1), date(2025, 3, 31), None, id="point in time, seed 22"),
        pytest.param(
            23, date(2025, 2, 15), date(2025, 3, 5), date(2025, 4, 20), id="restated, seed 23"
        ),
    ],
)
def test_engine_agrees_with_brute_force_on_every_row(tmp_path, seed, first, last, known_at):
    data = random_dataset(seed, orders=300, days=100).collect()
    directory = _write(data, tmp_path)
    naive = bruteforce_metrics(directory, as_of=first, to=last, known_at=known_at)
    history = metrics_table(data, as_of=first, to=last, known_at=known_at).collect()
    assert_frame_equal(history.select(COLUMNS).sort(KEYS), naive.sort(KEYS))
    one_day = metrics_table(data, as_of=last, known_at=known_at).collect()
    assert_frame_equal(
        one_day.select(COLUMNS).sort(KEYS), naive.filter(naive["as_of"] == last).sort(KEYS)
    )
    assert naive["numerator"].sum() > 0 and naive["denominator"].sum() > 0
    # the definitions section 12 metrics are tested too: each has good and bad records on some dates
    for metric in ("rdr_30d", "contact_response_24h_30d", "product_rating"):
        rows = naive.filter(metric=metric)
        assert (rows["numerator"] > 0).any() and (rows["denominator"] > 0).any(), metric
        assert (rows["numerator"] != rows["denominator"]).any(), metric
