"""Report results: every table a seller report shows, computed once for all sellers.

"Compute once, render many": :func:`report_tables` builds, as lazy frames over every
seller, the metrics history, the forecast, the clearance table (with the feedback text of
each negative rating), the AHR estimate history, the violations table, the data
freshness, the product rating per ASIN and the FBA inventory performance (the IPI
components, the SKUs to act on and the evaluation periods); :func:`seller_summary`
reduces them to one row per seller for the index page;
:func:`amazon_reconciliation` recomputes the Amazon reports found next to the data.
This module only computes: :mod:`toolkit.reports.slices` writes and reads a seller's
slice of the results, :mod:`toolkit.reports.text` puts them into words.

The tables keep only the columns named here: a column that a data file carries beyond the
docs/definitions.md (a buyer's e-mail, say) never reaches the results or a report.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from toolkit.amazon.ingest import read_seller_performance
from toolkit.amazon.reconcile import reconcile_table
from toolkit.charts.tables import rank_sellers
from toolkit.compliance.ahr import ahr_table
from toolkit.compliance.tables import violations_table
from toolkit.engine.actions import actions_table
from toolkit.engine.clearance import clearance_table
from toolkit.engine.forecast import forecast_table
from toolkit.engine.metrics import metrics_table
from toolkit.engine.service import rating_by_asin
from toolkit.inventory import inventory_periods, inventory_sku_table, inventory_table
from toolkit.model.data import Dataset
from toolkit.model.errors import OptionError
from toolkit.model.policy import METRICS, NOT_FOR_HEALTH, Policy
from toolkit.model.resources import AMAZON_REPORTS_DIR
from toolkit.model.vocabulary import ATTENTION_RANK, TARGET_MISSED
from toolkit.reports.names import file_names
from toolkit.reports.settings import CHANGE_DAYS, HISTORY_DAYS
from toolkit.reports.slices import RESULT_TABLES
from toolkit.time.visibility import visible_time

__all__ = [
    "RESULT_TABLES",
    "STATUS_RANK",
    "amazon_reconciliation",
    "data_freshness",
    "inventory_skus",
    "last_data_date",
    "read_reconciliation",
    "report_labels",
    "report_tables",
    "seller_summary",
]

#: Worst first: the order in which statuses sort (the AHR band ``critical`` ranks with
#: ``bad``, ``at_risk`` just after it: Amazon warns of deactivation in that band).
STATUS_RANK = ATTENTION_RANK
_SELLER = ["seller_id", "marketplace"]
#: Timestamp columns that are events (not promises such as ``latest_ship_at``), per source.
_EVENTS = {
    "orders": (
        "purchased_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
        "invoice_uploaded_at",
    ),
    "feedback": ("left_at", "removed_at"),
    "claims": ("filed_at", "resolved_at"),
    "chargebacks": ("filed_at", "resolved_at"),
    "violations": ("detected_at", "resolved_at"),
}


def last_data_date(data: Dataset) -> date:
    """The last UTC date on which anything happened in ``data``: the default as-of date.

    Only events count (purchases, shipments, deliveries, cancellations, uploads, feedback,
    claims, chargebacks, violations and their resolutions), not promised dates, which
    may lie in the future.

    Examples
    --------
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> orders = pl.DataFrame({"order_id": ["A"], "seller_id": ["S1"], "channel": ["mfn"],
    ...     "purchased_at": ["2025-03-01T10:00:00Z"], "shipped_at": ["2025-03-02T23:50:00Z"],
    ...     "promised_delivery_at": ["2025-03-09T23:59:59Z"]})
    >>> last_data_date(dataset_from_frames(orders=orders))
    datetime.date(2025, 3, 2)
    """
    queries = [
        data.table(table).select(pl.max_horizontal(pl.col(c).max() for c in columns).alias("t"))
        for table, columns in _EVENTS.items()
    ]
    found = [frame["t"][0] for frame in pl.collect_all(queries) if frame["t"][0] is not None]
    if not found:
        raise OptionError("the data holds no events: no as-of date to default to")
    return max(found).date()


def _seller_events(data: Dataset) -> dict[str, pl.LazyFrame]:
    """Per source: ``seller_id, marketplace, ts`` for every event timestamp."""
    owners = data.orders.select("order_id", *_SELLER)
    frames = {}
    for source, columns in _EVENTS.items():
        table = data.table(source)
        if source not in ("orders", "violations"):
            table = table.join(owners, on="order_id", how="inner")
        frames[source] = table.select(*_SELLER, *columns).unpivot(
            index=_SELLER, on=list(columns), value_name="ts"
        )
    return frames


def data_freshness(data: Dataset, *, as_of: date, policy: Policy) -> pl.LazyFrame:
    """The last event of each source known at ``as_of``, per seller, with its refresh cadence.

    Returns
    -------
    pl.LazyFrame
        One row per (seller, marketplace) found in ``orders`` or ``violations`` and source
        (``orders, feedback, claims, chargebacks, violations``): ``seller_id, marketplace,
        source, cadence_minutes, last_event_at`` (the latest event timestamp visible by
        the end of ``as_of``; null when there is none) and ``visible_at`` (when it became
        visible: rounded up to the cadence).

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> from toolkit.model.policy import load_policy
    >>> orders = pl.DataFrame({"order_id": ["A", "B"], "seller_id": ["S1", "S1"],
    ...     "channel": ["mfn", "mfn"],
    ...     "purchased_at": ["2025-03-01T10:00:00Z", "2025-03-02T23:50:00Z"]})
    >>> feedback = pl.DataFrame({"feedback_id": ["F1"], "order_id": ["A"], "rating": [5],
    ...     "left_at": ["2025-03-02T23:50:00Z"]})
    >>> data = dataset_from_frames(orders=orders, feedback=feedback)
    >>> data_freshness(data, as_of=date(2025, 3, 2), policy=load_policy()).collect().drop(
    ...     "seller_id", "marketplace")
    shape: (5, 4)
    ┌─────────────┬─────────────────┬─────────────────────────┬─────────────────────────┐
    │ source      ┆ cadence_minutes ┆ last_event_at           ┆ visible_at              │
    │ ---         ┆ ---             ┆ ---                     ┆ ---                     │
    │ str         ┆ i64             ┆ datetime[μs, UTC]       ┆ datetime[μs, UTC]       │
    ╞═════════════╪═════════════════╪═════════════════════════╪═════════════════════════╡
    │ orders      ┆ 15              ┆ 2025-03-01 10:00:00 UTC ┆ 2025-03-01 10:00:00 UTC │
    │ feedback    ┆ 30              ┆ null                    ┆ null                    │
    │ claims      ┆ 30              ┆ null                    ┆ null                    │
    │ chargebacks ┆ 30              ┆ null                    ┆ null                    │
    │ violations  ┆ 30              ┆ null                    ┆ null                    │
    └─────────────┴─────────────────┴─────────────────────────┴─────────────────────────┘
    """
    end = pl.lit(as_of + timedelta(days=1), pl.Date).cast(pl.Datetime("us", "UTC"))
    parts = []
    for source, events in _seller_events(data).items():
        cadence = policy.cadence_minutes[source]
        visible = visible_time(pl.col("ts"), cadence_minutes=cadence)
        parts.append(
            events.filter(visible < end)
            .group_by(_SELLER)
            .agg(pl.col("ts").max().alias("last_event_at"))
            .with_columns(
                visible_at=visible_time(pl.col("last_event_at"), cadence_minutes=cadence),
                source=pl.lit(source),
            )
        )
    sources = pl.LazyFrame(
        {
            "source": list(_EVENTS),
            "_rank": list(range(len(_EVENTS))),
            "cadence_minutes": [policy.cadence_minutes[s] for s in _EVENTS],
        }
    )
    keys = pl.concat([data.orders.select(_SELLER), data.violations.select(_SELLER)]).unique()
    last = pl.concat(parts).select(*_SELLER, "source", "last_event_at", "visible_at")
    return (
        keys.join(sources, how="cross")
        .join(last, on=[*_SELLER, "source"], how="left")
        .sort(*_SELLER, "_rank")
        .select(*_SELLER, "source", "cadence_minutes", "last_event_at", "visible_at")
    )


def _clearance_with_feedback(data: Dataset, clearance: pl.LazyFrame) -> pl.LazyFrame:
    """Clearance rows plus the rating and comment of negative-feedback records."""
    feedback = data.feedback.select(
        record_id="feedback_id",
        defect_type=pl.lit("negative_feedback"),
        rating="rating",
        comment="comment",
    )
    return clearance.join(feedback, on=["record_id", "defect_type"], how="left")


def inventory_skus(data: Dataset, *, as_of: date, policy: Policy) -> pl.LazyFrame:
    """The SKUs a seller can act on at ``as_of``: those with an inventory action.

    Returns
    -------
    pl.LazyFrame
        :func:`toolkit.inventory.inventory_sku_table` rows of ``as_of`` whose ``action``
        is not null (stranded units, excess units, or out of stock and counted in the
        in-stock rate), the most excess and stranded units first, then by SKU.

    Examples
    --------
    >>> from datetime import date, timedelta
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> from toolkit.model.policy import load_policy
    >>> D = date(2025, 6, 30)
    >>> days = [D - timedelta(days=n) for n in range(100, -1, -1)]
    >>> def sku(name, on_hand, stranded):
    ...     return pl.DataFrame({"date": days, "seller_id": "S1", "sku": name,
    ...         "on_hand": on_hand, "available": on_hand - stranded, "stranded": stranded,
    ...         "shipped": 1})
    >>> inventory = pl.concat([sku("OK", 40, 0), sku("LID", 30, 5), sku("MUG", 50, 20)])
    >>> orders = pl.DataFrame({"order_id": ["O"], "seller_id": ["S1"], "channel": ["afn"],
    ...                        "purchased_at": ["2025-06-01"]})
    >>> data = dataset_from_frames(orders=orders, inventory=inventory)
    >>> inventory_skus(data, as_of=D, policy=load_policy()).select(
    ...     "sku", "stranded_units", "action").collect()
    shape: (2, 3)
    ┌─────┬────────────────┬─────────────┐
    │ sku ┆ stranded_units ┆ action      │
    │ --- ┆ ---            ┆ ---         │
    │ str ┆ i64            ┆ str         │
    ╞═════╪════════════════╪═════════════╡
    │ MUG ┆ 20             ┆ fix_listing │
    │ LID ┆ 5              ┆ fix_listing │
    └─────┴────────────────┴─────────────┘
    """
    units = pl.col("excess_units") + pl.col("stranded_units")
    return (
        inventory_sku_table(data, as_of=as_of, policy=policy)
        .filter(pl.col("action").is_not_null())
        .sort(units, "sku", descending=[True, False])
    )


def report_tables(
    data: Dataset, *, as_of: date, policy: Policy, history_days: int = HISTORY_DAYS
) -> dict[str, pl.LazyFrame]:
    """Every table of the seller reports, for all sellers of ``data``, as lazy frames.

    Parameters
    ----------
    data
        A validated dataset (collect it first when the tables are computed together).
    as_of
        D, the report date.
    policy
        The policy every table uses.
    history_days
        Length of the metric and AHR history (as-of dates ``D - history_days + 1 .. D``;
        longer than :data:`~toolkit.reports.settings.CHANGE_DAYS`, for the change against
        that many days ago).

    Returns
    -------
    dict[str, pl.LazyFrame]
        ``metrics`` (definitions section 4.2 over the history), ``forecast`` (definitions section 5, from D),
        ``clearance`` (definitions section 5, every metric of account health, plus ``rating`` and
        ``comment`` of feedback records; without the records of the definitions section 12 metrics, which
        never affect account health), ``actions`` (definitions section 10, for those records),
        ``ahr`` (definitions section 6, over the history), ``violations`` (definitions section 6, at D),
        ``freshness`` (:func:`data_freshness`), ``inventory`` (definitions section 11, the IPI
        components, bands and unofficial proxy at D; no row for a seller without FBA
        inventory data), ``inventory_skus`` (:func:`inventory_skus`),
        ``inventory_periods`` (definitions section 11, the evaluation period of D and the next one),
        ``ratings`` (the plain average of each
        ASIN's verified reviews at D with its share of 1-2 stars,
        :func:`toolkit.engine.service.rating_by_asin`) and ``summary``
        (:func:`seller_summary`).
        Collect them together with ``pl.collect_all``.
    """
    if history_days <= CHANGE_DAYS:
        raise OptionError(f"history_days must be at least {CHANGE_DAYS + 1}, got {history_days}")
    start = as_of - timedelta(days=history_days - 1)
    tables = {
        "metrics": metrics_table(data, as_of=start, to=as_of, policy=policy),
        "forecast": forecast_table(data, as_of=as_of, policy=policy),
        # the records of account health (not those of the definitions section 12 metrics Amazon does not use)
        "clearance": _clearance_with_feedback(
            data,
            clearance_table(data, as_of=as_of, policy=policy).filter(
                ~pl.col("metric").is_in(NOT_FOR_HEALTH)
            ),
        ),
        "actions": actions_table(data, as_of=as_of, policy=policy).filter(
            ~pl.col("metric").is_in(NOT_FOR_HEALTH)
        ),
        "ahr": ahr_table(data, as_of=start, to=as_of, policy=policy),
        "violations": violations_table(data, as_of=as_of, policy=policy),
        "freshness": data_freshness(data, as_of=as_of, policy=policy),
        "inventory": inventory_table(data, as_of=as_of, policy=policy),
        "inventory_skus": inventory_skus(data, as_of=as_of, policy=policy),
        "inventory_periods": inventory_periods(data, as_of=as_of, policy=policy),
        "ratings": rating_by_asin(data, as_of=as_of, policy=policy),
    }
    tables["summary"] = seller_summary(tables, as_of=as_of)
    return tables


def _rank(status: pl.Expr) -> pl.Expr:
    return status.replace_strict(STATUS_RANK, default=len(STATUS_RANK), return_dtype=pl.Int64)


def seller_summary(tables: dict[str, pl.LazyFrame], *, as_of: date) -> pl.LazyFrame:
    """One row per (seller, marketplace): what the index page shows, worst first.

    Returns
    -------
    pl.LazyFrame
        ``seller_id, marketplace, as_of, status`` (the worst status of a
        non-informational metric on D), ``worst_metric, worst_channel, worst_numerator,
        worst_denominator, worst_rate`` (that metric; the first in policy order among
        equals), ``odr`` (a list of ``channel, numerator, denominator, rate`` structs, mfn first), ``ahr_estimate, band``,
        ``ipi_proxy`` (the unofficial IPI proxy on D, definitions section 11; null without FBA inventory
        data; it does not change the ranking), ``fba_inventory`` (whether the seller has
        FBA inventory data on D), ``missing_targets`` (metric rows missing their target on D), ``recovery_date``
        (when the last of them is back on target in the clean forecast; null when none
        misses or one does not recover within the horizon), ``recovers`` (false when a
        miss does not recover within the horizon), ``next_clearance`` (the next date a
        counting record or displayed violation clears), ``counting_records``,
        ``overdue_actions`` and ``open_actions`` (actions whose deadline has passed, and
        actions with something to do, definitions section 10), ``next_deadline`` (the earliest deadline
        not yet passed), ``attention`` (what needs attention most: the worst of the
        status, the AHR band and a passed deadline) and ``rank``, sorted by
        :func:`toolkit.charts.tables.rank_sellers`: the one ranking of sellers.
    """
    metrics, forecast = tables["metrics"], tables["forecast"]
    today = metrics.filter(pl.col("as_of") == as_of)
    ranked = today.filter(~pl.col("informational")).with_columns(
        _r=_rank(pl.col("status")),
        _m=pl.col("metric").replace_strict(
            {m: i for i, m in enumerate(METRICS)}, return_dtype=pl.Int64
        ),
    )
    worst = (
        ranked.sort("_r", "_m", "channel")
        .group_by(_SELLER, maintain_order=True)
        .agg(
            pl.col("status").first(),
            worst_metric=pl.col("metric").first(),
            worst_channel=pl.col("channel").first(),
            worst_numerator=pl.col("numerator").first(),
            worst_denominator=pl.col("denominator").first(),
            worst_rate=pl.col("rate").first(),
        )
    )
    odr = (
        today.filter(pl.col("metric") == "odr")
        .sort("channel", descending=True)
        .group_by(_SELLER, maintain_order=True)
        .agg(odr=pl.struct("channel", "numerator", "denominator", "rate"))
    )
    missing = ranked.filter(pl.col("status").is_in(TARGET_MISSED)).join(
        forecast.group_by([*_SELLER, "channel", "metric"]).agg(pl.col("recovery_date").first()),
        on=[*_SELLER, "channel", "metric"],
        how="left",
    )
    recovery = missing.group_by(_SELLER).agg(
        missing_targets=pl.len().cast(pl.Int64),
        recovers=pl.col("recovery_date").is_not_null().all(),
        recovery_date=pl.col("recovery_date").max(),
    )
    counting = (
        tables["clearance"]
        .filter(pl.col("counting"), pl.col("clears_on") > as_of)
        .group_by(_SELLER)
        .agg(next_clearance=pl.col("clears_on").min(), counting_records=pl.len().cast(pl.Int64))
    )
    ahr = tables["ahr"].filter(pl.col("as_of") == as_of).select(*_SELLER, "ahr_estimate", "band")
    ipi = (
        tables["inventory"]
        .filter(pl.col("as_of") == as_of)
        .select(*_SELLER, "ipi_proxy", fba_inventory=pl.lit(True))
    )
    parts = (
        worst.join(odr, on=_SELLER, how="left")
        .join(ahr, on=_SELLER, how="full", coalesce=True)
        .join(recovery, on=_SELLER, how="left")
        .join(counting, on=_SELLER, how="left")
        .join(ipi, on=_SELLER, how="left")
    )
    parts = parts.join(_deadlines(tables["actions"], as_of=as_of), on=_SELLER, how="left")
    summary = parts.with_columns(
        as_of=pl.lit(as_of, pl.Date),
        status=pl.col("status").fill_null("no_data"),
        missing_targets=pl.col("missing_targets").fill_null(0),
        recovers=pl.col("recovers").fill_null(True),
        counting_records=pl.col("counting_records").fill_null(0),
        overdue_actions=pl.col("overdue_actions").fill_null(0),
        open_actions=pl.col("open_actions").fill_null(0),
        fba_inventory=pl.col("fba_inventory").fill_null(False),
    ).with_columns(recovery_date=pl.when(pl.col("recovers")).then("recovery_date"))
    return rank_sellers(summary).select(
        *_SELLER,
        "as_of",
        "status",
        "worst_metric",
        "worst_channel",
        "worst_numerator",
        "worst_denominator",
        "worst_rate",
        "odr",
        "ahr_estimate",
        "band",
        "ipi_proxy",
        "fba_inventory",
        "missing_targets",
        "recovery_date",
        "recovers",
        "next_clearance",
        "counting_records",
        "overdue_actions",
        "open_actions",
        "next_deadline",
        "attention",
        "rank",
    )


def _deadlines(actions: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """Per seller: actions whose deadline has passed, open actions, and the next deadline.

    ``open_actions`` counts the actions with something to do (not ``wait``);
    ``next_deadline`` is the earliest deadline (a date) not yet passed.
    """
    deadline = pl.col("deadline").cast(pl.Date)
    return actions.group_by(_SELLER).agg(
        overdue_actions=pl.col("overdue").sum().cast(pl.Int64),
        open_actions=(pl.col("action") != "wait").sum().cast(pl.Int64),
        next_deadline=deadline.filter(~pl.col("overdue") & (deadline >= as_of)).min(),
    )


def report_labels(summary: pl.DataFrame) -> pl.DataFrame:
    """``seller_id, marketplace, label, name``: a report's title and its file-name stem.

    The label is the seller id, with the marketplace added for sellers found in several
    marketplaces; the name is :func:`toolkit.reports.names.file_names` of the label.
    """
    several = pl.col("marketplace").n_unique().over("seller_id") > 1
    labelled = summary.select(_SELLER).with_columns(
        label=pl.when(several)
        .then(pl.format("{} {}", "seller_id", "marketplace"))
        .otherwise("seller_id")
    )
    names = file_names(labelled["label"].to_list())
    return labelled.with_columns(name=pl.col("label").replace_strict(names))


def amazon_reconciliation(
    data_dir: str | Path, data: Dataset, *, as_of: date, policy: Policy
) -> pl.LazyFrame | None:
    """The Amazon reports found in ``<data_dir>/sp_api/`` recomputed from ``data``, or None.

    Report files (``GET_V2_SELLER_PERFORMANCE_REPORT`` JSON, optionally gzip, the seller
    from the file name) anywhere under ``sp_api/``
    (:data:`~toolkit.model.resources.AMAZON_REPORTS_DIR`) are read, each seller's latest snapshot
    on or before ``as_of`` is kept, and every metric of it is recomputed over the report's
    own window.

    Returns
    -------
    pl.LazyFrame or None
        :func:`toolkit.amazon.reconcile.reconcile_table` of those snapshots; None when
        there is no report file.
    """
    folder = Path(data_dir) / AMAZON_REPORTS_DIR
    files = sorted(p for p in folder.rglob("*") if p.is_file() and ".json" in p.suffixes)
    if not files:
        return None
    snapshots = read_seller_performance(files).filter(pl.col("snapshot_date") <= as_of)
    latest = pl.col("snapshot_date") == pl.col("snapshot_date").max().over(
        "seller_id", "marketplace"
    )
    return reconcile_table(snapshots.filter(latest), data, policy=policy)


def read_reconciliation(path: str | Path) -> pl.DataFrame:
    """A reconciliation table (``.parquet`` or ``.csv``) with at least ``seller_id``.

    Raises
    ------
    toolkit.model.errors.OptionError
        Naming the file: not a file, not readable as Parquet or CSV, or no ``seller_id``.
    """
    path = Path(path)
    if not path.is_file():
        raise OptionError(f"reconciliation table {path}: not a file")
    try:
        parquet = path.suffix.lower() == ".parquet"
        frame = pl.read_parquet(path) if parquet else pl.read_csv(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OptionError(f"reconciliation table {path}: cannot be read ({first})") from None
    if "seller_id" not in frame.columns:
        raise OptionError(f"{path}: a reconciliation table needs a seller_id column")
    if "marketplace" not in frame.columns:
        frame = frame.with_columns(marketplace=pl.lit("US"))
    return frame
