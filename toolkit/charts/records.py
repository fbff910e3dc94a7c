"""Charts of single records over time: the clearance calendar, violations and the AHR line.

Public through :mod:`toolkit.charts`. Bars cover the as-of dates on which a record counts:
a record that ``counts_from`` D1 and ``clears_on`` D2 counts on D1 .. D2 - 1 (definitions section 5), so
its bar runs from D1 to D2. Inclusive ``*_until`` dates of the violations table (definitions section 6)
get one day added for the same picture.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import polars as pl

from toolkit.charts.theme import (
    BAND_COLORS,
    MUTED,
    RECORD_COLORS,
    band_scale,
    count_axis,
    date_tooltip,
    date_x,
    day_words,
    frame_with,
    one_seller,
)
from toolkit.engine.clearance import CLEARANCE_COLUMNS
from toolkit.model.policy import load_policy
from toolkit.model.text import visible_expr
from toolkit.model.vocabulary import (
    BAND_WORDS,
    CATEGORY_WORDS,
    DEFECT_WORDS,
    REASON_WORDS,
    SEVERITY_WORDS,
    VIOLATION_STATUS_WORDS,
    day_text,
)

__all__ = ["SEVERITY_COLORS", "ahr_chart", "clearance_calendar", "violations_timeline"]

#: Violation severity -> colour (light to dark, critical black).
SEVERITY_COLORS: dict[str, str] = {
    "low": "#56B4E9",
    "medium": "#E69F00",
    "high": "#D55E00",
    "critical": "#000000",
}

# the clearance table's columns from the order on (one seller: no seller, channel, metric)
_CLEARANCE_COLUMNS = CLEARANCE_COLUMNS[CLEARANCE_COLUMNS.index("order_id") :]
_VIOLATION_COLUMNS = [
    "violation_id",
    "category",
    "severity",
    "displayed_from",
    "displayed_until",
    "costs_points_until",
    "status",
]
_ONE_DAY = pl.duration(days=1)
#: Every kind of record in words (a clearance row's ``defect_type``); violations are one
#: kind on the calendar, whatever their category.
_KIND_WORDS = {code: DEFECT_WORDS.get(code, "Policy violation") for code in RECORD_COLORS}
_KIND_SCALE = alt.Scale(
    domain=list(_KIND_WORDS.values()), range=[RECORD_COLORS[code] for code in _KIND_WORDS]
)


def _as_of_layers(label_y: float) -> list[alt.Chart]:
    """A rule and a label at the row of ``layer == 'as_of'`` (columns ``as_of``, ``label``)."""
    now = alt.Chart().transform_filter("datum.layer === 'as_of'")
    return [
        now.mark_rule(color="#000000", strokeWidth=1.5)
        .encode(x=alt.X("as_of:T"))
        .properties(name="as_of"),
        now.mark_text(align="center", baseline="bottom", dy=-4, fontWeight="bold")
        .encode(x=alt.X("as_of:T"), y=alt.value(label_y), text="label:N")
        .properties(name="as_of_label"),
    ]


def _as_of_row(as_of: date) -> pl.DataFrame:
    """The data row of :func:`_as_of_layers`: ``layer == 'as_of'``, the date and its label."""
    return pl.DataFrame({"layer": ["as_of"], "as_of": [as_of], "label": [day_text(as_of)]})


def _kind(defect_type: pl.Expr) -> pl.Expr:
    """A clearance row's ``defect_type`` as its kind in words (every category: violation)."""
    return defect_type.replace_strict(_KIND_WORDS, default="Policy violation")


def _what(defect_type: pl.Expr) -> pl.Expr:
    """A defect type or a violation's category in words."""
    words = {**CATEGORY_WORDS, **DEFECT_WORDS}
    return defect_type.replace_strict(
        words, default=defect_type.str.replace_all("_", " "), return_dtype=pl.String
    )


