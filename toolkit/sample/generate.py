"""A deterministic synthetic data directory: the sample personas, or millions of orders.

:func:`generate_sample` builds the input tables of definitions section 3 (the five event tables,
the optional ``inventory`` and ``ipi_observed`` of definitions section 11 for four FBA personas,
and the ``returns``, ``messages`` and ``reviews`` of definitions section 12 for every persona)
and :func:`write_sample` writes them (``seller-health sample``). The default is the committed
``data/sample/``: twelve seller personas whose stories ``data/sample/README.md`` tells,
over the 395 days that end on :data:`SAMPLE_END`. With ``sellers`` above twelve, generated
sellers (ids ``G000001`` ..) are added, each drawn from a persona's parameters, with about
``daily_orders`` orders per seller per day: ``sellers=50_000, days=400, daily_orders=0.5``
makes about ten million orders.

Rows come as exports come: orders in purchase-time order with the sellers interleaved,
every other table in the order of its event's time (:data:`TIME_ORDER`), Parquet with
polars' default writer settings. Nothing about the files is tuned to the toolkit's reader.

Same arguments, same bytes: every draw comes from ``numpy.random.Generator(PCG64(...))``
seeded from ``seed`` (one stream per block of sellers), and nothing depends on the clock
or on set order. The sample is a snapshot taken at the end of :data:`SAMPLE_END`: events
after it (a claim decided next week, a parcel still in transit) are not in it yet, so
pending claims and unshipped orders are pending and unshipped in the data.

Examples
--------
>>> from toolkit.sample.generate import SAMPLE_END, generate_sample
>>> tables = generate_sample(sellers=3, days=30)
>>> list(tables)
['orders', 'feedback', 'claims', 'chargebacks', 'violations', 'inventory', 'ipi_observed', 'returns', 'messages', 'reviews']
>>> tables["orders"].select("seller_id").unique().sort("seller_id")["seller_id"].to_list()
['S01-steady', 'S02-claims-burst', 'S03-low-volume']
>>> str(tables["orders"]["purchased_at"].max().date()) <= str(SAMPLE_END)
True
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from polars.io.plugins import register_io_source

from toolkit.model.errors import OptionError
from toolkit.model.output import atomic_path
from toolkit.model.schema import TABLES
from toolkit.sample import events as ev
from toolkit.sample.frames import finish, raw_frames
from toolkit.sample.inventory import inventory_frames
from toolkit.sample.personas import PERSONAS, generated_sellers, persona_sellers
from toolkit.sample.service import service_frames
from toolkit.sample.stories import STORIES

__all__ = [
    "DEFAULT_DAILY_ORDERS",
    "DEFAULT_DAYS",
    "PERSONA_IDS",
    "SAMPLE_END",
    "TIME_ORDER",
    "generate_sample",
    "write_sample",
]

#: The last day of the sample: the last as-of date, and the reports' default.
SAMPLE_END = date(2026, 11, 15)
#: Days of history by default (about 13 months, so that every window has a past).
DEFAULT_DAYS = 395
#: Mean orders per day of each generated seller when ``daily_orders`` is not given.
DEFAULT_DAILY_ORDERS = 5.0
#: The persona seller ids, in order; ``sellers=N`` (N <= 12) keeps the first N.
PERSONA_IDS = tuple(p.seller_id for p in PERSONAS)

#: The time column each table's rows are ordered by (orders by purchase time, sellers
#: interleaved, as Amazon's exports come; the other tables by the time of their event).
TIME_ORDER = {
    "orders": "purchased_at",
    "feedback": "left_at",
    "claims": "filed_at",
    "chargebacks": "filed_at",
    "violations": "detected_at",
    "inventory": "date",
    "ipi_observed": "date",
    "returns": "requested_at",
    "messages": "received_at",
    "reviews": "reviewed_at",
}

_BLOCK_SELLERS = 2_500
#: Orders of generated sellers per span of days put in time order at once when writing.
_SPAN_ORDERS = 1_500_000
_EPOCH = date(1970, 1, 1)


def _check(seed: int, sellers: int | None, days: int | None, daily_orders: float | None):
    if not isinstance(seed, int) or seed < 0:
        raise OptionError(f"seed must be an integer >= 0, got {seed!r}")
    sellers = len(PERSONAS) if sellers is None else sellers
    days = DEFAULT_DAYS if days is None else days
    daily = DEFAULT_DAILY_ORDERS if daily_orders is None else daily_orders
    if not isinstance(sellers, int) or sellers < 1:
        raise OptionError(f"sellers must be an integer >= 1, got {sellers!r}")
    if not isinstance(days, int) or days < 1:
        raise OptionError(f"days must be an integer >= 1, got {days!r}")
    if not daily > 0:
        raise OptionError(f"daily_orders must be > 0, got {daily_orders!r}")
    return sellers, days, float(daily)


def generate_sample(
    *,
    seed: int = 7,
    sellers: int | None = None,
    days: int | None = None,
    daily_orders: float | None = None,
    progress: bool = False,
) -> dict[str, pl.DataFrame]:
    """The input tables of a synthetic data directory, typed as :func:`read_data` gives.

    Parameters
    ----------
    seed
        Seed of the random generator; the same arguments always give the same tables.
    sellers
        Number of sellers: the first ``sellers`` personas when 12 or fewer, else the 12
        personas and ``sellers - 12`` generated sellers. Default: the 12 personas.
    days
        Days of history ending on :data:`SAMPLE_END` (default :data:`DEFAULT_DAYS`).
    daily_orders
        Mean orders per day of each generated seller (default
        :data:`DEFAULT_DAILY_ORDERS`); the personas keep the volumes of their stories.
    progress
        Print a line per block of sellers to standard error.

    Returns
    -------
    dict[str, pl.DataFrame]
        ``orders``, ``feedback``, ``claims``, ``chargebacks``, ``violations``,
        ``inventory``, ``ipi_observed``, ``returns``, ``messages`` and ``reviews`` with the
        columns of definitions sections 3, 11 and 12 in schema order; timestamps
        ``Datetime("us", "UTC")``. Only the personas ``S05-fba``, ``S06-violations``,
        ``S08-business-invoices`` and ``S11-cancellations`` have inventory; only the
        personas have returns, messages and reviews (generated sellers have none).
        Rows are in the order of the files :func:`write_sample` writes: by the time
        column of :data:`TIME_ORDER` (orders by purchase time, sellers interleaved, as
        order exports come), ties in the order of generation. A generated seller with no
        order and no violation in the period (a very small one, or one that starts late)
        appears in no table.
    """
    blocks = list(_blocks(seed, sellers, days, daily_orders, progress))
    return {
        name: _in_time_order(pl.concat([block[name] for block in blocks]), name) for name in TABLES
    }


def _in_time_order(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Rows by the table's time column; a stable sort, so ties keep their order."""
    return frame.sort(TIME_ORDER[name], maintain_order=True)


