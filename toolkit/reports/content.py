"""What one seller's report draws: plain data, and the pieces every section shares (private).

:class:`ReportContent` holds a seller's result tables, the policy they were computed with
and the report date. The section functions (:mod:`toolkit.reports.first_screen`,
:mod:`toolkit.reports.sections`, :mod:`toolkit.reports.account`,
:mod:`toolkit.reports.retired`) take one and return a fragment or a chart; :class:`toolkit.reports.view.SellerReport` is a ``ReportContent``
with those sections as methods. Nothing here computes a table from data or renders a
page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import altair as alt
import polars as pl

from toolkit.model.errors import SellerError
from toolkit.model.policy import COMPONENTS, METRICS, NOT_FOR_HEALTH, Policy
from toolkit.reports.settings import CHART_HEIGHT, CHART_WIDTH

__all__ = [
    "ReportContent",
    "actions",
    "records",
    "recovery",
    "sized",
    "today",
]

_ORDER = {m: i for i, m in enumerate(METRICS)}
#: The component metric of each ODR defect type (an action row may name ``odr`` itself).
_COMPONENT_OF = dict(zip(("negative_feedback", "claim", "chargeback"), COMPONENTS, strict=True))


@dataclass
class ReportContent:
    """One seller's result tables, the policy and the report date.

    ``tables`` maps each name of :data:`toolkit.reports.slices.RESULT_TABLES` to the
    seller's rows; ``summary`` is filled from the one row of ``tables["summary"]``.
    ``files`` names the files written beside the page (``actions``: the CSV,
    ``calendar``: the ``.ics``), for links; empty when there are none.

    Raises
    ------
    toolkit.model.errors.SellerError
        When ``tables["summary"]`` does not hold exactly one row (results of another
        seller, or none).
    """

    seller_id: str
    marketplace: str
    as_of: date
    policy: Policy
    tables: dict[str, pl.DataFrame]
    reconciliation: pl.DataFrame | None = None
    source: str = ""
    files: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        summary = self.tables["summary"]
        if summary.height != 1:
            raise SellerError(
                f"no results for seller {self.seller_id!r} in marketplace {self.marketplace!r}"
                f" ({self.source})"
            )
        self.summary = summary.row(0, named=True)


def today(report: ReportContent) -> pl.DataFrame:
    """The metric rows of the report date, in policy order, mfn before afn.

    Only the metrics of account health: those Amazon does not use (definitions section 12: retired
    customer-service metrics, the product rating) are left to a section of their own.
    """
    metrics = report.tables["metrics"].filter(~pl.col("metric").is_in(NOT_FOR_HEALTH))
    return metrics.filter(pl.col("as_of") == report.as_of).sort(
        pl.col("metric").replace_strict(_ORDER, default=len(_ORDER)),
        "channel",
        descending=[False, True],
    )


def recovery(report: ReportContent) -> pl.DataFrame:
    """Per channel and metric: the clean-forecast recovery date and good orders needed now."""
    return (
        report.tables["forecast"]
        .group_by("channel", "metric")
        .agg(pl.col("recovery_date", "clean_orders_needed").first())
    )


def actions(report: ReportContent) -> pl.DataFrame:
    """The seller's actions (definitions section 10) in the order a seller should read them.

    Overdue first, then by deadline (none last), then those whose clearing alone brings
    their metric back on target, then by the date they clear, then by record. ``day`` is
    the deadline's date; ``record_metric`` the clearance row's metric of the record
    (an ODR component for feedback, claims and chargebacks).
    """
    frame = report.tables["actions"]
    deadline = pl.col("deadline")
    day = deadline.cast(pl.Date) if frame.schema["deadline"] != pl.Date else deadline
    return frame.with_columns(
        day=day,
        record_metric=pl.when(pl.col("metric") == "odr")
        .then(pl.col("defect_type").replace_strict(_COMPONENT_OF, default=pl.col("metric")))
        .otherwise(pl.col("metric")),
    ).sort(
        pl.col("overdue"),
        "deadline",
        pl.col("meets_target_if_cleared").fill_null(False),
        "clears_on",
        "metric",
        "record_id",
        descending=[True, False, True, False, False, False],
        nulls_last=True,
    )


def records(report: ReportContent, metrics: tuple[str, ...]) -> pl.DataFrame:
    """The clearance rows of ``metrics`` with what the seller can do about each.

    The clearance table's rows (definitions section 5) joined with the action of the same record
    (``action, deadline, day, overdue, eligibility, where``; null for a record that no
    longer counts and has no action), the ones counting or waiting first (by the date
    they clear), then the ones already stopped.
    """
    rows = report.tables["clearance"].filter(pl.col("metric").is_in(metrics))
    todo = actions(report).select(
        pl.col("record_metric").alias("metric"),
        "record_id",
        "defect_type",
        "action",
        "deadline",
        "day",
        "overdue",
        "eligibility",
        "where",
    )
    stopped = (pl.col("clears_on") <= report.as_of) | (pl.col("counts_from") >= pl.col("clears_on"))
    return (
        rows.join(todo, on=["metric", "record_id", "defect_type"], how="left")
        .with_columns(_stopped=stopped)
        .sort("_stopped", "clears_on", "counts_from", "metric", "record_id")
        .drop("_stopped")
    )


def sized(
    chart: alt.TopLevelMixin, *, width: int = CHART_WIDTH, height: int = CHART_HEIGHT
) -> alt.TopLevelMixin:
    """``chart`` drawn ``width`` pixels wide (the plot area) and ``height`` high."""
    return chart.configure_view(continuousWidth=width, continuousHeight=height)
