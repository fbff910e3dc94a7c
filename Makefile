# Seller account health toolkit. `make help` lists every target.
# A fresh machine needs only python3 (>= 3.11) and make: the first target that needs the
# environment builds it from the lock file (uv.lock) into .venv.

.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced
AS_OF ?=
WORKERS ?=
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

.PHONY: help install test test-fast lint format reports sample lab bench bench-reports browser clean

help: ## list every target
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(SYNCED) ## create .venv from uv.lock (the package, notebooks and dev tools)

browser: ## make sure headless Chromium is there for the browser tests (apt-get as root)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package (browser tests will fail)"; fi; }

test: install browser ## run every test (doctests, notebooks and the browser check included)
	$(BIN)/pytest

test-fast: install ## run the tests that take seconds (no notebooks, no browser)
	$(BIN)/pytest -m "not slow"

lint: install ## ruff lint and format check, and the import layers (lint-imports)
	$(BIN)/ruff check toolkit tests benchmarks
	$(BIN)/ruff format --check toolkit tests benchmarks
	$(BIN)/lint-imports

format: install ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix toolkit tests benchmarks
	$(BIN)/ruff format toolkit tests benchmarks

reports: install ## the main job: per-seller HTML reports of data/sample into reports/
	$(BIN)/seller-health reports --data data/sample --out reports $(if $(AS_OF),--as-of $(AS_OF)) $(if $(WORKERS),--workers $(WORKERS))

sample: install ## regenerate data/sample and its SP-API report files (same seed, same bytes)
	$(BIN)/seller-health sample --out data/sample --with-reports

bench: install ## benchmarks: toolkit vs DuckDB (metrics); prints wall time, CPU, peak memory
	$(BIN)/python benchmarks/metrics_vs_duckdb.py

bench-reports: install ## benchmark: 1,000 sellers' reports, 3 batch runs, against the naive papermill loop (about an hour)
	$(BIN)/python benchmarks/reports_throughput.py

lab: install ## open JupyterLab on notebooks/ with the toolkit importable
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

notebooks: install ## run every teaching and exploration notebook on data/sample (into reports/notebooks/)
	$(BIN)/python -m toolkit.reports.notebooks run --out reports/notebooks $(if $(AS_OF),--as-of $(AS_OF)) $(if $(WORKERS),--workers $(WORKERS))

teaching-html: install ## teaching notebooks as offline HTML pages with working sliders (reports/teaching/)
	$(BIN)/python -m toolkit.reports.notebooks teaching-html --out reports/teaching $(if $(AS_OF),--as-of $(AS_OF)) $(if $(WORKERS),--workers $(WORKERS))

clean: ## remove the environment and generated output
	rm -rf $(VENV) $(TOOLS) reports/*/ reports/latest reports/LATEST .pytest_cache
