"""Seller ranking and the HTML status table."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.charts.tables import seller_ranking, status_table

D = date(2025, 3, 1)


def metric_rows(rows: list[tuple]) -> pl.LazyFrame:
    """Metrics-table rows: seller, channel, metric, informational, numerator, denominator,
    rate, condition, status."""
    frame = pl.DataFrame(
        rows,
        schema={
            "seller_id": pl.String,
            "channel": pl.String,
            "metric": pl.String,
            "informational": pl.Boolean,
            "numerator": pl.Int64,
            "denominator": pl.Int64,
            "rate": pl.Float64,
            "condition": pl.String,
            "status": pl.String,
        },
        orient="row",
    )
    return frame.lazy().with_columns(
        marketplace=pl.lit("US"),
        as_of=pl.lit(D),
        ci_low=pl.lit(0.0),
        ci_high=pl.lit(0.5),
        p_value=pl.lit(0.5),
    )


ROWS = [
    # A: ODR good, but a late-shipment rate bad_low_volume and a component (informational) info
    ("A", "mfn", "odr", False, 0, 100, 0.0, "<", "good"),
    ("A", "mfn", "odr_claims", True, 0, 100, 0.0, None, "info"),
    ("A", "mfn", "lsr_30d", False, 2, 20, 0.1, "<", "bad_low_volume"),
    # B: ODR bad; an informational metric marked bad by a custom policy does not count
    ("B", "mfn", "odr", False, 5, 100, 0.05, "<", "bad"),
    ("B", "mfn", "cancel_rate_7d", True, 3, 10, 0.3, "<", "bad"),
    ("B", "mfn", "vtr_30d", False, 19, 20, 0.95, ">", "watch"),
    # C: ODR watch, higher rate than D's
    ("C", "mfn", "odr", False, 1, 110, 1 / 110, "<", "watch"),
    # D: ODR watch
    ("D", "mfn", "odr", False, 1, 120, 1 / 120, "<", "watch"),
    # E: only afn orders: nothing on mfn, nothing measured
    ("E", "afn", "odr", False, 0, 0, None, "<", "no_data"),
]


def test_seller_ranking_orders_sellers_worst_first():
    got = seller_ranking(metric_rows(ROWS)).collect()
    assert_frame_equal(
        got.select("rank", "seller_id", "overall", "channel", "numerator", "status"),
        pl.DataFrame(
            {
                "rank": [1, 2, 3, 4, 5],
                "seller_id": ["B", "A", "C", "D", "E"],
                "overall": ["bad", "bad_low_volume", "watch", "watch", "no_data"],
                "channel": ["mfn"] * 5,
                "numerator": [5, 0, 1, 1, None],
                "status": ["bad", "good", "watch", "watch", None],
            },
            schema_overrides={"rank": pl.UInt32},
        ),
    )
    attention = dict(zip(got["seller_id"], got["attention"].to_list(), strict=True))
    assert attention == {
        "A": [{"label": "lsr_30d mfn", "status": "bad_low_volume"}],
        "B": [
            {"label": "odr mfn", "status": "bad"},
            {"label": "vtr_30d mfn", "status": "watch"},
        ],
        "C": [{"label": "odr mfn", "status": "watch"}],
        "D": [{"label": "odr mfn", "status": "watch"}],
        "E": [],
    }


def test_seller_ranking_of_a_greater_than_metric_puts_the_lowest_rate_first():
    rows = [
        ("A", "mfn", "vtr_30d", False, 90, 100, 0.90, ">", "bad"),
        ("B", "mfn", "vtr_30d", False, 80, 100, 0.80, ">", "bad"),
    ]
    got = seller_ranking(metric_rows(rows), metric="vtr_30d").collect()
    assert got["seller_id"].to_list() == ["B", "A"]


def chips(html: str) -> int:
    return html.count('class="sh-chip"')


def test_status_table_escapes_every_text_and_draws_chips():
    frame = pl.DataFrame(
        {
            "seller_id": ['<script>alert("x")</script>', "S&2"],
            "rate": [0.0386, None],
            "p_value": [0.000644, 1.0],
            "status": ["bad", "no_data"],
            "attention": [
                [{"label": "odr <mfn>", "status": "bad"}, {"label": "lsr_30d", "status": "watch"}],
                [],
            ],
            "flags": [["good", "watch"], None],
        }
    )
    html = status_table(
        frame,
        chips=["status", "attention", "flags"],
        percent=["rate"],
        labels={"seller_id": "<seller>"},
        caption="Ranked & <checked>",
    ).html
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "S&amp;2" in html
    assert "&lt;seller&gt;" in html and "Ranked &amp; &lt;checked&gt;" in html
    assert ">odr &lt;mfn&gt;</span>" in html
    assert ">3.86%</td>" in html
    assert ">0.000644</td>" in html and ">1.0</td>" in html
    assert chips(html) == 6  # bad, no_data, two attention chips, good and watch
    assert "border:2px solid #D55E00" in html  # the bad colour
    assert html.count("<tr>") == 3


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        pytest.param(0.1, 2, "10.00%", id="trailing zeros kept"),
        pytest.param(0.000049, 2, "0.00%", id="rounds down below half a unit"),
        pytest.param(0.000051, 2, "0.01%", id="rounds up above half a unit"),
        pytest.param(1.0, 0, "100%", id="no decimals"),
        pytest.param(-0.025, 1, "-2.5%", id="negative values keep their sign"),
    ],
)
def test_status_table_percent_formatting(value, digits, shown):
    html = status_table(
        pl.DataFrame({"rate": [value]}), chips=[], percent=["rate"], digits=digits
    ).html
    assert f">{shown}</td>" in html


def test_status_table_names_missing_columns():
    with pytest.raises(ValueError, match=r"\['status'\]"):
        status_table(pl.DataFrame({"seller_id": ["S1"]}))


def test_status_table_without_rows_has_a_header_only():
    html = status_table(pl.DataFrame(schema={"seller_id": pl.String, "status": pl.String})).html
    assert html.count("<th style") == 2 and "<tbody></tbody>" in html
