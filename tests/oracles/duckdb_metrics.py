"""The definitions section 4 metrics in plain DuckDB SQL: the benchmark baseline and a cross-check.

This is the SQL an analyst would write for the same definitions, written with care for
speed, and sharing nothing with the toolkit's polars engine except the policy numbers
(windows, lags, cadences, the chargeback switch from :func:`toolkit.model.policy.load_policy`).
DuckDB reads the data directory itself (``read_parquet`` / ``read_csv``); the data is
expected to be valid (``seller-health validate``): nothing here checks it.

How it works
------------
- Reading: each table becomes one typed ``SELECT`` over ``read_parquet`` or ``read_csv``
  (CSV read as text, then cast: offsets and ``Z`` converted to UTC, naive timestamps
  taken as UTC, ``true/false/1/0/t/f/yes/no`` booleans, empty cells null, missing
  ``marketplace`` = ``US``). Timestamps become epoch microseconds (``BIGINT``, UTC).
- The metric SQL is in :mod:`tests.oracles.duckdb_sql`: one scan with conditional counts for
  one as-of date, +1/-1 events and cumulative window sums for a range of dates. Both
  plans end with rows of integer codes (key, metric, day, numerator, denominator),
  sorted by DuckDB; polars then attaches the labels and dates (see :func:`_result`).
- Keys: (seller, marketplace, channel) and (seller, marketplace, ``all``) get small
  integers ranked in the string order of the output; metrics likewise.

Examples
--------
>>> from datetime import date
>>> import polars as pl
>>> from tests.oracles.duckdb_metrics import duckdb_metrics
>>> def demo_dir(tmp):
...     pl.DataFrame({
...         "order_id": ["A", "B"], "seller_id": "S1", "channel": "afn",
...         "purchased_at": ["2025-03-01T10:00:00Z", "2025-03-02T10:00:00Z"],
...     }).write_csv(tmp / "orders.csv")
...     pl.DataFrame({
...         "claim_id": ["C1"], "order_id": ["A"], "filed_at": ["2025-03-20T23:50:00Z"],
...         "outcome": ["pending"],
...     }).write_csv(tmp / "claims.csv")
...     return tmp
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     table = duckdb_metrics(demo_dir(pathlib.Path(tmp)), as_of=date(2025, 3, 21))
>>> table.filter(pl.col("metric") == "odr").select("channel", "as_of", "numerator", "denominator")
shape: (1, 4)
┌─────────┬────────────┬───────────┬─────────────┐
│ channel ┆ as_of      ┆ numerator ┆ denominator │
│ ---     ┆ ---        ┆ ---       ┆ ---         │
│ str     ┆ date       ┆ i64       ┆ i64         │
╞═════════╪════════════╪═══════════╪═════════════╡
│ afn     ┆ 2025-03-21 ┆ 1         ┆ 2           │
└─────────┴────────────┴───────────┴─────────────┘
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from tests.oracles.duckdb_sql import RANK, day_number, history_rows, snapshot_rows
from toolkit.model.policy import Policy, load_policy

__all__ = ["OUTPUT_COLUMNS", "duckdb_metrics"]

#: The definitions section 4.2 columns this baseline produces (status and statistics are not its job).
OUTPUT_COLUMNS = (
    "seller_id",
    "marketplace",
    "channel",
    "metric",
    "as_of",
    "window_start",
    "window_end",
    "numerator",
    "denominator",
    "rate",
)

# Columns read from each table and their kinds (definitions section 3).
_COLUMNS = {
    "orders": {
        "order_id": "str",
        "seller_id": "str",
        "marketplace": "str",
        "channel": "str",
        "purchased_at": "ts",
        "latest_ship_at": "ts",
        "shipped_at": "ts",
        "promised_delivery_at": "ts",
        "delivered_at": "ts",
        "tracking_valid": "bool",
        "cancelled_at": "ts",
        "cancelled_by": "str",
        "is_business": "bool",
        "invoice_uploaded_at": "ts",
    },
    "feedback": {"order_id": "str", "rating": "int", "left_at": "ts", "removed_at": "ts"},
    "claims": {"order_id": "str", "filed_at": "ts", "outcome": "str", "resolved_at": "ts"},
    "chargebacks": {
        "order_id": "str",
        "filed_at": "ts",
        "kind": "str",
        "outcome": "str",
        "resolved_at": "ts",
    },
}
_SQL_TYPE = {"str": "VARCHAR", "ts": "BIGINT", "bool": "BOOLEAN", "int": "BIGINT"}


# ------------------------------------------------------------------ reading the files


def _typed(con: duckdb.DuckDBPyConnection, data_dir: Path, table: str) -> str:
    """A SELECT over one table with its columns typed: timestamps as epoch microseconds."""
    columns = _COLUMNS[table]
    files = [data_dir / f"{table}.{ext}" for ext in ("parquet", "csv")]
    file = next((f for f in files if f.is_file()), None)
    if file is None:
        nulls = ", ".join(f"NULL::{_SQL_TYPE[k]} AS {c}" for c, k in columns.items())
        return f"SELECT {nulls} WHERE false"
    path = str(file).replace("'", "''")
    source = (
        f"read_parquet('{path}')"
        if file.suffix == ".parquet"
        else f"read_csv('{path}', header = true, all_varchar = true, delim = ',', quote = '\"')"
    )
    types = {row[0]: row[1] for row in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    exprs = []
    for name, kind in columns.items():
        typed = _typed_column(name, kind, types.get(name), csv=file.suffix == ".csv")
        exprs.append(f"{typed} AS {name}")
    return f"SELECT {', '.join(exprs)} FROM {source}"


def _typed_column(name: str, kind: str, source_type: str | None, *, csv: bool) -> str:
    if source_type is None:
        return "'US'" if name == "marketplace" else f"NULL::{_SQL_TYPE[kind]}"
    text = source_type == "VARCHAR"
    col = f'"{name}"'
    if kind == "str":
        # Text files may pad cells; typed (Parquet) strings are taken as they are, except
        # that an empty marketplace means US there too. (An empty cancelled_by already
        # counts as no one; ids and enumerations are required, so never empty.)
        value = col if text else f"CAST({col} AS VARCHAR)"
        if csv:
            value = f"NULLIF(trim({value}), '')"
        if name == "marketplace":
            return f"coalesce(NULLIF({value}, ''), 'US')"
        return value
    if kind == "ts":
        if text:
            return f"epoch_us(CAST(NULLIF(trim({col}), '') AS TIMESTAMPTZ))"
        if source_type == "DATE":
            return f"epoch_us(CAST({col} AS TIMESTAMP))"
        return f"epoch_us({col})"
    if kind == "bool":
        if source_type == "BOOLEAN":
            return col
        if text:
            low = f"lower(trim({col}))"
            return (
                f"CASE WHEN {low} IN ('true', '1', 't', 'yes') THEN true "
                f"WHEN {low} IN ('false', '0', 'f', 'no') THEN false END"
            )
        return f"CASE {col} WHEN 1 THEN true WHEN 0 THEN false END"
    if text:  # int
        return f"CAST(CAST(NULLIF(trim({col}), '') AS DOUBLE) AS BIGINT)"
    return f"CAST({col} AS BIGINT)"


def _result(con: duckdb.DuckDBPyConnection, rows: str, policy: Policy) -> pl.DataFrame:
    """The output table from ``rows`` (k, mr, day, num, den), sorted by DuckDB.

    DuckDB sorts by the integer codes, which are ranked in the string order of the
    labels. Turning codes into labels and day numbers into dates (and the rate, a plain
    division) is left to polars: exporting millions of repeated strings and dates through
    Arrow costs DuckDB more than computing every count.
    """
    codes = pl.from_arrow(
        con.sql(f"SELECT k, mr, day, num, den FROM ({rows}) ORDER BY k, mr, day").to_arrow_table()
    )
    keys = pl.from_arrow(con.sql("SELECT * FROM keys ORDER BY k").to_arrow_table())
    metrics = list(RANK)
    lags = pl.Series([policy.metric(m).lag_days for m in metrics], dtype=pl.Int32)
    spans = pl.Series([policy.metric(m).window_days for m in metrics], dtype=pl.Int32)
    index, mr = codes.get_column("k") - 1, codes.get_column("mr")
    lag, day = lags.gather(mr), codes.get_column("day").cast(pl.Int32)
    num, den = codes.get_column("num").cast(pl.Int64), codes.get_column("den").cast(pl.Int64)
    return pl.DataFrame(
        {
            "seller_id": keys.get_column("seller_id").gather(index),
            "marketplace": keys.get_column("marketplace").gather(index),
            "channel": keys.get_column("channel").gather(index),
            "metric": pl.Series(metrics, dtype=pl.String).gather(mr),
            "as_of": day.cast(pl.Date),
            "window_start": (day - lag - spans.gather(mr) + 1).cast(pl.Date),
            "window_end": (day - lag).cast(pl.Date),
            "numerator": num,
            "denominator": den,
            "rate": pl.select(
                pl.when(den > 0).then(num / den).otherwise(None).alias("rate")
            ).to_series(),
        }
    )


def duckdb_metrics(
    data_dir: str | Path,
    *,
    as_of: date,
    to: date | None = None,
    policy: Policy | None = None,
    threads: int | None = None,
    method: str = "auto",
) -> pl.DataFrame:
    """The metrics of definitions section 4 for as-of ``as_of`` (or every date ``as_of .. to``).

    Parameters
    ----------
    data_dir
        A valid data directory (definitions section 3), Parquet or CSV files.
    as_of, to
        First and last as-of date (``to`` None: one date).
    policy
        Windows, lags, cadences and the chargeback switch; default the shipped policy.
    threads
        DuckDB worker threads; default every core.
    method
        ``"snapshot"`` (one scan with conditional counts; one date only), ``"history"``
        (+1/-1 events and cumulative sums) or ``"auto"`` (snapshot for one date).

    Returns
    -------
    pl.DataFrame
        :data:`OUTPUT_COLUMNS`: one row per (seller, marketplace, channel) with an order,
        metric that applies to the channel (``idr_7d`` once with channel ``all``) and
        as-of date, sorted by those keys; ``rate`` is null when the denominator is 0.
    """
    policy = policy if policy is not None else load_policy()
    last = as_of if to is None else to
    if last < as_of:
        raise ValueError(f"to {last} is before as_of {as_of}")
    if method == "auto":
        method = "snapshot" if last == as_of else "history"
    if method not in ("snapshot", "history") or (method == "snapshot" and last != as_of):
        raise ValueError(f"method {method!r} does not fit as_of {as_of} .. {last}")
    data_dir = Path(data_dir)
    con = duckdb.connect(config={"threads": threads or os.cpu_count() or 1})
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")
        tables = {name: _typed(con, data_dir, name) for name in _COLUMNS}
        if method == "snapshot":
            rows = snapshot_rows(con, tables, day_number(as_of), policy)
        else:
            rows = history_rows(con, tables, day_number(as_of), day_number(last), policy)
        return _result(con, rows, policy)
    finally:
        con.close()
