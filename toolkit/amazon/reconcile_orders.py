"""Order-level ODR reconciliation: Amazon's list of defective orders against ours.

Amazon's Account Health page offers a "Download Report" for the ODR that lists, per
defective order, the order date, the order id and the defect category. The toolkit reads
such a list as a small CSV (:func:`parse_orders_list`) and compares it, order by order,
with the defect records that count at the snapshot date over the report's own ODR window
(the rule of :func:`toolkit.engine.rules.window_bounds`), saying where it can why one side
counts an order and the other does not.

Used by :mod:`toolkit.amazon.reconcile`.
"""

from __future__ import annotations

import re

import polars as pl

from toolkit.engine.rules import defect_records, window_bounds
from toolkit.model.data import DataError, Dataset, InputError
from toolkit.model.policy import Policy
from toolkit.time.visibility import utc_date, visible_date
from toolkit.time.windows import Window, active_on, live_at

#: Defect types of the order-level table (the clearance table's ``defect_type``).
DEFECT_TYPES = ("negative_feedback", "claim", "chargeback")
#: Spellings of a defect category, lower-case letters only -> defect type.
DEFECT_SPELLINGS = {
    "negativefeedback": "negative_feedback",
    "feedback": "negative_feedback",
    "claim": "claim",
    "atozclaim": "claim",
    "atozguaranteeclaim": "claim",
    "azclaim": "claim",
    "chargeback": "chargeback",
    "chargebackclaim": "chargeback",
    "creditcardchargeback": "chargeback",
    "servicechargeback": "chargeback",
}
#: Columns of a parsed order list.
LIST_COLUMNS = (
    "order_id",
    "defect_type",
    "seller_id",
    "marketplace",
    "snapshot_date",
    "channel",
    "order_date",
)
#: Header aliases (after lower-casing and turning spaces and hyphens into ``_``).
_ALIASES = {"category": "defect_type", "defect_category": "defect_type"}
#: Stop reasons (:func:`toolkit.engine.rules.defect_events`) in words.
STOP_WORDS = {
    "removed": "feedback removed",
    "denied": "claim denied",
    "withdrawn": "claim withdrawn",
    "protected": "claim protected by Buy Shipping",
    "seller_won": "chargeback won by the seller",
}
#: A record that became visible this many days before the snapshot or less is "recent":
#: Amazon's own processing takes up to 48-72 hours (Amazon's help pages on the ODR).
RECENT_DAYS = 2
_MAX_ROWS = 10
_KEY = ["seller_id", "marketplace", "snapshot_date", "order_id", "defect_type"]


