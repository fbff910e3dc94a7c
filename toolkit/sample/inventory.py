"""FBA inventory of four personas, and the IPI scores they "saw" (private to the sample).

Each SKU is simulated day by day from its own demand (Poisson draws of one generator
stream, independent of the orders' streams, so the other tables stay as they were): units
sell while some are available; when no order is on the way and the units left fall below
``lead_days + reorder_days`` of demand, a replenishment order of ``cover_days`` of demand
is placed and arrives ``lead_days`` later. The stories change that on fixed dates:

- ``S05-fba``: healthy, four SKUs that rarely run out, and a travel mug launched on
  15 September 2026 (new: it does not count before 14 December);
- ``S06-violations``: the listings of two ASINs named in its violations are closed:
  ``B09X7W4RQP`` from 10 to 20 June 2026 (appeal accepted), ``B0BRQ8T5YN`` from 29 October
  2026 on (the authenticity complaint): their units are stranded, nothing sells;
- ``S08-business-invoices``: 1,200 notebooks arrive on 20 July 2026 for a season that does
  not come (excess, and a sell-through that falls below 1), and 25 desk organisers no
  longer sell at all; from 1 November the seller also downloads Amazon's excess estimate;
- ``S11-cancellations``: the stock sync that broke in October also stopped replenishment:
  no orders 1 August - 20 October 2026, the USB-C charger runs out until the order of
  21 October arrives; a cable reordered too late for its 25-day lead time runs out again
  and again; an EU adapter, marked not replenishable in August, leaves with a removal
  order on 31 August.

The observed IPI scores (``ipi_observed``) are made up: the toolkit's proxy with other
weights (:data:`OBSERVED_WEIGHTS`) plus a little noise, on four Mondays, so that
``seller-health inventory --calibrate`` has something to find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import polars as pl

from toolkit.model.schema import TABLES

__all__ = ["INVENTORY_PERSONAS", "OBSERVED_WEIGHTS", "inventory_frames"]

D = date

#: The weights behind the sample's observed scores (the calibration should find them).
OBSERVED_WEIGHTS = {
    "sell_through_90d": Fraction(30, 100),
    "excess_pct": Fraction(40, 100),
    "stranded_pct": Fraction(20, 100),
    "in_stock_rate_30d": Fraction(10, 100),
}
#: The Mondays the sellers noted their IPI.
OBSERVED_ON = (D(2026, 10, 19), D(2026, 10, 26), D(2026, 11, 2), D(2026, 11, 9))
_NOISE = 6


@dataclass(frozen=True)
class Sku:
    """One SKU of a persona and what happens to it."""

    sku: str
    asin: str
    rate: float  # mean units demanded per day
    cover_days: int = 40  # a replenishment order brings this many days of demand (0: none)
    initial: int | None = None  # units on the first day (default: cover_days of demand)
    lead_days: int = 10
    reorder_days: int = 12
    start: date | None = None  # first row (default: the first day of the sample)
    stop: date | None = None  # last row (default: the last day)
    unsellable: int = 1  # customer-damaged units kept in the fulfilment centre
    closed: tuple[tuple[date, date], ...] = ()  # listing closed: units stranded
    no_reorder: tuple[tuple[date, date], ...] = ()  # no replenishment order placed
    arrivals: tuple[tuple[date, int], ...] = ()  # extra shipments received
    not_replenishable_from: date | None = None
    excess_estimate_from: date | None = None  # Amazon's estimate known from this date


INVENTORY_PERSONAS: dict[str, tuple[Sku, ...]] = {
    "S05-fba": (
        Sku("MUG-BLUE-12", "B0C1MUG001", 1.3),
        Sku("MUG-RED-12", "B0C1MUG002", 0.9),
        Sku("LID-12", "B0C1LID001", 0.6, cover_days=45),
        Sku("COASTER-4", "B0C1CST004", 0.5, unsellable=0),
        Sku("TRAVEL-MUG-16", "B0C1TRV016", 0.8, start=D(2026, 9, 15)),
    ),
    "S06-violations": (
        Sku("VLT-5521", "B0BRQ8T5YN", 1.0, closed=((D(2026, 10, 29), D(2026, 12, 31)),)),
        Sku("VLT-3307", "B09X7W4RQP", 0.7, closed=((D(2026, 6, 10), D(2026, 6, 20)),)),
        Sku("VLT-1180", "B07Q2M9XKD", 0.5),
        Sku("VLT-4402", "B0D1PZ6M3T", 0.4, unsellable=0),
    ),
    "S08-business-invoices": (
        Sku(
            "NOTEBOOK-A5",
            "B0B2NTB0A5",
            1.0,
            arrivals=((D(2026, 7, 20), 1200),),
            excess_estimate_from=D(2026, 11, 1),
        ),
        Sku("PEN-SET-10", "B0B2PEN010", 0.8),
        Sku("BINDER-2IN", "B0B2BND002", 0.5, unsellable=2),
        Sku("DESK-ORGANIZER", "B0B2DSK001", 0.0, cover_days=0, initial=25),
    ),
    "S11-cancellations": (
        Sku("CHARGER-USB-C", "B0A9CHG065", 1.5,
            no_reorder=((D(2026, 8, 1), D(2026, 10, 20)),)),
        Sku("CABLE-2M", "B0A9CBL002", 1.0, cover_days=20, lead_days=25, reorder_days=-15),
        Sku("CASE-SLIM", "B0A9CSE001", 0.6),
        Sku("ADAPTER-EU", "B0A9ADP0EU", 0.4, stop=D(2026, 8, 31),
            not_replenishable_from=D(2026, 8, 1)),
    ),
}  # fmt: skip


def _simulate(
    rng: np.random.Generator, seller: str, spec: Sku, first: date, end: date
) -> dict[str, list]:
    """The rows of one SKU from its first to its last day (both within ``first .. end``)."""
    start = max(spec.start or first, first)
    stop = min(spec.stop or end, end)
    days = max((stop - start).days + 1, 0)
    demand = rng.poisson(spec.rate, size=days)
    stock = spec.initial if spec.initial is not None else round(spec.rate * spec.cover_days)
    pipeline: dict[date, int] = {}
    next_order = start
    for day, units in spec.arrivals:
        pipeline[day] = pipeline.get(day, 0) + units
    rows: dict[str, list] = {c: [] for c in ("date", "on_hand", "available", "stranded",
                                             "shipped", "excess", "replenishable")}  # fmt: skip
    for n in range(days):
        day = start + timedelta(days=n)
        stock += pipeline.pop(day, 0)
        closed = any(a <= day <= b for a, b in spec.closed)
        sold = 0 if closed else min(int(demand[n]), stock)
        stock -= sold
        removal = spec.stop is not None and day == spec.stop
        if removal:
            stock = 0  # a removal order takes every unit out on the last day
        replenishable = spec.not_replenishable_from is None or day < spec.not_replenishable_from
        ordering = replenishable and not any(a <= day <= b for a, b in spec.no_reorder)
        if (
            ordering
            and spec.cover_days
            and day >= next_order
            and stock < spec.rate * (spec.lead_days + spec.reorder_days)
        ):
            next_order = day + timedelta(days=spec.lead_days)  # one order on the way at most
            pipeline[next_order] = pipeline.get(next_order, 0) + round(spec.rate * spec.cover_days)
        stranded = stock if closed else 0
        estimate = None
        if spec.excess_estimate_from is not None and day >= spec.excess_estimate_from:
            estimate = max(0, stock - stranded - round(90 * spec.rate * 1.1))
        rows["date"].append(day)
        rows["on_hand"].append(stock + (0 if removal else spec.unsellable))
        rows["available"].append(stock - stranded)
        rows["stranded"].append(stranded)
        rows["shipped"].append(sold)
        rows["excess"].append(estimate)
        rows["replenishable"].append(replenishable)
    count = len(rows["date"])
    return {
        **rows,
        "seller_id": [seller] * count,
        "marketplace": ["US"] * count,
        "sku": [spec.sku] * count,
        "asin": [spec.asin] * count,
    }


def _schema(name: str) -> dict[str, pl.DataType]:
    kinds = {"str": pl.String(), "enum": pl.String(), "date": pl.Date(), "int": pl.Int64(),
             "bool": pl.Boolean()}  # fmt: skip
    return {c.name: kinds[c.kind] for c in TABLES[name].columns}


def inventory_frames(
    sellers: list[str], *, seed: int, first: date, end: date
) -> dict[str, pl.DataFrame]:
    """``inventory`` and ``ipi_observed`` of the inventory personas among ``sellers``."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0, 1))))
    parts = []
    for seller, skus in INVENTORY_PERSONAS.items():
        for spec in skus:
            rows = _simulate(rng, seller, spec, first, end)  # draws even when not kept
            if seller in sellers:
                parts.append(pl.DataFrame(rows, schema_overrides=_schema("inventory")))
    inventory = (
        pl.concat(parts).select(TABLES["inventory"].names)
        if parts
        else pl.DataFrame(schema=_schema("inventory"))
    )
    noise = rng.integers(-_NOISE, _NOISE + 1, size=(len(INVENTORY_PERSONAS), len(OBSERVED_ON)))
    observed = _observed(inventory, noise, first=first, end=end)
    return {"inventory": inventory, "ipi_observed": observed}


