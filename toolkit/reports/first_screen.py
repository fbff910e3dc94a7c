"""The first screen of a seller's report: what is wrong, what to do now, what clears by itself.

:func:`headline` answers a seller's three questions before anything else:

1. **What is wrong**: every metric with a target that misses it (with its counts, why
   "could be chance" when it may be, and when it is back on target if nothing new goes
   wrong), and the AHR estimate when it is not healthy (with the violation whose
   addressing would restore it).
2. **What you can do now**: the actions of definitions section 10, passed deadlines first, then by
   deadline, then the ones without one; each with where in Seller Central and what
   clearing the record would change.
3. **Nothing to do**: the records that clear by themselves, per metric, with the next
   and the last date.

Every sentence is computed from the same tables as the panels below (the metrics, the
clearance table of every metric, the actions), so none can contradict another: a page
says "nothing counts against you" only when no record counts.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit.model.policy import COMPONENTS
from toolkit.model.vocabulary import (
    ACTION_WORDS,
    BAND_WORDS,
    ELIGIBILITY_WORDS,
    METRIC_NAMES,
    TARGET_MISSED,
    defect_words,
    metric_words,
    word,
)
from toolkit.reports.content import ReportContent, actions, recovery, today
from toolkit.reports.settings import ACTIONS_LISTED
from toolkit.reports.text import (
    Fragment,
    band_chip,
    chance,
    chip,
    counts,
    day,
    esc,
    fragment,
    pct,
    plural,
    share,
    target_text,
    when,
)

__all__ = ["action_line", "headline", "record_name"]


def record_name(row: dict[str, Any]) -> str:
    """``Late shipment, order O1``, ``A-to-z Guarantee claim C1 (order O3)``, ``... V1``."""
    what = defect_words(row["defect_type"])
    if row["order_id"] is None:
        return f"{what} {row['record_id']}"
    if row["record_id"] == row["order_id"]:
        return f"{what}, order {row['order_id']}"
    return f"{what} {row['record_id']} (order {row['order_id']})"


def _back(row: dict[str, Any], horizon: int) -> str:
    if row["recovery_date"] is None:
        return f"It does not get back on target within {horizon} days without new good orders."
    return f"If nothing new goes wrong it is back on target on <b>{day(row['recovery_date'])}</b>."


def _wrong(report: ReportContent) -> list[str]:
    """One line per metric over its target, and one for an AHR estimate that is not healthy."""
    policy, s = report.policy, report.summary
    missed = today(report).filter(pl.col("status").is_in(TARGET_MISSED), ~pl.col("informational"))
    missed = missed.join(recovery(report), on=["channel", "metric"], how="left")
    lines = []
    for row in missed.iter_rows(named=True):
        line = (
            f"<b>{esc(metric_words(row['metric'], row['channel']))}</b> is "
            f"{pct(row['rate'])} ({counts(row['numerator'], row['denominator'], row['metric'])}"
            f"), target {target_text(row['condition'], row['target'])}: "
            f"{chip(row['status'])}. "
        )
        if row["status"] == "bad_low_volume":
            line += (
                f"With this few orders a seller exactly at the limit gets this many bad "
                f"ones {chance(row['p_value'])}: it could be chance, but Amazon may still act "
                "on it. "
            )
        lines.append(line + _back(row, policy.horizon_days))
    if s["band"] in ("at_risk", "critical"):
        lines.append(_ahr_line(report))
    return lines


def _ahr_line(report: ReportContent) -> str:
    """The AHR estimate, the violations costing points, and what addressing one restores."""
    s = report.summary
    violations = report.tables["violations"]
    costing = violations.filter(pl.col("points_at_as_of") > 0)
    points = int(costing["points_at_as_of"].sum())
    critical = violations.filter(
        pl.col("severity") == "critical",
        pl.col("costs_points_until").is_not_null(),
        pl.col("costs_points_until") >= report.as_of,
    )
    parts = []
    if critical.height:
        one = critical.height == 1
        parts.append(
            f"{plural(critical.height, 'critical violation')} hold{'s' if one else ''} it at "
            f"{report.policy.ahr['minimum']}"
        )
    if costing.height:
        one = costing.height == 1
        parts.append(
            f"{plural(costing.height, 'violation')} cost{'s' if one else ''} "
            f"{plural(points, 'point')}"
        )
    line = (
        f"<b>Account Health Rating estimate {s['ahr_estimate']}</b> {band_chip(s['band'])}: "
        f"{'; '.join(parts) or 'no violation costs points today'}."
    )
    fixes = (
        actions(report)
        .filter(pl.col("ahr_if_addressed").is_not_null())
        .sort("ahr_if_addressed", "record_id", descending=[True, False])
    )
    if fixes.height:
        best = fixes.row(0, named=True)
        band = _band_of(report, best["ahr_if_addressed"])
        line += (
            f" Addressing {esc(record_name(best))} alone would bring the estimate to "
            f"<b>{best['ahr_if_addressed']}</b> ({esc(BAND_WORDS[band].lower())})."
        )
    return line


def _band_of(report: ReportContent, score: int) -> str:
    cfg = report.policy.ahr
    if score >= cfg["healthy_from"]:
        return "healthy"
    return "at_risk" if score >= cfg["at_risk_from"] else "critical"


def _effect(row: dict[str, Any]) -> str:
    """What clearing the record alone would change (definitions section 10 what-if)."""
    if row["ahr_if_addressed"] is not None:
        return f"addressing it: AHR estimate {row['ahr_if_addressed']}"
    if row["rate_if_cleared"] is None or row["rate_now"] is None:
        return ""
    back = " (back on target)" if row["meets_target_if_cleared"] else ""
    rated = (
        "odr" if row["metric"] in COMPONENTS else row["metric"]
    )  # definitions section 10: rate_now
    name = METRIC_NAMES.get(rated, rated)
    return f"clearing it alone: {name} {pct(row['rate_now'])} → {pct(row['rate_if_cleared'])}{back}"


def action_line(row: dict[str, Any]) -> str:
    """One action as a list item's HTML: what, by when, where, and what it would change."""
    what = f"<b>{esc(word(ACTION_WORDS, row['action']))}</b>: {esc(record_name(row))}"
    if row["deadline"] is not None and row["overdue"]:
        by = f"<span class='sh-overdue'>deadline passed {esc(when(row['deadline']))}</span>"
    elif row["deadline"] is not None:
        by = f"by <b>{esc(when(row['deadline']))}</b>"
    else:
        by = "no deadline"
    parts = [what, by]
    if row["where"]:
        parts.append(f"Seller Central &gt; {esc(row['where'])}")
    if row["eligibility"] in ("likely", "check"):
        parts.append(esc(word(ELIGIBILITY_WORDS, row["eligibility"])))
    effect = _effect(row)
    if effect:
        parts.append(esc(effect))
    return " · ".join(parts)


