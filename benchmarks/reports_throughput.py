"""Reports per minute: the batch runner against the naive way, on every seller of data/sample.

Prints figures; it is not a test. Run from the repository root:

    .venv/bin/python benchmarks/reports_throughput.py            # runner, fresh-kernel runner, naive
    .venv/bin/python benchmarks/reports_throughput.py --skip-naive

- **runner**: ``seller-health reports`` (one polars pass for all sellers, then the report
  notebook per seller in a pool of ``--workers`` processes that each keep one kernel).
- **runner, fresh kernels**: the same with ``--kernel fresh`` (papermill starts a kernel
  per report), to show what reusing kernels is worth.
- **naive**: for each seller, one after the other, the ``papermill`` command line (the
  notebook computes that seller's tables from the data directory itself) and then
  ``jupyter nbconvert --to html``.

Every way runs as a command in a subprocess, so interpreter and import start-up count.
The machine's load average is printed before and after: other work on the machine slows
every figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


def _sellers(data: Path) -> list[str]:
    import polars as pl

    table = pl.read_csv(data / "orders.csv", columns=["seller_id"])
    return sorted(table["seller_id"].unique().to_list())


def _cpu() -> float:
    """CPU seconds (user + system) of every finished child process and its descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], **kwargs) -> None:
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs
    )


def runner(data: Path, out: Path, *, workers: int | None, kernel: str) -> float:
    """Seconds for one ``seller-health reports`` run over every seller."""
    command = [str(BIN / "seller-health"), "reports", "--data", str(data), "--out", str(out)]
    command += ["--kernel", kernel, "--quiet"]
    if workers:
        command += ["--workers", str(workers)]
    start = time.perf_counter()
    _run(command, cwd=ROOT)
    return time.perf_counter() - start


def naive(data: Path, out: Path, sellers: list[str]) -> float:
    """Seconds for papermill + nbconvert per seller, one after the other."""
    out.mkdir(parents=True, exist_ok=True)
    notebook = ROOT / "notebooks" / "report.ipynb"
    start = time.perf_counter()
    for n, seller in enumerate(sellers):
        executed = out / f"report-{n:03d}.ipynb"
        _run(
            [
                str(BIN / "papermill"),
                str(notebook),
                str(executed),
                "-p",
                "seller_id",
                seller,
                "-p",
                "data",
                str(data),
                "--no-progress-bar",
            ],
            cwd=ROOT,
        )
        _run([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)], cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    parser.add_argument("--workers", type=int, default=None, help="runner workers (default cores)")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-fresh", action="store_true")
    args = parser.parse_args()
    data = args.data.resolve()
    sellers = _sellers(data)
    n = len(sellers)
    print(f"{n} sellers in {data}; {_load()}")
    figures: dict[str, float] = {}
    cpu: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="reports-bench-") as tmp:
        tmp_path = Path(tmp)
        ways = {
            "runner": lambda: runner(
                data, tmp_path / "runner", workers=args.workers, kernel="reuse"
            )
        }
        if not args.skip_fresh:
            ways["runner, fresh kernels"] = lambda: runner(
                data, tmp_path / "fresh", workers=args.workers, kernel="fresh"
            )
        if not args.skip_naive:
            ways["naive"] = lambda: naive(data, tmp_path / "naive", sellers)
        for name, way in ways.items():
            before = _cpu()
            figures[name] = way()
            cpu[name] = _cpu() - before
            print(f"{name}: {figures[name]:.1f} s, {cpu[name]:.1f} CPU s; {_load()}")
        shutil.rmtree(tmp_path, ignore_errors=True)
    print()
    print(f"| way | seconds for {n} reports | reports per minute | CPU seconds per report |")
    print("|---|---:|---:|---:|")
    for name, seconds in figures.items():
        print(f"| {name} | {seconds:.1f} | {n / seconds * 60:.1f} | {cpu[name] / n:.1f} |")
    if "naive" in figures:
        for name in ("runner", "runner, fresh kernels"):
            if name in figures:
                print(f"{name} / naive throughput: {figures['naive'] / figures[name]:.1f}x")
    print(_load())
    return 0


if __name__ == "__main__":
    sys.exit(main())
