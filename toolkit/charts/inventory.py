"""The IPI explorer: an interactive teaching chart of the unofficial IPI estimate over time.

Public through :mod:`toolkit.charts`. A slider moves the as-of date D; the chart shades the
days D's sell-through looks back on (``D-89 .. D``), draws the estimate's history with a
rule at D and the checkpoints of the evaluation periods, and says above the plot the
estimate and the four components on D, in words. Everything the slider needs is in the
data, so it needs no Python while it moves; it needs a Vega runtime (see
:func:`toolkit.charts.html.inline_vega_bundle`).
"""

from __future__ import annotations

from datetime import date

import altair as alt
import polars as pl

from toolkit.charts.theme import STATUS_COLORS, date_axis, date_tooltip, frame_with, one_seller
from toolkit.charts.window import _PARAM, SLIDER_NAME, _date_expr, slider_window
from toolkit.model.vocabulary import CHART_DATE_FORMAT, IPI_PROXY_LABEL

__all__ = ["ipi_explorer"]

_COLUMNS = [
    "seller_id",
    "as_of",
    "ipi_proxy",
    "sell_through_90d",
    "excess_pct",
    "stranded_pct",
    "in_stock_rate_30d",
]


def _number(field: str, fmt: str) -> str:
    """Vega expression: ``datum.<field>`` formatted, ``no data`` when null."""
    return f"(datum.{field} === null ? 'no data' : format(datum.{field}, '{fmt}'))"


def ipi_explorer(
    history: pl.DataFrame | pl.LazyFrame,
    *,
    look_back_days: int,
    checkpoints: pl.DataFrame | pl.LazyFrame | None = None,
    value: date | None = None,
    title: str | None = None,
) -> alt.LayerChart:
    """Interactive chart: the IPI estimate (unofficial) over time, and what D looks back on.

    Parameters
    ----------
    history
        One seller's :func:`toolkit.inventory.inventory_table` over consecutive as-of dates
        (at least ``seller_id, as_of, ipi_proxy`` and the four components).
    look_back_days
        The days the shaded band covers before D (policy ``sell_through_days``: ``D-89 ..
        D`` for 90).
    checkpoints
        Optional ``checkpoint, ipi_proxy`` rows (:func:`toolkit.inventory.inventory_periods`)
        drawn as diamonds: the estimate each period was decided on.
    value
        The slider's initial as-of date (default: the last date).
    title
        Chart title.

    Returns
    -------
    alt.LayerChart
        A chart with the parameter ``as_of_day`` (days after the first date) bound to a
        range slider, and layers ``look_back`` (the shaded days), ``as_of`` (a rule at
        D), ``estimate`` (the line), ``checkpoints`` and ``headline`` (the numbers on D).

    Examples
    --------
    >>> from datetime import date, timedelta
    >>> days = [date(2025, 6, 1) + timedelta(days=n) for n in range(3)]
    >>> history = pl.DataFrame({"seller_id": "S1", "as_of": days, "ipi_proxy": [700, 710, None],
    ...     "sell_through_90d": 2.0, "excess_pct": 0.1, "stranded_pct": 0.0,
    ...     "in_stock_rate_30d": 0.95})
    >>> spec = ipi_explorer(history, look_back_days=90).to_dict()
    >>> param = spec["params"][0]
    >>> param["name"], param["value"], param["bind"]["max"]
    ('as_of_day', 2, 2)
    >>> [layer["name"] for layer in spec["layer"]]
    ['look_back', 'as_of', 'estimate', 'checkpoints', 'headline']
    """
    where = "ipi_explorer"
    frame = frame_with(history, _COLUMNS, where).sort("as_of")
    one_seller(frame, where)
    if frame.height == 0:
        raise ValueError(f"{where}: no rows to draw")
    if look_back_days < 1:
        raise ValueError(f"{where}: look_back_days must be >= 1, got {look_back_days}")
    first, last = frame["as_of"].min(), frame["as_of"].max()
    span = (last - first).days
    initial = (value - first).days if value is not None else span
    if not 0 <= initial <= span:
        raise ValueError(f"{where}: value {value} is outside {first} .. {last}")
    rows = frame.select(
        pl.lit("day").alias("layer"),
        *_COLUMNS[1:],
        (pl.col("as_of") - pl.lit(first, pl.Date)).dt.total_days().alias("day"),
    )
    points = pl.DataFrame(schema={"checkpoint": pl.Date, "ipi_proxy": pl.Int64})
    if checkpoints is not None:
        points = frame_with(checkpoints, ["checkpoint", "ipi_proxy"], where)
        points = points.filter(pl.col("checkpoint").is_between(first, last))
    marks = points.select(
        pl.lit("checkpoint").alias("layer"),
        pl.col("checkpoint").alias("as_of"),
        "ipi_proxy",
    )
    data = pl.concat([rows, marks, pl.DataFrame({"layer": ["now"]})], how="diagonal_relaxed")
    slider = alt.param(
        name=_PARAM,
        value=initial,
        bind=alt.binding_range(min=0, max=span, step=1, name=SLIDER_NAME),
    )
    x = alt.X("as_of:T", title="as-of date", axis=date_axis())
    y = alt.Y("ipi_proxy:Q", title=IPI_PROXY_LABEL, scale=alt.Scale(domain=[0, 1000], clamp=True))
    now = alt.Chart().transform_filter("datum.layer === 'now'")
    headline = (
        f"'As of ' + timeFormat({_date_expr(first, 'datum.day')}, '{CHART_DATE_FORMAT}') + ': "
        f"{IPI_PROXY_LABEL} ' + (datum.ipi_proxy === null ? 'none' : datum.ipi_proxy) + "
        f"' · sell-through ' + {_number('sell_through_90d', '.2f')} + "
        f"' · excess ' + {_number('excess_pct', '.1%')} + "
        f"' · stranded ' + {_number('stranded_pct', '.1%')} + "
        f"' · in stock ' + {_number('in_stock_rate_30d', '.1%')}"
    )
    chart = alt.layer(
        *slider_window(
            now, first, name="look_back", start=f"{_PARAM} - {look_back_days - 1}", end=_PARAM
        ),
        alt.Chart()
        .transform_filter("datum.layer === 'day'")
        .mark_line(color=STATUS_COLORS["info"], interpolate="step-after")
        .encode(
            x=x,
            y=y,
            tooltip=[date_tooltip("as_of", "as of"), alt.Tooltip("ipi_proxy:Q", title="estimate")],
        )
        .properties(name="estimate"),
        alt.Chart()
        .transform_filter("datum.layer === 'checkpoint'")
        .mark_point(shape="diamond", size=120, filled=True, color="#222222")
        .encode(
            x=x,
            y=y,
            tooltip=[
                date_tooltip("as_of", "checkpoint"),
                alt.Tooltip("ipi_proxy:Q", title="decided on"),
            ],
        )
        .properties(name="checkpoints"),
        alt.Chart()
        .transform_filter(f"datum.layer === 'day' && datum.day === {_PARAM}")
        .transform_calculate(text=headline)
        .mark_text(align="left", baseline="bottom", fontWeight="bold", color="#222222")
        .encode(x=alt.value(0), y=alt.value(-6), text="text:N")
        .properties(name="headline"),
        data=data,
    ).add_params(slider)
    return chart.properties(
        title=title or f"{IPI_PROXY_LABEL} over time, and the days each date looks back on"
    )
