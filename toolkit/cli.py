"""The ``seller-health`` command line (definitions section 9).

Every subcommand takes ``--data DIR`` (default ``data/sample`` in the working directory)
and ``--policy FILE`` (default: the shipped Amazon US policy), prints a short summary, and
writes tables with ``--out FILE`` (``.parquet`` or ``.csv`` by extension). Input errors
are printed with file, column, rows and values, and the command exits with status 2
before writing anything.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from toolkit.model.errors import OptionError, UsageError
from toolkit.model.policy import load_policy
from toolkit.model.resources import DEFAULT_DATA, DEFAULT_REPORTS

# Each command imports the modules it needs (polars and what is built on it) inside its
# function, so that `seller-health --help` starts at once and a light command never loads
# altair or nbconvert.

__all__ = ["main"]

EXIT_INPUT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
#: The longest forecast horizon the command line accepts, in days (ten years).
MAX_HORIZON_DAYS = 3660


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _out_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise argparse.ArgumentTypeError(f"--out must end in .csv or .parquet: {text!r}")
    return path


def _horizon(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from None
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise argparse.ArgumentTypeError(
            f"the horizon must be 1 to {MAX_HORIZON_DAYS} days (ten years), got {days}"
        )
    return days


#: Options naming a file the command writes (``sample --out`` is a directory; the
#: ``reports`` runner checks its own output directory before it starts).
_OUTPUTS = {
    "out": "--out",
    "violations_out": "--violations-out",
    "orders_out": "--orders-out",
}
_INPUTS = ("policy", "files", "file", "snapshots", "orders_list", "reconciliation", "notebook")


def _check_outputs(args: argparse.Namespace) -> None:
    """Every output path can be written and overwrites no input: checked before computing."""
    from toolkit.model.output import check_output
    from toolkit.model.schema import TABLES

    inputs: set[Path] = set()
    for name in _INPUTS:
        value = getattr(args, name, None)
        for path in value if isinstance(value, list) else [value]:
            if path is not None:
                inputs.add(Path(path).resolve())
    data = getattr(args, "data", None)
    if data is not None:
        inputs.update(Path(data).resolve() / f"{t}.{x}" for t in TABLES for x in ("csv", "parquet"))
    seen: dict[Path, str] = {}
    for attr, option in _OUTPUTS.items():
        path = getattr(args, attr, None)
        if path is None or args.command == "reports":
            continue
        check_output(path, directory=args.command == "sample", option=option)
        where = Path(path).resolve()
        if where in inputs:
            raise OptionError(f"{option} {path}: is an input of this command; write elsewhere")
        if where in seen:
            raise OptionError(f"{option} and {seen[where]} are the same file: {path}")
        seen[where] = option


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, default=None, help=f"data directory (default {DEFAULT_DATA})"
    )
    parser.add_argument("--policy", type=Path, default=None, help="policy TOML file")


def _default_data() -> Path:
    """The default data directory, when it is there (else an OptionError)."""
    if not DEFAULT_DATA.is_dir():
        raise OptionError(
            f"no --data given and no {DEFAULT_DATA} directory in {Path.cwd()}: give "
            f"--data DIR (seller-health sample --out {DEFAULT_DATA} writes a synthetic one)"
        )
    return DEFAULT_DATA


def _load(args: argparse.Namespace, *, collect: bool = True):
    """The policy and the validated dataset named by ``--policy`` and ``--data``.

    ``collect=False`` keeps the tables as scans of the files (validated in one streaming
    pass each), for a command that reads them once: its filters and column choices then
    reach the file readers instead of a copy of every table in memory.
    """
    from toolkit.model.data import read_data

    policy = load_policy(args.policy)
    data = read_data(args.data)
    return policy, data.collect() if collect else data


def _table(args: argparse.Namespace, build: Callable, *, collect: bool = True, **options):
    """``build(data, policy=..., **options)`` on ``--data`` and ``--policy`` (restricted to
    ``--sellers`` when given), collected (``collect``: see :func:`_load`)."""
    policy, data = _load(args, collect=collect)
    data = data.for_sellers(getattr(args, "sellers", None))
    # on scans of the files, polars' streaming engine reads them in batches: memory stays
    # that of the rows a step keeps, not of whole tables (100 million orders in a few GiB)
    return build(data, policy=policy, **options).collect(engine="auto" if collect else "streaming")


def _sellers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sellers", nargs="+", default=None, metavar="ID", help="only these sellers"
    )


def _dates(parser: argparse.ArgumentParser, *, to: bool = False) -> None:
    """``--as-of`` (required) and, for a range, ``--to`` (checked by :func:`_check_range`)."""
    parser.add_argument("--as-of", type=_date, required=True, help="as-of date (YYYY-MM-DD)")
    if to:
        parser.add_argument("--to", type=_date, default=None, help="last as-of date of a range")


# ---------------------------------------------------------------------------- commands


def _cmd_sample(args: argparse.Namespace) -> int:
    from toolkit.sample.generate import write_sample

    counts = write_sample(
        args.out,
        seed=args.seed,
        sellers=args.sellers,
        days=args.days,
        file_format=args.format,
        progress=not args.quiet,
        daily_orders=args.daily_orders,
    )
    rows = ", ".join(f"{table} {n:,}" for table, n in counts.items())
    print(f"wrote {args.out}: {rows}")
    if args.with_reports:
        _write_sample_reports(args)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from toolkit.model.summary import data_summary

    policy, data = _load(args, collect=False)  # the summary reads a few columns once
    print(f"{args.data}: valid (policy {policy.name})")
    print(data_summary(data))
    return 0


def _finish(frame, args: argparse.Namespace, summary: str) -> int:
    """Write ``frame`` to ``--out`` (when given) and print the summary."""
    from toolkit.model.output import write_table

    if args.out is not None:
        write_table(frame, args.out)
        summary += f"\nwrote {args.out} ({frame.height:,} rows)"
    else:
        summary += "\n(no --out: nothing written)"
    print(summary)
    return 0


def _cmd_metrics(args: argparse.Namespace) -> int:
    import polars as pl

    from toolkit.engine.metrics import metrics_table

    table = _table(
        args,
        metrics_table,
        collect=args.to is not None,  # one date: read once, only what the date needs
        as_of=args.as_of,
        to=args.to,
        known_at=args.known_at,
    )
    span = f"{args.as_of}" if args.to is None else f"{args.as_of} .. {args.to}"
    known = f", known at {args.known_at}" if args.known_at else ""
    latest = table.filter(pl.col("as_of") == table["as_of"].max(), ~pl.col("informational"))
    counts = latest.group_by("status").len().sort("status")
    statuses = ", ".join(f"{s} {n}" for s, n in counts.iter_rows())
    summary = (
        f"metrics {span}{known}: {table.height:,} rows, {table['seller_id'].n_unique()} sellers\n"
        f"status on {table['as_of'].max()} (non-informational metrics): {statuses}"
    )
    return _finish(table, args, summary)


def _cmd_clearance(args: argparse.Namespace) -> int:
    import polars as pl

    from toolkit.engine.clearance import clearance_table

    table = _table(args, clearance_table, as_of=args.as_of)
    counting = table.filter(pl.col("counting"))
    upcoming = counting.filter(pl.col("clears_on") > args.as_of)["clears_on"].min()
    summary = (
        f"clearance as of {args.as_of}: {table.height:,} records, {counting.height:,} counting now; "
        f"next clears on {upcoming or 'none'}"
    )
    return _finish(table, args, summary)


def _cmd_forecast(args: argparse.Namespace) -> int:
    import polars as pl

    from toolkit.engine.forecast import forecast_table

    options = {"as_of": args.as_of, "horizon": args.horizon, "remove": args.remove}
    table = _table(args, forecast_table, **options)
    per_metric = table.group_by("seller_id", "marketplace", "channel", "metric").agg(
        pl.col("recovery_date", "clean_orders_needed").first()
    )
    behind = per_metric.filter(pl.col("clean_orders_needed") > 0)
    never = behind.filter(pl.col("recovery_date").is_null())
    removed = f", removing {', '.join(args.remove)}" if args.remove else ""
    summary = (
        f"forecast from {args.as_of}{removed}: {table.height:,} rows; "
        f"{behind.height} metric rows miss their target today, "
        f"{never.height} of them do not recover within the horizon"
    )
    return _finish(table, args, summary)


# ------------------------------------------------------------------------- ahr (estimate)


def _cmd_ahr(args: argparse.Namespace) -> int:
    import polars as pl

    from toolkit.compliance.ahr import ahr_table
    from toolkit.compliance.tables import violations_table
    from toolkit.model.output import write_table

    to = args.to or args.as_of
    policy, data = _load(args)
    data = data.for_sellers(args.sellers)
    queries = [ahr_table(data, as_of=args.as_of, to=to, policy=policy)]
    if args.violations_out is not None:
        queries.append(violations_table(data, as_of=args.as_of, to=to, policy=policy))
    scores, *violations = pl.collect_all(queries)
    write_table(scores, args.out)
    for frame in violations:
        write_table(frame, args.violations_out)
    span = f"{args.as_of}" if to == args.as_of else f"{args.as_of} .. {to}"
    print(
        f"AHR estimate (Amazon publishes no formula; policy {policy.name}), {span}: "
        f"{scores.height:,} rows, {scores['seller_id'].n_unique():,} sellers -> {args.out}"
    )
    if scores.height:
        low = scores.sort("ahr_estimate", "as_of", "seller_id", "marketplace").row(0, named=True)
        print(
            f"lowest estimate: {low['ahr_estimate']} ({low['band']}) for {low['seller_id']} "
            f"{low['marketplace']} on {low['as_of']}"
        )
        last = scores.filter(pl.col("as_of") == to)["band"].value_counts()
        counts = dict(zip(last["band"], last["count"], strict=True))
        bands = ", ".join(
            f"{band} {counts.get(band, 0)}" for band in ("healthy", "at_risk", "critical")
        )
        print(f"bands on {to}: {bands}")
    for frame in violations:
        print(f"violations table: {frame.height:,} rows -> {args.violations_out}")
    return 0


def _add_ahr(sub) -> None:
    ahr = sub.add_parser(
        "ahr", help="Account Health Rating estimate (and the violations table) per as-of date"
    )
    _common(ahr)
    _dates(ahr, to=True)
    ahr.add_argument("--out", type=_out_path, required=True, help="AHR table (.csv or .parquet)")
    ahr.add_argument(
        "--violations-out", type=_out_path, default=None, help="also write the violations table"
    )
    _sellers_option(ahr)
    ahr.set_defaults(func=_cmd_ahr)


# -------------------------------------------------------------------- actions (definitions section 10)


def _cmd_actions(args: argparse.Namespace) -> int:
    import polars as pl

    from toolkit.engine.actions import actions_table

    table = _table(args, actions_table, as_of=args.as_of)
    todo = table.filter(pl.col("action") != "wait")
    overdue = table.filter(pl.col("overdue"))
    kinds = ", ".join(f"{a} {n}" for a, n in todo.group_by("action").len().sort("action").rows())
    lines = [
        f"actions as of {args.as_of}: {table.height:,} records of "
        f"{table['seller_id'].n_unique():,} sellers; {todo.height:,} with something to do "
        f"({kinds or 'none'}), {overdue.height:,} of them past their deadline; "
        f"{table.height - todo.height:,} clear by themselves"
    ]
    upcoming = todo.filter(~pl.col("overdue"), pl.col("deadline").is_not_null()).sort("deadline")
    if upcoming.height:
        row = upcoming.row(0, named=True)
        lines.append(
            f"next deadline: {row['deadline']:%Y-%m-%d %H:%M} UTC, {row['action']} "
            f"{row['record_id']} ({row['seller_id']})"
        )
    return _finish(table, args, "\n".join(lines))


def _add_actions(sub) -> None:
    actions = sub.add_parser(
        "actions", help="what each seller can do about each record, by when, and what it changes"
    )
    _common(actions)
    _dates(actions)
    _sellers_option(actions)
    actions.add_argument("--out", type=_out_path, default=None, help=".csv or .parquet")
    actions.set_defaults(func=_cmd_actions)


# ----------------------------------------------------------- inventory (definitions section 11)


def _percent(value: float | None) -> str:
    return "no data" if value is None else f"{100 * value:.1f} %"


def _inventory_lines(table, limit: int = 10) -> list[str]:
    """One line per seller and marketplace on the last as-of date of ``table``."""
    import polars as pl

    last = table.filter(pl.col("as_of") == table["as_of"].max())
    lines = []
    for row in last.head(limit).iter_rows(named=True):
        sell = row["sell_through_90d"]
        sell = "no data" if sell is None else f"{sell:.2f}"
        proxy = "no data" if row["ipi_proxy"] is None else str(row["ipi_proxy"])
        lines.append(
            f"  {row['seller_id']} {row['marketplace']}: "
            f"sell-through {sell} ({row['sell_through_90d_band']}), "
            f"excess {_percent(row['excess_pct'])}, stranded {_percent(row['stranded_pct'])}, "
            f"in-stock {_percent(row['in_stock_rate_30d'])} ({row['in_stock_rate_30d_band']}); "
            f"IPI proxy {proxy} (unofficial); {row['skus']} SKUs, {row['units_on_hand']:,} units"
        )
    if last.height > limit:
        lines.append(f"  ... and {last.height - limit:,} more")
    return lines


def _cmd_inventory(args: argparse.Namespace) -> int:

    import polars as pl

    from toolkit.inventory import (
        calibrate_proxy,
        inventory_periods,
        inventory_sku_table,
        inventory_table,
    )
    from toolkit.inventory.periods import evaluation_calendar, next_evaluation
    from toolkit.time.limits import LAST_DATE
    from toolkit.time.windows import as_of_range

    to = as_of_range(args.as_of, args.to)
    policy, data = _load(args)
    data = data.for_sellers(args.sellers)
    lines = []
    by_market = None
    if args.calibrate:
        calibration = calibrate_proxy(data, policy=policy)
        by_market = calibration.weights
        for row in calibration.fit.iter_rows(named=True):
            shares = ", ".join(
                f"{name} {row[f'w_{key}']:.4g}"
                for key, name in (
                    ("sell_through_90d", "sell-through"),
                    ("excess_pct", "excess"),
                    ("stranded_pct", "stranded"),
                    ("in_stock_rate_30d", "in-stock"),
                )
            )
            r2 = "n/a" if row["r_squared"] is None else f"{row['r_squared']:.3f}"
            lines.append(
                f"calibrated proxy weights {row['marketplace']} ({row['points']} observed points, "
                f"{row['skipped']} skipped): {shares}; mean absolute error "
                f"{row['mae']:.1f}, R squared {r2}"
            )
    options = {"as_of": args.as_of, "to": args.to, "policy": policy, "by_market": by_market}
    span = f"{args.as_of}" if to == args.as_of else f"{args.as_of} .. {to}"
    weights = "calibrated weights" if args.calibrate else f"weights of policy {policy.name}"
    head = f"inventory performance {span} (IPI proxy: unofficial, {weights})"
    if args.periods:
        table = inventory_periods(data, **options).collect()
        lines.append(f"{head}: {table.height:,} evaluation periods")
        for row in (
            table.filter(pl.col("decided") | (pl.col("period_start") > to))
            .head(12)
            .iter_rows(named=True)
        ):
            proxy = "not decided yet" if not row["decided"] else f"proxy {row['ipi_proxy']}"
            threshold = row["threshold"] if row["threshold"] is not None else "none published"
            lines.append(
                f"  {row['seller_id']} {row['marketplace']} {row['period_kind']} "
                f"{row['period_start']} .. {row['period_end']}: checkpoint {row['checkpoint']}, "
                f"{proxy}, threshold {threshold}: {row['limit_risk']}"
            )
    elif args.by_sku:
        table = inventory_sku_table(data, **options).collect()
        last = table.filter(pl.col("as_of") == to)
        actions = last.group_by("action").len().drop_nulls("action").sort("action")
        todo = ", ".join(f"{a} {n}" for a, n in actions.iter_rows()) or "none"
        lines.append(f"{head}: {table.height:,} SKU rows; actions on {to}: {todo}")
    else:
        table = inventory_table(data, **options).collect()
        lines.append(f"{head}: {table.height:,} rows, {table['seller_id'].n_unique()} sellers")
        lines += _inventory_lines(table)
    evaluation = next_evaluation(to, policy.inventory)
    if evaluation is None:
        lines.append(
            f"next weekly evaluation: after {LAST_DATE}, the last date the toolkit handles"
        )
    else:
        lines.append(f"next weekly evaluation: {evaluation:%A} {evaluation}")
    markets = table["marketplace"].unique().sort().to_list()
    calendar = evaluation_calendar(policy.inventory, marketplaces=markets, start=to, end=to)
    for row in calendar.filter(pl.col("period_start") > to).iter_rows(named=True):
        threshold = row["threshold"] if row["threshold"] is not None else "none published"
        lines.append(
            f"next {row['period_kind']} ({row['marketplace']}): {row['period_start']} .. "
            f"{row['period_end']}, decided at its checkpoint {row['checkpoint']} "
            f"(threshold {threshold})"
        )
    return _finish(table, args, "\n".join(lines))


def _add_inventory(sub) -> None:
    inventory = sub.add_parser(
        "inventory", help="FBA inventory performance: IPI components, bands, unofficial proxy"
    )
    _common(inventory)
    _dates(inventory, to=True)
    table = inventory.add_mutually_exclusive_group()
    table.add_argument("--by-sku", action="store_true", help="one row per SKU (drill-down)")
    table.add_argument(
        "--periods", action="store_true", help="evaluation periods, checkpoints and limit risk"
    )
    inventory.add_argument(
        "--calibrate",
        action="store_true",
        help="fit the proxy's weights to ipi_observed (8 points or more) and use them",
    )
    inventory.add_argument("--sellers", nargs="+", default=None, metavar="ID", help="only these")
    inventory.add_argument("--out", type=_out_path, default=None, help=".csv or .parquet")
    inventory.set_defaults(func=_cmd_inventory)


# ------------------------------------------------------------------ ingest (definitions section 7)


def _cmd_ingest_sp_api(args: argparse.Namespace) -> int:
    from toolkit.amazon.ingest import read_seller_performance
    from toolkit.model.output import write_table

    table = read_seller_performance(
        args.files, seller_id=args.seller, snapshot_date=args.snapshot_date
    ).collect()
    write_table(table, args.out)
    sellers = ", ".join(table["seller_id"].unique().sort().to_list())
    markets = ", ".join(table["marketplace"].unique().sort().to_list())
    dates = table["snapshot_date"]
    print(
        f"read {len(args.files)} report file(s): {table.height} snapshot rows, "
        f"sellers {sellers}, marketplaces {markets}, snapshot dates {dates.min()} .. {dates.max()}"
    )
    print(f"wrote {args.out}")
    return 0


def _spread(table, column: str, template: str) -> str:
    """Rows per value of ``column``, ``template`` filled with each value and its count."""
    counts = table.group_by(column).len().sort(column)
    return ", ".join(template.format(v, n) for v, n in counts.iter_rows()) or "none"


def _date_span(table, column: str) -> str:
    """``2025-01-01 .. 2025-03-31``: the first and last UTC date of ``column``."""
    dates = table[column].dt.date()
    return f"{dates.min()} .. {dates.max()}"


def _cmd_ingest_feedback(args: argparse.Namespace) -> int:
    from toolkit.amazon.ingest import read_feedback_report
    from toolkit.model.output import write_table

    table = read_feedback_report(
        args.file, marketplace=args.marketplace, encoding=args.encoding
    ).collect()
    write_table(table, args.out)
    spread = _spread(table, "rating", "{}-star {}")
    dates = _date_span(table, "left_at")
    print(f"read {args.file}: {table.height} feedback rows ({spread}), dates {dates}")
    print(f"Rater Email dropped; wrote {args.out}")
    return 0


def _cmd_ingest_orders(args: argparse.Namespace) -> int:
    from toolkit.amazon.ingest import read_orders_report
    from toolkit.model.output import write_table

    table = read_orders_report(
        args.file, seller_id=args.seller, marketplace=args.marketplace, encoding=args.encoding
    ).collect()
    write_table(table, args.out)
    spread = _spread(table, "channel", "{} {}")
    cancelled = table["cancelled_at"].is_not_null().sum()
    dates = _date_span(table, "purchased_at")
    print(
        f"read {args.file}: {table.height} orders ({spread}; {cancelled} cancelled), purchased {dates}"
    )
    print(f"wrote {args.out}")
    return 0


def _add_ingest(sub: argparse._SubParsersAction) -> None:
    ingest = sub.add_parser("ingest", help="convert Amazon report files into toolkit tables")
    kinds = ingest.add_subparsers(dest="kind", required=True, metavar="KIND")

    sp_api = kinds.add_parser(
        "sp-api", help="GET_V2_SELLER_PERFORMANCE_REPORT JSON files -> snapshot table"
    )
    sp_api.add_argument("files", nargs="+", type=Path, metavar="FILE", help="report JSON (.gz ok)")
    sp_api.add_argument("--out", type=_out_path, required=True, help=".csv or .parquet")
    sp_api.add_argument("--seller", default=None, help="seller id (default: file name)")
    sp_api.add_argument(
        "--snapshot-date", type=_date, default=None, help="default: latest reportingDateTo"
    )
    sp_api.set_defaults(func=_cmd_ingest_sp_api)

    feedback = kinds.add_parser("feedback", help="seller feedback flat file -> feedback table")
    feedback.add_argument("file", type=Path, metavar="FILE")
    feedback.add_argument(
        "--marketplace", required=True, help="country code (US, DE, JP, ...): the date format"
    )
    feedback.add_argument("--out", type=_out_path, required=True, help=".csv or .parquet")
    feedback.add_argument("--encoding", default=None, help="default: detected")
    feedback.set_defaults(func=_cmd_ingest_feedback)

    orders = kinds.add_parser("orders", help="all-orders flat file -> orders table")
    orders.add_argument("file", type=Path, metavar="FILE")
    orders.add_argument("--out", type=_out_path, required=True, help=".csv or .parquet")
    orders.add_argument("--seller", default=None, help="seller id (default: file name)")
    orders.add_argument("--marketplace", default="US", help="country code (default US)")
    orders.add_argument("--encoding", default=None, help="default: detected")
    orders.set_defaults(func=_cmd_ingest_orders)

    _add_ingest_inventory(kinds)
    _add_ingest_returns(kinds)


# -------------------------------------------------------- ingest returns (definitions section 12)


def _cmd_ingest_returns(args: argparse.Namespace) -> int:
    from toolkit.amazon.ingest import read_returns_report
    from toolkit.model.output import write_table

    table = read_returns_report(args.file, encoding=args.encoding).collect()
    write_table(table, args.out)
    spread = _spread(table.with_columns(table["outcome"].fill_null("open")), "outcome", "{} {}")
    dates = _date_span(table, "requested_at") if table.height else "none"
    print(f"read {args.file}: {table.height} return requests ({spread}), requested {dates}")
    print(
        "the report has no response times: responded_at and buyer_resolved are empty, so "
        f"every request older than 48 hours counts as late in rdr_30d; wrote {args.out}"
    )
    return 0


def _add_ingest_returns(kinds) -> None:
    returns = kinds.add_parser(
        "returns",
        help="seller-fulfilled returns flat file (GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE) "
        "-> returns table",
    )
    returns.add_argument("file", type=Path, metavar="FILE")
    returns.add_argument("--out", type=_out_path, required=True, help=".csv or .parquet")
    returns.add_argument("--encoding", default=None, help="default: detected")
    returns.set_defaults(func=_cmd_ingest_returns)


# -------------------------------------------------------- ingest inventory (definitions section 11)


def _inventory_written(table, args: argparse.Namespace, read: str) -> int:
    from toolkit.model.output import write_table

    write_table(table, args.out)
    days = table["date"]
    first, last = (days.min(), days.max()) if table.height else ("none", "none")
    print(
        f"read {read}: {table.height:,} inventory rows, {table['sku'].n_unique():,} SKUs, "
        f"dates {first} .. {last}; {int(table['stranded'].sum()):,} units stranded, "
        f"{table['excess'].is_not_null().sum():,} rows with Amazon's excess estimate"
    )
    print(f"wrote {args.out}")
    return 0


def _cmd_ingest_inventory_ledger(args: argparse.Namespace) -> int:
    from toolkit.amazon.ingest.inventory import read_inventory_reports

    table = read_inventory_reports(
        args.files,
        stranded=args.stranded,
        planning=args.planning,
        seller_id=args.seller,
        marketplace=args.marketplace,
        stranded_date=args.stranded_date,
        day_first=args.day_first,
        fill_gaps=args.fill_gaps,
        encoding=args.encoding,
    ).collect()
    files = len(args.files) + len(args.stranded) + len(args.planning)
    return _inventory_written(table, args, f"{files} report file(s)")


def _cmd_ingest_inventory_update(args: argparse.Namespace) -> int:
    from toolkit.amazon.ingest.inventory import add_inventory_reports, read_inventory_table

    reports = {"stranded": args.files} if args.kind == "stranded" else {"planning": args.files}
    table = add_inventory_reports(
        read_inventory_table(args.inventory),
        **reports,
        seller_id=args.seller,
        marketplace=args.marketplace,
        stranded_date=getattr(args, "date", None),
        day_first=args.day_first,
        encoding=args.encoding,
        source=str(args.inventory),
    ).collect()
    return _inventory_written(
        table, args, f"{len(args.files)} {args.kind} file(s) into {args.inventory}"
    )


def _add_ingest_inventory(kinds) -> None:
    ledger = kinds.add_parser(
        "inventory-ledger",
        help="FBA ledger summary files (daily), with stranded and planning files -> inventory table",
    )
    ledger.add_argument("files", nargs="+", type=Path, metavar="FILE", help="ledger summary")
    ledger.add_argument(
        "--stranded",
        nargs="+",
        type=Path,
        default=[],
        metavar="FILE",
        help="stranded inventory report files (dated by YYYY-MM-DD in the name)",
    )
    ledger.add_argument(
        "--planning",
        nargs="+",
        type=Path,
        default=[],
        metavar="FILE",
        help="inventory planning report files (excess estimates)",
    )
    ledger.add_argument(
        "--stranded-date",
        type=_date,
        default=None,
        help="date of the stranded files (default: from their names)",
    )
    ledger.add_argument("--seller", default=None, help="seller id (default: first file name)")
    ledger.add_argument("--marketplace", default="US", help="country code (default US)")
    ledger.add_argument(
        "--fill-gaps",
        action="store_true",
        help="carry balances forward over missing dates (shipped 0)",
    )
    ledger.add_argument("--day-first", action="store_true", help="slashed dates are DD/MM/YYYY")
    ledger.add_argument("--encoding", default=None, help="default: detected")
    ledger.add_argument("--out", type=_out_path, required=True, help=".csv or .parquet")
    ledger.set_defaults(func=_cmd_ingest_inventory_ledger)

    for kind, what in (("stranded", "stranded inventory"), ("planning", "inventory planning")):
        update = kinds.add_parser(
            kind, help=f"{what} report files -> into an existing inventory table"
        )
        update.add_argument("files", nargs="+", type=Path, metavar="FILE")
        update.add_argument(
            "--inventory",
            type=Path,
            required=True,
            metavar="FILE",
            help="the inventory table to update (from ingest inventory-ledger)",
        )
        if kind == "stranded":
            update.add_argument(
                "--date",
                type=_date,
                default=None,
                help="date of the files (default: YYYY-MM-DD in their names)",
            )
        update.add_argument("--seller", default=None, help="default: the table's only seller")
        update.add_argument("--marketplace", default=None, help="default: its only marketplace")
        update.add_argument("--day-first", action="store_true", help="slashed dates are DD/MM/YYYY")
        update.add_argument("--encoding", default=None, help="default: detected")
        update.add_argument("--out", type=_out_path, required=True, help=".csv or .parquet")
        update.set_defaults(func=_cmd_ingest_inventory_update)


# ------------------------------------------------------------------ reconcile (definitions section 7)


def _cmd_reconcile(args: argparse.Namespace) -> int:
    import polars as pl

    from toolkit.amazon.reconcile import (
        order_reconciliation,
        read_orders_list,
        read_snapshot_table,
        reconcile_table,
    )
    from toolkit.model.output import write_table

    if args.orders_out is not None and args.orders_list is None:
        print("seller-health reconcile: --orders-out needs --orders-list", file=sys.stderr)
        return EXIT_INPUT_ERROR
    snapshots = read_snapshot_table(args.snapshots).collect()  # small inputs first
    listed = None if args.orders_list is None else read_orders_list(args.orders_list).collect()
    policy, data = _load(args)
    if args.sellers is not None:
        mine = data.for_sellers(args.sellers)
        snapshots = snapshots.filter(pl.col("seller_id").is_in(args.sellers))
        if listed is not None:  # orders the data gives to another seller are not theirs
            others = data.orders.join(mine.orders, on="order_id", how="anti").select("order_id")
            listed = listed.join(others.collect(), on="order_id", how="anti")
        data = mine
    queries = [reconcile_table(snapshots, data, policy=policy, orders_list=listed)]
    if listed is not None:
        queries.append(order_reconciliation(snapshots, data, listed, policy=policy))
    table, *orders = pl.collect_all(queries)
    counts = dict(table.group_by("status").len().iter_rows())
    statuses = ", ".join(
        f"{s} {counts.get(s, 0)}" for s in ("match", "differs", "not_compared", "not_recomputable")
    )
    print(f"reconciled {table.height} snapshot rows against {args.data}: {statuses}")
    for row in table.filter(status="differs").head(10).iter_rows(named=True):
        print(
            f"  differs: {row['seller_id']} {row['snapshot_date']} {row['metric']} "
            f"{row['channel']}: Amazon {row['amazon_numerator']} / {row['amazon_denominator']}, "
            f"ours {row['our_numerator']} / {row['our_denominator']}"
        )
    for frame in orders:
        one_side = frame.filter(pl.col("in_amazon") != pl.col("in_ours")).height
        print(f"order-level: {frame.height} rows, {one_side} counted by one side only")
    if args.out is not None:
        write_table(table, args.out)
        print(f"wrote {args.out}")
    if args.orders_out is not None:
        write_table(orders[0], args.orders_out)
        print(f"wrote {args.orders_out}")
    if args.out is None and args.orders_out is None:
        print("(no --out: nothing written)")
    return 0


def _add_reconcile(sub) -> None:
    rec = sub.add_parser(
        "reconcile", help="Amazon's report numbers next to ours over the same windows"
    )
    _common(rec)
    rec.add_argument(
        "--snapshots",
        type=Path,
        required=True,
        metavar="FILE",
        help="snapshot table from `ingest sp-api` (.csv or .parquet)",
    )
    rec.add_argument(
        "--orders-list",
        type=Path,
        default=None,
        metavar="FILE",
        help="Amazon's order-level ODR list (CSV: order_id, defect_type)",
    )
    _sellers_option(rec)
    rec.add_argument("--out", type=_out_path, default=None, help="reconciliation table")
    rec.add_argument("--orders-out", type=_out_path, default=None, help="order-level table")
    rec.set_defaults(func=_cmd_reconcile)


def _write_sample_reports(args: argparse.Namespace) -> None:
    """``sample --with-reports``: SP-API report files of a few personas, in ``out/sp_api``."""
    from toolkit.model.data import read_data
    from toolkit.sample.sp_api import SAMPLE_REPORTS_DIR, write_sample_reports

    paths = write_sample_reports(read_data(args.out).collect(), args.out / SAMPLE_REPORTS_DIR)
    print(f"wrote {len(paths)} report files to {args.out / SAMPLE_REPORTS_DIR}")


# --------------------------------------------------------------- reports (the main job)


def _cmd_reports(args: argparse.Namespace) -> int:
    if args.clean:
        return _clean_reports(args)
    from toolkit.reports.runner import run_reports

    try:
        result = run_reports(
            data=args.data,
            out=args.out,
            as_of=args.as_of,
            sellers=args.sellers,
            workers=args.workers,
            policy=args.policy,
            reconciliation=args.reconciliation,
            notebook=args.notebook,
            kernel=args.kernel,
            progress=not args.quiet,
        )
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: the workers are stopped
        signum = getattr(exc, "signum", signal.SIGINT)
        partial = getattr(exc, "partial", None)
        left = (
            f"; the unfinished run {partial} is left (seller-health reports --clean removes it)"
            if partial is not None
            else ""
        )
        print(
            f"seller-health reports: stopped by {signal.Signals(signum).name}{left}",
            file=sys.stderr,
        )
        return 128 + signum
    from toolkit.reports.steps import page_sizes

    ok = len(result.reports) - len(result.failed)
    print(
        f"{ok} of {len(result.reports)} seller reports written to {result.directory} "
        f"in {result.seconds['total']:.1f} s; index: {result.directory / 'index.html'}"
    )
    print(page_sizes(result.reports))
    for failure in result.failed:
        print(f"FAILED {failure['label']}: {failure['error']}", file=sys.stderr)
    return 1 if result.failed else 0


def _clean_reports(args: argparse.Namespace) -> int:
    """``reports --clean``: remove stale ``.partial`` runs (and kernel directories)."""
    from toolkit.reports.runs import clean_runs

    used = [
        option
        for option, value in (
            ("--data", args.data),
            ("--as-of", args.as_of),
            ("--sellers", args.sellers),
            ("--workers", args.workers),
            ("--reconciliation", args.reconciliation),
            ("--notebook", args.notebook),
            ("--policy", args.policy),
        )
        if value is not None
    ]
    if used:
        raise OptionError(f"--clean takes only --out, not {', '.join(used)}")
    cleaned = clean_runs(args.out)
    for path in cleaned.removed:
        print(f"removed {path}")
    for path, pid in cleaned.kept:
        by = f"process {pid}" if pid > 0 else "a run that has just started"
        print(f"kept {path}: in use by {by}")
    if not cleaned.removed:
        print(f"nothing stale in {args.out}")
    return 0


def _add_reports(sub: argparse._SubParsersAction) -> None:
    reports = sub.add_parser(
        "reports", help="one HTML report per seller and an index page (opens offline)"
    )
    _common(reports)
    reports.add_argument(
        "--as-of", type=_date, default=None, help="report date (default: last date in the data)"
    )
    reports.add_argument("--sellers", nargs="+", default=None, metavar="ID", help="only these")
    reports.add_argument(
        "--workers",
        type=int,
        default=None,
        help="parallel workers, each with its own kernel (default: one per CPU available, "
        "at most one per seller; more than the CPUs only when asked, with a warning)",
    )
    reports.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_REPORTS,
        help=f"directory of runs (default {DEFAULT_REPORTS})",
    )
    reports.add_argument(
        "--reconciliation",
        type=Path,
        default=None,
        metavar="FILE",
        help="reconciliation table (.parquet/.csv with seller_id) to show in each report",
    )
    reports.add_argument(
        "--notebook", type=Path, default=None, help="report template (default: the shipped one)"
    )
    reports.add_argument(
        "--kernel",
        choices=("reuse", "fresh"),
        default="reuse",
        help="reuse one kernel per worker (default) or start one per report",
    )
    reports.add_argument("--quiet", action="store_true", help="no progress bar")
    reports.add_argument(
        "--clean",
        action="store_true",
        help="remove the stale <run>.partial directories of stopped runs in --out (and "
        "their kernel files), then exit; runs in progress are kept",
    )
    reports.set_defaults(func=_cmd_reports)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seller-health",
        description="Seller account health analytics: recompute Amazon seller performance "
        "metrics from raw events.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sample = sub.add_parser("sample", help="write a deterministic synthetic data directory")
    sample.add_argument(
        "--out", type=Path, default=DEFAULT_DATA, help=f"directory (default {DEFAULT_DATA})"
    )
    sample.add_argument("--seed", type=int, default=7)
    sample.add_argument(
        "--sellers", type=int, default=None, help="number of sellers (default: the personas)"
    )
    sample.add_argument("--days", type=int, default=None, help="days of history (default 395)")
    sample.add_argument("--format", choices=("csv", "parquet"), default="csv")
    sample.add_argument(
        "--daily-orders",
        type=float,
        default=None,
        metavar="X",
        help="mean orders per day of each generated seller, beyond the 12 personas "
        "(default 5; 50000 sellers x 120 days x 1.67 = about 10 million orders)",
    )
    sample.add_argument("--quiet", action="store_true", help="no progress output")
    sample.add_argument(
        "--with-reports",
        action="store_true",
        help="also write SP-API report files of a few personas into OUT/sp_api",
    )
    sample.set_defaults(func=_cmd_sample)

    validate = sub.add_parser("validate", help="check a data directory and summarise it")
    _common(validate)
    validate.set_defaults(func=_cmd_validate)

    metrics = sub.add_parser("metrics", help="the metrics table for one date or a range")
    _common(metrics)
    _dates(metrics, to=True)
    metrics.add_argument(
        "--known-at", type=_date, default=None, help="judge visibility at this date (restated)"
    )
    _sellers_option(metrics)
    metrics.add_argument("--out", type=_out_path, default=None, help=".csv or .parquet")
    metrics.set_defaults(func=_cmd_metrics)

    clearance = sub.add_parser("clearance", help="when each counted record clears, and why")
    _common(clearance)
    _dates(clearance)
    _sellers_option(clearance)
    clearance.add_argument("--out", type=_out_path, default=None)
    clearance.set_defaults(func=_cmd_clearance)

    forecast = sub.add_parser("forecast", help="recovery forecast under the clean scenario")
    _common(forecast)
    _dates(forecast)
    forecast.add_argument(
        "--horizon", type=_horizon, default=None, help="days, 1 to 3660 (policy default 120)"
    )
    forecast.add_argument(
        "--remove",
        nargs="+",
        default=[],
        metavar="ID",
        help="what-if: record ids to remove (feedback, claim, chargeback or order ids)",
    )
    _sellers_option(forecast)
    forecast.add_argument("--out", type=_out_path, default=None)
    forecast.set_defaults(func=_cmd_forecast)

    _add_ahr(sub)
    _add_actions(sub)
    _add_inventory(sub)
    _add_ingest(sub)
    _add_reconcile(sub)
    _add_reports(sub)
    return parser


def _check_range(args: argparse.Namespace) -> None:
    """A range ``--as-of .. --to`` runs forwards, in the words of the options."""
    from toolkit.time.windows import as_of_range

    to, as_of = getattr(args, "to", None), getattr(args, "as_of", None)
    if to is not None and as_of is not None:
        as_of_range(as_of, to, names=("--as-of", "--to"))


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    0: done; 2: a problem with the input, an option or the policy (one message, nothing
    written); 130: interrupted (Ctrl-C); 141: the output pipe closed; ``reports`` returns
    1 when some seller's report failed. Any other exception is a bug and keeps its
    traceback.
    """
    from toolkit.model.text import visible

    args = _build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        if "data" in args and args.data is None and not getattr(args, "clean", False):
            args.data = _default_data()
        _check_range(args)
        _check_outputs(args)
        status = func(args)
        sys.stdout.flush()  # a closed pipe shows here, not as a warning at exit
        return status
    except UsageError as exc:  # the input, a file, an option or the policy: not a bug
        print(visible(f"seller-health {args.command}: {exc}"), file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print(f"seller-health {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of the output went away (``| head``): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
