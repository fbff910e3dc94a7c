"""Amazon's FBA inventory reports into the ``inventory`` table (SPEC 11).

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

Columns are found by header name: case, spaces, hyphens, underscores, surrounding double
quotes and a trailing ``?`` are ignored (real files mix ``estimated-excess-quantity``,
``Ending Warehouse Balance`` and ``Exempted from Low-Inventory-Level fee?``), and every
other column is left out. Dates are ``YYYY-MM-DD`` (a time after it is ignored) or
``MM/DD/YYYY`` (``DD/MM/YYYY`` with ``day_first``). Every problem raises
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

import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from toolkit.amazon.ingest.tsv import ROW, read_tsv, stem
from toolkit.model.data import DataError, InputError, _empty, _load, _report, _scan
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

#: Columns read from each report (as Amazon spells them) and whether each is required.
LEDGER_COLUMNS = {
    "Date": True,
    "MSKU": True,
    "Disposition": True,
    "Ending Warehouse Balance": True,
    "Customer Shipments": True,
    "ASIN": False,
    "FNSKU": False,
    "Location": False,
}
STRANDED_COLUMNS = {"sku": True, "fulfillable-qty": True, "asin": False}
PLANNING_COLUMNS = {
    "snapshot-date": True,
    "sku": True,
    "estimated-excess-quantity": True,
    "asin": False,
}
_ISO = r"^(\d{4}-\d{2}-\d{2})([T ].*)?$"
_SLASHED = r"^(\d{1,2})/(\d{1,2})/(\d{4})$"
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_SCHEMA = TABLES["inventory"]


def normalise_header(name: str) -> str:
    """A header name as compared: no case, spaces, hyphens, underscores, quotes or final ``?``.

    >>> [normalise_header(n) for n in ("Ending Warehouse Balance", "fulfillable-qty",
    ...     "Exempted from Low-Inventory-Level fee?", '"MSKU"', "estimated_excess_quantity")]
    ['endingwarehousebalance', 'fulfillableqty', 'exemptedfromlowinventorylevelfee', 'msku', 'estimatedexcessquantity']
    """
    text = name.strip().strip('"').strip().lower().removesuffix("?")
    return re.sub(r"[\s\-_]", "", text)


def _columns(header: list[str], wanted: dict[str, bool], file: str) -> dict[str, int]:
    """Position of each wanted column in ``header``; errors for missing or doubled ones."""
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        positions.setdefault(normalise_header(name), []).append(i)
    errors, found = [], {}
    for name, required in wanted.items():
        places = positions.get(normalise_header(name), [])
        if len(places) > 1:
            names = tuple(header[i] for i in places)
            errors.append(InputError(file, name, "duplicate column names", values=names))
        elif places:
            found[name] = places[0]
        elif required:
            errors.append(InputError(file, name, "missing required column"))
    if errors:
        raise DataError(errors)
    return found


def _text(column: str) -> pl.Expr:
    value = pl.col(column).str.strip_chars().str.strip_chars('"').str.strip_chars()
    return pl.when(value.str.len_bytes() > 0).then(value)


def _day(column: str, *, day_first: bool) -> pl.Expr:
    """A report date: ``YYYY-MM-DD`` (anything after it ignored) or a slashed date."""
    text = _text(column)
    slashed = text.str.extract_groups(_SLASHED)
    month, day = ("2", "1") if day_first else ("1", "2")
    from_slashes = pl.format(
        "{}-{}-{}",
        slashed.struct["3"],
        slashed.struct[month].str.zfill(2),
        slashed.struct[day].str.zfill(2),
    )
    iso = text.str.extract(_ISO, 1)
    return pl.coalesce(iso, from_slashes).str.to_date("%Y-%m-%d", strict=False)


def _int(column: str) -> pl.Expr:
    return _text(column).str.replace_all(",", "").cast(pl.Int64, strict=False)


def _read(path, wanted, *, encoding) -> tuple[pl.DataFrame, str]:
    header, rows, file = read_tsv(path, encoding=encoding)
    found = _columns(header, wanted, file)
    frame = rows.select(ROW, *(pl.col(f"c{i}").alias(name) for name, i in found.items()))
    missing = [name for name in wanted if name not in found]
    return frame.with_columns(pl.lit(None, pl.String).alias(name) for name in missing), file


def _check(frame: pl.DataFrame, checks, file: str) -> None:
    errors = _report(frame.lazy(), [(c, p, m.fill_null(False)) for c, p, m in checks], file)
    if errors:
        raise DataError(errors)


def _present(column: str) -> pl.Expr:
    return _text(column).is_not_null()


def read_ledger_summary(
    path: str | Path, *, day_first: bool = False, encoding: str | None = None
) -> pl.DataFrame:
    """One ledger summary file: ``date, sku, asin, on_hand, sellable, shipped`` per SKU and day.

    Rows of one SKU, date, FNSKU, disposition and location (when those columns exist)
    must be unique in the file: a repeated row would count the units twice.
    """
    raw, file = _read(path, LEDGER_COLUMNS, encoding=encoding)
    typed = raw.with_columns(
        _date=_day("Date", day_first=day_first),
        _sku=_text("MSKU"),
        _disposition=_text("Disposition").str.to_uppercase(),
        _ending=_int("Ending Warehouse Balance"),
        _shipments=_int("Customer Shipments").fill_null(0),
    )
    key = [pl.col(c) for c in ("_date", "_sku", "_disposition")]
    key += [_text(c) for c in ("FNSKU", "Location")]
    _check(
        typed,
        [
            *((c, "missing value in a required column", ~_present(c))
              for c, required in LEDGER_COLUMNS.items() if required and c != "Customer Shipments"),
            ("Date", "unparseable date (YYYY-MM-DD or MM/DD/YYYY)", _present("Date") & pl.col("_date").is_null()),
            ("Ending Warehouse Balance", "not a whole number", _present("Ending Warehouse Balance") & pl.col("_ending").is_null()),
            ("Ending Warehouse Balance", "negative balance", pl.col("_ending") < 0),
            ("Customer Shipments", "not a whole number", _present("Customer Shipments") & _int("Customer Shipments").is_null()),
            ("Customer Shipments", "above 0 (the ledger writes shipments as negative numbers)", pl.col("_shipments") > 0),
            ("MSKU", "the same SKU, date, FNSKU, disposition and location twice", pl.struct(key).is_duplicated() & pl.col("_sku").is_not_null()),
        ],
        file,
    )  # fmt: skip
    return (
        typed.group_by("_date", "_sku")
        .agg(
            _text("ASIN").drop_nulls().first().alias("asin"),
            pl.col("_ending").sum().alias("on_hand"),
            pl.col("_ending").filter(pl.col("_disposition") == "SELLABLE").sum().alias("sellable"),
            (-pl.col("_shipments")).sum().alias("shipped"),
            pl.col(ROW).min().alias(ROW),
        )
        .rename({"_date": "date", "_sku": "sku"})
        .with_columns(pl.lit(file).alias("_file"))
    )


def _report_date(path: str | Path, report_date: date | None) -> date:
    if report_date is not None:
        return report_date
    found = _DATE_IN_NAME.search(Path(path).name)
    if found:
        try:
            return date.fromisoformat(found.group(1))
        except ValueError:
            pass
    problem = (
        "the stranded inventory report has no date: put YYYY-MM-DD in the file name "
        "or give the date (--date)"
    )
    raise DataError([InputError(str(path), None, problem)])


def read_stranded_report(
    path: str | Path, *, report_date: date | None = None, encoding: str | None = None
) -> pl.DataFrame:
    """One stranded inventory file: ``date, sku, asin, stranded`` (fulfillable units)."""
    day = _report_date(path, report_date)
    raw, file = _read(path, STRANDED_COLUMNS, encoding=encoding)
    typed = raw.with_columns(_sku=_text("sku"), _units=_int("fulfillable-qty"))
    _check(
        typed,
        [
            ("sku", "missing value in a required column", ~_present("sku")),
            ("fulfillable-qty", "not a whole number >= 0", _present("fulfillable-qty") & (pl.col("_units").is_null() | (pl.col("_units") < 0))),
        ],
        file,
    )  # fmt: skip
    return (
        typed.group_by("_sku")
        .agg(
            _text("asin").drop_nulls().first().alias("asin"),
            pl.col("_units").fill_null(0).sum().alias("stranded"),
            pl.col(ROW).min().alias(ROW),
        )
        .rename({"_sku": "sku"})
        .with_columns(pl.lit(day).alias("date"), pl.lit(file).alias("_file"))
    )


def read_planning_report(
    path: str | Path, *, day_first: bool = False, encoding: str | None = None
) -> pl.DataFrame:
    """One inventory planning file: ``date, sku, asin, excess`` (Amazon's estimate)."""
    raw, file = _read(path, PLANNING_COLUMNS, encoding=encoding)
    typed = raw.with_columns(
        _date=_day("snapshot-date", day_first=day_first),
        _sku=_text("sku"),
        _units=_int("estimated-excess-quantity"),
    )
    _check(
        typed,
        [
            *((c, "missing value in a required column", ~_present(c))
              for c in ("snapshot-date", "sku")),
            ("snapshot-date", "unparseable date (YYYY-MM-DD or MM/DD/YYYY)", _present("snapshot-date") & pl.col("_date").is_null()),
            ("estimated-excess-quantity", "not a whole number >= 0", _present("estimated-excess-quantity") & (pl.col("_units").is_null() | (pl.col("_units") < 0))),
        ],
        file,
    )  # fmt: skip
    return (
        typed.group_by("_date", "_sku")
        .agg(
            _text("asin").drop_nulls().first().alias("asin"),
            pl.col("_units").sum().alias("excess"),  # empty cells: no estimate (null)
            pl.col("_units").is_not_null().any().alias("_known"),
            pl.col(ROW).min().alias(ROW),
        )
        .with_columns(excess=pl.when(pl.col("_known")).then(pl.col("excess")))
        .drop("_known")
        .rename({"_date": "date", "_sku": "sku"})
        .with_columns(pl.lit(file).alias("_file"))
    )


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
    """A SKU without a row for some dates between its first and last (SPEC 8)."""
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
    """The SPEC ``inventory`` columns, typed, sorted by SKU and date."""
    given = {
        "seller_id": pl.lit(seller_id),
        "marketplace": pl.lit(marketplace),
        "available": (pl.col("sellable") - pl.col("stranded")).clip(lower_bound=0),
        "replenishable": pl.lit(True),
    }
    schema = _empty(_SCHEMA).collect_schema()
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
        estimate). Without it a gap is left for the validation to report (SPEC 8).

    Returns
    -------
    pl.LazyFrame
        The SPEC ``inventory`` columns, one row per SKU and date, sorted; ``stranded`` 0
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
    return _load({"inventory": (str(path), _scan(path), path.suffix == ".csv")}, True).inventory


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
) -> pl.LazyFrame:
    """An ``inventory`` table with ``stranded`` and ``excess`` taken from more report files.

    The rows of ``seller_id`` in ``marketplace`` are updated (both default to the only
    ones in the table; with several, name them); other rows are kept as they are.
    ``available`` keeps its sellable part: ``available + stranded`` before is the
    sellable balance, and ``available`` becomes that minus the new ``stranded``.
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
        raise DataError([InputError("inventory table", "seller_id", problem)])
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
