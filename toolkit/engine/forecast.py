"""Recovery forecast (definitions section 5): when will each metric be back under target if all goes well?

The "clean" scenario as of D: every record with an attribution date up to D is taken as
known at D (its counted state at D; each defect counts until its ``clears_on``; no new
defects and no new stops), and every attribution date after D gets v projected orders,
all good, where v is the seller's population over the last W attribution dates divided by
W. A defect still waiting out the lag enters the window with its order.

The known part is exactly the restated count with knowledge frozen at D
(:func:`toolkit.engine.metrics.window_counts` with ``known_at=D``), so it shares every
definition with the metrics table. All target checks are exact: v = count / W is kept as a
fraction and compared as integer cross products.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import polars as pl

from toolkit.engine.metrics import (
    KEYS,
    metric_parameters,
    population_volume,
    snapshot_counts,
    window_counts,
)
from toolkit.engine.statistics import bad_count, orders_needed, target_met
from toolkit.model.data import Dataset
from toolkit.model.errors import OptionError
from toolkit.model.policy import Policy, load_policy
from toolkit.time.limits import LAST_DATE
from toolkit.time.windows import Window

__all__ = ["FORECAST_COLUMNS", "forecast_table", "what_if"]

_P0_NUM, _P0_DEN = pl.col("_p0_num"), pl.col("_p0_den")

#: Columns of the forecast table, in order.
FORECAST_COLUMNS = [
    *KEYS,
    "as_of",
    "projected_numerator",
    "projected_denominator",
    "projected_rate",
    "recovery_date",
    "clean_orders_needed",
]


def _meets(num_w: pl.Expr, den_w: pl.Expr) -> pl.Expr:
    """Target met (or nothing to measure) for counts scaled by W, exactly."""
    condition = pl.col("condition")
    met = target_met(bad_count(num_w, den_w, condition), den_w, _P0_NUM, _P0_DEN)
    return pl.when(condition.is_null()).then(None).otherwise((den_w == 0) | met)


def _check_horizon(as_of: date, horizon: int, policy: Policy) -> None:
    """An OptionError unless 1 <= H <= the policy's longest horizon and D + H is a date."""
    if horizon < 1:
        raise OptionError(f"horizon must be at least 1 day, got {horizon}")
    if horizon > policy.max_horizon_days:
        raise OptionError(
            f"horizon {horizon} days is longer than the policy's max_horizon_days "
            f"({policy.max_horizon_days}, [forecast] in {policy.source})"
        )
    room = (LAST_DATE - as_of).days
    if horizon > room:
        longest = (
            f"the longest horizon from {as_of} is {room} day{'s' * (room != 1)}"
            if room
            else f"{as_of} leaves no day to forecast"
        )
        raise OptionError(
            f"a forecast of {horizon} days from {as_of} would end after {LAST_DATE}, the "
            f"last date the toolkit handles: {longest}"
        )


