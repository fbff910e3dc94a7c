"""Reading Amazon's FBA inventory reports: the ledger summary, stranded and planning files.

Each reader takes one tab-separated file and returns its rows per SKU (and day), typed,
with ``_row`` (the first data row of the SKU, for error messages) and ``_file``;
:mod:`toolkit.amazon.ingest.inventory` combines them into the ``inventory`` table.

Columns are found by header name: case, spaces, hyphens, underscores, surrounding double
quotes and a trailing ``?`` are ignored (real files mix ``estimated-excess-quantity``,
``Ending Warehouse Balance`` and ``Exempted from Low-Inventory-Level fee?``), and every
other column is left out. Dates are ``YYYY-MM-DD`` (anything after it ignored) or
``MM/DD/YYYY`` (``DD/MM/YYYY`` with ``day_first``). Every problem raises
:class:`toolkit.model.data.DataError` naming the file, rows, column and values.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl

from toolkit.amazon.ingest.tsv import ROW, read_tsv
from toolkit.model.data import DataError, InputError, mask_errors

__all__ = [
    "LEDGER_COLUMNS",
    "PLANNING_COLUMNS",
    "STRANDED_COLUMNS",
    "normalise_header",
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
    errors = mask_errors(frame.lazy(), [(c, p, m.fill_null(False)) for c, p, m in checks], file)
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
        "or give its date (--date; --stranded-date with ingest inventory-ledger)"
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
