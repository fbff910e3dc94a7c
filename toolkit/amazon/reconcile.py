"""Reconciliation with Amazon's reports (definitions section 7): Amazon's numbers next to ours, and why.

For every row of a snapshot table (:func:`toolkit.amazon.ingest.read_seller_performance`) the
metric is recomputed from the raw events **over the report's own window**
``window_start .. window_end``, with visibility judged at the snapshot date, and shown
next to Amazon's counts with the difference. Given Amazon's order-level ODR list
(:func:`read_orders_list`), :func:`order_reconciliation` names the orders counted by one
side only, with a reason where the data tells one. See ``docs/reconcile.md``.

- Rate metrics: the engine (:mod:`toolkit.engine.metrics`) with a policy whose window and lag for
  that metric are the report's (``W = window_end - window_start + 1``,
  ``L = snapshot_date - window_end``); rows without a channel (``all``) of the
  seller-fulfilled metrics are compared with the engine's ``mfn`` rows. ``otdr_30d``
  (package-level on-time delivery) uses the on-time rule over its 30 days, a package
  being an order; ``otdr_14d`` (Amazon's unit on-time delivery) is compared in orders and
  in units, and matches when either agrees.
- ``policy_<key>``: violations displayed on the snapshot date in the categories of that
  key (:data:`toolkit.model.schema.CATEGORY_SPAPI_KEYS`; :func:`toolkit.compliance.tables.violations_table`).
- ``ahr``: the AHR **estimate** (:func:`toolkit.compliance.ahr.ahr_table`).
- ``account_status``, ``warning_*``, ``policy_violation_warnings``: Amazon's decisions or
  facts the data does not hold: ``not_recomputable``.

Examples
--------
Amazon counts 2 defective orders of 3 in the ODR window; our data knows that one of the two
negative feedbacks was removed before the snapshot:

>>> from datetime import date
>>> import polars as pl
>>> from toolkit.model.data import dataset_from_frames
>>> from toolkit.amazon.ingest import SNAPSHOT_SCHEMA
>>> orders = pl.DataFrame({"order_id": ["A", "B", "C"], "seller_id": "S1", "channel": "mfn",
...     "purchased_at": ["2025-03-01T10:00Z", "2025-03-02T10:00Z", "2025-03-03T10:00Z"]})
>>> feedback = pl.DataFrame({"feedback_id": ["F1", "F2"], "order_id": ["A", "B"],
...     "rating": [1, 2], "left_at": ["2025-03-10T10:00Z", "2025-03-11T10:00Z"],
...     "removed_at": [None, "2025-03-20T10:00Z"]})
>>> data = dataset_from_frames(orders=orders, feedback=feedback)
>>> snapshots = pl.DataFrame({"seller_id": ["S1"], "marketplace": ["US"],
...     "snapshot_date": [date(2025, 4, 30)], "metric": ["odr"], "channel": ["mfn"],
...     "window_start": [date(2025, 2, 16)], "window_end": [date(2025, 4, 16)],
...     "numerator": [2], "denominator": [3], "rate": [2 / 3], "target": [0.01],
...     "condition": ["<"], "amazon_status": ["BAD"]}, schema=SNAPSHOT_SCHEMA)
>>> table = reconcile_table(snapshots, data).collect()
>>> table.select("amazon_numerator", "our_numerator", "numerator_diff", "status")
shape: (1, 4)
┌──────────────────┬───────────────┬────────────────┬─────────┐
│ amazon_numerator ┆ our_numerator ┆ numerator_diff ┆ status  │
│ ---              ┆ ---           ┆ ---            ┆ ---     │
│ i64              ┆ i64           ┆ i64            ┆ str     │
╞══════════════════╪═══════════════╪════════════════╪═════════╡
│ 2                ┆ 1             ┆ 1              ┆ differs │
└──────────────────┴───────────────┴────────────────┴─────────┘
>>> listed = parse_orders_list(pl.DataFrame({"Order ID": ["A", "B"],
...     "Category": ["Negative feedback", "Negative feedback"]}))
>>> order_reconciliation(snapshots, data, listed).select(
...     "order_id", "in_amazon", "in_ours", "reason").collect().rows()
[('A', True, True, None), ('B', True, False, 'feedback removed, visible 2025-03-20')]
>>> reconcile_table(snapshots, data, orders_list=listed).collect()["explanation"].item()
'Amazon only: 1 order(s) (B)'
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.amazon import reconcile_counts as counts
from toolkit.amazon import reconcile_explain as explain
from toolkit.amazon.reconcile_orders import DEFECT_TYPES, order_table, parse_orders_list
from toolkit.amazon.report_shape import SNAPSHOT_SCHEMA
from toolkit.model.data import DataError, Dataset, InputError
from toolkit.model.policy import Policy, load_policy
from toolkit.model.text import unquote_formula
from toolkit.time.visibility import utc_date

__all__ = [
    "DEFECT_TYPES",
    "ORDER_COLUMNS",
    "RECONCILE_COLUMNS",
    "RECONCILE_STATUSES",
    "order_reconciliation",
    "parse_orders_list",
    "read_orders_list",
    "read_snapshot_table",
    "reconcile_table",
]

#: Columns of the reconciliation table, in order.
RECONCILE_COLUMNS = [
    "seller_id",
    "marketplace",
    "snapshot_date",
    "metric",
    "channel",
    "window_start",
    "window_end",
    "amazon_numerator",
    "amazon_denominator",
    "amazon_rate",
    "amazon_status",
    "our_numerator",
    "our_denominator",
    "our_rate",
    "numerator_diff",
    "denominator_diff",
    "status",
    "explanation",
]
#: Columns of the order-level table, in order.
ORDER_COLUMNS = [
    "seller_id",
    "marketplace",
    "snapshot_date",
    "channel",
    "order_id",
    "defect_type",
    "order_date",
    "in_amazon",
    "in_ours",
    "reason",
]
#: Values of ``status``: every count Amazon gives equals ours; one differs; Amazon gives
#: no count to compare (ours is shown); the toolkit cannot recompute the row.
RECONCILE_STATUSES = ("match", "differs", "not_compared", "not_recomputable")

_SELLER = ["seller_id", "marketplace"]


# ------------------------------------------------------------------------------ inputs


def read_snapshot_table(path: str | Path) -> pl.LazyFrame:
    """A snapshot table written by ``seller-health ingest sp-api`` (``.csv`` or ``.parquet``).

    Raises
    ------
    DataError
        The file cannot be read or lacks a column of
        :data:`~toolkit.amazon.ingest.SNAPSHOT_SCHEMA` (extra columns are ignored).
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
        else:
            header = pl.read_csv(path, n_rows=0, infer_schema=False).columns
            types = {c: t for c, t in SNAPSHOT_SCHEMA.items() if c in header}
            frame = pl.read_csv(path, infer_schema=False, schema_overrides=types)
            text = [c for c in header if types.get(c, pl.String) == pl.String]
            frame = frame.with_columns(unquote_formula(pl.col(c)) for c in text)  # see write_table
    except (OSError, pl.exceptions.PolarsError) as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise DataError([InputError(str(path), None, f"cannot be read: {first_line}")]) from None
    missing = [c for c in SNAPSHOT_SCHEMA if c not in frame.columns]
    if missing:
        problem = f"not a snapshot table: missing column(s) {', '.join(missing)}"
        raise DataError([InputError(str(path), None, problem)])
    try:
        typed = frame.select(pl.col(c).cast(t) for c, t in SNAPSHOT_SCHEMA.items())
    except pl.exceptions.PolarsError as exc:
        raise DataError([InputError(str(path), None, f"bad value: {exc}")]) from None
    return typed.lazy()


