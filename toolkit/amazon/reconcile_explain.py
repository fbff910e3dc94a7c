r"""Status and explanation of reconciliation rows (used by :mod:`toolkit.amazon.reconcile`).

A row ``match``\es when every count Amazon gives equals ours (``otdr_14d``: in orders or
in units), ``differs`` otherwise, is ``not_compared`` when Amazon gives no count, and
``not_recomputable`` when no rule recomputes it or its seller is not in the data. The
explanation joins short notes: why a row cannot be recomputed, caveats (AHR estimate,
units, packages, display period), and for ODR rows the orders counted by one side only.
"""

from __future__ import annotations

import polars as pl

from toolkit.model.policy import COMPONENTS, Policy

_SELLER = ["seller_id", "marketplace"]
_ODR_FAMILY = ("odr", *COMPONENTS)
_IDS_SHOWN = 5
_AFTER_LAST_DAYS = 30


def _ids(side: pl.Expr, label: str) -> pl.Expr:
    """``"<label>: 2 order(s) (A, B)"`` for the orders where ``side`` holds, else null."""
    found = pl.col("order_id").filter(side).unique().sort()
    more = pl.when(found.len() > _IDS_SHOWN).then(pl.format(", +{} more", found.len() - _IDS_SHOWN))
    text = pl.format(
        "{}: {} order(s) ({}{})",
        pl.lit(label),
        found.len(),
        found.head(_IDS_SHOWN).str.join(", "),
        more.fill_null(""),
    )
    return pl.when(found.len() > 0).then(text)


def with_order_notes(table: pl.LazyFrame, orders: pl.LazyFrame | None) -> pl.LazyFrame:
    """Add, per ODR snapshot row the list covers, the orders counted by one side only.

    Listed orders the data does not know have no channel: they are named on the rows of
    both channels of their seller and date.
    """
    names = ("_amazon_only", "_ours_only", "_unknown")
    if orders is None:
        return table.with_columns(
            *(pl.lit(None, pl.String).alias(n) for n in names), _listed=pl.lit(False)
        )
    metric = pl.col("defect_type").replace_strict(
        {"negative_feedback": "odr_negative_feedback", "claim": "odr_claims"},
        default="odr_chargebacks",
    )
    keyed = pl.concat(
        [
            orders.with_columns(metric=metric),
            orders.with_columns(metric=pl.lit("odr")),  # the ODR: an order counts once
        ]
    ).filter(pl.col("snapshot_date").is_not_null())
    keys = [*_SELLER, "snapshot_date", "metric"]
    amazon, ours, channel = pl.col("in_amazon"), pl.col("in_ours"), pl.col("channel")
    per_channel = (
        keyed.filter(channel.is_not_null())
        .group_by(*keys, "channel")
        .agg(
            _amazon_only=_ids(amazon & ~ours, "Amazon only"),
            _ours_only=_ids(ours & ~amazon, "ours only"),
        )
    )
    unknown = (
        keyed.filter(channel.is_null())
        .group_by(keys)
        .agg(_unknown=_ids(amazon, "listed, not in the data (channel unknown)"))
    )
    covered = orders.select(keys[:3]).unique().with_columns(_listed=pl.lit(True))
    return (
        table.join(per_channel, on=[*keys, "channel"], how="left")
        .join(unknown, on=keys, how="left")
        .join(covered, on=keys[:3], how="left")
        .with_columns(pl.col("_listed").fill_null(False))
    )


def _same(amazon: pl.Expr, ours: pl.Expr) -> pl.Expr:
    """Amazon gives no count, or the same count as ours."""
    return amazon.is_null() | (amazon == ours).fill_null(False)


def finish(table: pl.LazyFrame, policy: Policy) -> pl.LazyFrame:
    """Our numbers, the differences, the status and the explanation of every row."""
    kind = pl.col("_kind")
    usable = pl.col("_why").is_null() & pl.col("_seller_known").fill_null(False)
    engine = usable & (kind == "engine")
    our_num = (
        pl.when(engine)
        .then(pl.col("_num").fill_null(0))
        .when(usable & (kind == "policy"))
        .then(pl.col("_shown").fill_null(0))
        .when(usable & (kind == "ahr"))
        .then(pl.col("_ahr"))
    )
    our_den = pl.when(engine).then(pl.col("_den").fill_null(0))
    table = table.with_columns(
        amazon_numerator=pl.col("numerator"),
        amazon_denominator=pl.col("denominator"),
        amazon_rate=pl.col("rate"),
        our_numerator=our_num.cast(pl.Int64),
        our_denominator=our_den.cast(pl.Int64),
    )
    a_num, a_den = pl.col("amazon_numerator"), pl.col("amazon_denominator")
    o_num, o_den = pl.col("our_numerator"), pl.col("our_denominator")
    u_num, u_den = pl.col("_unit_num"), pl.col("_unit_den")
    in_orders = _same(a_num, o_num) & _same(a_den, o_den)
    in_units = pl.col("_units").fill_null(False) & _same(a_num, u_num) & _same(a_den, u_den)
    status = (
        pl.when(~usable)
        .then(pl.lit("not_recomputable"))
        .when(a_num.is_null() & a_den.is_null())
        .then(pl.lit("not_compared"))
        .when(in_orders | in_units)
        .then(pl.lit("match"))
        .otherwise(pl.lit("differs"))
    )
    table = table.with_columns(
        our_rate=pl.when(o_den > 0).then(o_num / o_den),
        numerator_diff=a_num - o_num,
        denominator_diff=a_den - o_den,
        status=status,
    )
    return table.with_columns(explanation=_explanation(policy))