def _header(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return _ALIASES.get(key, key)


def _problem(frame: pl.DataFrame, bad: pl.Expr, column: str, problem: str, source: str):
    rows = frame.filter(bad)
    if not rows.height:
        return None
    values = rows[column].drop_nulls().unique(maintain_order=True).head(5).to_list()
    return InputError(
        source,
        column,
        problem,
        rows=tuple(rows["_row"].head(_MAX_ROWS).to_list()),
        count=rows.height,
        values=tuple(values),
    )


def parse_orders_list(frame: pl.DataFrame, *, source: str = "<orders list>") -> pl.LazyFrame:
    """Check and type an order-level defect list (all columns read as text).

    Required columns ``order_id`` and ``defect_type`` (or ``category``); optional
    ``seller_id``, ``marketplace``, ``snapshot_date`` (``YYYY-MM-DD``), ``channel``
    (``mfn``/``afn``) and ``order_date`` (a date or a timestamp starting with one).
    Headers are matched ignoring case, spaces and hyphens (``Order ID`` is ``order_id``).
    Defect types are read from Amazon's wording (``Negative feedback``, ``A-to-z
    Guarantee claim``, ``Chargeback``, ...: :data:`DEFECT_SPELLINGS`). A repeated row
    counts once.

    Returns
    -------
    pl.LazyFrame
        ``order_id, defect_type`` (``negative_feedback``, ``claim`` or ``chargeback``),
        ``seller_id, marketplace, snapshot_date`` (date), ``channel, order_date`` (date);
        absent optional columns are null.

    Raises
    ------
    DataError
        Missing required column, empty order id, unknown defect type, bad date or channel;
        with the rows (data rows from 1) and the values.

    Examples
    --------
    >>> download = pl.DataFrame({"Order Date": ["2026-09-22", "2026-10-01"],
    ...     "Order ID": ["111-0869399-3845300", "111-6797490-7995920"],
    ...     "Category": ["Chargeback", "A-to-z Guarantee claim"]})
    >>> parse_orders_list(download).select("order_id", "defect_type", "order_date").collect()
    shape: (2, 3)
    ┌─────────────────────┬─────────────┬────────────┐
    │ order_id            ┆ defect_type ┆ order_date │
    │ ---                 ┆ ---         ┆ ---        │
    │ str                 ┆ str         ┆ date       │
    ╞═════════════════════╪═════════════╪════════════╡
    │ 111-0869399-3845300 ┆ chargeback  ┆ 2026-09-22 │
    │ 111-6797490-7995920 ┆ claim       ┆ 2026-10-01 │
    └─────────────────────┴─────────────┴────────────┘
    """
    frame = frame.rename({c: _header(c) for c in frame.columns})
    missing = [c for c in ("order_id", "defect_type") if c not in frame.columns]
    if missing:
        problem = f"missing column(s) {', '.join(missing)}; found {', '.join(frame.columns)}"
        raise DataError([InputError(source, None, problem)])
    text = frame.select(
        pl.int_range(1, pl.len() + 1).alias("_row"),
        *(
            pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c)
            if c in frame.columns
            else pl.lit(None, pl.String).alias(c)
            for c in LIST_COLUMNS
        ),
    )
    typed = {
        "defect_type": pl.col("defect_type")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z]", "")
        .replace_strict(DEFECT_SPELLINGS, default=None, return_dtype=pl.String),
        "snapshot_date": pl.col("snapshot_date").str.to_date("%Y-%m-%d", strict=False),
        "order_date": pl.col("order_date").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
        "channel": pl.col("channel").str.to_lowercase(),
    }
    checked = text.with_columns(**{f"_{name}": expr for name, expr in typed.items()})
    unknown = ", ".join(DEFECT_TYPES)
    checks = [
        (pl.col("order_id").is_null(), "order_id", "empty order id"),
        (
            pl.col("_defect_type").is_null(),
            "defect_type",
            f"unknown defect type (known: {unknown}, or Amazon's wording)",
        ),
        (
            pl.col("_snapshot_date").is_null() & pl.col("snapshot_date").is_not_null(),
            "snapshot_date",
            "not a date (YYYY-MM-DD)",
        ),
        (
            pl.col("_order_date").is_null() & pl.col("order_date").is_not_null(),
            "order_date",
            "not a date (YYYY-MM-DD, optionally followed by a time)",
        ),
        (~pl.col("_channel").is_in(["mfn", "afn"]), "channel", "not mfn or afn"),
    ]
    errors = [
        found
        for bad, column, problem in checks
        if (found := _problem(checked, bad.fill_null(False), column, problem, source))
    ]
    if errors:
        raise DataError(errors)
    typed_frame = checked.select(
        *(pl.col(f"_{c}").alias(c) if c in typed else pl.col(c) for c in LIST_COLUMNS)
    )
    return typed_frame.unique(maintain_order=True).lazy()


def _stop_text(reason: pl.Expr, day: pl.Expr) -> pl.Expr:
    words = reason.replace_strict(STOP_WORDS, default=reason, return_dtype=pl.String)
    return pl.format("{}, visible {}", words, day.cast(pl.Date))


