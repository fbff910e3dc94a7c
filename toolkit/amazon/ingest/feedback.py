"""The seller feedback report (``GET_SELLER_FEEDBACK_DATA``) into the feedback table.

Amazon's file is tab-separated with the columns ``Date, Rating, Comments, Your Response,
Order ID, Rater Email`` (the legacy 9-column layout adds ``Arrived on Time, Item as
Described, Customer Service`` before ``Order ID``). Headers are localised per marketplace,
so columns are taken by position and the layout by the column count. Dates are written
in the marketplace's format (:data:`FEEDBACK_DATE_FORMATS`).

The result has docs/definitions.md feedback columns ``feedback_id, order_id, rating, left_at,
comment, removed_at, removal``:

- ``feedback_id`` = ``<Order ID>:<date as YYYY-MM-DD>``: the same feedback gets the same
  id in every later download, so daily pulls can be compared;
- ``left_at`` = the date at 00:00 UTC (the file has no time of day);
- ``comment`` keeps the text, with anything shaped like an e-mail address replaced by
  ``[e-mail removed]``;
- ``removed_at`` and ``removal`` are empty: the report has no removal flag.

``Rater Email``, ``Your Response`` and the legacy sub-ratings are never read into the
result; ``Rater Email`` is buyer personal data and never appears in output or messages.

Examples
--------
>>> import tempfile, pathlib
>>> from toolkit.amazon.ingest.feedback import read_feedback_report
>>> text = ("Date\\tRating\\tComments\\tYour Response\\tOrder ID\\tRater Email\\r\\n"
...         "10/20/23\\t1\\tLate\\t\\tO-1\\tb1@example.com\\r\\n"
...         "3/2/24\\t3\\tmail x@y.org\\t\\tO-2\\tb2@example.com\\r\\n")
>>> tmp = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(tmp.name) / "feedback.txt"
>>> _ = path.write_text(text)
>>> read_feedback_report(path, marketplace="US").drop("removed_at", "removal").collect()
shape: (2, 5)
┌────────────────┬──────────┬────────┬─────────────────────────┬───────────────────────┐
│ feedback_id    ┆ order_id ┆ rating ┆ left_at                 ┆ comment               │
│ ---            ┆ ---      ┆ ---    ┆ ---                     ┆ ---                   │
│ str            ┆ str      ┆ i64    ┆ datetime[μs, UTC]       ┆ str                   │
╞════════════════╪══════════╪════════╪═════════════════════════╪═══════════════════════╡
│ O-1:2023-10-20 ┆ O-1      ┆ 1      ┆ 2023-10-20 00:00:00 UTC ┆ Late                  │
│ O-2:2024-03-02 ┆ O-2      ┆ 3      ┆ 2024-03-02 00:00:00 UTC ┆ mail [e-mail removed] │
└────────────────┴──────────┴────────┴─────────────────────────┴───────────────────────┘
>>> tmp.cleanup()
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl

from toolkit.amazon.ingest.tsv import ROW, read_tsv, scrub
from toolkit.amazon.marketplaces import MARKETPLACE_IDS, marketplace_code
from toolkit.model.data import UTC_US, DataError, InputError, mask_errors

__all__ = ["FEEDBACK_DATE_FORMATS", "FEEDBACK_LAYOUTS", "read_feedback_report"]

#: Date format of the feedback report per marketplace (Amazon localises it).
FEEDBACK_DATE_FORMATS = {
    code: {"US": "M/D/YY", "DE": "D.M.YY", "JP": "YY/M/D", "SE": "YYYY-MM-DD"}.get(code, "D/M/YY")
    for code in MARKETPLACE_IDS
}

#: Column count -> position of the columns read (0-based). 6: the SP-API layout; 9: the
#: legacy layout with three sub-ratings before Order ID.
FEEDBACK_LAYOUTS = {
    6: {"date": 0, "rating": 1, "comment": 2, "order_id": 4},
    9: {"date": 0, "rating": 1, "comment": 2, "order_id": 7},
}

# format name -> (chrono format, regex of the text it may parse), 2- and 4-digit years.
_PATTERNS = {
    "M/D/YY": [("%m/%d/%y", r"^\d{1,2}/\d{1,2}/\d{2}$"), ("%m/%d/%Y", r"^\d{1,2}/\d{1,2}/\d{4}$")],
    "D/M/YY": [("%d/%m/%y", r"^\d{1,2}/\d{1,2}/\d{2}$"), ("%d/%m/%Y", r"^\d{1,2}/\d{1,2}/\d{4}$")],
    "D.M.YY": [
        ("%d.%m.%y", r"^\d{1,2}\.\d{1,2}\.\d{2}$"),
        ("%d.%m.%Y", r"^\d{1,2}\.\d{1,2}\.\d{4}$"),
    ],
    "YY/M/D": [("%y/%m/%d", r"^\d{2}/\d{1,2}/\d{1,2}$"), ("%Y/%m/%d", r"^\d{4}/\d{1,2}/\d{1,2}$")],
    "YYYY-MM-DD": [("%Y-%m-%d", r"^\d{4}-\d{1,2}-\d{1,2}$")],
}
_EMAIL = r"\S+@\S+"
_LOOKS_LIKE_EMAIL = "looks like an e-mail address, not an Order ID (columns out of place?)"


def _date(text: pl.Expr, style: str) -> pl.Expr:
    """The date of ``text`` in ``style``; null when it does not match (no guessing)."""
    result = pl.lit(None, dtype=pl.Date)
    for fmt, pattern in reversed(_PATTERNS[style]):
        parsed = text.str.to_date(fmt, strict=False)
        result = pl.when(text.str.contains(pattern)).then(parsed).otherwise(result)
    return result


def _style(marketplace: str, file: str) -> tuple[str, str]:
    code = marketplace_code(marketplace.strip()).upper()
    if code not in FEEDBACK_DATE_FORMATS:
        known = ", ".join(sorted(FEEDBACK_DATE_FORMATS))
        problem = f"marketplace {marketplace!r} has no known feedback date format (known: {known})"
        raise DataError([InputError(file, None, problem)])
    return code, FEEDBACK_DATE_FORMATS[code]


def read_feedback_report(
    path: str | Path, *, marketplace: str, encoding: str | None = None
) -> pl.LazyFrame:
    """Read a seller feedback report file into docs/definitions.md feedback table.

    Parameters
    ----------
    path
        The tab-separated report (optionally gzip), 6 or 9 columns.
    marketplace
        Country code (``US``, ``DE``, ...) or marketplace id; decides the date format
        (:data:`FEEDBACK_DATE_FORMATS`).
    encoding
        Force a text encoding (e.g. ``shift_jis`` for old JP files); default: detected
        (BOM, UTF-16, UTF-8, else ISO-8859-1).

    Returns
    -------
    pl.LazyFrame
        ``feedback_id, order_id, rating, left_at, comment, removed_at, removal`` with the
        docs/definitions.md types, sorted by ``feedback_id``.

    Raises
    ------
    DataError
        With the file, column, rows and values: an unknown layout, a date not in the
        marketplace's format, a rating outside 1..5, a missing Order ID, an Order ID that
        looks like an e-mail address (values that look like one are never shown), or two
        rows with the same Order ID and date.
    """
    header, rows, file = read_tsv(path, encoding=encoding)
    code, style = _style(marketplace, file)
    layout = FEEDBACK_LAYOUTS.get(len(header))
    if layout is None:
        problem = (
            f"{len(header)} columns; a feedback report has 6 (Date, Rating, Comments, "
            "Your Response, Order ID, Rater Email) or 9 (the legacy layout)"
        )
        raise DataError([InputError(file, None, problem)])
    frame = rows.select(ROW, *(pl.col(f"c{i}").alias(name) for name, i in layout.items()))
    frame = frame.with_columns(pl.col("date", "rating", "order_id").str.strip_chars())
    date = _date(pl.col("date"), style)
    rating = pl.col("rating").cast(pl.Int64, strict=False)
    feedback_id = pl.format("{}:{}", pl.col("order_id"), date.cast(pl.String))

    def present(name: str) -> pl.Expr:
        return pl.col(name).str.len_bytes() > 0

    checks = [
        ("date", f"date not in the {code} format {style}", present("date") & date.is_null()),
        (
            "rating",
            "rating not a whole number 1..5",
            present("rating") & ~rating.is_between(1, 5).fill_null(False),
        ),
        ("order_id", _LOOKS_LIKE_EMAIL, pl.col("order_id").str.contains("@")),
        (
            "order_id",
            "two rows with the same Order ID and date",
            feedback_id.is_not_null() & feedback_id.is_duplicated(),  # no date: its own error
        ),
    ]
    checks = [(c, problem, mask.fill_null(False)) for c, problem, mask in checks]
    checks += [
        (name, "missing value in a required column", pl.col(name).str.len_bytes() == 0)
        for name in ("date", "rating", "order_id")
    ]
    labels = {name: f"{header[i] or 'column'} (column {i + 1})" for name, i in layout.items()}
    errors = [replace(e, column=labels[e.column]) for e in mask_errors(frame.lazy(), checks, file)]
    if errors:
        raise DataError(scrub(errors))
    comment = pl.col("comment").str.replace_all(_EMAIL, "[e-mail removed]")
    return (
        frame.lazy()
        .select(
            feedback_id.alias("feedback_id"),
            pl.col("order_id"),
            rating.alias("rating"),
            date.cast(UTC_US).alias("left_at"),
            pl.when(pl.col("comment").str.len_bytes() > 0).then(comment).alias("comment"),
            pl.lit(None, dtype=UTC_US).alias("removed_at"),
            pl.lit(None, dtype=pl.String).alias("removal"),
        )
        .sort("feedback_id")
    )
