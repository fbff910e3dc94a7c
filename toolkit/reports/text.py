"""Words, numbers and escaped HTML pieces for the seller reports (private).

Everything that reaches a page passes through :func:`esc` (or is built from fixed text
here); the tables are small (one row per metric, record or violation), so they are
formatted in Python. Numbers that come from the policy (a share of a limit, an interval's
coverage, a multiplier) are put into words here too, so that a page says what the policy
says.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from fractions import Fraction
from html import escape

import polars as pl

from toolkit.charts.palette import BAND_COLORS, STATUS_COLORS
from toolkit.model.text import visible
from toolkit.model.vocabulary import (
    ATTENTION_WORDS,
    BAND_WORDS,
    CHANNEL_NAMES,
    COUNT_PHRASES,
    COUNT_UNITS,
    METRIC_NAMES,
    day_text,
    metric_words,
)


class Fragment:
    """An HTML fragment that notebooks display as ``text/html`` (the text is escaped HTML)."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"Fragment({len(self.html)} characters of HTML)"


#: The colour of each chip: the status colours of the charts, the AHR bands, and a
#: deadline that has passed (the colour of a metric over its limit).
_CHIP_COLORS = {**STATUS_COLORS, **BAND_COLORS, "overdue": STATUS_COLORS["bad"]}


STYLE = """<style type="text/css">
.sh-report { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222;
  overflow-wrap: break-word; }
.sh-report h1, .jp-RenderedHTMLCommon .sh-report h1 { font-size: 1.9em; margin: 0.2em 0; }
.sh-report h2 { font-size: 1.35em; margin: 1.2em 0 0.3em 0; }
.sh-report h3 { font-size: 1.1em; margin: 1em 0 0.3em 0; }
.sh-chip { display: inline-block; padding: 0.1em 0.6em; border-radius: 0.8em; color: #fff;
  font-weight: bold; font-size: 0.9em; white-space: nowrap; margin: 0.1em 0; }
.sh-chip.sh-light { color: #222; }
.sh-box { border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 1em; margin: 0.6em 0;
  background: #fafafa; }
.sh-panel { border-top: 3px solid #444; margin: 1.6em 0 0.6em 0; padding-top: 0.2em; }
.sh-big { font-size: 1.2em; }
.sh-nowrap { white-space: nowrap; }
.sh-note { color: #555; font-size: 0.92em; }
.sh-report ul { padding-left: 1.3em; margin: 0.3em 0; }
.sh-report li { margin: 0.25em 0; }
.sh-overdue { color: #8a2b00; font-weight: bold; }
.sh-scroll { max-width: 100%; overflow-x: auto; }
table.sh-table { border-collapse: collapse; margin: 0.5em 0 1em 0; font-size: 0.92em; }
.sh-report table.sh-table th, .sh-report table.sh-table td { border-bottom: 1px solid #ddd;
  padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
.sh-report table.sh-table th { background: #f0f0f0; }
.sh-report table.sh-table td.sh-num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.sh-report table.sh-table th { overflow-wrap: normal; }
.sh-report table.sh-table tr.sh-faded td { color: #777; }
.sh-report table.sh-table td.sh-text { max-width: 28em; }
.sh-charts { display: flex; flex-wrap: wrap; gap: 0.5em 1.5em; align-items: flex-start; }
.sh-chart { flex: 1 1 440px; min-width: 0; max-width: 100%; margin: 0.4em 0; }
.sh-chart.sh-wide { flex-basis: 100%; }
.sh-chart svg { max-width: 100%; height: auto; display: block; }
.sh-report details > summary { cursor: pointer; color: #0b5394; margin: 0.3em 0; }
@media (max-width: 700px) {
  .sh-report table.sh-stack, .sh-report table.sh-stack tbody, .sh-report table.sh-stack tr,
  .sh-report table.sh-stack td { display: block; width: auto; max-width: none; }
  .sh-report table.sh-stack thead { display: none; }
  .sh-report table.sh-stack tr { border: 1px solid #ddd; border-radius: 6px;
    margin: 0 0 0.6em 0; padding: 0.3em 0.6em; }
  .sh-report table.sh-stack td { border: none; padding: 0.1em 0; text-align: left;
    overflow-wrap: anywhere; white-space: normal; }
  .sh-report table.sh-stack td.sh-num { text-align: left; }
  .sh-report table.sh-stack td { display: table; width: 100%; table-layout: fixed; }
  .sh-report table.sh-stack td::before { content: attr(data-label); display: table-cell;
    width: 7.5em; padding-right: 0.6em; font-size: 0.82em; color: #666;
    vertical-align: top; padding-top: 0.15em; }
  .sh-report table.sh-stack td:empty { display: none; }
}
</style>"""


