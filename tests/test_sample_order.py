"""The generator writes rows as exports come: by time, sellers interleaved, in spans."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import SAMPLE
from toolkit.model.data import read_data
from toolkit.model.schema import TABLES
from toolkit.sample import generate
from toolkit.sample.generate import TIME_ORDER, generate_sample, write_sample


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return generate_sample(seed=3, sellers=20, days=30, daily_orders=3.0)


def test_every_table_has_a_time_column_for_its_order():
    assert set(TIME_ORDER) == set(TABLES)
    for name, column in TIME_ORDER.items():
        assert column in TABLES[name].names, name


def test_orders_come_in_purchase_time_order_with_the_sellers_interleaved(tables):
    orders = tables["orders"]
    assert orders["purchased_at"].is_sorted()
    # rows of one seller are not together: the seller changes on most rows
    changes = (orders["seller_id"] != orders["seller_id"].shift(1)).sum()
    assert changes > orders.height / 2
    assert not orders["seller_id"].is_sorted()


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_of_the_committed_sample_comes_in_time_order(name):
    frame = read_data(SAMPLE).table(name).collect()
    assert frame.height > 0, name
    assert frame[TIME_ORDER[name]].is_sorted(nulls_last=True), name


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_spans_of_days_give_the_bytes_of_one_span(tmp_path, monkeypatch, file_format):
    # a few thousand orders per span: the files are put together from many spans
    whole = write_sample(
        tmp_path / "whole", seed=5, sellers=16, days=25, file_format=file_format, progress=False
    )
    monkeypatch.setattr(generate, "_SPAN_ORDERS", 50)
    spans = write_sample(
        tmp_path / "spans", seed=5, sellers=16, days=25, file_format=file_format, progress=False
    )
    assert whole == spans
    for name in TABLES:
        file = f"{name}.{file_format}"
        if file_format == "csv":
            assert (tmp_path / "whole" / file).read_bytes() == (
                tmp_path / "spans" / file
            ).read_bytes()
        else:
            assert_frame_equal(
                pl.read_parquet(tmp_path / "whole" / file),
                pl.read_parquet(tmp_path / "spans" / file),
            )
    assert not any(p.name.startswith(".sample-") for p in (tmp_path / "spans").iterdir())


def test_parquet_uses_polars_default_writer_settings(tmp_path):
    import pyarrow.parquet as pq

    write_sample(tmp_path, seed=5, sellers=16, days=25, file_format="parquet", progress=False)
    orders = pl.read_parquet(tmp_path / "orders.parquet")
    orders.write_parquet(tmp_path / "default.parquet")
    ours = pq.ParquetFile(tmp_path / "orders.parquet").metadata
    default = pq.ParquetFile(tmp_path / "default.parquet").metadata
    assert ours.num_row_groups == default.num_row_groups
    assert ours.row_group(0).column(0).compression == default.row_group(0).column(0).compression
