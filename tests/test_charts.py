"""Charts: built from tiny frames, checked through ``chart.to_dict()`` and vl-convert SVG."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import altair as alt
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit import charts
from toolkit.charts.html import svg_chart
from toolkit.charts.window import STATE_COLORS
from toolkit.model.policy import load_policy

D = date(2025, 3, 1)


def day(offset: int) -> date:
    return D + timedelta(days=offset)


def layer(spec: dict, name: str) -> dict:
    layers = spec["spec"]["layer"] if "spec" in spec else spec["layer"]
    (found,) = [item for item in layers if item.get("name") == name]
    return found


def rows(spec: dict, part: dict | None = None) -> pl.DataFrame:
    """The inline data of a layer (or of the top level) as a frame."""
    name = (part or spec)["data"]["name"]
    return pl.DataFrame(spec["datasets"][name])


def metrics_frame(
    metric: str = "odr", *, channel: str = "mfn", target: float | None = 0.01
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "seller_id": ["S1"] * 3,
            "as_of": [day(0), day(1), day(2)],
            "metric": [metric] * 3,
            "channel": [channel] * 3,
            "numerator": [3, 1, 0],
            "denominator": [212, 1, 0],
            "rate": [3 / 212, 1.0, None],
            "target": [target] * 3,
            "condition": ["<" if target is not None else None] * 3,
            "status": ["bad_low_volume", "bad_low_volume", "no_data"],
        },
        schema_overrides={"target": pl.Float64, "condition": pl.String},
    )


def test_the_theme_is_registered_and_enabled():
    assert alt.theme.active == charts.THEME_NAME
    config = alt.Chart().mark_point().to_dict()["config"]
    assert config["range"]["category"] == charts.CATEGORY_COLORS
    assert "http" not in str(config)  # no web font


def test_status_colours_cover_every_status_and_are_distinct():
    assert list(charts.STATUS_COLORS) == [
        "good",
        "watch",
        "bad",
        "bad_low_volume",
        "info",
        "no_data",
    ]
    assert len(set(charts.STATUS_COLORS.values())) == 6
    assert list(charts.BAND_COLORS) == ["healthy", "at_risk", "critical"]


class TestMetricHistory:
    def test_layers_encodings_and_target_rule(self):
        spec = metric_history_spec()
        assert [(item["name"], item["mark"]["type"]) for item in spec["layer"]] == [
            ("rate", "line"),
            ("target", "rule"),
            ("target_label", "text"),
            ("last", "point"),
            ("last_label", "text"),
        ]
        line = layer(spec, "rate")["encoding"]
        assert line["x"]["field"] == "as_of" and line["x"]["type"] == "temporal"
        assert line["color"]["scale"]["range"] == list(charts.STATUS_COLORS.values())
        assert line["color"]["legend"]["values"] == ["Over, could be chance", "No orders in window"]
        assert line["detail"]["field"] == "run"
        assert line["y"]["title"] == "orders with a defect"
        assert layer(spec, "target")["encoding"]["y"]["field"] == "target"

    def test_the_line_changes_colour_where_the_status_changes(self):
        """One piece of line per run of days with one status, joined at the next run's start."""
        frame = metrics_frame().with_columns(
            status=pl.Series(["bad", "bad", "good"]), rate=pl.Series([0.02, 0.03, 0.005])
        )
        pieces = (
            rows(charts.metric_history(frame).to_dict())
            .filter(pl.col("layer") == "actual")
            .sort("run", "as_of")
            .select("run", "as_of", "status_words", "rate")
        )
        assert pieces.rows() == [
            (1, "2025-03-01T00:00:00", "Over the limit", 0.02),
            (1, "2025-03-02T00:00:00", "Over the limit", 0.03),
            (1, "2025-03-03T00:00:00", "Over the limit", 0.005),
            (2, "2025-03-03T00:00:00", "Good", 0.005),
        ]

    def test_a_day_with_the_rate_of_the_day_before_adds_no_point(self):
        """A step line draws it the same: only changes and each run's ends are kept."""
        frame = pl.concat(
            [metrics_frame(), metrics_frame().with_columns(pl.col("as_of") + timedelta(days=3))]
        ).with_columns(
            rate=pl.Series([0.02, 0.02, 0.02, 0.02, 0.03, 0.03]),
            status=pl.lit("bad"),
        )
        kept = (
            rows(charts.metric_history(frame).to_dict())
            .filter(pl.col("layer") == "actual")
            .sort("as_of")
        )
        assert kept.select("as_of", "rate").rows() == [
            ("2025-03-01T00:00:00", 0.02),
            ("2025-03-05T00:00:00", 0.03),
            ("2025-03-06T00:00:00", 0.03),
        ]

    def test_counts_are_worded_next_to_rates(self):
        data = rows(metric_history_spec()).filter(pl.col("layer") != "target")
        got = data.select("layer", "as_of", "counts", "label").unique().sort("layer", "as_of")
        expected = pl.DataFrame(
            {
                "layer": ["actual", "actual", "actual", "last"],
                "as_of": [
                    "2025-03-01T00:00:00",
                    "2025-03-02T00:00:00",
                    "2025-03-03T00:00:00",
                    "2025-03-03T00:00:00",
                ],
                "counts": [
                    "3 of 212 orders with a defect",
                    "1 of 1 order with a defect",
                    "no orders in the window",
                    "no orders in the window",
                ],
                "label": [None, None, None, "no data · no orders in the window"],
            }
        )
        assert_frame_equal(got, expected)

    def test_target_label_names_the_condition(self):
        data = rows(metric_history_spec()).filter(pl.col("layer") == "target")
        assert data.select("target", "label").rows() == [(0.01, "target < 1.0%")]

    def test_a_metric_without_target_has_no_target_row(self):
        spec = charts.metric_history(metrics_frame("odr_claims", target=None)).to_dict()
        assert rows(spec).filter(pl.col("layer") == "target").height == 0
        assert rows(spec).get_column("counts")[0] == "3 of 212 orders with an A-to-z claim"

    def test_several_metrics_are_faceted_in_policy_order(self):
        frame = pl.concat([metrics_frame("lsr_30d", target=0.04), metrics_frame("odr")])
        spec = charts.metric_history(frame).to_dict()
        assert spec["facet"]["row"]["field"] == "series"
        assert spec["facet"]["row"]["sort"] == [
            "Order Defect Rate (shipped by you)",
            "Late shipment rate, 30 days (shipped by you)",
        ]
        assert spec["resolve"]["scale"]["y"] == "independent"
        assert layer(spec, "target")["mark"]["type"] == "rule"

    def test_forecast_continues_dashed_from_the_last_point(self):
        forecast = pl.DataFrame(
            {
                "seller_id": ["S1"] * 2,
                "as_of": [day(3), day(4)],
                "metric": ["odr"] * 2,
                "channel": ["mfn"] * 2,
                "projected_rate": [0.012, 0.008],
                "projected_numerator": [3, 2],
                "projected_denominator": [250.4, 250.4],
                "recovery_date": [day(4), day(4)],
            }
        )
        spec = charts.metric_history(metrics_frame(), forecast=forecast).to_dict()
        assert layer(spec, "forecast")["mark"]["strokeDash"] == [6, 4]
        data = rows(spec)
        line = data.filter(pl.col("layer") == "forecast").sort("as_of")
        assert line.get_column("as_of").to_list() == [
            "2025-03-03T00:00:00",
            "2025-03-04T00:00:00",
            "2025-03-05T00:00:00",
        ]
        assert line.get_column("counts").to_list()[1:] == [
            "3 of 250 orders with a defect (projected)",
            "2 of 250 orders with a defect (projected)",
        ]
        recovery = data.filter(pl.col("layer") == "recovery")
        assert recovery.select("as_of", "label").rows() == [
            ("2025-03-05T00:00:00", "back on target 5 Mar 2025")
        ]

    def test_missing_column_is_named(self):
        with pytest.raises(ValueError, match=r"metric_history: missing column\(s\) \['status'\]"):
            charts.metric_history(metrics_frame().drop("status"))

    def test_rows_of_two_sellers_are_refused(self):
        frame = pl.concat([metrics_frame(), metrics_frame().with_columns(seller_id=pl.lit("S2"))])
        with pytest.raises(ValueError, match="pass one seller's rows, got 2"):
            charts.metric_history(frame)

    def test_lazy_frames_are_accepted(self):
        assert charts.metric_history(metrics_frame().lazy()).to_dict() == metric_history_spec()