def fragment(html: str) -> Fragment:
    """A report section: ``html`` inside the report's ``sh-report`` block."""
    return Fragment(f'<div class="sh-report">{html}</div>')


def esc(value: object) -> str:
    """Escaped text of any value (``None`` is an en dash); hidden characters shown as codes.

    Control and bidirectional formatting characters (a right-to-left override in a seller
    id, a NUL in a comment) are written as ``\\u202e`` (:func:`toolkit.model.text.visible`)
    before HTML escaping, so a page shows what the data holds.

    >>> esc("<S1>\u202e")
    '&lt;S1&gt;\\\\u202e'
    """
    return "–" if value is None else escape(visible(str(value)), quote=True)


def day(value: date | datetime | None) -> str:
    """``1 Dec 2026`` (a date), ``–`` for none: the one date format of every page."""
    return day_text(value)


def stamp(value: datetime | None) -> str:
    """``15 Nov 2026 18:15 UTC``."""
    if value is None:
        return "–"
    return f"{day(value)} {value:%H:%M} UTC"


def pct(rate: float | None, digits: int = 2) -> str:
    """``3.86%``; ``n/a`` for a null rate."""
    if rate is None:
        return "n/a"
    return f"{rate * 100:.{digits}f}%"


def share(fraction: float | Fraction) -> str:
    """A fraction as a percentage, with one decimal only where it is needed.

    Examples
    --------
    >>> [share(x) for x in (0.8, Fraction(1, 20), 0.95, 0.6827)]
    ['80%', '5%', '95%', '68.3%']
    """
    text = f"{float(fraction) * 100:.1f}"
    return f"{text.removesuffix('.0')}%"


def coverage(z: float) -> float:
    """The share of a normal distribution within ``z`` standard deviations of its mean.

    The coverage of a two-sided interval built with ``z`` (a Wilson interval, say).

    Examples
    --------
    >>> share(coverage(1.959963984540054)), share(coverage(2.5758293035489))
    ('95%', '99%')
    """
    return math.erf(z / math.sqrt(2))


def times(multiplier: int) -> str:
    """``double``, ``triple``, ``4 times as much``: how a repeat's cost compares.

    Examples
    --------
    >>> [times(m) for m in (1, 2, 3, 4)]
    ['the same', 'double', 'triple', '4 times as much']
    """
    return {1: "the same", 2: "double", 3: "triple"}.get(multiplier, f"{multiplier} times as much")


def target_text(condition: str | None, target: float | None) -> str:
    """``below 1%`` or ``above 95%``; a dash without a target."""
    if target is None or condition is None:
        return "–"
    word = "below" if condition == "<" else "above"
    return f"{word} {target * 100:g}%"


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 order``, ``3 orders``."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def counts(numerator: int, denominator: int, metric: str) -> str:
    """``9 of 233 orders with a defect``: the counts behind a rate, worded for the metric.

    Examples
    --------
    >>> counts(9, 233, "odr"), counts(1, 1, "lsr_10d"), counts(0, 0, "vtr_30d")
    ('9 of 233 orders with a defect', '1 of 1 order shipped late', 'no orders in the window')
    """
    one, many = COUNT_UNITS.get(metric, ("order", "orders"))
    if not denominator:
        return f"no {many} in the window"
    return f"{numerator:,} of {plural(denominator, one, many)} {COUNT_PHRASES.get(metric, '')}"


