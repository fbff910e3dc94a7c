"""Seller account health analytics: Amazon performance metrics recomputed from raw events.

The public API, loaded on first use (``import toolkit`` stays cheap: altair, scipy and
nbconvert load only when a function that needs them is used):

>>> import toolkit
>>> toolkit.load_policy().metric("odr").window_days
60

Data and policy
    ``read_data``, ``validate_data``, ``dataset_from_frames``, ``Dataset``, ``DataError``,
    ``load_policy``, ``Policy``, ``write_table``, ``generate_sample``, ``write_sample``
Metrics, retention windows, forecasts and actions
    ``metrics_table``, ``clearance_table``, ``forecast_table``, ``what_if``, ``actions_table``,
    ``rating_by_asin`` (the plain product rating per ASIN)
Policy compliance
    ``violations_table``, ``violation_clearance``, ``ahr_table``, ``ahr_if_addressed``
Inventory performance (FBA)
    ``inventory_table``, ``inventory_sku_table``, ``inventory_periods``, ``calibrate_proxy``,
    ``read_inventory_reports``
Statistics
    ``wilson_interval``, ``binomial_tail``, ``funnel_limits``, ``funnel_points``,
    ``overdispersion``, ``fit_beta_binomial``, ``shrink_rates``, ``p_chart``
Amazon files
    ``read_seller_performance``, ``snapshot_history``, ``read_feedback_report``,
    ``read_orders_report``, ``seller_performance_report``, ``write_report_json``,
    ``reconcile_table``, ``order_reconciliation``
"""

from __future__ import annotations

from toolkit.model.exports import lazy_exports

_EXPORTS = {
    "DataError": "toolkit.model.data",
    "Dataset": "toolkit.model.data",
    "Policy": "toolkit.model.policy",
    "actions_table": "toolkit.engine.actions",
    "ahr_if_addressed": "toolkit.compliance.ahr",
    "ahr_table": "toolkit.compliance.ahr",
    "binomial_tail": "toolkit.engine.statistics",
    "calibrate_proxy": "toolkit.inventory",
    "clearance_table": "toolkit.engine.clearance",
    "dataset_from_frames": "toolkit.model.data",
    "fit_beta_binomial": "toolkit.portfolio",
    "forecast_table": "toolkit.engine.forecast",
    "funnel_limits": "toolkit.portfolio",
    "funnel_points": "toolkit.portfolio",
    "generate_sample": "toolkit.sample.generate",
    "inventory_periods": "toolkit.inventory",
    "inventory_sku_table": "toolkit.inventory",
    "inventory_table": "toolkit.inventory",
    "load_policy": "toolkit.model.policy",
    "metrics_table": "toolkit.engine.metrics",
    "overdispersion": "toolkit.portfolio",
    "p_chart": "toolkit.portfolio",
    "rating_by_asin": "toolkit.engine.service",
    "read_data": "toolkit.model.data",
    "read_feedback_report": "toolkit.amazon.ingest",
    "read_inventory_reports": "toolkit.amazon.ingest",
    "read_orders_report": "toolkit.amazon.ingest",
    "read_seller_performance": "toolkit.amazon.ingest",
    "reconcile_table": "toolkit.amazon.reconcile",
    "order_reconciliation": "toolkit.amazon.reconcile",
    "seller_performance_report": "toolkit.amazon.ingest",
    "shrink_rates": "toolkit.portfolio",
    "snapshot_history": "toolkit.amazon.ingest",
    "validate_data": "toolkit.model.data",
    "violation_clearance": "toolkit.compliance.tables",
    "violations_table": "toolkit.compliance.tables",
    "what_if": "toolkit.engine.forecast",
    "wilson_interval": "toolkit.engine.statistics",
    "write_report_json": "toolkit.amazon.ingest",
    "write_sample": "toolkit.sample.generate",
    "write_table": "toolkit.model.output",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), __path__)
