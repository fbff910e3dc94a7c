"""Amazon marketplaces: SP-API marketplace ids and country codes.

The seller performance report names marketplaces by id (``ATVPDKIKX0DER``); the toolkit's
tables use the country code (``US``). An id that is not in the table is kept as it is, so
nothing is lost and a round trip through :func:`marketplace_id` gives the id back.

Examples
--------
>>> from toolkit.amazon.marketplaces import marketplace_code, marketplace_id
>>> marketplace_code("A1PA6795UKMFR9"), marketplace_code("A0UNKNOWNID")
('DE', 'A0UNKNOWNID')
>>> marketplace_id("UK"), marketplace_id("A0UNKNOWNID")
('A1F83G8C2ARO7P', 'A0UNKNOWNID')
"""

from __future__ import annotations

__all__ = ["MARKETPLACE_IDS", "marketplace_code", "marketplace_id"]

#: Country code -> SP-API marketplace id (Amazon's published list).
MARKETPLACE_IDS = {
    "US": "ATVPDKIKX0DER",
    "CA": "A2EUQ1WTGCTBG2",
    "MX": "A1AM78C64UM0Y8",
    "BR": "A2Q3Y263D00KWC",
    "UK": "A1F83G8C2ARO7P",
    "IE": "A28R8C7NBKEWEA",
    "DE": "A1PA6795UKMFR9",
    "FR": "A13V1IB3VIYZZH",
    "IT": "APJ6JRA9NG5V4",
    "ES": "A1RKKUPIHCS9HS",
    "NL": "A1805IZSGTT6HS",
    "BE": "AMEN7PMS3EDWL",
    "SE": "A2NODRKZP88ZB9",
    "PL": "A1C3SOZRARQ6R3",
    "TR": "A33AVAJ2PDY3EV",
    "EG": "ARBP9OOSHTCHU",
    "SA": "A17E79C6D8DWNP",
    "AE": "A2VIGQ35RCS4UG",
    "IN": "A21TJRUUN4KGV",
    "ZA": "AE08WJ6YKNBMC",
    "JP": "A1VC38T7YXB528",
    "AU": "A39IBJ37TRP1C6",
    "SG": "A19VAU5U5O7RUS",
}
_CODES = {marketplace: code for code, marketplace in MARKETPLACE_IDS.items()}


def marketplace_code(marketplace_id: str) -> str:
    """The country code of an SP-API marketplace id, or the id itself when unknown."""
    return _CODES.get(marketplace_id, marketplace_id)


def marketplace_id(code: str) -> str:
    """The SP-API marketplace id of a country code, or the code itself when unknown."""
    return MARKETPLACE_IDS.get(code, code)