def clearance_calendar(
    clearance: pl.DataFrame | pl.LazyFrame, *, as_of: date, title: str | None = None
) -> alt.LayerChart:
    """One bar per record from ``counts_from`` to ``clears_on``, with today's rule.

    Parameters
    ----------
    clearance
        Rows of the clearance table (definitions section 5) of one seller: ``order_id, defect_type,
        record_id, attribution_date, counts_from, clears_on, counting, clear_reason``.
        Policy-violation rows (null ``order_id``) are drawn like the others.
    as_of
        The as-of date D of the table, drawn as a rule.
    title
        Chart title.

    Returns
    -------
    alt.LayerChart
        Layers ``records`` (bars coloured by the kind of record, faded when not counting
        on D), ``never_counted`` (a cross for records stopped before they ever counted),
        ``attribution`` (an open circle at the attribution date), ``clears`` (the label
        "clears 2 May 2025 (leaves the window)") and ``as_of`` / ``as_of_label``. Rows
        are named by the kind of record in words and the record's ID (``Negative
        feedback F1``; a late shipment's record is its order: ``Late shipment O3``); the
        order is in the tooltip. The names are short enough to be drawn whole: a name cut
        to fit costs vl-convert a dozen text measurements.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> clearance = pl.DataFrame({
    ...     "order_id": ["O1", "O2", "O3"],
    ...     "defect_type": ["negative_feedback", "claim", "late_shipment"],
    ...     "record_id": ["F1", "C1", "O3"],
    ...     "attribution_date": [date(2025, 1, 5), date(2025, 2, 1), date(2025, 2, 10)],
    ...     "counts_from": [date(2025, 1, 19), date(2025, 2, 15), date(2025, 2, 10)],
    ...     "clears_on": [date(2025, 3, 20), date(2025, 4, 16), date(2025, 3, 12)],
    ...     "counting": [True, True, True],
    ...     "clear_reason": ["window", "window", "window"],
    ... })
    >>> spec = clearance_calendar(clearance, as_of=date(2025, 3, 1)).to_dict()
    >>> [layer["name"] for layer in spec["layer"]]
    ['records', 'never_counted', 'attribution', 'clears', 'as_of', 'as_of_label']
    >>> spec["layer"][0]["encoding"]["x2"]["field"], spec["layer"][0]["encoding"]["y"]["sort"]
    ('clears_on', ['Late shipment O3', 'Negative feedback F1', 'A-to-z Guarantee claim C1'])
    """
    where = "clearance_calendar"
    frame = frame_with(clearance, _CLEARANCE_COLUMNS, where)
    one_seller(frame, where)
    what = _what(pl.col("defect_type"))
    records = frame.sort("clears_on", "counts_from", "record_id").select(
        pl.lit("record").alias("layer"),
        visible_expr(pl.format("{} {}", what, "record_id")).alias("record"),
        visible_expr(pl.col("order_id")),
        what.alias("defect_type"),
        _kind(pl.col("defect_type")).alias("kind"),
        visible_expr(pl.col("record_id")),
        "attribution_date",
        "counts_from",
        "clears_on",
        "counting",
        pl.col("clear_reason")
        .replace_strict(REASON_WORDS, default=pl.col("clear_reason"))
        .alias("clear_reason"),
        (pl.col("counts_from") >= pl.col("clears_on")).alias("never_counted"),
        pl.format(
            "{} {} ({})",
            pl.when(pl.col("clears_on") > as_of)
            .then(pl.lit("clears"))
            .otherwise(pl.lit("cleared")),
            day_words(pl.col("clears_on")),
            pl.col("clear_reason").replace_strict(REASON_WORDS, default=pl.col("clear_reason")),
        ).alias("label"),
    )
    data = pl.concat([records, _as_of_row(as_of)], how="diagonal_relaxed")
    rows = records.get_column("record").to_list()
    present = records.get_column("kind").unique().to_list()
    y = alt.Y("record:N", title=None, sort=rows)
    tooltip = [
        "record_id:N",
        "order_id:N",
        alt.Tooltip("defect_type:N", title="record"),
        date_tooltip("attribution_date", "order date"),
        date_tooltip("counts_from", "counts from"),
        date_tooltip("clears_on", "clears on"),
        "counting:N",
        alt.Tooltip("clear_reason:N", title="why it clears"),
    ]
    record_rows = alt.Chart().transform_filter("datum.layer === 'record'")
    layers = [
        record_rows.transform_filter("!datum.never_counted")
        .mark_bar(height={"band": 0.6}, cornerRadius=2)
        .encode(
            x=date_x("counts_from", title="days on which the record counts"),
            x2="clears_on:T",
            y=y,
            color=alt.Color(
                "kind:N",
                title="record",
                scale=_KIND_SCALE,
                legend=alt.Legend(values=[w for w in _KIND_WORDS.values() if w in present]),
            ),
            opacity=alt.when("datum.counting").then(alt.value(1.0)).otherwise(alt.value(0.35)),
            tooltip=tooltip,
        )
        .properties(name="records"),
        record_rows.transform_filter("datum.never_counted")
        .mark_point(shape="cross", size=60, color=MUTED, filled=True)
        .encode(x="clears_on:T", y=y, tooltip=tooltip)
        .properties(name="never_counted"),
        record_rows.mark_point(shape="circle", size=30, color=MUTED, filled=False)
        .encode(x="attribution_date:T", y=y, tooltip=tooltip)
        .properties(name="attribution"),
        record_rows.mark_text(align="left", dx=4, fontSize=11, color="#333333")
        .encode(x="clears_on:T", y=y, text="label:N")
        .properties(name="clears"),
        *_as_of_layers(label_y=0),
    ]
    chart = alt.layer(*layers, data=data).properties(height=alt.Step(20))
    return chart.properties(title=title) if title else chart


