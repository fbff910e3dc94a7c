"""Control and bidirectional formatting characters never reach a page (or a terminal) raw."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest

from toolkit.charts import clearance_calendar
from toolkit.charts.tables import status_table
from toolkit.model.text import VISIBLE_ESCAPES, visible, visible_expr
from toolkit.reports.names import safe_name
from toolkit.reports.text import esc


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("S1\u202e", "S1\\u202e", id="right-to-left override"),
        pytest.param(
            "\u202aa\u202cb\u202dc\u202b",
            "\\u202aa\\u202cb\\u202dc\\u202b",
            id="embeddings and overrides",
        ),
        pytest.param(
            "\u2066x\u2067y\u2068z\u2069", "\\u2066x\\u2067y\\u2068z\\u2069", id="isolates"
        ),
        pytest.param("a\u200eb\u200fc\u061c", "a\\u200eb\\u200fc\\u061c", id="marks"),
        pytest.param("S\x001", "S\\u00001", id="NUL"),
        pytest.param("\x1b[31mred", "\\u001b[31mred", id="a terminal escape"),
        pytest.param("a\x7fb\x85c\x9fd", "a\\u007fb\\u0085c\\u009fd", id="DEL and C1 controls"),
        pytest.param("tab\tline\nreturn\r", "tab\tline\nreturn\r", id="white space kept"),
        pytest.param("Qualité 日本 \u00a0", "Qualité 日本 \u00a0", id="other text kept"),
    ],
)
def test_visible(text, shown):
    assert visible(text) == shown


def test_the_expression_agrees_with_the_python_function_on_random_text():
    rng = random.Random(14)
    alphabet = [*VISIBLE_ESCAPES, "a", "Z", "é", "日", "\\", "u", "0", "\t", "\n", " ", "<"]
    texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(2000)]
    got = pl.select(visible_expr(pl.lit(pl.Series(texts)))).to_series().to_list()
    assert got == [visible(t) for t in texts]


def test_report_text_is_visible_then_html_escaped():
    assert esc("<b>S\u202e1\x00</b>") == "&lt;b&gt;S\\u202e1\\u0000&lt;/b&gt;"


def test_html_tables_show_hidden_characters_as_codes():
    frame = pl.DataFrame({"seller_id": ["S\u202e1", "S\x002"], "status": ["good", "bad\u2066"]})
    html = status_table(frame, caption="sellers \u202e").html
    assert not any(char in html for char in VISIBLE_ESCAPES)
    assert "S\\u202e1" in html and "S\\u00002" in html and "bad\\u2066" in html
    assert "sellers \\u202e" in html


def test_chart_labels_and_tooltips_show_hidden_characters_as_codes():
    clearance = pl.DataFrame(
        {
            "order_id": ["O\u202e1"],
            "defect_type": ["claim"],
            "record_id": ["C\x001"],
            "attribution_date": [date(2025, 2, 1)],
            "counts_from": [date(2025, 2, 15)],
            "clears_on": [date(2025, 4, 16)],
            "counting": [True],
            "clear_reason": ["window"],
        }
    )
    spec = clearance_calendar(clearance, as_of=date(2025, 3, 1)).to_dict()
    text = str(spec)
    assert not any(char in text for char in VISIBLE_ESCAPES)
    assert "claim C\\\\u00001" in text  # the row's name
    assert "'order_id': 'O\\\\u202e1'" in text  # the tooltip's order


@pytest.mark.parametrize("seller_id", ["S\u202e1", "S\x001", "\u2066evil\u2069"])
def test_file_names_of_such_ids_hold_none_of_them(seller_id):
    name = safe_name(seller_id)
    assert name.isascii() and all(c.isalnum() or c in "._-" for c in name)