def metric_history_spec() -> dict:
    return charts.metric_history(metrics_frame()).to_dict()


def test_odr_components_stack_the_components_under_the_odr_line():
    frame = pl.concat(
        [
            metrics_frame("odr"),
            metrics_frame("odr_negative_feedback", target=None),
            metrics_frame("odr_claims", target=None),
            metrics_frame("lsr_30d", target=0.04),
        ]
    )
    spec = charts.odr_components(frame).to_dict()
    areas, line = layer(spec, "components"), layer(spec, "odr")
    assert areas["mark"]["type"] == "area" and areas["encoding"]["y"]["stack"] == "zero"
    assert areas["encoding"]["color"]["field"] == "component"
    assert line["mark"]["type"] == "line"
    # whole orders: no tick at 0.2 orders
    assert areas["encoding"]["y"]["axis"] == {
        "tickMinStep": 1,
        "format": "d",
        "values": [0, 2, 4, 6],  # the tallest stack: 3 with negative feedback + 3 with a claim
    }
    data = rows(spec)
    assert sorted(data.get_column("layer").unique().to_list()) == ["component", "odr"]
    components = data.filter(pl.col("layer") == "component").get_column("component")
    assert components.unique().sort().to_list() == ["A-to-z claims", "negative feedback"]
    assert data.height == 9  # lsr_30d rows are left out


