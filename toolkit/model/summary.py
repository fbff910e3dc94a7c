"""Short text summaries of a dataset, for the command line and notebooks."""

from __future__ import annotations

import polars as pl

from toolkit.model.data import Dataset
from toolkit.model.schema import TABLES

__all__ = ["data_summary"]

_TIME_COLUMN = {
    "orders": "purchased_at",
    "feedback": "left_at",
    "claims": "filed_at",
    "chargebacks": "filed_at",
    "violations": "detected_at",
    "inventory": "date",
    "ipi_observed": "date",
}


def data_summary(data: Dataset) -> str:
    """Rows per table, sellers, marketplaces and the date range of each table.

    Examples
    --------
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> orders = pl.DataFrame({"order_id": ["A", "B"], "seller_id": ["S1", "S2"],
    ...     "channel": ["mfn", "afn"], "purchased_at": ["2025-03-01", "2025-03-09"]})
    >>> print(data_summary(dataset_from_frames(orders=orders)))
    sellers: 2 (marketplaces: US)
    orders              2 rows  2025-03-01 .. 2025-03-09
    feedback            0 rows
    claims              0 rows
    chargebacks         0 rows
    violations          0 rows
    inventory           0 rows
    ipi_observed        0 rows
    """
    queries = [
        data.table(name).select(
            pl.len().alias("rows"),
            pl.col(column).min().cast(pl.Date).alias("first"),
            pl.col(column).max().cast(pl.Date).alias("last"),
        )
        for name, column in _TIME_COLUMN.items()
    ]
    sellers = pl.concat(
        [
            data.orders.select("seller_id", "marketplace"),
            data.violations.select("seller_id", "marketplace"),
            data.inventory.select("seller_id", "marketplace"),
        ]
    ).unique()
    *stats, keys = pl.collect_all([*queries, sellers])
    markets = ", ".join(sorted(keys["marketplace"].unique().to_list())) or "none"
    lines = [f"sellers: {keys['seller_id'].n_unique()} (marketplaces: {markets})"]
    for name, frame in zip(TABLES, stats, strict=True):
        row = frame.row(0, named=True)
        span = f"  {row['first']} .. {row['last']}" if row["rows"] else ""
        lines.append(f"{name:<12}{row['rows']:>9,} rows{span}")
    return "\n".join(lines)
