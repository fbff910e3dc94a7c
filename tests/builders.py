"""Tiny hand-built datasets for engine tests: rows as dicts of strings, like a CSV file."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from toolkit.model.data import Dataset, dataset_from_frames
from toolkit.model.schema import TABLES


def day(d: date, offset: int = 0, time: str = "12:00:00") -> str:
    """ISO UTC timestamp of ``d + offset`` days at ``time``."""
    return f"{(d + timedelta(days=offset)).isoformat()}T{time}Z"


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """A frame of ``table`` with every schema column (strings), unknown keys rejected."""
    names = TABLES[table].names
    for row in rows:
        extra = set(row) - set(names)
        assert not extra, f"unknown columns for {table}: {extra}"
    return pl.DataFrame(
        {n: [None if r.get(n) is None else str(r[n]) for r in rows] for n in names},
        schema=dict.fromkeys(names, pl.String),
    )


def dataset(**tables: list[dict]) -> Dataset:
    """A validated dataset from lists of row dicts per table."""
    return dataset_from_frames(**{name: frame(name, rows) for name, rows in tables.items()})


def order(order_id: str, purchased: str, *, seller: str = "S1", channel: str = "mfn", **kw) -> dict:
    return {
        "order_id": order_id,
        "seller_id": seller,
        "channel": channel,
        "purchased_at": purchased,
        **kw,
    }
