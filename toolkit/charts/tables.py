"""Seller tables for notebooks: many sellers ranked worst first, drawn with status chips.

Two steps, kept apart (compute, then render):

- :func:`rank_sellers` is the one ranking of sellers, "what needs attention first": the
  index page, its CSV, :func:`seller_ranking` and the portfolio notebook all use it.
- :func:`seller_ranking` turns the metrics table at one as-of date (definitions section 4.2), and
  optionally the AHR estimate and the actions, into one row per seller: its overall
  status (the worst status of the metrics that are not informational), what needs its
  attention, the metrics flagged, and one chosen metric's counts, rate, interval,
  p-value and status.
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
from toolkit.model.policy import METRICS
from toolkit.model.text import visible, visible_expr
from toolkit.model.vocabulary import (
    ATTENTION_RANK,
    ATTENTION_WORDS,
    BAND_WORDS,
    CHANNEL_NAMES,
    METRIC_NAMES,
    STATUS_WORDS,
)

__all__ = [
    "RANKING_COLUMNS",
    "STATUS_RANK",
    "HtmlTable",
    "attention_level",
    "rank_sellers",
    "seller_ranking",
    "show_frames_as_tables",
    "status_table",
]

#: Statuses from worst to best, as the ranking orders them (the one vocabulary).
STATUS_RANK = ATTENTION_RANK
#: Columns of :func:`seller_ranking`, in order.
RANKING_COLUMNS = [
    "rank",
    "seller_id",
    "marketplace",
    "as_of",
    "attention",
    "overall",
    "band",
    "ahr_estimate",
    "overdue_actions",
    "flagged",
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
_AUTO_CHIPS = ("status", "overall", "attention", "band", "ahr_band", "flagged")
_METRIC_NAMES, _CHANNEL_NAMES = METRIC_NAMES, CHANNEL_NAMES
_METRIC_ORDER = {m: i for i, m in enumerate(METRICS)}
_GREY = "#999999"


def _rank(column: str | pl.Expr) -> pl.Expr:
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.replace_strict(STATUS_RANK, default=len(STATUS_RANK), return_dtype=pl.Int8)


def attention_level(status: pl.Expr, band: pl.Expr, overdue: pl.Expr) -> pl.Expr:
    """What needs a seller's attention most: the worst of its status, AHR band and deadlines.

    ``status`` is the worst status of the seller's metrics that are not informational,
    ``band`` its AHR band (null: none), ``overdue`` its number of actions whose deadline
    has passed (definitions section 10; null: none). The result is a code of
    :data:`~toolkit.model.vocabulary.ATTENTION_RANK` (``overdue`` when a deadline has
    passed and nothing worse holds).

    Examples
    --------
    >>> frame = pl.DataFrame({"status": ["good", "bad_low_volume", "bad", "good"],
    ...     "band": ["at_risk", "healthy", "critical", None], "overdue": [0, 2, 0, None]})
    >>> frame.select(attention_level(pl.col("status"), pl.col("band"), pl.col("overdue")))
    shape: (4, 1)
    ┌───────────┐
    │ attention │
    │ ---       │
    │ str       │
    ╞═══════════╡
    │ at_risk   │
    │ overdue   │
    │ critical  │
    │ good      │
    └───────────┘
    """
    late = pl.when(overdue.fill_null(0) > 0).then(pl.lit("overdue"))
    r_status, r_band, r_late = _rank(status), _rank(band), _rank(late)
    return (
        pl.when((r_band < r_status) & (r_band < r_late.fill_null(len(STATUS_RANK))))
        .then(band)
        .when(r_late < r_status)
        .then(late)
        .otherwise(status)
        .alias("attention")
    )


def rank_sellers(sellers: pl.LazyFrame, *, by: tuple[str, ...] = ()) -> pl.LazyFrame:
    """Sort sellers by what needs attention first: the one ranking of every seller list.

    The index page, its CSV, :func:`seller_ranking` and the portfolio notebook all call
    this function, so they rank the same sellers in the same order.

    Parameters
    ----------
    sellers
        One row per seller (and ``by`` group): ``seller_id, marketplace, status`` (the
        worst status of its non-informational metrics), and optionally ``band``,
        ``ahr_estimate`` and ``overdue_actions`` (a missing one counts as none).
    by
        Columns ranked within (``as_of`` for several dates); ranks start at 1 in each.

    Returns
    -------
    pl.LazyFrame
        The rows with ``attention`` (:func:`attention_level`) and ``rank``, sorted by the
        attention level, then more overdue actions first, then the metric status, the
        lower AHR estimate, seller and marketplace.

    Examples
    --------
    >>> sellers = pl.LazyFrame({"seller_id": ["A", "B", "C", "D"], "marketplace": "US",
    ...     "status": ["bad", "good", "good", "bad_low_volume"],
    ...     "band": ["healthy", "at_risk", "healthy", "healthy"],
    ...     "ahr_estimate": [220, 192, 230, 210], "overdue_actions": [0, 0, 1, 0]})
    >>> rank_sellers(sellers).select("rank", "seller_id", "attention").collect().rows()
    [(1, 'A', 'bad'), (2, 'B', 'at_risk'), (3, 'C', 'overdue'), (4, 'D', 'bad_low_volume')]
    """
    names = sellers.collect_schema().names()
    band = pl.col("band") if "band" in names else pl.lit(None, pl.String)
    ahr = pl.col("ahr_estimate") if "ahr_estimate" in names else pl.lit(None, pl.Int64)
    overdue = pl.col("overdue_actions") if "overdue_actions" in names else pl.lit(0)
    keyed = sellers.with_columns(
        attention_level(pl.col("status"), band, overdue),
        _overdue=overdue.fill_null(0),
        _ahr=ahr,
    )
    ordered = keyed.sort(
        *by,
        _rank("attention"),
        pl.col("_overdue"),
        _rank("status"),
        "_ahr",
        "seller_id",
        "marketplace",
        descending=[False] * len(by) + [False, True, False, False, False, False],
        nulls_last=True,
    )
    rank = pl.int_range(1, pl.len() + 1, dtype=pl.UInt32)
    return ordered.with_columns(rank=rank.over(*by) if by else rank).drop("_overdue", "_ahr")


def seller_ranking(
    metrics: pl.LazyFrame,
    *,
    metric: str = "odr",
    channel: str = "mfn",
    ahr: pl.LazyFrame | None = None,
    actions: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One row per seller at each as-of date, the sellers needing most attention first.

    Parameters
    ----------
    metrics
        Metrics-table rows (definitions section 4.2), usually of one as-of date.
    metric, channel
        The metric whose numbers fill the row (``idr_7d`` lives on channel ``all``).
    ahr
        Optional ahr-table rows (definitions section 6) of the same dates: the AHR band counts in the
        ranking, as on the index page.
    actions
        Optional actions-table rows (definitions section 10) of the last as-of date: actions whose
        deadline has passed (``overdue``) count, as on the index page.

    Returns
    -------
    pl.LazyFrame
        :data:`RANKING_COLUMNS`, ranked by :func:`rank_sellers` within each as-of date
        (the index page's order). ``overall`` is the worst status among the seller's rows
        that are not informational and have data (``no_data`` when none has);
        ``attention`` what needs attention most (:func:`attention_level`); ``band`` and
        ``ahr_estimate`` the AHR estimate (null without ``ahr``); ``overdue_actions`` the
        number of overdue actions (0 without ``actions``). ``flagged`` lists the rows whose
        status is ``bad``, ``bad_low_volume`` or ``watch``, worst first, as structs
        ``{label: "Late shipment rate, 30 days (shipped by you)", status: "bad"}``. The
        chosen metric's columns are null for a seller without that channel.

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
    >>> ranking.select("rank", "seller_id", "overall", "rate", "status").rows()
    [(1, 'A', 'bad_low_volume', 0.0, 'good'), (2, 'B', 'bad_low_volume', 0.02, 'bad_low_volume')]
    >>> ranking["flagged"].to_list()[0]
    [{'label': 'Late shipment rate, 30 days (shipped by you)', 'status': 'bad_low_volume'}]
    """
    keys = ["seller_id", "marketplace", "as_of"]
    deciding = metrics.filter(~pl.col("informational") & (pl.col("status") != "no_data"))
    flagged = pl.col("status").is_in(_NEEDS_ATTENTION)
    label = pl.format(
        "{} ({})",
        pl.col("metric").replace_strict(_METRIC_NAMES, default=pl.col("metric")),
        pl.col("channel").replace_strict(_CHANNEL_NAMES, default=pl.col("channel")),
    )
    overall = deciding.group_by(keys).agg(
        pl.col("status").sort_by(_rank("status")).first().alias("overall"),
        pl.struct(label.alias("label"), pl.col("status"))
        .filter(flagged)
        .sort_by(
            _rank("status").filter(flagged),
            pl.col("metric").replace_strict(_METRIC_ORDER, default=99).filter(flagged),
            pl.col("channel").filter(flagged),
            descending=[False, False, True],
        )
        .alias("flagged"),
    )
    sellers = metrics.select(keys).unique()
    chosen = metrics.filter((pl.col("metric") == metric) & (pl.col("channel") == channel)).select(
        *keys,
        *RANKING_COLUMNS[RANKING_COLUMNS.index("metric") :],
    )
    frame = (
        sellers.join(overall, on=keys, how="left")
        .join(chosen, on=keys, how="left")
        .with_columns(
            pl.col("overall").fill_null("no_data"),
            pl.col("flagged").fill_null(pl.lit([], dtype=pl.List(_ATTENTION))),
            pl.col("metric").fill_null(metric),
            pl.col("channel").fill_null(channel),
        )
    )
    if ahr is not None:
        frame = frame.join(ahr.select(*keys, "ahr_estimate", "band"), on=keys, how="left")
    else:
        frame = frame.with_columns(
            ahr_estimate=pl.lit(None, pl.Int64), band=pl.lit(None, pl.String)
        )
    if actions is not None:
        overdue = (
            actions.filter(pl.col("overdue"))
            .group_by("seller_id", "marketplace")
            .agg(overdue_actions=pl.len().cast(pl.Int64))
        )
        frame = frame.join(overdue, on=["seller_id", "marketplace"], how="left").with_columns(
            pl.col("overdue_actions").fill_null(0)
        )
    else:
        frame = frame.with_columns(overdue_actions=pl.lit(0, pl.Int64))
    ranked = rank_sellers(
        frame.with_columns(_status=pl.col("status"), status=pl.col("overall")), by=("as_of",)
    ).with_columns(status=pl.col("_status"))
    return ranked.select(RANKING_COLUMNS)


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


