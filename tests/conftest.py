"""Shared helpers for the tests: tiny hand-built datasets."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture
def corpus() -> Path:
    return CORPUS
