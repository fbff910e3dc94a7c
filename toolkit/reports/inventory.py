"""The Inventory performance section of a seller report: FBA, the IPI (private).

For a seller with FBA inventory data: the unofficial IPI estimate (always labelled so),
the four components Amazon shows with their bars in words, the next weekly evaluation and
the checkpoint of the next storage or capacity period with what it depends on, and the
SKUs that hold excess or stranded units, most units first, each with what to do and where
in Seller Central. A seller without inventory data gets one line that says so and no
number. Every number of a rule is the report's policy's (``[inventory]``).
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import polars as pl

from toolkit.inventory.periods import next_evaluation
from toolkit.model.policy import INVENTORY_COMPONENTS, InventoryPolicy
from toolkit.model.vocabulary import (
    INVENTORY_ACTION_WORDS,
    INVENTORY_BAND_WORDS,
    INVENTORY_COMPONENT_NAMES,
    INVENTORY_WHERE,
    IPI_PROXY_LABEL,
    LIMIT_RISK_WORDS,
    word,
)
from toolkit.reports.content import ReportContent
from toolkit.reports.settings import INVENTORY_SKUS_SHOWN
from toolkit.reports.text import (
    Fragment,
    chip,
    day,
    esc,
    fragment,
    paragraphs,
    pct,
    plural,
    share,
    table,
)
from toolkit.time.limits import LAST_DATE

__all__ = ["NO_INVENTORY", "inventory_performance"]

#: The one line of a seller without FBA inventory data: no number, nothing pretended.
NO_INVENTORY = (
    "No FBA inventory data for this seller, so no inventory performance to show. Amazon's "
    "Inventory Performance Index covers units stored in its fulfilment centres; add the "
    "seller's inventory file to the data folder to see it here."
)
#: The colour of each band's chip (the status colours: a bar in words, never colour alone).
_BAND_COLOUR = {
    "excellent": "good",
    "good": "good",
    "fair": "watch",
    "poor": "bad",
    "info": "info",
    "no_data": "no_data",
    "not_used": "no_data",
}
#: The actions of the SKU table: the ones about excess and stranded units.
_UNIT_ACTIONS = ("fix_listing", "create_removal_order", "reprice")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _band(code: str | None) -> str:
    code = code or "no_data"
    return chip(_BAND_COLOUR.get(code, "no_data"), word(INVENTORY_BAND_WORDS, code))


def _value(component: str, value: float | None) -> str:
    if value is None:
        return "no data"
    if component == "sell_through_90d":
        return f"{value:.2f}"
    return pct(value, 1)


def _basis(component: str, row: dict, policy: InventoryPolicy) -> str:
    """What the component is made of, in words with the seller's counts."""
    on_hand = plural(row["units_on_hand"], "unit")
    step = policy.snapshot_step_days
    snapshots = ", ".join(str(step * k) for k in range(1, policy.sell_through_days // step))
    if component == "sell_through_90d":
        return (
            f"{plural(row['shipped_90d'], 'unit')} shipped in the last "
            f"{policy.sell_through_days} days, over the average units on hand today and "
            f"{snapshots} and {policy.sell_through_days} days ago"
        )
    if component == "excess_pct":
        return (
            f"{row['excess_units']:,} of {on_hand} on hand are more than "
            f"{policy.excess_supply_days} days of supply"
        )
    if component == "stranded_pct":
        return f"{row['stranded_units']:,} of {on_hand} on hand have no active offer"
    return (
        f"days with units available over the last {policy.in_stock_days} days, weighted by "
        f"each SKU's units shipped over the last {policy.in_stock_sales_days} days "
        "(replenishable SKUs that sold)"
    )


def _weights(policy: InventoryPolicy) -> str:
    names = {
        "sell_through_90d": "sell-through",
        "excess_pct": "excess",
        "stranded_pct": "stranded",
        "in_stock_rate_30d": "in-stock",
    }
    return ", ".join(
        f"{names[c]} {share(Fraction(policy.weights[c]))}"
        for c in INVENTORY_COMPONENTS
        if c in policy.weights
    )


def _headline(row: dict, report: ReportContent) -> str:
    inv = report.policy.inventory
    proxy = row["ipi_proxy"]
    number = f"<b>{proxy}</b> of 1000" if proxy is not None else "<b>no estimate</b> (no data)"
    return (
        f"<span class='sh-big'>{esc(IPI_PROXY_LABEL)}: {number}</span><br>"
        "<span class='sh-note'>Amazon shows its Inventory Performance Index (0 to 1000) on "
        "the dashboard and publishes no formula for it. This estimate is this report's own "
        f"weighting of the four components below ({esc(_weights(inv))}); it is not "
        "Amazon's score. The components are computed as Amazon defines them, over "
        f"{plural(row['skus'], 'SKU')} with {plural(row['units_on_hand'], 'unit')} on hand "
        f"(a SKU counts once it is {inv.new_sku_days} days old).</span>"
    )


def _components(row: dict, report: ReportContent) -> str:
    inv = report.policy.inventory
    rows = [
        [
            esc(INVENTORY_COMPONENT_NAMES[c]),
            _value(c, row[c]),
            _band(row[f"{c}_band"]),
            esc(_basis(c, row, inv)),
        ]
        for c in INVENTORY_COMPONENTS
    ]
    return table(["Component", "Value", "Amazon's bar", "Made of"], rows, numeric=[1])


def _period(row: dict) -> str:
    kind = "quarter" if row["period_kind"] == "quarter" else "month"
    return f"the {kind} {day(row['period_start'])} – {day(row['period_end'])}"


def _evaluation(report: ReportContent) -> str:
    inv = report.policy.inventory
    following = next_evaluation(report.as_of, inv)
    when = (
        f"on <b>{day(following)}</b> ({_WEEKDAYS[inv.ipi_weekday]})"
        if following is not None
        else f"after {day(LAST_DATE)}, the last date this report can handle"
    )
    texts = [f"Amazon recomputes the IPI every week; the next evaluation is {when}."]
    periods = report.tables["inventory_periods"].sort("period_start")
    current = periods.filter(
        pl.col("period_start") <= report.as_of, pl.col("period_end") >= report.as_of
    )
    upcoming = periods.filter(pl.col("period_start") > report.as_of)
    for r in current.head(1).iter_rows(named=True):
        proxy = f"{r['ipi_proxy']}" if r["ipi_proxy"] is not None else "no estimate"
        threshold = f" against {r['threshold']}" if r["threshold"] is not None else ""
        texts.append(
            f"Storage and capacity limits for {esc(_period(r))} were decided at the checkpoint "
            f"of {day(r['checkpoint'])}: {esc(IPI_PROXY_LABEL)} {proxy}{threshold}, "
            f"{esc(word(LIMIT_RISK_WORDS, r['limit_risk']))}."
        )
    for r in upcoming.head(1).iter_rows(named=True):
        texts.append(
            f"The limits for {esc(_period(r))} are decided at its checkpoint on "
            f"<b>{day(r['checkpoint'])}</b>. They depend only on the components on that day: "
            f"the units shipped in the {inv.sell_through_days} days before it, the units on "
            "hand that day and at the earlier snapshots, the excess and stranded units that "
            f"day, and the days in stock over the {inv.in_stock_days} days before it. Nothing "
            "from earlier periods carries over: that is why inventory performance is said to "
            f"clear every three months{_history(report)}."
        )
    return paragraphs(*texts)


def _history(report: ReportContent) -> str:
    """`` (quarterly storage limits until 28 Feb 2023, monthly capacity limits since)``."""
    rows = report.policy.inventory.periods_for(report.marketplace)
    months = [since for since, kind in rows if kind == "month"]
    if not months or not any(kind == "quarter" for _, kind in rows):
        return ""
    return (
        f" (quarterly storage limits until {day(months[0] - timedelta(days=1))}, monthly "
        "capacity limits since)"
    )


def _unit(n: int) -> str:
    return f"{n:,}" if n else "–"


def _skus(report: ReportContent, *, limit: int) -> str:
    skus = report.tables["inventory_skus"]
    units = skus.filter(pl.col("action").is_in(_UNIT_ACTIONS))
    texts = []
    if units.height == 0:
        texts.append(paragraphs("No SKU holds excess or stranded units today."))
    else:
        shown = units.head(limit)
        more = (
            f" (the {limit} with the most units of {units.height})" if units.height > limit else ""
        )
        rows = [
            [
                esc(r["sku"])
                + (f"<br><span class='sh-note'>{esc(r['asin'])}</span>" if r["asin"] else ""),
                f"{r['units_on_hand']:,}",
                _unit(r["excess_units"]),
                _unit(r["stranded_units"]),
                f"{r['shipped_90d']:,}",
                f"<b>{esc(word(INVENTORY_ACTION_WORDS, r['action']))}</b>",
                esc(word(INVENTORY_WHERE, r["action"])),
            ]
            for r in shown.iter_rows(named=True)
        ]
        headers = [
            "SKU",
            "Units on hand",
            "Excess units",
            "Stranded units",
            f"Shipped in {report.policy.inventory.sell_through_days} days",
            "What to do",
            "Where in Seller Central",
        ]
        texts.append(
            paragraphs(f"The SKUs that hold excess or stranded units, most units first{more}:")
            + table(headers, rows, numeric=[1, 2, 3, 4], text_columns=[6])
        )
    out = skus.filter(pl.col("action") == "restock").sort("sku")
    if out.height:
        names = ", ".join(esc(s) for s in out["sku"].head(limit).to_list())
        rest = f" and {out.height - limit} more" if out.height > limit else ""
        texts.append(
            paragraphs(
                f"Out of stock today and counted in the in-stock rate: {names}{rest}. "
                f"<b>{esc(INVENTORY_ACTION_WORDS['restock'])}</b>"
                f"<span class='sh-note'> · {esc(INVENTORY_WHERE['restock'])}</span>"
            )
        )
    return "".join(texts)


def inventory_performance(report: ReportContent, *, limit: int = INVENTORY_SKUS_SHOWN) -> Fragment:
    """Inventory performance (FBA): the IPI estimate, its components, periods and SKUs.

    A seller without FBA inventory data on the report date gets :data:`NO_INVENTORY` and
    no number. ``limit`` bounds the SKUs listed (most excess and stranded units first).
    """
    now = report.tables["inventory"].filter(pl.col("as_of") == report.as_of)
    if now.height == 0:
        return fragment(paragraphs(NO_INVENTORY))
    row = now.row(0, named=True)
    return fragment(
        f"<div class='sh-box'>{_headline(row, report)}</div>"
        + _components(row, report)
        + _evaluation(report)
        + _skus(report, limit=limit)
    )
