"""Where a report's CPU goes: one batch's phases, per report, in one process.

Prints figures; it is not a test. Run from the repository root:

    .venv/bin/python benchmarks/report_profile.py                     # data/sample, every seller
    .venv/bin/python benchmarks/report_profile.py --data DIR --sellers 40

It does what ``seller-health reports`` does, phase by phase, and takes the CPU time
(user + system, every thread) of each:

- **parent** (the batch's main process): reading and validating the data
  (``steps.load``), every seller's tables in one polars pass (``steps.compute``), and
  writing each seller's slice and the files beside its page (``steps.write``);
- **worker** (a rendering worker, run here in this process with a kept kernel, as the
  batch's workers do): papermill's parameter injection and nbclient's execution of the
  report notebook (this process's side), the **kernel**'s CPU for the same notebook
  (read from ``/proc``), the nbconvert export to HTML and writing the page;
- **inside the kernel**: the same notebook's sections called here in-process, with the
  time spent in altair's ``to_dict`` (chart building and validation) and in vl-convert's
  SVG conversion taken apart from the rest (reading the slice, the tables and text), and
  the SVG conversion per chart kind (charts drawn per report, CPU per chart, drawn SVG
  elements per chart).

The first report warms the kernel and is left out of the worker figures. The load
average is printed next to the figures: other work on the machine inflates them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _cpu() -> float:
    """CPU seconds (user + system) of this process, all threads."""
    return time.process_time()


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Clock:
    """CPU seconds summed by phase name."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)

    @contextmanager
    def phase(self, name: str):
        start = _cpu()
        try:
            yield
        finally:
            self.cpu[name] += _cpu() - start


def _patch_charts(clock: Clock) -> None:
    """Count altair's ``to_dict`` and vl-convert's SVG conversion apart (in this process)."""
    import altair as alt
    import vl_convert

    from toolkit.charts import html

    convert = vl_convert.vegalite_to_svg
    to_dict = alt.TopLevelMixin.to_dict
    depth = {"n": 0}

    def timed_convert(spec, *args, **kwargs):
        start = _cpu()
        with clock.phase("kernel: SVG conversion (vl-convert)"):
            svg = convert(spec, *args, **kwargs)
        kind = _chart_kind(spec)
        clock.cpu[f"chart: {kind}"] += _cpu() - start
        clock.cpu[f"charts drawn: {kind}"] += 1
        clock.cpu[f"SVG elements: {kind}"] += len(_ELEMENT.findall(svg))
        return svg

    def timed_to_dict(self, *args, **kwargs):
        depth["n"] += 1
        try:
            if depth["n"] > 1:  # nested calls (layers) are inside the outer one
                return to_dict(self, *args, **kwargs)
            with clock.phase("kernel: chart spec (altair to_dict)"):
                return to_dict(self, *args, **kwargs)
        finally:
            depth["n"] -= 1

    vl_convert.vegalite_to_svg = timed_convert
    alt.TopLevelMixin.to_dict = timed_to_dict
    html.vl_convert = vl_convert  # harmless: html imports it inside its functions


#: A drawn SVG element (a mark's path, a text, a rule, a legend symbol...).
_ELEMENT = re.compile(r"<(?:path|text|line|rect|circle)\b")
#: The chart kind of a spec, by the name of one of its layers.
_KINDS = {
    "rate": "metric history",
    "components": "ODR components",
    "records": "clearance calendar",
    "displayed": "violations timeline (+ AHR)",
    "ahr": "AHR estimate",
}


def _chart_kind(spec: dict) -> str:
    """The kind of a report chart (the toolkit.charts function that made it)."""
    found = set()

    def names(part: object) -> None:
        if isinstance(part, dict):
            if isinstance(part.get("name"), str):  # a concatenated chart's get "_0", "_1"
                found.add(re.sub(r"_\d+$", "", part["name"]))
            for value in part.values():
                names(value)
        elif isinstance(part, list):
            for value in part:
                names(value)

    names({k: v for k, v in spec.items() if k != "datasets"})
    return next((kind for name, kind in _KINDS.items() if name in found), "other")


