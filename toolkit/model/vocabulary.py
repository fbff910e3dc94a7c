"""The one vocabulary: every status, band and rank, and the words people read for each code.

Codes (``bad_low_volume``, ``lsr_10d``, ``at_risk``) are what tables and files carry;
the words here are what pages, charts and legends show. Every module that ranks sellers
or names a metric takes it from here, so the index page, the notebooks and the charts
agree.

>>> STATUSES
('good', 'watch', 'bad_low_volume', 'bad', 'info', 'no_data')
>>> sorted(ATTENTION_RANK, key=ATTENTION_RANK.get)[:3]
['critical', 'bad', 'at_risk']
"""

from __future__ import annotations

__all__ = [
    "AHR_BANDS",
    "ATTENTION_RANK",
    "BAND_WORDS",
    "CHANNEL_NAMES",
    "DEFECT_WORDS",
    "METRIC_NAMES",
    "REASON_WORDS",
    "STATUSES",
    "STATUS_WORDS",
    "TARGET_MET",
    "TARGET_MISSED",
    "VIOLATION_STATUS_WORDS",
    "WINDOW_BASIS",
]

#: Status of a metric row (SPEC 4.1), best first.
STATUSES = ("good", "watch", "bad_low_volume", "bad", "info", "no_data")
#: The statuses of a metric row that meets its target, and those that miss it.
TARGET_MET = ("good", "watch")
TARGET_MISSED = ("bad_low_volume", "bad")
#: Bands of the AHR estimate (SPEC 6), best first.
AHR_BANDS = ("healthy", "at_risk", "critical")
#: How much attention a metric status or an AHR band needs: 0 first. One ranking for the
#: index page, the portfolio notebook and the sellers' tables: a critical AHR before a
#: metric over its target, an AHR at risk before a metric that could be over by chance.
ATTENTION_RANK: dict[str, int] = {
    "critical": 0,
    "bad": 1,
    "at_risk": 2,
    "bad_low_volume": 3,
    "watch": 4,
    "good": 5,
    "healthy": 5,
    "info": 6,
    "no_data": 7,
}

METRIC_NAMES = {
    "odr": "Order Defect Rate",
    "odr_negative_feedback": "· negative feedback",
    "odr_claims": "· A-to-z Guarantee claims",
    "odr_chargebacks": "· chargebacks",
    "lsr_10d": "Late shipment rate, 10 days",
    "lsr_30d": "Late shipment rate, 30 days",
    "cancel_rate_7d": "Pre-fulfilment cancellation rate, 7 days",
    "vtr_30d": "Valid tracking rate, 30 days",
    "otdr_14d": "On-time delivery rate, 14 days",
    "idr_7d": "Invoice defect rate, 7 days",
    "rdr_30d": "Return dissatisfaction rate, 30 days (retired)",
    "contact_response_24h_30d": "Messages answered within 24 hours, 30 days (retired)",
    "product_rating": "Product rating, plain average (not Amazon's star rating)",
}
CHANNEL_NAMES = {"mfn": "shipped by you", "afn": "fulfilled by Amazon", "all": "all orders"}
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
STATUS_WORDS = {
    "good": "Good",
    "watch": "Watch",
    "bad": "Over the limit",
    "bad_low_volume": "Over, low volume",
    "info": "For information",
    "no_data": "No orders in window",
    "at_risk": "At risk",
}
BAND_WORDS = {"healthy": "Healthy", "at_risk": "At risk", "critical": "Critical"}
DEFECT_WORDS = {
    "negative_feedback": "Negative feedback",
    "claim": "A-to-z claim",
    "chargeback": "Chargeback",
    "late_return_response": "Return request answered late",
    "invalid_return_rejection": "In-policy return rejected",
    "unresolved_return": "Buyer says the return was not resolved",
    "late_message_reply": "Buyer message answered late",
}
REASON_WORDS = {
    "window": "ages out of the window",
    "removed": "feedback removed",
    "denied": "claim denied",
    "withdrawn": "claim withdrawn",
    "protected": "claim protected",
    "seller_won": "chargeback won",
    "expired": "display ends",
    "disputed_error": "dispute upheld",
    "responded_on_time": "on-time response recorded",
    "replied_on_time": "on-time reply recorded",
}
#: Status of a violation (SPEC 6 violations table) as a seller reads it.
VIOLATION_STATUS_WORDS = {
    "open": "open",
    "addressed": "addressed",
    "expired": "no longer displayed",
    "removed_as_error": "removed (dispute upheld)",
}
