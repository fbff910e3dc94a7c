"""The window explorer: an interactive teaching chart of a rolling metric window.

Public through :mod:`toolkit.charts`. A slider moves the as-of date D; the chart shades the
attribution dates of D's window (``D-L-W+1 .. D-L``, definitions section 2), colours each order by
whether it is in the window's population on D (``counts_from <= D < clears_on``, definitions section 5)
and each defect by whether it counts, waits out the lag, or has dropped out. A line of
text above the plot counts them for D. The states are computed in the browser from day
numbers prepared here, so the chart needs no Python while the slider moves; it needs a
Vega runtime (see :func:`toolkit.charts.html.inline_vega_bundle`).
"""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import polars as pl

from toolkit.charts.theme import STATUS_COLORS, date_axis, date_tooltip, frame_with, one_seller
from toolkit.model.vocabulary import CHART_DATE_FORMAT
from toolkit.time.windows import Window

__all__ = ["SLIDER_NAME", "STATE_COLORS", "slider_window", "window_explorer"]

#: The slider's label. Vega writes the slider's raw value (a day number) after it; the
#: offline pages hide that number (:func:`toolkit.charts.html.inline_vega_bundle`'s
#: style) and the chart's first line says the date in words.
SLIDER_NAME = "as-of date (shown above the chart) "

#: State of a record on the slider's as-of date -> colour.
STATE_COLORS: dict[str, str] = {
    "order not yet in window": "#D9D9D9",
    "order in window": STATUS_COLORS["info"],
    "order dropped out": "#8C8C8C",
    "defect not yet counting": "#F2B48A",
    "defect counting": STATUS_COLORS["bad"],
    "defect dropped out": "#3D3D3D",
}
_PARAM = "as_of_day"


def _state(kind: str) -> str:
    """Vega expression: the state of a record of ``kind`` on the slider's day."""
    live = "counting" if kind == "defect" else "in window"
    wait = "not yet counting" if kind == "defect" else "not yet in window"
    return (
        f"datum.from_day <= {_PARAM} && {_PARAM} < datum.clear_day ? '{kind} {live}' : "
        f"({_PARAM} < datum.from_day ? '{kind} {wait}' : '{kind} dropped out')"
    )


def _date_expr(start: date, offset: str) -> str:
    """Vega expression: the local-time date ``start + offset`` days (offset an expression)."""
    return f"datetime({start.year}, {start.month - 1}, {start.day} + {offset})"


def slider_window(
    now: alt.Chart, first: date, *, name: str, **bounds: str
) -> tuple[alt.Chart, alt.Chart]:
    """The two layers a slider chart opens with: the shaded span and a rule at the date.

    ``now`` is the chart of the one-row ``now`` layer; ``bounds`` names the span's start
    and end fields (in that order), each a day offset from ``first`` as a Vega
    expression of the slider (:func:`_date_expr`); ``name`` is the shaded layer's name.
    """
    (start, _), (end, _) = bounds.items()
    span = (
        now.transform_calculate(**{f: _date_expr(first, e) for f, e in bounds.items()})
        .mark_rect(color=STATUS_COLORS["info"], opacity=0.12)
        .encode(x=alt.X(f"{start}:T"), x2=f"{end}:T")
        .properties(name=name)
    )
    rule = (
        now.transform_calculate(as_of=_date_expr(first, _PARAM))
        .mark_rule(color="#000000", strokeWidth=1.5)
        .encode(x=alt.X("as_of:T"))
        .properties(name="as_of")
    )
    return span, rule