def _todo(report: ReportContent) -> str:
    """The actions with something to do: passed deadlines, deadlines, then the rest."""
    todo = actions(report).filter(pl.col("action") != "wait")
    if todo.height == 0:
        return "<p>Nothing needs doing: no record has an action Amazon offers today.</p>"
    dated = todo.filter(pl.col("deadline").is_not_null())
    listed = dated.head(ACTIONS_LISTED)
    items = [f"<li>{action_line(r)}</li>" for r in listed.iter_rows(named=True)]
    if dated.height > listed.height:
        later = dated.slice(listed.height)
        items.append(
            f"<li>and {plural(later.height, 'more action')} with a deadline, the next by "
            f"{esc(when(later['deadline'][0]))} (all are in the tables below and in the "
            "files to download)</li>"
        )
    undated = todo.filter(pl.col("deadline").is_null())
    for (action, metric), group in undated.group_by(["action", "metric"], maintain_order=True):
        ids = group["record_id"].head(5).to_list()
        more = f" and {group.height - len(ids)} more" if group.height > len(ids) else ""
        where = group["where"][0]
        items.append(
            f"<li><b>{esc(word(ACTION_WORDS, action))}</b> "
            f"({esc(METRIC_NAMES.get(metric, metric))}): "
            f"{plural(group.height, 'record')}, {esc(', '.join(ids))}{more} · no deadline"
            + (f" · Seller Central &gt; {esc(where)}" if where else "")
            + "</li>"
        )
    passed = int(todo["overdue"].sum())
    others = " Act on the others first." if todo.height > passed else ""
    lead = (
        f"<p><span class='sh-overdue'>{plural(passed, 'deadline')} passed:</span> Amazon may "
        f"no longer accept {'it' if passed == 1 else 'these'}.{others}</p>"
        if passed
        else ""
    )
    return lead + "<ul>" + "".join(items) + "</ul>"


