"""A seller's slice of the results on disk: written once by the batch, read by its report.

The batch runner computes every table for all sellers in one pass
(:func:`toolkit.reports.results.report_tables`), then :func:`write_results` writes each
seller's rows once, as Parquet, under ``results/<name>/``, and :func:`write_meta` says
where the numbers came from. The report notebook reads its slice back with
:func:`read_results` (through :func:`toolkit.reports.view.load_report`). This module owns
the layout of a slice::

    results/<name>/<table>.parquet      one per table of RESULT_TABLES
    results/<name>/reconciliation.parquet   when Amazon's reports were reconciled
    results/<name>/meta.json            {"source": ..., "run": ...}

Every file is written atomically.

Examples
--------
>>> import tempfile
>>> import polars as pl
>>> summary = pl.DataFrame({"seller_id": ["S1", "S2"], "marketplace": ["US", "US"],
...     "status": ["good", "bad"]})
>>> labels = pl.DataFrame({"seller_id": ["S1", "S2"], "marketplace": ["US", "US"],
...     "name": ["S1", "S2"]})
>>> root = tempfile.mkdtemp()
>>> written = write_results({"summary": summary}, root, labels=labels)
>>> sorted(written)
['S1', 'S2']
>>> pl.read_parquet(written["S2"] / "summary.parquet")["status"].to_list()
['bad']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from toolkit.model.output import atomic_path, write_table

__all__ = [
    "RECONCILIATION",
    "RESULT_TABLES",
    "StoredResults",
    "read_results",
    "write_meta",
    "write_results",
]

#: The tables of a seller's results, one Parquet file each.
RESULT_TABLES = (
    "metrics",
    "forecast",
    "clearance",
    "actions",
    "ahr",
    "violations",
    "freshness",
    "ratings",
    "summary",
)
#: The optional table of a slice: the reconciliation with Amazon's reports.
RECONCILIATION = "reconciliation"
_META = "meta.json"
_SELLER = ["seller_id", "marketplace"]


def write_results(
    frames: dict[str, pl.DataFrame], directory: str | Path, *, labels: pl.DataFrame
) -> dict[str, Path]:
    """Write each seller's slice of every table to ``directory/<name>/<table>.parquet``.

    Parameters
    ----------
    frames
        Collected tables with ``seller_id`` and ``marketplace`` (the collected
        :func:`~toolkit.reports.results.report_tables`, and the reconciliation).
    directory
        The results directory (created).
    labels
        :func:`~toolkit.reports.results.report_labels` of the sellers to write.

    Returns
    -------
    dict[str, Path]
        The slice directory of each report name. Every table is written for every
        seller, empty (with its columns) when the seller has no rows in it.
    """
    directory = Path(directory)
    parts = {
        table: frame.partition_by(_SELLER, as_dict=True, maintain_order=True)
        for table, frame in frames.items()
    }
    written: dict[str, Path] = {}
    for seller_id, marketplace, name in labels.select(*_SELLER, "name").iter_rows():
        target = directory / name
        for table, frame in frames.items():
            part = parts[table].get((seller_id, marketplace), frame.clear())
            write_table(part, target / f"{table}.parquet")
        written[name] = target
    return written


def write_meta(
    directories: dict[str, Path],
    *,
    source: str,
    run: str,
    files: dict[str, dict[str, str]] | None = None,
) -> None:
    """Write ``meta.json`` into each slice: where the numbers came from, the run, and the
    files written beside the seller's page (``files[name]``, for the page's links)."""
    for name, directory in directories.items():
        text = json.dumps({"source": source, "run": run, "files": (files or {}).get(name, {})})
        with atomic_path(directory / _META) as path:
            path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class StoredResults:
    """One seller's slice as read back: its tables, their source, its reconciliation, and
    the files beside its page (``actions``, ``calendar``: names relative to the page)."""

    tables: dict[str, pl.DataFrame]
    source: str
    reconciliation: pl.DataFrame | None
    files: dict[str, str]


def read_results(directory: str | Path, *, seller_id: str, marketplace: str) -> StoredResults:
    """The rows of ``seller_id`` in ``marketplace`` from the slice in ``directory``.

    ``source`` is the ``source`` of ``meta.json`` (``results <directory>`` without one);
    ``reconciliation`` is None when the slice has no reconciliation table.
    """
    directory = Path(directory)
    mine = (pl.col("seller_id") == seller_id) & (pl.col("marketplace") == marketplace)
    tables = {
        table: pl.read_parquet(directory / f"{table}.parquet").filter(mine)
        for table in RESULT_TABLES
    }
    source, files = f"results {directory}", {}
    meta = directory / _META
    if meta.exists():
        stored = json.loads(meta.read_text(encoding="utf-8"))
        source, files = stored.get("source", source), stored.get("files", {})
    recon = directory / f"{RECONCILIATION}.parquet"
    reconciliation = pl.read_parquet(recon) if recon.exists() else None
    return StoredResults(tables=tables, source=source, reconciliation=reconciliation, files=files)
