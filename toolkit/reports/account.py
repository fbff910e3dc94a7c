"""The sections of a seller report about the account beyond its rates (private).

The Policy Compliance panel (the AHR estimate, every violation with its points, what the
seller can do and what addressing it would restore, and the timeline), the "could be
chance" explanation, data freshness and the reconciliation with Amazon's report;
:mod:`toolkit.reports.sections` has the Customer Service and Shipping panels,
:mod:`toolkit.reports.retired` the metrics Amazon does not use for account health. Each function takes a :class:`~toolkit.reports.content.ReportContent`; every
number of a rule is the report's policy's.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from toolkit import charts
from toolkit.charts.html import inline_chart
from toolkit.model.policy import Policy
from toolkit.model.vocabulary import (
    ACTION_WORDS,
    BAND_WORDS,
    CATEGORY_WORDS,
    SOURCE_WORDS,
    STATUS_WORDS,
    VIOLATION_STATUS_WORDS,
    word,
)
from toolkit.reports.content import ReportContent, actions, sized, today
from toolkit.reports.settings import RECONCILIATION_ROWS, SMALL_CHART_HEIGHT
from toolkit.reports.text import (
    Fragment,
    band_chip,
    chance,
    counts,
    coverage,
    day,
    esc,
    fragment,
    metric_label,
    paragraphs,
    pct,
    plural,
    share,
    stamp,
    table,
    target_text,
    times,
    when,
)


def _display_rule(policy: Policy) -> str:
    """How long a violation is displayed, in the policy's words."""
    if policy.display_anchor == "resolved":
        return f"until {policy.display_days} days after it is resolved"
    return f"for {policy.display_days} days from the day it is detected"


