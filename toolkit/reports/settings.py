"""The report's own choices, in one place.

The policy (``--policy``) decides every window, lag, target, threshold and AHR number a
report states; the pages take those from it. What is left are choices of the report
itself: how much history it shows, how it lays charts out, how many rows a table may
have, and how the batch runs its notebooks. They are named here, and nowhere else.

This module imports nothing: the batch runner reads it before it starts its workers.

>>> HISTORY_DAYS, CHANGE_DAYS
(180, 7)
>>> HISTORY_DAYS > CHANGE_DAYS  # the change against CHANGE_DAYS ago needs that day's row
True
"""

from __future__ import annotations

__all__ = [
    "ACTIONS_LISTED",
    "CALENDAR_ROWS",
    "CELL_TIMEOUT",
    "CHANGE_DAYS",
    "CHART_HEIGHT",
    "CHART_WIDTH",
    "FORECAST_TAIL_DAYS",
    "HISTORY_DAYS",
    "KERNEL_NAME",
    "NOTEBOOK_TIMEOUT",
    "RATING_ASINS",
    "RECONCILIATION_ROWS",
    "RECORDS_SHOWN",
    "RESTART_EVERY",
    "SHIPPING_METRICS",
    "SMALL_CHART_HEIGHT",
    "STOP_SECONDS",
    "WORKERS_PER_CPU",
]

# ------------------------------------------------------------------ what a page shows

#: Days of metric and AHR history a report shows (as-of dates D - 179 .. D).
HISTORY_DAYS = 180
#: The scorecard's "change" column compares today with this many days before.
CHANGE_DAYS = 7
#: The ODR chart shows the clean forecast until this many days after the last recovery.
FORECAST_TAIL_DAYS = 14
#: The metrics of the Shipping Performance panel, in order.
SHIPPING_METRICS = ("lsr_10d", "lsr_30d", "cancel_rate_7d", "vtr_30d", "otdr_14d", "idr_7d")
#: Rows of Amazon's reconciliation shown at most (the rest is counted in a note).
RECONCILIATION_ROWS = 200
#: ASINs listed at most in the product rating table (most reviews first; the rest are
#: counted in a note).
RATING_ASINS = 10
#: Records of a panel's table shown open; the rest are one click away (``<details>``).
RECORDS_SHOWN = 12
#: Actions with a deadline listed one by one on the first screen; the rest are counted
#: (every one is in the panels' tables, the CSV and the calendar file).
ACTIONS_LISTED = 8
#: Records drawn at most on a clearance calendar (the ones that clear first); a panel
#: with more draws none (its table lists them all).
CALENDAR_ROWS = 25

# --------------------------------------------------------------------------- layout

#: Width of a chart's plot area in pixels. With its axes a chart is about 440 pixels
#: wide: two sit side by side on a desktop page, and on a 400-pixel phone one scales down
#: to about 85% (its 12-pixel text stays readable).
CHART_WIDTH = 360
#: Height of the ODR history and the clearance calendar's rows.
CHART_HEIGHT = 180
#: Height of the smaller charts (ODR components, shipping metrics, AHR estimate).
SMALL_CHART_HEIGHT = 140

# ----------------------------------------------------------------- running notebooks

#: The Jupyter kernel the notebooks run in: the Python that runs the toolkit.
KERNEL_NAME = "python3"
#: Seconds a single cell of a seller report may run (``run_reports(timeout=...)``).
CELL_TIMEOUT = 600
#: Seconds a single cell of a teaching or exploration notebook may run.
NOTEBOOK_TIMEOUT = 900
#: Reports a kept kernel renders before it is replaced (bounds memory growth).
RESTART_EVERY = 200
#: ``--workers`` asked for explicitly may exceed the CPUs (with a warning) up to this many
#: per CPU: each worker keeps a Jupyter kernel of about half a gigabyte.
WORKERS_PER_CPU = 4
#: Seconds a stopped batch gives its workers to stop their kernels before killing them.
STOP_SECONDS = 5
