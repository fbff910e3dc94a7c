"""The actions table (definitions section 10): what the seller can do about each record, and by when.

Most records clear by themselves (the clearance table says when). Some can be removed or
won sooner, some deadlines pass if nobody acts, and policy complaints need an appeal or a
dispute. The toolkit never acts for the seller: per record it says what Amazon allows
(``action``), by when (``deadline``, from the policy's ``[actions]``), where in Seller
Central (``where``, a menu path), and what it would change (``rate_if_cleared``,
``meets_target_if_cleared``, ``ahr_if_addressed``). With the shipped policy's deadlines:

- negative feedback: ``request_removal`` within 90 days of the feedback;
- a claim pending at D: ``respond`` within 72 hours of its filing;
- a granted claim: ``appeal`` within 30 days of the decision;
- a service chargeback pending at D: ``represent`` within 7 days of its filing;
- invalid tracking on an order not delivered at D: ``fix_tracking`` (until delivery);
- a late invoice with no upload known: ``upload_invoice``;
- an intellectual property violation not addressed: ``dispute_error``;
- any other violation not addressed: ``appeal``;
- everything else (late shipments, cancellations, late deliveries, ...): ``wait``.

A claim, chargeback or violation is in the state known at D: a decision visible only
after D has not happened yet.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from toolkit.compliance.ahr import ahr_if_addressed
from toolkit.compliance.violations import ADDRESSED
from toolkit.engine.clearance import clearance_table
from toolkit.engine.metrics import KEYS, metric_parameters, snapshot_counts
from toolkit.engine.statistics import bad_count, target_met
from toolkit.model.data import Dataset
from toolkit.model.policy import COMPONENTS, Policy, load_policy
from toolkit.time.visibility import visible_date

__all__ = ["ACTIONS", "ACTION_COLUMNS", "ELIGIBILITY", "WHERE", "actions_table"]

#: Columns of the actions table, in order.
ACTION_COLUMNS = [
    "seller_id",
    "marketplace",
    "metric",
    "defect_type",
    "record_id",
    "order_id",
    "action",
    "deadline",
    "overdue",
    "eligibility",
    "where",
    "clears_on",
    "rate_now",
    "rate_if_cleared",
    "meets_target_if_cleared",
    "ahr_if_addressed",
]
#: Every action, in the order of the definitions section 10 table; ``wait``: it clears by itself.
ACTIONS = (
    "request_removal",
    "respond",
    "appeal",
    "represent",
    "fix_tracking",
    "upload_invoice",
    "dispute_error",
    "wait",
)
#: How likely Amazon is to allow the action: ``likely`` (feedback on an Amazon-fulfilled
#: order), ``check`` (read the comment against Amazon's grounds), ``open`` (the seller may
#: act; the outcome is Amazon's), ``none`` (nothing to do).
ELIGIBILITY = ("likely", "check", "open", "none")
#: Where in Seller Central each action is taken (a menu path, not a URL).
WHERE = {
    "request_removal": "Performance > Feedback",
    "respond": "Performance > A-to-z Guarantee Claims",
    "claim_appeal": "Performance > A-to-z Guarantee Claims",
    "represent": "Performance > Chargeback Claims",
    "fix_tracking": "Orders > Manage Orders",
    "upload_invoice": "Orders > Manage Orders",
    "violation": "Performance > Account Health",
}
#: Violation categories an upheld dispute removes as an error (the rights owner's
#: retraction, or proof of authenticity or authorisation).
_DISPUTABLE = ("received_intellectual_property", "suspected_intellectual_property")
_VIOLATION = "policy_violation"
_SELLER = ["seller_id", "marketplace"]


def _state_at(outcome: str, resolved: str, as_of: date, cadence: int) -> pl.Expr:
    """A claim's or chargeback's outcome as known at D: ``pending`` until its decision shows."""
    known = visible_date(pl.col(resolved), cadence_minutes=cadence) <= as_of
    return pl.when(known.fill_null(False)).then(pl.col(outcome)).otherwise(pl.lit("pending"))


def _record_facts(data: Dataset, as_of: date, policy: Policy) -> pl.LazyFrame:
    """Per defect or violation record: its state at D and the instant its deadline runs from.

    Columns ``_kind`` (the clearance row's ``defect_type``, or ``policy_violation``),
    ``record_id``, ``_state`` and ``_anchor`` (timestamp).
    """
    cadence = policy.cadence_minutes
    state_claim = _state_at("outcome", "resolved_at", as_of, cadence["claims"])
    state_charge = _state_at("outcome", "resolved_at", as_of, cadence["chargebacks"])
    known = visible_date(pl.col("resolved_at"), cadence_minutes=cadence["violations"]) <= as_of
    addressed = pl.col("resolution").is_in(list(ADDRESSED)) & known.fill_null(False)
    schema = {"_kind": pl.String, "record_id": pl.String, "_state": pl.String}
    parts = [
        data.feedback.select(
            _kind=pl.lit("negative_feedback"),
            record_id="feedback_id",
            _state=pl.lit("open"),
            _anchor="left_at",
        ),
        data.claims.select(
            _kind=pl.lit("claim"),
            record_id="claim_id",
            _state=state_claim,
            _anchor=pl.when(state_claim == "pending")
            .then(pl.col("filed_at"))
            .otherwise(pl.col("resolved_at")),
        ),
        data.chargebacks.select(
            _kind=pl.lit("chargeback"),
            record_id="chargeback_id",
            _state=state_charge,
            _anchor="filed_at",
        ),
        data.violations.select(
            _kind=pl.lit(_VIOLATION),
            record_id="violation_id",
            _state=pl.when(addressed).then(pl.lit("addressed")).otherwise(pl.lit("open")),
            _anchor="detected_at",
        ),
    ]
    return pl.concat([p.cast(schema) for p in parts])


def _order_facts(data: Dataset, as_of: date, policy: Policy) -> pl.LazyFrame:
    """Per order: is a delivery, is an invoice upload known at D?"""
    cadence = policy.cadence_minutes["orders"]

    def known(column: str) -> pl.Expr:
        return (visible_date(pl.col(column), cadence_minutes=cadence) <= as_of).fill_null(False)

    return data.orders.select(
        "order_id", _delivered=known("delivered_at"), _uploaded=known("invoice_uploaded_at")
    )


def _action(policy: Policy) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """``(action, deadline, eligibility, where)`` of a clearance row joined with its facts."""
    limits = policy.actions
    kind, state = pl.col("defect_type"), pl.col("_state")
    open_violation = (pl.col("metric") == _VIOLATION) & (state == "open")
    hours = limits.violation_response_hours
    violation_limit = None if hours is None else pl.duration(hours=hours)
    rules = [  # (condition, action, deadline, where)
        (
            kind == "negative_feedback",
            "request_removal",
            pl.duration(days=limits.feedback_removal_days),
            WHERE["request_removal"],
        ),
        (
            (kind == "claim") & (state == "pending"),
            "respond",
            pl.duration(hours=limits.claim_response_hours),
            WHERE["respond"],
        ),
        (
            (kind == "claim") & (state == "granted"),
            "appeal",
            pl.duration(days=limits.claim_appeal_days),
            WHERE["claim_appeal"],
        ),
        (
            (kind == "chargeback") & (state == "pending"),
            "represent",
            pl.duration(days=limits.chargeback_response_days),
            WHERE["represent"],
        ),
        (
            (kind == "invalid_tracking") & ~pl.col("_delivered"),
            "fix_tracking",
            None,
            WHERE["fix_tracking"],
        ),
        (
            (kind == "late_invoice") & ~pl.col("_uploaded"),
            "upload_invoice",
            None,
            WHERE["upload_invoice"],
        ),
        (
            open_violation & kind.is_in(list(_DISPUTABLE)),
            "dispute_error",
            violation_limit,
            WHERE["violation"],
        ),
        (open_violation, "appeal", violation_limit, WHERE["violation"]),
    ]
    no_time = pl.lit(None, pl.Datetime("us", "UTC"))
    action, deadline, where = pl.lit("wait"), no_time, pl.lit(None, pl.String)
    for condition, name, limit, path in reversed(rules):  # the first rule that applies wins
        test = condition.fill_null(False)
        due = no_time if limit is None else pl.col("_anchor") + limit
        action = pl.when(test).then(pl.lit(name)).otherwise(action)
        deadline = pl.when(test).then(due).otherwise(deadline)
        where = pl.when(test).then(pl.lit(path)).otherwise(where)
    eligibility = (
        pl.when(action == "wait")
        .then(pl.lit("none"))
        .when(action == "request_removal")
        .then(pl.when(pl.col("channel") == "afn").then(pl.lit("likely")).otherwise(pl.lit("check")))
        .otherwise(pl.lit("open"))
    )
    return action, deadline, eligibility, where


def actions_table(data: Dataset, *, as_of: date, policy: Policy | None = None) -> pl.LazyFrame:
    """The actions table as of ``as_of``: per record, what the seller can do and by when.

    Parameters
    ----------
    data
        A validated dataset.
    as_of
        D, the as-of date.
    policy
        Windows, targets, cadences and the ``[actions]`` deadlines; default the shipped
        Amazon US policy.

    Returns
    -------
    pl.LazyFrame
        :data:`ACTION_COLUMNS`: one row per clearance-table row counting or waiting to
        count on D (``counts_from < clears_on`` and ``clears_on > D``) and per violation
        displayed on D.

        - ``action`` (one of :data:`ACTIONS`), ``deadline`` (a UTC timestamp: the record's
          own time plus the policy's limit; null without one), ``overdue`` (the deadline
          is before the end of D), ``eligibility`` (:data:`ELIGIBILITY`), ``where`` (the
          Seller Central menu path, :data:`WHERE`; null for ``wait``), ``clears_on`` (from
          the clearance table).
        - ``rate_now``: the rate on D of the record's metric (``odr`` of the order's
          channel for the three components; null for violations); ``rate_if_cleared``:
          the same rate with this one record cleared (an ODR order stays a defect while
          another of its defects counts; an order of another metric stays in the
          population and is no longer bad; a record waiting out the lag changes nothing
          today); ``meets_target_if_cleared``: that rate meets the target (exact; null
          without a rate).
        - ``ahr_if_addressed``: for violations, the AHR estimate on D if this violation
          were addressed on D (:func:`toolkit.compliance.ahr.ahr_if_addressed`); null for
          the other rows.

        Sorted by seller and marketplace, then overdue rows first, then by deadline
        (none last), then the records whose clearing alone would bring their metric back
        on target (for a violation: the AHR estimate back to ``healthy``), then by
        ``clears_on``, metric and record id.

    Notes
    -----
    ``rate_if_cleared`` is computed for all rows at once from today's counts: a counting
    record of a ``<`` metric takes one off the numerator, of a ``>`` metric adds one to it,
    and an ODR defect takes one off only when no other defect of its order counts. It
    equals the rate of :func:`toolkit.engine.forecast.what_if` with ``remove=[record_id]``
    (tested).

    Examples
    --------
    Ten orders of which one has a pending A-to-z claim filed on 1 April, and one was
    shipped late; as of 30 April the claim's 72 hours to respond have passed:

    >>> from datetime import date
    >>> import polars as pl
    >>> from toolkit.model.data import dataset_from_frames
    >>> orders = pl.DataFrame({
    ...     "order_id": [f"O{i}" for i in range(10)], "seller_id": "S1", "channel": "mfn",
    ...     "purchased_at": [f"2025-03-{d:02d}T12:00:00Z" for d in range(10, 20)],
    ...     "latest_ship_at": "2025-04-27T23:59:59Z",
    ...     "shipped_at": ["2025-04-28T10:00:00Z"] + ["2025-04-27T10:00:00Z"] * 9,
    ... })
    >>> claims = pl.DataFrame({"claim_id": ["C1"], "order_id": ["O3"],
    ...     "filed_at": ["2025-04-01T09:00:00Z"], "outcome": ["pending"]})
    >>> data = dataset_from_frames(orders=orders, claims=claims)
    >>> actions_table(data, as_of=date(2025, 4, 30)).select(
    ...     "metric", "record_id", "action", "deadline", "overdue", "rate_if_cleared").collect()
    shape: (3, 6)
    ┌────────────┬───────────┬─────────┬─────────────────────────┬─────────┬─────────────────┐
    │ metric     ┆ record_id ┆ action  ┆ deadline                ┆ overdue ┆ rate_if_cleared │
    │ ---        ┆ ---       ┆ ---     ┆ ---                     ┆ ---     ┆ ---             │
    │ str        ┆ str       ┆ str     ┆ datetime[μs, UTC]       ┆ bool    ┆ f64             │
    ╞════════════╪═══════════╪═════════╪═════════════════════════╪═════════╪═════════════════╡
    │ odr_claims ┆ C1        ┆ respond ┆ 2025-04-04 09:00:00 UTC ┆ true    ┆ 0.0             │
    │ lsr_10d    ┆ O0        ┆ wait    ┆ null                    ┆ false   ┆ 0.0             │
    │ lsr_30d    ┆ O0        ┆ wait    ┆ null                    ┆ false   ┆ 0.0             │
    └────────────┴───────────┴─────────┴─────────────────────────┴─────────┴─────────────────┘

    The claim comes first: its deadline has passed. Winning it would bring the ODR from
    10 % (1 of 10 orders) to 0. The late shipment (also 1 of 10) cannot be undone: it
    clears by itself when its ship-by date leaves each window (``clears_on`` 7 and 27
    May).
    """
    policy = policy or load_policy()
    day = pl.lit(as_of, pl.Date)
    clearance = clearance_table(data, as_of=as_of, policy=policy)
    component = pl.col("metric").is_in(list(COMPONENTS))
    counting = pl.col("counting")
    # counting ODR defects of the order: clearing one leaves the order a defect if > 1
    defects = (component & counting).cast(pl.Int64).sum().over("order_id")
    violation = pl.col("metric") == _VIOLATION
    clears = pl.col("clears_on")
    listed = (
        pl.when(violation)
        .then(counting)
        .otherwise((pl.col("counts_from") < clears) & (clears > day))
    )
    rows = (
        clearance.with_columns(_defects=pl.when(component).then(defects))
        .filter(listed)
        .with_columns(
            _kind=pl.when(violation).then(pl.lit(_VIOLATION)).otherwise(pl.col("defect_type")),
            _rate_metric=pl.when(component).then(pl.lit("odr")).otherwise(pl.col("metric")),
        )
        .join(_record_facts(data, as_of, policy), on=["_kind", "record_id"], how="left")
        .join(_order_facts(data, as_of, policy), on="order_id", how="left")
    )
    counts = (
        snapshot_counts(data, policy, as_of)
        .join(metric_parameters(policy).drop("metric"), on="_metric", how="left")
        .select(
            *KEYS[:3],
            pl.col("metric").alias("_rate_metric"),
            "numerator",
            "denominator",
            "condition",
            "_p0_num",
            "_p0_den",
        )
    )
    action, deadline, eligibility, where = _action(policy)
    num, den, condition = pl.col("numerator"), pl.col("denominator"), pl.col("condition")
    delta = (
        pl.when(~counting | violation)
        .then(0)
        .when(component)
        .then(pl.when(pl.col("_defects") == 1).then(-1).otherwise(0))
        .when(condition == ">")
        .then(1)
        .otherwise(-1)
    )
    after = num + delta
    measured = (den > 0) & condition.is_not_null()

    def meets(numerator: pl.Expr) -> pl.Expr:
        bad = bad_count(numerator, den, condition)
        return pl.when(measured).then(target_met(bad, den, pl.col("_p0_num"), pl.col("_p0_den")))

    end_of_day = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    ahr = ahr_if_addressed(data, as_of=as_of, policy=policy).select(
        *_SELLER,
        pl.col("violation_id").alias("record_id"),
        pl.col("ahr_estimate").alias("_ahr_now"),
        "ahr_if_addressed",
    )
    # a violation "brings its metric back on target" when addressing it alone would
    # bring the AHR estimate back to healthy
    healthy = policy.ahr["healthy_from"]
    back_to_healthy = (pl.col("ahr_if_addressed") >= healthy) & (pl.col("_ahr_now") < healthy)
    return (
        rows.join(counts, on=[*KEYS[:3], "_rate_metric"], how="left")
        .join(
            ahr.with_columns(_kind=pl.lit(_VIOLATION)),
            on=[*_SELLER, "_kind", "record_id"],
            how="left",
        )
        .with_columns(
            action=action,
            deadline=deadline,
            eligibility=eligibility,
            where=where,
            rate_now=pl.when(den > 0).then(num / den),
            rate_if_cleared=pl.when(den > 0).then(after / den),
            meets_target_if_cleared=meets(after),
            _brings_back=(meets(after) & ~meets(num)).fill_null(False)
            | back_to_healthy.fill_null(False),
        )
        .with_columns(overdue=(pl.col("deadline") < pl.lit(end_of_day)).fill_null(False))
        .sort(
            *_SELLER,
            ~pl.col("overdue"),
            "deadline",
            ~pl.col("_brings_back"),
            "clears_on",
            "metric",
            "record_id",
            nulls_last=True,
        )
        .select(ACTION_COLUMNS)
    )
