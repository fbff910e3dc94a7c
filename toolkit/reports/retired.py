"""The section "Not used by Amazon for account health" of a seller report (private).

The metrics a seller may remember from Amazon's dashboard, or look for there, that
Amazon does not use for account health (definitions section 12): the retired customer-service metrics
(what each measured, the target Amazon used to publish, today's value with its counts,
and why it no longer counts) and the product rating, a plain average of verified reviews
that is not Amazon's star rating, overall and per ASIN. None of them changes a status,
the first screen or the AHR estimate. Every window, target and number of hours is the
report's policy's.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import polars as pl

from toolkit.model.policy import MEAN_METRICS, NOT_FOR_HEALTH, MetricPolicy, Policy
from toolkit.model.vocabulary import METRIC_NAMES, WINDOW_BASIS, day_text, word
from toolkit.reports.content import ReportContent
from toolkit.reports.settings import RATING_ASINS
from toolkit.reports.text import (
    Fragment,
    counts,
    day,
    esc,
    fragment,
    paragraphs,
    pct,
    plural,
    share,
    table,
    target_text,
)

__all__ = ["not_for_health", "rating_table"]

#: The day Amazon removed Contact Response Time (with the Customer Service
#: Dissatisfaction Rate and the Refund Rate) from its seller performance metrics in the US.
CONTACT_RESPONSE_REMOVED = date(2018, 10, 1)

_LEAD = (
    "Amazon does not use these for account health and takes no action on them, so none "
    "of them changes a status on this page or the AHR estimate. The retired ones are "
    "metrics Amazon used to show, here with the target it used to publish; the product "
    "rating is this report's own summary of your reviews. They can still tell you how "
    "your buyers are served."
)
_NOTHING = "None of these metrics is computed for a seller without orders."


def _what(metric: MetricPolicy) -> str:
    """What ``metric`` measures, in the policy's numbers."""
    days, hours = metric.window_days, metric.response_hours
    if metric.name == "rdr_30d":
        return (
            "The share of buyers' return requests that went wrong: not answered (authorised, "
            f"refunded or closed) within {hours} hours, rejected although the return was "
            "within the return policy, or the buyer saying the return was not resolved. A "
            "request counts once however many of these apply. Amazon never said over how "
            f"many days it measured this; here it is the requests of the last {days} days."
        )
    if metric.name == "contact_response_24h_30d":
        return (
            f"The share of buyer messages you answered within {hours} hours, weekends and "
            f"holidays included, among the messages of the last {days} days whose {hours} "
            "hours have passed. Amazon called it Contact Response Time and showed the "
            "messages answered late and those not answered at all."
        )
    if metric.name in MEAN_METRICS:
        return (
            "Not an Amazon metric: the plain average of the stars of your verified reviews "
            f"written in the last {days} days. The star rating shoppers see is Amazon's "
            "own: a machine-learned model that weighs, among other things, how recent a "
            "review is and whether the purchase was verified, so it can differ from this "
            "average."
        )
    return ""


def _why(metric: MetricPolicy) -> str:
    """Why ``metric`` does not count for account health."""
    if metric.name == "rdr_30d":
        return (
            "Amazon introduced it in November 2015 with no penalty for missing it, and it "
            "is not among the metrics Amazon acts on: Amazon says it removed various "
            "metrics from the Account Health page and takes no action on them."
        )
    if metric.name == "contact_response_24h_30d":
        return (
            "Amazon removed Contact Response Time from its seller performance metrics on "
            f"{day_text(CONTACT_RESPONSE_REMOVED)}, with the Customer Service "
            "Dissatisfaction Rate and the Refund Rate, to keep to the metrics of the "
            "Account Health page, and takes no action on it. Even when Amazon showed it, "
            "slow replies alone generally did not lead to a suspension."
        )
    if metric.name in MEAN_METRICS:
        return (
            "Product reviews do not count toward seller performance. Breaking Amazon's "
            "reviews policy does: that is a policy violation, shown under Policy "
            "Compliance."
        )
    if metric.retired:
        return "Amazon no longer uses it for account health and takes no action on it."
    return ""