def chance(p_value: float) -> str:
    """How often a seller exactly at the limit gets this result, in plain words.

    Examples
    --------
    >>> chance(0.0956), chance(0.31), chance(0.62), chance(0.0004)
    ('9.6% of the time (about 1 in 10)', '31% of the time (about 1 in 3)', '62% of the time (more often than not)', '0.04% of the time (about 1 in 2,500)')
    """
    digits = 1 if p_value >= 0.001 else 2
    shown = share(round(p_value, digits + 2)) if p_value >= 0.1 else pct(p_value, digits)
    if p_value >= 0.5:
        return f"{shown} of the time (more often than not)"
    one_in = round(1 / p_value) if p_value > 0 else 0
    if one_in >= 1000:
        one_in = round(one_in, -2)
    return f"{shown} of the time (about 1 in {one_in:,})" if one_in else f"{shown} of the time"


def when(deadline: date | datetime | None) -> str:
    """A deadline: ``14 Oct 2026 09:00 UTC`` for an instant, ``14 Oct 2026`` for a date."""
    if deadline is None:
        return "–"
    if isinstance(deadline, datetime):
        return f"{day(deadline)} {deadline:%H:%M} UTC"
    return day(deadline)


def metric_label(metric: str, channel: str) -> str:
    """``Order Defect Rate (shipped by you)``."""
    return metric_words(metric, channel)


def chip(status: str | None, text: str | None = None) -> str:
    """A coloured status chip; the text says the status in words (colour is never alone)."""
    status = status or "no_data"
    color = _CHIP_COLORS.get(status, "#999999")
    words = text if text is not None else ATTENTION_WORDS.get(status, status)
    light = " sh-light" if status in ("watch", "at_risk") else ""
    return f'<span class="sh-chip{light}" style="background:{color}">{esc(words)}</span>'