def test_clearance_calendar_bars_run_from_counts_from_to_clears_on():
    clearance = pl.DataFrame(
        {
            "order_id": ["O1", "O2", None],
            "defect_type": ["negative_feedback", "claim", "listing_policy"],
            "record_id": ["F1", "C1", "V1"],
            "attribution_date": [day(-40), day(-10), day(-5)],
            "counts_from": [day(-26), day(4), day(-5)],
            "clears_on": [day(20), day(4), day(175)],
            "counting": [True, False, True],
            "clear_reason": ["window", "denied", "expired"],
        }
    )
    spec = charts.clearance_calendar(clearance, as_of=D).to_dict()
    bars = layer(spec, "records")
    assert bars["mark"]["type"] == "bar"
    assert (bars["encoding"]["x"]["field"], bars["encoding"]["x2"]["field"]) == (
        "counts_from",
        "clears_on",
    )
    assert bars["encoding"]["y"]["sort"] == [
        "A-to-z Guarantee claim C1",
        "Negative feedback F1",
        "Listing policy violation V1",
    ]
    assert "labelLimit" not in bars["encoding"]["y"].get("axis", {})  # drawn whole, not cut
    assert bars["encoding"]["color"]["legend"]["values"] == [
        "Negative feedback",
        "A-to-z Guarantee claim",
        "Policy violation",
    ]
    assert layer(spec, "as_of")["mark"]["type"] == "rule"
    data = rows(spec)
    records = data.filter(pl.col("layer") == "record").sort("record_id")
    assert records.select("record_id", "kind", "never_counted", "label").rows() == [
        ("C1", "A-to-z Guarantee claim", True, "clears 5 Mar 2025 (claim denied)"),
        ("F1", "Negative feedback", False, "clears 21 Mar 2025 (leaves the window)"),
        ("V1", "Policy violation", False, "clears 23 Aug 2025 (display ends)"),
    ]
    assert data.filter(pl.col("layer") == "as_of").get_column("label").to_list() == ["1 Mar 2025"]


VIOLATIONS = pl.DataFrame(
    {
        "as_of": [day(0), day(0), day(1), day(1)],
        "seller_id": ["S1"] * 4,
        "violation_id": ["V1", "V2", "V1", "V2"],
        "category": ["listing_policy", "product_safety"] * 2,
        "severity": ["medium", "high", "medium", "high"],
        "displayed_from": [day(-30), day(-2), day(-30), day(-2)],
        "displayed_until": [day(149), day(177), day(149), None],
        "costs_points_until": [day(149), day(177), day(0), None],
        "status": ["open", "open", "addressed", "removed_as_error"],
    }
)


