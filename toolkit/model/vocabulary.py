"""The one vocabulary: every status, band and rank, and the words people read for each code.

Codes (``bad_low_volume``, ``lsr_10d``, ``at_risk``) are what tables and files carry;
the words here are what pages, charts, legends and calendar files show. Every module
that ranks sellers, names a metric or writes a date for a reader takes it from here, so
the index page, the reports, the notebooks and the charts agree.

One date format everywhere a person reads a date: ``1 Dec 2026`` (:func:`day_text` in
Python, :data:`CHART_DATE_FORMAT` on chart axes). Files meant for programs (CSV,
Parquet) keep ISO dates.

>>> STATUSES
('good', 'watch', 'bad_low_volume', 'bad', 'info', 'no_data')
>>> sorted(ATTENTION_RANK, key=ATTENTION_RANK.get)[:4]
['critical', 'bad', 'at_risk', 'overdue']
>>> STATUS_WORDS["bad_low_volume"], metric_words("lsr_10d", "mfn")
('Over, could be chance', 'Late shipment rate, 10 days (shipped by you)')
>>> from datetime import date
>>> day_text(date(2026, 12, 1))
'1 Dec 2026'
"""

from __future__ import annotations

from datetime import date, datetime

__all__ = [
    "ACTION_WORDS",
    "AHR_BANDS",
    "ATTENTION_RANK",
    "ATTENTION_WORDS",
    "BAND_WORDS",
    "CATEGORY_WORDS",
    "CHANNEL_NAMES",
    "CHART_DATE_FORMAT",
    "COUNT_PHRASES",
    "COUNT_UNITS",
    "DEFECT_WORDS",
    "ELIGIBILITY_WORDS",
    "INVENTORY_ACTION_WORDS",
    "INVENTORY_BAND_WORDS",
    "INVENTORY_COMPONENT_NAMES",
    "INVENTORY_WHERE",
    "IPI_PROXY_LABEL",
    "LIMIT_RISK_WORDS",
    "METRIC_NAMES",
    "METRIC_SHORT",
    "PANELS",
    "RATE_TITLES",
    "REASON_WORDS",
    "SEVERITY_WORDS",
    "SOURCE_WORDS",
    "STATUSES",
    "STATUS_WORDS",
    "TARGET_MET",
    "TARGET_MISSED",
    "VIOLATION_STATUS_WORDS",
    "WINDOW_BASIS",
    "day_text",
    "defect_words",
    "metric_words",
    "word",
]

#: Status of a metric row (definitions section 4.1), best first.
STATUSES = ("good", "watch", "bad_low_volume", "bad", "info", "no_data")
#: The statuses of a metric row that meets its target, and those that miss it.
TARGET_MET = ("good", "watch")
TARGET_MISSED = ("bad_low_volume", "bad")
#: Bands of the AHR estimate (definitions section 6), best first.
AHR_BANDS = ("healthy", "at_risk", "critical")
#: How much attention a seller needs, 0 first: the worst of its metric status, its AHR
#: band and ``overdue`` (an action whose deadline has passed, definitions section 10). One ranking for
#: the index page, its CSV, the portfolio notebook and the sellers' tables
#: (:func:`toolkit.charts.tables.attention_order`): a critical AHR before a metric over
#: its target, an AHR at risk before a missed deadline, a missed deadline before a
#: metric that could be over by chance.
ATTENTION_RANK: dict[str, int] = {
    "critical": 0,
    "bad": 1,
    "at_risk": 2,
    "overdue": 3,
    "bad_low_volume": 4,
    "watch": 5,
    "good": 6,
    "healthy": 6,
    "info": 7,
    "no_data": 8,
}

# ------------------------------------------------------------------------- metrics

