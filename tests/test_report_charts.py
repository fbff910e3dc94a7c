"""Which charts a report draws: a history that never moved is a line of text, not a chart.

Hand-built metrics tables of a few days (one seller, one metric and channel), checked with
:func:`toolkit.reports.sections.flat_history` and the Shipping Performance panel.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import polars as pl
import pytest

from toolkit.model.policy import load_policy
from toolkit.reports import sections
from toolkit.reports.content import ReportContent
from toolkit.reports.view import load_report

D = date(2026, 11, 15)
DAYS = [D - timedelta(days=n) for n in (3, 2, 1, 0)]


def _report(rates: list[float | None], statuses: list[str], *, metric="lsr_10d") -> ReportContent:
    numerators = [None if r is None else round(r * 100) for r in rates]
    metrics = pl.DataFrame(
        {
            "as_of": DAYS,
            "metric": [metric] * 4,
            "channel": ["mfn"] * 4,
            "numerator": [n or 0 for n in numerators],
            "denominator": [0 if r is None else 100 for r in rates],
            "rate": rates,
            "target": [0.04] * 4,
            "condition": ["<"] * 4,
            "status": statuses,
            "window_start": [d - timedelta(days=9) for d in DAYS],
            "window_end": DAYS,
        },
        schema_overrides={"rate": pl.Float64},
    )
    tables = {
        **{name: frame.clear() for name, frame in _sample_tables().items()},  # no records
        "summary": pl.DataFrame({"seller_id": ["S1"], "marketplace": ["US"]}),
        "metrics": metrics,
    }
    return ReportContent(
        seller_id="S1", marketplace="US", as_of=D, policy=load_policy(), tables=tables
    )


@cache
def _sample_tables() -> dict[str, pl.DataFrame]:
    """A sample seller's result tables, for their columns."""
    return load_report("S01-steady").tables


GOOD = ["good"] * 4


@pytest.mark.parametrize(
    ("rates", "statuses", "flat"),
    [
        pytest.param([0.0] * 4, GOOD, True, id="no late shipment on any day is flat"),
        pytest.param([0.02] * 4, GOOD, True, id="the same rate on target every day is flat"),
        pytest.param([0.0, 0.0, 0.01, 0.0], GOOD, False, id="one day with a late shipment moves"),
        pytest.param(
            [0.03] * 4, ["good", "watch", "watch", "watch"], False, id="a change of status moves"
        ),
        pytest.param([0.05] * 4, ["bad"] * 4, False, id="over the limit throughout is charted"),
        pytest.param(
            [None, 0.0, 0.0, 0.0],
            ["no_data", "good", "good", "good"],
            False,
            id="a day without orders is charted",
        ),
    ],
)
def test_flat_history(rates, statuses, flat):
    row = sections.flat_history(_report(rates, statuses), "lsr_10d", "mfn")
    assert (row is not None) is flat
    if flat:
        assert (row["as_of"], row["since"], row["rate"]) == (D, DAYS[0], rates[0])


def test_a_flat_history_is_said_in_words_instead_of_drawn():
    html = sections.shipping(_report([0.0] * 4, GOOD)).html
    assert "<svg" not in html
    assert (
        "<b>Late shipment rate, 10 days (shipped by you)</b>: 0.00% on every day from "
        "12 Nov 2026 to 15 Nov 2026, "
    ) in html
    assert "throughout (target below 4%); today 0 of 100 orders shipped late." in html


def test_a_history_that_moved_is_drawn():
    html = sections.shipping(_report([0.0, 0.0, 0.01, 0.0], GOOD)).html
    assert html.count("<svg") == 1
    assert "did not move" not in html


def test_one_flat_history_is_said_in_the_singular():
    html = sections.shipping(_report([0.0] * 4, GOOD)).html
    assert "This rate did not move over the history, so it has no chart:" in html


def test_a_flat_history_without_a_target_names_none():
    report = _report([0.0] * 4, ["info"] * 4)
    report.tables["metrics"] = report.tables["metrics"].with_columns(
        target=pl.lit(None, pl.Float64), condition=pl.lit(None, pl.String)
    )
    html = sections.shipping(report).html
    assert "throughout; today 0 of 100 orders shipped late." in html
    assert "(target" not in html


def test_a_flat_order_defect_rate_is_said_in_words_too():
    report = _report([0.0] * 4, GOOD, metric="odr")
    report.tables["metrics"] = report.tables["metrics"].with_columns(target=pl.lit(0.01))
    html = sections.customer_service(report).html
    assert "<svg" not in html
    assert "<b>Order Defect Rate (shipped by you)</b>: 0.00% on every day from " in html
    assert "throughout (target below 1%); today 0 of 100 orders with a defect." in html
