"""Charts: aggregated long-form polars frames in, ``altair`` charts out.

Every function takes frames that are already aggregated (the metrics table of definitions section 4.2,
the forecast and clearance tables of definitions section 5, the violations and ahr tables of definitions section 6, or
the statistics frames named below), prepares them with polars and returns an altair
chart value. Nothing is displayed or saved here: layer, concatenate, display or convert
to SVG (:func:`toolkit.charts.html.svg_chart`) in the caller. Importing this module registers
and enables the project's theme (``seller_health``, see :mod:`toolkit.charts.theme`).

Rates are drawn as fractions on percent axes; counts are always shown next to rates
(``3 of 212 orders with a defect``) in labels and tooltips; targets are dashed rules with
a label. Every name a reader sees is a word of :mod:`toolkit.model.vocabulary` (metric,
channel and status names), never a code. Status colours are the same everywhere
(:data:`STATUS_COLORS`).

A daily history draws few marks: one line per run of days with the same status (the
line changes colour where the status changes), one point on the last day, and areas for
daily counts, so that a page of several 180-day charts stays small.

Charts of one seller raise a :class:`ValueError` when given rows of several sellers.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from toolkit.charts.palette import MUTED, RECORD_COLORS, STATUS_COLORS
from toolkit.charts.theme import (
    RATE_FORMAT,
    count_axis,
    date_tooltip,
    date_x,
    day_words,
    frame_with,
    one_seller,
    percent,
    status_color,
    status_words,
)
from toolkit.model.policy import METRICS
from toolkit.model.vocabulary import (
    CHANNEL_NAMES,
    COUNT_PHRASES,
    COUNT_UNITS,
    METRIC_NAMES,
    RATE_TITLES,
)

__all__ = ["counts_text", "metric_history", "odr_components", "series_name"]

_COMPONENTS = {
    "odr_negative_feedback": "negative feedback",
    "odr_claims": "A-to-z claims",
    "odr_chargebacks": "chargebacks",
}
_ORDER = {name: rank for rank, name in enumerate(METRICS)}
_METRIC_COLUMNS = ["as_of", "metric", "channel", "numerator", "denominator", "rate", "target"]


def counts_text(numerator: pl.Expr, denominator: pl.Expr, metric: pl.Expr) -> pl.Expr:
    """``"3 of 212 orders with a defect"``: the counts behind a rate, worded for the metric.

    Examples
    --------
    >>> frame = pl.DataFrame({"n": [3, 1, 0, 1], "d": [212, 1, 0, 2],
    ...     "metric": ["odr", "lsr_10d", "vtr_30d", "rdr_30d"]})
    >>> frame.select(counts_text(pl.col("n"), pl.col("d"), pl.col("metric"))).to_series().to_list()
    ['3 of 212 orders with a defect', '1 of 1 order shipped late', 'no orders in the window', '1 of 2 return requests with a dissatisfied buyer']
    """
    phrase = metric.replace_strict(COUNT_PHRASES, default="counted", return_dtype=pl.String)
    one = metric.replace_strict(
        {m: u[0] for m, u in COUNT_UNITS.items()}, default="order", return_dtype=pl.String
    )
    many = metric.replace_strict(
        {m: u[1] for m, u in COUNT_UNITS.items()}, default="orders", return_dtype=pl.String
    )
    unit = pl.when(denominator == 1).then(one).otherwise(many)
    return (
        pl.when(denominator == 0)
        .then(pl.format("no {} in the window", many))
        .otherwise(pl.format("{} of {} {} {}", numerator, denominator, unit, phrase))
    )


def series_name(metric: pl.Expr, channel: pl.Expr) -> pl.Expr:
    """``"Order Defect Rate (shipped by you)"``: a metric and channel in words."""
    name = metric.replace_strict(METRIC_NAMES, default=metric, return_dtype=pl.String)
    where = channel.replace_strict(CHANNEL_NAMES, default=channel, return_dtype=pl.String)
    return pl.format("{} ({})", name, where)


def _status_runs(actual: pl.DataFrame) -> pl.DataFrame:
    """The daily rows as runs of one status, each run joined to the next one's first day.

    ``run`` numbers the runs within a series; the first day of every run but the first is
    repeated at the end of the run before it (with that run's status), so the coloured
    pieces of the line meet. Days whose rate equals the day before's are left out (a
    step line draws them the same), which keeps a chart's SVG small.
    """
    ordered = actual.sort("series", "as_of").with_columns(
        run=(pl.col("status") != pl.col("status").shift(1).over("series"))
        .fill_null(True)
        .cum_sum()
        .over("series")
    )
    bridges = (
        ordered.filter(pl.col("run") > pl.col("run").min().over("series"))
        .filter(pl.col("as_of") == pl.col("as_of").min().over("series", "run"))
        .with_columns(run=pl.col("run") - 1)
    )
    previous = ordered.group_by("series", "run").agg(
        pl.col("status", "status_words").first().name.suffix("_of_run")
    )
    bridges = (
        bridges.join(previous, on=["series", "run"], how="left")
        .with_columns(status=pl.col("status_of_run"), status_words=pl.col("status_words_of_run"))
        .drop("status_of_run", "status_words_of_run")
    )
    # A step line draws a day equal to the day before as the same flat piece: keep the days
    # on which the rate changes, and each run's first and last day.
    changes = (pl.col("rate") != pl.col("rate").shift(1)).over("series", "run").fill_null(True)
    ends = (pl.col("as_of") == pl.col("as_of").min().over("series", "run")) | (
        pl.col("as_of") == pl.col("as_of").max().over("series", "run")
    )
    kept = ordered.filter(changes | ends | pl.col("rate").is_null())
    return pl.concat([kept, bridges.select(ordered.columns)])


def metric_history(
    metrics: pl.DataFrame | pl.LazyFrame,
    *,
    forecast: pl.DataFrame | pl.LazyFrame | None = None,
    title: str | None = None,
) -> alt.LayerChart | alt.FacetChart:
    """Rate over as-of dates per metric and channel, with the target and an optional forecast.

    Parameters
    ----------
    metrics
        Rows of the metrics table (definitions section 4.2) of one seller: at least ``as_of, metric,
        channel, numerator, denominator, rate, target, status`` (``condition`` is used in
        the target label when present).
    forecast
        Optional rows of the forecast table (definitions section 5): ``as_of, metric, channel,
        projected_rate, projected_numerator, projected_denominator`` and optionally
        ``recovery_date``. Drawn as a dashed continuation from the last actual point;
        a recovery date inside the horizon gets a labelled marker.
    title
        Chart title.

    Returns
    -------
    alt.LayerChart | alt.FacetChart
        One panel (a layer chart) when the rows hold one metric and channel, else one row
        of panels per metric and channel (named in words) with independent y scales (a
        facet chart). Layers: the rate line coloured by status (one piece per run of days
        with the same status), the target rule and its label, a point and a label at the
        last day (``1.41% · 3 of 212 orders with a defect``), and the forecast line and
        recovery marker when given. The rate axis says what the rate measures.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> metrics = pl.DataFrame({
    ...     "as_of": [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)],
    ...     "metric": ["odr"] * 3, "channel": ["mfn"] * 3,
    ...     "numerator": [3, 3, 2], "denominator": [212, 220, 230],
    ...     "rate": [3 / 212, 3 / 220, 2 / 230], "target": [0.01] * 3,
    ...     "condition": ["<"] * 3, "status": ["bad_low_volume", "bad_low_volume", "good"],
    ... })
    >>> spec = metric_history(metrics).to_dict()
    >>> [(layer["mark"]["type"], layer.get("name")) for layer in spec["layer"]]
    [('line', 'rate'), ('rule', 'target'), ('text', 'target_label'), ('point', 'last'), ('text', 'last_label')]
    >>> spec["layer"][0]["encoding"]["y"]["title"]
    'orders with a defect'
    >>> pl.DataFrame(spec["datasets"][spec["data"]["name"]]).filter(
    ...     pl.col("layer") != "actual").sort("layer")["label"].to_list()
    ['0.87% · 2 of 230 orders with a defect', 'target < 1.0%']
    """
    where = "metric_history"
    frame = frame_with(metrics, [*_METRIC_COLUMNS, "status"], where)
    one_seller(frame, where)
    condition = pl.col("condition") if "condition" in frame.columns else pl.lit(None, pl.String)
    actual = frame.select(
        pl.lit("actual").alias("layer"),
        series_name(pl.col("metric"), pl.col("channel")).alias("series"),
        "as_of",
        pl.col("rate").cast(pl.Float64),
        "status",
        status_words(pl.col("status")).alias("status_words"),
        counts_text(pl.col("numerator"), pl.col("denominator"), pl.col("metric")).alias("counts"),
        pl.col("target").cast(pl.Float64),
        condition.alias("condition"),
        pl.col("metric").replace_strict(_ORDER, default=len(_ORDER)).alias("metric_order"),
    )
    last = actual.filter(pl.col("as_of") == pl.col("as_of").max().over("series")).with_columns(
        pl.lit("last").alias("layer"),
        pl.format("{} · {}", percent(pl.col("rate")).fill_null("no data"), pl.col("counts")).alias(
            "label"
        ),
    )
    targets = (
        actual.filter(pl.col("target").is_not_null())
        .group_by("series", "target", "condition")
        .agg(pl.col("as_of").min())
        .with_columns(
            pl.lit("target").alias("layer"),
            pl.format(
                "target {}{}",
                pl.when(pl.col("condition").is_not_null())
                .then(pl.col("condition") + " ")
                .otherwise(pl.lit("")),
                percent(pl.col("target")),
            ).alias("label"),
        )
    )
    parts = [
        _status_runs(actual).drop("target", "metric_order"),
        targets,
        last.drop("target", "metric_order"),
    ]
    if forecast is not None:
        parts.extend(_forecast_parts(forecast, last))
    data = pl.concat(parts, how="diagonal_relaxed").sort("layer", "series", "as_of", "run")

    metric_codes = frame.get_column("metric").unique().to_list()
    rate_title = RATE_TITLES.get(metric_codes[0], "rate") if len(metric_codes) == 1 else "rate"
    base = alt.Chart().encode(x=date_x())
    y_rate = alt.Y("rate:Q", title=rate_title, axis=alt.Axis(format=RATE_FORMAT))
    y_plain = alt.Y("rate:Q")
    tooltip = [
        date_tooltip("as_of", "as of"),
        alt.Tooltip("series:N", title="metric"),
        alt.Tooltip("rate:Q", format=".2%"),
        alt.Tooltip("counts:N"),
        alt.Tooltip("status_words:N", title="status"),
    ]
    color = status_color(actual)
    layers = [
        base.transform_filter("datum.layer === 'actual'")
        .mark_line(strokeWidth=2, interpolate="step-after")
        .encode(y=y_rate, color=color, detail="run:N", tooltip=tooltip)
        .properties(name="rate"),
        alt.Chart()
        .transform_filter("datum.layer === 'target'")
        .mark_rule(strokeDash=[4, 4], color=MUTED)
        .encode(y=alt.Y("target:Q", title=rate_title), tooltip=[alt.Tooltip("label:N")])
        .properties(name="target"),
        alt.Chart()
        .transform_filter("datum.layer === 'target'")
        .mark_text(align="left", baseline="bottom", dx=4, dy=-2, color=MUTED)
        .encode(x=alt.value(0), y=alt.Y("target:Q", title=rate_title), text="label:N")
        .properties(name="target_label"),
        base.transform_filter("datum.layer === 'last'")
        .mark_point(filled=True, size=50, opacity=1)
        .encode(y=y_plain, color=color, tooltip=tooltip)
        .properties(name="last"),
        base.transform_filter("datum.layer === 'last'")
        .mark_text(align="right", baseline="bottom", dy=-8, fontWeight="bold")
        .encode(y=y_plain, text="label:N")
        .properties(name="last_label"),
    ]
    if forecast is not None:
        layers.extend(_forecast_layers(base, y_plain))
    chart = alt.layer(*layers, data=data)
    series = (
        actual.sort(pl.col("metric_order"), "series")
        .get_column("series")
        .unique(maintain_order=True)
    )
    if series.len() > 1:
        header = alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top")
        chart = chart.facet(
            row=alt.Row("series:N", title=None, sort=series.to_list(), header=header)
        )
        chart = chart.resolve_scale(y="independent")
    return chart.properties(title=title) if title else chart


def _forecast_parts(forecast: pl.DataFrame | pl.LazyFrame, last: pl.DataFrame) -> list:
    where = "metric_history(forecast=)"
    columns = ["as_of", "metric", "channel", "projected_rate", "projected_numerator"]
    fc = frame_with(forecast, [*columns, "projected_denominator"], where)
    one_seller(fc, where)
    projected = fc.select(
        pl.lit("forecast").alias("layer"),
        series_name(pl.col("metric"), pl.col("channel")).alias("series"),
        "as_of",
        pl.col("projected_rate").cast(pl.Float64).alias("rate"),
        pl.format(
            "{} (projected)",
            counts_text(
                pl.col("projected_numerator").round(0).cast(pl.Int64),
                pl.col("projected_denominator").round(0).cast(pl.Int64),
                pl.col("metric"),
            ),
        ).alias("counts"),
        (pl.col("recovery_date") if "recovery_date" in fc.columns else pl.lit(None, pl.Date)).alias(
            "recovery_date"
        ),
    )
    start = last.filter(pl.col("series").is_in(projected.get_column("series").implode())).select(
        pl.lit("forecast").alias("layer"), "series", "as_of", "rate", "counts"
    )
    recovery = projected.filter(
        (pl.col("as_of") == pl.col("recovery_date"))
        & (pl.col("as_of") > pl.col("as_of").min().over("series"))
    ).with_columns(
        pl.lit("recovery").alias("layer"),
        pl.format("back on target {}", day_words(pl.col("as_of"))).alias("label"),
    )
    return [start, projected.drop("recovery_date"), recovery.drop("recovery_date")]


def _forecast_layers(base: alt.Chart, y_rate: alt.Y) -> list[alt.Chart]:
    tooltip = [
        date_tooltip("as_of", "as of"),
        alt.Tooltip("rate:Q", title="projected rate", format=".2%"),
        alt.Tooltip("counts:N"),
    ]
    return [
        base.transform_filter("datum.layer === 'forecast'")
        .mark_line(strokeDash=[6, 4], color=STATUS_COLORS["info"], strokeWidth=1.5)
        .encode(y=y_rate, tooltip=tooltip)
        .properties(name="forecast"),
        base.transform_filter("datum.layer === 'recovery'")
        .mark_point(shape="diamond", size=80, filled=True, color=STATUS_COLORS["good"])
        .encode(y=y_rate, tooltip=tooltip)
        .properties(name="recovery"),
        base.transform_filter("datum.layer === 'recovery'")
        .mark_text(align="right", dx=-8, dy=-10, color=STATUS_COLORS["good"], fontWeight="bold")
        .encode(y=y_rate, text="label:N")
        .properties(name="recovery_label"),
    ]


def _change_days(data: pl.DataFrame) -> pl.DataFrame:
    """Per channel: the days on which any count changes, and the first and last day.

    The areas and the line are steps: a day with the same counts as the day before draws
    nothing new, so only these days are kept (the stack stays aligned: every component
    keeps the same days).
    """
    wide = (
        data.with_columns(key=pl.col("component").fill_null("odr"))
        .pivot(on="key", index=["channel", "as_of"], values="numerator")
        .sort("channel", "as_of")
    )
    counts = [c for c in wide.columns if c not in ("channel", "as_of")]
    changed = pl.any_horizontal(
        (pl.col(c) != pl.col(c).shift(1)).over("channel").fill_null(True) for c in counts
    )
    ends = (pl.col("as_of") == pl.col("as_of").min().over("channel")) | (
        pl.col("as_of") == pl.col("as_of").max().over("channel")
    )
    return wide.filter(changed | ends).select("channel", "as_of")


def odr_components(metrics: pl.DataFrame | pl.LazyFrame) -> alt.LayerChart | alt.FacetChart:
    """The ODR numerator and its three components over as-of dates.

    Stacked areas count the orders with counted negative feedback, A-to-z claims and
    chargebacks on each day (one area per component, not a bar per day); the black line
    counts the orders with at least one defect (the ODR numerator), which is lower than
    the stack when an order has several defects. The count axis has whole-number ticks.

    Parameters
    ----------
    metrics
        Rows of the metrics table (definitions section 4.2) of one seller with ``as_of, metric,
        channel, numerator, denominator``; rows of metrics other than ``odr`` and its
        components are ignored.

    Returns
    -------
    alt.LayerChart | alt.FacetChart
        One panel per channel (a facet chart, named in words, when there are several):
        layers ``components`` (areas) and ``odr`` (line).

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> days = [date(2025, 3, 1), date(2025, 3, 2)]
    >>> metrics = pl.DataFrame({
    ...     "as_of": days * 4, "channel": ["mfn"] * 8,
    ...     "metric": ["odr"] * 2 + ["odr_negative_feedback"] * 2 + ["odr_claims"] * 2
    ...     + ["odr_chargebacks"] * 2,
    ...     "numerator": [3, 2, 2, 1, 1, 1, 1, 0], "denominator": [212, 220] * 4,
    ... })
    >>> spec = odr_components(metrics).to_dict()
    >>> [(layer["name"], layer["mark"]["type"]) for layer in spec["layer"]]
    [('components', 'area'), ('odr', 'line')]
    >>> spec["layer"][0]["encoding"]["color"]["scale"]["domain"]
    ['negative feedback', 'A-to-z claims', 'chargebacks']
    >>> spec["layer"][0]["encoding"]["y"]["axis"]["values"]  # whole orders only
    [0, 1, 2, 3, 4]
    """
    where = "odr_components"
    frame = frame_with(metrics, ["as_of", "metric", "channel", "numerator", "denominator"], where)
    one_seller(frame, where)
    frame = frame.filter(pl.col("metric").is_in(["odr", *_COMPONENTS]))
    data = frame.select(
        pl.when(pl.col("metric") == "odr")
        .then(pl.lit("odr"))
        .otherwise(pl.lit("component"))
        .alias("layer"),
        "as_of",
        pl.col("channel").replace_strict(CHANNEL_NAMES, default=pl.col("channel")).alias("channel"),
        pl.col("metric").replace_strict(_COMPONENTS, default=None).alias("component"),
        "numerator",
        "denominator",
        counts_text(pl.col("numerator"), pl.col("denominator"), pl.col("metric")).alias("counts"),
    ).sort("layer", "channel", "as_of", "component", nulls_last=True)
    data = data.join(_change_days(data), on=["channel", "as_of"], how="semi")
    components = list(_COMPONENTS.values())
    tallest = (
        data.group_by("layer", "channel", "as_of").agg(pl.col("numerator").sum())["numerator"].max()
    )
    axis = count_axis(tallest)
    y = alt.Y("numerator:Q", title="orders", stack="zero", axis=axis)
    areas = (
        alt.Chart()
        .transform_filter("datum.layer === 'component'")
        .mark_area(opacity=0.85, interpolate="step-after")
        .encode(
            x=date_x(),
            y=y,
            color=alt.Color(
                "component:N",
                title="defect",
                scale=alt.Scale(domain=components, range=list(RECORD_COLORS.values())[:3]),
                sort=components,
            ),
            order=alt.Order("component:N"),
            tooltip=[date_tooltip("as_of", "as of"), "component:N", "counts:N"],
        )
        .properties(name="components")
    )
    line = (
        alt.Chart()
        .transform_filter("datum.layer === 'odr'")
        .mark_line(color="#000000", strokeWidth=1.5, interpolate="step-after")
        .encode(
            x=date_x(),
            y=alt.Y("numerator:Q", axis=axis),
            tooltip=[
                date_tooltip("as_of", "as of"),
                alt.Tooltip("counts:N", title="orders with a defect"),
            ],
        )
        .properties(name="odr")
    )
    chart = alt.layer(areas, line, data=data)
    if data.get_column("channel").n_unique() > 1:
        header = alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top")
        order = [CHANNEL_NAMES[c] for c in ("mfn", "afn", "all")]
        chart = chart.facet(row=alt.Row("channel:N", title=None, header=header, sort=order))
    return chart.properties(title="Orders with each kind of defect")
