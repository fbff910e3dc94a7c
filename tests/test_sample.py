"""The synthetic sample: same seed, same bytes; valid input; volumes; the personas' facts."""

from __future__ import annotations

import re
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import SAMPLE
from toolkit.cli import main
from toolkit.model.data import Dataset, read_data
from toolkit.model.policy import load_policy
from toolkit.model.schema import TABLES
from toolkit.sample.generate import PERSONA_IDS, SAMPLE_END, generate_sample, write_sample
from toolkit.time.visibility import utc_date, visible_date

DATA_FILES = sorted(f"{name}.csv" for name in TABLES)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    counts = write_sample(out, progress=False)
    return out, counts


@pytest.fixture(scope="module")
def sample() -> Dataset:
    return read_data(SAMPLE).collect()


def test_committed_sample_is_exactly_what_the_generator_writes(regenerated):
    out, counts = regenerated
    # the README and the SP-API report files (sp_api/, tests/test_sample_reports.py) aside
    committed = sorted(p.name for p in SAMPLE.iterdir() if p.is_file() and p.name != "README.md")
    assert committed == DATA_FILES
    assert sorted(p.name for p in out.iterdir()) == DATA_FILES
    for name in DATA_FILES:
        assert (out / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    assert list(counts) == list(TABLES)
    assert counts["orders"] == pl.read_csv(SAMPLE / "orders.csv", infer_schema=False).height


def test_committed_sample_is_valid_small_and_has_every_table(sample):
    assert sum((SAMPLE / name).stat().st_size for name in DATA_FILES) <= 4 * 2**20
    sellers = sample.orders.select(pl.col("seller_id").unique().sort()).collect()
    assert sellers["seller_id"].to_list() == list(PERSONA_IDS)
    for name in TABLES:
        assert sample.table(name).collect().height > 0, name


def test_sample_covers_395_days_ending_on_sample_end(sample):
    days = sample.orders.select(
        first=utc_date(pl.col("purchased_at")).min(), last=utc_date(pl.col("purchased_at")).max()
    ).collect()
    assert days.row(0) == (date(2025, 10, 17), SAMPLE_END)
    cut = pl.lit(SAMPLE_END + timedelta(days=1)).cast(pl.Datetime("us", "UTC"))
    deadlines = ("latest_ship_at", "promised_delivery_at")  # promises, known at purchase
    for name, table in TABLES.items():
        stamps = [
            c.name for c in table.columns if c.kind == "timestamp" and c.name not in deadlines
        ]
        if not stamps:  # the inventory tables have dates (tests/test_sample_inventory.py)
            continue
        late = sample.table(name).filter(pl.any_horizontal(pl.col(c) >= cut for c in stamps))
        assert late.collect().height == 0, name


def test_csv_timestamps_are_utc_iso_with_z():
    pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
    for name, table in TABLES.items():
        frame = pl.read_csv(SAMPLE / f"{name}.csv", infer_schema=False)
        for column in (c.name for c in table.columns if c.kind == "timestamp"):
            values = frame[column].drop_nulls()
            assert values.len() > 0, (name, column)
            assert values.str.contains(pattern).all(), (name, column)


def test_no_email_address_anywhere():
    email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
    for name in DATA_FILES:
        assert not email.search((SAMPLE / name).read_text(encoding="utf-8")), name


def test_feedback_comments_need_escaping(sample):
    comments = sample.feedback.select(pl.col("comment").drop_nulls().unique()).collect()["comment"]
    assert '<script>alert("x")</script>' in comments.to_list()
    for fragment in ("&", "<", ">"):
        assert comments.str.contains(fragment, literal=True).any(), fragment
    assert (~comments.str.contains(r"^[\x00-\x7f]*$")).any()


def test_same_seed_same_tables_and_another_seed_other_tables():
    first = generate_sample(seed=7, sellers=3, days=60)
    again = generate_sample(seed=7, sellers=3, days=60)
    other = generate_sample(seed=8, sellers=3, days=60)
    for name in TABLES:
        assert_frame_equal(first[name], again[name])
    assert not first["orders"].equals(other["orders"])


def test_daily_orders_sets_the_volume_of_generated_sellers():
    tables = generate_sample(sellers=112, days=30, daily_orders=4.0)
    generated = tables["orders"].filter(pl.col("seller_id").str.starts_with("G"))
    assert generated["seller_id"].n_unique() <= 100
    assert generated["seller_id"].min() == "G000001"
    per_seller_day = generated.height / (100 * 30)
    assert 3.6 < per_seller_day < 4.4


def test_parquet_directory_reads_back_as_generated(tmp_path):
    write_sample(tmp_path, sellers=14, days=20, file_format="parquet", progress=False)
    data = read_data(tmp_path).collect()
    expected = generate_sample(sellers=14, days=20)
    for name in TABLES:
        assert_frame_equal(data.table(name).collect(), expected[name])
    write_sample(tmp_path, sellers=2, days=5, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == DATA_FILES


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"sellers": 0}, "sellers", id="no sellers"),
        pytest.param({"days": 0}, "days", id="no days"),
        pytest.param({"daily_orders": 0.0}, "daily_orders", id="no daily orders"),
        pytest.param({"seed": -1}, "seed", id="negative seed"),
    ],
)
def test_bad_arguments_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        generate_sample(**options)


