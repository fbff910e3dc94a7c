"""Benchmark: the toolkit's metrics engine against a DuckDB SQL implementation, in one run.

Workloads (issue 3):

- ``snapshot``: every metric at one as-of date, 10 million orders across 50,000 sellers;
- ``history``: every day of 90 as-of dates, 1 million orders across 5,000 sellers.

The data come from the project's own generator (``seller-health sample --format parquet``)
and are made once under ``benchmarks/data/`` (git-ignored). Each side runs in a fresh
process that reads the Parquet files, computes the metrics and writes them to Parquet;
the parent measures the child's wall time, CPU time (user + system) and peak memory
(maximum resident set size, from ``wait4``), then checks that both outputs are identical
on the shared columns. Both sides produce the same columns (keys, window dates,
numerator, denominator, rate); the toolkit's full SPEC 4.2 table, which adds targets,
Wilson intervals, exact p-values and statuses, is timed as a third run and reported apart. Repeats alternate the two sides, and the medians are reported with
the machine's load average, since a busy 2-core machine moves wall times a lot.

Usage::

    .venv/bin/python benchmarks/metrics_vs_duckdb.py                 # both workloads, 3 repeats
    .venv/bin/python benchmarks/metrics_vs_duckdb.py --workload history --repeat 5
    .venv/bin/python benchmarks/metrics_vs_duckdb.py --scale 0.01    # a quick smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable

WORKLOADS = {
    # name: (sellers, days of data, mean orders per seller per day, as-of dates)
    "snapshot": (50_000, 120, 1.67, 1),
    "history": (5_000, 180, 1.11, 90),
}

TOOLKIT_CHILD = """
import sys
from datetime import date
from toolkit.model.data import read_data
from toolkit.engine.metrics import metrics_table
data_dir, first, last, out, columns = sys.argv[1:6]
table = metrics_table(
    read_data(data_dir, validate=False),
    as_of=date.fromisoformat(first),
    to=date.fromisoformat(last),
)
if columns != "all":  # the DuckDB baseline's columns: the rest is never computed
    table = table.select(columns.split(","))
table.collect().write_parquet(out)
"""

DUCKDB_CHILD = """
import sys
from datetime import date
from tests.oracles.duckdb_metrics import duckdb_metrics
data_dir, first, last, out = sys.argv[1:5]
duckdb_metrics(data_dir, as_of=date.fromisoformat(first), to=date.fromisoformat(last)).write_parquet(out)
"""

sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the repository's packages
from tests.oracles.duckdb_metrics import OUTPUT_COLUMNS  # noqa: E402

SHARED = list(OUTPUT_COLUMNS)  # what both sides produce


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _generate(directory: Path, sellers: int, days: int, daily: float) -> None:
    if (directory / "orders.parquet").exists():
        return
    print(f"generating {directory} ({sellers:,} sellers, {days} days) ...", flush=True)
    command = [
        str(Path(PYTHON).with_name("seller-health")),
        "sample",
        "--out",
        str(directory),
        "--sellers",
        str(sellers),
        "--days",
        str(days),
        "--daily-orders",
        str(daily),
        "--format",
        "parquet",
    ]
    subprocess.run(command, check=True)


def _child(code: str, args: list[str]) -> Run:
    """Run ``code`` in a fresh interpreter; wall, CPU and peak memory of that process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen([PYTHON, "-c", code, *args], cwd=ROOT, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"child failed with exit code {process.returncode}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def _check(toolkit_out: Path, duckdb_out: Path) -> int:
    import polars as pl
    from polars.testing import assert_frame_equal

    keys = ["seller_id", "marketplace", "channel", "metric", "as_of"]
    ours = pl.read_parquet(toolkit_out).select(SHARED).sort(keys)
    theirs = pl.read_parquet(duckdb_out).select(SHARED).sort(keys)
    assert_frame_equal(ours, theirs)
    return ours.height


def _median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.peak_mib for r in runs),
    )


def bench(name: str, *, repeat: int, scale: float, data_root: Path) -> dict:
    from toolkit.sample.generate import SAMPLE_END

    sellers, days, daily, dates = WORKLOADS[name]
    sellers = max(13, int(sellers * scale))
    directory = data_root / f"{name}-{sellers}"
    _generate(directory, sellers, days, daily)
    last = SAMPLE_END
    first = last - timedelta(days=dates - 1)
    args = [str(directory), first.isoformat(), last.isoformat()]
    out = data_root / "out"
    out.mkdir(exist_ok=True)
    runs: dict[str, list[Run]] = {"toolkit": [], "duckdb": [], "toolkit_full": []}
    loads = [_load()]
    for i in range(repeat):
        order = ("toolkit", "duckdb") if i % 2 == 0 else ("duckdb", "toolkit")
        for side in (*order, "toolkit_full"):
            target = str(out / f"{name}-{side}.parquet")
            if side == "duckdb":
                runs[side].append(_child(DUCKDB_CHILD, [*args, target]))
            else:
                columns = "all" if side == "toolkit_full" else ",".join(SHARED)
                runs[side].append(_child(TOOLKIT_CHILD, [*args, target, columns]))
            loads.append(_load())
    rows = _check(out / f"{name}-toolkit.parquet", out / f"{name}-duckdb.parquet")
    _check(out / f"{name}-toolkit_full.parquet", out / f"{name}-duckdb.parquet")
    import polars as pl

    orders = pl.scan_parquet(directory / "orders.parquet").select(pl.len()).collect().item()
    result = {
        "workload": name,
        "orders": orders,
        "sellers": sellers,
        "as_of": f"{first} .. {last}" if dates > 1 else str(last),
        "output_rows": rows,
        "identical": True,
        "load_average": loads,
    }
    for side, side_runs in runs.items():
        m = _median(side_runs)
        result[side] = {
            "wall_s": round(m.wall, 2),
            "cpu_s": round(m.cpu, 2),
            "peak_mib": round(m.peak_mib),
        }
        result[side]["walls"] = [round(r.wall, 2) for r in side_runs]
    for key in ("wall_s", "cpu_s", "peak_mib"):
        result[f"ratio_{key}"] = round(result["toolkit"][key] / result["duckdb"][key], 2)
    return result


def _print(result: dict) -> None:
    t, d = result["toolkit"], result["duckdb"]
    print(
        f"\n{result['workload']}: {result['orders']:,} orders, {result['sellers']:,} sellers, "
        f"as of {result['as_of']}; {result['output_rows']:,} identical rows"
    )
    print(f"  {'':8} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
    f = result["toolkit_full"]
    print(f"  {'toolkit':8} {t['wall_s']:>8} {t['cpu_s']:>8} {t['peak_mib']:>9}")
    print(f"  {'duckdb':8} {d['wall_s']:>8} {d['cpu_s']:>8} {d['peak_mib']:>9}")
    print(
        f"  ratio toolkit / duckdb: wall {result['ratio_wall_s']}, cpu {result['ratio_cpu_s']}, "
        f"peak memory {result['ratio_peak_mib']}"
    )
    print(
        f"  toolkit, full SPEC 4.2 table (statuses, Wilson intervals, p-values too): "
        f"wall {f['wall_s']} s, cpu {f['cpu_s']} s, peak {f['peak_mib']} MiB"
    )
    print(f"  load average during the runs: {', '.join(result['load_average'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the sellers")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    print(
        f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; started {date.today()}"
    )
    results = []
    for name in names:
        result = bench(name, repeat=args.repeat, scale=args.scale, data_root=args.data)
        _print(result)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
