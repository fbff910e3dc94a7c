"""A tiny data directory for the report tests (not a test module).

Four sellers with ten mfn orders each, bought 1-10 May 2025 (in the ODR window of 30 June
2025), as of 30 June 2025:

- ``acme/../bad``: two orders with 1-star feedback -> ODR 2/10, ``bad`` (p = 0.0043);
- ``low volume``: one 1-star feedback whose comment is a script -> ODR 1/10,
  ``bad_low_volume`` (p = 0.0956);
- ``critical``: no defect, but an open critical violation -> AHR estimate 0, ``critical``;
- ``ok``: nothing wrong.

The feedback file has an extra ``rater_email`` column (buyer personal data) that must never
reach a result table or a page.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

AS_OF = date(2025, 6, 30)
SELLERS = ("acme/../bad", "low volume", "critical", "ok")
SCRIPT = "<script>alert('x')</script>"
EMAIL = "buyer.secret@example.com"


def write_tiny(directory: Path) -> Path:
    """Write the tiny data directory (CSV files) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    orders = pl.DataFrame(
        {
            "order_id": [f"{i}-O{n}" for i in range(4) for n in range(10)],
            "seller_id": [s for s in SELLERS for _ in range(10)],
            "channel": ["mfn"] * 40,
            "purchased_at": [f"2025-05-{n + 1:02d}T12:00:00Z" for _ in SELLERS for n in range(10)],
            "latest_ship_at": [
                f"2025-05-{n + 2:02d}T23:59:59Z" for _ in SELLERS for n in range(10)
            ],
            "shipped_at": [f"2025-05-{n + 2:02d}T10:00:00Z" for _ in SELLERS for n in range(10)],
        }
    )
    orders.write_csv(directory / "orders.csv")
    pl.DataFrame(
        {
            "feedback_id": ["F1", "F2", "F3", "F4"],
            "order_id": ["0-O1", "0-O2", "1-O3", "3-O4"],
            "rating": [1, 2, 1, 5],
            "left_at": [
                "2025-05-20T09:00:00Z",
                "2025-05-21T09:00:00Z",
                "2025-05-22T09:00:00Z",
                "2025-06-29T09:00:00Z",
            ],
            "comment": ["Never arrived", "Late & broken", SCRIPT, "Great"],
            "rater_email": [EMAIL] * 4,
        }
    ).write_csv(directory / "feedback.csv")
    pl.DataFrame(
        {
            "violation_id": ["V1"],
            "seller_id": ["critical"],
            "category": ["product_safety"],
            "severity": ["critical"],
            "detected_at": ["2025-06-20T08:00:00Z"],
        }
    ).write_csv(directory / "violations.csv")
    return directory
