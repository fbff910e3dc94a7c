"""One ``seller-health`` command, run alternately by an older commit and by this checkout.

On a machine whose speed drifts (a shared or virtual one), figures taken minutes apart do
not compare; runs alternated in one invocation do. The older commit is checked out into
a temporary git worktree and run with this checkout's environment (``PYTHONPATH`` points
at one tree or the other), so only the toolkit's code differs::

    .venv/bin/python benchmarks/compare_commits.py 588b56c --repeat 3 -- \\
        validate --data benchmarks/data/snapshot-50000-parquet
    .venv/bin/python benchmarks/compare_commits.py 588b56c -- \\
        metrics --data benchmarks/data/snapshot-50000-parquet --as-of 2026-11-15 --out /tmp/m.parquet

Prints, for each side, the median and minimum wall time, the CPU time (user + system of
the command, from ``wait4``) and the peak resident memory of every run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from toolkit.cli import main; sys.exit(main())"


def _run(tree: Path, command: list[str]) -> tuple[float, float, float]:
    """Wall s, CPU s and peak MiB of the command run with ``tree``'s toolkit."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-P", "-c", CLI, *command],  # -P: not the current directory first
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    error = child.stderr.read().decode() if child.stderr else ""
    if status:
        raise SystemExit(f"{tree}: the command failed:\n{error[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        usage="%(prog)s COMMIT [--repeat N] -- SELLER-HEALTH ARGUMENTS",
    )
    parser.add_argument("commit", help="the older commit to compare with this checkout")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (default 3)")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if not command:
        parser.error("give the seller-health command after --")
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.commit],
            check=True,
            capture_output=True,
        )
        try:
            sides = {f"{args.commit} (old)": old, "this checkout": ROOT}
            figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in sides}
            for _ in range(args.repeat):
                for name, tree in sides.items():
                    figures[name].append(_run(tree, command))
                    wall, cpu, peak = figures[name][-1]
                    print(
                        f"  {name}: {wall:.2f} s wall, {cpu:.2f} s CPU, {peak:.0f} MiB", flush=True
                    )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                check=False,
                capture_output=True,
            )
    print(f"\nload average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name, runs in figures.items():
        walls, cpus, peaks = zip(*runs, strict=True)
        print(
            f"{name}: wall median {statistics.median(walls):.2f} (min {min(walls):.2f}), "
            f"CPU median {statistics.median(cpus):.2f} (min {min(cpus):.2f}), "
            f"peak MiB {', '.join(f'{p:.0f}' for p in peaks)}"
        )


if __name__ == "__main__":
    main()