def _late_event(cadence: int) -> str:
    """`` (an event at 23:50 with a 30-minute refresh counts from the next day)``.

    An example late in the day that the refresh every ``cadence`` minutes (counted from
    00:00 UTC) moves to the next day; empty where there is none to give (a cadence of 0,
    1 minute, or one that does not divide the day).

    Examples
    --------
    >>> _late_event(30)
    ' (an event at 23:50 with a 30-minute refresh counts from the next day)'
    >>> _late_event(360)
    ' (an event at 22:00 with a 360-minute refresh counts from the next day)'
    >>> [_late_event(c) for c in (0, 1, 7)]
    ['', '', '']
    """
    day_minutes = 24 * 60
    if cadence < 2 or day_minutes % cadence:
        return ""
    minute = day_minutes - max(1, cadence // 3)  # after the day's last refresh
    return (
        f" (an event at {minute // 60:02d}:{minute % 60:02d} with a {cadence}-minute refresh "
        "counts from the next day)"
    )


def _ahr_text(report: ReportContent) -> str:
    s, cfg = report.summary, report.policy.ahr
    if s["ahr_estimate"] is None:
        return "No Account Health Rating estimate (no orders or violations)."
    return (
        f"Account Health Rating <b>estimate: {s['ahr_estimate']}</b> {band_chip(s['band'])} "
        f"(healthy from {cfg['healthy_from']}, at risk from {cfg['at_risk_from']}, critical "
        "below). <span class='sh-note'>This is an estimate: Amazon publishes no formula. It "
        f"starts at {cfg['start']}, adds {cfg['points_per_step']} per "
        f"{cfg['orders_per_step']} orders shipped in the last {cfg['fulfilled_window_days']} "
        "days and subtracts points for policy violations.</span>"
    )


def _band_words(report: ReportContent, score: int | None) -> str:
    if score is None:
        return "–"
    cfg = report.policy.ahr
    band = (
        "healthy"
        if score >= cfg["healthy_from"]
        else "at_risk"
        if score >= cfg["at_risk_from"]
        else "critical"
    )
    return f"{score} ({BAND_WORDS[band].lower()})"


def _violation_action(row: dict) -> str:
    action = row["action"]
    if action is None:
        return "–"
    if action == "wait":
        return "nothing: it stops showing by itself"
    text = f"<b>{esc(word(ACTION_WORDS, action))}</b>"
    if row["deadline"] is not None:
        passed = " (passed)" if row["overdue"] else ""
        text += f" by {esc(when(row['deadline']))}{passed}"
    if row["where"]:
        text += f"<span class='sh-note'> · {esc(row['where'])}</span>"
    return text


def violations(report: ReportContent) -> Fragment:
    """Policy violations: displayed until, points, what to do and what addressing restores."""
    v = report.tables["violations"]
    policy = report.policy
    if v.height == 0:
        return fragment(paragraphs(_ahr_text(report), "No policy violation is on your record."))
    todo = (
        actions(report)
        .filter(pl.col("metric") == "policy_violation")
        .select(
            pl.col("record_id").alias("violation_id"),
            "action",
            "deadline",
            "overdue",
            "where",
            "ahr_if_addressed",
        )
    )
    v = v.join(todo, on="violation_id", how="left").sort("displayed_from", "violation_id")
    rows = [
        [
            esc(f"{word(CATEGORY_WORDS, r['category'])} ({r['violation_id']})"),
            esc(r["severity"]),
            day(r["displayed_from"]),
            day(r["displayed_until"]),
            day(r["costs_points_until"]),
            f"{r['points_at_as_of']}",
            esc(word(VIOLATION_STATUS_WORDS, r["status"])),
            _violation_action(r),
            esc(_band_words(report, r["ahr_if_addressed"])) if r["points_at_as_of"] else "–",
        ]
        for r in v.iter_rows(named=True)
    ]
    points = int(v["points_at_as_of"].sum())
    active = v.filter(pl.col("points_at_as_of") > 0).height
    lead = (
        f"A violation is displayed on your account {_display_rule(policy)}, unless a "
        "dispute shows it was an error. It costs AHR points until you address it (appeal "
        "accepted, action taken or acknowledged) or its display ends; a second one in the "
        f"same category costs {times(policy.ahr['repeat_multiplier'])}. "
        f"Today {plural(active, 'violation')} cost{'s' if active == 1 else ''} "
        f"{plural(points, 'point')} of your AHR estimate; the last column is the estimate "
        "if you addressed that violation alone today."
    )
    headers = [
        "Violation",
        "Severity",
        "Displayed from",
        "Displayed until",
        "Costs points until",
        "Points today",
        "Status",
        "What you can do",
        "AHR estimate if addressed",
    ]
    faded = [r in ("expired", "removed_as_error") for r in v["status"].to_list()]
    return fragment(
        paragraphs(_ahr_text(report), lead) + table(headers, rows, numeric=[5], faded=faded)
    )


def violations_chart(report: ReportContent) -> alt.TopLevelMixin:
    """Violations timeline over the AHR estimate (or the AHR estimate alone)."""
    ahr = report.tables["ahr"]
    v = report.tables["violations"]
    if v.height == 0:
        chart = charts.ahr_chart(ahr, policy=report.policy, title="AHR estimate")
        return sized(chart, height=SMALL_CHART_HEIGHT)
    chart = charts.violations_timeline(
        v, ahr=ahr, policy=report.policy, title="Policy violations and the AHR estimate"
    )
    return sized(chart, height=SMALL_CHART_HEIGHT)


def policy_compliance(report: ReportContent) -> Fragment:
    """Policy Compliance: the AHR estimate, every violation and its chart."""
    chart = inline_chart(violations_chart(report))
    return fragment(
        violations(report).html + f'<div class="sh-charts"><div class="sh-chart sh-wide">'
        f"{chart}</div></div>"
    )


def low_volume(report: ReportContent) -> Fragment:
    """Why a rate over its target can 'could be chance', with the Wilson interval."""
    rows = today(report).filter(pl.col("status") == "bad_low_volume")
    z = report.policy.wilson_z
    general = (
        "With few orders one bad order moves a rate a lot. When a rate misses its target we "
        "ask how often a seller exactly at the limit would get that many bad orders; if "
        f"that happens {share(report.policy.alpha)} of the time or more, the status is "
        f"<b>{esc(STATUS_WORDS['bad_low_volume'])}</b>: over the target, but with too few "
        "orders to say you are really over the limit. It does not mean you can ignore it: "
        "Amazon may still act on the rate, and every bad order counts."
    )
    if rows.height == 0:
        return fragment(paragraphs(general, "None of your metrics is in this situation today."))
    texts = [general]
    for r in rows.iter_rows(named=True):
        texts.append(
            f"<b>{esc(metric_label(r['metric'], r['channel']))}</b>: {pct(r['rate'])} "
            f"({esc(counts(r['numerator'], r['denominator'], r['metric']))}), target "
            f"{target_text(r['condition'], r['target'])}. A seller exactly at the limit gets "
            f"this result {chance(r['p_value'])}. The {share(coverage(z))} Wilson "
            f"interval of your rate is {pct(r['ci_low'], 1)} to {pct(r['ci_high'], 1)} "
            f"(z = {z:.2f}): your true rate could be anywhere in it."
        )
    return fragment(paragraphs(*texts))


def freshness(report: ReportContent) -> Fragment:
    """The last event of each source the report knows, and how often Amazon refreshes it."""
    f = report.tables["freshness"]
    rows = [
        [
            esc(word(SOURCE_WORDS, r["source"])),
            stamp(r["last_event_at"]) if r["last_event_at"] else "no events",
            stamp(r["visible_at"]),
            f"every {r['cadence_minutes']} min" if r["cadence_minutes"] else "at once",
        ]
        for r in f.iter_rows(named=True)
    ]
    lead = (
        f"This report shows what was known at the end of {day(report.as_of)} (UTC). Amazon "
        "refreshes each source on a schedule; an event shows on the dashboard at the next "
        f"refresh after it happens{_late_event(report.policy.cadence_minutes['feedback'])}."
    )
    return fragment(
        paragraphs(lead)
        + table(["Source", "Last event known", "Visible from", "Refreshed"], rows)
        + paragraphs(f"Source of the numbers: {esc(report.source)}.", css="sh-note")
    )


_NO_REPORT = (
    "No Amazon report supplied for this seller. Put its Seller Performance report files "
    "(SP-API JSON, named after the seller) under <code>sp_api/</code> in the data folder, "
    "or give the batch a reconciliation table "
    "(<code>seller-health reports --reconciliation FILE</code>), to compare these numbers "
    "with Amazon's."
)


def reconciliation_table(report: ReportContent, *, limit: int = RECONCILIATION_ROWS) -> Fragment:
    """The reconciliation with Amazon's own report, when one was supplied."""
    r = report.reconciliation
    if r is None or r.height == 0:
        return fragment(paragraphs(_NO_REPORT))
    shown = r.drop("seller_id", "marketplace").head(limit)
    rows = [[esc(v) for v in row] for row in shown.iter_rows()]
    more = f" (first {limit} of {r.height} rows)" if r.height > limit else ""
    return fragment(
        paragraphs(
            "Amazon's numbers next to the ones recomputed here from your orders, over the "
            f"report's own windows{more}:"
        )
        + table(shown.columns, rows)
    )