def window_explorer(
    records: pl.DataFrame | pl.LazyFrame,
    *,
    window_days: int,
    lag_days: int,
    start: date | None = None,
    end: date | None = None,
    value: date | None = None,
    title: str | None = None,
) -> alt.LayerChart:
    """Interactive chart: which orders are in the window, and which defects count, on day D.

    Parameters
    ----------
    records
        One row per record of one seller: ``order_id``, ``record_type`` (``"order"`` for
        the order's membership of the population, else the defect type, for example
        ``"negative_feedback"``), ``attribution_date``, ``counts_from`` and ``clears_on``
        (definitions section 5; a null ``clears_on`` never clears).
    window_days, lag_days
        W and L of the metric (``policy.metric("odr")``), for the shaded window.
    start, end
        The slider's range of as-of dates (default: the first attribution date and the
        last ``clears_on``).
    value
        The slider's initial as-of date (default: the middle of the range).
    title
        Chart title.

    Returns
    -------
    alt.LayerChart
        A chart with the parameter ``as_of_day`` (days after ``start``) bound to a range
        slider, and layers ``window`` (shaded attribution dates of D's window),
        ``as_of`` (a rule at D), ``orders`` and ``defects`` (points coloured by state on
        D) and ``headline`` (the counts on D).

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> records = pl.DataFrame({
    ...     "order_id": ["O1", "O2", "O2"],
    ...     "record_type": ["order", "order", "claim"],
    ...     "attribution_date": [date(2025, 3, 1), date(2025, 3, 3), date(2025, 3, 3)],
    ...     "counts_from": [date(2025, 3, 3), date(2025, 3, 5), date(2025, 3, 6)],
    ...     "clears_on": [date(2025, 3, 8), date(2025, 3, 10), date(2025, 3, 9)],
    ... })
    >>> spec = window_explorer(records, window_days=5, lag_days=2).to_dict()
    >>> param = spec["params"][0]
    >>> param["name"], param["value"], param["bind"]["input"], param["bind"]["max"]
    ('as_of_day', 4, 'range', 9)
    >>> [layer["name"] for layer in spec["layer"]]
    ['window', 'as_of', 'orders', 'defects', 'headline']
    """
    where = "window_explorer"
    columns = ["order_id", "record_type", "attribution_date", "counts_from", "clears_on"]
    frame = frame_with(records, columns, where)
    one_seller(frame, where)
    if window_days < 1 or lag_days < 0:
        raise ValueError(
            f"{where}: window_days must be >= 1 and lag_days >= 0, got {window_days} and {lag_days}"
        )
    first = start or frame.get_column("attribution_date").min()
    last = end or frame.get_column("clears_on").max() or frame.get_column("counts_from").max()
    if first is None or last is None:
        raise ValueError(f"{where}: no records to draw")
    span = (last - first).days
    if span < 0:
        raise ValueError(f"{where}: end {last} is before start {first}")
    initial = (value - first).days if value is not None else span // 2
    if not 0 <= initial <= span:
        raise ValueError(f"{where}: value {value} is outside {first} .. {last}")

    def day_number(column: str) -> pl.Expr:
        return (pl.col(column) - pl.lit(first, pl.Date)).dt.total_days()

    rows = frame.sort("attribution_date", "order_id", "record_type").select(
        pl.when(pl.col("record_type") == "order")
        .then(pl.lit("order"))
        .otherwise(pl.lit("defect"))
        .alias("layer"),
        "order_id",
        "record_type",
        "attribution_date",
        "counts_from",
        "clears_on",
        day_number("counts_from").alias("from_day"),
        day_number("clears_on").fill_null(span + 1).alias("clear_day"),
    )
    orders = (
        rows.filter(pl.col("layer") == "order").get_column("order_id").unique(maintain_order=True)
    )
    data = pl.concat([rows, pl.DataFrame({"layer": ["now"]})], how="diagonal_relaxed")

    slider = alt.param(
        name=_PARAM,
        value=initial,
        bind=alt.binding_range(min=0, max=span, step=1, name=SLIDER_NAME),
    )
    x = alt.X(
        "attribution_date:T",
        title="purchase date",
        axis=date_axis(),
        scale=alt.Scale(domain=[_vl_date(first - timedelta(days=1)), _vl_date(last)]),
    )
    y = alt.Y("order_id:N", title="order", sort=orders.to_list())
    colors = alt.Scale(domain=list(STATE_COLORS), range=list(STATE_COLORS.values()))
    tooltip = [
        "order_id:N",
        "record_type:N",
        "state:N",
        date_tooltip("attribution_date", "attribution date"),
        date_tooltip("counts_from", "counts from"),
        date_tooltip("clears_on", "clears on"),
    ]
    now = alt.Chart().transform_filter("datum.layer === 'now'")
    # the window's first and last attribution dates, as days before the slider's as-of date
    window = Window(window_days, lag_days)
    chart = alt.layer(
        *slider_window(
            now,
            first,
            name="window",
            window_from=f"{_PARAM} - {-window.start(0)}",
            window_to=f"{_PARAM} - {-window.end(0)} + 1",
        ),
        alt.Chart()
        .transform_filter("datum.layer === 'order'")
        .transform_calculate(state=_state("order"))
        .mark_point(filled=True, size=60, shape="circle")
        .encode(x=x, y=y, color=alt.Color("state:N", scale=colors, title=None), tooltip=tooltip)
        .properties(name="orders"),
        alt.Chart()
        .transform_filter("datum.layer === 'defect'")
        .transform_calculate(state=_state("defect"))
        .mark_point(filled=False, size=160, shape="diamond", strokeWidth=2)
        .encode(x=x, y=y, color=alt.Color("state:N", scale=colors), tooltip=tooltip)
        .properties(name="defects"),
        _headline(first),
        data=data,
    ).add_params(slider)
    return chart.properties(
        title=title
        or f"Which orders count on the as-of date ({window_days}-day window, {lag_days}-day lag)",
        height=alt.Step(14),
    )


def _vl_date(day: date) -> alt.DateTime:
    return alt.DateTime(year=day.year, month=day.month, date=day.day)


def _headline(first: date) -> alt.Chart:
    """Text above the plot: ``As of 12 Apr 2025: 41 orders in the window, ...``."""
    live = f"datum.from_day <= {_PARAM} && {_PARAM} < datum.clear_day"
    return (
        alt.Chart()
        .transform_filter("datum.layer === 'order' || datum.layer === 'defect'")
        .transform_calculate(
            in_window=f"datum.layer === 'order' && {live} ? 1 : 0",
            counting=f"datum.layer === 'defect' && {live} ? 1 : 0",
            dropped=f"datum.layer === 'defect' && datum.clear_day <= {_PARAM} ? 1 : 0",
        )
        .transform_aggregate(
            in_window="sum(in_window)", counting="sum(counting)", dropped="sum(dropped)"
        )
        .transform_calculate(
            text=(
                f"'As of ' + timeFormat({_date_expr(first, _PARAM)}, '{CHART_DATE_FORMAT}') + ': ' + "
                "datum.in_window + (datum.in_window === 1 ? ' order' : ' orders') + "
                "' in the window, ' + datum.counting + "
                "(datum.counting === 1 ? ' defect' : ' defects') + ' counting, ' + "
                "datum.dropped + ' dropped out'"
            )
        )
        .mark_text(align="left", baseline="bottom", fontWeight="bold", color="#222222")
        .encode(x=alt.value(0), y=alt.value(-6), text="text:N")
        .properties(name="headline")
    )
