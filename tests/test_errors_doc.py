"""docs/errors.md shows real messages: each example command runs and prints what it says.

A ``console`` block holds ``$ seller-health ...``, the lines the command prints (standard
output, then standard error; a line ``...`` stands for the parser's usage lines) and
``[exit N]``. The commands run from the repository's root, in this process.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex

import pytest

from tests.conftest import CORPUS, ROOT
from toolkit.cli import main
from toolkit.model import errors

DOC = ROOT / "docs" / "errors.md"
BLOCK = re.compile(
    r"```console\n\$ (?P<command>[^\n]*)\n(?P<lines>.*?)\n\[exit (?P<status>\d+)\]\n```", re.S
)
EXAMPLES = [
    pytest.param(m["command"], m["lines"].split("\n"), int(m["status"]), id=m["command"][14:])
    for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))
]


def _printed(argv: list[str]) -> tuple[list[str], int]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:  # the argument parser's own errors
            status = exc.code
    return (out.getvalue() + err.getvalue()).rstrip("\n").split("\n"), status


def _matches(expected: list[str], got: list[str]) -> bool:
    if expected[:1] == ["..."]:  # the usage lines of a parser error
        rest = expected[1:]
        return got[0].startswith("usage: ") and got[len(got) - len(rest) :] == rest
    return got == expected


@pytest.mark.parametrize(("command", "lines", "status"), EXAMPLES)
def test_each_documented_message_is_what_the_command_prints(command, lines, status, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "100")
    before = sorted(p.name for p in ROOT.iterdir())
    got, exit_status = _printed(shlex.split(command)[1:])
    assert exit_status == status
    assert _matches(lines, got), "\n".join(got)
    assert sorted(p.name for p in ROOT.iterdir()) == before  # nothing written


def test_the_page_shows_many_examples_each_an_input_error():
    assert len(EXAMPLES) >= 60
    assert {p.values[2] for p in EXAMPLES} == {2}


def test_every_error_class_and_every_corpus_directory_is_on_the_page():
    text = DOC.read_text(encoding="utf-8")
    for name in errors.__all__:
        assert re.search(rf"\b{name}\b", text), name
    for case in sorted(p.name for p in CORPUS.iterdir() if p.is_dir()):
        if not case.startswith("valid_"):
            assert f"tests/corpus/{case}\n" in text, case