def forecast_table(
    data: Dataset,
    *,
    as_of: date,
    horizon: int | None = None,
    policy: Policy | None = None,
    remove: Iterable[str] = (),
) -> pl.LazyFrame:
    """Projected numerator, denominator and rate for as-of dates D+1 .. D+H (clean scenario).

    Parameters
    ----------
    data
        A validated dataset.
    as_of
        D, the last date known.
    horizon
        H days (policy ``[forecast] horizon_days`` by default, 120); at most the policy's
        ``max_horizon_days``, and D + H must not pass 9999-12-31, the last date the
        toolkit handles.
    remove
        Record ids to treat as removed: feedback, claim or chargeback ids (the what-if of
        a granted removal request or a won claim), or order ids (the order's late
        shipment, cancellation, invalid tracking, late delivery or late invoice cleared:
        it stays in each population and is no longer bad).

    Returns
    -------
    pl.LazyFrame
        :data:`FORECAST_COLUMNS`, one row per key and future date, with the per-metric
        ``recovery_date`` (first date in D .. D+H at which the projected rate meets the
        target or nothing is left to measure; D itself if it already holds; null if never
        within H, and for metrics without a target) and ``clean_orders_needed`` (the
        additional good orders in today's window that would meet the target) repeated on
        every row.

    Examples
    --------
    One order a day; one claim on an order 70 days old: 1 of 60 orders (1.7 %) today.
    The claim leaves the window after three more days.

    >>> from datetime import date, timedelta
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> d = date(2025, 6, 30)
    >>> orders = pl.DataFrame({"order_id": [f"O{i}" for i in range(121)], "seller_id": "S1",
    ...     "channel": "mfn",
    ...     "purchased_at": [f"{d - timedelta(days=i)}T12:00:00Z" for i in range(121)]})
    >>> claims = pl.DataFrame({"claim_id": ["C1"], "order_id": ["O70"],
    ...     "filed_at": ["2025-05-01T09:00:00Z"], "outcome": ["pending"]})
    >>> data = dataset_from_frames(orders=orders, claims=claims)
    >>> fc = forecast_table(data, as_of=d, horizon=5).filter(pl.col("metric") == "odr")
    >>> fc.select("as_of", "projected_numerator", "projected_denominator",
    ...           "recovery_date", "clean_orders_needed").collect()
    shape: (5, 5)
    ┌────────────┬─────────────────────┬───────────────────────┬───────────────┬─────────────────────┐
    │ as_of      ┆ projected_numerator ┆ projected_denominator ┆ recovery_date ┆ clean_orders_needed │
    │ ---        ┆ ---                 ┆ ---                   ┆ ---           ┆ ---                 │
    │ date       ┆ f64                 ┆ f64                   ┆ date          ┆ i64                 │
    ╞════════════╪═════════════════════╪═══════════════════════╪═══════════════╪═════════════════════╡
    │ 2025-07-01 ┆ 1.0                 ┆ 60.0                  ┆ 2025-07-04    ┆ 41                  │
    │ 2025-07-02 ┆ 1.0                 ┆ 60.0                  ┆ 2025-07-04    ┆ 41                  │
    │ 2025-07-03 ┆ 1.0                 ┆ 60.0                  ┆ 2025-07-04    ┆ 41                  │
    │ 2025-07-04 ┆ 0.0                 ┆ 60.0                  ┆ 2025-07-04    ┆ 41                  │
    │ 2025-07-05 ┆ 0.0                 ┆ 60.0                  ┆ 2025-07-04    ┆ 41                  │
    └────────────┴─────────────────────┴───────────────────────┴───────────────┴─────────────────────┘
    """
    policy = policy or load_policy()
    horizon = policy.horizon_days if horizon is None else horizon
    _check_horizon(as_of, horizon, policy)
    removed = frozenset(remove)
    params = metric_parameters(policy).drop("metric")
    future = window_counts(
        data,
        policy,
        as_of + timedelta(days=1),
        as_of + timedelta(days=horizon),
        known_at=as_of,
        attributed_until=as_of,
        remove=removed,
    )
    volume = population_volume(data, policy, as_of).rename({"volume": "_volume"})
    if policy.forecast_volume == "none":
        volume = volume.with_columns(_volume=pl.lit(0, pl.Int64))
    window = pl.col("_window")
    # attribution dates after D inside the window of F
    days_after = Window(window, pl.col("_lag")).days_after(as_of, pl.col("as_of").cast(pl.Int64))
    projected = pl.col("_volume") * days_after
    num_w = pl.col("numerator") * window + pl.when(pl.col("condition") == ">").then(
        projected
    ).otherwise(0)
    den_w = pl.col("denominator") * window + projected
    future = (
        future.join(params, on="_metric", how="left")
        .join(volume, on=KEYS, how="left")
        .with_columns(pl.col("_volume").fill_null(0))
        .with_columns(_num_w=num_w, _den_w=den_w)
        .with_columns(
            projected_numerator=pl.col("_num_w") / window,
            projected_denominator=pl.col("_den_w") / window,
            projected_rate=pl.when(pl.col("_den_w") > 0).then(pl.col("_num_w") / pl.col("_den_w")),
            _meets=_meets(pl.col("_num_w"), pl.col("_den_w")),
        )
    )
    now = (
        snapshot_counts(data, policy, as_of, remove=removed)
        .join(params, on="_metric", how="left")
        .with_columns(_meets=_meets(pl.col("numerator"), pl.col("denominator")))
    )
    n = pl.col("denominator")
    bad = bad_count(pl.col("numerator"), n, pl.col("condition"))
    per_metric = now.select(
        *KEYS,
        pl.when(pl.col("condition").is_not_null())
        .then(orders_needed(bad, n, _P0_NUM, _P0_DEN))
        .cast(pl.Int64)
        .alias("clean_orders_needed"),
    )
    recovery = (
        pl.concat([now.select(*KEYS, "as_of", "_meets"), future.select(*KEYS, "as_of", "_meets")])
        .group_by(KEYS)
        .agg(pl.col("as_of").filter(pl.col("_meets")).min().alias("recovery_date"))
    )
    return (
        future.join(recovery, on=KEYS, how="left")
        .join(per_metric, on=KEYS, how="left")
        .select(FORECAST_COLUMNS)
        .sort([*KEYS, "as_of"])
    )