def test_violations_timeline_draws_the_latest_row_of_each_violation():
    spec = charts.violations_timeline(VIOLATIONS).to_dict()
    assert [item["name"] for item in spec["layer"]] == [
        "displayed",
        "costs_points",
        "removed",
        "as_of",
        "as_of_label",
    ]
    data = rows(spec).filter(pl.col("layer") == "violation").sort("violation_id")
    # inclusive *_until dates end their bars one day later
    assert data.select("violation", "status", "display_end", "cost_end").rows() == [
        (
            "Listing policy violation (V1)",
            "addressed",
            "2025-07-29T00:00:00",
            "2025-03-02T00:00:00",
        ),
        ("Product safety complaint (V2)", "removed (dispute upheld)", None, None),
    ]
    displayed = layer(spec, "displayed")["encoding"]
    assert "labelLimit" not in displayed["y"].get("axis", {})  # names drawn whole, not cut
    assert displayed["x2"]["field"] == "display_end"
    assert displayed["color"]["scale"]["range"] == ["#56B4E9", "#E69F00", "#D55E00", "#000000"]
    assert rows(spec).filter(pl.col("layer") == "as_of").get_column("as_of").to_list() == [
        "2025-03-02T00:00:00"
    ]


def test_long_row_names_are_drawn_whole_with_their_ids():
    from toolkit.charts.html import svg_chart

    violation = VIOLATIONS.head(1).with_columns(
        violation_id=pl.lit("PV00000012"), category=pl.lit("suspected_intellectual_property")
    )
    svg = svg_chart(charts.violations_timeline(violation))
    assert "Suspected intellectual property violation (PV00000012)</text>" in svg
    assert "…" not in svg


def test_violations_timeline_with_ahr_shares_the_date_axis():
    ahr = pl.DataFrame(
        {"as_of": [day(0), day(1)], "ahr_estimate": [196, 204], "band": ["at_risk", "healthy"]}
    )
    spec = charts.violations_timeline(VIOLATIONS, ahr=ahr).to_dict()
    assert len(spec["vconcat"]) == 2
    assert spec["resolve"]["scale"]["x"] == "shared"


def test_ahr_chart_draws_the_policy_band_thresholds():
    policy = load_policy()
    policy = replace(policy, ahr={**policy.ahr, "healthy_from": 300, "at_risk_from": 150})
    ahr = pl.DataFrame(
        {"as_of": [day(0), day(1)], "ahr_estimate": [310, 120], "band": ["healthy", "at_risk"]}
    )
    spec = charts.ahr_chart(ahr, policy=policy).to_dict()
    thresholds = rows(spec, layer(spec, "thresholds"))
    assert thresholds.get_column("threshold").to_list() == [150, 300]
    bands = rows(spec, layer(spec, "bands")).select("band", "low", "high").rows()
    assert bands == [("Healthy", 300, 400), ("At risk", 150, 300), ("Critical", 0, 150)]
    assert layer(spec, "ahr_points")["encoding"]["color"]["scale"]["domain"] == [
        "Healthy",
        "At risk",
        "Critical",
    ]
    assert "estimate" in spec["title"]


def test_funnel_plot_limits_target_and_sellers():
    points = pl.DataFrame(
        {
            "seller_id": ["S1", "S2", "S3"],
            "numerator": [1, 0, 3],
            "denominator": [10, 0, 300],
            "rate": [0.1, None, 0.01],
            "status": ["bad_low_volume", "no_data", "watch"],
        }
    )
    limits = pl.DataFrame(
        {"n": [10, 300] * 2, "level": ["95%", "95%", "99.8%", "99.8%"]}
        | {"lower": [0.0, 0.001, 0.0, 0.0], "upper": [0.08, 0.02, 0.12, 0.03]}
    )
    spec = charts.funnel_plot(points, limits, target=0.01, condition="<", log_x=True).to_dict()
    assert [item["name"] for item in spec["layer"]] == [
        "limits",
        "target",
        "target_label",
        "sellers",
    ]
    assert layer(spec, "limits")["encoding"]["strokeDash"]["field"] == "level"
    assert layer(spec, "sellers")["encoding"]["x"]["scale"]["type"] == "log"
    assert layer(spec, "target")["encoding"]["y"]["datum"] == 0.01
    sellers = rows(spec, layer(spec, "sellers"))
    assert sellers.select("seller_id", "counts").rows() == [
        ("S1", "1 / 10 orders"),
        ("S3", "3 / 300 orders"),
    ]
    assert rows(spec, layer(spec, "limits")).height == 8