METRIC_NAMES = {
    "odr": "Order Defect Rate",
    "odr_negative_feedback": "Negative feedback rate",
    "odr_claims": "A-to-z Guarantee claim rate",
    "odr_chargebacks": "Chargeback rate",
    "lsr_10d": "Late shipment rate, 10 days",
    "lsr_30d": "Late shipment rate, 30 days",
    "cancel_rate_7d": "Pre-fulfilment cancellation rate, 7 days",
    "vtr_30d": "Valid tracking rate, 30 days",
    "otdr_14d": "On-time delivery rate, 14 days",
    "idr_7d": "Invoice defect rate, 7 days",
    "rdr_30d": "Return dissatisfaction rate, 30 days (retired)",
    "contact_response_24h_30d": "Messages answered within 24 hours, 30 days (retired)",
    "product_rating": "Product rating, plain average (not Amazon's star rating)",
    "policy_violation": "Policy violations",
}
#: Short names for narrow places (chart titles of small panels, the index).
METRIC_SHORT = {
    "odr": "ODR",
    "odr_negative_feedback": "Negative feedback",
    "odr_claims": "A-to-z claims",
    "odr_chargebacks": "Chargebacks",
    "lsr_10d": "Late shipments (10 days)",
    "lsr_30d": "Late shipments (30 days)",
    "cancel_rate_7d": "Cancellations (7 days)",
    "vtr_30d": "Valid tracking (30 days)",
    "otdr_14d": "On-time delivery (14 days)",
    "idr_7d": "Invoice defects (7 days)",
    "rdr_30d": "Return dissatisfaction (retired)",
    "contact_response_24h_30d": "Messages answered in 24 h (retired)",
    "product_rating": "Product rating (plain average)",
    "policy_violation": "Policy violations",
}
CHANNEL_NAMES = {"mfn": "shipped by you", "afn": "fulfilled by Amazon", "all": "all orders"}
#: What a metric's numerator counts, after "3 of 212 orders": ``3 of 212 orders shipped
#: late``, ``140 of 146 orders with valid tracking``.
COUNT_PHRASES: dict[str, str] = {
    "odr": "with a defect",
    "odr_negative_feedback": "with negative feedback",
    "odr_claims": "with an A-to-z claim",
    "odr_chargebacks": "with a chargeback",
    "lsr_10d": "shipped late",
    "lsr_30d": "shipped late",
    "cancel_rate_7d": "cancelled by you",
    "vtr_30d": "with valid tracking",
    "otdr_14d": "delivered on time",
    "idr_7d": "with a late invoice",
    "rdr_30d": "with a dissatisfied buyer",
    "contact_response_24h_30d": "answered within 24 hours",
}
#: What a metric counts when it is not orders (singular, plural): ``3 of 7 messages ...``.
COUNT_UNITS: dict[str, tuple[str, str]] = {
    "rdr_30d": ("return request", "return requests"),
    "contact_response_24h_30d": ("message", "messages"),
    "product_rating": ("verified review", "verified reviews"),
}
#: What a metric's rate measures, for a chart's rate axis.
RATE_TITLES: dict[str, str] = {
    "odr": "orders with a defect",
    "odr_negative_feedback": "orders with negative feedback",
    "odr_claims": "orders with an A-to-z claim",
    "odr_chargebacks": "orders with a chargeback",
    "lsr_10d": "orders shipped late",
    "lsr_30d": "orders shipped late",
    "cancel_rate_7d": "orders cancelled by you",
    "vtr_30d": "shipments with valid tracking",
    "otdr_14d": "deliveries on time",
    "idr_7d": "invoices uploaded late",
    "rdr_30d": "return requests with a dissatisfied buyer",
    "contact_response_24h_30d": "messages answered within 24 hours",
    "product_rating": "average stars",
}
#: Which date puts an order into a metric's window.
WINDOW_BASIS = {
    "odr": "bought",
    "odr_negative_feedback": "bought",
    "odr_claims": "bought",
    "odr_chargebacks": "bought",
    "cancel_rate_7d": "bought",
    "idr_7d": "bought",
    "lsr_10d": "due to ship",
    "lsr_30d": "due to ship",
    "vtr_30d": "due to arrive",
    "otdr_14d": "due to arrive",
    "rdr_30d": "return requested",
    "contact_response_24h_30d": "message received",
    "product_rating": "review written",
}
#: The three panels of Amazon's Account Health page, in its order: key, title, and the
#: metrics shown in each (Policy Compliance holds the violations and the AHR estimate).
PANELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "customer_service",
        "Customer Service Performance",
        ("odr", "odr_negative_feedback", "odr_claims", "odr_chargebacks"),
    ),
    ("policy", "Policy Compliance", ("policy_violation",)),
    (
        "shipping",
        "Shipping Performance",
        ("lsr_10d", "lsr_30d", "cancel_rate_7d", "vtr_30d", "otdr_14d", "idr_7d"),
    ),
)

