"""What one seller's report draws: plain data, and the pieces every section shares (private).

:class:`ReportContent` holds a seller's result tables, the policy they were computed with
and the report date. The section functions (:mod:`toolkit.reports.sections`,
:mod:`toolkit.reports.account`) take one and return a fragment or a chart;
:class:`toolkit.reports.view.SellerReport` is a ``ReportContent`` with those sections as
methods. Nothing here computes a table from data or renders a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import altair as alt
import polars as pl

from toolkit.model.errors import SellerError
from toolkit.model.policy import METRICS, NOT_FOR_HEALTH, Policy
from toolkit.reports.settings import CHART_HEIGHT, CHART_WIDTH

__all__ = ["ReportContent", "recovery", "today", "wide"]

_ORDER = {m: i for i, m in enumerate(METRICS)}


@dataclass
class ReportContent:
    """One seller's result tables, the policy and the report date.

    ``tables`` maps each name of :data:`toolkit.reports.results.RESULT_TABLES` to the
    seller's rows; ``summary`` is filled from the one row of ``tables["summary"]``.

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

    Only the metrics of account health: those Amazon does not use (SPEC 12: retired
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


def wide(chart: alt.TopLevelMixin, *, height: int = CHART_HEIGHT) -> alt.TopLevelMixin:
    """``chart`` at the page's width (:data:`~toolkit.reports.settings.CHART_WIDTH`)."""
    return chart.configure_view(continuousWidth=CHART_WIDTH, continuousHeight=height)
