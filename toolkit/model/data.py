"""Read a data directory into typed polars frames, and validate it (definitions sections 3 and 8).

A data directory holds ``<table>.csv`` or ``<table>.parquet`` for each table; only
``orders`` is required. Timestamps with an offset or ``Z`` are converted to UTC, naive
ones are read as UTC; every timestamp becomes ``Datetime("us", "UTC")``. Empty cells take
docs/definitions.md defaults (``marketplace`` US, ``is_business`` false, ``units`` 1).

Every error names the file, the column, the rows (data rows counted from 1, header
excluded; the first ten and a count) and the offending values. Nothing is dropped: a row
that does not parse is an error, never silently skipped. The shape of each CSV file
(UTF-8, commas, quotes, one field per header column, unique column names) is checked first
by :mod:`toolkit.model.csvfile`; Parquet columns must have a type their kind can be read
from. A leap second is the last microsecond of its minute, and every instant must fall in
the years 1 to 9999 in UTC. ``docs/errors.md`` lists every message.

The readers of Amazon's own files (:mod:`toolkit.amazon.ingest`) build on the same pieces:
:func:`scan_table`, :func:`parse_column`, :func:`parse_timestamp`, :func:`mask_errors`
(masks of bad rows into errors), :func:`load_sources` and :func:`empty_table`.

Examples
--------
>>> import polars as pl
>>> from toolkit.model.data import dataset_from_frames
>>> orders = pl.DataFrame({
...     "order_id": ["A", "B"], "seller_id": ["S1", "S1"], "channel": ["mfn", "afn"],
...     "purchased_at": ["2025-03-03T23:55:00Z", "2025-03-04 10:00:00+02:00"],
... })
>>> data = dataset_from_frames(orders=orders)
>>> data.orders.select("order_id", "marketplace", "purchased_at", "units").collect()
shape: (2, 4)
┌──────────┬─────────────┬─────────────────────────┬───────┐
│ order_id ┆ marketplace ┆ purchased_at            ┆ units │
│ ---      ┆ ---         ┆ ---                     ┆ ---   │
│ str      ┆ str         ┆ datetime[μs, UTC]       ┆ i64   │
╞══════════╪═════════════╪═════════════════════════╪═══════╡
│ A        ┆ US          ┆ 2025-03-03 23:55:00 UTC ┆ 1     │
│ B        ┆ US          ┆ 2025-03-04 08:00:00 UTC ┆ 1     │
└──────────┴─────────────┴─────────────────────────┴───────┘
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from toolkit.model.csvfile import check_csv
from toolkit.model.errors import DataError, InputError, SellerError
from toolkit.model.schema import (
    AT_MOST_ON_HAND,
    NOT_BEFORE,
    RESOLUTION_RULES,
    TABLES,
    Column,
    Table,
)
from toolkit.model.text import unquote_formula

__all__ = [
    "FIRST_INSTANT",
    "LAST_INSTANT",
    "OUTSIDE_CALENDAR",
    "UTC_US",
    "DataError",
    "Dataset",
    "InputError",
    "dataset_from_frames",
    "empty_table",
    "load_sources",
    "mask_errors",
    "parse_column",
    "parse_timestamp",
    "read_data",
    "scan_table",
    "validate_data",
]

_ROW = "_row"
_PARSED = "_parsed_"  # prefix of the typed copy of each column during validation
_MAX_ROWS_SHOWN = 10
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%#z"
_TRUE = ("true", "1", "t", "yes")
_FALSE = ("false", "0", "f", "no")
UTC_US = pl.Datetime("us", "UTC")
#: Instants the toolkit works with: the calendar of years 1..9999, in UTC.
FIRST_INSTANT = datetime(1, 1, 1, tzinfo=UTC)
LAST_INSTANT = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
OUTSIDE_CALENDAR = "timestamp outside the years 1 to 9999 once converted to UTC"


@dataclass(frozen=True)
class Dataset:
    """The typed tables of one data directory, as lazy frames.

    ``files`` maps each table to the file it came from (absent tables are empty frames
    with the full schema).
    """

    orders: pl.LazyFrame
    feedback: pl.LazyFrame
    claims: pl.LazyFrame
    chargebacks: pl.LazyFrame
    violations: pl.LazyFrame
    inventory: pl.LazyFrame
    ipi_observed: pl.LazyFrame
    returns: pl.LazyFrame
    messages: pl.LazyFrame
    reviews: pl.LazyFrame
    files: dict[str, str] = field(default_factory=dict)

    def table(self, name: str) -> pl.LazyFrame:
        """The frame of table ``name``."""
        return getattr(self, name)

    def subset(self, sellers: pl.Expr) -> Dataset:
        """Every table restricted to the sellers where ``sellers`` holds.

        ``sellers`` is a boolean expression over ``seller_id`` and ``marketplace``. Tables
        with a ``seller_id`` column are filtered with it; tables that reference orders keep
        the records of the orders kept. This is the one way the toolkit restricts data to
        sellers (the command line's ``--sellers``, one seller's report, reconciliation).

        >>> import polars as pl
        >>> orders = pl.DataFrame({"order_id": ["A", "B"], "seller_id": ["S1", "S2"],
        ...     "channel": ["mfn", "mfn"], "purchased_at": ["2025-03-01", "2025-03-02"]})
        >>> claims = pl.DataFrame({"claim_id": ["C1", "C2"], "order_id": ["A", "B"],
        ...     "filed_at": ["2025-03-05", "2025-03-06"], "outcome": ["pending", "pending"]})
        >>> data = dataset_from_frames(orders=orders, claims=claims)
        >>> data.subset(pl.col("seller_id") == "S2").claims.select("claim_id").collect().rows()
        [('C2',)]
        """
        orders = self.orders.filter(sellers)
        ids = orders.select("order_id")
        kept = {}
        for name, table in TABLES.items():
            frame = self.table(name)
            if "seller_id" in table.names:
                kept[name] = frame.filter(sellers)
            elif table.references_orders:
                kept[name] = frame.join(ids, on="order_id", how="semi")
        return replace(self, **kept)

    def for_sellers(self, sellers: Iterable[str] | None) -> Dataset:
        """The dataset restricted to the seller ids ``sellers`` (all when ``None``).

        Raises
        ------
        SellerError
            When an id is in no table (a misspelt id would otherwise give empty output).
        """
        if sellers is None:
            return self
        wanted = sorted(set(sellers))
        found = pl.concat(
            [
                self.table(name).select("seller_id")
                for name, table in TABLES.items()
                if "seller_id" in table.names
            ]
        ).filter(pl.col("seller_id").is_in(wanted))
        unknown = sorted(set(wanted) - set(found.unique().collect()["seller_id"]))
        if unknown:
            raise SellerError(f"unknown seller ids: {', '.join(map(repr, unknown))}")
        return self.subset(pl.col("seller_id").is_in(wanted))

    def collect(self) -> Dataset:
        """The same dataset with every table materialised once (faster to reuse)."""
        frames = pl.collect_all([self.table(name) for name in TABLES])
        return replace(self, **{n: f.lazy() for n, f in zip(TABLES, frames, strict=True)})


# --------------------------------------------------------------------------- reading


def _find_files(path: Path) -> tuple[dict[str, Path], list[InputError]]:
    found: dict[str, Path] = {}
    errors: list[InputError] = []
    try:
        if not stat.S_ISDIR(path.stat().st_mode):
            return found, [InputError(str(path), None, "is not a data directory (it is a file)")]
        names = {entry.name: entry for entry in os.scandir(path)}
    except FileNotFoundError:
        return found, [InputError(str(path), None, "is not a data directory (it does not exist)")]
    except OSError as exc:
        return found, [InputError(str(path), None, f"cannot be read: {exc.strerror or exc}")]
    for name in TABLES:
        present = [names[f] for f in (f"{name}.csv", f"{name}.parquet") if f in names]
        if len(present) > 1:
            errors.append(
                InputError(str(path), None, f"both {name}.csv and {name}.parquet exist; keep one")
            )
            continue
        for entry in present:
            try:
                regular = entry.is_file()
            except OSError as exc:
                errors.append(InputError(entry.name, None, f"cannot be read: {exc.strerror}"))
                continue
            if regular:
                found[name] = Path(entry.path)
            else:
                problem = (
                    "is a directory, not a table file"
                    if entry.is_dir()
                    else "is not a regular file (a broken link, a pipe or a device)"
                )
                errors.append(InputError(entry.name, None, problem))
    if "orders" not in found and not errors:
        errors.append(InputError(str(path), None, "no orders.csv or orders.parquet (required)"))
    return found, errors


def scan_table(file: Path, name: str) -> tuple[pl.LazyFrame | None, bool, list[InputError]]:
    """The raw frame of one table file, whether its text may hold leap seconds, or the
    problems of its shape (CSV only)."""
    leap_seconds = True
    if file.suffix == ".csv":
        required = [c.name for c in TABLES[name].columns if c.required]
        layout, errors = check_csv(file, file.name, required=required)
        if layout is None or errors:
            return None, True, errors
        frame = pl.scan_csv(file, infer_schema=False, n_rows=layout.rows)
        leap_seconds = layout.leap_seconds
    else:
        frame = pl.scan_parquet(file)
    return frame, leap_seconds, []


def empty_table(table: Table) -> pl.LazyFrame:
    """A frame with no rows and the typed columns of ``table``."""
    return pl.LazyFrame(schema={c.name: _dtype(c) for c in table.columns})


def _dtype(column: Column) -> pl.DataType:
    return {
        "str": pl.String(),
        "enum": pl.String(),
        "timestamp": UTC_US,
        "date": pl.Date(),
        "bool": pl.Boolean(),
        "int": pl.Int64(),
    }[column.kind]


def _present(raw: pl.Expr, dtype: pl.DataType, *, strip: bool = True) -> pl.Expr:
    """A value is there: not null, and for text not empty (typed columns are not cast)."""
    if dtype == pl.String:
        text = raw.str.strip_chars() if strip else raw  # no copy of the text when not stripped
        return (text.str.len_bytes() > 0).fill_null(False)
    return raw.is_not_null()


def _cannot_fail(column: Column, dtype: pl.DataType) -> bool:
    """The column is stored with the very type it is read as: its parse check cannot fail."""
    return {
        "timestamp": dtype == UTC_US,
        "date": isinstance(dtype, pl.Date),
        "bool": dtype == pl.Boolean,
        "int": dtype == pl.Int64,
    }.get(column.kind, False)


def _clean_text(raw: pl.Expr, *, strip: bool = True) -> pl.Expr:
    text = raw.cast(pl.String)
    if strip:
        text = text.str.strip_chars()
    return pl.when(text.str.len_bytes() == 0).then(None).otherwise(text)


def parse_timestamp(text: pl.Expr, *, leap_seconds: bool = True) -> pl.Expr:
    """ISO 8601 text to ``Datetime[us, UTC]``, null where it does not parse.

    Every accepted form is first rewritten into one canonical form, so that a single
    ``to_datetime`` pass parses them all: ``T`` or a space between date and time, optional
    seconds and fractions, an optional ``Z`` or offset (naive means UTC), or a plain date
    (midnight UTC). A leap second (``23:59:60Z``) is the last microsecond of its minute
    (``23:59:59.999999``), so an event never moves to the next day; ``leap_seconds=False``
    skips that step for text known to hold no ``:60``. Surrounding spaces are ignored and
    an empty text is null.

    The rewriting costs regular expressions on every value, so the form exports and the
    toolkit itself write (``2025-03-01T10:00:00Z``) is parsed first with one fixed format,
    and only the values that form does not read go through the rewriting: the same
    instants, several times faster on files in that form.

    >>> import polars as pl
    >>> text = pl.Series(["2025-03-01T10:00:00Z", "2025-03-01 12:00+02:00", "2025-03-01",
    ...                   " 2025-06-30T23:59:60Z", "", "soon"])
    >>> pl.select(parse_timestamp(pl.lit(text))).to_series().to_list()  # doctest: +NORMALIZE_WHITESPACE
    [datetime.datetime(2025, 3, 1, 10, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')),
     datetime.datetime(2025, 3, 1, 10, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')),
     datetime.datetime(2025, 3, 1, 0, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')),
     datetime.datetime(2025, 6, 30, 23, 59, 59, 999999, tzinfo=zoneinfo.ZoneInfo(key='UTC')),
     None, None]
    """
    return text.cast(pl.String).map_batches(
        lambda values: _timestamps(values, leap_seconds=leap_seconds),
        return_dtype=UTC_US,
        is_elementwise=True,
    )


_FAST_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _timestamps(text: pl.Series, *, leap_seconds: bool) -> pl.Series:
    """:func:`parse_timestamp` of a whole column: the fixed format first, the rest after."""
    fast = text.str.to_datetime(_FAST_FORMAT, time_zone="UTC", time_unit="us", strict=False)
    redo = fast.is_null() & text.is_not_null()
    if leap_seconds:
        redo = redo | text.str.contains(":60", literal=True).fill_null(False)
    if not redo.any():
        return fast
    index = redo.arg_true()
    rest = text.gather(index).to_frame("text")
    slow = rest.select(_rewritten(_clean_text(pl.col("text")), leap_seconds=leap_seconds))
    return fast.scatter(index, slow.to_series())


def _rewritten(text: pl.Expr, *, leap_seconds: bool) -> pl.Expr:
    """Every accepted form rewritten into the canonical one, then parsed (see above)."""
    canonical = (
        text.str.replace(r"^(\d{4}-\d{2}-\d{2})$", r"${1}T00:00:00")
        .str.replace(r"^(\d{4}-\d{2}-\d{2}) ", r"${1}T")
        .str.replace(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})([^:\d]|$)", r"${1}:00${2}")
    )
    zoned = (
        pl.when(canonical.str.contains(r"(Z|[+-]\d{2}:?\d{2})$"))
        .then(canonical)
        .otherwise(canonical + "Z")
    )
    parsed = zoned.str.to_datetime(_TS_FORMAT, time_zone="UTC", time_unit="us", strict=False)
    if not leap_seconds:
        return parsed
    # A leap second (second 60) parses as the next minute plus its fraction: step back by
    # the fraction and one microsecond, to the end of its own minute.
    leap = text.str.contains(":60", literal=True)
    back = pl.when(leap).then(parsed.dt.microsecond() + 1).otherwise(0)
    return parsed - pl.duration(microseconds=back)


def parse_column(
    column: Column, dtype: pl.DataType, *, strip: bool = True, leap_seconds: bool = True
) -> pl.Expr:
    """Typed value of ``column`` from its raw form; null where it does not parse.

    ``strip`` marks text as in a CSV file: surrounding spaces are removed (cells typed in
    spreadsheets) and the ``'`` the toolkit puts before a text that would start a
    spreadsheet formula is taken off again (:func:`toolkit.model.text.unquote_formula`);
    Parquet text is used as it is. An empty text is null either way.
    """
    raw = pl.col(column.name)
    if column.kind == "enum":
        return _clean_text(raw, strip=strip)
    if column.kind == "str":
        text = _clean_text(raw, strip=strip and column.name != "comment")
        return unquote_formula(text) if strip else text
    if column.kind == "timestamp":
        if dtype == UTC_US:  # as the toolkit writes it: untouched, so that a filter on it
            return raw  # reaches the Parquet reader (row groups skipped by their statistics)
        if isinstance(dtype, pl.Datetime):
            typed = (
                raw.dt.replace_time_zone("UTC")
                if dtype.time_zone is None
                else raw.dt.convert_time_zone("UTC")
            )
            return typed.cast(UTC_US)
        if isinstance(dtype, pl.Date):
            return raw.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        return parse_timestamp(raw, leap_seconds=leap_seconds)
    if column.kind == "date":
        if isinstance(dtype, pl.Date):
            return raw
        if isinstance(dtype, pl.Datetime):
            utc = raw.dt.replace_time_zone("UTC") if dtype.time_zone is None else raw
            return utc.dt.convert_time_zone("UTC").dt.date()
        text = _clean_text(raw)
        strict = text.str.contains(r"^\d{4}-\d{2}-\d{2}$")
        return pl.when(strict).then(text.str.to_date("%Y-%m-%d", strict=False))
    if column.kind == "bool":
        if dtype == pl.Boolean:
            return raw
        if dtype.is_integer():
            return pl.when(raw == 1).then(True).when(raw == 0).then(False)
        text = _clean_text(raw).str.to_lowercase()
        # when/then rather than replace_strict: polars' streaming engine streams it (a
        # replace_strict made it read a whole CSV file into memory first)
        return pl.when(text.is_in(_TRUE)).then(True).when(text.is_in(_FALSE)).then(False)
    if column.kind == "int":
        if dtype.is_integer():
            return raw.cast(pl.Int64, strict=False)  # UInt64 above 2**63 - 1: null, an error
        if dtype.is_float():
            return pl.when(raw == raw.floor()).then(raw).cast(pl.Int64, strict=False)
        return _clean_text(raw).cast(pl.Int64, strict=False)
    raise AssertionError(column.kind)


def _typed(
    raw: pl.LazyFrame, table: Table, schema: pl.Schema, *, strip: bool, leap_seconds: bool = True
) -> pl.LazyFrame:
    """Typed frame with defaults; keeps ``_row`` (when there) and any extra columns (ignored)."""
    exprs = []
    for column in table.columns:
        if column.name in schema:
            value = parse_column(
                column, schema[column.name], strip=strip, leap_seconds=leap_seconds
            )
            if column.default is not None:
                value = value.fill_null(column.default)
        else:
            value = pl.lit(column.default, dtype=_dtype(column))
        exprs.append(value.cast(_dtype(column)).alias(column.name))
    extras = [n for n in schema if n not in table.names and n != _ROW]
    row = [pl.col(_ROW)] if _ROW in schema else []
    return raw.select(*row, *exprs, *extras)


# ------------------------------------------------------------------------ validation


def _column_checks(
    table: Table, schema: pl.Schema, parsed: Callable[[str], pl.Expr], *, strip: bool = True
) -> list[tuple[str, str, pl.Expr]]:
    """(column, problem, bad-row mask) for every per-column check of one table.

    ``parsed(name)`` is the typed value of a column (a column computed once per pass).
    """
    checks = []
    for column in table.columns:
        if column.name not in schema:
            continue
        raw = pl.col(column.name)
        typed = parsed(column.name)
        present = _present(raw, schema[column.name], strip=strip)
        if column.kind in ("timestamp", "date", "bool", "int"):
            label = {
                "timestamp": "unparseable timestamp",
                "date": "unparseable date (YYYY-MM-DD)",
                "bool": "not a boolean (true/false/1/0/t/f/yes/no)",
                "int": "not an integer (or outside the 64-bit range)",
            }[column.kind]
            if not _cannot_fail(column, schema[column.name]):
                checks.append((column.name, label, present & typed.is_null()))
        if column.kind == "timestamp":
            outside = (typed < FIRST_INSTANT) | (typed > LAST_INSTANT)
            checks.append((column.name, OUTSIDE_CALENDAR, outside.fill_null(False)))
        if column.kind == "enum":
            allowed = ", ".join(column.values)
            checks.append(
                (
                    column.name,
                    f"enumeration value not allowed (allowed: {allowed})",
                    typed.is_not_null() & ~typed.is_in(list(column.values)),
                )
            )
        if column.low is not None or column.high is not None:
            low, high = column.low, column.high
            bad = pl.lit(False)
            if low is not None:
                bad = bad | (typed < low)
            if high is not None:
                bad = bad | (typed > high)
            span = f"{low}..{high}" if high is not None else f">= {low}"
            what = (
                f"{column.name} outside 1..5"
                if column.name in ("rating", "stars")
                else f"{column.name} not {span}"
            )
            checks.append((column.name, what, bad.fill_null(False)))
        if column.required:
            checks.append((column.name, "missing value in a required column", ~present))
    return checks


@dataclass(frozen=True)
class _Unique:
    """A check that the non-null values of ``key`` are unique (a mask of :func:`mask_errors`).

    Each value is hashed once to 64 bits and the sorted hashes are compared with their
    neighbours: no equal neighbours, no duplicate, without a hash table of every text. Only
    when two hashes are equal (a duplicate, or very rarely two texts with one hash) are the
    rows compared on their exact values, which also finds the rows to report.
    """

    key: pl.Expr

    def hashes(self) -> pl.Expr:
        return pl.when(self.key.is_not_null()).then(self.key.hash(seed=0))

    def exact(self) -> pl.Expr:
        return self.key.is_not_null() & self.key.is_duplicated()


def _equal_neighbours(hashes: pl.Expr) -> pl.Expr:
    ordered = hashes.drop_nulls().sort()
    return (ordered == ordered.shift(1)).sum()


def mask_errors(
    frame: pl.LazyFrame,
    checks: list[tuple[str, str, pl.Expr | _Unique]],
    file: str,
    *,
    counted: pl.LazyFrame | None = None,
) -> list[InputError]:
    """Evaluate all masks in one pass; an InputError for each mask with rows.

    Each mask is computed once (as a column); only the first bad rows' values are turned
    into text, so a clean file costs one pass of cheap boolean columns. A :class:`_Unique`
    check costs a 64-bit hash per row in that pass, and a second pass only when two
    hashes are equal.

    ``frame`` holds the row numbers (``_row``). Numbering the rows makes polars' streaming
    engine read the file in order on one thread, so when the same frame without them is
    given as ``counted``, the masks are counted on it (on every core) and the numbered
    frame is read again only to show the rows of a check that failed.
    """
    if not checks:
        return []
    names = frame.collect_schema().names()
    unique = {i: mask for i, (_, _, mask) in enumerate(checks) if isinstance(mask, _Unique)}

    def evaluated(source: pl.LazyFrame, *, numbered: bool) -> pl.LazyFrame:
        return source.select(
            *([_ROW] if numbered else []),
            *(c for c in dict.fromkeys(column for column, _, _ in checks) if c in names),
            *(
                mask.hashes().alias(f"_bad{i}")
                if i in unique
                else mask.fill_null(False).alias(f"_bad{i}")
                for i, (_, _, mask) in enumerate(checks)
            ),
            *(mask.key.alias(f"_key{i}") for i, mask in unique.items()),
        )

    masks = evaluated(frame, numbered=True)
    counts = list(
        evaluated(frame if counted is None else counted, numbered=False)
        .select(
            _equal_neighbours(pl.col(f"_bad{i}")) if i in unique else pl.col(f"_bad{i}").sum()
            for i in range(len(checks))
        )
        .collect(engine="streaming")
        .row(0)
    )
    clashes = [i for i in unique if counts[i]]
    masks = masks.with_columns(
        _Unique(pl.col(f"_key{i}")).exact().alias(f"_bad{i}") for i in clashes
    )
    if clashes:  # equal hashes: the exact comparison decides, and finds the rows
        exact = masks.select(pl.col(f"_bad{i}").sum() for i in clashes).collect().row(0)
        counts = [exact[clashes.index(i)] if i in clashes else n for i, n in enumerate(counts)]
    failing = [i for i, n in enumerate(counts) if n]
    if not failing:
        return []
    shown = []
    for i in failing:
        column = checks[i][0]
        value = pl.col(column) if column in names else pl.lit(None, pl.String)
        bad = pl.col(f"_bad{i}")
        shown.append(
            masks.filter(bad)
            .head(_MAX_ROWS_SHOWN)
            .select(
                pl.col(_ROW).implode().alias("rows"),
                value.cast(pl.String).implode().alias("values"),
            )
        )
    errors = []
    for i, result in zip(failing, pl.collect_all(shown), strict=True):
        column, problem, _ = checks[i]
        row = result.row(0, named=True)
        values = tuple(dict.fromkeys(str(v) for v in row["values"] if v is not None))
        errors.append(
            InputError(
                file, column, problem, tuple(int(r) for r in row["rows"]), int(counts[i]), values
            )
        )
    return errors


def _table_errors(
    name: str,
    raw: pl.LazyFrame,
    order_ids: pl.Series | None,
    file: str,
    *,
    strip: bool,
    leap_seconds: bool = True,
) -> list[InputError]:
    table = TABLES[name]
    schema = raw.collect_schema()
    missing = [c.name for c in table.columns if c.required and c.name not in schema]
    errors = [InputError(file, c, "missing required column") for c in missing]
    if missing:
        return errors

    def typed(column: str) -> pl.Expr:  # each column is parsed once, in the same pass
        return pl.col(f"{_PARSED}{column}")

    def prepared(source: pl.LazyFrame) -> pl.LazyFrame:
        frame = source.with_columns(
            parse_column(c, schema[c.name], strip=strip, leap_seconds=leap_seconds).alias(
                f"{_PARSED}{c.name}"
            )
            for c in table.columns
            if c.name in schema
        )
        if references:  # a left join keeps every row, in order
            known = order_ids.to_frame().lazy().with_columns(_known=pl.lit(True))
            frame = frame.join(
                known,
                left_on=f"{_PARSED}order_id",
                right_on="order_id",
                how="left",
                maintain_order="left",
                suffix="_orders",
            )
        return frame

    references = table.references_orders and order_ids is not None and "order_id" in schema
    checks = _column_checks(table, schema, typed, strip=strip)
    if isinstance(table.key, str):
        checks.append((table.key, f"duplicate {table.key}", _Unique(typed(table.key))))
    else:
        errors += _keyed_errors(name, raw, schema, file, strip)
    if name in RESOLUTION_RULES:
        start, end, outcome, resolved = RESOLUTION_RULES[name]
        needs = typed(outcome).is_in(list(resolved)).fill_null(False) if outcome in schema else None
        if needs is not None:
            if end in schema:
                absent = ~_present(pl.col(end), schema[end], strip=strip)
                checks.append(
                    (end, f"{end} before {start}", (typed(end) < typed(start)).fill_null(False))
                )
            else:
                absent = pl.lit(True)
            checks.append((outcome, f"missing {end} for a resolved {outcome}", needs & absent))
    for start, later in NOT_BEFORE.get(name, ()):
        if later in schema:
            early = (typed(later) < typed(start)).fill_null(False)
            checks.append((later, f"{later} before {start}", early))
    if references:
        unknown = typed("order_id").is_not_null() & pl.col("_known").is_null()
        checks.append(("order_id", "references an unknown order_id", unknown))
    numbered = prepared(raw.with_row_index(_ROW, offset=1))  # data rows counted from 1
    return errors + mask_errors(numbered, checks, file, counted=prepared(raw))


def _keyed_errors(
    name: str, raw: pl.LazyFrame, schema: pl.Schema, file: str, strip: bool
) -> list[InputError]:
    """Checks of a table keyed by several columns (definitions section 11): the key, units, gaps.

    - a duplicate of the key (values shown as ``seller/marketplace/sku/date``);
    - a column of :data:`AT_MOST_ON_HAND` above ``on_hand`` of its row (``"12 > on_hand 10"``);
    - for a table with a ``sku``: a gap in a SKU's dates; the row after the gap is
      reported, with the SKU and the missing dates
      (``"SKU-1 (S1, US): no rows for 2025-03-04 .. 2025-03-05"``).

    Rows whose key does not parse are left to the column checks.
    """
    table = TABLES[name]
    keys = table.key_columns

    def value(column: Column) -> pl.Expr:
        if column.name not in schema:
            return pl.lit(column.default, _dtype(column))
        parsed = parse_column(column, schema[column.name], strip=strip)
        return parsed if column.default is None else parsed.fill_null(column.default)

    numbered = raw.with_row_index(_ROW, offset=1)  # data rows counted from 1
    typed = numbered.select(_ROW, *(value(c).alias(f"_{c.name}") for c in table.columns))
    key = [pl.col(f"_{c}") for c in keys]
    complete = pl.all_horizontal(k.is_not_null() for k in key)
    label = ", ".join(keys)
    checks = [
        (label, f"duplicate ({label})", complete & pl.struct(key).is_duplicated()),
    ]
    shown = {label: pl.concat_str([k.cast(pl.String) for k in key], separator="/")}
    for column in AT_MOST_ON_HAND.get(name, ()):
        if column in schema and "on_hand" in schema:
            value, limit = pl.col(f"_{column}"), pl.col("_on_hand")
            shown[column] = pl.format("{} > on_hand {}", value, limit)
            checks.append((column, f"{column} above on_hand", (limit >= 0) & (value > limit)))
    if "sku" in keys:
        day = pl.col("_date")
        others = [k for c, k in zip(keys, key, strict=True) if c != "date"]
        previous = day.shift(1).over(others, order_by=day)
        sku = pl.format("{} ({}, {})", pl.col("_sku"), pl.col("_seller_id"), pl.col("_marketplace"))
        first, last = previous + pl.duration(days=1), day - pl.duration(days=1)
        shown["date"] = pl.format("{}: no rows for {} .. {}", sku, first, last)
        problem = "gap in a SKU's dates (each date from its first row to its last needs a row)"
        checks.append(("date", problem, complete & ((day - previous).dt.total_days() > 1)))
    frame = typed.select(
        _ROW,
        *(e.alias(c) for c, e in shown.items()),
        *(mask.fill_null(False).alias(f"_mask{i}") for i, (_, _, mask) in enumerate(checks)),
    )
    return mask_errors(
        frame, [(c, p, pl.col(f"_mask{i}")) for i, (c, p, _) in enumerate(checks)], file
    )


#: The stored types each kind of column can be read from (text is always fine).
_READABLE = {
    "str": ("integer",),
    "enum": (),
    "timestamp": ("datetime", "date"),
    "date": ("date", "datetime"),
    "bool": ("boolean", "integer"),
    "int": ("integer", "float"),
}


def _family(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if isinstance(dtype, pl.Date):
        return "date"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype in (pl.String, pl.Categorical, pl.Null) or isinstance(dtype, pl.Enum):
        return "text"
    return str(dtype)


def _type_errors(table: Table, schema: pl.Schema, file: str) -> list[InputError]:
    """A column stored with a type it cannot be read from (a list, a struct, binary, ...)."""
    errors = []
    for column in table.columns:
        if column.name not in schema:
            continue
        family = _family(schema[column.name])
        allowed = ("text", *_READABLE[column.kind])
        if family not in allowed:
            kind = {"str": "text", "enum": "text", "int": "integer", "bool": "boolean"}.get(
                column.kind, column.kind
            )
            problem = (
                f"stored as {schema[column.name]}; a {kind} column is read from "
                f"{' or '.join(allowed)} values"
            )
            errors.append(InputError(file, column.name, problem))
    return errors


def load_sources(sources: Mapping[str, tuple], validate: bool) -> Dataset:
    """Type (and validate) each source ``(file label, raw frame, strip text?[, leap?])``.

    ``sources`` maps table names to what :func:`scan_table` gives for a file (a reader of
    another format passes its own frame); the tables not given are empty. Raises a
    :class:`DataError` with every problem found.
    """
    errors: list[InputError] = []
    typed: dict[str, pl.LazyFrame] = {}
    schemas = {}
    leap = {name: source[3] if len(source) > 3 else True for name, source in sources.items()}
    for name, (file, raw, strip, *_) in sources.items():
        try:
            schemas[name] = raw.collect_schema()
        except (OSError, pl.exceptions.PolarsError) as exc:  # not a table file
            errors.append(InputError(file, None, _cannot_read(exc)))
            continue
        wrong = _type_errors(TABLES[name], schemas[name], file)
        if wrong:
            errors += wrong
            continue
        typed[name] = _typed(raw, TABLES[name], schemas[name], strip=strip, leap_seconds=leap[name])
    if validate and not errors:
        order_ids = None
        if "orders" in typed and "order_id" in schemas["orders"]:
            order_ids = _referenced_orders(typed)
        for name, (file, raw, strip, *_) in sources.items():
            try:
                errors += _table_errors(
                    name, raw, order_ids, file, strip=strip, leap_seconds=leap[name]
                )
            except (OSError, pl.exceptions.PolarsError) as exc:  # found only when read
                errors.append(InputError(file, None, _cannot_read(exc)))
    if errors:
        raise DataError(errors)
    frames = {name: typed[name] if name in typed else empty_table(TABLES[name]) for name in TABLES}
    files = {name: source[0] for name, source in sources.items()}
    return Dataset(**frames, files=files)


def _referenced_orders(typed: Mapping[str, pl.LazyFrame]) -> pl.Series | None:
    """The order ids of ``orders`` that may be the ones the other tables reference.

    The referenced ids are few next to the orders (feedback, claims, ... concern a small
    share of them): they are collected once with a 64-bit hash of each, and one pass over
    the orders keeps the ids that hash to one of these, comparing integers, not texts,
    for every order. Every order whose id equals a referenced one is kept (equal texts
    have equal hashes); an id kept only because its hash matches is harmless, since
    each referencing table then joins its ids to these (each once) on their exact text. No
    table of every order id is built. ``None`` when no table references orders, or when
    the orders cannot be read here (their own checks report it); a referencing file that
    cannot be read is left out (its checks report it).
    """
    wanted = []
    for name, frame in typed.items():
        if name == "orders" or not TABLES[name].references_orders:
            continue
        try:
            ids = frame.select("order_id").drop_nulls().unique().collect(engine="streaming")
        except (OSError, pl.exceptions.PolarsError):  # reported by the table's checks
            continue
        wanted.append(ids.to_series())
    if not wanted:
        return None
    try:
        hashes = pl.concat(wanted).hash(seed=0).unique().implode()
        orders = typed["orders"].select("order_id").drop_nulls()
        found = orders.filter(pl.col("order_id").hash(seed=0).is_in(hashes))
        found = found.unique().collect(engine="streaming")  # the orders' ids stream past
    except (OSError, pl.exceptions.PolarsError):  # reported by the table checks
        return None
    return found["order_id"]


def _cannot_read(exc: Exception) -> str:
    lines = str(getattr(exc, "strerror", None) or exc).strip().splitlines()
    return f"cannot be read: {lines[0] if lines else type(exc).__name__}"


def read_data(path: str | Path, *, validate: bool = True) -> Dataset:
    """Read the data directory ``path`` into a :class:`Dataset` of typed lazy frames.

    Parameters
    ----------
    path
        Directory holding ``orders`` and optionally ``feedback``, ``claims``,
        ``chargebacks``, ``violations``, ``inventory``, ``ipi_observed``, ``returns``,
        ``messages`` and ``reviews``, each as ``.csv`` or ``.parquet``.
    validate
        Check every rule of definitions section 8 first (one pass over each file). Turn it off
        only for data validated before. The shape of each CSV file (encoding, quotes,
        field counts, duplicate column names) is checked either way, in a quick pass over
        its lines (:mod:`toolkit.model.csvfile`).

    Raises
    ------
    DataError
        With every problem found (file, column, rows, values).
    """
    path = Path(path)
    files, errors = _find_files(path)
    if errors:
        raise DataError(errors)
    sources = {}
    for name, file in files.items():
        frame, leap, found = scan_table(file, name)
        errors += found
        if frame is not None:
            sources[name] = (file.name, frame, file.suffix == ".csv", leap)
    if errors:
        raise DataError(errors)
    return load_sources(sources, validate)


def validate_data(path: str | Path) -> list[InputError]:
    """Every input error of the data directory ``path`` (empty when it is valid)."""
    try:
        read_data(path)
    except DataError as exc:
        return exc.errors
    return []


def dataset_from_frames(*, validate: bool = True, **frames: pl.DataFrame | pl.LazyFrame) -> Dataset:
    """A :class:`Dataset` from in-memory frames (tests, notebooks), typed and validated.

    Pass ``orders=`` and any of ``feedback=``, ``claims=``, ``chargebacks=``,
    ``violations=``, ``inventory=``, ``ipi_observed=``, ``returns=``, ``messages=``,
    ``reviews=``; values may be strings as in a CSV file or already typed.
    """
    unknown = sorted(set(frames) - set(TABLES))
    if unknown:
        raise TypeError(f"unknown table(s): {', '.join(unknown)}")
    sources = {name: (f"<{name}>", frame.lazy(), True) for name, frame in frames.items()}
    return load_sources(sources, validate)
