"""The sections of a seller report about its metrics, as escaped HTML and charts (private).

Each function takes a :class:`~toolkit.reports.content.ReportContent` and returns
something a notebook displays: a :class:`~toolkit.reports.text.Fragment` or a chart. The
text is written for the seller: plain words, dates, counts next to rates, and every
number of a rule (a window, a target, a threshold) taken from the report's policy.
:mod:`toolkit.reports.account` has the sections about the rest of the account.
"""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import polars as pl

from toolkit import charts
from toolkit.model.vocabulary import (
    DEFECT_WORDS,
    REASON_WORDS,
    TARGET_MET,
    TARGET_MISSED,
    WINDOW_BASIS,
)
from toolkit.reports.content import ReportContent, recovery, today, wide
from toolkit.reports.settings import (
    CHANGE_DAYS,
    FORECAST_TAIL_DAYS,
    SHIPPING_METRICS,
    SMALL_CHART_HEIGHT,
)
from toolkit.reports.text import (
    STYLE,
    Fragment,
    band_chip,
    chip,
    day,
    esc,
    fragment,
    metric_label,
    paragraphs,
    pct,
    plural,
    share,
    table,
    target_text,
)


def style(report: ReportContent) -> Fragment:
    """The report's CSS (display once, at the top)."""
    return Fragment(STYLE)


def headline(report: ReportContent) -> Fragment:
    """Title, overall status, what misses its target and when it recovers, AHR estimate."""
    s, policy = report.summary, report.policy
    title = f"{report.seller_id} · {report.marketplace}"
    missed = today(report).filter(pl.col("status").is_in(TARGET_MISSED), ~pl.col("informational"))
    missed = missed.join(recovery(report), on=["channel", "metric"], how="left")
    lines = []
    if missed.height == 0:
        lines.append("Every metric with a target meets it today.")
    for row in missed.iter_rows(named=True):
        when = (
            f"if no new defects arrive it is back on target on <b>{day(row['recovery_date'])}</b>"
            if row["recovery_date"]
            else f"it does not get back on target within {policy.horizon_days} days "
            "without new good orders"
        )
        lines.append(
            f"<b>{esc(metric_label(row['metric'], row['channel']))}</b> is "
            f"{pct(row['rate'])} ({row['numerator']:,} of {plural(row['denominator'], 'order')}),"
            f" target {target_text(row['condition'], row['target'])}: {when}."
        )
    ahr = s["ahr_estimate"]
    cfg = policy.ahr
    ahr_text = (
        f"Account Health Rating <b>estimate: {ahr}</b> {band_chip(s['band'])} "
        f"(healthy from {cfg['healthy_from']}, at risk from {cfg['at_risk_from']}, critical "
        "below). <span class='sh-note'>This is an estimate: Amazon publishes no formula. It "
        f"starts at {cfg['start']}, adds {cfg['points_per_step']} per "
        f"{cfg['orders_per_step']} orders shipped in the last {cfg['fulfilled_window_days']} "
        "days and subtracts points for policy violations.</span>"
        if ahr is not None
        else "No Account Health Rating estimate (no orders or violations)."
    )
    nxt = (
        f"{plural(s['counting_records'], 'record')} "
        f"count{'s' if s['counting_records'] == 1 else ''} against you today; the next "
        f"one clears on <b>{day(s['next_clearance'])}</b> (see the clearance calendar)."
        if s["next_clearance"]
        else "No defect or policy violation counts against you today."
    )
    body = (
        f"<h1>{esc(title)}</h1>"
        f"<p class='sh-note'>Account health report as of the end of {day(report.as_of)} (UTC). "
        f"Policy: {esc(policy.name)}.</p>"
        f"<div class='sh-box'><p class='sh-big'>Metrics: {chip(s['status'])} &nbsp; "
        f"AHR estimate: {band_chip(s['band'])}</p>"
        + paragraphs(*lines)
        + paragraphs(ahr_text, nxt)
        + "</div>"
    )
    return fragment(body)


def _change(row: dict, before: dict | None) -> str:
    if before is None or row["rate"] is None or before["rate"] is None:
        return "–"
    diff = (row["rate"] - before["rate"]) * 100
    arrow = "▲" if diff > 0 else "▼" if diff < 0 else "="
    return (
        f"{arrow} {abs(diff):.2f} pp <span class='sh-note'>(was {pct(before['rate'])}, "
        f"{before['numerator']}/{before['denominator']})</span>"
    )


