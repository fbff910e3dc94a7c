"""The steps of a report run that need polars: load, compute, write and finish (private).

:func:`toolkit.reports.runner.run_reports` composes them with the render step:

0. :func:`load`: read and validate the policy, a supplied reconciliation table, the data
   and Amazon's report files next to it, restrict the data to the sellers asked for and
   settle the report date (checked against the ends of the calendar): every input error
   comes out here, before any worker starts;
1. :func:`compute`: compute every report table once for all sellers (one polars pass)
   and the reconciliation with Amazon's reports;
2. :func:`write`: create ``<run>.partial/`` (and take its lock,
   :class:`~toolkit.reports.runs.RunLock`), write each seller's slice of the results and
   its ``meta.json``, the files beside each page (``<name>-actions.csv``, ``<name>.ics``),
   and list the render tasks;
3. render (:func:`toolkit.reports.runner.render`): one notebook per seller;
4. :func:`finish`: write ``index.html``, ``index.csv`` and ``run.json`` (with each page's
   size), rename ``<run>.partial`` to ``<run>`` and point ``<out>/latest`` at it.

Nothing is written before :func:`compute` has succeeded; every file is written
atomically; the run directory gets its final name only when it is complete.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from toolkit.engine.clearance import clearance_reach
from toolkit.model.data import DataError, Dataset, InputError, read_data
from toolkit.model.errors import OptionError
from toolkit.model.output import atomic_path, write_table
from toolkit.model.policy import METRICS, Policy, load_policy
from toolkit.model.schema import TABLES
from toolkit.model.vocabulary import day_text
from toolkit.reports import slices
from toolkit.reports.exports import write_exports
from toolkit.reports.index import index_page, index_table
from toolkit.reports.results import (
    amazon_reconciliation,
    last_data_date,
    read_reconciliation,
    report_labels,
    report_tables,
)
from toolkit.reports.runs import RunLock
from toolkit.reports.settings import FORECAST_TAIL_DAYS, HISTORY_DAYS
from toolkit.reports.text import reconciliation_shown
from toolkit.time.limits import check_reach

__all__ = [
    "Computed",
    "Loaded",
    "Written",
    "check_report_date",
    "compute",
    "finish",
    "load",
    "page_sizes",
    "reconcile_reports",
    "write",
]

_SELLER = ["seller_id", "marketplace"]

#: The packages whose versions ``run.json`` records.
_PACKAGES = (
    "seller-health",
    "polars",
    "pyarrow",
    "altair",
    "vl-convert-python",
    "papermill",
    "nbclient",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "jupyter-client",
)


@dataclass(frozen=True)
class Loaded:
    """What :func:`load` read and checked: every input of a run, before any worker starts."""

    data: Path
    policy: Policy
    dataset: Dataset
    as_of: date
    supplied: pl.DataFrame | None
    amazon: pl.LazyFrame | None
    reports: int


@dataclass(frozen=True)
class Computed:
    """What :func:`compute` found: everything a run writes, before anything is written."""

    data: Path
    policy: Policy
    as_of: date
    frames: dict[str, pl.DataFrame]
    reconciliation: pl.DataFrame | None
    labels: pl.DataFrame


@dataclass(frozen=True)
class Written:
    """What :func:`write` wrote: the run's name, its partial directory and the render tasks."""

    name: str
    partial: Path
    tasks: list[dict[str, Any]]
    lock: RunLock


def reconcile_reports(
    data_dir: str | Path, data: Dataset, *, as_of: date, policy: Policy
) -> pl.DataFrame | None:
    """The reconciliation of the Amazon reports next to the data, as the reports show it.

    :func:`~toolkit.reports.results.amazon_reconciliation` put into words
    (:func:`~toolkit.reports.text.reconciliation_shown`); None when ``data_dir`` holds
    no report file or none of them has a row to compare.
    """
    return _shown(amazon_reconciliation(data_dir, data, as_of=as_of, policy=policy))


def _shown(table: pl.LazyFrame | None) -> pl.DataFrame | None:
    """A reconciliation put into words, None when there is none or it has no row."""
    if table is None:
        return None
    shown = reconciliation_shown(table).collect()
    return shown if shown.height else None


def check_report_date(day: date, policy: Policy) -> None:
    """An OptionError when a report as of ``day`` would need a date outside the calendar.

    A report shows :data:`~toolkit.reports.settings.HISTORY_DAYS` of metric history, each
    date with its metric windows (the policy's widest window and lag) before ``day``,
    and after it the clean forecast (horizon plus
    :data:`~toolkit.reports.settings.FORECAST_TAIL_DAYS`) and the dates records clear
    (the widest window, the violations' display).
    """
    spans = {m: policy.metric(m).lag_days + policy.metric(m).window_days for m in METRICS}
    widest = max(spans, key=spans.__getitem__)
    check_reach(
        day,
        back=HISTORY_DAYS - 1 + spans[widest] - 1,
        what=f"a report's {HISTORY_DAYS} days of history with the {widest} window",
    )
    ahead = max(policy.horizon_days + FORECAST_TAIL_DAYS, clearance_reach(policy))
    check_reach(day, ahead=ahead, what=f"a report's forecast and clearance dates ({ahead} days)")


