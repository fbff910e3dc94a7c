"""The inventory table (definitions section 11): IPI components, bands and the unofficial proxy.

:func:`inventory_table` gives one row per seller, marketplace and as-of date;
:func:`inventory_sku_table` the same columns per SKU, for drill-down, with what to do
about each SKU that holds excess or stranded units.

Examples
--------
Amazon's in-stock example: two replenishable SKUs that sold 2 and 3 units over the last 60
days, in stock 15 and 30 of the last 30 days, give (2 x 50 % + 3 x 100 %) / 5 = 80 %.

>>> from datetime import date, timedelta
>>> import polars as pl
>>> from toolkit.model.data import dataset_from_frames
>>> D = date(2025, 6, 30)
>>> days = [D - timedelta(days=n) for n in range(119, -1, -1)]   # D-119 .. D
>>> def sku(name, in_stock_until, sold_on):
...     units = [10 if d <= in_stock_until else 0 for d in days]
...     return pl.DataFrame({"date": days, "seller_id": "S1", "sku": name,
...         "on_hand": units, "available": units,
...         "shipped": [1 if d in sold_on else 0 for d in days]})
>>> a = sku("A", D - timedelta(days=15), {D - timedelta(days=20), D - timedelta(days=18)})
>>> b = sku("B", D, {D - timedelta(days=2), D - timedelta(days=1), D})
>>> orders = pl.DataFrame({"order_id": ["O"], "seller_id": ["S1"], "channel": ["afn"],
...                        "purchased_at": ["2025-06-01"]})
>>> data = dataset_from_frames(orders=orders, inventory=pl.concat([a, b]))
>>> inventory_table(data, as_of=D).select(
...     "in_stock_rate_30d", "in_stock_rate_30d_band", "sell_through_90d", "ipi_proxy"
... ).collect()
shape: (1, 4)
┌───────────────────┬────────────────────────┬──────────────────┬───────────┐
│ in_stock_rate_30d ┆ in_stock_rate_30d_band ┆ sell_through_90d ┆ ipi_proxy │
│ ---               ┆ ---                    ┆ ---              ┆ ---       │
│ f64               ┆ str                    ┆ f64              ┆ i64       │
╞═══════════════════╪════════════════════════╪══════════════════╪═══════════╡
│ 0.8               ┆ fair                   ┆ 0.285714         ┆ 583       │
└───────────────────┴────────────────────────┴──────────────────┴───────────┘
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fractions import Fraction

import polars as pl

from toolkit.inventory.facts import SKU_KEYS, sku_facts
from toolkit.inventory.scores import component_columns
from toolkit.model.data import Dataset
from toolkit.model.policy import INVENTORY_COMPONENTS, Policy, load_policy
from toolkit.time.windows import as_of_range

__all__ = ["ACTIONS", "SELLER_COLUMNS", "SKU_COLUMNS", "inventory_sku_table", "inventory_table"]

_SELLER = ["seller_id", "marketplace"]
_COMPONENTS = [c for component in INVENTORY_COMPONENTS for c in (component, f"{component}_band")]
#: Columns of :func:`inventory_table`.
SELLER_COLUMNS = [
    *_SELLER,
    "as_of",
    *_COMPONENTS,
    "ipi_proxy",
    "skus",
    "units_on_hand",
    "shipped_90d",
    "excess_units",
    "stranded_units",
]
#: Columns of :func:`inventory_sku_table`.
SKU_COLUMNS = [
    *SKU_KEYS,
    "asin",
    "as_of",
    "counted",
    *_COMPONENTS,
    "ipi_proxy",
    "units_on_hand",
    "shipped_90d",
    "excess_units",
    "stranded_units",
    "days_in_stock_30d",
    "in_stock_weight",
    "action",
]
#: What a seller can do about a SKU, in the order ``action`` picks the first that applies.
ACTIONS = {
    "fix_listing": "stranded units: fix or re-create the listing (or remove the units)",
    "create_removal_order": "excess units and no sale in 90 days: create a removal order",
    "reprice": "excess units that still sell: lower the price to sell through",
    "restock": "out of stock now and in the in-stock rate: send more units",
}

Weights = Mapping[str, Fraction]


def _facts(data: Dataset, as_of: date, to: date | None, policy: Policy) -> pl.LazyFrame:
    end = as_of_range(as_of, to)
    return sku_facts(data.inventory, start=as_of, end=end, policy=policy.inventory)


def inventory_table(
    data: Dataset,
    *,
    as_of: date,
    to: date | None = None,
    policy: Policy | None = None,
    weights: Weights | None = None,
    by_market: Mapping[str, Weights] | None = None,
) -> pl.LazyFrame:
    """The IPI components, their bands and the unofficial proxy, per seller and as-of date.

    Parameters
    ----------
    data
        The dataset; only ``inventory`` is read.
    as_of, to
        First and last as-of date (``to`` defaults to ``as_of``: one date).
    policy
        The ``[inventory]`` numbers; default the shipped policy.
    weights
        Proxy weights (component -> exact weight); default the policy's.
    by_market
        Marketplace -> weights for that marketplace (calibrated ones,
        :func:`toolkit.inventory.calibrate_proxy`).

    Returns
    -------
    pl.LazyFrame
        One row per (seller, marketplace) of ``inventory`` and as-of date, sorted by
        ``seller_id, marketplace, as_of``, with :data:`SELLER_COLUMNS`:
        ``sell_through_90d, excess_pct, stranded_pct, in_stock_rate_30d`` (fractions,
        null when the denominator is 0, when no SKU qualifies, or when the marketplace
        does not use the component), a ``<component>_band`` each (``excellent``,
        ``good``, ``fair``, ``poor``; ``info`` for the percentages, which have no band;
        ``no_data``; ``not_used``), ``ipi_proxy`` (Int64, **unofficial**), ``skus`` (SKUs
        counted on D: first row on or before D-90 and a row in the 90 days before D),
        ``units_on_hand``, ``shipped_90d``, ``excess_units`` and ``stranded_units`` (sums
        over those SKUs on D).

    Notes
    -----
    Components follow definitions section 11 to the day: sell-through = units shipped on ``D-89 .. D`` /
    the mean of ``on_hand`` on D, D-30, D-60 and D-90; excess and stranded = units / on
    hand, both on D; in-stock rate = the mean, weighted by each SKU's units shipped on
    ``D-59 .. D``, of its share of ``D-29 .. D`` with units available, over replenishable
    SKUs with such sales. A range of dates costs one pass (:func:`sku_facts`).
    """
    policy = policy or load_policy()
    facts = _facts(data, as_of, to, policy)
    snapshots = policy.inventory.sell_through_days // policy.inventory.snapshot_step_days + 1
    in_stock_days = policy.inventory.in_stock_days
    weight = pl.when(pl.col("in_stock_eligible")).then(pl.col("shipped_60d")).otherwise(0)
    counted = facts.filter(pl.col("counted"))
    dates = pl.LazyFrame({"as_of": pl.date_range(as_of, to or as_of, eager=True)})
    grid = data.inventory.select(_SELLER).unique().join(dates, how="cross")
    sums = counted.group_by(*_SELLER, "as_of").agg(
        pl.len().alias("skus"),
        pl.col("on_hand").sum().alias("units_on_hand"),
        pl.col("shipped_90d").sum(),
        pl.col("excess_units").sum(),
        pl.col("stranded").sum().alias("stranded_units"),
        pl.col("on_hand_snapshots").sum().alias("_st_d"),
        (weight * pl.col("days_in_stock_30d")).sum().alias("_is_n"),
        (weight.sum() * in_stock_days).alias("_is_d"),
    )
    totals = ["skus", "units_on_hand", "shipped_90d", "excess_units", "stranded_units"]
    return (
        grid.join(sums, on=[*_SELLER, "as_of"], how="left")
        .with_columns(pl.col(totals).fill_null(0).cast(pl.Int64))
        .with_columns(_st_n=pl.col("shipped_90d") * snapshots)
        .with_columns(component_columns(policy.inventory, weights=weights, by_market=by_market))
        .select(SELLER_COLUMNS)
        .sort(*_SELLER, "as_of")
    )  # fmt: skip


def inventory_sku_table(
    data: Dataset,
    *,
    as_of: date,
    to: date | None = None,
    policy: Policy | None = None,
    weights: Weights | None = None,
    by_market: Mapping[str, Weights] | None = None,
) -> pl.LazyFrame:
    """The same components per SKU (drill-down), with an ``action`` for each problem SKU.

    Parameters are those of :func:`inventory_table`.

    Returns
    -------
    pl.LazyFrame
        One row per SKU and as-of date D on which the SKU has a row in ``D-90 .. D`` (or
        earlier, on or before D), sorted by ``seller_id, marketplace, sku, as_of``, with
        :data:`SKU_COLUMNS`: the keys, ``asin`` (of the SKU's latest row that has one),
        ``counted`` (false for a SKU whose first row is after D-90: it is shown but does
        not count), the components and bands of the SKU alone (its in-stock rate is its
        days in stock / 30, null unless it is replenishable and sold in the last 60
        days), ``ipi_proxy`` of the SKU alone (unofficial), ``units_on_hand,
        shipped_90d, excess_units, stranded_units, days_in_stock_30d``,
        ``in_stock_weight`` (its weight in the seller's in-stock rate: units shipped in
        the last 60 days, 0 when not eligible) and ``action`` (a key of
        :data:`ACTIONS`, the first that applies, or null).
    """
    policy = policy or load_policy()
    facts = _facts(data, as_of, to, policy)
    snapshots = policy.inventory.sell_through_days // policy.inventory.snapshot_step_days + 1
    eligible = pl.col("in_stock_eligible")
    action = (
        pl.when(pl.col("stranded_units") > 0)
        .then(pl.lit("fix_listing"))
        .when((pl.col("excess_units") > 0) & (pl.col("shipped_90d") == 0))
        .then(pl.lit("create_removal_order"))
        .when(pl.col("excess_units") > 0)
        .then(pl.lit("reprice"))
        .when(eligible & (pl.col("available") == 0))
        .then(pl.lit("restock"))
    )
    return (
        facts.rename({"on_hand": "units_on_hand", "stranded": "stranded_units"})
        .with_columns(
            _st_n=pl.col("shipped_90d") * snapshots,
            _st_d=pl.col("on_hand_snapshots"),
            _is_n=pl.when(eligible).then(pl.col("days_in_stock_30d")),
            _is_d=pl.when(eligible).then(pl.lit(policy.inventory.in_stock_days, pl.Int64)),
            in_stock_weight=pl.when(eligible).then(pl.col("shipped_60d")).otherwise(0),
            action=action,
        )
        .with_columns(component_columns(policy.inventory, weights=weights, by_market=by_market))
        .select(SKU_COLUMNS)
        .sort(*SKU_KEYS, "as_of")
    )  # fmt: skip
