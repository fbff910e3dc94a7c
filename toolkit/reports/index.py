"""The index page of a report run, and its CSV: every seller, what needs attention first.

One static HTML page with its CSS inline and no script, and ``index.csv`` beside it with
the same rows in the same order (:func:`index_table`): the sellers ranked by
:func:`toolkit.charts.tables.rank_sellers` (the one ranking, also the portfolio
notebook's), failed reports first with their error. Per seller: its status (the worst of
its metrics, its AHR estimate's band and its missed deadlines, each a chip in words),
the metric that sets it, its ODR per channel, the AHR estimate, the actions whose
deadline has passed and the next deadline, the next date a record clears, the date it is
back on target, its IPI estimate (the unofficial inventory proxy, FBA sellers only; it does
not change the ranking), and a link to its report. Every value on the page is escaped.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from toolkit.model.vocabulary import (
    ATTENTION_WORDS,
    BAND_WORDS,
    IPI_PROXY_LABEL,
    STATUS_WORDS,
    TARGET_MISSED,
    metric_words,
)
from toolkit.reports.text import (
    STYLE,
    band_chip,
    chip,
    day,
    esc,
    metric_label,
    pct,
    plural,
    table,
)

__all__ = ["INDEX_COLUMNS", "index_page", "index_table"]

#: Columns of ``index.csv`` (:func:`index_table`), in order.
INDEX_COLUMNS = [
    "rank",
    "seller_id",
    "marketplace",
    "report",
    "report_error",
    "status",
    "metrics_status",
    "worst_metric",
    "worst_rate",
    "worst_numerator",
    "worst_denominator",
    "odr_shipped_by_you",
    "odr_fulfilled_by_amazon",
    "ahr_estimate",
    "ahr_band",
    "ipi_estimate_unofficial",
    "overdue_actions",
    "open_actions",
    "next_deadline",
    "next_record_clears",
    "back_on_target",
    "back_on_target_note",
]


def _back_note(row: dict[str, Any]) -> str:
    if not row["missing_targets"]:
        return "on target"
    if not row["recovers"]:
        return "not within the forecast horizon"
    return ""


def _odr_rate(row: dict[str, Any], channel: str) -> float | None:
    found = [o["rate"] for o in row["odr"] or [] if o["channel"] == channel]
    return found[0] if found else None


def index_table(summary: pl.DataFrame, reports: list[dict[str, Any]]) -> pl.DataFrame:
    """The rows of the index page as data: one row per report, as the page orders them.

    Parameters
    ----------
    summary
        :func:`toolkit.reports.results.seller_summary`, collected (ranked).
    reports
        One entry per report: ``seller_id, marketplace, label, file, status, error``.

    Returns
    -------
    pl.DataFrame
        :data:`INDEX_COLUMNS`: failed reports first, then the summary's order. Words
        where the page shows words (``status``: what needs attention most;
        ``metrics_status``, ``worst_metric``, ``ahr_band``), rates as fractions, dates as
        dates (``back_on_target`` null when on target or not within the forecast
        horizon, which ``back_on_target_note`` says), ``ipi_estimate_unofficial`` the
        unofficial IPI proxy (null for a seller without FBA inventory data).
    """
    by_key = {(r["seller_id"], r["marketplace"]): r for r in reports}
    rows = []
    for row in summary.iter_rows(named=True):
        report = by_key.get((row["seller_id"], row["marketplace"]))
        if report is None:
            continue
        ok = report["status"] == "ok"
        worst = row["worst_metric"] if row["status"] not in ("good", "no_data") else None
        rows.append(
            {
                "rank": row["rank"],
                "seller_id": row["seller_id"],
                "marketplace": row["marketplace"],
                "report": report["file"] if ok else None,
                "report_error": None if ok else report["error"],
                "status": ATTENTION_WORDS.get(row["attention"], row["attention"]),
                "metrics_status": STATUS_WORDS.get(row["status"], row["status"]),
                "worst_metric": metric_words(worst, row["worst_channel"]) if worst else None,
                "worst_rate": row["worst_rate"] if worst else None,
                "worst_numerator": row["worst_numerator"] if worst else None,
                "worst_denominator": row["worst_denominator"] if worst else None,
                "odr_shipped_by_you": _odr_rate(row, "mfn"),
                "odr_fulfilled_by_amazon": _odr_rate(row, "afn"),
                "ahr_estimate": row["ahr_estimate"],
                "ahr_band": BAND_WORDS.get(row["band"]) if row["band"] else None,
                "ipi_estimate_unofficial": row["ipi_proxy"],
                "overdue_actions": row["overdue_actions"],
                "open_actions": row["open_actions"],
                "next_deadline": row["next_deadline"],
                "next_record_clears": row["next_clearance"],
                "back_on_target": row["recovery_date"],
                "back_on_target_note": _back_note(row) or None,
                "_failed": not ok,
            }
        )
    schema = {
        "rank": pl.UInt32,
        "seller_id": pl.String,
        "marketplace": pl.String,
        "report": pl.String,
        "report_error": pl.String,
        "status": pl.String,
        "metrics_status": pl.String,
        "worst_metric": pl.String,
        "worst_rate": pl.Float64,
        "worst_numerator": pl.Int64,
        "worst_denominator": pl.Int64,
        "odr_shipped_by_you": pl.Float64,
        "odr_fulfilled_by_amazon": pl.Float64,
        "ahr_estimate": pl.Int64,
        "ahr_band": pl.String,
        "ipi_estimate_unofficial": pl.Int64,
        "overdue_actions": pl.Int64,
        "open_actions": pl.Int64,
        "next_deadline": pl.Date,
        "next_record_clears": pl.Date,
        "back_on_target": pl.Date,
        "back_on_target_note": pl.String,
        "_failed": pl.Boolean,
    }
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.sort("_failed", "rank", descending=[True, False]).select(INDEX_COLUMNS)


def _status_chips(row: dict[str, Any]) -> str:
    """Chips for what needs attention, worst first; one ``Good`` chip when nothing does."""
    chips = []
    if row["status"] in (*TARGET_MISSED, "watch"):
        chips.append((row["status"], chip(row["status"])))
    if row["band"] in ("at_risk", "critical"):
        words = f"AHR {BAND_WORDS[row['band']].lower()}"
        chips.append((row["band"], band_chip(row["band"], words)))
    if row["overdue_actions"]:
        words = f"{plural(row['overdue_actions'], 'deadline')} passed"
        chips.append(("overdue", chip("overdue", words)))
    first = [html for code, html in chips if code == row["attention"]]
    rest = [html for code, html in chips if code != row["attention"]]
    shown = first + rest or [chip(row["status"] if row["status"] == "no_data" else "good")]
    return " ".join(shown)


def _worst(row: dict[str, Any]) -> str:
    if row["worst_metric"] is None or row["status"] == "no_data":
        return "no orders in any window"
    if row["status"] == "good":
        return "every metric on target"
    return (
        f"{esc(metric_label(row['worst_metric'], row['worst_channel']))}: "
        f"{pct(row['worst_rate'])} <span class='sh-note'>({row['worst_numerator']:,} of "
        f"{row['worst_denominator']:,})</span>"
    )


def _odr(row: dict[str, Any]) -> str:
    parts = [
        f"{esc(metric_label('odr', o['channel']).removeprefix('Order Defect Rate '))} "
        f"{pct(o['rate'])} <span class='sh-note'>({o['numerator']:,} of "
        f"{o['denominator']:,})</span>"
        for o in row["odr"] or []
    ]
    return "<br>".join(parts) or "–"


def _recovery(row: dict[str, Any]) -> str:
    return _back_note(row) or day(row["recovery_date"])


def _ipi(row: dict[str, Any]) -> str:
    """The unofficial IPI estimate, or a note that the seller has no FBA inventory data."""
    if not row["fba_inventory"]:
        return "<span class='sh-note'>no FBA inventory data</span>"
    if row["ipi_proxy"] is None:
        return "<span class='sh-note'>no estimate (no data)</span>"
    return f"{row['ipi_proxy']} <span class='sh-note'>(unofficial)</span>"


def _deadlines(row: dict[str, Any]) -> tuple[str, str]:
    overdue = (
        f"<b>{plural(row['overdue_actions'], 'action')}</b>" if row["overdue_actions"] else "none"
    )
    upcoming = day(row["next_deadline"]) if row["next_deadline"] else "none"
    return overdue, upcoming


def index_page(summary: pl.DataFrame, reports: list[dict[str, Any]], *, run: dict) -> str:
    """The index HTML of a run.

    Parameters
    ----------
    summary
        :func:`toolkit.reports.results.seller_summary`, collected (ranked).
    reports
        One entry per report: ``seller_id, marketplace, label, file, status, error``.
    run
        The run's ``run.json`` content (``run``, ``as_of``, ``parameters``, ``counts``).
    """
    by_key = {(r["seller_id"], r["marketplace"]): r for r in reports}
    rows, failed_rows = [], []
    for row in summary.iter_rows(named=True):
        report = by_key.get((row["seller_id"], row["marketplace"]))
        if report is None:
            continue
        if report["status"] == "ok":
            link = f'<a href="{esc(report["file"])}">{esc(report["label"])}</a>'
            status = _status_chips(row)
        else:
            link = f"<b>{esc(report['label'])}</b>"
            status = (
                f"{chip('bad', 'Report failed')}<pre class='sh-error'>{esc(report['error'])}</pre>"
            )
        overdue, upcoming = _deadlines(row)
        cells = [
            link,
            status,
            _worst(row),
            _odr(row),
            f"{esc(row['ahr_estimate'])} {band_chip(row['band'])}",
            _ipi(row),
            overdue,
            upcoming,
            day(row["next_clearance"]),
            _recovery(row),
        ]
        (rows if report["status"] == "ok" else failed_rows).append(cells)
    counts = run["counts"]
    failures = (
        f"<p>{chip('bad', plural(counts['failed'], 'report') + ' failed')} listed first, "
        "with the error.</p>"
        if counts["failed"]
        else ""
    )
    headers = [
        "Seller",
        "Status",
        "Worst metric today",
        "ODR",
        "AHR estimate",
        IPI_PROXY_LABEL,
        "Deadlines passed",
        "Next deadline",
        "Next record clears",
        "Back on target",
    ]
    policy = run["parameters"]["policy"]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Seller account health: reports as of {esc(day_text(run))}</title>
{STYLE}
<style type="text/css">
body {{ margin: 1em auto; max-width: 1200px; padding: 0 12px; }}
pre.sh-error {{ white-space: pre-wrap; overflow-wrap: anywhere; color: #8a2b00; margin: 0.3em 0;
  max-width: 30em; }}
</style>
</head>
<body class="sh-report">
<h1>Seller account health as of {esc(day_text(run))}</h1>
<p class="sh-note">Run {esc(run["run"])} · {plural(counts["sellers"], "seller")} ·
policy {esc(policy["name"])} · sellers sorted by what needs attention first: a critical
AHR estimate, a metric over its limit, an AHR estimate at risk, a deadline passed, a metric
over its limit that could be chance, a metric to watch. The same rows are in
<a href="index.csv">index.csv</a>.</p>
{failures}
{table(headers, failed_rows + rows, stack=True)}
<p class="sh-note">Status: the worst of the seller's metrics with a target, its Account
Health Rating estimate (an estimate: Amazon publishes no formula) and the actions whose
deadline has passed. <b>{esc(STATUS_WORDS["bad_low_volume"])}</b>: over the target, but
on so few orders that a seller exactly at the limit could get this result by chance.
<b>Back on target</b> assumes no new defects and orders at the recent pace.
<b>{esc(IPI_PROXY_LABEL)}</b>: this report's own estimate of Amazon's Inventory Performance
Index from the seller's FBA inventory (Amazon publishes no formula); it does not change the
order of the sellers.
Generated by seller-health; this page and the reports open offline.</p>
</body>
</html>
"""


def day_text(run: dict) -> str:
    """The run's as-of date in words."""
    return day(date.fromisoformat(run["as_of"]))
