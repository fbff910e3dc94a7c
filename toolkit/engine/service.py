"""Returns, buyer messages and product reviews: the records of definitions section 12's metrics.

Three metrics Amazon does not use for account health, each a :class:`~toolkit.engine.rules.Rule`
over its own table, counted by the same machinery as the order metrics (the one-date
scan and the +1/-1 history of :mod:`toolkit.engine.metrics`), channel ``all``:

- ``rdr_30d`` (retired, ``<``): return requests by request date; a request is bad when it
  is *late* (no response within ``response_hours`` (48) of the request, once that many
  hours have passed by the end of D; an on-time response ends it from its visible date),
  an in-policy request was ``rejected``, or the buyer answered that it was not resolved
  (``buyer_resolved`` false). The outcome and the buyer's answer carry no time of their
  own: they are facts of the request, known with it. A request with several faults
  counts once.
- ``contact_response_24h_30d`` (retired, ``>``): buyer messages by receipt date, once
  ``response_hours`` (24) have passed by the end of D (received more than 24 hours before
  the end of D); good when ``replied_at`` is within those hours (weekends and holidays
  included) and the reply is visible.
- ``product_rating`` (not an Amazon metric): verified reviews by the date written; the
  numerator adds each review's stars, so the rate is the plain mean (1 to 5).

Visibility: returns and responses use the ``returns`` cadence, messages and replies the
``orders`` cadence, reviews the ``reviews`` cadence. A return belongs to the seller and
marketplace of its order; messages and reviews name their own.

Examples
--------
A request at 23:30 on Friday 7 March 2025 is late from Sunday 9 March (48 hours end at
23:30 on Sunday, before the end of that day), weekends included; the answer came on
Monday:

>>> from datetime import date
>>> import polars as pl
>>> from toolkit.model.data import dataset_from_frames
>>> from toolkit.model.policy import load_policy
>>> orders = pl.DataFrame({"order_id": ["O1"], "seller_id": "S1", "channel": "mfn",
...     "purchased_at": ["2025-03-01T12:00:00Z"]})
>>> returns = pl.DataFrame({"return_id": ["R1"], "order_id": ["O1"],
...     "requested_at": ["2025-03-07T23:30:00Z"], "responded_at": ["2025-03-10T09:00:00Z"],
...     "outcome": ["refunded"]})
>>> data = dataset_from_frames(orders=orders, returns=returns)
>>> rule, policy = SERVICE_RULES["rdr_30d"], load_policy()
>>> frame = service_frame(data, policy, "rdr_30d")
>>> [frame.select(rule.active(policy, role="numerator", day=date(2025, 3, d),
...     known_at=None)).collect().item() for d in (8, 9)]
[False, True]
"""

from __future__ import annotations

from datetime import date

import polars as pl

from toolkit.engine.rules import CLEARANCE_COLUMNS, Rule
from toolkit.model.data import Dataset
from toolkit.model.policy import Policy
from toolkit.time.visibility import day_number, utc_day, visible_day
from toolkit.time.windows import Window, active_on, stop_known_at

__all__ = [
    "SERVICE_RULES",
    "SOURCE_OF",
    "rating_by_asin",
    "service_clearance",
    "service_frame",
]

#: The table each metric counts.
SOURCE_OF = {
    "rdr_30d": "returns",
    "contact_response_24h_30d": "messages",
    "product_rating": "reviews",
}
#: The columns of :func:`rating_by_asin`.
_RATING_COLUMNS = (
    "seller_id",
    "marketplace",
    "asin",
    "reviews",
    "stars",
    "rating",
    "low_reviews",
    "low_share",
)
#: The defect types of a bad return request, the first that applies (definitions section 5 table).
_RETURN_DEFECTS = (
    ("_rejected", "invalid_return_rejection"),
    ("_unresolved", "unresolved_return"),
    (None, "late_return_response"),
)

_c = pl.col


def _deadline_day(at: str, hours: int) -> pl.Expr:
    """The UTC day on which ``at + hours`` falls: the first as-of date whose end is after
    it (an instant exactly at midnight belongs to the day it starts)."""
    return utc_day(pl.col(at) + pl.duration(hours=hours))