def band_chip(band: str | None, text: str | None = None) -> str:
    """A chip for an AHR band (healthy, at risk, critical), in words."""
    if band is None:
        return chip("no_data", "No estimate")
    return chip(band, text or BAND_WORDS.get(band, band))


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Iterable[int] = (),
    faded: Iterable[bool] | None = None,
    text_columns: Iterable[int] = (),
    stack: bool = True,
) -> str:
    """An HTML table. Cells are **HTML already** (escape data with :func:`esc` first).

    With ``stack`` (the default) the table becomes one card per row on a narrow screen
    (each cell under its header's name, from the cell's ``data-label``), so no column is
    cut off on a phone; it sits in a box that scrolls sideways when it is still wider
    than the page.

    Examples
    --------
    >>> html = table(["Order", "Clears on"], [["O1", "1 Dec 2026"]], numeric=[1])
    >>> '<td class="sh-num" data-label="Clears on">1 Dec 2026</td>' in html
    True
    """
    numeric, text_columns = set(numeric), set(text_columns)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    labels = [esc(h) for h in headers]
    body = []
    fades = iter(faded) if faded is not None else None
    for row in rows:
        fade = next(fades) if fades is not None else False
        cells = "".join(
            f'<td class="{"sh-num" if i in numeric else "sh-text" if i in text_columns else ""}"'
            f' data-label="{labels[i] if i < len(labels) else ""}">{cell}</td>'
            for i, cell in enumerate(row)
        )
        body.append(f'<tr class="sh-faded">{cells}</tr>' if fade else f"<tr>{cells}</tr>")
    css = "sh-table sh-stack" if stack else "sh-table"
    return (
        f'<div class="sh-scroll"><table class="{css}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def paragraphs(*texts: str, css: str = "") -> str:
    """``<p>`` elements (the texts are HTML already)."""
    cls = f' class="{css}"' if css else ""
    return "".join(f"<p{cls}>{t}</p>" for t in texts if t)


def _counts(numerator: str, denominator: str) -> pl.Expr:
    """``12 / 227``; the numerator alone without a denominator, ``–`` for none."""
    top = pl.col(numerator).cast(pl.String).fill_null("–")
    return (
        pl.when(pl.col(denominator).is_null())
        .then(top)
        .otherwise(pl.concat_str(top, pl.lit(" / "), pl.col(denominator).cast(pl.String)))
    )


def _day_words(value: pl.Expr) -> pl.Expr:
    """A date column in the one date format: ``2 Nov 2026``."""
    return pl.concat_str(value.dt.day().cast(pl.String), pl.lit(" "), value.dt.strftime("%b %Y"))


#: A snapshot metric that is not one of ours (definitions section 7: ``otdr_30d``, ``policy_<key>``,
#: ``ahr``, ``account_status``) keeps its own name, with spaces.
_SNAPSHOT_NAMES = {
    **METRIC_NAMES,
    "otdr_30d": "On-time delivery rate, 30 days",
    "ahr": "Account Health Rating",
    "account_status": "Account status",
}


def reconciliation_shown(table: pl.LazyFrame) -> pl.LazyFrame:
    """A reconciliation table as a report shows it: one row per metric, in words.

    Parameters
    ----------
    table
        :func:`toolkit.amazon.reconcile.reconcile_table` output.

    Returns
    -------
    pl.LazyFrame
        ``seller_id, marketplace`` and the columns a page shows: ``Amazon report of``,
        ``Metric`` (``Order Defect Rate (shipped by you)``), ``Window``, ``Amazon`` and
        ``Recomputed here`` (``numerator / denominator``), ``Difference (Amazon − ours)``,
        ``Result`` and ``Why``, sorted by metric and channel. Dates in the one date
        format.

    Examples
    --------
    >>> from datetime import date
    >>> table = pl.LazyFrame({"seller_id": ["S1"], "marketplace": ["US"],
    ...     "snapshot_date": [date(2026, 11, 2)], "metric": ["odr"], "channel": ["mfn"],
    ...     "window_start": [date(2026, 8, 21)], "window_end": [date(2026, 10, 19)],
    ...     "amazon_numerator": [12], "amazon_denominator": [227], "our_numerator": [12],
    ...     "our_denominator": [227], "numerator_diff": [0], "status": ["match"],
    ...     "explanation": [None]})
    >>> reconciliation_shown(table).collect().row(0)[2:6]
    ('2 Nov 2026', 'Order Defect Rate (shipped by you)', '21 Aug 2026 – 19 Oct 2026', '12 / 227')
    """
    metric = pl.col("metric")
    name = metric.replace_strict(
        _SNAPSHOT_NAMES, default=metric.str.replace_all("_", " "), return_dtype=pl.String
    )
    channel = pl.col("channel").replace_strict(
        CHANNEL_NAMES, default=pl.col("channel"), return_dtype=pl.String
    )
    return table.sort("metric", "channel").select(
        "seller_id",
        "marketplace",
        _day_words(pl.col("snapshot_date")).alias("Amazon report of"),
        pl.format("{} ({})", name, channel).alias("Metric"),
        pl.concat_str(
            _day_words(pl.col("window_start")),
            pl.lit(" – "),
            _day_words(pl.col("window_end")),
        ).alias("Window"),
        _counts("amazon_numerator", "amazon_denominator").alias("Amazon"),
        _counts("our_numerator", "our_denominator").alias("Recomputed here"),
        pl.col("numerator_diff").alias("Difference (Amazon − ours)"),
        pl.col("status").str.replace_all("_", " ").alias("Result"),
        pl.col("explanation").fill_null("").alias("Why"),
    )
