"""Seller ranking and the HTML status table."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.charts.tables import attention_level, rank_sellers, seller_ranking, status_table

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
        got.select("rank", "seller_id", "overall", "attention", "numerator", "status"),
        pl.DataFrame(
            {
                "rank": [1, 2, 3, 4, 5],
                "seller_id": ["B", "A", "C", "D", "E"],
                "overall": ["bad", "bad_low_volume", "watch", "watch", "no_data"],
                "attention": ["bad", "bad_low_volume", "watch", "watch", "no_data"],
                "numerator": [5, 0, 1, 1, None],
                "status": ["bad", "good", "watch", "watch", None],
            },
            schema_overrides={"rank": pl.UInt32},
        ),
    )
    flagged = dict(zip(got["seller_id"], got["flagged"].to_list(), strict=True))
    assert flagged == {
        "A": [
            {"label": "Late shipment rate, 30 days (shipped by you)", "status": "bad_low_volume"}
        ],
        "B": [
            {"label": "Order Defect Rate (shipped by you)", "status": "bad"},
            {"label": "Valid tracking rate, 30 days (shipped by you)", "status": "watch"},
        ],
        "C": [{"label": "Order Defect Rate (shipped by you)", "status": "watch"}],
        "D": [{"label": "Order Defect Rate (shipped by you)", "status": "watch"}],
        "E": [],
    }


def test_seller_ranking_counts_the_ahr_band_and_overdue_actions_as_the_index_does():
    """C's AHR at risk puts it before A (over, could be chance); D's missed deadline too."""
    ahr = pl.LazyFrame(
        {
            "seller_id": ["A", "B", "C", "D", "E"],
            "marketplace": "US",
            "as_of": D,
            "ahr_estimate": [220, 230, 192, 250, 200],
            "band": ["healthy", "healthy", "at_risk", "healthy", "healthy"],
        }
    )
    actions = pl.LazyFrame(
        {"seller_id": ["D", "D", "C"], "marketplace": "US", "overdue": [True, True, False]}
    )
    got = seller_ranking(metric_rows(ROWS), ahr=ahr, actions=actions).collect()
    assert got.select("seller_id", "attention", "overdue_actions", "ahr_estimate").rows() == [
        ("B", "bad", 0, 230),
        ("C", "at_risk", 0, 192),
        ("D", "overdue", 2, 250),
        ("A", "bad_low_volume", 0, 220),
        ("E", "healthy", 0, 200),
    ]


@pytest.mark.parametrize(
    ("status", "band", "overdue", "attention"),
    [
        pytest.param("good", "critical", 0, "critical", id="a critical AHR beats everything"),
        pytest.param("bad", "at_risk", 3, "bad", id="a metric over the limit beats an AHR at risk"),
        pytest.param("watch", "at_risk", 1, "at_risk", id="an AHR at risk beats a missed deadline"),
        pytest.param(
            "bad_low_volume", "healthy", 1, "overdue", id="a missed deadline beats could be chance"
        ),
        pytest.param("good", None, None, "good", id="no AHR and no actions leave the status"),
        pytest.param("no_data", "healthy", 0, "healthy", id="a healthy AHR beats no data"),
    ],
)
def test_attention_is_the_worst_of_status_band_and_deadlines(status, band, overdue, attention):
    frame = pl.DataFrame(
        {"status": [status], "band": [band], "overdue": [overdue]},
        schema={"status": pl.String, "band": pl.String, "overdue": pl.Int64},
    )
    got = frame.select(attention_level(pl.col("status"), pl.col("band"), pl.col("overdue")))
    assert got.item() == attention


def test_rank_sellers_ranks_within_each_date():
    sellers = pl.LazyFrame(
        {
            "seller_id": ["A", "B", "A", "B"],
            "marketplace": "US",
            "as_of": [D, D, date(2025, 3, 2), date(2025, 3, 2)],
            "status": ["bad", "good", "good", "bad"],
        }
    )
    got = rank_sellers(sellers, by=("as_of",)).collect()
    assert got.select("as_of", "rank", "seller_id").rows() == [
        (D, 1, "A"),
        (D, 2, "B"),
        (date(2025, 3, 2), 1, "B"),
        (date(2025, 3, 2), 2, "A"),
    ]


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
    assert ">Over the limit</span>" in html and 'title="bad"' in html
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
        status_table(pl.DataFrame({"seller_id": ["S1"]}), chips=["status"])


def test_status_table_without_rows_has_a_header_only():
    html = status_table(pl.DataFrame(schema={"seller_id": pl.String, "status": pl.String})).html
    assert html.count("<th style") == 2 and "<tbody></tbody>" in html


def test_status_table_shows_dates_times_and_booleans_as_people_read_them():
    from datetime import datetime

    frame = pl.DataFrame(
        {
            "clears_on": [date(2026, 12, 1)],
            "visible_at": [datetime(2026, 11, 15, 18, 15)],
            "counting": [True],
        }
    ).with_columns(pl.col("visible_at").dt.replace_time_zone("UTC"))
    html = status_table(frame).html
    assert ">1 Dec 2026</td>" in html
    assert ">15 Nov 2026 18:15 UTC</td>" in html
    assert ">yes</td>" in html
