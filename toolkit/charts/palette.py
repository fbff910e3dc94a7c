"""The project's colours, without altair: status, band, record and categorical colours.

Colours come from the Okabe-Ito palette (Okabe and Ito, *Color Universal Design*, 2008),
which stays distinguishable under the common colour-vision deficiencies. Status colours
keep one meaning on every chart, table and report. HTML tables and report text take their
colours from here; :mod:`toolkit.charts.theme` builds the altair theme on them.

>>> STATUS_COLORS["bad"]
'#D55E00'
"""

from __future__ import annotations

__all__ = ["BAND_COLORS", "CATEGORY_COLORS", "MUTED", "RECORD_COLORS", "STATUS_COLORS"]

#: Status of a metric row (definitions section 4.1) -> colour. The order is the legend order.
STATUS_COLORS: dict[str, str] = {
    "good": "#009E73",
    "watch": "#E69F00",
    "bad": "#D55E00",
    "bad_low_volume": "#CC79A7",
    "info": "#0072B2",
    "no_data": "#999999",
}

#: AHR band (definitions section 6) -> colour, the same hues as good / watch / bad.
BAND_COLORS: dict[str, str] = {
    "healthy": STATUS_COLORS["good"],
    "at_risk": STATUS_COLORS["watch"],
    "critical": STATUS_COLORS["bad"],
}

#: Kinds of record (a clearance row's ``defect_type``; violations are one kind) -> colour.
#: The ODR components are shades of blue from light to dark, violations purple, the
#: shipping records colours of Paul Tol's muted scheme (also colour-blind safe); no status
#: hue, so no status is implied.
RECORD_COLORS: dict[str, str] = {
    "negative_feedback": "#56B4E9",
    "claim": "#0072B2",
    "chargeback": "#1B2F5B",
    "late_shipment": "#44AA99",
    "cancellation": "#882255",
    "invalid_tracking": "#999933",
    "late_delivery": "#332288",
    "late_invoice": "#AA4499",
    "policy_violation": "#8C6BB1",
}

#: Categorical palette (Okabe-Ito order, black last) for anything that is not a status.
CATEGORY_COLORS: list[str] = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]

#: Neutral ink for targets, limits and records that no longer count.
MUTED = "#6B6B6B"
