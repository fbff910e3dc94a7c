"""The fast paths of reading and validation give exactly what the general paths give."""

from __future__ import annotations

import random
from collections import Counter

import polars as pl
import pytest
from polars.testing import assert_series_equal

from toolkit.model import data as data_module
from toolkit.model.data import (
    DataError,
    _clean_text,
    _rewritten,
    dataset_from_frames,
    parse_timestamp,
)
from toolkit.model.errors import InputError


def _random_stamp(rng: random.Random) -> str | None:
    """A timestamp-like text in one of the forms users write, or a near miss."""
    year = rng.choice(["2025", "1999", "0001", "9999", "10000", "25"])
    month = rng.choice(["01", "02", "12", "13", "1", "00"])
    day = rng.choice(["01", "28", "29", "30", "31", "7"])
    hour = rng.choice(["00", "09", "23", "24", "7"])
    minute = rng.choice(["00", "59", "60", "5"])
    second = rng.choice(["00", "30", "59", "60", "61", ""])
    fraction = rng.choice(["", ".5", ".123456", ".1234567", "."])
    zone = rng.choice(["Z", "z", "", "+02:00", "-0530", "+14:00", " Z", "+2"])
    separator = rng.choice(["T", " ", "t", "  "])
    date_part = f"{year}-{month}-{day}"
    time_part = f"{hour}:{minute}" + (f":{second}{fraction}" if second else "")
    text = rng.choice(
        [
            f"{date_part}{separator}{time_part}{zone}",
            f"{date_part}T{time_part}Z",
            date_part,
            f" {date_part}T{time_part}Z ",
            "",
            "soon",
            f"{date_part}T{time_part}Zx",
        ]
    )
    return None if rng.random() < 0.05 else text


@pytest.mark.parametrize("leap_seconds", [True, False], ids=["leap seconds", "no leap seconds"])
@pytest.mark.parametrize("seed", range(5))
def test_the_fixed_format_first_gives_the_instants_of_the_rewriting(seed, leap_seconds):
    rng = random.Random(seed)
    values = [_random_stamp(rng) for _ in range(3_000)]
    if not leap_seconds:  # the reader skips the step only for text without ":60"
        values = [v for v in values if v is None or ":60" not in v]
    frame = pl.DataFrame({"text": values}, schema={"text": pl.String})
    fast = frame.select(parse_timestamp(pl.col("text"), leap_seconds=leap_seconds)).to_series()
    general = frame.select(
        _rewritten(_clean_text(pl.col("text")), leap_seconds=leap_seconds)
    ).to_series()
    assert fast.null_count() < len(values)  # the test compares instants, not only nulls
    assert_series_equal(fast, general, check_names=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01T10:00:00Z", "2025-03-01 10:00:00"),
        ("2025-06-30T23:59:60Z", "2025-06-30 23:59:59.999999"),
        (" 2025-03-01T10:00:00Z", "2025-03-01 10:00:00"),
        ("2025-03-01T10:00:00+01:00", "2025-03-01 09:00:00"),
        ("2025-03-01T10:00:00", "2025-03-01 10:00:00"),
        ("2025-02-29T10:00:00Z", None),
        ("", None),
    ],
    ids=[
        "the usual form reads directly",
        "a leap second in the usual form stays in its minute",
        "a space before the usual form is ignored",
        "an offset is converted to UTC",
        "a naive time is UTC",
        "a day that does not exist is null",
        "an empty text is null",
    ],
)
def test_parse_timestamp_examples(text, expected):
    got = pl.select(parse_timestamp(pl.lit(text, pl.String))).item()
    want = None if expected is None else pl.select(pl.lit(expected).str.to_datetime()).item()
    assert (got.replace(tzinfo=None) if got else None) == want


# ------------------------------------------------------------- ids: unique, referenced


def _orders(ids: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "order_id": ids,
            "seller_id": "S1",
            "channel": "mfn",
            "purchased_at": "2025-03-01T10:00:00Z",
        },
        schema_overrides={"order_id": pl.String},
    )


def _problems(**frames) -> list[InputError]:
    try:
        dataset_from_frames(**frames)
    except DataError as exc:
        return exc.errors
    return []


@pytest.mark.parametrize(
    ("ids", "rows", "values"),
    [
        (["A", "B", "C"], (), ()),
        (["A", "B", "A"], (1, 3), ("A",)),
        (["A", None, None, "B"], (), ()),
        (["A", "A", "B", "B", "A"], (1, 2, 3, 4, 5), ("A", "B")),
        ([" A", "A"], (1, 2), (" A", "A")),
    ],
    ids=[
        "distinct ids are fine",
        "a repeated id is reported on both rows",
        "missing ids are not duplicates of each other",
        "every row of two repeated ids is reported",
        "ids equal once trimmed are duplicates",
    ],
)
@pytest.mark.parametrize("collide", [False, True], ids=["real hashes", "every hash equal"])
def test_duplicate_ids_are_found_exactly_whatever_the_hashes(
    monkeypatch, ids, rows, values, collide
):
    if collide:  # every value gets the same hash: the exact comparison alone decides

        def constant(self):  # one hash for every row (a column, as real hashes are)
            return self.key.is_null().cast(pl.UInt64) * 0 + 7

        monkeypatch.setattr(data_module._Unique, "hashes", constant)
    duplicates = [e for e in _problems(orders=_orders(ids)) if e.problem == "duplicate order_id"]
    if not rows:
        assert duplicates == []
    else:
        (error,) = duplicates
        assert (error.rows, error.count, error.values) == (rows, len(rows), values)


@pytest.mark.parametrize("seed", range(4))
def test_duplicates_and_unknown_references_match_a_brute_force(seed):
    rng = random.Random(seed)
    pool = [f"O{n}" for n in range(60)]
    ids = [rng.choice(pool) if rng.random() < 0.9 else None for _ in range(80)]
    referenced = [rng.choice([*pool, "X1", "X2", None]) for _ in range(40)]
    claims = pl.DataFrame(
        {
            "claim_id": [f"C{n}" for n in range(len(referenced))],
            "order_id": referenced,
            "filed_at": "2025-03-02T10:00:00Z",
            "outcome": "pending",
        },
        schema_overrides={"order_id": pl.String},
    )
    problems = _problems(orders=_orders(ids), claims=claims)
    errors = {e.problem: e for e in problems if not e.problem.startswith("missing value")}
    counts = Counter(i for i in ids if i is not None)
    duplicated = [n for n, i in enumerate(ids, 1) if i is not None and counts[i] > 1]
    unknown = [n for n, i in enumerate(referenced, 1) if i is not None and i not in counts]
    if duplicated:
        error = errors.pop("duplicate order_id")
        assert (error.count, error.rows) == (len(duplicated), tuple(duplicated[:10]))
    if unknown:
        error = errors.pop("references an unknown order_id")
        assert (error.count, error.rows) == (len(unknown), tuple(unknown[:10]))
    assert list(errors) == []
    assert duplicated or unknown  # the seeds give problems to find