def order_table(
    listed: pl.LazyFrame,
    data: Dataset,
    windows: pl.LazyFrame,
    *,
    policy: Policy,
    default_seller: tuple[str, str] | None,
) -> pl.LazyFrame:
    """The order-level table: Amazon's listed defects and ours, side by side, with reasons.

    ``windows`` holds the recomputable ODR snapshot rows: ``seller_id, marketplace,
    snapshot_date, channel, window_start, window_end``. An order the data does not know
    gets the list's ``seller_id`` and ``marketplace`` if given, else those of the list's
    known orders when they all have one seller, else ``default_seller`` (the snapshot
    table's only seller and marketplace, if it has one).
    """
    cadence = policy.cadence_minutes["orders"]
    orders = data.orders.select(
        "order_id",
        pl.col("seller_id").alias("_seller"),
        pl.col("marketplace").alias("_marketplace"),
        pl.col("channel").alias("_channel"),
        utc_date(pl.col("purchased_at")).alias("_order_date"),
        visible_date(pl.col("purchased_at"), cadence_minutes=cadence).alias("_order_seen"),
    )
    seller, market = default_seller or (None, None)
    latest = windows.group_by("seller_id", "marketplace").agg(
        pl.col("snapshot_date").max().alias("_latest")
    )
    # the list is one seller's download: its known orders name the seller of the others
    owners = (
        listed.join(orders, on="order_id", how="inner").select("_seller", "_marketplace").unique()
    )
    owner = (
        owners.select(
            pl.col("_seller").first().alias("_list_seller"),
            pl.col("_marketplace").first().alias("_list_marketplace"),
            _owners=pl.len(),
        )
        .filter(pl.col("_owners") == 1)
        .with_columns(_one=pl.lit(1))
    )
    amazon = (
        listed.join(orders, on="order_id", how="left")
        .with_columns(_one=pl.lit(1))
        .join(owner, on="_one", how="left")
        .with_columns(
            seller_id=pl.coalesce(
                "seller_id", "_seller", "_list_seller", pl.lit(seller, pl.String)
            ),
            marketplace=pl.coalesce(
                "marketplace", "_marketplace", "_list_marketplace", pl.lit(market, pl.String)
            ),
            channel=pl.coalesce("_channel", "channel"),
        )
        .join(latest, on=["seller_id", "marketplace"], how="left")
        .select(
            *_KEY[:2],
            pl.coalesce("snapshot_date", "_latest").alias("snapshot_date"),
            "order_id",
            "defect_type",
            "channel",
            pl.col("order_date").alias("_amazon_date"),
            in_amazon=pl.lit(True),
        )
        .unique(_KEY, keep="first", maintain_order=False)
    )
    scope = amazon.select(_KEY[:3]).unique().join(windows, on=_KEY[:3], how="inner")
    records = defect_records(data, policy).join(
        scope, on=["seller_id", "marketplace", "channel"], how="inner"
    )
    d, ws, we = (pl.col(c).cast(pl.Int32) for c in ("snapshot_date", "window_start", "window_end"))
    cf, co = window_bounds(
        pl.col("attribution_date"),
        window=Window.spanning(ws, we, as_of=d),
        seen=pl.col("seen"),
        stop=pl.col("stop"),
    )
    ours = (
        records.filter(active_on(cf, co, d))
        .group_by(_KEY)
        .agg(pl.col("channel").first().alias("_our_channel"), in_ours=pl.lit(True))
    )
    rows = (
        amazon.join(ours, on=_KEY, how="full", coalesce=True)
        .with_columns(
            channel=pl.coalesce("channel", "_our_channel"),
            in_amazon=pl.col("in_amazon").fill_null(False),
            in_ours=pl.col("in_ours").fill_null(False),
        )
        .drop("_our_channel")
        .join(orders, on="order_id", how="left")
        .join(windows, on=[*_KEY[:3], "channel"], how="left")
    )
    return _with_reasons(rows, data, policy).select(
        *_KEY[:3],
        "channel",
        "order_id",
        "defect_type",
        pl.col("_order_date").alias("order_date"),
        "in_amazon",
        "in_ours",
        "reason",
    )