def violations_timeline(
    violations: pl.DataFrame | pl.LazyFrame,
    *,
    ahr: pl.DataFrame | pl.LazyFrame | None = None,
    policy=None,
    title: str | None = None,
) -> alt.LayerChart | alt.VConcatChart:
    """Display period and point-cost period of each policy violation, optionally over the AHR.

    Parameters
    ----------
    violations
        Rows of the violations table (definitions section 6) of one seller: ``violation_id, category,
        severity, displayed_from, displayed_until, costs_points_until, status``. When an
        ``as_of`` column is present only each violation's latest row is drawn and that
        date is drawn as a rule.
    ahr
        Optional rows of the ahr table (definitions section 6); adds :func:`ahr_chart` below the
        timeline on a shared date axis.
    policy
        The :class:`~toolkit.model.policy.Policy` whose AHR bands are drawn (default: the
        shipped policy). Used only with ``ahr``.
    title
        Chart title.

    Returns
    -------
    alt.LayerChart | alt.VConcatChart
        Layers ``displayed`` (wide faded bar, colour by severity), ``costs_points``
        (narrow bar), ``removed`` (a cross for violations whose display period is empty)
        and, with ``as_of``, the as-of rule; stacked above the AHR chart when ``ahr`` is
        given. Rows are named in words (``Listing policy violation (V1)``), drawn whole
        (a name cut to fit lost its ID, and cutting costs vl-convert a dozen text
        measurements a row).

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> violations = pl.DataFrame({
    ...     "violation_id": ["V1", "V2"], "category": ["listing_policy", "product_safety"],
    ...     "severity": ["medium", "high"],
    ...     "displayed_from": [date(2025, 1, 10), date(2025, 2, 1)],
    ...     "displayed_until": [date(2025, 7, 8), None],
    ...     "costs_points_until": [date(2025, 2, 3), None],
    ...     "status": ["addressed", "removed_as_error"],
    ... })
    >>> spec = violations_timeline(violations).to_dict()
    >>> [(layer["name"], layer["mark"]["type"]) for layer in spec["layer"]]
    [('displayed', 'bar'), ('costs_points', 'bar'), ('removed', 'point')]
    >>> spec["layer"][0]["encoding"]["color"]["scale"]["domain"]
    ['low', 'medium', 'high', 'critical']
    >>> spec["layer"][0]["encoding"]["y"]["sort"]
    ['Listing policy violation (V1)', 'Product safety complaint (V2)']
    """
    where = "violations_timeline"
    frame = frame_with(violations, _VIOLATION_COLUMNS, where)
    one_seller(frame, where)
    as_of = None
    if "as_of" in frame.columns and frame.height:
        frame = frame.filter(pl.col("as_of") == pl.col("as_of").max().over("violation_id"))
        as_of = frame.get_column("as_of").max()
    rows = frame.sort("displayed_from", "violation_id").select(
        pl.lit("violation").alias("layer"),
        visible_expr(pl.format("{} ({})", _what(pl.col("category")), "violation_id")).alias(
            "violation"
        ),
        visible_expr(pl.col("violation_id")),
        _what(pl.col("category")).alias("category"),
        pl.col("severity").replace_strict(SEVERITY_WORDS, default=pl.col("severity")),
        pl.col("status").replace_strict(VIOLATION_STATUS_WORDS, default=pl.col("status")),
        "displayed_from",
        "displayed_until",
        "costs_points_until",
        (pl.col("displayed_until") + _ONE_DAY).alias("display_end"),
        (pl.col("costs_points_until") + _ONE_DAY).alias("cost_end"),
    )
    parts = [rows]
    if as_of is not None:
        parts.append(_as_of_row(as_of))
    data = pl.concat(parts, how="diagonal_relaxed")
    y = alt.Y("violation:N", title=None, sort=rows.get_column("violation").to_list())
    color = alt.Color(
        "severity:N",
        scale=alt.Scale(domain=list(SEVERITY_COLORS), range=list(SEVERITY_COLORS.values())),
        legend=alt.Legend(symbolOpacity=1),
    )
    tooltip = [
        "violation_id:N",
        "category:N",
        "severity:N",
        "status:N",
        date_tooltip("displayed_from", "displayed from"),
        date_tooltip("displayed_until", "displayed until"),
        date_tooltip("costs_points_until", "costs points until"),
    ]
    base = alt.Chart().transform_filter("datum.layer === 'violation'")
    layers = [
        base.transform_filter("datum.display_end != null")
        .mark_bar(height={"band": 0.7}, opacity=0.3)
        .encode(
            x=date_x("displayed_from"),
            x2="display_end:T",
            y=y,
            color=color,
            tooltip=tooltip,
        )
        .properties(name="displayed"),
        base.transform_filter("datum.cost_end != null")
        .mark_bar(height={"band": 0.3})
        .encode(x="displayed_from:T", x2="cost_end:T", y=y, color=color, tooltip=tooltip)
        .properties(name="costs_points"),
        base.transform_filter("datum.display_end == null")
        .mark_point(shape="cross", size=60, filled=True)
        .encode(x="displayed_from:T", y=y, color=color, tooltip=tooltip)
        .properties(name="removed"),
    ]
    if as_of is not None:
        layers.extend(_as_of_layers(label_y=0))
    timeline = alt.layer(*layers, data=data).properties(
        height=alt.Step(22),
        title=title or "Policy violations: displayed (wide bar) and costing AHR points (narrow)",
    )
    if ahr is None:
        return timeline
    return alt.vconcat(timeline, ahr_chart(ahr, policy=policy)).resolve_scale(
        x="shared", color="independent"
    )


