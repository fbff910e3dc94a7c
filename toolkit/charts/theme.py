"""The one altair theme of the project: colour-blind safe, status colours used everywhere.

Colours come from the Okabe-Ito palette (Okabe and Ito, *Color Universal Design*, 2008),
which stays distinguishable under the common colour-vision deficiencies. Status colours
keep one meaning on every chart, table and report: ``good`` green, ``watch`` orange,
``bad`` vermillion, ``bad_low_volume`` reddish purple (over target, but too few orders
to be sure), ``info`` blue, ``no_data`` grey. The AHR bands reuse the same three hues.

The theme sets no web font: text uses fonts installed on the machine, so nothing is
fetched when a chart is drawn (reports must open offline).

Axis, legend and header labels have no length limit (``labelLimit: 0``): Vega measures a
label once more to see whether it must be cut, and once per step of the cut, and each
measurement is most of what drawing a report's SVG costs (vl-convert lays the text out
glyph by glyph). The charts' labels are short enough to be drawn whole; a chart whose
labels could run long sets its own limit.

Examples
--------
>>> import altair as alt
>>> import toolkit.charts.history  # registers and enables the theme
>>> alt.theme.active
'seller_health'
>>> STATUS_COLORS["bad"]
'#D55E00'
>>> status_scale().to_dict()["domain"]
['good', 'watch', 'bad', 'bad_low_volume', 'info', 'no_data']
>>> status_word_scale().to_dict()["domain"][3]
'Over, could be chance'
"""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from toolkit.charts.palette import (
    BAND_COLORS,
    CATEGORY_COLORS,
    MUTED,
    RECORD_COLORS,
    STATUS_COLORS,
)
from toolkit.model.vocabulary import BAND_WORDS, CHART_DATE_FORMAT, STATUS_WORDS

__all__ = [
    "BAND_COLORS",
    "CATEGORY_COLORS",
    "MUTED",
    "RECORD_COLORS",
    "STATUS_COLORS",
    "THEME_NAME",
    "band_scale",
    "status_scale",
]

THEME_NAME = "seller_health"


_FONT = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif"


def status_scale() -> alt.Scale:
    """The colour scale for the ``status`` column: every status, fixed colours."""
    return alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values()))


def status_words(status: pl.Expr) -> pl.Expr:
    """A status code as the words people read (:data:`~toolkit.model.vocabulary.STATUS_WORDS`)."""
    return status.replace_strict(STATUS_WORDS, default=status, return_dtype=pl.String)


def status_word_scale() -> alt.Scale:
    """The colour scale for status *words* (legends show words, never codes)."""
    return alt.Scale(
        domain=[STATUS_WORDS[s] for s in STATUS_COLORS], range=list(STATUS_COLORS.values())
    )


def status_color(
    frame: pl.DataFrame, field: str = "status_words", *, codes: str = "status", **legend: Any
) -> alt.Color:
    """Colour by status words with the fixed colours; the legend lists the statuses present.

    ``field`` holds the words (:func:`status_words` of the ``codes`` column).
    """
    present = set(frame.get_column(codes).drop_nulls().to_list())
    values = [STATUS_WORDS[status] for status in STATUS_COLORS if status in present]
    return alt.Color(
        f"{field}:N",
        title="status",
        scale=status_word_scale(),
        legend=alt.Legend(values=values, **legend),
    )


def band_scale() -> alt.Scale:
    """The colour scale for AHR bands in words (``Healthy``, ``At risk``, ``Critical``)."""
    return alt.Scale(
        domain=[BAND_WORDS[band] for band in BAND_COLORS], range=list(BAND_COLORS.values())
    )


