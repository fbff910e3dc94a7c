"""The metric panels of a seller report, as Amazon's Account Health page groups them (private).

Two of the page's three panels (:data:`~toolkit.model.vocabulary.PANELS`):
**Customer Service Performance** (the Order Defect Rate and its three components) and
**Shipping Performance** (late shipments, cancellations, valid tracking, on-time
delivery, invoice defects). Each panel shows its metrics today (rate, counts, target,
status, window, change, back on target), one chart per metric and channel (a metric
whose history never moved is a line of text instead, :func:`flat_history`), and
every record behind the rates (from the clearance table of every metric) with the date it
clears and what the seller can do about it. :mod:`toolkit.reports.account` has the
Policy Compliance panel and the rest of the page.

Each function takes a :class:`~toolkit.reports.content.ReportContent` and returns a
:class:`~toolkit.reports.text.Fragment` (charts inside it as SVG) or an altair chart;
every number of a rule is the report's policy's.
"""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import polars as pl

from toolkit import charts
from toolkit.charts.html import inline_chart
from toolkit.model.vocabulary import (
    ACTION_WORDS,
    PANELS,
    REASON_WORDS,
    TARGET_MET,
    TARGET_MISSED,
    WINDOW_BASIS,
    defect_words,
    metric_words,
    word,
)
from toolkit.reports.content import ReportContent, records, recovery, sized, today
from toolkit.reports.settings import (
    CALENDAR_ROWS,
    CHANGE_DAYS,
    CHART_HEIGHT,
    FORECAST_TAIL_DAYS,
    RECORDS_SHOWN,
    SHIPPING_METRICS,
    SMALL_CHART_HEIGHT,
)
from toolkit.reports.text import (
    STYLE,
    Fragment,
    chip,
    counts,
    day,
    esc,
    fragment,
    paragraphs,
    pct,
    plural,
    share,
    table,
    target_text,
    when,
)

_PANEL = {key: (title, metrics) for key, title, metrics in PANELS}
_ODR_FAMILY = _PANEL["customer_service"][1]


def style(report: ReportContent) -> Fragment:
    """The report's CSS (display once, at the top)."""
    return Fragment(STYLE)


# ------------------------------------------------------------------ metrics tables


def _change(row: dict, before: dict | None) -> str:
    if before is None or row["rate"] is None or before["rate"] is None:
        return "–"
    diff = (row["rate"] - before["rate"]) * 100
    arrow = "▲" if diff > 0 else "▼" if diff < 0 else "="
    return (
        f"{arrow} {abs(diff):.2f} pp <span class='sh-note'>(was {pct(before['rate'])}, "
        f"{before['numerator']} of {before['denominator']})</span>"
    )


def _entry(metric: str, lag: int) -> str:
    """When today's orders would count in a metric's window."""
    if lag:
        return f"orders you get today count only after the {lag}-day lag"
    return f"orders count from the day they are {WINDOW_BASIS.get(metric, 'in the window')}"


def _back(row: dict, forecast: dict | None, report: ReportContent) -> str:
    if row["status"] in TARGET_MET:
        return "on target"
    if row["status"] not in TARGET_MISSED or forecast is None:
        return "–"
    horizon = report.policy.horizon_days
    if forecast["recovery_date"] is None:
        back = f"not within {horizon} days"
    else:
        back = day(forecast["recovery_date"])
    more = forecast["clean_orders_needed"]
    if not more:
        return back
    lag = report.policy.metric(row["metric"]).lag_days
    return (
        f"{back} <span class='sh-note'>(on target today only if the window held "
        f"{more:,} more good orders; {esc(_entry(row['metric'], lag))})</span>"
    )


def metrics_table(report: ReportContent, metrics: tuple[str, ...]) -> str:
    """Today's rows of ``metrics``: rate, counts, target, status, window, change, recovery."""
    now = today(report).filter(pl.col("metric").is_in(metrics))
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
                esc(metric_words(*key)),
                pct(r["rate"]),
                esc(counts(r["numerator"], r["denominator"], r["metric"])),
                esc(target_text(r["condition"], r["target"])),
                chip(r["status"]),
                f"{WINDOW_BASIS.get(r['metric'], '')} {day(r['window_start'])} – "
                f"{day(r['window_end'])}",
                _change(r, before.get(key)),
                _back(r, recoveries.get(key), report),
            ]
        )
    headers = [
        "Metric",
        "Rate",
        "Orders",
        "Target",
        "Status",
        "Orders in the window",
        f"Change vs {CHANGE_DAYS} days ago",
        "Back on target",
    ]
    return table(headers, rows, numeric=[1])


