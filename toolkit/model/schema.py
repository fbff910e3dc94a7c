"""The input tables of definitions section 3: columns, types, enumerations and defaults.

This module only describes; :mod:`toolkit.model.data` reads and validates files against it.

Examples
--------
>>> from toolkit.model.schema import TABLES
>>> [c.name for c in TABLES["claims"].columns if c.required]
['claim_id', 'order_id', 'filed_at', 'outcome']
>>> TABLES["orders"].column("channel").values
('mfn', 'afn')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CATEGORY_SPAPI_KEYS",
    "NOT_BEFORE",
    "RETURN_OUTCOMES",
    "TABLES",
    "Column",
    "Table",
]


@dataclass(frozen=True)
class Column:
    """One column: ``kind`` is ``str``, ``timestamp``, ``date``, ``bool``, ``int`` or ``enum``."""

    name: str
    kind: str
    required: bool = False
    values: tuple[str, ...] = ()
    default: Any = None
    low: int | None = None
    high: int | None = None


@dataclass(frozen=True)
class Table:
    """One input table: its columns, its key and the order it references, if any.

    ``key`` is the column that identifies a row (``order_id``), or a tuple of columns that
    do so together (``("seller_id", "marketplace", "sku", "date")``); see :attr:`key_columns`.
    """

    name: str
    columns: tuple[Column, ...]
    key: str | tuple[str, ...]
    references_orders: bool = False

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        return next(c for c in self.columns if c.name == name)

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The key as a tuple of column names (one for a single-column key).

        >>> TABLES["inventory"].key_columns
        ('seller_id', 'marketplace', 'sku', 'date')
        """
        return (self.key,) if isinstance(self.key, str) else self.key

    @property
    def names(self) -> list[str]:
        """Column names in schema order."""
        return [c.name for c in self.columns]


#: Violation categories and the SP-API report key each one is exported under.
CATEGORY_SPAPI_KEYS = {
    "listing_policy": "listingPolicyViolations",
    "product_authenticity": "productAuthenticityCustomerComplaints",
    "product_condition": "productConditionCustomerComplaints",
    "product_safety": "productSafetyCustomerComplaints",
    "received_intellectual_property": "receivedIntellectualPropertyComplaints",
    "restricted_product": "restrictedProductPolicyViolations",
    "suspected_intellectual_property": "suspectedIntellectualPropertyViolations",
    "food_and_product_safety": "foodAndProductSafetyIssues",
    "document_requests": "documentRequests",
    "customer_product_reviews": "otherPolicyViolations",
    "other": "otherPolicyViolations",
}

_TS = "timestamp"
_CLAIM_OUTCOMES = ("pending", "granted", "denied", "withdrawn", "protected")
_CHARGEBACK_OUTCOMES = ("pending", "seller_lost", "seller_won")
#: How a return request ended (definitions section 12); empty = still open.
RETURN_OUTCOMES = ("authorized", "refunded", "rejected", "closed")
_RESOLUTIONS = (
    "appeal_accepted",
    "action_taken",
    "acknowledged",
    "appeal_rejected",
    "disputed_error",
)


def _dispute(name: str, *, outcomes: tuple[str, ...], kinds: tuple[str, ...] = ()) -> Table:
    """A table of disputes raised against an order (claims, chargebacks)."""
    key = f"{name.removesuffix('s')}_id"
    kind = (Column("kind", "enum", required=True, values=kinds),) if kinds else ()
    return Table(
        name,
        (
            Column(key, "str", required=True),
            Column("order_id", "str", required=True),
            Column("filed_at", _TS, required=True),
            *kind,
            Column("outcome", "enum", required=True, values=outcomes),
            Column("resolved_at", _TS),
        ),
        key=key,
        references_orders=True,
    )