def _awaiting_answer(at: str, answer: str, hours: int, minutes: int) -> dict[str, pl.Expr]:
    """The day numbers a record waiting ``hours`` for an answer is read by: its
    attribution and visible day (``_a``, ``_seen``), the day its hours have passed
    (``_due``), the answer's visible day (``_rv``) and whether it came in time
    (``_on_time``, at ``hours`` exactly included)."""
    deadline = pl.col(at) + pl.duration(hours=hours)
    return {
        "_a": utc_day(pl.col(at)),
        "_seen": visible_day(pl.col(at), cadence_minutes=minutes),
        "_due": _deadline_day(at, hours),
        "_rv": visible_day(pl.col(answer), cadence_minutes=minutes),
        "_on_time": (pl.col(answer) <= deadline).fill_null(False),
    }


def _returns(data: Dataset, policy: Policy) -> pl.LazyFrame:
    hours = policy.metric("rdr_30d").response_hours
    minutes = policy.cadence_minutes["returns"]
    rejected = pl.col("in_policy").fill_null(True) & (pl.col("outcome") == "rejected")
    unresolved = ~pl.col("buyer_resolved")  # null: the buyer did not answer
    orders = data.orders.select("order_id", "seller_id", "marketplace")
    return data.returns.join(orders, on="order_id", how="inner").select(
        "seller_id",
        "marketplace",
        "order_id",
        pl.col("return_id").alias("record_id"),
        **_awaiting_answer("requested_at", "responded_at", hours, minutes),
        _rejected=rejected.fill_null(False),
        _unresolved=unresolved.fill_null(False),
    )


def _messages(data: Dataset, policy: Policy) -> pl.LazyFrame:
    hours = policy.metric("contact_response_24h_30d").response_hours
    minutes = policy.cadence_minutes["orders"]
    return data.messages.select(
        "seller_id",
        "marketplace",
        "order_id",
        pl.col("message_id").alias("record_id"),
        **_awaiting_answer("received_at", "replied_at", hours, minutes),
    )


def _review_days(policy: Policy) -> dict[str, pl.Expr]:
    """What the ``product_rating`` rule reads of a review: the day written (``_a``), its
    visible day (``_seen``), ``_verified`` (empty: true) and ``_stars``."""
    minutes = policy.cadence_minutes["reviews"]
    return {
        "_a": utc_day(pl.col("reviewed_at")),
        "_seen": visible_day(pl.col("reviewed_at"), cadence_minutes=minutes),
        "_verified": pl.col("verified").fill_null(True),
        "_stars": pl.col("stars").cast(pl.Int8),
    }


def _reviews(data: Dataset, policy: Policy) -> pl.LazyFrame:
    return data.reviews.select(
        "seller_id",
        "marketplace",
        pl.lit(None, pl.String).alias("order_id"),
        pl.col("review_id").alias("record_id"),
        **_review_days(policy),
    )


_FRAMES = {"returns": _returns, "messages": _messages, "reviews": _reviews}


def service_frame(data: Dataset, policy: Policy, metric: str) -> pl.LazyFrame:
    """The records ``metric`` counts: ``seller_id, marketplace, order_id, record_id`` and
    the day numbers its rule reads (columns starting ``_``).

    A return takes the seller and marketplace of its order (every return has one: the
    data is validated). Reviews have no order (``order_id`` null).
    """
    return _FRAMES[SOURCE_OF[metric]](data, policy)


_fault = _c("_rejected") | _c("_unresolved")

#: The rules of definitions section 12, over :func:`service_frame` columns, channel ``all``.
SERVICE_RULES: dict[str, Rule] = {
    # bad: rejected in policy or not resolved (from the request's visible date), or late
    # (from the day its hours end, until an on-time response is visible); counted once
    "rdr_30d": Rule(
        "rdr_30d",
        "all",
        population=pl.lit(True),
        a=_c("_a"),
        seen=_c("_seen"),
        counted=pl.lit(True),
        counted_ready=pl.when(~_fault).then(_c("_due")),
        counted_stop=pl.when(~_fault & _c("_on_time")).then(_c("_rv")),
    ),
    # in the population once its hours have passed; good once an on-time reply is visible
    "contact_response_24h_30d": Rule(
        "contact_response_24h_30d",
        "all",
        population=pl.lit(True),
        a=_c("_a"),
        seen=_c("_seen"),
        ready=_c("_due"),
        counted=_c("_on_time"),
        counted_seen=_c("_rv"),
    ),
    # verified reviews; the numerator adds the stars: the rate is their plain mean
    "product_rating": Rule(
        "product_rating",
        "all",
        population=_c("_verified"),
        a=_c("_a"),
        seen=_c("_seen"),
        counted=pl.lit(True),
        weight=_c("_stars"),
    ),
}