def _event_rows(dataset: Dataset, day: date, problem: str) -> list[InputError]:
    """Where the data holds an event on ``day``: ``problem`` per table and column."""
    deadlines = {"latest_ship_at", "promised_delivery_at"}  # may lie in the future
    queries, where = [], []
    for name in TABLES:
        frame = dataset.table(name)
        for column, dtype in frame.collect_schema().items():
            if column in deadlines or not isinstance(dtype, pl.Datetime):
                continue
            on_day = frame.filter(pl.col(column).dt.date() == day)
            queries.append(
                on_day.select(
                    pl.len().alias("count"),
                    pl.col("_row").head(10).implode().alias("rows"),
                    pl.col(column).head(1).dt.to_string("%Y-%m-%dT%H:%M:%SZ").implode().alias("v"),
                )
            )
            where.append((dataset.files.get(name, name), column))
    found = []
    for (file, column), result in zip(where, pl.collect_all(queries), strict=True):
        count = result["count"][0]
        if count:
            rows = tuple(int(r) for r in result["rows"][0])
            values = tuple(result["v"][0])
            found.append(InputError(file, column, problem, rows, int(count), values))
    return found


def _numbered(dataset: Dataset) -> Dataset:
    """``dataset`` with each table's data row number (from 1) as column ``_row``."""
    return replace(
        dataset,
        **{n: dataset.table(n).with_row_index("_row", offset=1) for n in TABLES},
    )


def load(
    *,
    data: str | Path,
    as_of: date | None,
    sellers: list[str] | None,
    policy: str | Path | None,
    reconciliation: str | Path | None,
) -> Loaded:
    """Read and check every input of a run (raises a UsageError on bad input).

    The report date is ``as_of``, else the last date in the data; either must leave the
    report room inside the calendar (:func:`check_report_date`): an ``as_of`` that does
    not is an OptionError, a default date that does not a DataError naming the rows
    that hold it.
    """
    loaded = load_policy(policy)
    supplied = read_reconciliation(reconciliation) if reconciliation else None
    numbered = _numbered(read_data(data).collect()).for_sellers(sellers)
    dataset = replace(numbered, **{n: numbered.table(n).drop("_row") for n in TABLES})
    if as_of is not None:
        try:
            check_report_date(as_of, loaded)
        except OptionError as exc:
            raise OptionError(f"--as-of {as_of}: {exc}") from None
        day = as_of
    else:
        day = last_data_date(dataset)
        try:
            check_report_date(day, loaded)
        except OptionError as exc:
            problem = (
                f"the last date in the data, {day}, is the default report date, but {exc}; "
                "give --as-of"
            )
            raise DataError(_event_rows(numbered, day, problem)) from None
    amazon = None
    if supplied is None:  # Amazon's own reports next to the data (read, checked) if any
        amazon = amazon_reconciliation(data, dataset, as_of=day, policy=loaded)
    keys = pl.concat([dataset.orders.select(_SELLER), dataset.violations.select(_SELLER)])
    reports = keys.unique().select(pl.len()).collect().item()
    return Loaded(
        data=Path(data),
        policy=loaded,
        dataset=dataset,
        as_of=day,
        supplied=supplied,
        amazon=amazon,
        reports=reports,
    )


def compute(loaded: Loaded) -> Computed:
    """Compute every report table once, for all sellers (one polars pass)."""
    tables = report_tables(loaded.dataset, as_of=loaded.as_of, policy=loaded.policy)
    frames = dict(zip(tables, pl.collect_all(list(tables.values())), strict=True))
    shown = loaded.supplied if loaded.supplied is not None else _shown(loaded.amazon)
    return Computed(
        data=loaded.data,
        policy=loaded.policy,
        as_of=loaded.as_of,
        frames=frames,
        reconciliation=shown,
        labels=report_labels(frames["summary"]),
    )


def _run_name(as_of: date, now: datetime) -> str:
    """``2026-11-15_20261126T081500Z``: the as-of date, then when the run started (UTC)."""
    return f"{as_of.isoformat()}_{now:%Y%m%dT%H%M%SZ}"


def _fresh_dir(out: Path, name: str) -> tuple[str, Path]:
    """A run name whose final and partial directories are both free (the partial created)."""
    candidate, n = name, 1
    while (out / candidate).exists() or (out / f"{candidate}.partial").exists():
        n += 1
        candidate = f"{name}-{n}"
    partial = out / f"{candidate}.partial"
    partial.mkdir(parents=True)
    return candidate, partial