@alt.theme.register(THEME_NAME, enable=True)
def _seller_health_theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": _FONT,
            "background": "#FFFFFF",
            "view": {"stroke": None, "continuousWidth": 560, "continuousHeight": 260},
            "range": {"category": CATEGORY_COLORS},
            "mark": {"color": CATEGORY_COLORS[0]},
            "axis": {
                "labelLimit": 0,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "gridColor": "#E6E6E6",
                "domainColor": "#888888",
                "tickColor": "#888888",
            },
            "legend": {
                "labelLimit": 0,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "orient": "bottom",
            },
            "title": {"fontSize": 14, "anchor": "start", "fontWeight": "bold"},
            "header": {"labelLimit": 0, "labelFontSize": 12, "titleFontSize": 12},
            "line": {"strokeWidth": 2},
            "point": {"size": 40, "filled": True},
            "rule": {"color": MUTED},
            "text": {"fontSize": 12},
        }
    }


# ----------------------------------------------------------------------------------------
# Shared helpers of the chart modules (private).


def frame_with(data: pl.DataFrame | pl.LazyFrame, columns: list[str], where: str) -> pl.DataFrame:
    """Collect ``data`` (a chart is the end of a pipeline) and check its columns.

    Raises a :class:`ValueError` that names the function and the missing columns.
    """
    frame = data.collect() if isinstance(data, pl.LazyFrame) else data
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"{where}: expected a polars DataFrame or LazyFrame, got {type(data)!r}")
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"{where}: missing column(s) {missing}; the frame has {frame.columns}")
    return frame


def one_seller(frame: pl.DataFrame, where: str) -> None:
    """Raise when ``frame`` holds rows of several sellers (charts draw one seller)."""
    if "seller_id" in frame.columns:
        sellers = frame.get_column("seller_id").unique().sort().to_list()
        if len(sellers) > 1:
            raise ValueError(f"{where}: pass one seller's rows, got {len(sellers)}: {sellers[:5]}")


def percent(rate: pl.Expr) -> pl.Expr:
    """A rate (fraction) as text with two decimals of a percent: ``0.0141 -> '1.41%'``."""
    return pl.format("{}%", (rate * 100).round(2))


def day_words(value: pl.Expr) -> pl.Expr:
    """A date column as people read it: ``1 Dec 2026`` (:func:`~toolkit.model.vocabulary.day_text`)."""
    return pl.concat_str(value.dt.day().cast(pl.String), pl.lit(" "), value.dt.strftime("%b %Y"))


def date_axis(**kwds: Any) -> alt.Axis:
    """A date axis in the one date format (``1 Dec 2026``), labels level, few ticks."""
    options = {"format": CHART_DATE_FORMAT, "labelAngle": 0, "tickCount": 4, "labelOverlap": True}
    return alt.Axis(**{**options, **kwds})


def date_x(field: str = "as_of", title: str | None = None, **kwds: Any) -> alt.X:
    """A temporal x encoding for a ``pl.Date`` column (calendar days, local time)."""
    return alt.X(f"{field}:T", title=title, axis=date_axis(), **kwds)


def date_tooltip(field: str, title: str) -> alt.Tooltip:
    """A tooltip that shows a date as ``1 Mar 2025``."""
    return alt.Tooltip(f"{field}:T", title=title, format=CHART_DATE_FORMAT)


def count_axis(maximum: int | None = None, **kwds: Any) -> alt.Axis:
    """An axis of whole counts: integer ticks only (never a tick at 0.2 orders).

    Vega picks fractional steps for a small domain and ignores ``tickMinStep`` when it
    draws SVG, so up to a ``maximum`` of 10 the ticks are given: every whole number, or
    every second one above 5.

    Examples
    --------
    >>> count_axis(1).to_dict()["values"], count_axis(8).to_dict()["values"]
    ([0, 1], [0, 2, 4, 6, 8])
    >>> "values" in count_axis(40).to_dict()
    False
    """
    options: dict[str, Any] = {"tickMinStep": 1, "format": "d"}
    if maximum is not None and maximum <= 10:
        step = 1 if maximum <= 5 else 2
        options["values"] = list(range(0, max(int(maximum), 1) + 1, step))
    return alt.Axis(**{**options, **kwds})


#: The d3 format of a rate axis: ``0.5%``, ``1%``, ``12.5%`` (no trailing zeros).
RATE_FORMAT = ".1~%"