def _back(row: dict, forecast: dict | None, horizon: int) -> str:
    if row["status"] in TARGET_MET:
        return "on target"
    if row["status"] not in TARGET_MISSED or forecast is None:
        return "–"
    if forecast["recovery_date"] is None:
        return f"not within {horizon} days"
    more = forecast["clean_orders_needed"]
    extra = f" <span class='sh-note'>(or {more:,} more good orders now)</span>" if more else ""
    return f"{day(forecast['recovery_date'])}{extra}"


def scorecard(report: ReportContent) -> Fragment:
    """Every metric today: rate, counts, target, status, window, change, recovery."""
    now = today(report)
    earlier = report.as_of - timedelta(days=CHANGE_DAYS)
    before = {
        (r["metric"], r["channel"]): r
        for r in report.tables["metrics"].filter(pl.col("as_of") == earlier).iter_rows(named=True)
    }
    recoveries = {(r["metric"], r["channel"]): r for r in recovery(report).iter_rows(named=True)}
    rows = []
    for r in now.iter_rows(named=True):
        key = (r["metric"], r["channel"])
        rows.append(
            [
                esc(metric_label(*key)),
                pct(r["rate"]),
                f"{r['numerator']:,} / {r['denominator']:,}",
                esc(target_text(r["condition"], r["target"])),
                chip(r["status"]),
                f"{WINDOW_BASIS.get(r['metric'], '')} {day(r['window_start'])} – "
                f"{day(r['window_end'])}",
                _change(r, before.get(key)),
                _back(r, recoveries.get(key), report.policy.horizon_days),
            ]
        )
    headers = [
        "Metric",
        "Rate",
        "Counted / orders",
        "Target",
        "Status",
        "Orders in the window",
        f"Change vs {CHANGE_DAYS} days ago",
        "Back on target",
    ]
    note = (
        f"<b>Watch</b>: on target, but within {share(report.policy.watch_fraction)} of the "
        "limit. <b>Over, low volume</b>: over the target, but with this few orders it could "
        "happen by chance to a seller exactly at the limit (see the low-volume section). The "
        "ODR parts (·) have no target of their own. <b>Back on target</b> assumes no new "
        "defects, no removals, and new orders at your recent daily volume. pp: percentage "
        "points."
    )
    return fragment(table(headers, rows, numeric=[1, 2]) + paragraphs(note, css="sh-note"))


def _channels_with_orders(metrics: pl.DataFrame, metric: str) -> pl.DataFrame:
    keep = (
        metrics.filter(pl.col("metric") == metric)
        .group_by("channel")
        .agg(pl.col("denominator").sum())
        .filter(pl.col("denominator") > 0)
        .select("channel")
    )
    return metrics.join(keep, on="channel", how="semi")


def odr_history(report: ReportContent) -> alt.TopLevelMixin | Fragment:
    """ODR per channel over the history, the target, and the clean forecast to recovery."""
    metrics = _channels_with_orders(report.tables["metrics"], "odr").filter(
        pl.col("metric") == "odr"
    )
    if metrics.height == 0:
        return fragment(paragraphs("No orders in the ODR window during this period."))
    forecast = report.tables["forecast"].filter(pl.col("metric") == "odr")
    forecast = forecast.join(metrics.select("channel").unique(), on="channel", how="semi")
    recovered = forecast["recovery_date"].drop_nulls()
    tail = timedelta(days=FORECAST_TAIL_DAYS)
    last = (recovered.max() if recovered.len() else report.as_of) + tail
    if forecast["recovery_date"].null_count():
        last = report.as_of + timedelta(days=report.policy.horizon_days)
    forecast = forecast.filter(pl.col("as_of") <= last)
    chart = charts.metric_history(
        metrics, forecast=forecast, title="Order Defect Rate: history and clean forecast"
    )
    return wide(chart)


def odr_text(report: ReportContent) -> Fragment:
    """How the ODR window works, in the policy's numbers."""
    odr = report.policy.metric("odr")
    first = report.as_of - timedelta(days=odr.lag_days + odr.window_days - 1)
    last = report.as_of - timedelta(days=odr.lag_days)
    return fragment(
        paragraphs(
            f"Your ODR today counts the orders you received from {day(first)} to {day(last)}: "
            f"a {odr.window_days}-day window that ends {odr.lag_days} days ago, so that "
            "buyers have time to leave feedback or file a claim. An order counts once, "
            "however many defects it has. The dashed line after today is the forecast if "
            "no new defect arrives and orders keep coming at your recent pace; the diamond "
            "marks the day it is back under the target."
        )
    )


