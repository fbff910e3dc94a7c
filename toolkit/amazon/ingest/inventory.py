"""Amazon's FBA inventory reports into the ``inventory`` table (definitions section 11).

Three tab-separated reports combine into one row per SKU and day:

- the **ledger summary** (``GET_LEDGER_SUMMARY_VIEW_DATA``, daily: ``Date, FNSKU, ASIN,
  MSKU, Title, Disposition, Starting Warehouse Balance, ..., Customer Shipments, ...,
  Ending Warehouse Balance, ...``): ``on_hand`` = the sum of ``Ending Warehouse Balance``
  over dispositions (and locations and FNSKUs) per ``MSKU`` and date; the ``SELLABLE``
  part of it, minus ``stranded``, is ``available`` (never below 0); ``shipped`` = minus
  the sum of ``Customer Shipments`` (the ledger writes shipments as negative numbers);
- the **stranded inventory report** (``GET_STRANDED_INVENTORY_UI_DATA``): ``stranded`` =
  the sum of ``fulfillable-qty`` per ``sku``, on the file's date (the report has none: a
  ``YYYY-MM-DD`` in the file name, or the ``report_date`` option);
- the **inventory planning report** (``GET_FBA_INVENTORY_PLANNING_DATA``): ``excess`` =
  ``estimated-excess-quantity`` per ``sku`` and ``snapshot-date`` (its date as written).

The files are read by :mod:`toolkit.amazon.ingest.inventory_files` (columns by header
name, whatever their spelling); here they are combined, checked against each other (the
same day in two files, stranded or excess units the ledger cannot place or above its
units on hand, gaps in a SKU's days) and shaped into the table. Every problem raises
:class:`toolkit.model.data.DataError` naming the file, rows, column and values.

Examples
--------
>>> import tempfile, pathlib
>>> tmp = tempfile.TemporaryDirectory()
>>> ledger = pathlib.Path(tmp.name) / "S1.txt"
>>> _ = ledger.write_text("\\n".join([
...     "Date\\tFNSKU\\tASIN\\tMSKU\\tDisposition\\tCustomer Shipments\\tEnding Warehouse Balance",
...     "03/01/2025\\tX001\\tB0MUG\\tMUG-1\\tSELLABLE\\t-3\\t40",
...     "03/01/2025\\tX001\\tB0MUG\\tMUG-1\\tCUSTOMER_DAMAGED\\t0\\t2",
...     "03/02/2025\\tX001\\tB0MUG\\tMUG-1\\tSELLABLE\\t-1\\t39", ""]))
>>> read_inventory_reports([ledger]).select(
...     "date", "seller_id", "sku", "on_hand", "available", "shipped").collect()
shape: (2, 6)
┌────────────┬───────────┬───────┬─────────┬───────────┬─────────┐
│ date       ┆ seller_id ┆ sku   ┆ on_hand ┆ available ┆ shipped │
│ ---        ┆ ---       ┆ ---   ┆ ---     ┆ ---       ┆ ---     │
│ date       ┆ str       ┆ str   ┆ i64     ┆ i64       ┆ i64     │
╞════════════╪═══════════╪═══════╪═════════╪═══════════╪═════════╡
│ 2025-03-01 ┆ S1        ┆ MUG-1 ┆ 42      ┆ 40        ┆ 3       │
│ 2025-03-02 ┆ S1        ┆ MUG-1 ┆ 39      ┆ 39        ┆ 1       │
└────────────┴───────────┴───────┴─────────┴───────────┴─────────┘
>>> tmp.cleanup()
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from toolkit.amazon.ingest.inventory_files import (
    LEDGER_COLUMNS,
    PLANNING_COLUMNS,
    STRANDED_COLUMNS,
    normalise_header,
    read_ledger_summary,
    read_planning_report,
    read_stranded_report,
)
from toolkit.amazon.ingest.tsv import ROW, stem
from toolkit.model.data import DataError, InputError, empty_table, load_sources, scan_table
from toolkit.model.schema import TABLES

__all__ = [
    "LEDGER_COLUMNS",
    "PLANNING_COLUMNS",
    "STRANDED_COLUMNS",
    "add_inventory_reports",
    "normalise_header",
    "read_inventory_reports",
    "read_inventory_table",
    "read_ledger_summary",
    "read_planning_report",
    "read_stranded_report",
]

_SCHEMA = TABLES["inventory"]


def _unmatched(extra: pl.DataFrame, base: pl.DataFrame, what: str) -> None:
    """Report rows ``(date, sku)`` of a stranded or planning file that the base lacks."""
    missing = extra.join(base.select("date", "sku"), on=["date", "sku"], how="anti")
    if missing.height:
        errors = []
        for (file,), rows in missing.sort("_file", ROW).group_by("_file", maintain_order=True):
            values = tuple(
                f"{s} on {d}" for s, d in rows.select("sku", "date").head(10).iter_rows()
            )
            problem = f"{what} for a SKU and date without a ledger row (no units on hand known)"
            errors.append(
                InputError(file, "sku", problem, tuple(rows[ROW].head(10)), rows.height, values)
            )
        raise DataError(errors)


def _above_on_hand(frame: pl.DataFrame, column: str) -> None:
    """``stranded`` or ``excess`` above ``on_hand`` is an error naming its report file."""
    bad = frame.filter(
        pl.col(f"_file_{column}").is_not_null() & (pl.col(column) > pl.col("on_hand"))
    )
    if bad.height:
        errors = []
        for (file,), rows in bad.sort(f"_file_{column}", f"_row_{column}").group_by(
            f"_file_{column}", maintain_order=True
        ):
            values = tuple(
                f"{s} on {d}: {v} > on_hand {o}"
                for s, d, v, o in rows.select("sku", "date", column, "on_hand").head(10).iter_rows()
            )
            rows_shown = tuple(rows[f"_row_{column}"].head(10))
            errors.append(
                InputError(
                    file,
                    column,
                    f"{column} above the ledger's on_hand",
                    rows_shown,
                    rows.height,
                    values,
                )
            )
        raise DataError(errors)


def _merge(
    base: pl.DataFrame, stranded: list[pl.DataFrame], planning: list[pl.DataFrame]
) -> pl.DataFrame:
    """``base`` (date, sku, asin, on_hand, sellable, shipped, stranded?, excess?) updated."""
    for column, frames, what in (
        ("stranded", stranded, "stranded units"),
        ("excess", planning, "excess units"),
    ):
        if not frames:
            continue
        extra = pl.concat(frames, how="diagonal_relaxed")
        _doubled(extra, column)
        _unmatched(extra, base, what)
        update = extra.select(
            "date",
            "sku",
            pl.col(column).alias(f"_new_{column}"),
            pl.col("asin").alias(f"_asin_{column}"),
            pl.col("_file").alias(f"_file_{column}"),
            pl.col(ROW).alias(f"_row_{column}"),
        )
        base = base.join(update, on=["date", "sku"], how="left").with_columns(
            pl.coalesce(f"_new_{column}", column).alias(column)
            if column == "excess"
            else pl.when(pl.col(f"_file_{column}").is_not_null())
            .then(pl.col(f"_new_{column}"))
            .otherwise(pl.col(column))
            .alias(column),
            pl.coalesce("asin", f"_asin_{column}").alias("asin"),
        )
        _above_on_hand(base, column)
        base = base.drop(f"_new_{column}", f"_asin_{column}", f"_file_{column}", f"_row_{column}")
    return base


def _doubled(extra: pl.DataFrame, column: str) -> None:
    """The same SKU and date in two stranded (or planning) files: which one is right?"""
    doubled = extra.filter(pl.struct("date", "sku").is_duplicated())
    if doubled.height:
        values = tuple(
            f"{s} on {d}: {f}"
            for s, d, f in doubled.sort("sku", "date", "_file")
            .select("sku", "date", "_file")
            .head(10)
            .iter_rows()
        )
        problem = f"the same SKU and date in two files ({column})"
        raise DataError(
            [InputError(", ".join(sorted(set(doubled["_file"]))), "sku", problem, values=values)]
        )


def _gaps(frame: pl.DataFrame) -> None:
    """A SKU without a row for some dates between its first and last (definitions section 8)."""
    previous = pl.col("date").shift(1).over("sku", order_by="date")
    gaps = frame.with_columns(_previous=previous).filter(
        (pl.col("date") - pl.col("_previous")).dt.total_days() > 1
    )
    if gaps.height:
        values = tuple(
            f"{sku}: no rows for {before + timedelta(days=1)} .. {after - timedelta(days=1)}"
            for sku, before, after in gaps.sort("sku", "date").select("sku", "_previous", "date").head(10).iter_rows()
        )  # fmt: skip
        files = ", ".join(sorted(set(frame["_file"])))
        problem = (
            "gap in a SKU's dates: add the ledger files of the missing days, "
            "or --fill-gaps to carry the balances forward with nothing shipped"
        )
        raise DataError([InputError(files, "Date", problem, values=values)])


def _fill_gaps(frame: pl.DataFrame) -> pl.DataFrame:
    """Carry each SKU's balances forward over missing dates, with nothing shipped."""
    spans = frame.group_by("sku").agg(
        pl.col("date").min().alias("_first"), pl.col("date").max().alias("_last")
    )
    dense = (
        spans.select("sku", pl.date_ranges("_first", "_last").alias("date"))
        .explode("date")
        .join(frame, on=["sku", "date"], how="left")
    )
    carried = ["on_hand", "sellable", "stranded", "asin"]
    return dense.sort("sku", "date").with_columns(
        pl.col(carried).forward_fill().over("sku"),
        pl.col("shipped").fill_null(0),
    )