# ------------------------------------------------------------------ records tables


def _today_state(row: dict, report: ReportContent) -> str:
    if row["counting"]:
        return "counting"
    if row["counts_from"] > report.as_of and row["clears_on"] > row["counts_from"]:
        return f"waiting: counts from {day(row['counts_from'])}"
    return f"stopped: {word(REASON_WORDS, row['clear_reason'])}"


def _what_to_do(row: dict) -> str:
    action = row["action"]
    if action is None:
        return "–"
    if action == "wait":
        return "nothing: it clears by itself"
    text = f"<b>{esc(word(ACTION_WORDS, action))}</b>"
    if row["deadline"] is not None and row["overdue"]:
        text += f"<span class='sh-overdue'> (deadline passed {esc(when(row['deadline']))})</span>"
    elif row["deadline"] is not None:
        text += f" by {esc(when(row['deadline']))}"
    if row["where"]:
        text += f"<span class='sh-note'> · {esc(row['where'])}</span>"
    return text


def _record_what(row: dict) -> str:
    what = defect_words(row["defect_type"])
    if row.get("rating") is not None:
        what += f" ({row['rating']}★)"
    if row["record_id"] != row["order_id"]:
        what += f" {row['record_id']}"
    return what


def records_table(report: ReportContent, rows: pl.DataFrame, *, comments: bool) -> str:
    """A panel's records: order, record, dates, today's state and what the seller can do.

    The first :data:`~toolkit.reports.settings.RECORDS_SHOWN` rows are open; the rest
    are behind a "show all" (``<details>``, no script).
    """
    body, faded = [], []
    for r in rows.iter_rows(named=True):
        cells = [
            esc(r["order_id"]),
            esc(_record_what(r)),
            *([esc(r["comment"]) if r.get("comment") else ""] if comments else []),
            *([] if comments else [esc(metric_words(r["metric"]))]),
            day(r["attribution_date"]),
            day(r["counts_from"]),
            f"<b>{day(r['clears_on'])}</b>"
            f"<span class='sh-note'> ({esc(word(REASON_WORDS, r['clear_reason']))})</span>",
            esc(_today_state(r, report)),
            _what_to_do(r),
        ]
        body.append(cells)
        faded.append(not r["counting"] and r["counts_from"] <= report.as_of)
    headers = [
        "Order",
        "Record",
        "Buyer's comment" if comments else "Metric",
        "Order date" if comments else "Date in the window",
        "Counts from",
        "Clears on",
        "Today",
        "What you can do",
    ]
    text = [2] if comments else []
    shown = table(headers, body[:RECORDS_SHOWN], faded=faded[:RECORDS_SHOWN], text_columns=text)
    if len(body) <= RECORDS_SHOWN:
        return shown
    rest = table(headers, body[RECORDS_SHOWN:], faded=faded[RECORDS_SHOWN:], text_columns=text)
    return (
        f"{shown}<details><summary>Show the other {plural(len(body) - RECORDS_SHOWN, 'record')}"
        f"</summary>{rest}</details>"
    )


def _records_lead(rows: pl.DataFrame, what: str) -> str:
    """How many records count today, how many wait to count, and when the last clears."""
    if rows.height == 0:
        return f"No record of your {what} is in a window today."
    counting = rows.filter(pl.col("counting"))
    waiting = rows.filter(~pl.col("counting") & (pl.col("counts_from") < pl.col("clears_on")))
    waiting = waiting.filter(pl.col("clears_on") > pl.col("counts_from").min())
    if counting.height == 0 and waiting.height == 0:
        return f"None of these records counts against your {what} any more."
    parts = []
    if counting.height:
        one = counting.height == 1
        parts.append(f"{plural(counting.height, 'record')} count{'s' if one else ''} today")
    if waiting.height:
        parts.append(
            f"{plural(waiting.height, 'record')} will count from "
            f"{day(waiting['counts_from'].min())} (waiting out the lag)"
        )
    last = pl.concat([counting, waiting])["clears_on"].max()
    text = " and ".join(parts)
    return (
        f"{text[:1].upper()}{text[1:]}. Each clears by itself on the date shown, the last "
        f"on <b>{day(last)}</b>; the last column says where you can act sooner."
    )


# -------------------------------------------------------------------------- charts


def _charts(*items: alt.TopLevelMixin | None, wide: bool = False) -> str:
    """Charts side by side where the page is wide enough, one under the other on a phone."""
    css = "sh-chart sh-wide" if wide else "sh-chart"
    shown = [f'<div class="{css}">{inline_chart(c)}</div>' for c in items if c is not None]
    return f'<div class="sh-charts">{"".join(shown)}</div>' if shown else ""


