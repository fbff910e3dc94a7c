"""The all-orders report (``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL``) into orders.

Amazon's file is tab-separated, one row per **order item**, with columns such as
``amazon-order-id, purchase-date, last-updated-date, order-status, fulfillment-channel,
quantity, is-business-order``. Column sets drift over time, so columns are taken by
name (case and surrounding spaces ignored) and every other column is ignored.

Items are aggregated to one row per order with docs/definitions.md orders columns:

- ``order_id`` = ``amazon-order-id``; ``seller_id`` and ``marketplace`` from the options;
- ``channel``: ``Amazon`` (or ``AFN``) -> ``afn``, ``Merchant`` (or ``MFN``) -> ``mfn``;
- ``purchased_at`` = ``purchase-date`` in UTC (all items of an order must agree);
- ``is_business``: any item's ``is-business-order`` is true (false when absent);
- ``units`` = the sum of ``quantity``; empty (read as 1) when the sum is 0, as Amazon
  writes for cancelled items, or when the column is absent;
- ``cancelled_at`` = ``last-updated-date`` when every item's ``order-status`` is
  ``Cancelled``: the latest time the cancellation can have happened, not its exact time.
  ``cancelled_by`` stays empty (the file does not say who), so such an order leaves the
  late-shipment population but is not counted by ``cancel_rate_7d``;
- ``order_status``: an extra column (ignored by the metrics) with the item statuses.

The file has no ship-by, ship, promised or delivery times, tracking or invoice data: those
columns are empty (see ``docs/ingest.md`` for how to supply them).

Examples
--------
>>> import tempfile, pathlib
>>> from toolkit.amazon.ingest.orders import read_orders_report
>>> head = "amazon-order-id\\tpurchase-date\\torder-status\\tfulfillment-channel\\tquantity"
>>> text = "\\n".join([head,
...     "O-1\\t2025-03-03T23:55:00+00:00\\tShipped\\tMerchant\\t2",
...     "O-1\\t2025-03-03T23:55:00+00:00\\tShipped\\tMerchant\\t1",
...     "O-2\\t2025-03-04T10:00:00+02:00\\tShipped\\tAmazon\\t1", ""])
>>> tmp = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(tmp.name) / "S1.txt"
>>> _ = path.write_text(text)
>>> read_orders_report(path).select(
...     "order_id", "seller_id", "channel", "purchased_at", "units").collect()
shape: (2, 5)
┌──────────┬───────────┬─────────┬─────────────────────────┬───────┐
│ order_id ┆ seller_id ┆ channel ┆ purchased_at            ┆ units │
│ ---      ┆ ---       ┆ ---     ┆ ---                     ┆ ---   │
│ str      ┆ str       ┆ str     ┆ datetime[μs, UTC]       ┆ i64   │
╞══════════╪═══════════╪═════════╪═════════════════════════╪═══════╡
│ O-1      ┆ S1        ┆ mfn     ┆ 2025-03-03 23:55:00 UTC ┆ 3     │
│ O-2      ┆ S1        ┆ afn     ┆ 2025-03-04 08:00:00 UTC ┆ 1     │
└──────────┴───────────┴─────────┴─────────────────────────┴───────┘
>>> tmp.cleanup()
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.amazon.ingest.tsv import ROW, read_tsv, scrub, stem
from toolkit.model.data import (
    FIRST_INSTANT,
    LAST_INSTANT,
    OUTSIDE_CALENDAR,
    DataError,
    InputError,
    empty_table,
    mask_errors,
    parse_column,
)
from toolkit.model.schema import TABLES, Column

__all__ = ["ORDERS_COLUMNS", "read_orders_report"]

#: Columns of the all-orders report that are read, and whether each is required.
ORDERS_COLUMNS = {
    "amazon-order-id": True,
    "purchase-date": True,
    "fulfillment-channel": True,
    "order-status": False,
    "last-updated-date": False,
    "is-business-order": False,
    "quantity": False,
}
_CHANNELS = {"amazon": "afn", "afn": "afn", "merchant": "mfn", "mfn": "mfn"}
#: The largest quantity of one item line (the sum over an order must fit 64 bits).
MAX_QUANTITY = 1_000_000


_KINDS = {
    "purchase-date": "timestamp",
    "last-updated-date": "timestamp",
    "is-business-order": "bool",
    "quantity": "int",
}
_PROBLEMS = {
    "timestamp": "unparseable timestamp",
    "bool": "not a boolean (true/false/1/0/t/f/yes/no)",
    "int": f"not a whole number from 0 to {MAX_QUANTITY}",
}


def _typed(items: pl.LazyFrame, names: set[str]) -> pl.DataFrame:
    """The items with typed copies (``_<column>``) of the columns read, parsed once."""
    status = pl.col("order-status") if "order-status" in names else pl.lit(None, pl.String)
    return items.with_columns(
        pl.col("amazon-order-id").str.strip_chars().alias("_order"),
        pl.col("fulfillment-channel").str.strip_chars().str.to_lowercase().alias("_channel"),
        status.str.strip_chars().replace("", None).alias("_status"),
        *(parse_column(Column(n, kind), pl.String()).alias(f"_{n}") for n, kind in _KINDS.items() if n in names),
    ).collect()  # fmt: skip


def _checks(names: set[str]) -> list[tuple[str, str, pl.Expr]]:
    def present(name: str) -> pl.Expr:
        return pl.col(name).str.strip_chars().str.len_bytes() > 0

    order = pl.col("_order")
    checks = [
        (name, "missing value in a required column", ~present(name))
        for name, required in ORDERS_COLUMNS.items()
        if required
    ]
    checks += [
        ("fulfillment-channel", "not Amazon or Merchant", present("fulfillment-channel") & ~pl.col("_channel").is_in(list(_CHANNELS))),
        ("purchase-date", "items of one order disagree on purchase-date", pl.col("_purchase-date").n_unique().over(order) > 1),
        ("fulfillment-channel", "items of one order disagree on fulfillment-channel", pl.col("_channel").n_unique().over(order) > 1),
    ]  # fmt: skip
    for name, kind in _KINDS.items():
        if name in names:
            value = pl.col(f"_{name}")
            bad = value.is_null()
            if kind == "int":
                bad = bad | ~value.is_between(0, MAX_QUANTITY)
            checks.append((name, _PROBLEMS[kind], present(name) & bad))
            if kind == "timestamp":
                outside = (value < FIRST_INSTANT) | (value > LAST_INSTANT)
                checks.append((name, OUTSIDE_CALENDAR, outside))
    return [(c, problem, mask.fill_null(False)) for c, problem, mask in checks]


def read_orders_report(
    path: str | Path,
    *,
    seller_id: str | None = None,
    marketplace: str = "US",
    encoding: str | None = None,
) -> pl.LazyFrame:
    """Read an all-orders report file into docs/definitions.md orders table, one row per order.

    Parameters
    ----------
    path
        The tab-separated report (optionally gzip).
    seller_id
        The seller of every order; default: the file name without extension.
    marketplace
        Country code written to every order (the report is pulled per marketplace).
    encoding
        Force a text encoding; default: detected (BOM, UTF-16, UTF-8, else ISO-8859-1).

    Returns
    -------
    pl.LazyFrame
        docs/definitions.md orders columns with their types, plus ``order_status``; sorted by
        ``order_id``. ``dataset_from_frames(orders=...)`` accepts it.

    Raises
    ------
    DataError
        With the file, column, rows and values: a missing required column, an empty order
        id, an unparseable timestamp, a channel other than Amazon/Merchant, a quantity that
        is not a whole number from 0 to :data:`MAX_QUANTITY`, a timestamp outside the years
        1 to 9999 in UTC, a bad boolean, or items of one order that disagree on
        purchase date or channel.
    """
    header, rows, file = read_tsv(path, encoding=encoding)
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(name.lower(), i)
    missing = [n for n, required in ORDERS_COLUMNS.items() if required and n not in positions]
    if missing:
        raise DataError([InputError(file, n, "missing required column") for n in missing])
    names = {n for n in ORDERS_COLUMNS if n in positions}
    items = rows.lazy().select(ROW, *(pl.col(f"c{positions[n]}").alias(n) for n in names))
    typed = _typed(items, names)
    errors = mask_errors(typed.lazy(), _checks(names), file)
    if errors:
        raise DataError(scrub(errors))

    def column(name: str, default: object = None) -> pl.Expr:
        return pl.col(f"_{name}") if name in names else pl.lit(default)

    per_order = (
        typed.lazy()
        .group_by("_order")
        .agg(
            pl.col("_purchase-date").first().alias("purchased_at"),
            pl.col("_channel").first(),
            column("is-business-order", False).fill_null(False).any().alias("is_business"),
            column("quantity").sum().alias("_units"),
            pl.col("_status").unique().drop_nulls().sort().str.join(",").alias("order_status"),
            (pl.col("_status").str.to_lowercase() == "cancelled").fill_null(False).all().alias("_cancelled"),
            column("last-updated-date").max().alias("_updated"),
        )
    )  # fmt: skip
    template = empty_table(TABLES["orders"])
    schema = template.collect_schema()
    given = {
        "order_id": pl.col("_order"),
        "seller_id": pl.lit(seller_id if seller_id is not None else stem(path)),
        "marketplace": pl.lit(marketplace),
        "channel": pl.col("_channel").replace_strict(_CHANNELS),
        "purchased_at": pl.col("purchased_at"),
        "cancelled_at": pl.when(pl.col("_cancelled")).then(pl.col("_updated")),
        "is_business": pl.col("is_business"),
        "units": pl.when(pl.col("_units") > 0).then(pl.col("_units")),
    }
    return per_order.select(
        *(given.get(name, pl.lit(None)).cast(dtype).alias(name) for name, dtype in schema.items()),
        pl.col("order_status").replace("", None),
    ).sort("order_id")
