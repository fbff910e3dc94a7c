"""Reports for 1,000 sellers: the batch runner against the naive loop, in the same run.

Prints figures and a markdown table to paste; it is not a test. From the repository root:

    .venv/bin/python benchmarks/reports_throughput.py                  # 1,000 sellers, 3 runs
    .venv/bin/python benchmarks/reports_throughput.py --runs 1 --naive 6
    .venv/bin/python benchmarks/reports_throughput.py --sellers 100 --runs 1   # a smoke run

The data are made once by the project's generator and kept in ``benchmarks/data/``
(git-ignored): ``seller-health sample --out benchmarks/data/reports-1000 --sellers 1000
--daily-orders 4 --format parquet`` (the 12 personas and 988 generated sellers of about
4 orders a day over 395 days, the personas' own volume: about 1.6 million orders).

- **batch**: ``seller-health reports --workers 2`` over every seller (or the first
  ``--sellers``): one polars pass for all sellers, then the papermill report notebook
  per seller in 2 worker processes that each keep a Jupyter kernel.
- **naive**: for a sample of ``--naive`` sellers spread over the list, one after the
  other, the ``papermill`` command line (the notebook computes its seller's tables from
  the data directory itself) and then ``jupyter nbconvert --to html``: two processes per
  seller. Half of the sample runs before each batch run and half after it, so both see
  the same machine; its time per report is extrapolated to the batch's sellers.

Each way runs as a command in a subprocess (interpreter start and imports count). Wall
time; CPU time (user + system of the command and every process it waited for, from
``wait4``); peak memory (the largest total resident memory of the command's process
tree, sampled every 0.2 s); reports per minute; page sizes. The load average of the
machine is printed next to every figure: other work on a 2-core machine slows all of
them, so compare runs made in the same conditions only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATA = ROOT / "benchmarks" / "data" / "reports-1000"
GOAL_SECONDS = 240.0  # 1,000 reports in under 4 minutes
GOAL_PAGE_KB = 400.0


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


@dataclass
class Figure:
    """One command's wall time, CPU time, peak memory and the load around it."""

    wall: float
    cpu: float
    peak_mib: float
    load: str


def _measure(command: list[str]) -> Figure:
    """Run ``command`` (output discarded), and measure it and its process tree."""
    load = _load()
    peak = [0]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    done = threading.Event()

    def sample() -> None:
        try:
            root = psutil.Process(process.pid)
        except psutil.Error:
            return
        while not done.wait(0.2):
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
            except psutil.Error:
                return
            peak[0] = max(peak[0], total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} ... failed ({process.returncode}):\n{stderr}")
    cpu = usage.ru_utime + usage.ru_stime
    peak_mib = max(peak[0], usage.ru_maxrss * 1024) / 2**20
    return Figure(wall, cpu, peak_mib, f"{load} / {_load()}")


def _sellers(data: Path) -> list[str]:
    import polars as pl

    orders = next(data.glob("orders.*"))
    read = pl.scan_parquet if orders.suffix == ".parquet" else pl.scan_csv
    table = read(orders).select("seller_id").unique().collect()
    return sorted(table["seller_id"].to_list())


def batch(data: Path, out: Path, sellers: list[str] | None, workers: int) -> Figure:
    command = [str(BIN / "seller-health"), "reports", "--data", str(data), "--out", str(out)]
    command += ["--workers", str(workers), "--quiet"]
    if sellers:
        command += ["--sellers", *sellers]
    return _measure(command)


def naive(data: Path, out: Path, seller: str) -> tuple[Figure, Figure]:
    """papermill then nbconvert for one seller (two commands, two figures)."""
    out.mkdir(parents=True, exist_ok=True)
    executed = out / f"{len(list(out.glob('*.ipynb'))):04d}.ipynb"
    papermill = [str(BIN / "papermill"), str(ROOT / "notebooks" / "report.ipynb")]
    papermill += [str(executed), "-p", "seller_id", seller, "-p", "data", str(data)]
    papermill += ["--no-progress-bar"]
    first = _measure(papermill)
    second = _measure([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)])
    return first, second


def _pages(directory: Path) -> list[int]:
    return [p.stat().st_size for p in directory.glob("*.html") if p.name != "index.html"]


