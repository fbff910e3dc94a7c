"""Range computations agree with per-date single computations and with a brute force.

The brute force reads definitions section 6 literally, one as-of date at a time, in plain Python:
what is known at D, what is displayed and active on D, the ranks of D's active violations.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from toolkit.compliance.ahr import ahr_table
from toolkit.compliance.tables import violation_clearance, violations_table
from toolkit.model.data import dataset_from_frames
from toolkit.model.policy import load_policy

POLICY = load_policy()
ADDRESSED = {"appeal_accepted", "action_taken", "acknowledged"}
RESOLUTIONS = [None, None, "appeal_accepted", "action_taken", "acknowledged"]
RESOLUTIONS += ["appeal_rejected", "disputed_error"]
START, END = date(2025, 1, 1), date(2025, 12, 31)


def visible(ts: datetime | None, cadence: int) -> date | None:
    """Visible date, written independently of toolkit.time.visibility."""
    if ts is None:
        return None
    midnight = datetime.combine(ts.date(), time(), tzinfo=UTC)
    step = timedelta(minutes=cadence)
    slots = -((midnight - ts) // step)  # ceiling division
    return min(midnight + slots * step, midnight + timedelta(days=1)).date()


def random_data(seed: int):
    rng = random.Random(seed)
    base = datetime(2024, 10, 1, tzinfo=UTC)
    sellers = [("S1", "US"), ("S1", "CA"), ("S2", "US"), ("S3", "US")]
    violations = []
    for i in range(60):
        seller, market = rng.choice(sellers[:3])
        detected = base + timedelta(minutes=rng.randrange(0, 400 * 1440))
        if rng.random() < 0.25:  # crowd the day boundary
            detected = detected.replace(hour=23, minute=rng.randrange(25, 60))
        if i and rng.random() < 0.1:  # same instant as an earlier one: ids break the tie
            detected = violations[-1]["detected_at"]
        resolution = rng.choice(RESOLUTIONS)
        resolved = None
        if resolution:
            resolved = detected + timedelta(
                minutes=rng.choice([0, 30, 600, rng.randrange(0, 250 * 1440)])
            )
        violations.append(
            {
                "violation_id": f"V{i}",
                "seller_id": seller,
                "marketplace": market,
                "category": rng.choice(["listing_policy", "product_safety"]),
                "severity": rng.choice(["low", "medium", "high", "high", "critical"]),
                "detected_at": detected,
                "resolution": resolution,
                "resolved_at": resolved,
            }
        )
    orders = []
    for i in range(1500):
        seller, market = rng.choice(sellers)
        purchased = base + timedelta(minutes=rng.randrange(0, 450 * 1440))
        shipped = (
            purchased + timedelta(minutes=rng.randrange(0, 5 * 1440))
            if rng.random() < 0.9
            else None
        )
        orders.append(
            {
                "order_id": f"O{i}",
                "seller_id": seller,
                "marketplace": market,
                "channel": rng.choice(["mfn", "afn"]),
                "purchased_at": purchased,
                "shipped_at": shipped,
            }
        )
    utc = pl.Datetime("us", "UTC")
    data = dataset_from_frames(
        orders=pl.DataFrame(orders, schema_overrides={"purchased_at": utc, "shipped_at": utc}),
        violations=pl.DataFrame(
            violations, schema_overrides={"detected_at": utc, "resolved_at": utc}
        ),
    ).collect()
    return data, violations, orders


def brute_force(violations, orders, policy, day: date):
    """(violations rows, ahr rows, clearance rows) at ``day``, straight from definitions section 6."""
    cadence = policy.cadence_minutes["violations"]
    dd = timedelta(days=policy.display_days)
    one = timedelta(days=1)
    rows = []
    for v in violations:
        det = visible(v["detected_at"], cadence)
        if det > day:
            continue
        res = visible(v["resolved_at"], cadence)
        known = res is not None and res <= day
        disputed = known and v["resolution"] == "disputed_error"
        addressed = known and v["resolution"] in ADDRESSED
        if policy.display_anchor == "detected":
            natural_end = det + dd
        else:
            natural_end = res + dd if addressed else None
        display_end = natural_end
        if disputed:
            display_end = res if display_end is None else min(display_end, res)
        cost_end = display_end
        if addressed:
            cost_end = res if cost_end is None else min(cost_end, res)
        if disputed:
            status = "removed_as_error"
        elif display_end is not None and day >= display_end:
            status = "expired"
        elif addressed:
            status = "addressed"
        else:
            status = "open"
        rows.append(
            dict(
                v,
                det=det,
                displayed=display_end is None or day < display_end,
                active=cost_end is None or day < cost_end,
                displayed_until=None
                if display_end is None or display_end <= det
                else display_end - one,
                costs_points_until=None if cost_end is None or cost_end <= det else cost_end - one,
                status=status,
                points=0,
                disputed=disputed,
                addressed=addressed,
                res=res,
            )
        )
    groups: dict[tuple, list] = {}
    for r in rows:
        if r["active"] and r["severity"] != "critical":
            groups.setdefault((r["seller_id"], r["marketplace"], r["category"]), []).append(r)
    for group in groups.values():
        group.sort(key=lambda r: (r["detected_at"], r["violation_id"]))
        for k, r in enumerate(group):
            r["points"] = (
                policy.severity_points[r["severity"]] * policy.ahr["repeat_multiplier"] ** k
            )
    table = [
        {
            "as_of": day,
            "violation_id": r["violation_id"],
            "seller_id": r["seller_id"],
            "marketplace": r["marketplace"],
            "category": r["category"],
            "severity": r["severity"],
            "displayed_from": r["det"],
            "displayed_until": r["displayed_until"],
            "costs_points_until": r["costs_points_until"],
            "points_at_as_of": r["points"],
            "status": r["status"],
        }
        for r in rows
    ]
    ahr = policy.ahr
    first_ship_day = day - timedelta(days=ahr["fulfilled_window_days"] - 1)
    shipped = [
        (o["seller_id"], o["marketplace"])
        for o in orders
        if o["shipped_at"] is not None
        and first_ship_day <= o["shipped_at"].date() <= day
        and visible(o["shipped_at"], policy.cadence_minutes["orders"]) <= day
    ]
    keys = {(o["seller_id"], o["marketplace"]) for o in orders}
    keys |= {(v["seller_id"], v["marketplace"]) for v in violations}
    scores = []
    for seller, market in sorted(keys):
        mine = [r for r in rows if (r["seller_id"], r["marketplace"]) == (seller, market)]
        fulfilled = shipped.count((seller, market))
        points = sum(r["points"] for r in mine if r["active"])
        score = (
            ahr["start"] + ahr["points_per_step"] * (fulfilled // ahr["orders_per_step"]) - points
        )
        score = min(max(score, ahr["minimum"]), ahr["maximum"])
        if any(r["active"] and r["severity"] == "critical" for r in mine):
            score = ahr["minimum"]
        band = (
            "healthy"
            if score >= ahr["healthy_from"]
            else "at_risk"
            if score >= ahr["at_risk_from"]
            else "critical"
        )
        scores.append(
            {
                "seller_id": seller,
                "marketplace": market,
                "as_of": day,
                "fulfilled_orders_180d": fulfilled,
                "active_violations": sum(r["active"] for r in mine),
                "displayed_violations": sum(r["displayed"] for r in mine),
                "points": points,
                "ahr_estimate": score,
                "band": band,
            }
        )
    clearance = []
    for r in rows:
        if policy.display_anchor == "detected":
            natural = r["det"] + dd
        else:  # display_days after the resolution that addressed or disputed it, if known
            natural = r["res"] + dd if r["addressed"] or r["disputed"] else None
        if natural is not None and natural <= day:
            continue  # its display would have ended by D
        clears, reason = natural, "expired" if natural else None
        if r["disputed"] and (natural is None or r["res"] < natural):
            clears, reason = r["res"], "disputed_error"
        clearance.append(
            {
                "record_id": r["violation_id"],
                "counts_from": r["det"],
                "clears_on": clears,
                "counting": clears is None or day < clears,
                "clear_reason": reason,
            }
        )
    return table, scores, clearance


def frame(rows, like: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=like.schema)


@pytest.mark.parametrize("anchor", ["detected", "resolved"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_range_matches_brute_force(seed, anchor):
    policy = replace(POLICY, display_anchor=anchor)
    data, violations, orders = random_data(seed)
    table = violations_table(data, as_of=START, to=END, policy=policy).collect()
    scores = ahr_table(data, as_of=START, to=END, policy=policy).collect()
    want_table, want_scores = [], []
    day = START
    while day <= END:
        rows, ahr_rows, _ = brute_force(violations, orders, policy, day)
        want_table += rows
        want_scores += ahr_rows
        day += timedelta(days=1)
    sort_v = ["as_of", "violation_id"]
    assert_frame_equal(table.sort(sort_v), frame(want_table, table).sort(sort_v))
    sort_a = ["seller_id", "marketplace", "as_of"]
    assert_frame_equal(scores.sort(sort_a), frame(want_scores, scores).sort(sort_a))
    # the random data must exercise what it claims to
    assert set(table["status"]) == {"open", "addressed", "expired", "removed_as_error"}
    assert table["points_at_as_of"].max() >= 16
    assert set(scores["band"]) == {"healthy", "at_risk", "critical"}


@pytest.mark.parametrize("anchor", ["detected", "resolved"])
def test_clearance_matches_brute_force(anchor):
    policy = replace(POLICY, display_anchor=anchor)
    data, violations, orders = random_data(4)
    for day in [date(2025, 1, 1) + timedelta(days=k) for k in range(0, 365, 11)]:
        got = violation_clearance(data, as_of=day, policy=policy).collect()
        _, _, want = brute_force(violations, orders, policy, day)
        got = got.select("record_id", "counts_from", "clears_on", "counting", "clear_reason")
        assert_frame_equal(got.sort("record_id"), frame(want, got).sort("record_id"))


def test_range_equals_single_dates():
    data, _, _ = random_data(5)
    days = [date(2025, 1, 1) + timedelta(days=k) for k in range(0, 365, 29)]
    table = violations_table(data, as_of=START, to=END).collect()
    scores = ahr_table(data, as_of=START, to=END).collect()
    singles_v = pl.concat([violations_table(data, as_of=day).collect() for day in days])
    singles_a = pl.concat([ahr_table(data, as_of=day).collect() for day in days])
    on_days = pl.col("as_of").is_in(days)
    sort_v, sort_a = ["as_of", "violation_id"], ["seller_id", "marketplace", "as_of"]
    assert_frame_equal(table.filter(on_days).sort(sort_v), singles_v.sort(sort_v))
    assert_frame_equal(scores.filter(on_days).sort(sort_a), singles_a.sort(sort_a))
    assert singles_v.height > 100


def test_ahr_columns_add_up_from_the_violations_table():
    """The two tables agree: per seller and date, points, active and displayed counts."""
    data, _, _ = random_data(6)
    table = violations_table(data, as_of=START, to=END).collect()
    scores = ahr_table(data, as_of=START, to=END).collect()
    day = pl.col("as_of")
    sums = table.group_by("seller_id", "marketplace", "as_of").agg(
        points=pl.col("points_at_as_of").sum(),
        active_violations=(day <= pl.col("costs_points_until")).fill_null(False).sum(),
        displayed_violations=(day <= pl.col("displayed_until")).fill_null(False).sum(),
    )
    keys = ["seller_id", "marketplace", "as_of"]
    counts = ["points", "active_violations", "displayed_violations"]
    got = (
        scores.select(keys)
        .join(sums, on=keys, how="left")
        .select(*keys, *(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts))
    )
    want = scores.select(*keys, *counts)
    assert_frame_equal(got.sort(keys), want.sort(keys))
    assert scores["displayed_violations"].max() >= 3


@pytest.mark.parametrize(
    ("seed", "anchor"),
    [
        pytest.param(7, "detected", id="seed 7, display from detection"),
        pytest.param(8, "resolved", id="seed 8, display from resolution"),
    ],
)
def test_ahr_if_addressed_is_the_estimate_with_that_violation_addressed_on_d(seed, anchor):
    """Each displayed violation, acknowledged on D (at midnight, or when detected if later):
    the brute-force estimate on D equals ahr_if_addressed."""
    from toolkit.compliance.ahr import ahr_if_addressed

    policy = replace(POLICY, display_anchor=anchor)
    data, violations, orders = random_data(seed)
    checked = 0
    for day in [date(2025, 1, 1) + timedelta(days=k) for k in range(0, 365, 23)]:
        got = ahr_if_addressed(data, as_of=day, policy=policy).collect()
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        for row in got.iter_rows(named=True):
            changed = [
                {**v, "resolution": "acknowledged", "resolved_at": max(v["detected_at"], midnight)}
                if v["violation_id"] == row["violation_id"]
                else v
                for v in violations
            ]
            _, scores, _ = brute_force(changed, orders, policy, day)
            want = next(
                s["ahr_estimate"]
                for s in scores
                if (s["seller_id"], s["marketplace"]) == (row["seller_id"], row["marketplace"])
            )
            assert row["ahr_if_addressed"] == want, (day, row)
            checked += 1
        displayed = violation_clearance(data, as_of=day, policy=policy).filter(pl.col("counting"))
        assert sorted(got["violation_id"]) == sorted(displayed.collect()["record_id"])
    assert checked > 80