def test_p_chart_flags_weeks_outside_the_limits():
    weeks = pl.DataFrame(
        {
            "week": [day(0), day(7), day(14), day(21)],
            "rate": [0.02, 0.09, 0.0, 0.03],
            "centre": [0.03] * 4,
            "lower": [0.0, 0.0, 0.005, 0.0],
            "upper": [0.08, 0.08, 0.07, 0.08],
        }
    )
    spec = charts.p_chart(weeks).to_dict()
    assert [(item["name"], item["mark"]["type"]) for item in spec["layer"]] == [
        ("limits", "line"),
        ("centre", "line"),
        ("rate", "line"),
        ("weeks", "point"),
    ]
    assert layer(spec, "limits")["mark"]["interpolate"] == "step"
    signals = rows(spec, layer(spec, "weeks")).get_column("signal").to_list()
    assert signals == ["within limits", "outside limits", "outside limits", "within limits"]


# ----------------------------------------------------------------------------------------
# Window explorer: the state expressions are checked by rendering with vl-convert at
# several slider values (Vega evaluates them exactly as the browser does).

W, L = 5, 2
RECORDS = pl.DataFrame(
    {
        "order_id": ["O1", "O2", "O3", "O2"],
        "record_type": ["order", "order", "order", "negative_feedback"],
        "attribution_date": [day(0), day(2), day(6), day(2)],
        "counts_from": [day(L), day(2 + L), day(6 + L), day(2 + L + 1)],
        "clears_on": [day(L + W), day(2 + L + W), day(6 + L + W), day(2 + L + 3)],
    }
)


def explorer_states(as_of: date) -> dict[str, int]:
    svg = svg_chart(
        charts.window_explorer(RECORDS, window_days=W, lag_days=L, start=D, value=as_of)
    )
    colours = {colour.upper(): state for state, colour in STATE_COLORS.items()}
    counts: dict[str, int] = {}
    for group in re.findall(r'class="mark-symbol role-mark (?:orders|defects)_marks".*?</g>', svg):
        for colour in re.findall(r'(?:fill|stroke)="(#[0-9a-fA-F]{6})"', group):
            state = colours[colour.upper()]
            counts[state] = counts.get(state, 0) + 1
    return counts


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param(
            day(1),
            {"order not yet in window": 3, "defect not yet counting": 1},
            id="before the lag has passed nothing counts",
        ),
        pytest.param(
            day(5),
            {"order in window": 2, "order not yet in window": 1, "defect counting": 1},
            id="two orders in the window and their defect counting",
        ),
        pytest.param(
            day(7),
            {"order dropped out": 1, "order in window": 1, "order not yet in window": 1}
            | {"defect dropped out": 1},
            id="the first order aged out and the defect stopped while its order is in",
        ),
        pytest.param(
            day(9),
            {"order dropped out": 2, "order in window": 1, "defect dropped out": 1},
            id="only the last order is left in the window",
        ),
    ],
)
def test_window_explorer_states_on_the_slider_day(as_of, expected):
    assert explorer_states(as_of) == expected


def test_window_explorer_headline_counts_the_day():
    svg = svg_chart(
        charts.window_explorer(RECORDS, window_days=W, lag_days=L, start=D, value=day(5))
    )
    assert "As of 6 Mar 2025: 2 orders in the window, 1 defect counting, 0 dropped out" in svg


