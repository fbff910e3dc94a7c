"""One seller's report: its results loaded (or computed), and every section ready to display.

The report notebook (``notebooks/report.ipynb``) is thin: it calls :func:`load_report` with
its parameters and displays the sections of the returned :class:`SellerReport`. Each
section is an escaped HTML fragment (``_repr_html_``) or an altair chart; with
:func:`toolkit.charts.html.enable_offline_svg` the charts are stored as inline SVG, so the page
needs no JavaScript. Nothing here writes a file.

Two ways to get the data:

- ``results=DIR``: a seller's slice written by the batch runner
  (:func:`toolkit.reports.results.write_results`): nothing is recomputed.
- ``results=""``: the tables are computed from the data directory for this seller only
  (what a notebook opened on its own does).

Examples
--------
>>> report = load_report("S03-low-volume")  # computes from data/sample
>>> report.as_of, report.summary["status"]
(datetime.date(2026, 11, 15), 'bad_low_volume')
>>> "Wilson" in report.low_volume()._repr_html_()
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl

from toolkit.model.errors import OptionError
from toolkit.model.policy import Policy, load_policy
from toolkit.reports import account as _account
from toolkit.reports import sections as _sections
from toolkit.reports.results import (
    RESULT_TABLES,
    last_data_date,
    read_reconciliation,
    report_tables,
)
from toolkit.reports.text import Fragment

__all__ = ["Fragment", "SellerReport", "find_path", "load_report"]

_SELLER = ["seller_id", "marketplace"]


def find_path(path: str | Path) -> Path:
    """``path`` as given, or, when relative and missing, found in a parent directory.

    A notebook opened from ``notebooks/`` runs in that directory; its default
    ``data/sample`` lives one level up.
    """
    path = Path(path)
    if path.is_absolute() or path.exists():
        return path
    for parent in Path.cwd().parents:
        if (parent / path).exists():
            return parent / path
    raise FileNotFoundError(f"{path} not found in {Path.cwd()} or any parent directory")


@dataclass
class SellerReport:
    """Everything one seller's report shows. Build it with :func:`load_report`."""

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
            raise ValueError(
                f"no results for seller {self.seller_id!r} in marketplace {self.marketplace!r}"
                f" ({self.source})"
            )
        self.summary = summary.row(0, named=True)

    # Sections, in the order the report notebook shows them (toolkit.reports.sections).
    def style(self) -> Fragment:
        """The report's CSS: display it once, first."""
        return _sections.style(self)

    def headline(self) -> Fragment:
        """Title, overall status, misses and their recovery dates, AHR estimate."""
        return _sections.headline(self)

    def scorecard(self) -> Fragment:
        """Every metric today: rate, counts, target, status, window, change, recovery."""
        return _sections.scorecard(self)

    def odr_text(self) -> Fragment:
        """How the ODR window works, with this report's dates."""
        return _sections.odr_text(self)

    def odr_history(self) -> alt.TopLevelMixin | Fragment:
        """ODR history with target and clean forecast to recovery."""
        return _sections.odr_history(self)

    def odr_components(self) -> alt.TopLevelMixin | Fragment:
        """Negative feedback, claims and chargebacks behind the ODR."""
        return _sections.odr_components(self)

    def clearance(self) -> Fragment:
        """Every defect record: order, type, dates, when it clears."""
        return _sections.clearance(self)

    def clearance_chart(self) -> alt.TopLevelMixin | Fragment:
        """The clearance calendar chart."""
        return _sections.clearance_chart(self)

    def shipping(self) -> alt.TopLevelMixin | Fragment:
        """Shipping, cancellation, tracking, delivery and invoice metrics over time."""
        return _sections.shipping(self)

    def violations(self) -> Fragment:
        """Policy violations table with display and AHR cost."""
        return _account.violations(self)

    def violations_chart(self) -> alt.TopLevelMixin:
        """Violations timeline over the AHR estimate."""
        return _account.violations_chart(self)

    def low_volume(self) -> Fragment:
        """The low-volume explanation with the Wilson interval where it applies."""
        return _account.low_volume(self)

    def freshness(self) -> Fragment:
        """Last event per source and its refresh cadence."""
        return _account.freshness(self)

    def reconciliation_table(self) -> Fragment:
        """Reconciliation with Amazon's report, or a note that none was supplied."""
        return _account.reconciliation_table(self)


def _read_slice(directory: Path, seller_id: str, marketplace: str) -> dict[str, pl.DataFrame]:
    mine = (pl.col("seller_id") == seller_id) & (pl.col("marketplace") == marketplace)
    return {
        table: pl.read_parquet(directory / f"{table}.parquet").filter(mine)
        for table in RESULT_TABLES
    }


def _computed(
    data_dir: Path, seller_id: str, marketplace: str, as_of: date | None, policy: Policy
) -> tuple[date, dict[str, pl.DataFrame]]:
    from toolkit.model.data import read_data

    data = read_data(data_dir).collect()
    day = as_of or last_data_date(data)
    mine = data.subset((pl.col("seller_id") == seller_id) & (pl.col("marketplace") == marketplace))
    tables = report_tables(mine, as_of=day, policy=policy)
    return day, dict(zip(tables, pl.collect_all(list(tables.values())), strict=True))


def load_report(
    seller_id: str,
    *,
    marketplace: str = "US",
    as_of: str | date = "",
    results: str | Path = "",
    data: str | Path = "data/sample",
    policy: str | Path = "",
    reconciliation: str | Path = "",
) -> SellerReport:
    """Load (or compute) one seller's report.

    Parameters
    ----------
    seller_id, marketplace
        Whose report.
    as_of
        ``YYYY-MM-DD``; ``""`` takes the date of the results, or the last date in the data.
    results
        A seller's results directory written by the batch runner; ``""`` computes the
        tables from ``data`` instead.
    data
        The data directory (used only without ``results``); a relative path that does not
        exist here is looked for in the parent directories.
    policy
        A policy TOML file; ``""`` is the shipped Amazon US policy.
    reconciliation
        A reconciliation table (``.parquet``/``.csv`` with ``seller_id``); ``""`` uses
        ``reconciliation.parquet`` in ``results`` when it is there.
    """
    loaded = load_policy(find_path(policy) if policy else None)
    wanted = date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else as_of or None
    recon = None
    if results:
        directory = Path(results)
        tables = _read_slice(directory, seller_id, marketplace)
        dates = tables["summary"]["as_of"].unique().to_list()
        day = dates[0] if dates else wanted or date.min
        if wanted and dates and wanted != day:
            raise OptionError(f"{directory} holds results as of {day}, not {wanted}")
        source = f"results {directory}"
        meta = directory / "meta.json"
        if meta.exists():
            source = json.loads(meta.read_text(encoding="utf-8")).get("source", source)
        if (directory / "reconciliation.parquet").exists() and not reconciliation:
            recon = pl.read_parquet(directory / "reconciliation.parquet")
    else:
        data_dir = find_path(data)
        day, tables = _computed(data_dir, seller_id, marketplace, wanted, loaded)
        source = f"computed from {data_dir}"
    if reconciliation:
        recon = read_reconciliation(find_path(reconciliation))
    if recon is not None:
        recon = recon.filter(
            (pl.col("seller_id") == seller_id) & (pl.col("marketplace") == marketplace)
        )
    return SellerReport(
        seller_id=seller_id,
        marketplace=marketplace,
        as_of=day,
        policy=loaded,
        tables=tables,
        reconciliation=recon,
        source=source,
    )
