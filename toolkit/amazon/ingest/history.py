"""A history from daily seller performance reports (Amazon keeps none).

Amazon's report shows only today. Read every daily file of a seller with
:func:`~toolkit.amazon.ingest.sp_api.read_seller_performance` and :func:`snapshot_history` turns
the snapshot table into a long, chart-ready table: one row per seller, marketplace, metric,
channel and snapshot date, with the value to plot and its change since the previous
snapshot.

Examples
--------
>>> from datetime import date
>>> import polars as pl
>>> from toolkit.amazon.ingest.history import snapshot_history
>>> from toolkit.amazon.ingest.sp_api import SNAPSHOT_SCHEMA
>>> snaps = pl.LazyFrame({
...     "seller_id": ["S1"] * 4, "marketplace": ["US"] * 4,
...     "snapshot_date": [date(2025, 3, 2), date(2025, 3, 1), date(2025, 3, 1), date(2025, 3, 2)],
...     "metric": ["odr", "odr", "account_status", "account_status"], "channel": ["mfn", "mfn", "all", "all"],
...     "window_start": None, "window_end": None,
...     "numerator": [3, 2, None, None], "denominator": [200, 200, None, None],
...     "rate": [0.015, 0.01, None, None], "target": [0.01, 0.01, None, None],
...     "condition": ["<", "<", None, None],
...     "amazon_status": ["BAD", "GOOD", "NORMAL", "AT_RISK"],
... }, schema=SNAPSHOT_SCHEMA)
>>> snapshot_history(snaps).select(
...     "metric", "snapshot_date", "value", "change", "label", "status_changed"
... ).collect()
shape: (4, 6)
┌────────────────┬───────────────┬───────┬────────┬─────────┬────────────────┐
│ metric         ┆ snapshot_date ┆ value ┆ change ┆ label   ┆ status_changed │
│ ---            ┆ ---           ┆ ---   ┆ ---    ┆ ---     ┆ ---            │
│ str            ┆ date          ┆ f64   ┆ f64    ┆ str     ┆ bool           │
╞════════════════╪═══════════════╪═══════╪════════╪═════════╪════════════════╡
│ account_status ┆ 2025-03-01    ┆ null  ┆ null   ┆ NORMAL  ┆ null           │
│ account_status ┆ 2025-03-02    ┆ null  ┆ null   ┆ AT_RISK ┆ true           │
│ odr            ┆ 2025-03-01    ┆ 0.01  ┆ null   ┆ 2 / 200 ┆ null           │
│ odr            ┆ 2025-03-02    ┆ 0.015 ┆ 0.005  ┆ 3 / 200 ┆ true           │
└────────────────┴───────────────┴───────┴────────┴─────────┴────────────────┘
"""

from __future__ import annotations

import polars as pl

__all__ = ["HISTORY_KEYS", "snapshot_history"]

#: A series is one of these; its points are the snapshot dates.
HISTORY_KEYS = ("seller_id", "marketplace", "metric", "channel")


def snapshot_history(snapshots: pl.LazyFrame) -> pl.LazyFrame:
    """Each snapshot metric as a series over snapshot dates, ready to chart.

    Parameters
    ----------
    snapshots
        A snapshot table (:data:`~toolkit.amazon.ingest.sp_api.SNAPSHOT_SCHEMA`), e.g. many daily
        reports of one seller read together; one row per key and snapshot date.

    Returns
    -------
    pl.LazyFrame
        The snapshot columns plus

        - ``value`` (f64): the number to plot: ``rate`` where the metric has one, else
          ``numerator`` (defect counts of policy rows, the AHR score); null for status-only
          rows (``account_status``, ``warning_*``);
        - ``change`` (f64): ``value`` minus the value at the previous snapshot date of the
          same series (null at the first date or when either is null);
        - ``label`` (str): ``"numerator / denominator"``, else the numerator, else
          ``amazon_status``: the counts to show next to a rate;
        - ``status_changed`` (bool): ``amazon_status`` differs from the previous snapshot's
          (null at the first date).

        Sorted by ``seller_id, marketplace, metric, channel, snapshot_date``.

    Notes
    -----
    "Previous" means the previous snapshot present, not the previous calendar day: a
    missed daily pull makes a gap, not a zero. Each snapshot's own window dates are kept,
    since Amazon's windows move with the date of each report.
    """
    keys = list(HISTORY_KEYS)
    value = pl.coalesce(pl.col("rate"), pl.col("numerator").cast(pl.Float64))
    counts = pl.format("{} / {}", pl.col("numerator"), pl.col("denominator"))
    label = (
        pl.when(pl.col("numerator").is_not_null() & pl.col("denominator").is_not_null())
        .then(counts)
        .otherwise(pl.coalesce(pl.col("numerator").cast(pl.String), pl.col("amazon_status")))
    )

    def previous(column: str) -> pl.Expr:
        return pl.col(column).shift(1).over(keys, order_by="snapshot_date")

    return (
        snapshots.with_columns(value=value, label=label)
        .with_columns(
            change=pl.col("value") - previous("value"),
            status_changed=pl.when(previous("snapshot_date").is_not_null()).then(
                pl.col("amazon_status").ne_missing(previous("amazon_status"))
            ),
        )
        .sort([*keys, "snapshot_date"])
    )
