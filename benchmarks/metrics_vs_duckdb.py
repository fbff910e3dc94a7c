"""Benchmark: what a user runs (``seller-health metrics``) against DuckDB SQL, in one run.

Workloads (issue 15), on data shaped as users have it (``seller-health sample``: orders in
purchase-time order with the sellers interleaved, the other tables in event-time order,
polars' default Parquet writer, 400 days of history), each in Parquet and in CSV:

- ``snapshot``: every metric at one as-of date, about 10 million orders, 50,000 sellers;
- ``history``: every day of 90 as-of dates, about 1 million orders, 5,000 sellers;
- ``huge`` (only with ``--workload huge``): one as-of date, about 100 million orders,
  500,000 sellers, Parquet: beyond what the in-memory engine holds.

The toolkit side is the command ``seller-health metrics --data DIR --as-of D [--to E]
--out FILE.parquet`` (reading, validation, the full definitions section 4.2 table, writing); the DuckDB
side is the SQL reference of ``tests/oracles/duckdb_metrics.py`` reading the same files and
writing the same counts to Parquet (it validates nothing and computes no status). Each run
is a fresh process; the parent takes its wall time, CPU time (user + system) and peak
resident memory from ``wait4``. The sides alternate over the repeats; ``seller-health
validate`` is run apart in each repeat. Medians with min and max are printed, as a
markdown table ready to paste, with the load average seen during the runs, and both
outputs are checked identical on every row (keys, window dates, numerator, denominator,
rate). Nothing about the data is tuned to the engine.

Usage::

    .venv/bin/python benchmarks/metrics_vs_duckdb.py                 # everything, 3 repeats
    .venv/bin/python benchmarks/metrics_vs_duckdb.py --workload history --format csv --repeat 5
    .venv/bin/python benchmarks/metrics_vs_duckdb.py --scale 0.1     # a quick run (tenth of sellers)
    .venv/bin/python benchmarks/metrics_vs_duckdb.py --workload huge --repeat 1   # 100 M orders
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
SELLER_HEALTH = str(Path(PYTHON).with_name("seller-health"))

WORKLOADS = {
    # name: (sellers, days of data, mean orders per seller per day, as-of dates)
    "snapshot": (50_000, 400, 0.5, 1),
    "history": (5_000, 400, 0.5, 90),
    # beyond memory: about 100 million orders (2.7 GB of Parquet, 12 minutes to generate);
    # only when asked for (--workload huge), Parquet only
    "huge": (500_000, 400, 0.5, 1),
}
DEFAULT = ("snapshot", "history")
FORMATS = ("parquet", "csv")

DUCKDB_CHILD = """
import sys
from datetime import date
from tests.oracles.duckdb_metrics import duckdb_metrics
data_dir, first, last, out = sys.argv[1:5]
duckdb_metrics(data_dir, as_of=date.fromisoformat(first), to=date.fromisoformat(last)).write_parquet(out)
"""


sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the repository's packages


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float


def _load() -> float:
    return os.getloadavg()[0]


def generate(directory: Path, sellers: int, days: int, daily: float, file_format: str) -> None:
    """``seller-health sample`` into ``directory`` unless it holds exactly these data."""
    params = {"sellers": sellers, "days": days, "daily_orders": daily, "format": file_format}
    stamp = directory / "params.json"
    if stamp.exists() and json.loads(stamp.read_text()) == params:
        return
    print(f"generating {directory} ({params}) ...", flush=True)
    command = [
        SELLER_HEALTH,
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
        file_format,
        "--quiet",
    ]
    subprocess.run(command, check=True)
    stamp.write_text(json.dumps(params))


def child(command: list[str]) -> Run:
    """Run ``command`` as a fresh process; its wall, CPU and peak memory."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {code}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


CHECK_CHILD = """
import sys
import polars as pl
from polars.testing import assert_frame_equal
from tests.oracles.duckdb_metrics import OUTPUT_COLUMNS
toolkit_out, duckdb_out, orders = sys.argv[1:4]
shared = list(OUTPUT_COLUMNS)
keys = ["seller_id", "marketplace", "channel", "metric", "as_of"]
theirs = pl.read_parquet(duckdb_out).select(shared).sort(keys)
# the SQL baseline computes the metrics of definitions section 4 (not the three of definitions section 12)
known = theirs["metric"].unique().to_list()
ours = pl.read_parquet(toolkit_out).select(shared).filter(pl.col("metric").is_in(known))
assert_frame_equal(ours.sort(keys), theirs)
scan = pl.scan_parquet if orders.endswith(".parquet") else pl.scan_csv
print(ours.height, scan(orders).select(pl.len()).collect().item())
"""


