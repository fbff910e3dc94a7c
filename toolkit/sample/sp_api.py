"""Sample SP-API report files: the sample's own numbers in the shape of Amazon's report.

:func:`write_sample_reports` computes, for a few personas of ``data/sample`` and a week of
daily snapshot dates, the metrics table, the violations table and the AHR estimate, and
writes each (seller, date) as a ``GET_V2_SELLER_PERFORMANCE_REPORT`` JSON file with
:func:`toolkit.amazon.ingest.seller_performance_report`, to ``<out>/<date>/<seller>.json``: the
file name gives the seller and the latest window end the date, so that
``read_seller_performance(sorted(out.glob("*/*.json")))`` reads them all without options.
Same data, same bytes (``seller-health sample --with-reports`` writes them into
``data/sample/sp_api``).

Examples
--------
>>> from toolkit.sample.sp_api import SAMPLE_REPORT_DATES, SAMPLE_REPORT_SELLERS
>>> SAMPLE_REPORT_SELLERS
('S02-claims-burst', 'S06-violations', 'S10-disputes')
>>> SAMPLE_REPORT_DATES[0], SAMPLE_REPORT_DATES[-1]
(datetime.date(2026, 10, 27), datetime.date(2026, 11, 2))
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.amazon.ingest import seller_performance_report, write_report_json
from toolkit.compliance.ahr import ahr_table
from toolkit.compliance.tables import violations_table
from toolkit.engine.metrics import metrics_table
from toolkit.model.data import Dataset
from toolkit.model.errors import OptionError
from toolkit.model.policy import Policy, load_policy

__all__ = [
    "SAMPLE_REPORTS_DIR",
    "SAMPLE_REPORT_DATES",
    "SAMPLE_REPORT_SELLERS",
    "sample_reports",
    "write_sample_reports",
]

#: Personas with a report history: an ODR burst recovering (the first denial shows on
#: 2 November), an AHR estimate that drops (29 October), and defects that stop counting
#: (28-29 October).
SAMPLE_REPORT_SELLERS = ("S02-claims-burst", "S06-violations", "S10-disputes")
#: Seven daily snapshot dates, 27 October .. 2 November 2026.
SAMPLE_REPORT_DATES = tuple(date(2026, 10, 27) + timedelta(days=i) for i in range(7))
#: Sub-directory of the sample data directory that holds the report files.
SAMPLE_REPORTS_DIR = "sp_api"


def sample_reports(
    data: Dataset,
    *,
    sellers: Sequence[str] = SAMPLE_REPORT_SELLERS,
    dates: Sequence[date] = SAMPLE_REPORT_DATES,
    policy: Policy | None = None,
) -> dict[tuple[str, date], dict[str, Any]]:
    """The report document of every seller and date, computed from ``data``.

    Each holds the seller's metrics (definitions section 4.2), its violations displayed per listing-level
    key and its AHR estimate at that date (see :func:`toolkit.amazon.ingest.seller_performance_report`).

    Raises
    ------
    ValueError
        A seller has no order in ``data``, or no dates are given.
    """
    policy = policy or load_policy()
    if not dates:
        raise OptionError("no snapshot dates given")
    first, last = min(dates), max(dates)
    keep = pl.col("seller_id").is_in(list(sellers))
    markets = data.orders.filter(keep).select("seller_id", "marketplace").unique()
    metrics, violations, ahr, markets = pl.collect_all(
        [
            metrics_table(data, as_of=first, to=last, policy=policy).filter(keep),
            violations_table(data, as_of=first, to=last, policy=policy).filter(keep),
            ahr_table(data, as_of=first, to=last, policy=policy).filter(keep),
            markets.sort("seller_id", "marketplace"),
        ]
    )
    missing = sorted(set(sellers) - set(markets["seller_id"]))
    if missing:
        raise OptionError(f"no orders of seller(s) {', '.join(missing)} in the data")
    reports = {}
    for seller, marketplace in markets.iter_rows():
        for day in sorted(dates):
            reports[seller, day] = seller_performance_report(
                metrics,
                seller_id=seller,
                marketplace=marketplace,
                as_of=day,
                violations=violations,
                ahr=ahr,
                display_days=policy.display_days,
            )
    return reports


def write_sample_reports(
    data: Dataset,
    out: str | Path,
    *,
    sellers: Sequence[str] = SAMPLE_REPORT_SELLERS,
    dates: Sequence[date] = SAMPLE_REPORT_DATES,
    policy: Policy | None = None,
) -> list[Path]:
    """Write :func:`sample_reports` to ``out/<date>/<seller>.json``; return the paths.

    Files are written atomically; other files under ``out`` are left alone.
    """
    reports = sample_reports(data, sellers=sellers, dates=dates, policy=policy)
    out = Path(out)
    return [
        write_report_json(report, out / day.isoformat() / f"{seller}.json")
        for (seller, day), report in sorted(reports.items(), key=lambda item: item[0][::-1])
    ]