def ahr_chart(
    ahr: pl.DataFrame | pl.LazyFrame, *, policy=None, title: str | None = None
) -> alt.LayerChart:
    """The Account Health Rating estimate over as-of dates, over its band thresholds.

    Parameters
    ----------
    ahr
        Rows of the ahr table (definitions section 6) of one seller: ``as_of, ahr_estimate, band``
        (``points`` and ``active_violations`` are shown in the tooltip when present).
    policy
        The :class:`~toolkit.model.policy.Policy` whose ``[ahr]`` band thresholds are drawn
        (default: the shipped policy).
    title
        Chart title (default says it is an estimate: Amazon publishes no formula).

    Returns
    -------
    alt.LayerChart
        Layers ``bands`` (faint rectangles), ``thresholds`` and ``threshold_labels``,
        ``ahr`` (a step line through the days the estimate changes) and ``ahr_points``
        (a point, coloured by band, on each of those days and on the last day; not one
        per day). Bands are named in words.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> ahr = pl.DataFrame({
    ...     "as_of": [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3), date(2025, 3, 4)],
    ...     "ahr_estimate": [204, 196, 196, 196],
    ...     "band": ["healthy", "at_risk", "at_risk", "at_risk"],
    ... })
    >>> spec = ahr_chart(ahr).to_dict()
    >>> [layer["name"] for layer in spec["layer"]]
    ['bands', 'thresholds', 'threshold_labels', 'ahr', 'ahr_points']
    >>> [row["threshold"] for row in spec["datasets"][spec["layer"][1]["data"]["name"]]]
    [100, 200]
    >>> [row["ahr_estimate"] for row in spec["datasets"][spec["layer"][4]["data"]["name"]]]
    [204, 196, 196]
    """
    where = "ahr_chart"
    frame = frame_with(ahr, ["as_of", "ahr_estimate", "band"], where)
    one_seller(frame, where)
    limits = (policy or load_policy()).ahr
    healthy, at_risk, maximum = limits["healthy_from"], limits["at_risk_from"], limits["maximum"]
    highest = frame.get_column("ahr_estimate").max()
    top = min(maximum, max(healthy + 100, (highest or 0) + 50))
    band_words = pl.col("band").replace_strict(BAND_WORDS, default=pl.col("band"))
    bands = pl.DataFrame(
        {
            "band": [BAND_WORDS[b] for b in BAND_COLORS],
            "low": [healthy, at_risk, 0],
            "high": [top, healthy, at_risk],
        }
    )
    thresholds = pl.DataFrame(
        {
            "threshold": [at_risk, healthy],
            "label": [f"at risk from {at_risk} (critical below)", f"healthy from {healthy}"],
        }
    )
    extra = [name for name in ("points", "active_violations") if name in frame.columns]
    points = frame.select("as_of", "ahr_estimate", band_words.alias("band"), *extra).sort("as_of")
    changes = points.filter(
        (pl.col("ahr_estimate") != pl.col("ahr_estimate").shift(1)).fill_null(True)
        | (pl.col("as_of") == pl.col("as_of").max())
    )
    y = alt.Y(
        "ahr_estimate:Q",
        title="AHR (estimate)",
        scale=alt.Scale(domain=[0, top]),
        axis=count_axis(),
    )
    tooltip = [date_tooltip("as_of", "as of"), "ahr_estimate:Q", "band:N", *extra]
    chart = alt.layer(
        alt.Chart(bands)
        .mark_rect(opacity=0.12)
        .encode(
            y=alt.Y("low:Q", title="AHR (estimate)"),
            y2="high:Q",
            color=alt.Color(
                "band:N", title="AHR band", scale=band_scale(), legend=alt.Legend(symbolOpacity=1)
            ),
        )
        .properties(name="bands"),
        alt.Chart(thresholds)
        .mark_rule(strokeDash=[4, 4], color=MUTED)
        .encode(y="threshold:Q")
        .properties(name="thresholds"),
        alt.Chart(thresholds)
        .mark_text(align="left", baseline="bottom", dx=4, dy=-2, color=MUTED)
        .encode(x=alt.value(0), y="threshold:Q", text="label:N")
        .properties(name="threshold_labels"),
        alt.Chart(changes)
        .mark_line(color="#4D4D4D", strokeWidth=1.5, interpolate="step-after")
        .encode(x=date_x(), y=y)
        .properties(name="ahr"),
        alt.Chart(changes)
        .mark_point(filled=True, size=40, opacity=1)
        .encode(x=date_x(), y=y, color=alt.Color("band:N", scale=band_scale()), tooltip=tooltip)
        .properties(name="ahr_points"),
    )
    return chart.properties(title=title or "Account Health Rating (estimate)")