def _finish(frame: pl.DataFrame, *, seller_id: str, marketplace: str) -> pl.LazyFrame:
    """docs/definitions.md ``inventory`` columns, typed, sorted by SKU and date."""
    given = {
        "seller_id": pl.lit(seller_id),
        "marketplace": pl.lit(marketplace),
        "available": (pl.col("sellable") - pl.col("stranded")).clip(lower_bound=0),
        "replenishable": pl.lit(True),
    }
    schema = empty_table(_SCHEMA).collect_schema()
    return (
        frame.lazy()
        .select(
            *(given.get(name, pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
              for name, dtype in schema.items())
        )
        .sort("seller_id", "marketplace", "sku", "date")
    )  # fmt: skip


def read_inventory_reports(
    ledger: Sequence[str | Path],
    *,
    stranded: Sequence[str | Path] = (),
    planning: Sequence[str | Path] = (),
    seller_id: str | None = None,
    marketplace: str = "US",
    stranded_date: date | None = None,
    day_first: bool = False,
    fill_gaps: bool = False,
    encoding: str | None = None,
) -> pl.LazyFrame:
    """Ledger summary files, and optionally stranded and planning files, as ``inventory``.

    Parameters
    ----------
    ledger
        Daily ledger summary files (``aggregatedByTimePeriod=DAILY``), of one seller and
        marketplace; files may cover different dates, never the same row twice.
    stranded, planning
        Stranded inventory and inventory planning files; each row must match a ledger
        row (SKU and date).
    seller_id
        Default: the first ledger file's name without extension.
    marketplace
        Country code of every row (the reports are pulled per marketplace).
    stranded_date
        Date of every stranded file (default: a ``YYYY-MM-DD`` in each file's name).
    day_first
        Slashed dates are ``DD/MM/YYYY`` (default ``MM/DD/YYYY``, as US files write).
    fill_gaps
        Give a SKU a row for every date between its first and last: a missing date
        carries the previous balances forward with nothing shipped (and no excess
        estimate). Without it a gap is left for the validation to report (definitions section 8).

    Returns
    -------
    pl.LazyFrame
        docs/definitions.md ``inventory`` columns, one row per SKU and date, sorted; ``stranded`` 0
        and ``excess`` null where no file gives them; ``replenishable`` true.
    """
    if not ledger:
        raise DataError([InputError("(no file)", None, "give at least one ledger summary file")])
    days = pl.concat(
        [read_ledger_summary(p, day_first=day_first, encoding=encoding) for p in ledger]
    )
    doubled = days.filter(pl.struct("date", "sku").is_duplicated())
    if doubled.height:
        files = ", ".join(sorted(set(doubled["_file"])))
        values = tuple(
            f"{s} on {d}"
            for s, d in doubled.sort("sku", "date")
            .select("sku", "date")
            .unique(maintain_order=True)
            .head(10)
            .iter_rows()
        )
        raise DataError([InputError(files, "Date", "the same SKU and date in two ledger files", values=values)])  # fmt: skip
    base = days.with_columns(
        pl.lit(0, pl.Int64).alias("stranded"), pl.lit(None, pl.Int64).alias("excess")
    )
    if fill_gaps:
        base = _fill_gaps(base)
    else:
        _gaps(base)
    merged = _merge(
        base,
        [read_stranded_report(p, report_date=stranded_date, encoding=encoding) for p in stranded],
        [read_planning_report(p, day_first=day_first, encoding=encoding) for p in planning],
    )
    seller = seller_id if seller_id is not None else stem(ledger[0])
    return _finish(merged, seller_id=seller, marketplace=marketplace)


def read_inventory_table(path: str | Path) -> pl.LazyFrame:
    """An ``inventory`` table file (``.csv`` or ``.parquet``), typed and validated."""
    path = Path(path)
    if not path.is_file():
        raise DataError([InputError(str(path), None, "is not a file")])
    frame, leap, errors = scan_table(path, "inventory")
    if errors:
        raise DataError(errors)
    return load_sources(
        {"inventory": (str(path), frame, path.suffix == ".csv", leap)}, True
    ).inventory


def add_inventory_reports(
    inventory: pl.LazyFrame,
    *,
    stranded: Sequence[str | Path] = (),
    planning: Sequence[str | Path] = (),
    seller_id: str | None = None,
    marketplace: str | None = None,
    stranded_date: date | None = None,
    day_first: bool = False,
    encoding: str | None = None,
    source: str = "inventory table",
) -> pl.LazyFrame:
    """An ``inventory`` table with ``stranded`` and ``excess`` taken from more report files.

    The rows of ``seller_id`` in ``marketplace`` are updated (both default to the only
    ones in the table; with several, name them); other rows are kept as they are.
    ``available`` keeps its sellable part: ``available + stranded`` before is the
    sellable balance, and ``available`` becomes that minus the new ``stranded``.
    ``source`` names the table in errors (its file).
    """
    table = inventory.collect()
    pairs = table.select("seller_id", "marketplace").unique().sort("seller_id", "marketplace")
    if seller_id is not None:
        pairs = pairs.filter(pl.col("seller_id") == seller_id)
    if marketplace is not None:
        pairs = pairs.filter(pl.col("marketplace") == marketplace)
    if pairs.height != 1:
        shown = ", ".join(f"{s} {m}" for s, m in pairs.iter_rows()) or "none"
        problem = f"say which seller and marketplace to update (--seller, --marketplace); matching: {shown}"
        raise DataError([InputError(source, "seller_id", problem)])
    seller, market = pairs.row(0)
    mine = (pl.col("seller_id") == seller) & (pl.col("marketplace") == market)
    base = table.filter(mine).with_columns(sellable=pl.col("available") + pl.col("stranded"))
    merged = _merge(
        base,
        [read_stranded_report(p, report_date=stranded_date, encoding=encoding) for p in stranded],
        [read_planning_report(p, day_first=day_first, encoding=encoding) for p in planning],
    )
    updated = merged.with_columns(
        available=(pl.col("sellable") - pl.col("stranded")).clip(lower_bound=0)
    ).select(table.columns)
    return (
        pl.concat([table.filter(~mine), updated])
        .lazy()
        .sort("seller_id", "marketplace", "sku", "date")
    )
