"""Charts and offline HTML: aggregated long-form polars frames in, altair charts out.

The names below load on first use, so that :mod:`toolkit.charts.palette` (the status
colours, used by HTML tables and report text) is importable without altair. Importing any
chart module registers and enables the project's theme (:mod:`toolkit.charts.theme`).
"""

from __future__ import annotations

from toolkit.model.exports import lazy_exports

_EXPORTS = {
    "BAND_COLORS": "toolkit.charts.palette",
    "CATEGORY_COLORS": "toolkit.charts.palette",
    "RECORD_COLORS": "toolkit.charts.palette",
    "STATUS_COLORS": "toolkit.charts.palette",
    "THEME_NAME": "toolkit.charts.theme",
    "ahr_chart": "toolkit.charts.records",
    "clearance_calendar": "toolkit.charts.records",
    "funnel_plot": "toolkit.charts.stats",
    "ipi_explorer": "toolkit.charts.inventory",
    "metric_history": "toolkit.charts.history",
    "odr_components": "toolkit.charts.history",
    "p_chart": "toolkit.charts.stats",
    "violations_timeline": "toolkit.charts.records",
    "window_explorer": "toolkit.charts.window",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), __path__)