def _observed(inventory: pl.DataFrame, noise: np.ndarray, *, first: date, end: date):
    """The proxy with :data:`OBSERVED_WEIGHTS` on :data:`OBSERVED_ON`, plus ``noise``."""
    from toolkit.inventory import inventory_table
    from toolkit.model.data import dataset_from_frames

    dates = [day for day in OBSERVED_ON if first <= day <= end]
    if inventory.is_empty() or not dates:
        return pl.DataFrame(schema=_schema("ipi_observed"))
    data = dataset_from_frames(inventory=inventory, validate=False)
    proxies = (
        inventory_table(data, as_of=min(dates), to=max(dates), weights=OBSERVED_WEIGHTS)
        .filter(pl.col("as_of").is_in(dates), pl.col("ipi_proxy").is_not_null())
        .collect()
    )
    sellers = {s: i for i, s in enumerate(INVENTORY_PERSONAS)}
    shift = pl.Series(
        [
            int(noise[sellers[s], OBSERVED_ON.index(d)])
            for s, d in proxies.select("seller_id", "as_of").iter_rows()
        ],
        dtype=pl.Int64,
    )
    return proxies.select(
        "seller_id",
        "marketplace",
        pl.col("as_of").alias("date"),
        (pl.col("ipi_proxy") + shift).clip(0, 1000).alias("score"),
    ).sort("seller_id", "date")
