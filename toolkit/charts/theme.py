"""The one altair theme of the project: colour-blind safe, status colours used everywhere.

Colours come from the Okabe-Ito palette (Okabe and Ito, *Color Universal Design*, 2008),
which stays distinguishable under the common colour-vision deficiencies. Status colours
keep one meaning on every chart, table and report: ``good`` green, ``watch`` orange,
``bad`` vermillion, ``bad_low_volume`` reddish purple (over target, but too few orders
to be sure), ``info`` blue, ``no_data`` grey. The AHR bands reuse the same three hues.

The theme sets no web font: text uses fonts installed on the machine, so nothing is
fetched when a chart is drawn (reports must open offline).

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


def status_color(frame: pl.DataFrame, field: str = "status") -> alt.Color:
    """Colour by status with the fixed scale; the legend lists only the statuses present."""
    present = set(frame.get_column(field).drop_nulls().to_list())
    values = [status for status in STATUS_COLORS if status in present]
    return alt.Color(f"{field}:N", scale=status_scale(), legend=alt.Legend(values=values))


def band_scale() -> alt.Scale:
    """The colour scale for the AHR ``band`` column."""
    return alt.Scale(domain=list(BAND_COLORS), range=list(BAND_COLORS.values()))


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
                "labelFontSize": 11,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "gridColor": "#E6E6E6",
                "domainColor": "#888888",
                "tickColor": "#888888",
            },
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom"},
            "title": {"fontSize": 14, "anchor": "start", "fontWeight": "bold"},
            "header": {"labelFontSize": 12, "titleFontSize": 12},
            "line": {"strokeWidth": 2},
            "point": {"size": 40, "filled": True},
            "rule": {"color": MUTED},
            "text": {"fontSize": 11},
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


def date_x(field: str = "as_of", title: str | None = "as-of date", **kwds: Any) -> alt.X:
    """A temporal x encoding for a ``pl.Date`` column (calendar days, local time)."""
    return alt.X(f"{field}:T", title=title, axis=alt.Axis(format="%d %b %Y", labelAngle=0), **kwds)


def date_tooltip(field: str, title: str) -> alt.Tooltip:
    """A tooltip that shows a date as ``2025-03-01``."""
    return alt.Tooltip(f"{field}:T", title=title, format="%Y-%m-%d")