def odr_components(report: ReportContent) -> alt.TopLevelMixin | Fragment:
    """Negative feedback, claims and chargebacks behind the ODR numerator."""
    metrics = _channels_with_orders(report.tables["metrics"], "odr")
    metrics = metrics.filter(pl.col("metric").str.starts_with("odr"))
    if metrics.filter(pl.col("numerator") > 0).height == 0:
        return fragment(paragraphs("No order had a defect during this period."))
    return wide(charts.odr_components(metrics), height=SMALL_CHART_HEIGHT)


def _defects(report: ReportContent) -> pl.DataFrame:
    return (
        report.tables["clearance"]
        .filter(pl.col("metric") != "policy_violation")
        .sort("clears_on", "counts_from", "record_id")
    )


def clearance(report: ReportContent) -> Fragment:
    """ "When will my record clear": every defect record with its dates, as a table."""
    defects = _defects(report)
    if defects.height == 0:
        return fragment(
            paragraphs("No negative feedback, claim or chargeback is in your ODR window.")
        )
    counting = defects.filter(pl.col("counting"))
    d = report.as_of
    rows, faded = [], []
    for r in defects.iter_rows(named=True):
        if r["counting"]:
            now = "counting"
        elif r["counts_from"] > d and r["clears_on"] > r["counts_from"]:
            now = f"waiting: counts from {day(r['counts_from'])}"
        else:
            now = f"stopped: {REASON_WORDS.get(r['clear_reason'], r['clear_reason'])}"
        what = DEFECT_WORDS.get(r["defect_type"], r["defect_type"])
        if r["rating"] is not None:
            what += f" ({r['rating']}★)"
        rows.append(
            [
                esc(r["order_id"]),
                esc(what),
                esc(r["comment"]) if r["comment"] else "",
                day(r["attribution_date"]),
                day(r["counts_from"]),
                f"<b>{day(r['clears_on'])}</b> "
                f"<span class='sh-note'>({esc(REASON_WORDS.get(r['clear_reason'], ''))})</span>",
                esc(now),
            ]
        )
        faded.append(not r["counting"])
    if counting.height:
        last = counting["clears_on"].max()
        one = counting.height == 1
        lead = (
            f"{plural(counting.height, 'defect')} count{'s' if one else ''} against your ODR "
            f"today. You cannot delete {'it' if one else 'them'}: "
            f"{'it' if one else 'each'} clears by itself on the date shown, when its order "
            "leaves the window, or earlier if the feedback is removed, the claim is decided "
            "in your favour or you win the chargeback. "
            + (
                f"It clears on <b>{day(last)}</b>."
                if one
                else f"The last one clears on <b>{day(last)}</b>."
            )
        )
    else:
        lead = "None of these records counts against your ODR today."
    headers = ["Order", "Defect", "Buyer's comment", "Order date", "Counts from", "Clears on"]
    return fragment(
        paragraphs(lead) + table([*headers, "Today"], rows, faded=faded, text_columns=[2])
    )


def clearance_chart(report: ReportContent) -> alt.TopLevelMixin | Fragment:
    """The clearance calendar: one bar per defect record from counts-from to clears-on."""
    defects = _defects(report)
    if defects.height == 0:
        return fragment("")
    chart = charts.clearance_calendar(
        defects.drop("rating", "comment"), as_of=report.as_of, title="Clearance calendar"
    )
    return wide(chart)


def shipping(report: ReportContent) -> alt.TopLevelMixin | Fragment:
    """Late shipment, cancellation, tracking, delivery and invoice rates over the history."""
    metrics = report.tables["metrics"].filter(
        pl.col("metric").is_in(SHIPPING_METRICS), pl.col("denominator").sum().over("metric") > 0
    )
    if metrics.height == 0:
        return fragment(paragraphs("No orders of yours are measured by these metrics yet."))
    chart = charts.metric_history(metrics, title="Shipping, cancellation and invoice metrics")
    return wide(chart, height=SMALL_CHART_HEIGHT)
