"""Seller tables for notebooks: many sellers ranked worst first, drawn with status chips.

Two steps, kept apart (compute, then render):

- :func:`seller_ranking` turns the metrics table at one as-of date (SPEC 4.2) into one
  row per seller: its overall status (the worst status of the metrics that are not
  informational), the metrics that need attention, and one chosen metric's counts, rate,
  interval, p-value and status.
- :func:`status_table` renders any frame as an HTML table in which status columns are
  coloured chips. Every cell is escaped: seller ids and other text from the data never
  reach the page as markup.

Examples
--------
>>> import polars as pl
>>> table = status_table(pl.DataFrame({"seller_id": ["<b>S1</b>"], "status": ["bad"]}),
...                      chips=["status"])
>>> "&lt;b&gt;S1&lt;/b&gt;" in table.html and "<b>" not in table.html
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path

import polars as pl

from toolkit.charts.palette import BAND_COLORS, STATUS_COLORS
from toolkit.model.text import visible, visible_expr
from toolkit.model.vocabulary import ATTENTION_RANK

__all__ = ["RANKING_COLUMNS", "STATUS_RANK", "HtmlTable", "seller_ranking", "status_table"]

#: Statuses from worst to best, as the ranking orders them (the one vocabulary).
STATUS_RANK = ATTENTION_RANK
#: Columns of :func:`seller_ranking`, in order.
RANKING_COLUMNS = [
    "rank",
    "seller_id",
    "marketplace",
    "as_of",
    "overall",
    "attention",
    "metric",
    "channel",
    "numerator",
    "denominator",
    "rate",
    "ci_low",
    "ci_high",
    "p_value",
    "status",
]
_NEEDS_ATTENTION = ("bad", "bad_low_volume", "watch")
_GREY = "#999999"


def _rank(column: str) -> pl.Expr:
    return pl.col(column).replace_strict(
        STATUS_RANK, default=len(STATUS_RANK), return_dtype=pl.Int8
    )


def seller_ranking(
    metrics: pl.LazyFrame, *, metric: str = "odr", channel: str = "mfn"
) -> pl.LazyFrame:
    """One row per seller at each as-of date, the sellers needing most attention first.

    Parameters
    ----------
    metrics
        Metrics-table rows (SPEC 4.2), usually of one as-of date.
    metric, channel
        The metric whose numbers fill the row (``idr_7d`` lives on channel ``all``).

    Returns
    -------
    pl.LazyFrame
        :data:`RANKING_COLUMNS`. ``overall`` is the worst status among the seller's rows
        that are not informational and have data (``no_data`` when none has).
        ``attention`` lists those rows whose status is ``bad``, ``bad_low_volume`` or
        ``watch``, worst first, as structs ``{label: "lsr_30d mfn", status: "bad"}``.
        The chosen metric's columns are null for a seller without that channel. Sorted
        by ``as_of``, then ``overall`` (worst first), the chosen metric's status, its
        rate (highest first; for ``>`` metrics lowest first) and ``seller_id``;
        ``rank`` counts from 1 within each as-of date.

    Examples
    --------
    >>> from datetime import date
    >>> rows = pl.LazyFrame({
    ...     "seller_id": ["A", "A", "B", "B"], "marketplace": "US",
    ...     "channel": ["mfn", "mfn", "mfn", "mfn"], "metric": ["odr", "lsr_30d"] * 2,
    ...     "as_of": date(2025, 3, 1), "numerator": [0, 3, 2, 0],
    ...     "denominator": [100, 30, 100, 30], "rate": [0.0, 0.1, 0.02, 0.0],
    ...     "condition": "<", "informational": False, "ci_low": 0.0, "ci_high": 0.1,
    ...     "p_value": [1.0, 0.12, 0.26, 1.0], "status": ["good", "bad_low_volume", "bad_low_volume", "good"],
    ... })
    >>> ranking = seller_ranking(rows).collect()
    >>> ranking.select("rank", "seller_id", "overall", "rate", "status")
    shape: (2, 5)
    ┌──────┬───────────┬────────────────┬──────┬────────────────┐
    │ rank ┆ seller_id ┆ overall        ┆ rate ┆ status         │
    │ ---  ┆ ---       ┆ ---            ┆ ---  ┆ ---            │
    │ u32  ┆ str       ┆ str            ┆ f64  ┆ str            │
    ╞══════╪═══════════╪════════════════╪══════╪════════════════╡
    │ 1    ┆ B         ┆ bad_low_volume ┆ 0.02 ┆ bad_low_volume │
    │ 2    ┆ A         ┆ bad_low_volume ┆ 0.0  ┆ good           │
    └──────┴───────────┴────────────────┴──────┴────────────────┘
    >>> ranking["attention"].to_list()
    [[{'label': 'odr mfn', 'status': 'bad_low_volume'}], [{'label': 'lsr_30d mfn', 'status': 'bad_low_volume'}]]
    """
    keys = ["seller_id", "marketplace", "as_of"]
    deciding = metrics.filter(~pl.col("informational") & (pl.col("status") != "no_data"))
    flagged = pl.col("status").is_in(_NEEDS_ATTENTION)
    overall = deciding.group_by(keys).agg(
        pl.col("status").sort_by(_rank("status")).first().alias("overall"),
        pl.struct(
            pl.format("{} {}", pl.col("metric"), pl.col("channel")).alias("label"),
            pl.col("status"),
        )
        .filter(flagged)
        .sort_by(
            _rank("status").filter(flagged),
            pl.col("metric").filter(flagged),
            pl.col("channel").filter(flagged),
        )
        .alias("attention"),
    )
    sellers = metrics.select(keys).unique()
    chosen = metrics.filter((pl.col("metric") == metric) & (pl.col("channel") == channel)).select(
        *keys,
        *RANKING_COLUMNS[RANKING_COLUMNS.index("metric") :],
        pl.when(pl.col("condition") == ">")
        .then(pl.col("rate"))
        .otherwise(-pl.col("rate"))
        .alias("_order"),
    )
    return (
        sellers.join(overall, on=keys, how="left")
        .join(chosen, on=keys, how="left")
        .with_columns(
            pl.col("overall").fill_null("no_data"),
            pl.col("attention").fill_null(pl.lit([], dtype=pl.List(_ATTENTION))),
            pl.col("metric").fill_null(metric),
            pl.col("channel").fill_null(channel),
        )
        .sort(
            "as_of",
            _rank("overall"),
            _rank("status"),
            "_order",
            "seller_id",
            "marketplace",
            nulls_last=True,
        )
        .with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("as_of"))
        .select(RANKING_COLUMNS)
    )


_ATTENTION = pl.Struct({"label": pl.String, "status": pl.String})


@dataclass(frozen=True)
class HtmlTable:
    """An HTML table: shows itself in a notebook, is a string (``.html``), saves to a file."""

    html: str

    def __repr__(self) -> str:
        return f"HtmlTable({self.html.count('<tr>') - 1} rows)"

    def _repr_html_(self) -> str:
        return self.html

    def save(self, path: str | Path) -> Path:
        """Write the table as a small standalone HTML page; return the path."""
        path = Path(path)
        path.write_text(f'<!DOCTYPE html>\n<meta charset="utf-8">\n{self.html}\n', "utf-8")
        return path


_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
_CHIP_STYLE = (
    "display:inline-block;padding:0 0.5em;margin:1px 2px;border-radius:0.8em;"
    "color:#111;white-space:nowrap;font-size:0.9em;line-height:1.5;"
)


def _escaped(text: pl.Expr) -> pl.Expr:
    """HTML-escape a string expression (all five special characters, in one pass).

    Control and bidirectional formatting characters are first written as their codes
    (:func:`toolkit.model.text.visible_expr`), so an id cannot hide or reorder text.
    """
    return visible_expr(text).str.replace_many(list(_ESCAPES), list(_ESCAPES.values()))


def _chip(label: pl.Expr, status: pl.Expr, colors: Mapping[str, str]) -> pl.Expr:
    color = status.replace_strict(colors, default=_GREY, return_dtype=pl.String).fill_null(_GREY)
    return pl.concat_str(
        pl.lit(f'<span class="sh-chip" style="{_CHIP_STYLE}border:2px solid '),
        color,
        pl.lit(";background:"),
        color,
        pl.lit('33">'),
        _escaped(label),
        pl.lit("</span>"),
    )


def _fixed(value: pl.Expr, digits: int, suffix: str = "") -> pl.Expr:
    """A number with exactly ``digits`` decimals (``3.86``, ``10.00``), as a string."""
    scale = 10**digits
    scaled = (value.abs() * scale).round(0).cast(pl.Int64)
    sign = pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = (scaled // scale).cast(pl.String)
    if digits == 0:
        return pl.concat_str(sign, whole, pl.lit(suffix))
    part = (scaled % scale).cast(pl.String).str.zfill(digits)
    return pl.concat_str(sign, whole, pl.lit("."), part, pl.lit(suffix))


def _cell(
    name: str, dtype: pl.DataType, *, chip: bool, percent: bool, digits: int, colors
) -> pl.Expr:
    column = pl.col(name)
    if chip:
        if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
            item = _chip(
                pl.element().struct.field("label"), pl.element().struct.field("status"), colors
            )
            return column.list.eval(item).list.join("")
        if isinstance(dtype, pl.List):
            return column.list.eval(_chip(pl.element(), pl.element(), colors)).list.join("")
        if isinstance(dtype, pl.Struct):
            return _chip(column.struct.field("label"), column.struct.field("status"), colors)
        return _chip(column.cast(pl.String), column.cast(pl.String), colors)
    if percent:
        return _fixed(column * 100, digits, "%")
    if dtype.is_float():
        return column.round_sig_figs(digits + 1).cast(pl.String)
    if isinstance(dtype, pl.List):
        return _escaped(column.cast(pl.List(pl.String)).list.join(", "))
    return _escaped(column.cast(pl.String))


def status_table(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    chips: Iterable[str] = ("status",),
    percent: Iterable[str] = (),
    digits: int = 2,
    labels: Mapping[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
    caption: str | None = None,
) -> HtmlTable:
    """Render a frame as an HTML table whose status columns are coloured chips.

    Parameters
    ----------
    frame
        The rows to show (a ``LazyFrame`` is collected: a table is the end of a pipeline).
    chips
        Columns drawn as chips: a status string (``"bad"``), a list of them, or a list of
        structs ``{label, status}`` (the label on the status colour).
    percent
        Float columns shown as percentages with ``digits`` decimals (``0.0386`` ->
        ``3.86%``); other float columns get ``digits + 1`` significant figures
        (``0.000644``, ``2.89e-14``).
    labels
        Column headers (default: the column names).
    colors
        Status -> colour (default: the charts' status colours and AHR band colours).
    caption
        A caption above the table.

    Returns
    -------
    HtmlTable
        Every header, cell and the caption escaped; null cells empty. Chips carry their
        status as text too, so colour is never the only signal.

    Examples
    --------
    >>> frame = pl.DataFrame({"seller_id": ["S1", "S2"], "rate": [0.0386, None],
    ...                       "status": ["bad", "no_data"]})
    >>> html = status_table(frame, percent=["rate"]).html
    >>> ">3.86%</td>" in html, html.count('class="sh-chip"')
    (True, 2)
    """
    data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    chip_columns, percent_columns = set(chips), set(percent)
    missing = sorted((chip_columns | percent_columns) - set(data.columns))
    if missing:
        raise ValueError(f"status_table: no column(s) {missing} in {data.columns}")
    if not 0 <= digits <= 10:
        raise ValueError(f"status_table: digits must be 0..10, got {digits!r}")
    palette = {**STATUS_COLORS, **BAND_COLORS, **(colors or {})}
    labels = dict(labels or {})
    head = "".join(
        f'<th style="{_CELL_STYLE}">{escape(labels.get(c, c))}</th>' for c in data.columns
    )
    cells = [
        pl.concat_str(
            pl.lit(f'<td style="{_CELL_STYLE}">'),
            _cell(
                name,
                dtype,
                chip=name in chip_columns,
                percent=name in percent_columns,
                digits=digits,
                colors=palette,
            ).fill_null(""),
            pl.lit("</td>"),
        )
        for name, dtype in data.schema.items()
    ]
    rows = data.select(
        pl.concat_str(pl.lit("<tr>"), *cells, pl.lit("</tr>")).str.join("").alias("rows")
    )
    body = rows.item() if data.height else ""
    title = (
        f'<caption style="text-align:left;font-weight:bold">{escape(visible(caption))}</caption>'
        if caption
        else ""
    )
    html = (
        f'<table class="sh-status-table" style="border-collapse:collapse">{title}'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
    return HtmlTable(html)


_CELL_STYLE = "text-align:left;padding:2px 8px;vertical-align:top;border-bottom:1px solid #ddd"
