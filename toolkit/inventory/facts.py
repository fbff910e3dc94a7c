"""Per-SKU daily facts: what each IPI component is built from, for every as-of date.

For each SKU and as-of date D of a range, the units it had on D, the units it shipped over
the windows that end on D, the days it was in stock, and whether it counts (its first row
is on or before D - 90: Amazon leaves new ASINs out of the IPI for their first 90 days).

Histories never rescan windows per day. Window sums come from +1/-1 events: a row of date
t adds its units on as-of t and takes them away on t + L (:func:`toolkit.time.windows.daily_counts`),
so a window of L days at D covers ``D-L+1 .. D``. The on-hand snapshots of D, D-30, D-60
and D-90 come from one join: a row of date t is the snapshot of the as-of dates t, t+30,
t+60 and t+90. A date without a row counts 0 units everywhere: before its first row and
after its last row a SKU has nothing, and the validation (definitions section 8) makes sure there is no
gap in between.

Examples
--------
>>> from datetime import date
>>> import polars as pl
>>> from toolkit.model.policy import load_policy
>>> rows = pl.LazyFrame({
...     "date": pl.date_range(date(2025, 1, 1), date(2025, 4, 10), eager=True),
...     "seller_id": "S1", "marketplace": "US", "sku": "MUG", "asin": None,
...     "on_hand": 40, "available": 40, "stranded": 0, "shipped": 1, "excess": None,
...     "replenishable": True,
... })
>>> facts = sku_facts(rows, start=date(2025, 4, 1), end=date(2025, 4, 10),
...                   policy=load_policy().inventory)
>>> facts.filter(pl.col("as_of").is_in([date(2025, 4, 1), date(2025, 4, 10)])).select(
...     "as_of", "counted", "on_hand", "shipped_90d", "on_hand_snapshots", "days_in_stock_30d"
... ).sort("as_of").collect()
shape: (2, 6)
┌────────────┬─────────┬─────────┬─────────────┬───────────────────┬───────────────────┐
│ as_of      ┆ counted ┆ on_hand ┆ shipped_90d ┆ on_hand_snapshots ┆ days_in_stock_30d │
│ ---        ┆ ---     ┆ ---     ┆ ---         ┆ ---               ┆ ---               │
│ date       ┆ bool    ┆ i64     ┆ i64         ┆ i64               ┆ i64               │
╞════════════╪═════════╪═════════╪═════════════╪═══════════════════╪═══════════════════╡
│ 2025-04-01 ┆ true    ┆ 40      ┆ 90          ┆ 160               ┆ 30                │
│ 2025-04-10 ┆ true    ┆ 40      ┆ 90          ┆ 160               ┆ 30                │
└────────────┴─────────┴─────────┴─────────────┴───────────────────┴───────────────────┘
"""

from __future__ import annotations

from datetime import date

import polars as pl

from toolkit.model.policy import InventoryPolicy
from toolkit.time.windows import as_of_range, daily_counts

__all__ = ["FACT_COLUMNS", "SKU_KEYS", "sku_facts"]

#: The columns that identify a SKU.
SKU_KEYS = ["seller_id", "marketplace", "sku"]
#: The columns of :func:`sku_facts`, after the keys and ``as_of``.
FACT_COLUMNS = [
    "asin",
    "first_date",
    "counted",
    "on_hand",
    "available",
    "stranded",
    "excess_units",
    "shipped_90d",
    "on_hand_snapshots",
    "shipped_demand",
    "shipped_60d",
    "days_in_stock_30d",
    "replenishable",
    "in_stock_eligible",
]


def _window_sums(
    rows: pl.LazyFrame, *, start: date, end: date, days: int, values: dict[str, pl.Expr]
) -> pl.LazyFrame:
    """Sums of ``values`` over the rows dated ``D-days+1 .. D``, for each SKU and D.

    The one place this package uses the project's +1/-1 machinery: a row of date t counts
    on the as-of dates ``t <= D < t + days``.
    """
    records = rows.select(
        *SKU_KEYS,
        pl.col("date").alias("counts_from"),
        (pl.col("date") + pl.duration(days=days)).alias("clears_on"),
        *(value.cast(pl.Int64).alias(name) for name, value in values.items()),
    )
    weights = {name: pl.col(name) for name in values}
    return daily_counts(records, keys=SKU_KEYS, start=start, end=end, weights=weights)


