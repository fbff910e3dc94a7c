"""A deliberately naive reading of definitions section 11, one as-of date, seller and SKU at a time.

Plain Python over a list of row dicts, with ``datetime.date`` arithmetic and exact
``Fraction``s: every window is rescanned for every date, every sum is a loop. It shares no
code with :mod:`toolkit.inventory` except the policy object it reads its numbers from, so
that the fast tables can be checked against it on random data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction
from math import floor

from toolkit.model.policy import INVENTORY_COMPONENTS, InventoryPolicy


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _band(value: Fraction | None, edges) -> str:
    if value is None:
        return "no_data"
    for name, edge in edges:
        if value >= edge:
            return name
    return "poor"


def _sku_numbers(rows_by_date: dict[date, dict], first: date, day: date, p: InventoryPolicy):
    """The per-SKU numbers of definitions section 11 at as-of ``day``, by rescanning every window."""
    row = rows_by_date.get(day)

    def shipped(days: int) -> int:
        return sum(
            rows_by_date[d]["shipped"]
            for d in _days(day - timedelta(days=days - 1), day)
            if d in rows_by_date
        )

    snapshots = 0
    for k in range(p.sell_through_days // p.snapshot_step_days + 1):
        snap = rows_by_date.get(day - timedelta(days=k * p.snapshot_step_days))
        snapshots += snap["on_hand"] if snap else 0
    on_hand = row["on_hand"] if row else 0
    available = row["available"] if row else 0
    stranded = row["stranded"] if row else 0
    if row is not None and row["excess"] is not None:
        excess = row["excess"]
    else:
        demand = Fraction(shipped(p.excess_demand_days), p.excess_demand_days)
        cover = p.excess_supply_days * demand
        excess = max(0, available - (floor(cover) if cover == floor(cover) else floor(cover) + 1))
    latest = max(d for d in rows_by_date if d <= day)
    replenishable = rows_by_date[latest]["replenishable"]
    in_stock_days = sum(
        1
        for d in _days(day - timedelta(days=p.in_stock_days - 1), day)
        if d in rows_by_date and rows_by_date[d]["available"] > 0
    )
    weight = shipped(p.in_stock_sales_days)
    return {
        "counted": first <= day - timedelta(days=p.new_sku_days),
        "on_hand": on_hand,
        "stranded": stranded,
        "excess": excess,
        "shipped_90d": shipped(p.sell_through_days),
        "snapshots": snapshots,
        "in_stock_days": in_stock_days,
        "weight": weight if replenishable and weight > 0 else 0,
        "eligible": bool(replenishable and weight > 0),
    }


def naive_inventory(rows: list[dict], *, start: date, end: date, policy: InventoryPolicy):
    """Seller rows of the inventory table for every as-of date ``start .. end``."""
    p = policy
    by_sku: dict[tuple, dict[date, dict]] = defaultdict(dict)
    for row in rows:
        by_sku[(row["seller_id"], row["marketplace"], row["sku"])][row["date"]] = row
    sellers = sorted({key[:2] for key in by_sku})
    lookback = max(
        p.sell_through_days, p.in_stock_sales_days, p.in_stock_days, p.excess_demand_days
    )
    out = []
    for seller, market in sellers:
        used = p.components_for(market)
        for day in _days(start, end):
            skus = 0
            totals = defaultdict(int)
            weighted_days = 0
            for key, rows_by_date in sorted(by_sku.items()):
                if key[:2] != (seller, market):
                    continue
                first, last = min(rows_by_date), max(rows_by_date)
                if first > day or last < day - timedelta(days=lookback):
                    continue
                numbers = _sku_numbers(rows_by_date, first, day, p)
                if not numbers["counted"]:
                    continue
                skus += 1
                for name in ("on_hand", "stranded", "excess", "shipped_90d", "snapshots", "weight"):
                    totals[name] += numbers[name]
                weighted_days += numbers["weight"] * numbers["in_stock_days"]
            m = p.sell_through_days // p.snapshot_step_days + 1
            values: dict[str, Fraction | None] = {
                "sell_through_90d": Fraction(m * totals["shipped_90d"], totals["snapshots"])
                if totals["snapshots"]
                else None,
                "excess_pct": Fraction(totals["excess"], totals["on_hand"])
                if totals["on_hand"]
                else None,
                "stranded_pct": Fraction(totals["stranded"], totals["on_hand"])
                if totals["on_hand"]
                else None,
                "in_stock_rate_30d": Fraction(weighted_days, p.in_stock_days * totals["weight"])
                if totals["weight"]
                else None,
            }
            bands = {}
            for c in INVENTORY_COMPONENTS:
                if c not in used:
                    values[c], bands[c] = None, "not_used"
                elif c in p.bands:
                    bands[c] = _band(values[c], p.bands[c])
                else:
                    bands[c] = "no_data" if values[c] is None else "info"
            scores = {}
            if values["sell_through_90d"] is not None:
                scores["sell_through_90d"] = min(
                    values["sell_through_90d"] / p.proxy_scales["sell_through_90d"], Fraction(1)
                )
            for c in ("excess_pct", "stranded_pct"):
                if values[c] is not None:
                    scores[c] = max(Fraction(0), 1 - values[c] / p.proxy_scales[c])
            if values["in_stock_rate_30d"] is not None:
                scores["in_stock_rate_30d"] = values["in_stock_rate_30d"]
            weight = sum(p.weights[c] for c in scores)
            proxy = (
                floor(
                    1000 * sum(p.weights[c] * s for c, s in scores.items()) / weight
                    + Fraction(1, 2)
                )
                if weight
                else None
            )
            out.append(
                {
                    "seller_id": seller,
                    "marketplace": market,
                    "as_of": day,
                    **{
                        c: None if values[c] is None else float(values[c])
                        for c in INVENTORY_COMPONENTS
                    },
                    **{f"{c}_band": bands[c] for c in INVENTORY_COMPONENTS},
                    "ipi_proxy": proxy,
                    "skus": skus,
                    "units_on_hand": totals["on_hand"],
                    "shipped_90d": totals["shipped_90d"],
                    "excess_units": totals["excess"],
                    "stranded_units": totals["stranded"],
                }
            )
    return out
