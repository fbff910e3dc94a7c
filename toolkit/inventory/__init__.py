"""Inventory performance (FBA, definitions section 11): the IPI components, an unofficial proxy.

Amazon's Inventory Performance Index (IPI) has four published components and no published
formula. This package computes the components exactly as Amazon defines them, per seller,
marketplace and as-of date and per SKU, with their bands; apart, an **IPI proxy** that is
the toolkit's own (unofficial) weighting of them, its calibration against scores a seller
saw on the dashboard, and the evaluation periods that decided storage and capacity limits.

- :func:`inventory_table`, :func:`inventory_sku_table`: components, bands and the proxy;
- :func:`inventory_periods`: evaluation periods, checkpoints, thresholds, ``limit_risk``;
- :func:`calibrate_proxy`: non-negative weights fitted to observed scores;
- :func:`sku_facts`: the per-SKU daily facts every component is built from;
- :func:`band` and :func:`ipi_proxy`: the exact expression builders.

Imports :mod:`toolkit.model` and :mod:`toolkit.time`. See ``docs/inventory.md``.
"""

from toolkit.inventory.calibration import Calibration, calibrate_proxy
from toolkit.inventory.facts import SKU_KEYS, sku_facts
from toolkit.inventory.periods import evaluation_calendar, inventory_periods
from toolkit.inventory.scores import BANDS, band, ipi_proxy
from toolkit.inventory.tables import inventory_sku_table, inventory_table

__all__ = [
    "BANDS",
    "SKU_KEYS",
    "Calibration",
    "band",
    "calibrate_proxy",
    "evaluation_calendar",
    "inventory_periods",
    "inventory_sku_table",
    "inventory_table",
    "ipi_proxy",
    "sku_facts",
]
