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
    BAND_WORDS,
    CHANNEL_NAMES,
    METRIC_NAMES,
    STATUS_WORDS,
)


class Fragment:
    """An HTML fragment that notebooks display as ``text/html`` (the text is escaped HTML)."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"Fragment({len(self.html)} characters of HTML)"


#: The colour of each chip: the status colours of the charts, and the AHR band at risk.
_CHIP_COLORS = {**STATUS_COLORS, "at_risk": BAND_COLORS["at_risk"]}


STYLE = """<style type="text/css">
.sh-report { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222; }
.sh-report h1, .jp-RenderedHTMLCommon .sh-report h1 { font-size: 2em; margin: 0.2em 0; }
.sh-chip { display: inline-block; padding: 0.1em 0.6em; border-radius: 0.8em; color: #fff;
  font-weight: bold; font-size: 0.9em; white-space: nowrap; }
.sh-chip.sh-light { color: #222; }
.sh-box { border: 1px solid #ccc; border-radius: 6px; padding: 0.8em 1em; margin: 0.6em 0;
  background: #fafafa; }
.sh-big { font-size: 1.25em; }
.sh-note { color: #555; font-size: 0.92em; }
table.sh-table { border-collapse: collapse; margin: 0.5em 0 1em 0; font-size: 0.92em; }
.sh-report table.sh-table th, .sh-report table.sh-table td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em;
  text-align: left; vertical-align: top; }
.sh-report table.sh-table th { background: #f0f0f0; }
.sh-report table.sh-table td.sh-num { text-align: right; font-variant-numeric: tabular-nums; }
.sh-report table.sh-table tr.sh-faded td { color: #888; }
.sh-report table.sh-table td.sh-text { max-width: 28em; }
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
    """``1 Dec 2026`` (a date), ``—`` for none."""
    if value is None:
        return "–"
    return f"{value.day} {value:%b %Y}"


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


def metric_label(metric: str, channel: str) -> str:
    """``Order Defect Rate (shipped by you)``."""
    name = METRIC_NAMES.get(metric, metric)
    return f"{name} ({CHANNEL_NAMES.get(channel, channel)})"


def chip(status: str | None, text: str | None = None) -> str:
    """A coloured status chip; the text says the status in words (colour is never alone)."""
    status = status or "no_data"
    color = _CHIP_COLORS.get(status, "#999999")
    words = text if text is not None else STATUS_WORDS.get(status, status)
    light = " sh-light" if status in ("watch", "at_risk") else ""
    return f'<span class="sh-chip{light}" style="background:{color}">{esc(words)}</span>'


def band_chip(band: str | None) -> str:
    """A chip for an AHR band (healthy, at risk, critical)."""
    if band is None:
        return chip("no_data", "No estimate")
    status = {"healthy": "good", "at_risk": "at_risk", "critical": "bad"}.get(band, "no_data")
    return chip(status, BAND_WORDS.get(band, band))


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Iterable[int] = (),
    faded: Iterable[bool] | None = None,
    text_columns: Iterable[int] = (),
) -> str:
    """An HTML table. Cells are **HTML already** (escape data with :func:`esc` first)."""
    numeric, text_columns = set(numeric), set(text_columns)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    fades = iter(faded) if faded is not None else None
    for row in rows:
        fade = next(fades) if fades is not None else False
        cells = "".join(
            f'<td class="{"sh-num" if i in numeric else "sh-text" if i in text_columns else ""}">'
            f"{cell}</td>"
            for i, cell in enumerate(row)
        )
        body.append(f'<tr class="sh-faded">{cells}</tr>' if fade else f"<tr>{cells}</tr>")
    return (
        f'<table class="sh-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
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
        ``Metric`` (``odr · mfn``), ``Window``, ``Amazon`` and ``Recomputed here``
        (``numerator / denominator``), ``Difference (Amazon − ours)``, ``Result`` and
        ``Why``, sorted by metric and channel.

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
    ('2026-11-02', 'odr · mfn', '2026-08-21 – 2026-10-19', '12 / 227')
    """
    return table.sort("metric", "channel").select(
        "seller_id",
        "marketplace",
        pl.col("snapshot_date").cast(pl.String).alias("Amazon report of"),
        pl.concat_str("metric", pl.lit(" · "), "channel").alias("Metric"),
        pl.concat_str(
            pl.col("window_start").cast(pl.String),
            pl.lit(" – "),
            pl.col("window_end").cast(pl.String),
        ).alias("Window"),
        _counts("amazon_numerator", "amazon_denominator").alias("Amazon"),
        _counts("our_numerator", "our_denominator").alias("Recomputed here"),
        pl.col("numerator_diff").alias("Difference (Amazon − ours)"),
        pl.col("status").alias("Result"),
        pl.col("explanation").fill_null("").alias("Why"),
    )