def check(toolkit_out: Path, duckdb_out: Path, orders: Path) -> tuple[int, int]:
    """Both outputs hold the same rows (definitions section 4 metrics): (their rows, orders in the data).

    In a child process: the parent stays small, since Linux counts the parent's memory
    at fork in a child's peak (``ru_maxrss``) and every measured run is its child.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [PYTHON, "-c", CHECK_CHILD, str(toolkit_out), str(duckdb_out), str(orders)]
    done = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    rows, count = done.stdout.split()
    return int(rows), int(count)


def _stats(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def bench(name: str, file_format: str, *, repeat: int, scale: float, data_root: Path) -> dict:
    from toolkit.sample.generate import SAMPLE_END

    sellers, days, daily, dates = WORKLOADS[name]
    sellers = max(13, int(sellers * scale))
    directory = data_root / f"{name}-{sellers}-{file_format}"
    generate(directory, sellers, days, daily, file_format)
    last = SAMPLE_END
    first = last - timedelta(days=dates - 1)
    out = data_root.parent / "out"
    out.mkdir(exist_ok=True)
    targets = {side: out / f"{name}-{file_format}-{side}.parquet" for side in ("toolkit", "duckdb")}
    span = ["--as-of", first.isoformat()] + (["--to", last.isoformat()] if dates > 1 else [])
    toolkit_out = ["--out", str(targets["toolkit"])]
    dates_out = [first.isoformat(), last.isoformat(), str(targets["duckdb"])]
    commands = {
        "toolkit": [SELLER_HEALTH, "metrics", "--data", str(directory), *span, *toolkit_out],
        "duckdb": [PYTHON, "-c", DUCKDB_CHILD, str(directory), *dates_out],
        "validate": [SELLER_HEALTH, "validate", "--data", str(directory)],
    }
    runs: dict[str, list[Run]] = {side: [] for side in commands}
    loads = [_load()]
    for i in range(repeat):
        order = ("toolkit", "duckdb") if i % 2 == 0 else ("duckdb", "toolkit")
        for side in (*order, "validate"):
            runs[side].append(child(commands[side]))
            loads.append(_load())
            print(
                f"  {name} {file_format} {side}: {runs[side][-1].wall:.2f} s wall, "
                f"{runs[side][-1].cpu:.2f} s CPU, {runs[side][-1].peak_mib:.0f} MiB, "
                f"load {loads[-1]:.1f}",
                file=sys.stderr,
                flush=True,
            )
    rows, orders = check(targets["toolkit"], targets["duckdb"], directory / f"orders.{file_format}")
    return {
        "workload": name,
        "format": file_format,
        "orders": orders,
        "sellers": sellers,
        "dates": dates,
        "as_of": f"{first} .. {last}" if dates > 1 else str(last),
        "output_rows": rows,
        "load": (min(loads), max(loads)),
        "runs": {side: [vars(r) for r in side_runs] for side, side_runs in runs.items()},
    }


def _cell(values: list[float], digits: int) -> str:
    median, low, high = _stats(values)
    return f"{median:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def markdown(results: list[dict]) -> str:
    """The figures as a markdown table: median (min-max) of each measure, and the ratios."""
    lines = [
        "| workload | format | side | wall s | CPU s | peak MiB | load |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for result in results:
        runs = {s: [Run(**r) for r in rs] for s, rs in result["runs"].items()}
        what = (
            f"{result['workload']}: {result['orders']:,} orders, {result['sellers']:,} "
            f"sellers, {result['dates']} date(s), {result['output_rows']:,} rows"
        )
        load = f"{result['load'][0]:.1f}-{result['load'][1]:.1f}"
        for side, label in (
            ("toolkit", "`seller-health metrics`"),
            ("duckdb", "DuckDB SQL"),
            ("validate", "`seller-health validate`"),
        ):
            side_runs = runs[side]
            lines.append(
                f"| {what} | {result['format']} | {label} | "
                f"{_cell([r.wall for r in side_runs], 2)} | {_cell([r.cpu for r in side_runs], 2)} | "
                f"{_cell([r.peak_mib for r in side_runs], 0)} | {load} |"
            )
            what = ""

        def ratio(attr: str, top: str = "toolkit", bottom: str = "duckdb", runs=runs) -> str:
            a = statistics.median(getattr(r, attr) for r in runs[top])
            b = statistics.median(getattr(r, attr) for r in runs[bottom])
            return f"**{a / b:.2f}**"

        lines.append(
            f"| | | ratio toolkit / DuckDB | {ratio('wall')} | {ratio('cpu')} | "
            f"{ratio('peak_mib')} | |"
        )
        lines.append(
            f"| | | validate / metrics | {ratio('wall', 'validate', 'toolkit')} | "
            f"{ratio('cpu', 'validate', 'toolkit')} | | |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--format", choices=[*FORMATS, "all"], default="all")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the sellers")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    names = list(DEFAULT) if args.workload == "all" else [args.workload]
    formats = list(FORMATS) if args.format == "all" else [args.format]
    if names == ["huge"]:
        formats = ["parquet"]
    results = []
    for name in names:
        for file_format in formats:
            results.append(
                bench(name, file_format, repeat=args.repeat, scale=args.scale, data_root=args.data)
            )
    print(
        f"\nmachine: {os.cpu_count()} cores, python {sys.version.split()[0]}, {date.today()}; "
        f"{args.repeat} interleaved runs per side: median (min-max); load: 1-minute load "
        "average seen during the runs\n"
    )
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
