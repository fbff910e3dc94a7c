"""Charts of statistics across sellers and weeks: the funnel plot and the p-chart.

Public through :mod:`toolkit.charts`. The limits are computed elsewhere (the statistics
module) and arrive as frames; these functions only draw them.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from toolkit.charts.theme import (
    MUTED,
    RATE_FORMAT,
    STATUS_COLORS,
    date_tooltip,
    date_x,
    frame_with,
    one_seller,
    status_color,
    status_words,
)

__all__ = ["funnel_plot", "p_chart"]


def funnel_plot(
    points: pl.DataFrame | pl.LazyFrame,
    limits: pl.DataFrame | pl.LazyFrame,
    *,
    target: float | None = None,
    condition: str | None = None,
    log_x: bool = False,
    rate_title: str = "rate",
    title: str | None = None,
) -> alt.LayerChart:
    """Rate against volume for many sellers, inside funnel limits around a reference rate.

    Parameters
    ----------
    points
        One row per seller: ``seller_id, denominator, rate, status`` (``numerator`` is
        shown in the tooltip when present). Rows with a null rate are left out.
    limits
        Precomputed limit lines in long form: ``n, level, lower, upper``, one row per
        denominator ``n`` and limit ``level`` (for example ``"95%"`` and ``"99.8%"``).
    target
        The metric's target as a fraction, drawn as a labelled rule.
    condition
        ``"<"`` or ``">"``, used in the target label.
    log_x
        Log scale for the denominator axis (sellers of very different sizes).
    rate_title
        What the rate measures (the y axis title), for example ``"orders with a defect"``.
    title
        Chart title.

    Returns
    -------
    alt.LayerChart
        Layers ``limits`` (lines, dash by level), ``target`` and ``target_label`` (when
        a target is given) and ``sellers`` (points coloured by status).

    Examples
    --------
    >>> import polars as pl
    >>> points = pl.DataFrame({
    ...     "seller_id": ["S1", "S2", "S3"], "numerator": [1, 9, 2],
    ...     "denominator": [10, 300, 1000], "rate": [0.1, 0.03, 0.002],
    ...     "status": ["bad_low_volume", "bad", "good"],
    ... })
    >>> limits = pl.DataFrame({
    ...     "n": [10, 1000, 10, 1000], "level": ["95%", "95%", "99.8%", "99.8%"],
    ...     "lower": [0.0, 0.004, 0.0, 0.002], "upper": [0.1, 0.017, 0.2, 0.021],
    ... })
    >>> spec = funnel_plot(points, limits, target=0.01, condition="<").to_dict()
    >>> [layer["name"] for layer in spec["layer"]]
    ['limits', 'target', 'target_label', 'sellers']
    >>> spec["layer"][1]["encoding"]["y"]["datum"], spec["layer"][2]["mark"]["text"]
    (0.01, 'target < 1%')
    """
    where = "funnel_plot"
    sellers = frame_with(points, ["seller_id", "denominator", "rate", "status"], where)
    bands = frame_with(limits, ["n", "level", "lower", "upper"], f"{where}(limits)")
    numerator = pl.col("numerator") if "numerator" in sellers.columns else None
    sellers = sellers.filter(pl.col("rate").is_not_null()).select(
        "seller_id",
        "denominator",
        "rate",
        "status",
        status_words(pl.col("status")).alias("status_words"),
        (
            pl.format("{} / {} orders", numerator, pl.col("denominator"))
            if numerator is not None
            else pl.format("{} orders", pl.col("denominator"))
        ).alias("counts"),
    )
    lines = bands.unpivot(
        on=["lower", "upper"], index=["n", "level"], variable_name="bound", value_name="limit"
    ).sort("level", "bound", "n")
    x_scale = alt.Scale(type="log") if log_x else alt.Undefined
    layers = [
        alt.Chart(lines)
        .mark_line(color=MUTED, strokeWidth=1)
        .encode(
            x=alt.X("n:Q", title="orders in the window", scale=x_scale),
            y=alt.Y("limit:Q", title=rate_title, axis=alt.Axis(format=RATE_FORMAT)),
            detail=["level:N", "bound:N"],
            strokeDash=alt.StrokeDash("level:N", title="limits"),
        )
        .properties(name="limits")
    ]
    if target is not None:
        layers.extend(_target_rule(target, condition))
    layers.append(
        alt.Chart(sellers)
        .mark_point(filled=True, size=50, opacity=0.9)
        .encode(
            x=alt.X("denominator:Q", scale=x_scale),
            y=alt.Y("rate:Q"),
            color=status_color(sellers),
            tooltip=[
                "seller_id:N",
                alt.Tooltip("rate:Q", format=".2%"),
                "counts:N",
                alt.Tooltip("status_words:N", title="status"),
            ],
        )
        .properties(name="sellers")
    )
    chart = alt.layer(*layers)
    return chart.properties(title=title) if title else chart


def _target_rule(target: float, condition: str | None) -> list[alt.Chart]:
    label = f"target {condition + ' ' if condition else ''}{round(target * 100, 4):g}%"
    return [
        alt.Chart()
        .mark_rule(strokeDash=[4, 4], color=MUTED)
        .encode(y=alt.datum(target))
        .properties(name="target"),
        alt.Chart()
        .mark_text(align="left", baseline="bottom", dx=4, dy=-2, color=MUTED, text=label)
        .encode(x=alt.value(0), y=alt.datum(target))
        .properties(name="target_label"),
    ]


def p_chart(
    weeks: pl.DataFrame | pl.LazyFrame, *, rate_title: str = "rate", title: str | None = None
) -> alt.LayerChart:
    """Weekly proportion with its centre line and control limits (a p-chart).

    Parameters
    ----------
    weeks
        One row per week: ``week`` (a date), ``rate``, ``centre``, ``lower``, ``upper``;
        ``numerator`` and ``denominator`` are shown in the tooltip when present.
    rate_title
        What the rate measures (the y axis title).
    title
        Chart title.

    Returns
    -------
    alt.LayerChart
        Layers ``limits`` (dashed steps), ``centre`` (rule line), ``rate`` (line) and
        ``weeks`` (points; weeks outside the limits in the ``bad`` colour).

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> weeks = pl.DataFrame({
    ...     "week": [date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 17)],
    ...     "numerator": [2, 9, 1], "denominator": [100, 120, 90],
    ...     "rate": [0.02, 0.075, 1 / 90], "centre": [0.03] * 3,
    ...     "lower": [0.0, 0.0, 0.0], "upper": [0.081, 0.076, 0.084],
    ... })
    >>> spec = p_chart(weeks).to_dict()
    >>> [(layer["name"], layer["mark"]["type"]) for layer in spec["layer"]]
    [('limits', 'line'), ('centre', 'line'), ('rate', 'line'), ('weeks', 'point')]
    >>> spec["layer"][3]["encoding"]["color"]["scale"]["domain"]
    ['within limits', 'outside limits']
    """
    where = "p_chart"
    frame = frame_with(weeks, ["week", "rate", "centre", "lower", "upper"], where)
    one_seller(frame, where)
    has_counts = {"numerator", "denominator"} <= set(frame.columns)
    counts = (
        pl.format("{} / {} orders", pl.col("numerator"), pl.col("denominator"))
        if has_counts
        else pl.lit(None, pl.String)
    )
    points = frame.select(
        "week",
        "rate",
        "centre",
        counts.alias("counts"),
        pl.when((pl.col("rate") > pl.col("upper")) | (pl.col("rate") < pl.col("lower")))
        .then(pl.lit("outside limits"))
        .otherwise(pl.lit("within limits"))
        .alias("signal"),
    ).sort("week")
    limits = frame.unpivot(
        on=["lower", "upper"], index=["week"], variable_name="bound", value_name="limit"
    ).sort("bound", "week")
    x_week = date_x("week", title="week")
    y = alt.Y("rate:Q", title=rate_title, axis=alt.Axis(format=RATE_FORMAT))
    chart = alt.layer(
        alt.Chart(limits)
        .mark_line(interpolate="step", strokeDash=[5, 3], color=MUTED, strokeWidth=1)
        .encode(x=x_week, y=alt.Y("limit:Q", title=rate_title), detail="bound:N")
        .properties(name="limits"),
        alt.Chart(points)
        .mark_line(color=MUTED, strokeWidth=1)
        .encode(x=x_week, y=alt.Y("centre:Q", title=rate_title))
        .properties(name="centre"),
        alt.Chart(points)
        .mark_line(color="#4D4D4D", strokeWidth=1.5)
        .encode(x=x_week, y=y)
        .properties(name="rate"),
        alt.Chart(points)
        .mark_point(filled=True, size=50)
        .encode(
            x=x_week,
            y=y,
            color=alt.Color(
                "signal:N",
                title=None,
                scale=alt.Scale(
                    domain=["within limits", "outside limits"],
                    range=[STATUS_COLORS["info"], STATUS_COLORS["bad"]],
                ),
            ),
            tooltip=[
                date_tooltip("week", "week of"),
                alt.Tooltip("rate:Q", format=".2%"),
                alt.Tooltip("centre:Q", format=".2%"),
                "counts:N",
                "signal:N",
            ],
        )
        .properties(name="weeks"),
    )
    return chart.properties(title=title) if title else chart
