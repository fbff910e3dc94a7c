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
    "CELL_TIMEOUT",
    "CHANGE_DAYS",
    "CHART_HEIGHT",
    "CHART_WIDTH",
    "FORECAST_TAIL_DAYS",
    "HISTORY_DAYS",
    "KERNEL_NAME",
    "NOTEBOOK_TIMEOUT",
    "RECONCILIATION_ROWS",
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
#: The metrics of the "Shipping, cancellations, tracking and invoices" chart, in order.
SHIPPING_METRICS = ("lsr_10d", "lsr_30d", "cancel_rate_7d", "vtr_30d", "otdr_14d", "idr_7d")
#: Rows of Amazon's reconciliation shown at most (the rest is counted in a note).
RECONCILIATION_ROWS = 200

# --------------------------------------------------------------------------- layout

#: Width of every chart in pixels: the page's text width (the theme's default is 300).
CHART_WIDTH = 760
#: Height of the ODR history and the clearance calendar.
CHART_HEIGHT = 220
#: Height of the smaller charts (ODR components, shipping, violations timeline).
SMALL_CHART_HEIGHT = 160

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
