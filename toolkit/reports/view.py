"""One seller's report: its results loaded (or computed), and every section ready to display.

The report notebook (``notebooks/report.ipynb``) is thin: it calls :func:`load_report` with
its parameters and displays the sections of the returned :class:`SellerReport`. Each
section is an escaped HTML fragment (``_repr_html_``) or an altair chart; with
:func:`toolkit.charts.html.enable_offline_svg` the charts are stored as inline SVG, so the page
needs no JavaScript. Nothing here writes a file.

Two ways to get the data:

- ``results=DIR``: a seller's slice written by the batch runner
  (:mod:`toolkit.reports.slices`): nothing is recomputed.
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

from datetime import date
from pathlib import Path

import polars as pl

from toolkit.model.data import read_data
from toolkit.model.errors import OptionError
from toolkit.model.policy import Policy, load_policy
from toolkit.model.resources import DEFAULT_DATA
from toolkit.reports import account, first_screen, retired, sections
from toolkit.reports.content import ReportContent
from toolkit.reports.results import last_data_date, read_reconciliation, report_tables
from toolkit.reports.slices import read_results
from toolkit.reports.text import Fragment

__all__ = ["Fragment", "SellerReport", "find_path", "load_report"]


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


class SellerReport(ReportContent):
    """Everything one seller's report shows. Build it with :func:`load_report`.

    The data of a :class:`~toolkit.reports.content.ReportContent`, and each section as a
    method, in the order the report notebook shows them: the first screen
    (``headline``), Amazon's three Account Health panels (``customer_service``,
    ``policy_compliance``, ``shipping``), then ``low_volume``, ``not_for_health``,
    ``freshness`` and ``reconciliation_table``. Each returns an escaped HTML
    :class:`~toolkit.reports.text.Fragment` (with its charts inside as SVG); the pieces
    of the panels (a metrics table, one chart) are methods too.
    """

    style = sections.style
    headline = first_screen.headline
    customer_service = sections.customer_service
    policy_compliance = account.policy_compliance
    shipping = sections.shipping
    low_volume = account.low_volume
    not_for_health = retired.not_for_health
    freshness = account.freshness
    reconciliation_table = account.reconciliation_table
    # the pieces of the panels, for a notebook that wants one of them
    metrics_table = sections.metrics_table
    history_chart = sections.history_chart
    odr_history = sections.odr_history
    odr_components = sections.odr_components
    clearance_chart = sections.clearance_chart
    violations = account.violations
    violations_chart = account.violations_chart
    rating_table = retired.rating_table


def _computed(
    data_dir: Path, seller_id: str, marketplace: str, as_of: date | None, policy: Policy
) -> tuple[date, dict[str, pl.DataFrame]]:
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
    data: str | Path = DEFAULT_DATA,
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
    recon, files = None, {}
    if results:
        stored = read_results(results, seller_id=seller_id, marketplace=marketplace)
        tables, source, recon = stored.tables, stored.source, stored.reconciliation
        files = stored.files
        dates = tables["summary"]["as_of"].unique().to_list()
        day = dates[0] if dates else wanted or date.min
        if wanted and dates and wanted != day:
            raise OptionError(f"{results} holds results as of {day}, not {wanted}")
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
        files=files,
    )