def service_clearance(data: Dataset, *, as_of: date, policy: Policy) -> pl.LazyFrame:
    """Clearance rows (definitions section 5) of the bad records of ``rdr_30d`` and
    ``contact_response_24h_30d`` known at D.

    Both keep the target Amazon used to publish, so their bad records get rows like every
    metric with a target: a return request in the numerator of ``rdr_30d``, a message of
    the ``contact_response_24h_30d`` population without an on-time reply visible.
    ``record_id`` is the return or message id and ``order_id`` its order (null for a
    message about no order): the records are requests and messages, not orders, so the
    distinct record ids with ``counting`` true equal the bad count of the metrics table.
    ``defect_type``: ``invalid_return_rejection``, ``unresolved_return`` or
    ``late_return_response`` (the first that applies), ``late_message_reply``. A row
    exists from the day the record is bad (its hours have passed, or for a rejected or
    unresolved request its visible date) while ``a + L + W > D`` and
    ``counts_from < clears_on``; ``clear_reason`` is ``window``, or ``responded_on_time``
    / ``replied_on_time`` when an on-time answer became visible later.
    """
    d = day_number(as_of)
    parts = []
    for metric, reason in (
        ("rdr_30d", "responded_on_time"),
        ("contact_response_24h_30d", "replied_on_time"),
    ):
        rule = SERVICE_RULES[metric]
        window = Window.of(policy.metric(metric))
        closes = window.closes(rule.a)
        if metric == "rdr_30d":  # the numerator: bad requests
            scope = rule.counted
            ready = rule.counted_ready
            stop = rule.counted_stop
            kind = pl.lit(_RETURN_DEFECTS[-1][1])
            for flag, name in reversed(_RETURN_DEFECTS[:-1]):
                kind = pl.when(_c(flag)).then(pl.lit(name)).otherwise(kind)
        else:  # the population outside the numerator: bad until an on-time reply shows
            scope = rule.population
            ready = rule.ready
            stop = pl.when(rule.counted).then(rule.counted_seen)
            kind = pl.lit("late_message_reply")
        stop = stop_known_at(stop, d)
        cf = pl.max_horizontal(window.opens(rule.a), rule.seen, ready)
        co = pl.min_horizontal(closes, stop)
        keep = (
            scope & (rule.seen <= d) & (ready.is_null() | (ready <= d)) & (closes > d) & (cf < co)
        )
        parts.append(
            service_frame(data, policy, metric)
            .filter(keep.fill_null(False))
            .select(
                "seller_id",
                "marketplace",
                pl.lit("all").alias("channel"),
                pl.lit(metric).alias("metric"),
                "order_id",
                kind.alias("defect_type"),
                "record_id",
                rule.a.alias("attribution_date"),
                cf.alias("counts_from"),
                co.alias("clears_on"),
                pl.when(stop.is_not_null() & (stop < closes))
                .then(pl.lit(reason))
                .otherwise(pl.lit("window"))
                .alias("clear_reason"),
            )
        )
    return (
        pl.concat(parts)
        .with_columns(counting=active_on(pl.col("counts_from"), pl.col("clears_on"), d))
        .with_columns(pl.col("attribution_date", "counts_from", "clears_on").cast(pl.Date))
        .select(CLEARANCE_COLUMNS)
    )