#: The words on a chip: statuses, AHR bands and attention levels (one vocabulary).
CHIP_WORDS = {**BAND_WORDS, **STATUS_WORDS, **ATTENTION_WORDS}
#: Columns that hold an AHR band: ``at_risk`` reads "At risk" there ("AHR at risk" as an
#: attention level).
_BAND_COLUMNS = ("band", "ahr_band")


def _words(code: pl.Expr, *, band: bool = False) -> pl.Expr:
    """A status, band or attention code as the words on its chip (other text unchanged)."""
    words = {**CHIP_WORDS, **BAND_WORDS} if band else CHIP_WORDS
    return code.replace_strict(words, default=code, return_dtype=pl.String)


def _chip(label: pl.Expr, status: pl.Expr, colors: Mapping[str, str]) -> pl.Expr:
    color = status.replace_strict(colors, default=_GREY, return_dtype=pl.String).fill_null(_GREY)
    return pl.concat_str(
        pl.lit(f'<span class="sh-chip" style="{_CHIP_STYLE}border:2px solid '),
        color,
        pl.lit(";background:"),
        color,
        pl.lit('33" title="'),
        _escaped(status),
        pl.lit('">'),
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
            item = _chip(_words(pl.element(), band=name in _BAND_COLUMNS), pl.element(), colors)
            return column.list.eval(item).list.join("")
        if isinstance(dtype, pl.Struct):
            return _chip(column.struct.field("label"), column.struct.field("status"), colors)
        words = _words(column.cast(pl.String), band=name in _BAND_COLUMNS)
        return _chip(words, column.cast(pl.String), colors)
    if percent:
        return _fixed(column * 100, digits, "%")
    if dtype.is_float():
        return column.round_sig_figs(digits + 1).cast(pl.String)
    if dtype == pl.Date:
        return pl.concat_str(
            column.dt.day().cast(pl.String), pl.lit(" "), column.dt.strftime("%b %Y")
        )
    if isinstance(dtype, pl.Datetime):
        zone = " UTC" if dtype.time_zone == "UTC" else ""
        return pl.concat_str(
            column.dt.day().cast(pl.String),
            pl.lit(" "),
            column.dt.strftime(f"%b %Y %H:%M{zone}"),
        )
    if dtype == pl.Boolean:
        return pl.when(column).then(pl.lit("yes")).otherwise(pl.lit("no"))
    if isinstance(dtype, pl.List):
        return _escaped(column.cast(pl.List(pl.String)).list.join(", "))
    return _escaped(column.cast(pl.String))


def status_table(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    chips: Iterable[str] | None = None,
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
        Columns drawn as chips: a status string (``"bad"``, shown in words: "Over the
        limit", the code in the chip's title), a list of them, or a list of structs
        ``{label, status}`` (the label on the status colour). Default: the columns named
        ``status``, ``overall``, ``attention``, ``band``, ``ahr_band`` or ``flagged``.
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
        Every row (no "…" rows), in a box that scrolls sideways when the table is wider
        than the page. Every header, cell and the caption escaped; null cells empty;
        dates as ``1 Dec 2026``, timestamps as ``1 Dec 2026 18:15 UTC``, booleans as
        ``yes``/``no``. Chips carry their status in words too, so colour is never the only
        signal.

    Examples
    --------
    >>> frame = pl.DataFrame({"seller_id": ["S1", "S2"], "rate": [0.0386, None],
    ...                       "status": ["bad", "no_data"]})
    >>> html = status_table(frame, percent=["rate"]).html
    >>> ">3.86%</td>" in html, html.count('class="sh-chip"'), ">Over the limit<" in html
    (True, 2, True)
    """
    data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    if chips is None:
        chips = [c for c in data.columns if c in _AUTO_CHIPS]
    chip_columns, percent_columns = set(chips), set(percent)
    missing = sorted((chip_columns | percent_columns) - set(data.columns))
    if missing:
        raise ValueError(f"status_table: no column(s) {missing} in {data.columns}")
    if not 0 <= digits <= 10:
        raise ValueError(f"status_table: digits must be 0..10, got {digits!r}")
    palette = {**STATUS_COLORS, **BAND_COLORS, "overdue": STATUS_COLORS["bad"], **(colors or {})}
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
        '<div class="sh-scroll" style="overflow-x:auto;max-width:100%">'
        f'<table class="sh-status-table" style="border-collapse:collapse">{title}'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
    return HtmlTable(html)


_CELL_STYLE = "text-align:left;padding:2px 8px;vertical-align:top;border-bottom:1px solid #ddd"


def _rate_columns(frame: pl.DataFrame) -> list[str]:
    """Float columns that hold rates (fractions shown as percentages)."""
    names = ("rate", "ci_low", "ci_high", "centre", "lower", "upper")
    return [
        name
        for name, dtype in frame.schema.items()
        if dtype.is_float() and (name in names or "rate" in name.split("_"))
    ]


def frame_html(frame: pl.DataFrame) -> str:
    """A DataFrame as :func:`status_table` HTML: rates as percentages, statuses as chips.

    Examples
    --------
    >>> html = frame_html(pl.DataFrame({"seller_id": ["S1"], "rate": [0.0386],
    ...     "p_value": [0.0956], "status": ["bad_low_volume"]}))
    >>> ">3.86%</td>" in html, ">0.0956</td>" in html, ">Over, could be chance</span>" in html
    (True, True, True)
    """
    return status_table(frame, percent=_rate_columns(frame)).html


def show_frames_as_tables() -> None:
    """Make this notebook show every polars DataFrame as an HTML table (:func:`frame_html`).

    Instead of polars' own HTML (a ``shape`` line, a row of data types, quoted strings
    and "…" rows where a frame is long): every row, dates as ``1 Dec 2026``, rates as
    percentages and statuses in words. Call it once near the top of a notebook; outside
    IPython it does nothing.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(pl.DataFrame, frame_html)