# ------------------------------------------------------------------ statuses, bands

STATUS_WORDS = {
    "good": "Good",
    "watch": "Watch",
    "bad": "Over the limit",
    "bad_low_volume": "Over, could be chance",
    "info": "For information",
    "no_data": "No orders in window",
}
BAND_WORDS = {"healthy": "Healthy", "at_risk": "At risk", "critical": "Critical"}
#: The index's status words for each attention level (``at_risk`` is the AHR's).
ATTENTION_WORDS = {
    **STATUS_WORDS,
    "critical": "AHR critical",
    "at_risk": "AHR at risk",
    "healthy": "Good",
    "overdue": "Deadline passed",
}

# ------------------------------------------------------------------------- records

#: The defect type of a clearance row (definitions section 5), as a record is named on a page.
DEFECT_WORDS = {
    "negative_feedback": "Negative feedback",
    "claim": "A-to-z Guarantee claim",
    "chargeback": "Chargeback",
    "late_shipment": "Late shipment",
    "cancellation": "Cancelled by you",
    "invalid_tracking": "No valid tracking",
    "late_delivery": "Late delivery",
    "late_invoice": "Late invoice",
    "late_return_response": "Return request answered late",
    "invalid_return_rejection": "In-policy return rejected",
    "unresolved_return": "Buyer says the return was not resolved",
    "late_message_reply": "Buyer message answered late",
}
#: Violation categories (definitions section 3), as Amazon's Account Health page names them.
CATEGORY_WORDS = {
    "listing_policy": "Listing policy violation",
    "product_authenticity": "Product authenticity complaint",
    "product_condition": "Product condition complaint",
    "product_safety": "Product safety complaint",
    "received_intellectual_property": "Intellectual property complaint",
    "restricted_product": "Restricted product violation",
    "suspected_intellectual_property": "Suspected intellectual property violation",
    "food_and_product_safety": "Food and product safety issue",
    "document_requests": "Document request",
    "customer_product_reviews": "Customer product reviews policy violation",
    "other": "Other policy violation",
}
SEVERITY_WORDS = {"low": "low", "medium": "medium", "high": "high", "critical": "critical"}
#: Why a record stops counting (``clear_reason``, definitions section 5).
REASON_WORDS = {
    "window": "leaves the window",
    "removed": "feedback removed",
    "denied": "claim denied",
    "withdrawn": "claim withdrawn",
    "protected": "claim protected",
    "seller_won": "chargeback won",
    "cancelled": "order cancelled",
    "shipped_on_time": "shipped on time after all",
    "delivered_on_time": "delivered on time after all",
    "invoice_on_time": "invoice on time after all",
    "expired": "display ends",
    "disputed_error": "dispute upheld",
    "responded_on_time": "on-time response recorded",
    "replied_on_time": "on-time reply recorded",
}
#: Status of a violation (definitions section 6 violations table) as a seller reads it.
VIOLATION_STATUS_WORDS = {
    "open": "open",
    "addressed": "addressed",
    "expired": "no longer displayed",
    "removed_as_error": "removed (dispute upheld)",
}
#: What the seller can do about a record (definitions section 10 ``action``).
ACTION_WORDS = {
    "request_removal": "Request removal of the feedback",
    "respond": "Respond to the claim",
    "appeal": "Appeal",
    "represent": "Represent your case",
    "fix_tracking": "Correct the tracking number",
    "upload_invoice": "Upload the invoice",
    "dispute_error": "Dispute it as an error",
    "wait": "Nothing to do",
}
#: How likely an action is to be allowed (definitions section 10 ``eligibility``).
ELIGIBILITY_WORDS = {
    "likely": "likely eligible",
    "check": "check the comment against Amazon's grounds",
    "open": "open to you",
    "none": "clears by itself",
}
#: The data sources of the freshness table.
SOURCE_WORDS = {
    "orders": "Orders",
    "feedback": "Feedback",
    "claims": "A-to-z claims",
    "chargebacks": "Chargebacks",
    "violations": "Policy violations",
}

# ------------------------------------------------------------------ inventory (FBA)