def rating_by_asin(data: Dataset, *, as_of: date, policy: Policy) -> pl.LazyFrame:
    """The plain average of each ASIN's verified reviews at D, and its share of 1-2 stars.

    The reviews ``product_rating`` counts (the same rule: verified, visible by the end of
    D at the ``reviews`` cadence, written in its window ``D-L-W+1 .. D-L``: by default
    ``D-364 .. D``), grouped by ASIN. Summed over a seller's ASINs, ``reviews`` and
    ``stars`` are the ``denominator`` and ``numerator`` of its ``product_rating`` row.

    Parameters
    ----------
    data
        A validated dataset (its ``reviews`` table).
    as_of
        D.
    policy
        Gives the window of ``product_rating`` and the ``reviews`` cadence.

    Returns
    -------
    pl.LazyFrame
        One row per seller, marketplace and ASIN with at least one such review:
        ``seller_id, marketplace, asin, reviews`` (how many), ``stars`` (their sum),
        ``rating`` (``stars / reviews``: the plain mean, 1 to 5, not Amazon's star
        rating), ``low_reviews`` (those with 1 or 2 stars) and ``low_share``
        (``low_reviews / reviews``), sorted by seller, marketplace, most reviews first,
        then ASIN.

    Notes
    -----
    An empty ``verified`` is true (definitions section 12). Reviews carry no order, so a review counts
    for the seller and marketplace it names.

    Examples
    --------
    Five reviews: one written 365 days before D (a day too old), one not verified:

    >>> from datetime import date
    >>> from toolkit.model.data import dataset_from_frames
    >>> from toolkit.model.policy import load_policy
    >>> orders = pl.DataFrame({"order_id": ["O1"], "seller_id": "S1", "channel": "mfn",
    ...     "purchased_at": ["2025-01-01T12:00:00Z"]})
    >>> reviews = pl.DataFrame({"review_id": ["V1", "V2", "V3", "V4", "V5"],
    ...     "seller_id": "S1", "asin": ["B0MUG", "B0MUG", "B0CUP", "B0CUP", "B0MUG"],
    ...     "reviewed_at": ["2025-03-01T09:00:00Z", "2025-03-02T09:00:00Z",
    ...         "2025-03-03T09:00:00Z", "2024-03-07T09:00:00Z", "2025-03-04T09:00:00Z"],
    ...     "stars": [5, 2, 4, 1, 1], "verified": [True, True, True, True, False]})
    >>> data = dataset_from_frames(orders=orders, reviews=reviews)
    >>> rating_by_asin(data, as_of=date(2025, 3, 7), policy=load_policy()).collect().drop(
    ...     "seller_id", "marketplace")
    shape: (2, 6)
    ┌───────┬─────────┬───────┬────────┬─────────────┬───────────┐
    │ asin  ┆ reviews ┆ stars ┆ rating ┆ low_reviews ┆ low_share │
    │ ---   ┆ ---     ┆ ---   ┆ ---    ┆ ---         ┆ ---       │
    │ str   ┆ i64     ┆ i64   ┆ f64    ┆ i64         ┆ f64       │
    ╞═══════╪═════════╪═══════╪════════╪═════════════╪═══════════╡
    │ B0MUG ┆ 2       ┆ 7     ┆ 3.5    ┆ 1           ┆ 0.5       │
    │ B0CUP ┆ 1       ┆ 4     ┆ 4.0    ┆ 0           ┆ 0.0       │
    └───────┴─────────┴───────┴────────┴─────────────┴───────────┘
    """
    rule = SERVICE_RULES["product_rating"]
    window = Window.of(policy.metric("product_rating"))
    d = day_number(as_of)
    counted = rule.population & (rule.seen <= d) & window.contains(rule.a, d)
    reviews = data.reviews.select("seller_id", "marketplace", "asin", **_review_days(policy))
    return (
        reviews.filter(counted)
        .group_by("seller_id", "marketplace", "asin")
        .agg(
            reviews=pl.len().cast(pl.Int64),
            stars=pl.col("_stars").cast(pl.Int64).sum(),
            low_reviews=(pl.col("_stars") <= 2).sum().cast(pl.Int64),
        )
        .with_columns(
            rating=pl.col("stars") / pl.col("reviews"),
            low_share=pl.col("low_reviews") / pl.col("reviews"),
        )
        .sort(
            ["seller_id", "marketplace", "reviews", "asin"],
            descending=[False, False, True, False],
        )
        .select(*_RATING_COLUMNS)
    )