def write(
    computed: Computed, *, out: Path, started: datetime, policy: str | Path | None
) -> Written:
    """Create ``<run>.partial/``, write every seller's results slice, list the render tasks.

    ``policy`` is the policy file as given (passed on to each notebook; None: the shipped
    one).
    """
    name, partial = _fresh_dir(out, _run_name(computed.as_of, started))
    lock = RunLock(partial)  # held until the run has its final name (or this process ends)
    frames = dict(computed.frames)
    if computed.reconciliation is not None:
        frames[slices.RECONCILIATION] = computed.reconciliation
    written = slices.write_results(frames, partial / "results", labels=computed.labels)
    source = (
        f"computed for all sellers by seller-health reports from {computed.data} "
        f"(policy {computed.policy.name}) at {day_text(started)} {started:%H:%M} UTC"
    )
    files = write_exports(computed.frames, partial, labels=computed.labels, as_of=computed.as_of)
    slices.write_meta(written, source=source, run=name, files=files)
    tasks = [
        {
            "seller_id": seller_id,
            "marketplace": marketplace,
            "label": label,
            "name": stem,
            "results": str(written[stem].resolve()),
            "policy": str(Path(policy).resolve()) if policy else "",
            "html": str((partial / f"{stem}.html").resolve()),
            "title": f"{label}: account health as of {day_text(computed.as_of)}",
        }
        for seller_id, marketplace, label, stem in computed.labels.iter_rows()
    ]
    return Written(name=name, partial=partial, tasks=tasks, lock=lock)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _point_latest(out: Path, name: str) -> None:
    """Make ``out/latest`` a symlink to ``name`` (atomically), or a small file naming it."""
    link = out / "latest"
    tmp = out / f".latest.{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(name, target_is_directory=True)
        if link.is_dir() and not link.is_symlink():
            raise OSError(f"{link} is a directory")
        os.replace(tmp, link)
    except OSError:
        if tmp.is_symlink():
            tmp.unlink()
        with atomic_path(out / "LATEST") as path:
            path.write_text(name + "\n", encoding="utf-8")


def _report_entry(rendered: dict[str, Any]) -> dict[str, Any]:
    """One seller's entry of ``run.json`` and the index, from its render result.

    ``bytes`` is the size of the written page (null for a failed report).
    """
    ok = rendered["status"] == "ok"
    page = Path(rendered["html"]) if ok and rendered.get("html") else None
    return {
        "seller_id": rendered["seller_id"],
        "marketplace": rendered["marketplace"],
        "label": rendered["label"],
        "file": f"{rendered['name']}.html" if ok else None,
        "status": rendered["status"],
        "error": rendered.get("error"),
        "seconds": rendered.get("seconds"),
        "bytes": page.stat().st_size if page is not None and page.exists() else None,
    }


def finish(
    computed: Computed,
    written: Written,
    rendered: list[dict[str, Any]],
    *,
    out: Path,
    parameters: dict[str, Any],
    started: datetime,
    seconds: dict[str, float],
) -> tuple[Path, dict[str, Any]]:
    """Write ``index.html`` and ``run.json``, give the run its final name, point ``latest``.

    Parameters
    ----------
    rendered
        The render step's results, in the order of ``written.tasks``.
    parameters
        The run's parameters as ``run.json`` records them.
    seconds
        The time each step took.

    Returns
    -------
    tuple[Path, dict]
        The run directory and the content of its ``run.json``.
    """
    reports = [_report_entry(r) for r in rendered]
    run = {
        "run": written.name,
        "state": "complete",
        "as_of": computed.as_of.isoformat(),
        "parameters": parameters,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": seconds,
        "versions": _versions(),
        "counts": {
            "sellers": len(reports),
            "ok": sum(r["status"] == "ok" for r in reports),
            "failed": sum(r["status"] != "ok" for r in reports),
        },
        "reports": reports,
    }
    page = index_page(computed.frames["summary"], reports, run=run)
    write_table(index_table(computed.frames["summary"], reports), written.partial / "index.csv")
    with atomic_path(written.partial / "index.html") as path:
        path.write_text(page, encoding="utf-8")
    with atomic_path(written.partial / "run.json") as path:
        path.write_text(json.dumps(run, indent=2, default=str) + "\n", encoding="utf-8")
    final = out / written.name
    os.replace(written.partial, final)
    written.lock.release(moved_to=final)
    _point_latest(out, written.name)
    return final, run


def page_sizes(reports: list[dict[str, Any]]) -> str:
    """How much the pages of a run weigh, in one line (what ``seller-health reports`` prints).

    Examples
    --------
    >>> page_sizes([{"file": "A.html", "bytes": 300_000}, {"file": "B.html", "bytes": 120_500},
    ...             {"file": None, "bytes": None}])
    'page sizes: 2 pages, 118 KB to 293 KB, 411 KB in all; largest A.html (293 KB)'
    """
    sized = sorted((r["bytes"], r["file"]) for r in reports if r.get("bytes") is not None)
    if not sized:
        return "page sizes: no page written"
    total = sum(size for size, _ in sized)
    (small, _), (large, name) = sized[0], sized[-1]
    return (
        f"page sizes: {len(sized)} page{'s' if len(sized) != 1 else ''}, {small / 1024:.0f} KB to "
        f"{large / 1024:.0f} KB, {total / 1024:.0f} KB in all; largest {name} "
        f"({large / 1024:.0f} KB)"
    )