TABLES: dict[str, Table] = {
    "orders": Table(
        "orders",
        (
            Column("order_id", "str", required=True),
            Column("seller_id", "str", required=True),
            Column("marketplace", "str", default="US"),
            Column("channel", "enum", required=True, values=("mfn", "afn")),
            Column("purchased_at", _TS, required=True),
            Column("latest_ship_at", _TS),
            Column("shipped_at", _TS),
            Column("promised_delivery_at", _TS),
            Column("delivered_at", _TS),
            Column("tracking_valid", "bool"),
            Column("cancelled_at", _TS),
            Column("cancelled_by", "enum", values=("seller", "buyer", "amazon")),
            Column("is_business", "bool", default=False),
            Column("invoice_uploaded_at", _TS),
            Column("units", "int", default=1, low=1),
        ),
        key="order_id",
    ),
    "feedback": Table(
        "feedback",
        (
            Column("feedback_id", "str", required=True),
            Column("order_id", "str", required=True),
            Column("rating", "int", required=True, low=1, high=5),
            Column("left_at", _TS, required=True),
            Column("comment", "str"),
            Column("removed_at", _TS),
            Column("removal", "enum", values=("buyer_removed", "amazon_removed", "struck_through")),
        ),
        key="feedback_id",
        references_orders=True,
    ),
    "claims": _dispute("claims", outcomes=_CLAIM_OUTCOMES),
    "chargebacks": _dispute(
        "chargebacks", outcomes=_CHARGEBACK_OUTCOMES, kinds=("service", "fraud")
    ),
    "violations": Table(
        "violations",
        (
            Column("violation_id", "str", required=True),
            Column("seller_id", "str", required=True),
            Column("marketplace", "str", default="US"),
            Column("category", "enum", required=True, values=tuple(CATEGORY_SPAPI_KEYS)),
            Column("severity", "enum", required=True, values=("low", "medium", "high", "critical")),
            Column("detected_at", _TS, required=True),
            Column("asin", "str"),
            Column("resolution", "enum", values=_RESOLUTIONS),
            Column("resolved_at", _TS),
        ),
        key="violation_id",
    ),
    # definitions section 11: FBA units per seller, marketplace, SKU and day (end-of-day balances)
    "inventory": Table(
        "inventory",
        (
            Column("date", "date", required=True),
            Column("seller_id", "str", required=True),
            Column("marketplace", "str", default="US"),
            Column("sku", "str", required=True),
            Column("asin", "str"),
            Column("on_hand", "int", required=True, low=0),
            Column("available", "int", required=True, low=0),
            Column("stranded", "int", default=0, low=0),
            Column("shipped", "int", default=0, low=0),
            Column("excess", "int", low=0),
            Column("replenishable", "bool", default=True),
        ),
        key=("seller_id", "marketplace", "sku", "date"),
    ),
    # definitions section 11: IPI scores the seller read on Amazon's dashboard (for calibration)
    "ipi_observed": Table(
        "ipi_observed",
        (
            Column("seller_id", "str", required=True),
            Column("marketplace", "str", default="US"),
            Column("date", "date", required=True),
            Column("score", "int", required=True, low=0, high=1000),
        ),
        key=("seller_id", "marketplace", "date"),
    ),
    # definitions section 12: return requests of orders (seller-fulfilled returns)
    "returns": Table(
        "returns",
        (
            Column("return_id", "str", required=True),
            Column("order_id", "str", required=True),
            Column("requested_at", _TS, required=True),
            Column("responded_at", _TS),
            Column("in_policy", "bool", default=True),
            Column("outcome", "enum", values=RETURN_OUTCOMES),
            Column("buyer_resolved", "bool"),
        ),
        key="return_id",
        references_orders=True,
    ),
    # definitions section 12: buyer messages that need a reply; ``order_id`` optional (checked when given)
    "messages": Table(
        "messages",
        (
            Column("message_id", "str", required=True),
            Column("seller_id", "str", required=True),
            Column("marketplace", "str", default="US"),
            Column("received_at", _TS, required=True),
            Column("replied_at", _TS),
            Column("order_id", "str"),
        ),
        key="message_id",
        references_orders=True,
    ),
    # definitions section 12: product reviews of the seller's ASINs
    "reviews": Table(
        "reviews",
        (
            Column("review_id", "str", required=True),
            Column("seller_id", "str", required=True),
            Column("marketplace", "str", default="US"),
            Column("asin", "str", required=True),
            Column("reviewed_at", _TS, required=True),
            Column("stars", "int", required=True, low=1, high=5),
            Column("verified", "bool", default=True),
        ),
        key="review_id",
    ),
}

#: For each table with units: the columns that may never exceed ``on_hand`` of their row.
AT_MOST_ON_HAND = {"inventory": ("available", "stranded", "excess")}

#: For each table: (start column, later column) pairs: the later one, when given, may not
#: come before the start (a reply before the message it answers).
NOT_BEFORE = {
    "returns": (("requested_at", "responded_at"),),
    "messages": (("received_at", "replied_at"),),
}

#: For each table: (start column, resolution column, the outcome column and its values that
#: need a resolution time). ``resolved_at`` must be present for those and never earlier
#: than the start.
RESOLUTION_RULES = {
    "claims": ("filed_at", "resolved_at", "outcome", _CLAIM_OUTCOMES[1:]),
    "chargebacks": ("filed_at", "resolved_at", "outcome", _CHARGEBACK_OUTCOMES[1:]),
    "violations": ("detected_at", "resolved_at", "resolution", _RESOLUTIONS),
}