def _by_themselves(report: ReportContent) -> str:
    """Per metric: the records that clear by themselves, the next and last dates."""
    waiting = actions(report).filter(pl.col("action") == "wait")
    if waiting.height == 0:
        return ""
    groups = (
        waiting.group_by("record_metric", "defect_type")
        .agg(
            n=pl.len(),
            first=pl.col("clears_on").min(),
            last=pl.col("clears_on").max(),
        )
        .sort("first", "record_metric", "defect_type")
    )
    items = []
    for g in groups.iter_rows(named=True):
        what = defect_words(g["defect_type"])
        dates = (
            f"clears on <b>{day(g['first'])}</b>"
            if g["first"] == g["last"]
            else f"the next clears on <b>{day(g['first'])}</b>, the last on <b>{day(g['last'])}</b>"
        )
        items.append(
            f"<li>{esc(what)} × {g['n']:,} "
            f"<span class='sh-note'>({esc(METRIC_NAMES.get(g['record_metric'], ''))})</span>: "
            f"{dates}</li>"
        )
    return (
        "<h3>Nothing to do: these clear by themselves</h3>"
        "<p>You cannot delete these records, and you do not need to: each stops counting "
        "on the date shown.</p><ul>" + "".join(items) + "</ul>"
    )


def _downloads(report: ReportContent) -> str:
    links = []
    if report.files.get("actions"):
        links.append(f'<a href="{esc(report.files["actions"])}">actions (CSV)</a>')
    if report.files.get("calendar"):
        links.append(
            f'<a href="{esc(report.files["calendar"])}">clearing dates and deadlines '
            "(calendar, .ics)</a>"
        )
    return f" · Download: {' · '.join(links)}" if links else ""


def _chips(report: ReportContent) -> str:
    s = report.summary
    shown = [f"Metrics {chip(s['status'])}", f"AHR estimate {band_chip(s['band'])}"]
    if s["overdue_actions"]:
        shown.append(chip("overdue", f"{plural(s['overdue_actions'], 'deadline')} passed"))
    return " &nbsp; ".join(f"<span class='sh-nowrap'>{part}</span>" for part in shown)


def headline(report: ReportContent) -> Fragment:
    """The first screen: what is wrong, what you can do now, what clears by itself."""
    policy = report.policy
    wrong = _wrong(report)
    watch = today(report).filter(pl.col("status") == "watch", ~pl.col("informational"))
    counting = report.tables["clearance"].filter(pl.col("counting"))
    if wrong:
        wrong_html = "<ul>" + "".join(f"<li>{line}</li>" for line in wrong) + "</ul>"
    elif counting.height:
        wrong_html = (
            "<p>Every metric with a target meets it and the AHR estimate is healthy; "
            f"{plural(counting.height, 'record')} still count{'s' if counting.height == 1 else ''}"
            " against you (below).</p>"
        )
    else:
        wrong_html = (
            "<p>Nothing: every metric with a target meets it, the AHR estimate is healthy "
            "and no record counts against you.</p>"
        )
    if watch.height:
        names = ", ".join(
            f"{esc(metric_words(r['metric'], r['channel']))} ({pct(r['rate'])})"
            for r in watch.iter_rows(named=True)
        )
        wrong_html += (
            f"<p>{chip('watch')} On target, but within {share(policy.watch_fraction)} of the "
            f"limit: {names}.</p>"
        )
    title = f"{report.seller_id} · {report.marketplace}"
    body = (
        f"<h1>{esc(title)}</h1>"
        f"<p class='sh-note'>Account health as of the end of {day(report.as_of)} (UTC) · "
        f"policy {esc(policy.name)}{_downloads(report)}</p>"
        f"<div class='sh-box'><p class='sh-big'>{_chips(report)}</p>"
        f"<h3>What is wrong</h3>{wrong_html}"
        f"<h3>What you can do now</h3>{_todo(report)}"
        f"{_by_themselves(report)}"
        "</div>"
    )
    return fragment(body)
