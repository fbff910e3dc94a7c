"""The shape of Amazon's ``GET_V2_SELLER_PERFORMANCE_REPORT``, shared by reader and export.

One table says which report block holds which toolkit metric and where its counts are, so
that :mod:`toolkit.amazon.ingest.sp_api` (reading) and :mod:`toolkit.amazon.export` (writing)
cannot drift apart. Field paths are dotted (``invoiceDefect.count``).

Examples
--------
>>> from toolkit.amazon.report_shape import REPORT_METRICS
>>> [(m.key, m.metric) for m in REPORT_METRICS][:2]
[('lateShipmentRate', 'lsr_30d'), ('preFulfillmentCancellationRate', 'cancel_rate_7d')]
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from toolkit.model.schema import CATEGORY_SPAPI_KEYS

__all__ = [
    "AHR_STATUS_KEYS",
    "CONDITIONS",
    "LISTING_ALIASES",
    "LISTING_KEYS",
    "LISTING_PREFIX",
    "ODR",
    "ODR_COMPONENTS",
    "REPORT_METRICS",
    "SNAPSHOT_KEYS",
    "SNAPSHOT_SCHEMA",
    "WARNING_KEYS",
    "ReportMetric",
]


@dataclass(frozen=True)
class ReportMetric:
    """One rate block: its report key (and other spellings), our metric and count fields."""

    key: str
    metric: str
    numerator: str
    denominator: str
    aliases: tuple[str, ...] = ()


#: Rate blocks without a channel (channel ``all`` in the snapshot table). The top-level
#: ``lateShipmentRate`` is ``lsr_30d``; entries of ``lateShipmentRateList`` are named by
#: their window length (``lsr_10d``, ``lsr_30d``) and win over it.
REPORT_METRICS = (
    ReportMetric("lateShipmentRate", "lsr_30d", "lateShipmentCount", "orderCount"),
    ReportMetric(
        "preFulfillmentCancellationRate",
        "cancel_rate_7d",
        "cancellationCount",
        "orderCount",
        aliases=("prefulfillmentCancelRate",),
    ),
    ReportMetric("validTrackingRate", "vtr_30d", "validTrackingCount", "shipmentCount"),
    ReportMetric(
        "onTimeDeliveryRate", "otdr_30d", "onTimeDeliveryCount", "shipmentCountWithValidTracking"
    ),
    ReportMetric("unitOnTimeDeliveryRate", "otdr_14d", "unitOnTimeDeliveryCount", "totalUnitCount"),
    ReportMetric("invoiceDefectRate", "idr_7d", "invoiceDefect.count", "orderCount"),
)

#: ``orderDefectRate.mfn`` and ``orderDefectRate.afn`` (channel from the key).
ODR = ReportMetric("orderDefectRate", "odr", "orderWithDefects.count", "orderCount")

#: ODR component blocks inside each ODR channel block -> our component metric.
ODR_COMPONENTS = {
    "claims": "odr_claims",
    "chargebacks": "odr_chargebacks",
    "negativeFeedback": "odr_negative_feedback",
}

#: The listing-level violation keys of the schema, in the order of definitions section 3. Any
#: other key whose block has a ``defectsCount`` is read the same way.
LISTING_KEYS = tuple(dict.fromkeys(CATEGORY_SPAPI_KEYS.values()))
#: Other spellings of listing-level keys seen in the schema's own example.
LISTING_ALIASES = {"documentRequests": ("documentRequest",)}
#: Snapshot metric name of a listing-level key: ``policy_<key>``.
LISTING_PREFIX = "policy_"

#: The warning list and its other spelling.
WARNING_KEYS = ("warningStates", "warningState")
#: The AHR status and its other spelling.
AHR_STATUS_KEYS = ("ahrStatus", "accountHealthRatingStatus")

#: Amazon's target conditions -> the toolkit's.
CONDITIONS = {"LESS_THAN": "<", "GREATER_THAN": ">", "EQUALS": "="}

#: Columns and types of the snapshot table.
SNAPSHOT_SCHEMA = pl.Schema(
    {
        "seller_id": pl.String(),
        "marketplace": pl.String(),
        "snapshot_date": pl.Date(),
        "metric": pl.String(),
        "channel": pl.String(),
        "window_start": pl.Date(),
        "window_end": pl.Date(),
        "numerator": pl.Int64(),
        "denominator": pl.Int64(),
        "rate": pl.Float64(),
        "target": pl.Float64(),
        "condition": pl.String(),
        "amazon_status": pl.String(),
    }
)
#: One row per these columns.
SNAPSHOT_KEYS = ("seller_id", "marketplace", "snapshot_date", "metric", "channel")