def read_orders_list(path: str | Path) -> pl.LazyFrame:
    """Read Amazon's order-level ODR list from a CSV file (see :func:`parse_orders_list`)."""
    path = Path(path)
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError([InputError(str(path), None, f"cannot be read: {exc}")]) from None
    return parse_orders_list(frame, source=str(path))


# ------------------------------------------------------------------------------ helpers


def _odr_windows(rows: pl.DataFrame) -> pl.LazyFrame:
    """Recomputable ODR rows: the windows the order-level comparison uses."""
    return (
        rows.lazy()
        .filter(pl.col("metric") == "odr", pl.col("_why").is_null())
        .select(*_SELLER, "snapshot_date", "channel", "window_start", "window_end")
        .unique()
    )


def _single_seller(rows: pl.DataFrame) -> tuple[str, str] | None:
    sellers = rows.select(_SELLER).unique()
    return sellers.row(0) if sellers.height == 1 else None


# ------------------------------------------------------------------------------ tables


def order_reconciliation(
    snapshots: pl.DataFrame | pl.LazyFrame,
    data: Dataset,
    orders_list: pl.LazyFrame | pl.DataFrame,
    *,
    policy: Policy | None = None,
) -> pl.LazyFrame:
    """Amazon's order-level ODR list next to the defects we count, order by order.

    Parameters
    ----------
    snapshots
        A snapshot table; its ``odr`` rows give each channel's window.
    data
        The raw events.
    orders_list
        Amazon's list (:func:`read_orders_list` / :func:`parse_orders_list`). An order's
        seller, marketplace and channel come from the data; for an order the data does not
        know, from the list's columns, else the seller of the list's other orders (when
        they have one), else the snapshot table's only seller. Without a ``snapshot_date``
        column the list belongs to the latest snapshot date of its seller that has an
        ``odr`` row.
    policy
        Cadences (windows come from the snapshots); default the shipped policy.

    Returns
    -------
    pl.LazyFrame
        :data:`ORDER_COLUMNS`, one row per seller, marketplace, snapshot date, order and
        defect type that Amazon lists or that we count at that date (for the sellers and
        dates the list covers), sorted by those keys. ``order_date`` is ours (the UTC
        purchase date), ``reason`` says why only one side counts it (null when both do).

    Notes
    -----
    We count an order's defect of a type at snapshot date D when a record of that type
    (1-2 star feedback, claim, service chargeback) is visible by D and not stopped by D
    and the order's purchase date is inside the report's ODR window (definitions section 4 and 5).
    """
    policy = policy or load_policy()
    rows = counts.classified(snapshots)
    listed = orders_list.lazy()
    table = order_table(
        listed, data, _odr_windows(rows), policy=policy, default_seller=_single_seller(rows)
    )
    return table.select(ORDER_COLUMNS).sort(
        "seller_id", "marketplace", "snapshot_date", "order_id", "defect_type", nulls_last=True
    )