#: The four IPI components (definitions section 11), as Amazon's inventory dashboard names them.
INVENTORY_COMPONENT_NAMES = {
    "sell_through_90d": "FBA sell-through rate, 90 days",
    "excess_pct": "Excess inventory",
    "stranded_pct": "Stranded inventory",
    "in_stock_rate_30d": "FBA in-stock rate, 30 days",
}
#: The band of an IPI component (Amazon's bars), and the codes of a component without one.
INVENTORY_BAND_WORDS = {
    "excellent": "Excellent",
    "good": "Good",
    "fair": "Fair",
    "poor": "Poor",
    "info": "No band published",
    "no_data": "No data",
    "not_used": "Not used in this marketplace",
}
#: The words that go with the toolkit's IPI proxy every time a reader sees it: Amazon
#: publishes no formula, so the number is the toolkit's own estimate.
IPI_PROXY_LABEL = "IPI estimate (unofficial)"
#: What a seller can do about a SKU that holds excess or stranded units, or runs out.
INVENTORY_ACTION_WORDS = {
    "fix_listing": "Fix the listing",
    "create_removal_order": "Create a removal order",
    "reprice": "Lower the price",
    "restock": "Send more units",
}
#: Where in Seller Central each inventory action is done (Amazon's page names).
INVENTORY_WHERE = {
    "fix_listing": (
        "Inventory → Fix stranded inventory: relist the SKU, or remove the units before "
        "Amazon removes them"
    ),
    "create_removal_order": (
        "Inventory → Manage FBA Inventory: create a removal order (Amazon's Recommended "
        "removal report lists candidates)"
    ),
    "reprice": (
        "Inventory → Manage Inventory: edit the price (the FBA Manage Inventory Health "
        "report suggests a sales price)"
    ),
    "restock": "Inventory → Manage FBA Inventory: send more units to Amazon",
}
#: How a storage or capacity limit period came out at its checkpoint (definitions section 11).
LIMIT_RISK_WORDS = {
    "at_risk": "below the threshold: limits at risk",
    "ok": "at or above the threshold",
    "unknown": "no published threshold",
    "pending": "not decided yet",
}

# --------------------------------------------------------------------------- dates

#: The chart axes' date format (d3-time-format): ``1 Dec 2026``, as :func:`day_text`.
CHART_DATE_FORMAT = "%-d %b %Y"


def day_text(value: date | datetime | None) -> str:
    """A date as people read it on every page: ``1 Dec 2026``; ``–`` for none.

    Examples
    --------
    >>> from datetime import date, datetime
    >>> day_text(date(2026, 12, 1)), day_text(datetime(2026, 11, 8, 23, 50)), day_text(None)
    ('1 Dec 2026', '8 Nov 2026', '–')
    """
    if value is None:
        return "–"
    return f"{value.day} {value:%b %Y}"


# --------------------------------------------------------------------------- words


def word(mapping: dict[str, str], code: str | None) -> str:
    """The word for ``code`` in ``mapping``; an unknown code reads with spaces for ``_``.

    Examples
    --------
    >>> word(STATUS_WORDS, "bad"), word(REASON_WORDS, "some_new_reason"), word(BAND_WORDS, None)
    ('Over the limit', 'some new reason', '–')
    """
    if code is None:
        return "–"
    return mapping.get(code, code.replace("_", " "))


def metric_words(metric: str, channel: str | None = None) -> str:
    """A metric's name, with its channel in brackets when one is given.

    Examples
    --------
    >>> metric_words("odr", "afn"), metric_words("idr_7d")
    ('Order Defect Rate (fulfilled by Amazon)', 'Invoice defect rate, 7 days')
    """
    name = word(METRIC_NAMES, metric)
    return f"{name} ({word(CHANNEL_NAMES, channel)})" if channel else name


def defect_words(defect_type: str) -> str:
    """A clearance row's ``defect_type``: a defect, or a violation's category.

    Examples
    --------
    >>> defect_words("late_shipment"), defect_words("product_condition")
    ('Late shipment', 'Product condition complaint')
    """
    if defect_type in DEFECT_WORDS:
        return DEFECT_WORDS[defect_type]
    return word(CATEGORY_WORDS, defect_type)
