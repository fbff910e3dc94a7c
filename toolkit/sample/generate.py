"""A deterministic synthetic data directory: the sample personas, or millions of orders.

:func:`generate_sample` builds the input tables of SPEC section 3 (the five event tables,
and the optional ``inventory`` and ``ipi_observed`` of SPEC section 11 for four FBA
personas) and :func:`write_sample` writes them (``seller-health sample``). The default is the committed
``data/sample/``: twelve seller personas whose stories ``data/sample/README.md`` tells,
over the 395 days that end on :data:`SAMPLE_END`. With ``sellers`` above twelve, generated
sellers (ids ``G000001`` ..) are added, each drawn from a persona's parameters, with about
``daily_orders`` orders per seller per day: ``sellers=50_000, days=120, daily_orders=1.67``
makes about ten million orders.

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
['orders', 'feedback', 'claims', 'chargebacks', 'violations', 'inventory', 'ipi_observed']
>>> tables["orders"].select("seller_id").unique().sort("seller_id")["seller_id"].to_list()
['S01-steady', 'S02-claims-burst', 'S03-low-volume']
>>> str(tables["orders"]["purchased_at"].max().date()) <= str(SAMPLE_END)
True
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from toolkit.model.errors import OptionError
from toolkit.model.output import atomic_path
from toolkit.model.schema import TABLES
from toolkit.sample import events as ev
from toolkit.sample.frames import finish, raw_frames
from toolkit.sample.inventory import inventory_frames
from toolkit.sample.personas import PERSONAS, generated_sellers, persona_sellers
from toolkit.sample.stories import STORIES

__all__ = [
    "DEFAULT_DAILY_ORDERS",
    "DEFAULT_DAYS",
    "PERSONA_IDS",
    "SAMPLE_END",
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

_BLOCK_SELLERS = 2_500
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
        ``inventory`` and ``ipi_observed`` with the columns of SPEC sections 3 and 11 in
        schema order; timestamps ``Datetime("us", "UTC")``. Only the personas
        ``S05-fba``, ``S06-violations``, ``S08-business-invoices`` and
        ``S11-cancellations`` have inventory (generated sellers have none).
        Rows are sorted by seller (personas first, then ``G000001`` ..) and time. A
        generated seller with no order and no violation in the period (a very small one,
        or one that starts late) appears in no table.
    """
    blocks = list(_blocks(seed, sellers, days, daily_orders, progress))
    return {name: pl.concat([block[name] for block in blocks]) for name in TABLES}


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

    Each table goes to ``out/<table>.csv`` (or ``.parquet``). Blocks of sellers are
    generated and appended one after the other, so memory stays that of one block
    (2,500 sellers) however many sellers there are (about 0.6 GB peak for ten million
    orders); each file is written under a temporary name and renamed when complete. A file of the same table in the other
    format is removed so that the directory stays readable. Other files in ``out``
    (such as its README) are left alone. The arguments are those of
    :func:`generate_sample`; ``file_format`` is ``"csv"`` or ``"parquet"``.

    CSV files follow :func:`toolkit.model.output.write_table`: timestamps
    ``2026-11-15T23:50:00Z``, booleans ``true``/``false``, nulls empty.
    """
    if file_format not in ("csv", "parquet"):
        raise OptionError(f"file_format must be 'csv' or 'parquet', got {file_format!r}")
    _check(seed, sellers, days, daily_orders)  # before any file is opened
    out = Path(out)
    counts = dict.fromkeys(TABLES, 0)
    with ExitStack() as stack:
        writers = {
            name: stack.enter_context(_writer(out / f"{name}.{file_format}")) for name in TABLES
        }
        for block in _blocks(seed, sellers, days, daily_orders, progress):
            for name, frame in block.items():
                writers[name](frame)
                counts[name] += frame.height
    other = "parquet" if file_format == "csv" else "csv"
    for name in TABLES:
        (out / f"{name}.{other}").unlink(missing_ok=True)
    if progress:
        print(f"sample: wrote {out}", file=sys.stderr, flush=True)
    return counts


@contextmanager
def _writer(path: Path) -> Iterator[Callable[[pl.DataFrame], None]]:
    """A function that appends frames to ``path``; the file appears when the block exits."""
    with atomic_path(path) as tmp:
        if path.suffix == ".csv":
            with tmp.open("wb") as handle:
                header = True

                def append(frame: pl.DataFrame) -> None:
                    nonlocal header
                    frame.write_csv(
                        handle,
                        include_header=header,
                        date_format="%Y-%m-%d",
                        datetime_format="%Y-%m-%dT%H:%M:%S%.fZ",
                    )
                    header = False

                yield append
        else:
            import pyarrow.parquet as pq

            parquet: list = []

            def append(frame: pl.DataFrame) -> None:
                table = frame.to_arrow()
                if not parquet:
                    parquet.append(pq.ParquetWriter(tmp, table.schema, compression="zstd"))
                # row groups of 100,000 rows: readers that hold a whole row group in memory
                # (polars' streaming engine does) stay small on millions of orders
                parquet[0].write_table(table, row_group_size=100_000)

            try:
                yield append
            finally:
                for writer in parquet:
                    writer.close()


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
            inventory = inventory_frames(block.ids, seed=seed, first=first, end=SAMPLE_END)
            empty = {name: frame.clear() for name, frame in inventory.items()}
        frames.update(inventory if number == 0 else empty)
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