def _with_orders(report: ReportContent, metrics: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (metric, channel) pairs of ``metrics`` that had orders during the history."""
    found = (
        report.tables["metrics"]
        .filter(pl.col("metric").is_in(metrics))
        .group_by("metric", "channel")
        .agg(pl.col("denominator").sum())
        .filter(pl.col("denominator") > 0)
    )
    order = {m: i for i, m in enumerate(metrics)}
    return sorted(
        found.select("metric", "channel").iter_rows(),
        key=lambda key: (order[key[0]], key[1] != "mfn"),
    )


def _forecast_until(report: ReportContent, forecast: pl.DataFrame) -> pl.DataFrame:
    """The clean forecast until shortly after its recovery (or over the whole horizon)."""
    recovered = forecast["recovery_date"].drop_nulls()
    last = (recovered.max() if recovered.len() else report.as_of) + timedelta(
        days=FORECAST_TAIL_DAYS
    )
    if forecast["recovery_date"].null_count():
        last = report.as_of + timedelta(days=report.policy.horizon_days)
    return forecast.filter(pl.col("as_of") <= last)


def history_chart(
    report: ReportContent, metric: str, channel: str, *, height: int = SMALL_CHART_HEIGHT
) -> alt.TopLevelMixin:
    """One metric and channel over the history; the clean forecast when it misses its target."""
    metrics = report.tables["metrics"].filter(
        pl.col("metric") == metric, pl.col("channel") == channel
    )
    forecast = None
    now = metrics.filter(pl.col("as_of") == report.as_of)
    if metric == "odr" or (now.height and now["status"][0] in TARGET_MISSED):
        forecast = report.tables["forecast"].filter(
            pl.col("metric") == metric, pl.col("channel") == channel
        )
        forecast = _forecast_until(report, forecast) if forecast.height else None
    chart = charts.metric_history(metrics, forecast=forecast, title=metric_words(metric, channel))
    return sized(chart, height=height)


def flat_history(report: ReportContent, metric: str, channel: str) -> dict | None:
    """Today's metrics row of a history that never moved (None when it moved or misses).

    A history is flat when every day of it has a rate, the same rate and the same
    status, and that status meets the target: its chart would be one straight line in
    one colour, with nothing to forecast. The row has ``since``, the first day of the
    history, added.

    Examples
    --------
    >>> from toolkit.reports.view import load_report
    >>> report = load_report("S01-steady")
    >>> flat = flat_history(report, "vtr_30d", "mfn")
    >>> flat["rate"], flat["status"], str(flat["since"]), str(flat["as_of"])
    (1.0, 'good', '2026-05-20', '2026-11-15')
    >>> flat_history(report, "odr", "mfn") is None  # it moved
    True
    """
    rows = report.tables["metrics"].filter(pl.col("metric") == metric, pl.col("channel") == channel)
    now = rows.filter(pl.col("as_of") == report.as_of)
    if (
        now.height != 1
        or rows["rate"].null_count()
        or rows["rate"].n_unique() != 1
        or rows["status"].n_unique() != 1
        or now["status"][0] in TARGET_MISSED
    ):
        return None
    return now.row(0, named=True) | {"since": rows["as_of"].min()}


def _flat_list(report: ReportContent, flat: list[dict]) -> str:
    """The histories that never moved, one line each instead of a flat chart."""
    if not flat:
        return ""
    items = "".join(
        f"<li><b>{esc(metric_words(r['metric'], r['channel']))}</b>: {pct(r['rate'])} on every "
        f"day from {day(r['since'])} to {day(r['as_of'])}, {chip(r['status'])} throughout"
        + (
            f" (target {esc(target_text(r['condition'], r['target']))})"
            if r["target"] is not None
            else ""
        )
        + f"; today {esc(counts(r['numerator'], r['denominator'], r['metric']))}.</li>"
        for r in flat
    )
    lead = (
        "This rate did not move over the history, so it has no chart:"
        if len(flat) == 1
        else "These rates did not move over the history, so they have no chart:"
    )
    return paragraphs(lead) + f'<ul class="sh-flat">{items}</ul>'


def odr_history(report: ReportContent) -> alt.TopLevelMixin | Fragment:
    """The ODR of the channel with the most orders, with the target and the clean forecast.

    (The panel draws one per channel with orders; this is the first of them.)
    """
    pairs = _with_orders(report, ("odr",))
    if not pairs:
        return fragment(paragraphs("No orders in the ODR window during this period."))
    return history_chart(report, *pairs[0], height=CHART_HEIGHT)


def odr_components(report: ReportContent) -> alt.TopLevelMixin | None:
    """Negative feedback, claims and chargebacks behind the ODR numerator (None: none)."""
    pairs = _with_orders(report, ("odr",))
    channels = [channel for _, channel in pairs]
    metrics = report.tables["metrics"].filter(
        pl.col("metric").is_in(_ODR_FAMILY), pl.col("channel").is_in(channels)
    )
    if metrics.filter(pl.col("numerator") > 0).height == 0:
        return None
    return sized(charts.odr_components(metrics), height=SMALL_CHART_HEIGHT)


def clearance_chart(
    report: ReportContent, metrics: tuple[str, ...] = _ODR_FAMILY
) -> alt.TopLevelMixin | None:
    """The clearance calendar of ``metrics``' records (None: none, or too many to draw)."""
    rows = report.tables["clearance"].filter(pl.col("metric").is_in(metrics))
    if rows.height == 0 or rows.height > CALENDAR_ROWS:
        return None
    chart = charts.clearance_calendar(
        rows.select(
            "order_id",
            "defect_type",
            "record_id",
            "attribution_date",
            "counts_from",
            "clears_on",
            "counting",
            "clear_reason",
        ),
        as_of=report.as_of,
        title="When each record counts",
    )
    return chart.configure_view(continuousWidth=300)


# -------------------------------------------------------------------------- panels


def _odr_text(report: ReportContent) -> str:
    odr = report.policy.metric("odr")
    first = report.as_of - timedelta(days=odr.lag_days + odr.window_days - 1)
    last = report.as_of - timedelta(days=odr.lag_days)
    return (
        f"Your Order Defect Rate today counts the orders you received from {day(first)} to "
        f"{day(last)}: a {odr.window_days}-day window that ends {odr.lag_days} days ago, so "
        "that buyers have time to leave feedback, file a claim or dispute a charge. An order "
        "counts once, however many defects it has; the three parts below it (negative "
        "feedback, A-to-z Guarantee claims, chargebacks) have no target of their own. A "
        "dashed line after today is the forecast if no new defect arrives and orders keep "
        "coming at your recent pace."
    )


def customer_service(report: ReportContent) -> Fragment:
    """Customer Service Performance: the ODR and its parts, charts, and every record."""
    pairs = _with_orders(report, ("odr",))
    flat = {pair: flat_history(report, *pair) for pair in pairs}
    history = [
        history_chart(report, "odr", channel, height=CHART_HEIGHT)
        for _, channel in pairs
        if flat[("odr", channel)] is None
    ]
    rows = records(report, _ODR_FAMILY)
    body = (
        paragraphs(_odr_text(report))
        + metrics_table(report, _ODR_FAMILY)
        + _charts(*history, odr_components(report))
        + _flat_list(report, [row for row in flat.values() if row is not None])
        + "<h3>Your negative feedback, claims and chargebacks</h3>"
        + paragraphs(_records_lead(rows, "Order Defect Rate"))
        + (records_table(report, rows, comments=True) if rows.height else "")
        + _charts(clearance_chart(report, _ODR_FAMILY), wide=True)
    )
    return fragment(body)


def shipping(report: ReportContent) -> Fragment:
    """Shipping Performance: late shipments, cancellations, tracking, delivery, invoices."""
    pairs = _with_orders(report, SHIPPING_METRICS)
    rows = records(report, SHIPPING_METRICS)
    watch = share(report.policy.watch_fraction)
    lead = (
        "How you ship the orders you fulfil yourself, and whether business buyers get their "
        f"invoice in time. <b>Watch</b>: on target, but within {watch} of the limit."
    )
    flat = {pair: flat_history(report, *pair) for pair in pairs}
    charts_html = (
        _charts(*(history_chart(report, m, c) for m, c in pairs if flat[(m, c)] is None))
        + _flat_list(report, [row for row in flat.values() if row is not None])
        if pairs
        else paragraphs("No orders of yours are measured by these metrics yet.")
    )
    body = (
        paragraphs(lead)
        + metrics_table(report, SHIPPING_METRICS)
        + charts_html
        + "<h3>Your late shipments, cancellations, tracking, deliveries and invoices</h3>"
        + paragraphs(_records_lead(rows, "shipping metrics"))
        + (records_table(report, rows, comments=False) if rows.height else "")
        + _charts(clearance_chart(report, SHIPPING_METRICS), wide=True)
    )
    return fragment(body)


def panel_title(key: str) -> str:
    """The title of one of Amazon's Account Health panels."""
    return _PANEL[key][0]