def _spread(values: list[float], digits: int = 1) -> str:
    """``median (min-max)``."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def _generate(data: Path) -> None:
    print(f"generating {data} (once; about 2 minutes)", flush=True)
    command = [str(BIN / "seller-health"), "sample", "--out", str(data), "--sellers", "1000"]
    command += ["--daily-orders", "4", "--format", "parquet", "--quiet"]
    subprocess.run(command, check=True, cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="data directory (made if missing)")
    parser.add_argument("--sellers", type=int, default=None, help="batch reports (default all)")
    parser.add_argument("--naive", type=int, default=10, help="naive sample size (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="batch runs (default 3)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    data = args.data.resolve()
    if not data.exists():
        _generate(data)
    everyone = _sellers(data)
    chosen = everyone[: args.sellers] if args.sellers else everyone
    n = len(chosen)
    step = max(1, n // max(1, args.naive))
    sample = chosen[::step][: args.naive]
    print(f"{n} sellers of {len(everyone)} in {data}; naive sample {len(sample)}; {args.runs} runs")
    print(f"{os.cpu_count()} cores; load average {_load()}", flush=True)
    runs: list[Figure] = []
    sizes: list[int] = []
    naive_pm: list[Figure] = []
    naive_nb: list[Figure] = []
    naive_sizes: list[int] = []
    tmp = Path(tempfile.mkdtemp(prefix="reports-bench-"))

    def naive_half(sellers: list[str]) -> None:  # half the sample: before or after a batch
        for seller in sellers:
            pm, nb = naive(data, tmp / "naive", seller)
            naive_pm.append(pm)
            naive_nb.append(nb)
            print(
                f"  naive {seller}: papermill {pm.wall:.1f} s, nbconvert {nb.wall:.1f} s"
                f" (load {pm.load})",
                flush=True,
            )

    try:
        halves = [sample[i :: args.runs * 2] for i in range(args.runs * 2)]
        for run in range(args.runs):
            naive_half(halves[2 * run])
            out = tmp / f"batch-{run}"
            figure = batch(data, out, chosen if args.sellers else None, args.workers)
            runs.append(figure)
            sizes = _pages(out / "latest")
            print(
                f"batch run {run + 1}: {figure.wall:.1f} s wall, {figure.cpu:.0f} CPU s, "
                f"peak {figure.peak_mib:.0f} MiB, {n / figure.wall * 60:.0f} reports/min "
                f"(load {figure.load})",
                flush=True,
            )
            shutil.rmtree(out, ignore_errors=True)
            naive_half(halves[2 * run + 1])
        naive_sizes = _pages(tmp / "naive")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    walls = [f.wall for f in runs]
    per_naive = [a.wall + b.wall for a, b in zip(naive_pm, naive_nb, strict=True)]
    naive_cpu = [a.cpu + b.cpu for a, b in zip(naive_pm, naive_nb, strict=True)]
    naive_total = statistics.median(per_naive) * n if per_naive else float("nan")
    batch_mid = statistics.median(walls)
    kb = [s / 1000 for s in sizes]
    print()
    print(
        f"Data: {data.name}, {n} sellers; {os.cpu_count()} cores; {args.runs} batch runs, "
        f"naive on {len(per_naive)} sellers interleaved with them."
    )
    print()
    print(
        "| way | reports | wall s | CPU s | CPU s per report | peak MiB | reports per minute "
        "| load average (1, 5, 15 min) before / after |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for i, f in enumerate(runs, 1):
        print(
            f"| batch, run {i} | {n} | {f.wall:.1f} | {f.cpu:.0f} | {f.cpu / n:.2f} | "
            f"{f.peak_mib:.0f} | {n / f.wall * 60:.1f} | {f.load} |"
        )
    if per_naive:
        peak = max(f.peak_mib for f in naive_pm + naive_nb)
        loads = f"{naive_pm[0].load.split(' / ')[0]} / {naive_nb[-1].load.split(' / ')[-1]}"
        print(
            f"| naive, per report | {len(per_naive)} | {_spread(per_naive)} | "
            f"{_spread(naive_cpu)} | {statistics.median(naive_cpu):.2f} | {peak:.0f} | "
            f"{60 / statistics.median(per_naive):.1f} | {loads} |"
        )
        print(
            f"| naive, extrapolated | {n} | {naive_total:.0f} | "
            f"{statistics.median(naive_cpu) * n:.0f} | | | {n / naive_total * 60:.1f} | |"
        )
    print()
    print(
        f"- batch wall for {n} reports: {_spread(walls)} s (median (min-max) of {len(walls)})"
        f"; reports per minute {_spread([n / w * 60 for w in walls])}"
    )
    if per_naive:
        ratios = [naive_total / w for w in walls]
        print(
            f"- naive loop, extrapolated from {len(per_naive)} sellers: {naive_total:.0f} s; "
            f"batch is {_spread(ratios)}x faster"
        )
    scaled = batch_mid * 1000 / n
    met = "met" if scaled < GOAL_SECONDS else "NOT met"
    what = "" if n == 1000 else f" (extrapolated from {n})"
    print(
        f"- goal 1,000 reports under {GOAL_SECONDS:.0f} s: {scaled:.0f} s{what}: **{met}** "
        f"({scaled / GOAL_SECONDS:.2f}x the goal)"
    )
    if kb:
        biggest = max(kb)
        page_met = "met" if biggest <= GOAL_PAGE_KB else "NOT met"
        print(
            f"- page size (last batch run): median {statistics.median(kb):.0f} KB, max "
            f"{biggest:.0f} KB, total {sum(kb) / 1000:.1f} MB for {len(kb)} pages; goal at most "
            f"{GOAL_PAGE_KB:.0f} KB a page: **{page_met}**"
        )
    if naive_sizes:
        print(
            f"- naive pages (plain nbconvert template): median "
            f"{statistics.median(naive_sizes) / 1000:.0f} KB, max {max(naive_sizes) / 1000:.0f} KB"
        )
    print(f"- load average at the end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
