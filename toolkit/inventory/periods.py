"""Evaluation periods: why inventory performance "is cleared every three months" (definitions section 11).

Amazon evaluates the IPI weekly (policy ``ipi_weekday``). From 2018 to February 2023 it
set each quarter's storage limits from the score at a checkpoint before the quarter; since
2023-03-01 it sets capacity limits monthly. Each period's checkpoint is the last
evaluation day at least ``checkpoint_lead_days`` before the period starts, and a period's
result depends only on the components at its checkpoint: a bad quarter does not carry
over, the next checkpoint looks only at the recent months again.

The calendar comes from the policy alone (``periods``: the kind of period from each date
per marketplace; ``thresholds``: the threshold in force from each date), so it is built in
Python, a few rows per period; the seller data enter only through the proxy at each
checkpoint.

Examples
--------
>>> from datetime import date
>>> from toolkit.model.policy import load_policy
>>> evaluation_calendar(load_policy().inventory, marketplaces=["US"],
...                     start=date(2022, 12, 1), end=date(2023, 3, 10))
shape: (4, 6)
┌─────────────┬─────────────┬──────────────┬────────────┬────────────┬───────────┐
│ marketplace ┆ period_kind ┆ period_start ┆ period_end ┆ checkpoint ┆ threshold │
│ ---         ┆ ---         ┆ ---          ┆ ---        ┆ ---        ┆ ---       │
│ str         ┆ str         ┆ date         ┆ date       ┆ date       ┆ i64       │
╞═════════════╪═════════════╪══════════════╪════════════╪════════════╪═══════════╡
│ US          ┆ quarter     ┆ 2022-10-01   ┆ 2022-12-31 ┆ 2022-09-12 ┆ 400       │
│ US          ┆ quarter     ┆ 2023-01-01   ┆ 2023-02-28 ┆ 2022-12-12 ┆ 400       │
│ US          ┆ month       ┆ 2023-03-01   ┆ 2023-03-31 ┆ 2023-02-13 ┆ null      │
│ US          ┆ month       ┆ 2023-04-01   ┆ 2023-04-30 ┆ 2023-03-13 ┆ null      │
└─────────────┴─────────────┴──────────────┴────────────┴────────────┴───────────┘

The first quarter of 2023 ends on 28 February, when monthly capacity limits begin.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from fractions import Fraction

import polars as pl

from toolkit.inventory.tables import inventory_table
from toolkit.model.data import Dataset
from toolkit.model.policy import InventoryPolicy, Policy, load_policy
from toolkit.time.limits import shift
from toolkit.time.windows import as_of_range

__all__ = [
    "LIMIT_RISKS",
    "PERIOD_COLUMNS",
    "evaluation_calendar",
    "inventory_periods",
    "next_evaluation",
]

#: ``limit_risk`` values: below the threshold, at or above it, no published threshold (or
#: no proxy at the checkpoint), and a checkpoint after the last as-of date.
LIMIT_RISKS = ("at_risk", "ok", "unknown", "pending")
#: Columns of :func:`inventory_periods`.
PERIOD_COLUMNS = [
    "seller_id",
    "marketplace",
    "period_kind",
    "period_start",
    "period_end",
    "checkpoint",
    "decided",
    "ipi_proxy",
    "threshold",
    "limit_risk",
]

_SCHEMA = {
    "marketplace": pl.String,
    "period_kind": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "checkpoint": pl.Date,
    "threshold": pl.Int64,
}


def _calendar_end(day: date, kind: str) -> date:
    """Last day of the calendar month or quarter that holds ``day``."""
    months = 3 if kind == "quarter" else 1
    last_month = (day.month - 1) // months * months + months
    if last_month == 12:
        return date(day.year, 12, 31)
    return date(day.year, last_month + 1, 1) - timedelta(days=1)


def _periods(rows: tuple[tuple[date, str], ...]) -> Iterator[tuple[str, date, date]]:
    """Every period ``(kind, start, end)`` from the first row on, without end."""
    for i, (since, kind) in enumerate(rows):
        until = rows[i + 1][0] - timedelta(days=1) if i + 1 < len(rows) else date.max
        start = since
        while start <= until:
            end = min(_calendar_end(start, kind), until)
            yield kind, start, end
            if end == date.max:
                return
            start = end + timedelta(days=1)


def next_evaluation(as_of: date, policy: InventoryPolicy) -> date | None:
    """The first weekly IPI evaluation day after ``as_of`` (policy ``ipi_weekday``).

    None when it would fall after the last date of the calendar.

    Examples
    --------
    >>> from toolkit.model.policy import load_policy
    >>> inv = load_policy().inventory                 # evaluated on Mondays
    >>> next_evaluation(date(2026, 11, 15), inv)      # a Sunday
    datetime.date(2026, 11, 16)
    >>> next_evaluation(date(2026, 11, 16), inv)      # a Monday: the next one
    datetime.date(2026, 11, 23)
    >>> next_evaluation(date(9999, 12, 31), inv) is None
    True
    """
    return shift(as_of, (policy.ipi_weekday - as_of.weekday()) % 7 or 7)


def checkpoint(period_start: date, policy: InventoryPolicy) -> date:
    """The last evaluation day at least ``checkpoint_lead_days`` before ``period_start``.

    >>> from toolkit.model.policy import load_policy
    >>> checkpoint(date(2026, 12, 1), load_policy().inventory)   # a Tuesday; 17 Nov is Monday
    datetime.date(2026, 11, 16)
    """
    latest = period_start - timedelta(days=policy.checkpoint_lead_days)
    return latest - timedelta(days=(latest.weekday() - policy.ipi_weekday) % 7)


def _threshold(rows: tuple[tuple[date, int | None], ...], day: date) -> int | None:
    value = None
    for since, threshold in rows:
        if since <= day:
            value = threshold
    return value


def evaluation_calendar(
    policy: InventoryPolicy, *, marketplaces: Iterable[str], start: date, end: date
) -> pl.DataFrame:
    """The evaluation periods of each marketplace that overlap ``start .. end``, and the next.

    Returns
    -------
    pl.DataFrame
        ``marketplace, period_kind, period_start, period_end, checkpoint, threshold``:
        each period that overlaps ``start .. end`` and the first that starts after
        ``end``, sorted by marketplace and start. ``threshold`` is the one in force on the
        period's first day (null: none published).
    """
    as_of_range(start, end)
    rows = []
    for market in sorted(set(marketplaces)):
        thresholds = policy.thresholds_for(market)
        for kind, first, last in _periods(policy.periods_for(market)):
            if last < start:
                continue
            rows.append(
                (
                    market,
                    kind,
                    first,
                    last,
                    checkpoint(first, policy),
                    _threshold(thresholds, first),
                )
            )
            if first > end:
                break
    return pl.DataFrame(rows, schema=_SCHEMA, orient="row")


def inventory_periods(
    data: Dataset,
    *,
    as_of: date,
    to: date | None = None,
    policy: Policy | None = None,
    weights: Mapping[str, Fraction] | None = None,
    by_market: Mapping[str, Mapping[str, Fraction]] | None = None,
) -> pl.LazyFrame:
    """Each seller's evaluation periods around ``as_of .. to``, decided at their checkpoints.

    Parameters
    ----------
    data
        The dataset; only ``inventory`` is read.
    as_of, to
        The dates of interest (``to`` defaults to ``as_of``); ``to`` is also the date of
        knowledge: a checkpoint after it is not decided yet.
    policy, weights, by_market
        As for :func:`toolkit.inventory.inventory_table`.

    Returns
    -------
    pl.LazyFrame
        :data:`PERIOD_COLUMNS`, one row per (seller, marketplace) of ``inventory`` and
        period overlapping ``as_of .. to`` or following it, sorted by seller, marketplace
        and ``period_start``: ``decided`` (checkpoint on or before ``to``), ``ipi_proxy``
        (the unofficial proxy at the checkpoint; null when not decided or without data),
        ``threshold`` (in force on the period's first day) and ``limit_risk``: ``pending``
        (not decided), ``unknown`` (no published threshold, or no proxy at the
        checkpoint), ``at_risk`` (proxy below the threshold) or ``ok``.
    """
    policy = policy or load_policy()
    end = as_of_range(as_of, to)
    inv = policy.inventory
    keys = sorted({"default", *inv.periods, *inv.thresholds, *inv.components})
    calendar = evaluation_calendar(inv, marketplaces=keys, start=as_of, end=end)
    checkpoints = calendar.filter(pl.col("checkpoint") <= end)["checkpoint"]
    # a marketplace the policy names nowhere takes the default periods and no threshold
    key = (
        pl.when(pl.col("marketplace").is_in(keys)).then("marketplace").otherwise(pl.lit("default"))
    )
    periods = (
        data.inventory.select("seller_id", "marketplace")
        .unique()
        .with_columns(_key=key)
        .join(calendar.lazy().rename({"marketplace": "_key"}), on="_key")
    )
    if checkpoints.len():
        proxies = inventory_table(
            data,
            as_of=checkpoints.min(),
            to=checkpoints.max(),
            policy=policy,
            weights=weights,
            by_market=by_market,
        ).select("seller_id", "marketplace", pl.col("as_of").alias("checkpoint"), "ipi_proxy")
        periods = periods.join(proxies, on=["seller_id", "marketplace", "checkpoint"], how="left")
    else:
        periods = periods.with_columns(ipi_proxy=pl.lit(None, pl.Int64))
    decided = pl.col("checkpoint") <= end
    proxy = pl.when(decided).then(pl.col("ipi_proxy"))
    risk = (
        pl.when(~decided)
        .then(pl.lit("pending"))
        .when(pl.col("threshold").is_null() | proxy.is_null())
        .then(pl.lit("unknown"))
        .when(proxy < pl.col("threshold"))
        .then(pl.lit("at_risk"))
        .otherwise(pl.lit("ok"))
    )
    return (
        periods.with_columns(decided=decided, ipi_proxy=proxy, limit_risk=risk)
        .select(PERIOD_COLUMNS)
        .sort("seller_id", "marketplace", "period_start")
    )