def write_sample(
    out: str | Path,
    *,
    seed: int = 7,
    sellers: int | None = None,
    days: int | None = None,
    file_format: str = "csv",
    progress: bool = True,
    daily_orders: float | None = None,
) -> dict[str, int]:
    """Write a synthetic data directory to ``out``; return the rows written per table.

    Each table goes to ``out/<table>.csv`` (or ``.parquet``), its rows in the order of
    :func:`generate_sample` (by time, sellers interleaved), written with polars' default
    writer settings (Parquet: polars' row groups and compression; nothing tuned to the
    engine). Memory stays bounded however many orders there are: blocks of 2,500 sellers
    are generated one after the other and spilled, split into spans of days, into a
    temporary directory inside ``out``; each table is then written span by span, each
    span put in time order on its own (about 1.5 million orders at a time), so a hundred
    million orders are written in a few GiB. Each file is written under a temporary name
    and renamed when complete. A file of the same table in the other format is removed
    so that the directory stays readable. Other files in ``out`` (such as its README) are
    left alone. The arguments are those of :func:`generate_sample`; ``file_format`` is
    ``"csv"`` or ``"parquet"``.

    CSV files follow :func:`toolkit.model.output.write_table`: timestamps
    ``2026-11-15T23:50:00Z``, booleans ``true``/``false``, nulls empty.
    """
    if file_format not in ("csv", "parquet"):
        raise OptionError(f"file_format must be 'csv' or 'parquet', got {file_format!r}")
    sellers, days, daily = _check(seed, sellers, days, daily_orders)  # before any file
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    first_day = (SAMPLE_END - _EPOCH).days - days + 1
    generated = max(sellers - len(PERSONAS), 0) * daily
    span = max(1, min(days, int(_SPAN_ORDERS // max(generated, 1.0))))
    counts = dict.fromkeys(TABLES, 0)
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".sample-", dir=out) as spill:
        schemas: dict[str, pl.Schema] = {}
        for number, block in enumerate(_blocks(seed, sellers, days, daily_orders, progress)):
            for name, frame in block.items():
                schemas.setdefault(name, frame.schema)
                counts[name] += frame.height
                _spill(frame, name, Path(spill), number, first_day=first_day, span=span)
        for name in TABLES:
            path = out / f"{name}.{file_format}"
            _write(_spilled(Path(spill) / name, name, schemas[name]), path)
            if progress:
                print(
                    f"sample: wrote {path.name} ({counts[name]:,} rows), "
                    f"{time.perf_counter() - clock:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
    other = "parquet" if file_format == "csv" else "csv"
    for name in TABLES:
        (out / f"{name}.{other}").unlink(missing_ok=True)
    if progress:
        print(f"sample: wrote {out}", file=sys.stderr, flush=True)
    return counts


def _day(name: str) -> pl.Expr:
    """The UTC day number of each row's time (:data:`TIME_ORDER`)."""
    column = pl.col(TIME_ORDER[name])
    if name in ("inventory", "ipi_observed"):  # dates
        return column.cast(pl.Int32)
    return column.dt.epoch("d").cast(pl.Int32)


def _spill(frame: pl.DataFrame, name: str, spill: Path, number: int, *, first_day: int, span: int):
    """Write a block's rows of one table into one file per span of days (``SPAN-BLOCK``)."""
    if frame.is_empty():
        return
    directory = spill / name
    directory.mkdir(exist_ok=True)
    part = pl.max_horizontal((_day(name) - first_day) // span, 0).alias("_span")
    for (index,), rows in frame.with_columns(part).partition_by("_span", as_dict=True).items():
        rows.drop("_span").write_parquet(directory / f"{index:06d}-{number:06d}.parquet")


def _spilled(directory: Path, name: str, schema: pl.Schema) -> pl.LazyFrame:
    """The spilled rows of one table in time order, read one span of days at a time."""
    files = sorted(directory.glob("*.parquet")) if directory.is_dir() else []
    spans = [list(group) for _, group in itertools.groupby(files, key=lambda f: f.name[:6])]

    def source(with_columns, predicate, n_rows, batch_size) -> Iterator[pl.DataFrame]:
        for span in spans:  # spans in time order; blocks in generation order within each
            rows = _in_time_order(pl.read_parquet(span), name)
            if with_columns is not None:
                rows = rows.select(with_columns)
            if predicate is not None:
                rows = rows.filter(predicate)
            yield rows

    return register_io_source(source, schema=schema)


def _write(rows: pl.LazyFrame, path: Path) -> None:
    """Stream ``rows`` into ``path`` with polars' default writer settings, atomically."""
    with atomic_path(path) as tmp:
        if path.suffix == ".csv":
            rows.sink_csv(tmp, date_format="%Y-%m-%d", datetime_format="%Y-%m-%dT%H:%M:%S%.fZ")
        else:
            rows.sink_parquet(tmp)


# ------------------------------------------------------------------------------ blocks


def _blocks(seed, sellers, days, daily_orders, progress) -> Iterator[dict[str, pl.DataFrame]]:
    sellers, days, daily = _check(seed, sellers, days, daily_orders)
    first_day = (SAMPLE_END - _EPOCH).days - days + 1
    personas = min(sellers, len(PERSONAS))
    sizes = [personas] + [
        min(_BLOCK_SELLERS, sellers - personas - start)
        for start in range(0, sellers - personas, _BLOCK_SELLERS)
    ]
    offsets = dict.fromkeys(TABLES, 0)
    empty: dict[str, pl.DataFrame] = {}
    clock = time.perf_counter()
    for number, size in enumerate(sizes):
        rng = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(number,)))
        )
        if number == 0:
            block = persona_sellers(size)
        else:
            block = generated_sellers(
                rng,
                sum(sizes[1:number]) + 1,
                size,
                first_day=first_day,
                days=days,
                daily_orders=daily,
                day_factor=ev.day_factors(first_day, days),
            )
        raw = raw_frames(rng, block, first_day, days)
        if number == 0:
            for seller_id in block.ids:
                if seller_id in STORIES:
                    STORIES[seller_id](raw, rng)
        first = _EPOCH + timedelta(days=first_day)
        frames = finish(raw, block.ids, offsets, first=first, end=SAMPLE_END)
        if number == 0:  # the personas' block, always the first
            extra = inventory_frames(block.ids, seed=seed, first=first, end=SAMPLE_END)
            extra.update(service_frames(frames["orders"], block.ids, seed=seed, end=SAMPLE_END))
            empty = {name: frame.clear() for name, frame in extra.items()}
        frames.update(extra if number == 0 else empty)
        frames = {name: frames[name] for name in TABLES}
        for name, frame in frames.items():
            offsets[name] += frame.height
        if progress:
            print(
                f"sample: block {number + 1}/{len(sizes)} ({size:,} sellers): "
                f"{offsets['orders']:,} orders so far, {time.perf_counter() - clock:.1f} s",
                file=sys.stderr,
                flush=True,
            )
        yield frames