def _sections() -> list[str]:
    """The ``report.<section>()`` calls of the report template, in order."""
    import re

    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / "report.ipynb", as_version=4)
    calls = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            calls += re.findall(r"^report\.(\w+)\(\)\s*$", cell.source, flags=re.MULTILINE)
    return calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    parser.add_argument("--sellers", type=int, default=12, help="reports rendered (default 12)")
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    print(f"load average before: {_load()} ({os.cpu_count()} cores)")

    clock = Clock()
    wall = time.perf_counter()
    from toolkit.reports import steps

    with clock.phase("parent: read + validate (load)"):
        loaded = steps.load(
            data=args.data, as_of=None, sellers=None, policy=None, reconciliation=None
        )
    with clock.phase("parent: report tables, all sellers (compute)"):
        computed = steps.compute(loaded)
    out = Path(tempfile.mkdtemp(prefix="report-profile-"))
    with clock.phase("parent: slices + exports (write)"):
        written = steps.write(computed, out=out, started=datetime.now(UTC), policy=None)
    parent_wall = time.perf_counter() - wall
    reports = loaded.reports
    parent = dict(clock.cpu)

    from toolkit.charts.html import notebook_to_html
    from toolkit.model.output import atomic_path
    from toolkit.model.resources import report_notebook
    from toolkit.reports import kernel

    kernel.start_worker(str(report_notebook()), "reuse")
    worker = kernel._worker
    kernel.warm_up()
    tasks = written.tasks[: args.sellers + 1]
    wclock = Clock()
    for n, task in enumerate(tasks):
        parameters = {k: task[k] for k in ("seller_id", "marketplace", "results", "policy")}
        pid = worker.km.provisioner.process.pid if worker.km is not None else None
        k0 = _proc_cpu(pid) if pid else 0.0
        c0 = _cpu()
        nb = worker.execute(parameters)
        c1 = _cpu()
        k1 = _proc_cpu(worker.km.provisioner.process.pid)
        page = notebook_to_html(nb, title=task["title"])
        c2 = _cpu()
        with atomic_path(task["html"]) as path:
            path.write_text(page, encoding="utf-8")
        c3 = _cpu()
        if n == 0:
            continue  # the first report after warm-up: left out
        wclock.cpu["worker: papermill + nbclient (this side)"] += c1 - c0
        wclock.cpu["kernel: executing the notebook (all of it)"] += k1 - k0
        wclock.cpu["worker: nbconvert export"] += c2 - c1
        wclock.cpu["worker: writing the page"] += c3 - c2
    rendered = len(tasks) - 1
    worker.shutdown()

    # Inside the kernel: the same sections, here, with the chart phases taken apart.
    import altair as alt  # noqa: F401

    from toolkit.charts.html import enable_offline_svg
    from toolkit.reports.view import load_report

    enable_offline_svg()
    kclock = Clock()
    _patch_charts(kclock)
    calls = _sections()
    for n, task in enumerate(tasks):
        c0 = _cpu()
        chart0 = dict(kclock.cpu)
        report = load_report(
            task["seller_id"], marketplace=task["marketplace"], results=task["results"]
        )
        c1 = _cpu()
        for call in calls:
            getattr(report, call)()
        c2 = _cpu()
        if n == 0:
            kclock.cpu.clear()
            continue
        kclock.cpu["kernel: reading the slice (load_report)"] += c1 - c0
        charts = sum(
            kclock.cpu[k] - chart0.get(k, 0.0) for k in kclock.cpu if k.startswith("kernel: ")
        )
        kclock.cpu["kernel: sections: tables, text (the rest)"] += (c2 - c1) - charts

    print(f"{reports} reports from {args.data}; parent wall {parent_wall:.1f} s")
    print(f"load average after: {_load()}")
    print()
    print("| phase | CPU s per report | share |")
    print("|---|---:|---:|")
    per = {k: v / reports for k, v in parent.items()}
    per |= {k: v / rendered for k, v in wclock.cpu.items()}
    inside = {k: v / rendered for k, v in kclock.cpu.items() if k.startswith("kernel: ")}
    kinds = {k: v / rendered for k, v in kclock.cpu.items() if not k.startswith("kernel: ")}
    total = sum(per.values())
    for name, value in per.items():
        print(f"| {name} | {value:.3f} | {value / total:.0%} |")
    print(f"| **total** | **{total:.3f}** | 100% |")
    print()
    in_total = sum(inside.values())
    kernel_cpu = per["kernel: executing the notebook (all of it)"]
    print(f"Inside the kernel, the same sections run in-process ({in_total:.3f} s per report;")
    print(f"the kernel itself used {kernel_cpu:.3f} s: the difference is IPython and messaging):")
    print()
    print("| kernel phase | CPU s per report | share of kernel |")
    print("|---|---:|---:|")
    for name in sorted(inside, key=inside.__getitem__, reverse=True):
        print(f"| {name} | {inside[name]:.3f} | {inside[name] / in_total:.0%} |")
    print()
    print("Drawing per chart kind (in-process; a chart drawn before in the process is not")
    print("drawn again):")
    print()
    print("| chart kind | charts drawn per report | CPU ms per chart | CPU s per report |")
    print("|---|---:|---:|---:|")
    for kind in sorted({k.split(": ", 1)[1] for k in kinds}, key=lambda k: -kinds[f"chart: {k}"]):
        count, cpu = kinds[f"charts drawn: {kind}"], kinds[f"chart: {kind}"]
        elements = kinds[f"SVG elements: {kind}"] / count
        print(
            f"| {kind} ({elements:.0f} SVG elements) | {count:.2f} | {cpu / count * 1000:.0f} "
            f"| {cpu:.3f} |"
        )
    print(f"\nload average at the end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
