"""Words, numbers and escaped HTML pieces for the seller reports (private).

Everything that reaches a page passes through :func:`esc` (or is built from fixed text
here); the tables are small (one row per metric, record or violation), so they are
formatted in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from html import escape

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


def _colors() -> dict[str, str]:
    """Status and band colours of the charts' theme (imported here: altair is slow to load)."""
    from toolkit.charts.palette import BAND_COLORS, STATUS_COLORS

    return {**STATUS_COLORS, "at_risk": BAND_COLORS["at_risk"]}


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


def esc(value: object) -> str:
    """Escaped text of any value (``None`` is an en dash)."""
    return "–" if value is None else escape(str(value), quote=True)


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
    color = _colors().get(status, "#999999")
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
