"""The package as users get it: the wheel, installed outside the repository, runs the main
job; it carries the notebooks unchanged; ``import toolkit`` shows only its public API."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest

import toolkit
from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
PACKAGED = "toolkit/_notebooks/"


def _uv() -> str:
    """The uv that ``make install`` bootstraps into ``.tools/`` (or one on the PATH)."""
    bootstrapped = ROOT / ".tools" / "bin" / "uv"
    found = str(bootstrapped) if bootstrapped.exists() else shutil.which("uv")
    if found is None:
        pytest.fail("uv not found: run `make install`, which puts it into .tools/bin")
    return found


def _env() -> dict[str, str]:
    """This environment without what would point a command back at the checkout's venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return {**env, "UV_PYTHON_DOWNLOADS": "never", "UV_LINK_MODE": "copy"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [_uv(), "build", "--wheel", "--quiet", "-o", str(out)],
        cwd=ROOT,
        env=_env(),
        check=True,
        capture_output=True,
    )
    [built] = out.glob("seller_health-*.whl")
    return built


def test_the_wheel_carries_the_notebooks_byte_for_byte(wheel):
    expected = {
        path.relative_to(NOTEBOOKS).as_posix(): path.read_bytes()
        for path in NOTEBOOKS.rglob("*")
        if path.is_file()
    }
    with zipfile.ZipFile(wheel) as archive:
        packaged = {
            name.removeprefix(PACKAGED): archive.read(name)
            for name in archive.namelist()
            if name.startswith(PACKAGED) and not name.endswith("/")
        }
        names = archive.namelist()
    assert "report.ipynb" in packaged and "teaching/01_order_defect_rate.ipynb" in packaged
    assert sorted(packaged) == sorted(expected)
    for name, content in expected.items():
        assert packaged[name] == content, name
    assert "toolkit/model/policies/amazon_us.toml" in names
    assert "toolkit/reports/templates/seller_health/index.html.j2" in names


def test_dir_of_the_package_shows_only_its_public_names():
    names = dir(toolkit)
    assert names == sorted(names)
    assert set(toolkit.__all__) <= set(names)
    assert {"charts", "model", "reports"} <= set(names)  # the subpackages
    hidden = {"import_module", "Any", "annotations", "pkgutil", "importlib"}
    assert [n for n in names if n.startswith("_") or n in hidden] == []
    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None, name
    assert names == dir(toolkit)  # unchanged once the names above were loaded


@pytest.mark.slow
def test_the_installed_wheel_writes_every_report_outside_the_repository(wheel, tmp_path):
    """A fresh virtual environment in a temporary directory, the wheel installed with the
    locked dependency versions, and the main job run from a directory outside the checkout."""
    assert ROOT not in tmp_path.parents
    env = _env()
    requirements = tmp_path / "requirements.txt"
    subprocess.run(
        [
            *(_uv(), "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes"),
            *("--quiet", "-o", str(requirements)),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([_uv(), "venv", "--quiet", "--python", base, str(venv)], env=env, check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            *(_uv(), "pip", "install", "--quiet", "--python", str(python)),
            *("-r", str(requirements), str(wheel)),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    work = tmp_path / "work"
    work.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(venv / "bin" / "seller-health"), *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    where = subprocess.run(
        [str(python), "-c", "import toolkit; print(toolkit.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)  # the installed copy, not ours

    missing = run("reports", "--quiet")
    assert missing.returncode == 2, missing.stderr
    assert "no --data given and no data/sample directory in" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert sorted(p.name for p in work.iterdir()) == []

    sample = run("sample", "--out", "d", "--quiet")
    assert sample.returncode == 0, sample.stderr
    done = run("reports", "--data", "d", "--out", "r", "--workers", "2", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "12 of 12 seller reports written" in done.stdout
    pages = sorted(p.name for p in (work / "r" / "latest").glob("*.html"))
    sellers = pl.read_csv(work / "d" / "orders.csv")["seller_id"].unique().to_list()
    assert len(sellers) == 12
    assert pages == sorted([*(f"{s}.html" for s in sellers), "index.html"])
    s03 = (work / "r" / "latest" / "S03-low-volume.html").read_text(encoding="utf-8")
    assert "Wilson interval of your rate is 1.8% to 40.4%" in s03
