"""Amazon's seller-fulfilled returns report into the ``returns`` table (definitions section 12).

``GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE`` is tab-separated, one row per item of a
return request, with 32 columns (``Order ID, Order date, Return request date, Return
request status, Amazon RMA ID, Merchant RMA ID, Label type, ..., In policy, Return type,
Resolution, ...``; some downloads add ``Order Item ID`` or ``Category``). Columns are found
by header name, as the inventory reports' (case, spaces, hyphens, underscores, quotes and a
trailing ``?`` ignored: :func:`~toolkit.amazon.ingest.inventory_files.normalise_header`);
every other column is left out, so no product or label detail reaches the table.

One row of the ``returns`` table per request:

- ``return_id``: ``Amazon RMA ID`` (the rows of several items of one request share it);
  without one, ``<Order ID>:<request date>``;
- ``order_id``: ``Order ID``;
- ``requested_at``: ``Return request date`` at 00:00 UTC (the report writes dates such as
  ``10-Jul-2025``; ``YYYY-MM-DD`` and ISO timestamps are read too); the earliest of the
  request's rows;
- ``in_policy``: ``In policy`` ``Y``/``N`` (true when any item of the request is in
  policy; empty when the column is absent or blank, which the table reads as true);
- ``outcome``: ``rejected`` when ``Return request status`` says so (``Rejected``,
  ``Denied``, ``Declined``), else ``refunded`` when ``Resolution`` names a refund
  (``StandardRefund``), else from the status: ``Approved``/``Authorized`` ->
  ``authorized``, ``Closed`` -> ``closed``, ``Refunded`` -> ``refunded``, ``Pending``,
  ``Requested``, ``Open`` or blank -> empty (open); across the rows of one request the
  first of rejected, refunded, authorized, closed that any row has;
- ``responded_at`` and ``buyer_resolved`` stay **empty**: the report has no time of the
  seller's answer and no buyer survey. Read as they are, every request older than 48 hours
  counts as a late response in ``rdr_30d``: fill ``responded_at`` from your own records
  for a real Return Dissatisfaction Rate (docs/ingest.md).

Every problem raises :class:`toolkit.model.data.DataError` naming the file, rows, column and
values (anything shaped like an e-mail address is hidden): a missing required column, a
date that does not parse, an ``In policy`` value that is not Y/N, a status not listed
above, an empty ``Order ID``, or one request on two orders.

Examples
--------
>>> import tempfile, pathlib
>>> tmp = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(tmp.name) / "returns.txt"
>>> _ = path.write_text("\\n".join([
...     "Order ID\\tReturn request date\\tReturn request status\\tAmazon RMA ID\\tIn policy\\tResolution",
...     "113-1\\t10-Jul-2025\\tApproved\\tDq1RMA\\tY\\tStandardRefund",
...     "113-1\\t10-Jul-2025\\tApproved\\tDq1RMA\\tN\\tStandardRefund",
...     "114-2\\t12-Jul-2025\\tRejected\\tDq2RMA\\tY\\t ", ""]))
>>> read_returns_report(path).select("return_id", "order_id", "requested_at", "in_policy",
...     "outcome").collect()
shape: (2, 5)
┌───────────┬──────────┬─────────────────────────┬───────────┬──────────┐
│ return_id ┆ order_id ┆ requested_at            ┆ in_policy ┆ outcome  │
│ ---       ┆ ---      ┆ ---                     ┆ ---       ┆ ---      │
│ str       ┆ str      ┆ datetime[μs, UTC]       ┆ bool      ┆ str      │
╞═══════════╪══════════╪═════════════════════════╪═══════════╪══════════╡
│ Dq1RMA    ┆ 113-1    ┆ 2025-07-10 00:00:00 UTC ┆ true      ┆ refunded │
│ Dq2RMA    ┆ 114-2    ┆ 2025-07-12 00:00:00 UTC ┆ true      ┆ rejected │
└───────────┴──────────┴─────────────────────────┴───────────┴──────────┘
>>> tmp.cleanup()
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.amazon.ingest.inventory_files import _present, _read, _text
from toolkit.amazon.ingest.tsv import ROW, scrub
from toolkit.model.data import UTC_US, DataError, mask_errors, parse_timestamp
from toolkit.model.schema import TABLES

__all__ = ["RETURNS_COLUMNS", "RETURN_STATUSES", "read_returns_report"]

#: Columns read from the report (as Amazon spells them) and whether each is required.
RETURNS_COLUMNS = {
    "Order ID": True,
    "Return request date": True,
    "Return request status": True,
    "Amazon RMA ID": False,
    "In policy": False,
    "Resolution": False,
}
#: ``Return request status`` (lower case, no spaces) -> the table's ``outcome`` (None: open).
RETURN_STATUSES = {
    "approved": "authorized",
    "authorized": "authorized",
    "authorised": "authorized",
    "refunded": "refunded",
    "rejected": "rejected",
    "denied": "rejected",
    "declined": "rejected",
    "closed": "closed",
    "pending": None,
    "pendingaction": None,
    "requested": None,
    "open": None,
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DMY = r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_ISO_TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"
#: When the rows of one request disagree, the first of these that any row has.
_PRIORITY = ("rejected", "refunded", "authorized", "closed")


def _requested(column: str) -> pl.Expr:
    """The request instant: ``DD-Mon-YYYY`` or ``YYYY-MM-DD`` at 00:00 UTC, or an ISO time."""
    text = _text(column)
    parts = text.str.extract_groups(_DMY)
    month = (
        parts.struct["2"]
        .str.to_lowercase()
        .replace_strict({m: f"{i:02d}" for i, m in enumerate(_MONTHS, 1)}, default=None)
    )
    dmy = pl.format("{}-{}-{}", parts.struct["3"], month, parts.struct["1"].str.zfill(2))
    iso_day = pl.when(text.str.contains(_ISO_DATE)).then(text)
    day = pl.coalesce(dmy, iso_day).str.to_date("%Y-%m-%d", strict=False).cast(UTC_US)
    timed = pl.when(text.str.contains(_ISO_TIME)).then(parse_timestamp(text))
    return pl.coalesce(day, timed)


def _flag(column: str) -> pl.Expr:
    """``Y``/``N`` (also yes/no/true/false, any case) as a boolean; null when blank or other."""
    mapping = {"y": True, "yes": True, "true": True, "n": False, "no": False, "false": False}
    return (
        _text(column)
        .str.to_lowercase()
        .replace_strict(mapping, default=None, return_dtype=pl.Boolean)
    )


def read_returns_report(path: str | Path, *, encoding: str | None = None) -> pl.LazyFrame:
    """Read a seller-fulfilled returns report file into the definitions section 12 ``returns`` table.

    Parameters
    ----------
    path
        The tab-separated ``GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE`` file (optionally
        gzip).
    encoding
        Force a text encoding; default: detected (BOM, UTF-16, UTF-8, else ISO-8859-1).

    Returns
    -------
    pl.LazyFrame
        The ``returns`` columns (``return_id, order_id, requested_at, responded_at,
        in_policy, outcome, buyer_resolved``) with their docs/definitions.md types, one row per request,
        sorted by ``return_id``; ``responded_at`` and ``buyer_resolved`` empty.

    Raises
    ------
    DataError
        Naming the file, rows, column and values.
    """
    raw, file = _read(path, RETURNS_COLUMNS, encoding=encoding)
    status = _text("Return request status").str.to_lowercase().str.replace_all(r"[\s_\-]", "")
    requested = _requested("Return request date")
    order_id = _text("Order ID")
    rma = _text("Amazon RMA ID")
    return_id = pl.coalesce(rma, pl.format("{}:{}", order_id, requested.dt.date().cast(pl.String)))
    frame = raw.with_columns(
        _order=order_id,
        _requested=requested,
        _status=status,
        _id=return_id,
        _in_policy=_flag("In policy"),
    )
    known = list(RETURN_STATUSES)
    checks = [
        ("Order ID", "missing value in a required column", ~_present("Order ID")),
        (
            "Order ID",
            "looks like an e-mail address, not an Order ID (columns out of place?)",
            order_id.str.contains("@"),
        ),
        (
            "Return request date",
            "unparseable date (DD-Mon-YYYY such as 10-Jul-2025, or YYYY-MM-DD)",
            _present("Return request date") & pl.col("_requested").is_null(),
        ),
        (
            "Return request date",
            "missing value in a required column",
            ~_present("Return request date"),
        ),
        (
            "Return request status",
            f"status not known (known: {', '.join(sorted(set(known)))}, or blank)",
            pl.col("_status").is_not_null() & ~pl.col("_status").is_in(known),
        ),
        (
            "In policy",
            "not Y or N (or yes/no, true/false)",
            _present("In policy") & pl.col("_in_policy").is_null(),
        ),
        (
            "Order ID",
            "rows of one return request (the same Amazon RMA ID) on different orders",
            (pl.col("_order").n_unique().over("_id") > 1) & pl.col("_order").is_not_null(),
        ),
    ]
    checks = [(c, problem, mask.fill_null(False)) for c, problem, mask in checks]
    errors = mask_errors(frame.lazy(), checks, file)
    if errors:
        raise DataError(scrub(errors))
    outcome = (
        pl.when(pl.col("_status").replace_strict(RETURN_STATUSES, default=None) == "rejected")
        .then(pl.lit("rejected"))
        .when(_text("Resolution").str.to_lowercase().str.contains("refund"))
        .then(pl.lit("refunded"))
        .otherwise(pl.col("_status").replace_strict(RETURN_STATUSES, default=None))
    )
    rank = outcome.replace_strict(
        {name: i for i, name in enumerate(_PRIORITY)}, default=None, return_dtype=pl.Int8
    )
    return (
        frame.lazy()
        .with_columns(_rank=rank)
        .group_by("_id")
        .agg(
            pl.col("_order").first().alias("order_id"),
            pl.col("_requested").min().alias("requested_at"),
            pl.col("_in_policy").any(ignore_nulls=True).alias("_any"),
            pl.col("_in_policy").is_not_null().any().alias("_told"),
            pl.col("_rank").min().alias("_rank"),
            pl.col(ROW).min().alias(ROW),
        )
        .select(
            pl.col("_id").alias("return_id"),
            "order_id",
            "requested_at",
            pl.lit(None, UTC_US).alias("responded_at"),
            pl.when(pl.col("_told")).then(pl.col("_any")).alias("in_policy"),
            pl.lit(pl.Series(_PRIORITY)).gather(pl.col("_rank")).alias("outcome"),
            pl.lit(None, pl.Boolean).alias("buyer_resolved"),
        )
        .select(TABLES["returns"].names)
        .sort("return_id")
    )
