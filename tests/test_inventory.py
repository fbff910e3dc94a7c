"""IPI components, bands and the unofficial proxy on hand-built SKUs (definitions section 11).

Every SKU here is a handful of numbers spread over dates by :func:`sku`; the expected
values are worked out by hand in the comments.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from fractions import Fraction

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.inventory import band, inventory_sku_table, inventory_table, ipi_proxy
from toolkit.model.data import dataset_from_frames
from toolkit.model.policy import load_policy
from toolkit.model.resources import policy_text

D = date(2025, 6, 30)
ORDERS = pl.DataFrame(
    {"order_id": ["O"], "seller_id": ["S1"], "channel": ["afn"], "purchased_at": ["2025-06-01"]}
)
Value = int | Callable[[int], int] | None


def ago(n: int) -> date:
    return D - timedelta(days=n)


def sku(
    name: str,
    *,
    first: int = 119,
    last: int = 0,
    on_hand: Value = 10,
    available: Value = None,
    stranded: Value = 0,
    shipped: Value = 0,
    excess: Value = None,
    replenishable: bool = True,
    seller: str = "S1",
    market: str = "US",
) -> pl.DataFrame:
    """Rows of one SKU on ``D-first .. D-last``; a value is a number or a function of
    the number of days before D; ``available`` defaults to ``on_hand - stranded``."""

    def at(value: Value, n: int):
        return value(n) if callable(value) else value

    offsets = range(first, last - 1, -1)
    rows = {
        "date": [ago(n) for n in offsets],
        "seller_id": seller,
        "marketplace": market,
        "sku": name,
        "on_hand": [at(on_hand, n) for n in offsets],
        "available": [
            at(available, n) if available is not None else at(on_hand, n) - at(stranded, n)
            for n in offsets
        ],
        "stranded": [at(stranded, n) for n in offsets],
        "shipped": [at(shipped, n) for n in offsets],
        "excess": pl.Series([at(excess, n) for n in offsets], dtype=pl.Int64),
        "replenishable": replenishable,
    }
    return pl.DataFrame(rows)


def data_of(*skus: pl.DataFrame):
    return dataset_from_frames(orders=ORDERS, inventory=pl.concat(skus))


def seller_row(*skus: pl.DataFrame, policy=None, **options) -> dict:
    (row,) = (
        inventory_table(data_of(*skus), as_of=D, policy=policy, **options)
        .collect()
        .rows(named=True)
    )
    return row


def on(days: set[int], units: int = 1) -> Callable[[int], int]:
    """``units`` on the given days before D, else 0."""
    return lambda n: units if n in days else 0


# ------------------------------------------------------------------ sell-through


def test_sell_through_is_shipped_over_the_mean_of_four_snapshots():
    # shipped on D-89 .. D: 1 unit on each of D-89 and D (D-90 is outside): 2 units
    # on hand: D 10, D-30 20, D-60 30, D-90 20 -> mean 20; 2 / 20 = 0.1
    snapshots = {0: 10, 30: 20, 60: 30, 90: 20}
    row = seller_row(sku("A", on_hand=lambda n: snapshots.get(n, 7), shipped=on({90, 89, 0})))
    assert row["shipped_90d"] == 2
    assert row["sell_through_90d"] == pytest.approx(0.1)
    assert row["sell_through_90d_band"] == "poor"


def test_amazons_sell_through_example_is_one_and_a_half():
    # 120 shipped over 90 days against 80 on hand on average: 1.5, fair
    row = seller_row(sku("A", on_hand=80, shipped=lambda n: 4 if n < 30 else 0))
    assert (row["shipped_90d"], row["sell_through_90d"]) == (120, 1.5)
    assert row["sell_through_90d_band"] == "fair"


def test_a_snapshot_date_without_a_row_counts_zero():
    # B ended on D-40: no rows on D and D-30; its D-60 and D-90 snapshots count.
    # A: 10 on hand on every snapshot. Sum of snapshots: 40 (A) + 8 + 8 (B) = 56, mean 14;
    # shipped: A 3 on D-10, B 4 on D-50: 7 / 14 = 0.5
    row = seller_row(
        sku("A", shipped=on({10}, 3)),
        sku("B", last=40, on_hand=8, shipped=on({50}, 4)),
    )
    assert (row["skus"], row["units_on_hand"], row["shipped_90d"]) == (2, 10, 7)
    assert row["sell_through_90d"] == 0.5


# -------------------------------------------------------------------- new SKUs


@pytest.mark.parametrize(
    ("first", "counted"),
    [
        pytest.param(90, True, id="first row exactly 90 days before D counts"),
        pytest.param(89, False, id="first row 89 days before D is a new SKU"),
        pytest.param(0, False, id="a SKU that arrived on D is new"),
    ],
)
def test_new_skus_inside_90_days_do_not_count(first, counted):
    old = sku("OLD", on_hand=10, stranded=2)
    new = sku("NEW", first=first, on_hand=30, stranded=30, shipped=1)
    row = seller_row(old, new)
    if counted:
        # 40 on hand, 32 stranded
        assert (row["skus"], row["units_on_hand"], row["stranded_units"]) == (2, 40, 32)
        assert row["stranded_pct"] == 0.8
    else:
        assert (row["skus"], row["units_on_hand"], row["stranded_units"]) == (1, 10, 2)
        assert row["stranded_pct"] == 0.2
        assert row["shipped_90d"] == 0
    skus = inventory_sku_table(data_of(old, new), as_of=D).collect()
    assert dict(zip(skus["sku"], skus["counted"], strict=True)) == {"NEW": counted, "OLD": True}


# ------------------------------------------------------------ excess, stranded


def test_excess_takes_amazons_estimate_where_known_else_over_90_days_of_supply():
    # A: Amazon says 7 excess. B: 100 available, 30 shipped over D-29 .. D (1 a day):
    # 90 days of supply = 90, so 10 excess. C: sells 2 a day: 180 days cover 100: none.
    row = seller_row(
        sku("A", on_hand=50, excess=7),
        sku("B", on_hand=100, shipped=1),
        sku("C", on_hand=100, shipped=2),
    )
    assert (row["excess_units"], row["units_on_hand"]) == (17, 250)
    assert row["excess_pct"] == pytest.approx(17 / 250)
    assert row["excess_pct_band"] == "info"


def test_excess_cover_is_rounded_up_to_whole_units(tmp_path):
    # with 7 days of demand: 2 shipped in D-6 .. D -> 90 x 2 / 7 = 25.7 -> 26 units of cover
    path = tmp_path / "policy.toml"
    path.write_text(policy_text().replace("excess_demand_days = 30", "excess_demand_days = 7"))
    policy = load_policy(path)
    row = seller_row(sku("A", on_hand=40, shipped=on({3, 5})), policy=policy)
    assert row["excess_units"] == 40 - 26


def test_stranded_share_of_units_on_hand_on_d():
    row = seller_row(
        sku("A", on_hand=lambda n: 20 if n == 0 else 5, stranded=lambda n: 5 if n == 0 else 0),
        sku("B", on_hand=30),
    )
    assert (row["stranded_units"], row["units_on_hand"]) == (5, 50)
    assert row["stranded_pct"] == 0.1
    assert row["stranded_pct_band"] == "info"


def test_a_sku_ending_before_d_has_nothing_on_d_but_keeps_its_history():
    # E ended on D-5 with 6 units on hand (stranded): on D it has none; its shipments of
    # D-20 still count, and so do its days in stock (D-29 .. D-5: 25 days)
    ended = sku("E", last=5, on_hand=6, available=6, shipped=on({20}, 2))
    row = seller_row(sku("A", on_hand=4), ended)
    assert (row["units_on_hand"], row["shipped_90d"], row["skus"]) == (4, 2, 2)
    (e,) = (
        inventory_sku_table(data_of(sku("A", on_hand=4), ended), as_of=D)
        .filter(pl.col("sku") == "E")
        .collect()
        .rows(named=True)
    )
    assert (e["units_on_hand"], e["days_in_stock_30d"], e["in_stock_weight"]) == (0, 25, 2)
    assert e["excess_pct"] is None and e["excess_pct_band"] == "no_data"
    assert e["action"] == "restock"


# ---------------------------------------------------------------- in-stock rate


def test_amazons_in_stock_example_gives_80_percent():
    # weights 2 and 3 (units shipped in 60 days), in stock 50 % and 100 % of 30 days
    half = sku("A", available=lambda n: 10 if n >= 15 else 0, shipped=on({40, 45}))
    full = sku("B", shipped=on({1, 2, 3}))
    row = seller_row(half, full)
    assert row["in_stock_rate_30d"] == 0.8
    assert row["in_stock_rate_30d_band"] == "fair"


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(sku("C", available=0, shipped=0), id="a SKU without sales in 60 days"),
        pytest.param(
            sku("C", available=0, shipped=on({5}), replenishable=False),
            id="a SKU marked not replenishable",
        ),
        pytest.param(
            sku("C", first=80, available=0, shipped=on({5}, 50)), id="a new SKU (inside 90 days)"
        ),
        pytest.param(
            sku("C", available=0, shipped=on({61}, 9)), id="sales 61 days ago are too old"
        ),
    ],
)
def test_skus_outside_the_in_stock_rate(other):
    half = sku("A", available=lambda n: 10 if n >= 15 else 0, shipped=on({40, 45}))
    full = sku("B", shipped=on({1, 2, 3}))
    assert seller_row(half, full, other)["in_stock_rate_30d"] == 0.8


def test_the_replenishable_flag_is_the_one_of_the_latest_row():
    # marked not replenishable until D-1, replenishable again on D: it counts
    flagged = sku("C", available=0, shipped=on({5})).with_columns(replenishable=pl.col("date") == D)
    row = seller_row(sku("B", shipped=on({1})), flagged)
    assert row["in_stock_rate_30d"] == 0.5  # (1 x 100 % + 1 x 0 %) / 2


def test_no_qualifying_sku_gives_no_in_stock_rate():
    row = seller_row(sku("A", shipped=0))
    assert row["in_stock_rate_30d"] is None
    assert row["in_stock_rate_30d_band"] == "no_data"


# ----------------------------------------------------------------- zero denominators


def test_zero_denominators_give_null_components_and_no_proxy():
    row = seller_row(sku("A", on_hand=0, available=0))
    assert row["skus"] == 1
    for component in ("sell_through_90d", "excess_pct", "stranded_pct", "in_stock_rate_30d"):
        assert row[component] is None, component
        assert row[f"{component}_band"] == "no_data", component
    assert row["ipi_proxy"] is None


def test_a_seller_with_only_new_skus_has_a_row_without_data():
    row = seller_row(sku("A", first=30, shipped=1))
    assert (row["skus"], row["units_on_hand"], row["ipi_proxy"]) == (0, 0, None)


def test_on_hand_zero_today_but_not_before_keeps_sell_through():
    # sold out on D: stranded and excess have no denominator, sell-through has one
    row = seller_row(sku("A", on_hand=lambda n: 0 if n == 0 else 30, shipped=on({0}, 30)))
    assert row["excess_pct"] is None and row["stranded_pct"] is None
    assert row["sell_through_90d"] == pytest.approx(30 / (90 / 4))


# -------------------------------------------------------------------- band edges


IN_STOCK = load_policy().inventory.bands["in_stock_rate_30d"]
SELL = load_policy().inventory.bands["sell_through_90d"]


@pytest.mark.parametrize(
    ("n", "d", "edges", "expected"),
    [
        pytest.param(30, 30, IN_STOCK, "excellent", id="in stock every day is excellent"),
        pytest.param(29, 30, IN_STOCK, "good", id="in stock 29 of 30 days is good"),
        pytest.param(27, 30, IN_STOCK, "good", id="exactly 90 % is good"),
        pytest.param(899, 1000, IN_STOCK, "fair", id="89.9 % is fair"),
        pytest.param(21, 30, IN_STOCK, "fair", id="exactly 70 % is fair"),
        pytest.param(6999, 10000, IN_STOCK, "poor", id="69.99 % is poor"),
        pytest.param(8, 4, SELL, "good", id="sell-through exactly 2 is good"),
        pytest.param(7999, 4000, SELL, "fair", id="sell-through just below 2 is fair"),
        pytest.param(4, 4, SELL, "fair", id="sell-through exactly 1 is fair"),
        pytest.param(3999, 4000, SELL, "poor", id="sell-through just below 1 is poor"),
        pytest.param(0, 0, SELL, "no_data", id="no denominator is no data"),
    ],
)
def test_band_edges_are_exact(n, d, edges, expected):
    frame = pl.DataFrame({"n": [n], "d": [d]})
    assert frame.select(band(pl.col("n"), pl.col("d"), edges=edges)).item() == expected


@pytest.mark.parametrize(
    ("days_in_stock", "expected"),
    [
        pytest.param(30, "excellent", id="thirty days in stock"),
        pytest.param(27, "good", id="twenty-seven days in stock is exactly 90 %"),
        pytest.param(26, "fair", id="twenty-six days in stock"),
        pytest.param(21, "fair", id="twenty-one days in stock is exactly 70 %"),
        pytest.param(20, "poor", id="twenty days in stock"),
    ],
)
def test_in_stock_band_edges_through_the_table(days_in_stock, expected):
    row = seller_row(sku("A", available=lambda n: 10 if n < days_in_stock else 0, shipped=on({1})))
    assert row["in_stock_rate_30d"] == pytest.approx(days_in_stock / 30)
    assert row["in_stock_rate_30d_band"] == expected


# ---------------------------------------------------------------------- the proxy


def test_proxy_with_the_default_weights():
    # sell-through 120/80 = 1.5 -> 0.5; excess 0 -> 1; stranded 8/80 = 0.1 -> 0;
    # in stock every day -> 1: 1000 x (0.35 x 0.5 + 0.35 + 0 + 0.15) = 675
    row = seller_row(sku("A", on_hand=80, stranded=lambda n: 8 if n == 0 else 0,
                         shipped=lambda n: 4 if n < 30 else 0))  # fmt: skip
    assert (row["sell_through_90d"], row["excess_pct"], row["stranded_pct"]) == (1.5, 0.0, 0.1)
    assert row["ipi_proxy"] == 675


@pytest.mark.parametrize(
    ("excess", "expected"),
    [
        pytest.param(1, 1000, id="999.5 rounds up to 1000"),
        pytest.param(3, 999, id="998.5 rounds up to 999, not to even"),
        pytest.param(2, 999, id="999 is exact"),
    ],
)
def test_proxy_rounds_halves_up_exactly(excess, expected):
    # excess weight only: 1000 x (1 - (excess / 4000) / 0.5) = 1000 - excess / 2
    weights = {
        "sell_through_90d": Fraction(0),
        "excess_pct": Fraction(1),
        "stranded_pct": Fraction(0),
        "in_stock_rate_30d": Fraction(0),
    }
    row = seller_row(sku("A", on_hand=4000, excess=excess), weights=weights)
    assert row["ipi_proxy"] == expected


def test_proxy_of_a_half_by_expression():
    frame = pl.DataFrame({"n": [1, 3], "d": [2000, 2000]})
    w = {"x": Fraction(1)}
    got = frame.select(ipi_proxy({"x": (pl.col("n"), pl.col("d"))}, weights=w)).to_series()
    assert got.to_list() == [1, 2]  # 0.5 -> 1, 1.5 -> 2


def test_a_null_component_drops_out_with_its_weight():
    # no sales in 60 days: no in-stock rate. sell-through 0 -> 0, excess: 100 available,
    # no demand -> 100 excess of 100 -> 0; stranded 0 -> 1: 1000 x 0.15 / 0.85 = 176.47
    row = seller_row(sku("A", on_hand=100, shipped=0))
    assert row["in_stock_rate_30d"] is None
    assert row["ipi_proxy"] == 176


def test_calibrated_weights_per_marketplace_replace_the_policy_weights():
    weights = {
        "sell_through_90d": Fraction(0),
        "excess_pct": Fraction(0),
        "stranded_pct": Fraction(1),
        "in_stock_rate_30d": Fraction(0),
    }
    a = sku("A", on_hand=100, shipped=0)  # stranded 0 -> score 1
    row = seller_row(a, by_market={"US": weights})
    assert row["ipi_proxy"] == 1000
    assert seller_row(a, by_market={"CA": weights})["ipi_proxy"] == 176


# ----------------------------------------------------------------- marketplaces


def test_a_marketplace_without_the_in_stock_factor():
    # the same SKU in the US and in Canada: Canada's proxy leaves the in-stock rate out.
    # sell-through 120/80 -> 0.5, excess 0 -> 1, stranded 0 -> 1, in stock half the days
    # US: 1000 x (0.35 x 0.5 + 0.35 + 0.15 + 0.15 x 0.5) = 750
    # CA: 1000 x (0.35 x 0.5 + 0.35 + 0.15) / 0.85 = 794.1
    def make(market):
        return sku(
            "A",
            market=market,
            on_hand=80,
            available=lambda n: 80 if n >= 15 else 0,
            shipped=lambda n: 4 if n < 30 else 0,
        )

    table = inventory_table(data_of(make("US"), make("CA")), as_of=D).collect()
    rows = {r["marketplace"]: r for r in table.rows(named=True)}
    assert rows["US"]["in_stock_rate_30d"] == 0.5
    assert rows["US"]["in_stock_rate_30d_band"] == "poor"
    assert rows["US"]["ipi_proxy"] == 750
    assert rows["CA"]["in_stock_rate_30d"] is None
    assert rows["CA"]["in_stock_rate_30d_band"] == "not_used"
    assert rows["CA"]["ipi_proxy"] == 794
    assert rows["CA"]["sell_through_90d"] == rows["US"]["sell_through_90d"] == 1.5


# ------------------------------------------------------------- tables and ranges


def test_a_range_is_the_same_as_each_date_alone():
    skus = (
        sku("A", on_hand=lambda n: 50 + n % 7, shipped=lambda n: n % 3,
            available=lambda n: 0 if n % 11 == 0 else 40),
        sku("B", first=100, last=3, on_hand=20, stranded=lambda n: 5 if n < 20 else 0),
        sku("C", first=95, on_hand=9, excess=lambda n: n % 4, shipped=on({2, 9, 50})),
    )  # fmt: skip
    data = data_of(*skus)
    history = inventory_table(data, as_of=ago(12), to=D).collect()
    assert history.height == 13
    for n in (12, 5, 0):
        one = inventory_table(data, as_of=ago(n)).collect()
        assert_frame_equal(history.filter(pl.col("as_of") == ago(n)), one)
    by_sku = inventory_sku_table(data, as_of=ago(12), to=D).collect()
    one = inventory_sku_table(data, as_of=ago(4)).collect()
    assert_frame_equal(by_sku.filter(pl.col("as_of") == ago(4)), one)


def test_sku_rows_name_the_action_for_each_problem():
    data = data_of(
        sku("STRANDED", on_hand=20, stranded=lambda n: 20 if n < 10 else 0, shipped=on({50})),
        sku("DEAD", on_hand=40, shipped=on({100})),  # excess, no sale in 90 days
        sku("SLOW", on_hand=400, shipped=on({5})),  # excess that still sells
        sku("OUT", on_hand=lambda n: 0 if n < 3 else 10, shipped=on({20})),
        sku("FINE", on_hand=30, shipped=1),
    )
    table = inventory_sku_table(data, as_of=D).collect()
    assert dict(zip(table["sku"], table["action"], strict=True)) == {
        "DEAD": "create_removal_order",
        "FINE": None,
        "OUT": "restock",
        "SLOW": "reprice",
        "STRANDED": "fix_listing",
    }
    fine = table.filter(pl.col("sku") == "FINE").row(0, named=True)
    # 90 shipped / 30 on hand = 3 -> good; 30 days in stock; weight 60 units
    assert (fine["sell_through_90d"], fine["sell_through_90d_band"]) == (3.0, "good")
    assert (fine["in_stock_rate_30d"], fine["in_stock_weight"]) == (1.0, 60)
    assert fine["ipi_proxy"] == 1000


def test_sellers_without_inventory_rows_are_absent_and_to_before_as_of_is_an_error():
    from toolkit.model.errors import OptionError

    data = data_of(sku("A"))
    assert inventory_table(data, as_of=D).collect()["seller_id"].to_list() == ["S1"]
    with pytest.raises(OptionError, match="before as_of"):
        inventory_table(data, as_of=D, to=ago(1))
    empty = dataset_from_frames(orders=ORDERS)
    assert inventory_table(empty, as_of=D).collect().height == 0
    assert inventory_sku_table(empty, as_of=D).collect().height == 0