def reconcile_table(
    snapshots: pl.DataFrame | pl.LazyFrame,
    data: Dataset,
    *,
    policy: Policy | None = None,
    orders_list: pl.LazyFrame | pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """Each snapshot metric with Amazon's counts, ours over the same window, and the gap.

    Parameters
    ----------
    snapshots
        A snapshot table (:data:`~toolkit.amazon.ingest.SNAPSHOT_SCHEMA`), one or many sellers
        and dates. It is small and is read once here to plan the engine passes.
    data
        The raw events of the same sellers.
    policy
        Cadences, targets and everything but the windows, which come from each row;
        default the shipped policy.
    orders_list
        Optional order-level ODR list (:func:`read_orders_list`): the ``odr`` rows it
        covers then name the orders counted by one side only.

    Returns
    -------
    pl.LazyFrame
        :data:`RECONCILE_COLUMNS`, one row per snapshot row, sorted by seller,
        marketplace, snapshot date, metric and channel. ``amazon_*`` are the report's
        numbers, ``our_*`` the recomputed ones (``our_rate`` null when the denominator is
        0 or absent), ``*_diff`` = Amazon's minus ours (null when either is absent),
        ``status`` one of :data:`RECONCILE_STATUSES`, ``explanation`` notes and reasons.

    Notes
    -----
    Visibility is judged at the snapshot date (what the dashboard could show that day).
    Engine passes: one per distinct assignment of windows to metrics, with runs of
    consecutive snapshot dates computed as one history.
    """
    policy = policy or load_policy()
    rows = counts.classified(snapshots)
    data = data.subset(pl.col("seller_id").is_in(rows["seller_id"].unique().to_list()))
    good = rows.filter(pl.col("_why").is_null())
    engine = good.filter(_kind="engine")
    passes = counts.plan_passes(
        (day, counts.slot(metric), window, lag)
        for day, metric, window, lag in engine.select(
            "snapshot_date", "_engine", "_window", "_lag"
        ).iter_rows()
    )
    units = engine.filter(metric="otdr_14d").select("snapshot_date", "_window", "_lag")
    policy_days = sorted(set(good.filter(_kind="policy")["snapshot_date"]))
    ahr_days = sorted(set(good.filter(_kind="ahr")["snapshot_date"]))
    window = ["window_start", "window_end"]
    ours = counts.engine_counts(data, policy, passes).rename(
        {
            "metric": "_engine",
            "channel": "_channel",
            "as_of": "snapshot_date",
            "numerator": "_num",
            "denominator": "_den",
        }
    )
    unit_rows = counts.unit_counts(data, policy, units.iter_rows()).rename(
        {"as_of": "snapshot_date", "unit_numerator": "_unit_num", "unit_denominator": "_unit_den"}
    )
    shown = counts.displayed_counts(data, policy, policy_days).rename(
        {"as_of": "snapshot_date", "displayed": "_shown"}
    )
    ahr = counts.ahr_estimates(data, policy, ahr_days).rename(
        {"as_of": "snapshot_date", "ahr_estimate": "_ahr"}
    )
    channels = counts.known_channels(data).rename({"channel": "_channel"})
    sellers = channels.select(_SELLER).unique().with_columns(_seller_known=pl.lit(True))
    purchased = utc_date(pl.col("purchased_at"))
    spans = data.orders.group_by(_SELLER).agg(_first=purchased.min(), _last=purchased.max())
    table = (
        rows.lazy()
        .join(ours, on=[*_SELLER, "_channel", "_engine", "snapshot_date", *window], how="left")
        .join(
            unit_rows.with_columns(metric=pl.lit("otdr_14d"), _units=pl.lit(True)),
            on=[*_SELLER, "snapshot_date", "metric", *window],
            how="left",
        )
        .join(shown, on=[*_SELLER, "snapshot_date", "metric"], how="left")
        .join(ahr, on=[*_SELLER, "snapshot_date"], how="left")
        .join(sellers, on=_SELLER, how="left")
        .join(spans, on=_SELLER, how="left")
        .join(
            channels.with_columns(_channel_known=pl.lit(True)),
            on=[*_SELLER, "_channel"],
            how="left",
        )
    )
    orders = None
    if orders_list is not None:
        orders = order_reconciliation(rows, data, orders_list, policy=policy)
    table = explain.with_order_notes(table, orders)
    return explain.finish(table, policy).select(RECONCILE_COLUMNS).sort(RECONCILE_COLUMNS[:5])