def _record_facts(
    rows: pl.LazyFrame, data: Dataset, policy: Policy
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Per row key: what the data says about the order's records of that defect type, and
    per order and type the records that never count (3-5 stars, fraud chargebacks)."""
    keys = rows.select(*_KEY).unique()
    records = defect_records(data, policy).select(
        "order_id", "defect_type", "record_id", "seen", "stop", "stop_reason"
    )
    d = pl.col("snapshot_date").cast(pl.Int32)
    seen, stop = pl.col("seen"), pl.col("stop")
    stopped = (seen <= d) & (stop <= d).fill_null(False)
    later = (seen <= d) & (stop > d).fill_null(False)
    facts = (
        keys.join(records, on=["order_id", "defect_type"], how="inner")
        .group_by(_KEY)
        .agg(
            _records=pl.len(),
            _first_seen=seen.min(),
            _seen_by=(seen <= d).sum(),
            _live=live_at(seen, stop, d).sum(),
            _stopped=_stop_text(
                pl.col("stop_reason").filter(stopped).sort_by(stop.filter(stopped)).first(),
                stop.filter(stopped).min(),
            ),
            _later=_stop_text(
                pl.col("stop_reason").filter(later).sort_by(stop.filter(later)).first(),
                stop.filter(later).min(),
            ),
        )
    )
    neutral = data.feedback.filter(pl.col("rating") >= 3).select(
        "order_id",
        defect_type=pl.lit("negative_feedback"),
        _other=pl.lit("feedback rated 3 or more (not negative)"),
    )
    fraud = data.chargebacks.filter(pl.col("kind") == "fraud").select(
        "order_id",
        defect_type=pl.lit("chargeback"),
        _other=pl.lit("fraud chargeback (only service chargebacks count)"),
    )
    other = pl.concat([neutral, fraud]).unique(["order_id", "defect_type"])
    return facts, other


def _with_reasons(rows: pl.LazyFrame, data: Dataset, policy: Policy) -> pl.LazyFrame:
    facts, other = _record_facts(rows, data, policy)
    rows = rows.join(facts, on=_KEY, how="left").join(
        other, on=["order_id", "defect_type"], how="left"
    )
    day, a = pl.col("snapshot_date"), pl.col("_order_date")
    ws, we = pl.col("window_start"), pl.col("window_end")
    words = pl.col("defect_type").str.replace("_", " ")
    outside = pl.format("outside window (order date {}; window {} .. {})", a, ws, we)
    amazon_only = (
        pl.when(pl.col("_seller").is_null())
        .then(pl.lit("order not in the data"))
        .when(pl.col("_records").is_null() & pl.col("_other").is_not_null())
        .then(pl.col("_other"))
        .when(pl.col("_records").is_null())
        .then(pl.format("no {} in the data", words))
        .when(ws.is_null())
        .then(pl.lit("no ODR row for this channel in the snapshot"))
        .when((a < ws) | (a > we))
        .then(outside)
        .when(pl.col("_order_seen") > day)
        .then(pl.format("order not visible at snapshot (visible {})", pl.col("_order_seen")))
        .when(pl.col("_seen_by") == 0)
        .then(
            pl.format("not visible at snapshot (visible {})", pl.col("_first_seen").cast(pl.Date))
        )
        .when(pl.col("_live") == 0)
        .then(pl.col("_stopped"))
    )
    recent = pl.col("_first_seen") >= day.cast(pl.Int32) - RECENT_DAYS
    ours_only = (
        pl.when(recent)
        .then(
            pl.format(
                "visible only since {}, shortly before the snapshot: Amazon may lag",
                pl.col("_first_seen").cast(pl.Date),
            )
        )
        .when(pl.col("_later").is_not_null())
        .then(pl.format("stopped after the snapshot ({}): Amazon may have it earlier", "_later"))
        .when((a == ws) | (a == we))
        .then(pl.lit("on the edge of the window: a one-day shift (lag, time zone) drops it"))
        .otherwise(pl.lit("not in Amazon's list; the data shows no reason"))
    )
    date_note = pl.when(
        pl.col("_amazon_date").is_not_null() & a.is_not_null() & (pl.col("_amazon_date") != a)
    ).then(pl.format("Amazon's order date {}, ours {}", "_amazon_date", a))
    main = (
        pl.when(pl.col("in_amazon") & ~pl.col("in_ours"))
        .then(amazon_only)
        .when(~pl.col("in_amazon") & pl.col("in_ours"))
        .then(ours_only)
    )
    return rows.with_columns(
        reason=pl.concat_str([main, date_note], separator="; ", ignore_nulls=True).replace("", None)
    )