def test_unknown_file_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="file_format"):
        write_sample(tmp_path, file_format="json", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_progress_goes_to_standard_error(tmp_path, capsys):
    write_sample(tmp_path, sellers=14, days=3, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "sample: block 2/2 (2 sellers)" in captured.err


def test_command_line_writes_a_directory(tmp_path, capsys):
    out = tmp_path / "big"
    argv = ["sample", "--out", str(out), "--sellers", "13", "--days", "15"]
    assert main([*argv, "--daily-orders", "2", "--quiet"]) == 0
    assert f"wrote {out}: orders" in capsys.readouterr().out
    sellers = read_data(out).orders.select(pl.col("seller_id").n_unique()).collect().item()
    assert sellers == 13


# ------------------------------------------------------------------- persona facts


def odr_counts(data: Dataset, seller: str, channel: str, as_of: date) -> tuple[int, int]:
    """(orders in the ODR window, orders with a counted defect), following definitions section 4 literally."""
    policy = load_policy()
    odr = policy.metric("odr")
    cadence = policy.cadence_minutes
    first = as_of - timedelta(days=odr.lag_days + odr.window_days - 1)
    last = as_of - timedelta(days=odr.lag_days)
    orders = data.orders.filter(
        (pl.col("seller_id") == seller)
        & (pl.col("channel") == channel)
        & utc_date(pl.col("purchased_at")).is_between(first, last)
        & (visible_date(pl.col("purchased_at"), cadence_minutes=cadence["orders"]) <= as_of)
    ).select("order_id")

    def known(column: str, source: str) -> pl.Expr:
        return visible_date(pl.col(column), cadence_minutes=cadence[source]) <= as_of

    negative = data.feedback.filter(
        (pl.col("rating") <= 2)
        & known("left_at", "feedback")
        & ~known("removed_at", "feedback").fill_null(False)
    )
    stops = pl.col("outcome").is_in(["denied", "withdrawn", "protected"])
    claims = data.claims.filter(
        known("filed_at", "claims") & ~(stops & known("resolved_at", "claims")).fill_null(False)
    )
    won = pl.col("outcome") == "seller_won"
    chargebacks = data.chargebacks.filter(
        (pl.col("kind") == "service")
        & known("filed_at", "chargebacks")
        & ~(won & known("resolved_at", "chargebacks")).fill_null(False)
    )
    defects = pl.concat([t.select("order_id") for t in (negative, claims, chargebacks)]).unique()
    n = orders.collect().height
    bad = orders.join(defects, on="order_id").collect().height
    return n, bad


@pytest.mark.parametrize(
    ("seller", "channel", "as_of", "expected"),
    [
        pytest.param(
            "S03-low-volume",
            "mfn",
            SAMPLE_END,
            (10, 1),
            id="S03 has 10 orders in the window and one counted defect",
        ),
        pytest.param(
            "S03-low-volume",
            "mfn",
            SAMPLE_END - timedelta(days=1),
            (10, 0),
            id="S03's 23:50 feedback is not known the day before",
        ),
        pytest.param("S02-claims-burst", "mfn", SAMPLE_END, (233, 9), id="S02 is over 1 %"),
        pytest.param(
            "S02-claims-burst", "mfn", date(2026, 10, 11), (219, 14), id="S02 at its peak"
        ),
        pytest.param("S07-recovering", "mfn", SAMPLE_END, (310, 3), id="S07 is back under 1 %"),
        pytest.param("S07-recovering", "mfn", date(2026, 10, 6), (273, 9), id="S07 at its peak"),
        pytest.param("S09-new-seller", "mfn", SAMPLE_END, (40, 1), id="S09 has few orders"),
        pytest.param("S10-disputes", "mfn", SAMPLE_END, (172, 1), id="S10 has one counted defect"),
        pytest.param(
            "S10-disputes", "mfn", date(2026, 10, 19), (187, 5), id="S10 while disputes are open"
        ),
        pytest.param(
            "S10-disputes", "mfn", date(2026, 10, 29), (178, 1), id="S10 once they are decided"
        ),
        pytest.param("S01-steady", "mfn", SAMPLE_END, (195, 0), id="S01 has no defect"),
    ],
)
def test_persona_odr_facts(sample, seller, channel, as_of, expected):
    assert odr_counts(sample, seller, channel, as_of) == expected


@pytest.mark.parametrize(
    ("seller", "channel", "metric", "expected"),
    [
        pytest.param("S02-claims-burst", "mfn", "odr", (9, 233, "bad"), id="S02 odr is bad"),
        pytest.param(
            "S03-low-volume", "mfn", "odr", (1, 10, "bad_low_volume"), id="S03 is low volume"
        ),
        pytest.param("S07-recovering", "mfn", "odr", (3, 310, "watch"), id="S07 is on watch"),
        pytest.param(
            "S09-new-seller", "mfn", "odr", (1, 40, "bad_low_volume"), id="S09 is low volume"
        ),
        pytest.param("S10-disputes", "mfn", "odr", (1, 172, "good"), id="S10 is good"),
        pytest.param(
            "S12-tracking", "mfn", "vtr_30d", (75, 82, "bad_low_volume"), id="S12 tracking"
        ),
        pytest.param("S08-business-invoices", "all", "idr_7d", (0, 20, "good"), id="S08 idr"),
    ],
)
def test_metric_engine_tells_the_same_stories(sample, seller, channel, metric, expected):
    from toolkit.engine.metrics import metrics_table

    row = (
        metrics_table(sample, as_of=SAMPLE_END)
        .filter(
            (pl.col("seller_id") == seller)
            & (pl.col("channel") == channel)
            & (pl.col("metric") == metric)
        )
        .select("numerator", "denominator", "status")
        .collect()
    )
    assert row.rows() == [expected]


def test_s06_violations_cover_every_state(sample):
    rows = (
        sample.violations.filter(pl.col("seller_id") == "S06-violations")
        .select("category", "severity", "resolution")
        .collect()
    )
    assert rows.height == 8
    assert set(rows["resolution"].to_list()) == {
        None,
        "action_taken",
        "appeal_accepted",
        "appeal_rejected",
        "disputed_error",
    }
    assert rows.filter(pl.col("category") == "product_condition").height == 3
    assert rows.filter(pl.col("severity") == "critical").height == 1


def test_s10_has_removed_feedback_denied_claims_and_chargebacks_that_do_not_count(sample):
    orders = sample.orders.filter(pl.col("seller_id") == "S10-disputes").select("order_id")
    feedback = sample.feedback.join(orders, on="order_id").collect()
    removals = feedback.filter(pl.col("rating") <= 2)["removal"].drop_nulls().unique().sort()
    assert removals.to_list() == ["amazon_removed", "buyer_removed", "struck_through"]
    claims = sample.claims.join(orders, on="order_id").collect()
    assert claims.filter(pl.col("outcome") == "denied").height >= 3
    charges = sample.chargebacks.join(orders, on="order_id").collect().sort("kind", "outcome")
    assert charges.select("kind", "outcome").rows() == [
        ("fraud", "pending"),
        ("fraud", "seller_lost"),
        ("service", "seller_won"),
    ]
