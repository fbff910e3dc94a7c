"""Real Amazon inputs (definitions section 7): read Amazon's reports, write the SP-API shape.

- :func:`read_seller_performance`: ``GET_V2_SELLER_PERFORMANCE_REPORT`` JSON files into the
  snapshot table; :func:`snapshot_history` turns many daily snapshots into series.
- :func:`read_feedback_report` and :func:`read_orders_report`: the seller feedback and
  all-orders flat files into docs/definitions.md ``feedback`` and ``orders`` tables.
- :func:`read_inventory_reports`: the FBA ledger summary, stranded inventory and
  inventory planning reports into the definitions section 11 ``inventory`` table
  (:func:`add_inventory_reports` adds stranded and planning files to an existing one).
- :func:`read_returns_report`: the seller-fulfilled returns report
  (``GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE``) into the definitions section 12 ``returns`` table.
- :func:`seller_performance_report` and :func:`write_report_json`: the toolkit's own
  numbers as a report in the SP-API shape.

Every reader raises :class:`toolkit.model.data.DataError` naming the file (and rows, column and
value for flat files) and returns nothing when any input is bad. See ``docs/ingest.md``.
"""

from toolkit.amazon.export import (
    AHR_STATUS,
    AMAZON_STATUS,
    seller_performance_report,
    write_report_json,
)
from toolkit.amazon.ingest.feedback import FEEDBACK_DATE_FORMATS, read_feedback_report
from toolkit.amazon.ingest.history import snapshot_history
from toolkit.amazon.ingest.inventory import (
    add_inventory_reports,
    read_inventory_reports,
    read_inventory_table,
)
from toolkit.amazon.ingest.orders import read_orders_report
from toolkit.amazon.ingest.returns import read_returns_report
from toolkit.amazon.ingest.sp_api import (
    parse_seller_performance,
    read_seller_performance,
    seller_from_path,
)
from toolkit.amazon.marketplaces import MARKETPLACE_IDS, marketplace_code, marketplace_id
from toolkit.amazon.report_shape import SNAPSHOT_KEYS, SNAPSHOT_SCHEMA

__all__ = [
    "AHR_STATUS",
    "AMAZON_STATUS",
    "FEEDBACK_DATE_FORMATS",
    "MARKETPLACE_IDS",
    "SNAPSHOT_KEYS",
    "SNAPSHOT_SCHEMA",
    "add_inventory_reports",
    "marketplace_code",
    "marketplace_id",
    "parse_seller_performance",
    "read_feedback_report",
    "read_inventory_reports",
    "read_inventory_table",
    "read_orders_report",
    "read_returns_report",
    "read_seller_performance",
    "seller_from_path",
    "seller_performance_report",
    "snapshot_history",
    "write_report_json",
]