def sku_facts(
    inventory: pl.LazyFrame, *, start: date, end: date, policy: InventoryPolicy
) -> pl.LazyFrame:
    """The facts of every SKU on every as-of date ``start .. end`` (both included).

    Parameters
    ----------
    inventory
        The ``inventory`` table (definitions section 11), typed and validated.
    start, end
        First and last as-of date.
    policy
        The ``[inventory]`` policy (window lengths, new-SKU days, excess demand).

    Returns
    -------
    pl.LazyFrame
        One row per SKU and as-of date D on which the SKU has a row on or before D and its
        last row is at most the longest window before D (a SKU whose rows all lie further
        back adds nothing to any component). Columns ``seller_id, marketplace, sku,
        as_of`` and :data:`FACT_COLUMNS`:

        - ``first_date``, ``counted`` (``first_date <= D - new_sku_days``);
        - ``on_hand``, ``available``, ``stranded`` on D (0 without a row on D);
        - ``excess_units``: the ``excess`` column on D where not null, else
          ``max(0, available - ceil(90 * shipped_demand / 30))``;
        - ``shipped_90d`` (``D-89 .. D``), ``shipped_demand`` (``D-29 .. D``),
          ``shipped_60d`` (``D-59 .. D``), ``days_in_stock_30d`` (days of ``D-29 .. D``
          with ``available > 0``);
        - ``on_hand_snapshots``: the sum of ``on_hand`` on D, D-30, D-60 and D-90;
        - ``replenishable``: the flag of the SKU's latest row on or before D;
        - ``in_stock_eligible``: replenishable and ``shipped_60d > 0``.

        (Window lengths are the policy's; the names are the definitions' defaults.)

    Raises
    ------
    ValueError
        ``end`` before ``start``.
    """
    as_of_range(start, end)
    rows = inventory.select(
        *SKU_KEYS,
        "date",
        "asin",
        "on_hand",
        "available",
        "stranded",
        "shipped",
        "excess",
        "replenishable",
    )
    lookback = max(
        policy.sell_through_days,
        policy.in_stock_sales_days,
        policy.in_stock_days,
        policy.excess_demand_days,
    )
    spans = rows.group_by(SKU_KEYS).agg(
        pl.col("date").min().alias("first_date"),
        pl.col("date").max().alias("_last"),
        pl.col("asin").sort_by("date").drop_nulls().last(),
        pl.col("replenishable").sort_by("date").last().alias("_last_replenishable"),
    )
    dates = pl.LazyFrame({"as_of": pl.date_range(start, end, eager=True)})
    grid = spans.join(dates, how="cross").filter(
        (pl.col("first_date") <= pl.col("as_of"))
        & (pl.col("_last") >= pl.col("as_of") - pl.duration(days=lookback))
    )
    windows: dict[int, dict[str, pl.Expr]] = {}
    windows.setdefault(policy.sell_through_days, {})["shipped_90d"] = pl.col("shipped")
    windows.setdefault(policy.excess_demand_days, {})["shipped_demand"] = pl.col("shipped")
    windows.setdefault(policy.in_stock_sales_days, {})["shipped_60d"] = pl.col("shipped")
    windows.setdefault(policy.in_stock_days, {})["days_in_stock_30d"] = pl.col("available") > 0
    step, count = policy.snapshot_step_days, policy.sell_through_days // policy.snapshot_step_days
    snapshots = (
        pl.concat(
            [
                rows.select(
                    *SKU_KEYS,
                    (pl.col("date") + pl.duration(days=k * step)).alias("as_of"),
                    "on_hand",
                )
                for k in range(count + 1)
            ]
        )
        .filter(pl.col("as_of").is_between(start, end))
        .group_by(*SKU_KEYS, "as_of")
        .agg(pl.col("on_hand").sum().alias("on_hand_snapshots"))
    )
    today = rows.filter(pl.col("date").is_between(start, end)).select(
        *SKU_KEYS,
        pl.col("date").alias("as_of"),
        "on_hand",
        "available",
        "stranded",
        pl.col("excess").alias("_excess"),
        pl.col("replenishable").alias("_replenishable"),
    )
    on = [*SKU_KEYS, "as_of"]
    frame = grid
    for length, values in windows.items():
        frame = frame.join(
            _window_sums(rows, start=start, end=end, days=length, values=values), on=on, how="left"
        )
    frame = frame.join(snapshots, on=on, how="left").join(today, on=on, how="left")
    counts = ["on_hand", "available", "stranded", "on_hand_snapshots"]
    counts += [name for values in windows.values() for name in values]
    supply, demand = policy.excess_supply_days, policy.excess_demand_days
    cover = (pl.col("shipped_demand") * supply + demand - 1) // demand  # ceil(supply * d)
    replenishable = pl.coalesce("_replenishable", "_last_replenishable")
    return (
        frame.with_columns(pl.col(counts).fill_null(0).cast(pl.Int64))
        .with_columns(
            counted=pl.col("first_date") <= pl.col("as_of") - pl.duration(days=policy.new_sku_days),
            excess_units=pl.coalesce(
                "_excess", (pl.col("available") - cover).clip(lower_bound=0)
            ).cast(pl.Int64),
            replenishable=replenishable,
            in_stock_eligible=replenishable & (pl.col("shipped_60d") > 0),
        )
        .select(*SKU_KEYS, "as_of", *FACT_COLUMNS)
    )