def _against_target(row: dict, metric: MetricPolicy) -> str:
    """`` Today's value misses it.``: the former target met or missed, compared exactly
    (definitions section 4.1); empty without a target or a value."""
    p0, n = metric.allowed_bad, row["denominator"]
    if p0 is None or not n:
        return ""
    bad = row["numerator"] if metric.condition == "<" else n - row["numerator"]
    met = Fraction(bad, n) < p0
    return f" Today's value {'meets' if met else 'misses'} it."


def _window(row: dict) -> str:
    """``window: return requested 17 Oct 2026 to 15 Nov 2026``."""
    basis = word(WINDOW_BASIS, row["metric"])
    return f"window: {basis} {day(row['window_start'])} to {day(row['window_end'])}"


def _today(row: dict, policy: Policy) -> str:
    """Today's value with its counts and window, and the former target."""
    metric = policy.metric(row["metric"])
    window = esc(_window(row))
    if row["metric"] in MEAN_METRICS:
        if not row["denominator"]:
            return f"<b>Today: no verified reviews</b> ({window})."
        return (
            f"<b>Today: {row['rate']:.2f} of 5 stars</b>, a plain average, not Amazon's star "
            f"rating ({esc(plural(row['denominator'], 'verified review'))}, {window})."
        )
    what = esc(counts(row["numerator"], row["denominator"], row["metric"]))
    value = pct(row["rate"]) if row["denominator"] else "no value"
    target = esc(target_text(row["condition"], row["target"]))
    return (
        f"<b>Today: {value}</b> ({what}; {window}). Amazon's former target: {target}."
        f"{_against_target(row, metric)}"
    )


def rating_table(report: ReportContent, *, limit: int = RATING_ASINS) -> Fragment:
    """The plain average of each ASIN's verified reviews and its share of 1-2 stars, most
    reviews first: at most ``limit`` rows, the rest counted in a note."""
    return fragment(_rating_html(report, limit=limit) or paragraphs("No verified reviews."))


def _rating_html(report: ReportContent, *, limit: int) -> str:
    """:func:`rating_table` as HTML; empty when the seller has no review in the window."""
    ratings = report.tables["ratings"]
    if ratings.height == 0:
        return ""
    ratings = ratings.sort(["reviews", "asin"], descending=[True, False])
    shown = ratings.head(limit)
    rows = [
        [
            esc(r["asin"]),
            f"{r['reviews']:,}",
            f"{r['rating']:.2f}",
            f"{share(round(r['low_share'], 3))} ({r['low_reviews']:,})",
        ]
        for r in shown.iter_rows(named=True)
    ]
    headers = ["ASIN", "Verified reviews", "Plain average", "1 or 2 stars"]
    html = paragraphs("The plain average per product (ASIN), most reviews first:") + table(
        headers, rows, numeric=[1, 2, 3]
    )
    rest = ratings.slice(limit)
    if rest.height:
        more = plural(rest.height, "more ASIN")
        reviews = plural(int(rest["reviews"].sum()), "verified review")
        html += paragraphs(f"and {esc(more)} ({esc(reviews)}) not listed.", css="sh-note")
    return html


def not_for_health(report: ReportContent) -> Fragment:
    """The metrics Amazon does not use for account health (definitions section 12), each explained."""
    now = (
        report.tables["metrics"]
        .filter(pl.col("as_of") == report.as_of, pl.col("metric").is_in(NOT_FOR_HEALTH))
        .sort(pl.col("metric").replace_strict({m: i for i, m in enumerate(NOT_FOR_HEALTH)}))
    )
    if now.height == 0:  # a seller with violations but no order has no metric rows
        return fragment(paragraphs(_LEAD, _NOTHING) + _rating_html(report, limit=RATING_ASINS))
    html = paragraphs(_LEAD)
    for row in now.iter_rows(named=True):
        metric = report.policy.metric(row["metric"])
        html += f"<h3>{esc(word(METRIC_NAMES, row['metric']))}</h3>"
        html += paragraphs(
            _today(row, report.policy),
            f"<b>What it measures.</b> {esc(_what(metric))}" if _what(metric) else "",
            f"<b>Why it does not count.</b> {esc(_why(metric))}" if _why(metric) else "",
        )
        if row["metric"] in MEAN_METRICS:
            html += _rating_html(report, limit=RATING_ASINS)
    return fragment(html)