def test_window_explorer_binds_a_slider_and_shades_the_window():
    spec = charts.window_explorer(RECORDS, window_days=W, lag_days=L, value=day(3)).to_dict()
    (param,) = spec["params"]
    assert param["name"] == "as_of_day"
    assert param["value"] == 3
    assert param["bind"] == {
        "input": "range",
        "min": 0,
        "max": 13,
        "step": 1,
        "name": "as-of date (shown above the chart) ",
    }
    window = layer(spec, "window")
    assert window["mark"]["type"] == "rect"
    calculate = {item["as"]: item["calculate"] for item in window["transform"][1:]}
    assert calculate == {
        "window_from": "datetime(2025, 2, 1 + as_of_day - 6)",
        "window_to": "datetime(2025, 2, 1 + as_of_day - 2 + 1)",
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"value": day(40)}, "outside", id="initial date after the range"),
        pytest.param({"window_days": 0}, "window_days must be >= 1", id="empty window"),
        pytest.param({"end": day(-3)}, "is before start", id="end before start"),
    ],
)
def test_window_explorer_rejects_bad_options(options, message):
    arguments = {"window_days": W, "lag_days": L} | options
    with pytest.raises(ValueError, match=message):
        charts.window_explorer(RECORDS, **arguments)


# ----------------------------------------------------------------------------------------
# What a reader sees: words, never codes, and one date format.

CODES = re.compile(
    r"\b(?:odr(?:_\w+)?|lsr_\d+d|cancel_rate_7d|vtr_30d|otdr_14d|idr_7d|mfn|afn"
    r"|bad_low_volume|no_data|at_risk|negative_feedback|late_shipment|listing_policy"
    r"|product_safety|removed_as_error|clear_reason|defect_type)\b"
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DAY = re.compile(r"^\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}$")


def svg_texts(chart) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg_chart(chart))


def _history_with_forecast():
    forecast = pl.DataFrame(
        {
            "seller_id": ["S1"] * 2,
            "as_of": [day(3), day(4)],
            "metric": ["odr"] * 2,
            "channel": ["mfn"] * 2,
            "projected_rate": [0.012, 0.008],
            "projected_numerator": [3, 2],
            "projected_denominator": [250.4, 250.4],
            "recovery_date": [day(4), day(4)],
        }
    )
    return charts.metric_history(metrics_frame(), forecast=forecast, title="ODR")


READER_CHARTS = [
    pytest.param(_history_with_forecast, id="the ODR history with its forecast"),
    pytest.param(
        lambda: charts.metric_history(
            pl.concat(
                [metrics_frame("lsr_10d", target=0.04), metrics_frame("idr_7d", channel="all")]
            )
        ),
        id="two shipping metrics in panels",
    ),
    pytest.param(
        lambda: charts.odr_components(
            pl.concat([metrics_frame("odr"), metrics_frame("odr_claims", target=None)])
        ),
        id="the ODR components",
    ),
    pytest.param(
        lambda: charts.clearance_calendar(
            pl.DataFrame(
                {
                    "order_id": ["O1", None],
                    "defect_type": ["late_shipment", "listing_policy"],
                    "record_id": ["O1", "V1"],
                    "attribution_date": [day(-5), day(-5)],
                    "counts_from": [day(-5), day(-5)],
                    "clears_on": [day(25), day(175)],
                    "counting": [True, True],
                    "clear_reason": ["window", "expired"],
                }
            ),
            as_of=D,
        ),
        id="the clearance calendar",
    ),
    pytest.param(
        lambda: charts.violations_timeline(
            VIOLATIONS,
            ahr=pl.DataFrame(
                {"as_of": [day(0), day(1)], "ahr_estimate": [196, 204]}
                | {"band": ["at_risk", "healthy"]}
            ),
        ),
        id="violations over the AHR estimate",
    ),
]


@pytest.mark.parametrize("build", READER_CHARTS)
def test_charts_say_words_not_codes_and_dates_one_way(build):
    texts = svg_texts(build())
    assert texts, "the chart drew no text"
    assert [t for t in texts if CODES.search(t)] == []
    assert [t for t in texts if ISO_DATE.search(t)] == []
    # every axis label that is a date reads like "1 Mar 2025"
    dates = [t for t in texts if re.search(r"\b(?:Jan|Feb|Mar|Apr|Aug|Sep)\b", t)]
    assert dates and all(DAY.match(t) or re.search(r"\d{1,2} \w{3} \d{4}", t) for t in dates)