def _explanation(policy: Policy) -> pl.Expr:
    kind, metric, status = pl.col("_kind"), pl.col("metric"), pl.col("status")
    usable = status != "not_recomputable"
    o_num, o_den = pl.col("our_numerator"), pl.col("our_denominator")
    u_num, u_den = pl.col("_unit_num"), pl.col("_unit_den")
    units_differ = (u_num != o_num) | (u_den != o_den)
    in_orders = _same(pl.col("amazon_numerator"), o_num) & _same(
        pl.col("amazon_denominator"), o_den
    )
    channel = pl.col("_channel")
    first, last = pl.col("_first"), pl.col("_last")
    # attribution dates (purchase, ship-by, promised delivery) are on or after the purchase
    # date and rarely weeks after it: a window before the first purchase or a month after
    # the last one says the report and the data do not cover the same time
    late = last + pl.duration(days=_AFTER_LAST_DAYS)
    outside = ((pl.col("window_end") < first) | (pl.col("window_start") > late)).fill_null(False)
    no_orders = pl.when(channel == "all").then(pl.lit("no orders of this seller in the data"))
    no_orders = no_orders.otherwise(pl.format("no {} orders of this seller in the data", channel))
    units = (
        pl.when(status == "differs")
        .then(pl.format("Amazon counts units: ours in units is {} / {}", u_num, u_den))
        .when(in_orders)
        .then(
            pl.format(
                "matches in orders (as the toolkit's export writes them); in units ours is {} / {}",
                u_num,
                u_den,
            )
        )
        .otherwise(pl.format("matches in units; in orders ours is {} / {}", o_num, o_den))
    )
    other_window = (pl.col("_window") != policy.display_days) | (
        pl.col("window_end") != pl.col("snapshot_date")
    )
    policy_note = pl.when(other_window.fill_null(True)).then(
        pl.format(
            "ours: violations displayed on the snapshot date (the display period is {} days); "
            "the report's window is {} .. {}",
            pl.lit(policy.display_days),
            pl.col("window_start"),
            pl.col("window_end"),
        )
    )
    family = metric.is_in(list(_ODR_FAMILY)) & usable
    order_notes = pl.concat_str(
        [pl.col("_amazon_only"), pl.col("_ours_only"), pl.col("_unknown")],
        separator="; ",
        ignore_nulls=True,
    )
    orders = (
        pl.when(family & pl.col("_listed"))
        .then(order_notes.replace("", None))
        .when(family & (status == "differs"))
        .then(
            pl.lit("no order-level list: give Amazon's download (--orders-list) to see the orders")
        )
    )
    pieces = [
        pl.col("_why"),
        pl.when(pl.col("_why").is_null() & ~usable).then(
            pl.lit("seller and marketplace not in the data")
        ),
        pl.when(usable & (kind == "engine") & pl.col("_channel_known").is_null()).then(no_orders),
        pl.when(usable & (kind == "engine") & outside).then(
            pl.format("the window is outside the data's orders ({} .. {})", "_first", "_last")
        ),
        pl.when(usable & (metric == "otdr_30d")).then(
            pl.lit("packages counted as orders (one shipment per order in the data)")
        ),
        pl.when(usable & pl.col("_units").fill_null(False) & units_differ).then(units),
        pl.when(usable & (kind == "ahr")).then(
            pl.lit("the toolkit's AHR is an estimate (Amazon publishes no formula)")
        ),
        pl.when(usable & (kind == "policy")).then(policy_note),
        pl.when(status == "not_compared").then(pl.lit("the report gives no count")),
        orders,
    ]
    return pl.concat_str(pieces, separator="; ", ignore_nulls=True).replace("", None)