def what_if(
    data: Dataset,
    *,
    as_of: date,
    remove: Iterable[str],
    horizon: int | None = None,
    policy: Policy | None = None,
) -> pl.LazyFrame:
    """Compare the forecast with and without the records in ``remove``, per metric.

    ``remove`` holds feedback, claim, chargeback or order ids, as in :func:`forecast_table`.

    Returns
    -------
    pl.LazyFrame
        ``seller_id, marketplace, channel, metric, rate, rate_if_removed,
        recovery_date, recovery_date_if_removed, clean_orders_needed,
        clean_orders_needed_if_removed`` for the sellers owning the removed records, where
        ``rate`` is today's rate (D).
    """
    policy = policy or load_policy()
    removed = frozenset(remove)
    if not removed:
        raise OptionError("what_if needs at least one record id to remove")
    ids = sorted(removed)
    sellers = data.orders.select("order_id", "seller_id", "marketplace")
    by_order = (
        pl.concat(
            [
                data.feedback.select("order_id", pl.col("feedback_id").alias("record_id")),
                data.claims.select("order_id", pl.col("claim_id").alias("record_id")),
                data.chargebacks.select("order_id", pl.col("chargeback_id").alias("record_id")),
                data.returns.select("order_id", pl.col("return_id").alias("record_id")),
                data.orders.select("order_id", pl.col("order_id").alias("record_id")),
            ]
        )
        .filter(pl.col("record_id").is_in(ids))
        .join(sellers, on="order_id")
        .select("seller_id", "marketplace")
    )
    messages = data.messages.filter(pl.col("message_id").is_in(ids))
    owners = pl.concat([by_order, messages.select("seller_id", "marketplace")]).unique()

    def summary(ids: frozenset[str], suffix: str) -> pl.LazyFrame:
        today = snapshot_counts(data, policy, as_of, remove=ids)
        rate = pl.when(pl.col("denominator") > 0).then(pl.col("numerator") / pl.col("denominator"))
        fc = forecast_table(data, as_of=as_of, horizon=horizon, policy=policy, remove=ids)
        per_metric = fc.group_by(KEYS).agg(pl.col("recovery_date", "clean_orders_needed").first())
        return (
            today.select(*KEYS, rate.alias("rate"))
            .join(per_metric, on=KEYS, how="left")
            .rename({c: c + suffix for c in ("rate", "recovery_date", "clean_orders_needed")})
        )

    return (
        summary(frozenset(), "")
        .join(summary(removed, "_if_removed"), on=KEYS)
        .join(owners, on=["seller_id", "marketplace"], how="semi")
        .select(
            *KEYS,
            "rate",
            "rate_if_removed",
            "recovery_date",
            "recovery_date_if_removed",
            "clean_orders_needed",
            "clean_orders_needed_if_removed",
        )
        .sort(KEYS)
    )
