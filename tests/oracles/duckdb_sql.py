"""The SQL of the DuckDB baseline: day arithmetic, retention windows and the two plans.

Everything here builds SQL text (and runs the ``CREATE TEMP TABLE`` steps of a plan);
:mod:`tests.oracles.duckdb_metrics` reads the files, picks the plan and shapes the output.
Day numbers are days since 1970-01-01 (UTC); timestamps are epoch microseconds.

- :func:`snapshot_rows` (one as-of day D): one scan of the orders with a conditional
  count per column, grouped by seller, marketplace and channel. Each condition is the
  window test ``counts_from <= D < clears_on`` with the arithmetic moved to the
  constant side: "attribution date in D's window" and "visible by the end of D" are
  comparisons of the raw instants with fixed bounds, so no per-row date arithmetic is
  needed. The defects active on D are reduced to one row per order and joined to the
  orders in the ODR population by ``order_id``.
- :func:`history_rows` (days d1..d2): every count's retention window
  ``[counts_from, clears_on)`` in day numbers (definitions section 5), +1 on ``counts_from`` and -1 on
  ``clears_on``, summed per series and day, then a windowed ``SUM ... ORDER BY day`` per
  series; each row with events stands for every day up to the next such row, which
  ``unnest(range(day, next_day))`` spells out (the dense series x date grid). The defect
  windows of one order are merged first (gaps and islands), so that an order counts once
  however many defects it has.
"""

from __future__ import annotations

from datetime import date

import duckdb

from toolkit.model.policy import Policy

__all__ = ["RANK", "create_keys", "day_number", "history_rows", "snapshot_rows"]

_DAY = 86_400_000_000  # microseconds
_SHIFT = 1_000_000 * _DAY  # makes epoch microseconds positive so // is a floor division
_NEVER = 2_147_483_647  # "no stop": a day number after every other
_ODR = ("odr", "odr_negative_feedback", "odr_claims", "odr_chargebacks")
_MFN_ONLY = ("lsr_10d", "lsr_30d", "cancel_rate_7d", "vtr_30d", "otdr_14d")
#: Defect sources of the ODR numerators, numbered 1..3 (0 = any of them, for ``odr``).
_COMPONENTS = {1: "odr_negative_feedback", 2: "odr_claims", 3: "odr_chargebacks"}
#: Metric codes, ranked in the string order of the names (the output is sorted by name).
RANK = {name: i for i, name in enumerate(sorted((*_ODR, *_MFN_ONLY, "idr_7d")))}


# ------------------------------------------------------------------ day arithmetic


def _day(us: str) -> str:
    """UTC day number of epoch microseconds ``us``."""
    return f"(({us} + {_SHIFT}) // {_DAY} - {_SHIFT // _DAY})"


def _vday(us: str, cadence_minutes: int) -> str:
    """Visible day number of epoch microseconds ``us`` (definitions section 2).

    The time of day rounds up to the next cadence boundary; past the day's last boundary
    before midnight it rounds to the next day. So the visible day is the UTC day of
    ``us`` shifted by the gap between that last boundary and midnight, minus 1 us.
    """
    if cadence_minutes == 0:
        return _day(us)
    step = cadence_minutes * 60_000_000
    last = (_DAY - 1) // step * step  # the day's last boundary before midnight
    return _day(f"{us} + {_DAY - 1 - last}")


def _invoice_deadline_day(ship_day: str) -> str:
    """The first Monday-to-Friday day after ``ship_day`` (day 0, 1970-01-01, was a
    Thursday, so ``(day + 3) mod 7`` is 0 on Mondays)."""
    weekday = f"((({ship_day}) % 7) + 10) % 7"
    return f"({ship_day} + CASE {weekday} WHEN 4 THEN 3 WHEN 5 THEN 2 ELSE 1 END)"


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - date(1970, 1, 1)).days


# ------------------------------------------------------------------ the windows


def _facts(orders: str, policy: Policy) -> str:
    """One row per order: keys and the ``[cf, co)`` window of every count (day numbers).

    The mfn-only windows are computed for every order: they are counted per channel and
    kept for mfn keys only, which spares a string test per order. ``mfn`` says which.
    """
    cad = policy.cadence_minutes["orders"]

    def wl(metric: str) -> tuple[int, int]:
        m = policy.metric(metric)
        return m.window_days, m.lag_days

    base = f"""
    SELECT order_id, seller_id, marketplace, channel,
        {_day("purchased_at")} AS pd, {_vday("purchased_at", cad)} AS pv,
        {_day("latest_ship_at")} AS lsd,
        shipped_at <= latest_ship_at AS ship_on_time,
        {_vday("shipped_at", cad)} AS sv, {_day("shipped_at")} AS sd,
        {_vday("cancelled_at", cad)} AS cv,
        cancelled_at IS NOT NULL AND cancelled_by IN ('seller', 'amazon') AS cancel_counted,
        {_day("promised_delivery_at")} AS pdd,
        coalesce(tracking_valid, false) AS tv,
        {_vday("delivered_at", cad)} AS dv,
        delivered_at <= promised_delivery_at AS delivered_on_time,
        coalesce(is_business, false) AS biz,
        invoice_uploaded_at, {_vday("invoice_uploaded_at", cad)} AS uv
    FROM ({orders})"""
    deadline = f"SELECT *, {_invoice_deadline_day('sd')} AS dd FROM ({base})"
    wo, lo = wl("odr")
    wc, lc = wl("cancel_rate_7d")
    wv, lv = wl("vtr_30d")
    wt, lt = wl("otdr_14d")
    wi, li = wl("idr_7d")
    cols = [
        f"greatest(pd + {lo}, pv) AS odr_den_cf",
        f"pd + {lo + wo} AS odr_den_co",
    ]
    for name in ("lsr_10d", "lsr_30d"):
        w, lag = wl(name)
        cf = f"CASE WHEN lsd IS NOT NULL THEN greatest(lsd + {lag}, pv) END"
        co = f"least(lsd + {lag + w}, coalesce(cv, {_NEVER}))"
        cols += [
            f"{cf} AS {name}_den_cf",
            f"{co} AS {name}_den_co",
            f"{cf} AS {name}_num_cf",
            f"least({co}, CASE WHEN ship_on_time THEN sv ELSE {_NEVER} END) AS {name}_num_co",
        ]
    # Population conditions; every ``counts_from`` is NULL (never counts) outside them
    # (DuckDB's greatest() skips NULLs, so the conditions are spelled out every time).
    vtr = "sv IS NOT NULL AND pdd IS NOT NULL"
    otdr = f"{vtr} AND tv"
    idr = "biz AND sv IS NOT NULL"
    on_time_upload = f"invoice_uploaded_at <= dd * {_DAY} + {_DAY - 1_000_000}"
    cols += [
        f"greatest(pd + {lc}, pv) AS cancel_rate_7d_den_cf",
        f"pd + {lc + wc} AS cancel_rate_7d_den_co",
        f"CASE WHEN cancel_counted THEN greatest(pd + {lc}, pv, cv) END AS cancel_rate_7d_num_cf",
        f"pd + {lc + wc} AS cancel_rate_7d_num_co",
        f"CASE WHEN {vtr} THEN greatest(pdd + {lv}, pv, sv) END AS vtr_30d_den_cf",
        f"pdd + {lv + wv} AS vtr_30d_den_co",
        f"CASE WHEN {vtr} AND tv THEN greatest(pdd + {lv}, pv, sv) END AS vtr_30d_num_cf",
        f"pdd + {lv + wv} AS vtr_30d_num_co",
        f"CASE WHEN {otdr} THEN greatest(pdd + {lt}, pv, sv) END AS otdr_14d_den_cf",
        f"pdd + {lt + wt} AS otdr_14d_den_co",
        f"CASE WHEN {otdr} AND delivered_on_time THEN greatest(pdd + {lt}, pv, sv, dv) END"
        " AS otdr_14d_num_cf",
        f"pdd + {lt + wt} AS otdr_14d_num_co",
        f"CASE WHEN {idr} THEN greatest(pd + {li}, pv, sv) END AS idr_7d_den_cf",
        f"pd + {li + wi} AS idr_7d_den_co",
        f"CASE WHEN {idr} THEN greatest(pd + {li}, pv, sv, dd) END AS idr_7d_num_cf",
        f"least(pd + {li + wi}, CASE WHEN {on_time_upload} THEN uv ELSE {_NEVER} END)"
        " AS idr_7d_num_co",
    ]
    keys = "order_id, seller_id, marketplace, channel, channel = 'mfn' AS mfn"
    return f"SELECT {keys}, {', '.join(cols)} FROM ({deadline})"


def _defects(tables: dict[str, str], policy: Policy) -> str:
    """Every defect record that can count: (order_id, comp, v = visible day, s = stop day)."""
    cad = policy.cadence_minutes
    won_stops = "outcome = 'seller_won'" if policy.chargeback_won_removes else "false"
    return f"""
    SELECT order_id, 1 AS comp, {_vday("left_at", cad["feedback"])} AS v,
        {_vday("removed_at", cad["feedback"])} AS s
    FROM ({tables["feedback"]}) WHERE rating <= 2
    UNION ALL
    SELECT order_id, 2, {_vday("filed_at", cad["claims"])},
        CASE WHEN outcome IN ('denied', 'withdrawn', 'protected')
        THEN {_vday("resolved_at", cad["claims"])} END
    FROM ({tables["claims"]})
    UNION ALL
    SELECT order_id, 3, {_vday("filed_at", cad["chargebacks"])},
        CASE WHEN {won_stops} THEN {_vday("resolved_at", cad["chargebacks"])} END
    FROM ({tables["chargebacks"]}) WHERE kind = 'service'"""


def _known_by(us: str, d: int, cadence_minutes: int) -> str:
    """``us`` is visible by the end of day ``d``: at or before the day's last boundary."""
    step = cadence_minutes * 60_000_000 or 1
    return f"{us} <= {d * _DAY + (_DAY - 1) // step * step}"


def _attributed(us: str, d: int, policy: Policy, metric: str) -> str:
    """The UTC date of ``us`` is in the window of ``metric`` at as-of ``d``."""
    m = policy.metric(metric)
    first, last = d - m.lag_days - m.window_days + 1, d - m.lag_days
    return f"{us} >= {first * _DAY} AND {us} < {(last + 1) * _DAY}"


def _snapshot_conditions(d: int, policy: Policy) -> tuple[dict[str, str], dict[str, str]]:
    """For one as-of day ``d``: per-order flags, and each count as a conjunction of flags.

    This is the window test ``counts_from <= d < clears_on`` of the history plan with the
    day arithmetic moved to the constant side: "attribution date in the window" and
    "visible by d" become comparisons of the raw instants with fixed bounds.
    """
    cad = policy.cadence_minutes["orders"]

    def known(col: str) -> str:
        return _known_by(col, d, cad)

    # IDR: the deadline date (first Mon-Fri date after the ship date) is on or before d
    # exactly when the ship date is on or before the last ship date whose deadline is:
    # d - 1 on Monday to Friday, d - 2 on Saturday, d - 3 on Sunday (day 0 was a Thursday).
    weekday = (d + 3) % 7  # 0 = Monday
    last_ship = d - {5: 2, 6: 3}.get(weekday, 1)
    dd = _invoice_deadline_day(_day("shipped_at"))
    on_time_upload = f"invoice_uploaded_at <= {dd} * {_DAY} + {_DAY - 1_000_000}"
    flags = {
        "pk": known("purchased_at"),
        "sk": known("shipped_at"),
        "w_odr": _attributed("purchased_at", d, policy, "odr"),
        "w_lsr10": _attributed("latest_ship_at", d, policy, "lsr_10d"),
        "w_lsr30": _attributed("latest_ship_at", d, policy, "lsr_30d"),
        "w_cancel": _attributed("purchased_at", d, policy, "cancel_rate_7d"),
        "w_vtr": _attributed("promised_delivery_at", d, policy, "vtr_30d"),
        "w_otdr": _attributed("promised_delivery_at", d, policy, "otdr_14d"),
        "w_idr": _attributed("purchased_at", d, policy, "idr_7d"),
        # not cancelled as of d (whoever cancelled)
        "live": f"cancelled_at IS NULL OR NOT {known('cancelled_at')}",
        # not ship-confirmed by latest_ship_at as of d
        "late": f"shipped_at IS NULL OR shipped_at > latest_ship_at OR NOT {known('shipped_at')}",
        "cancelled": f"{known('cancelled_at')} AND cancelled_by IN ('seller', 'amazon')",
        "tracked": "tracking_valid",
        "on_time": f"{known('delivered_at')} AND delivered_at <= promised_delivery_at",
        "business": "is_business",
        # deadline passed by d and no on-time upload known (computed for those rows only)
        "invoice_late": f"CASE WHEN is_business AND shipped_at < {(last_ship + 1) * _DAY} "
        f"THEN NOT coalesce({on_time_upload} AND {known('invoice_uploaded_at')}, false) END",
    }
    counts = {"odr_den": "w_odr AND pk"}
    for name, w in (("lsr_10d", "w_lsr10"), ("lsr_30d", "w_lsr30")):
        counts[f"{name}_den"] = f"{w} AND pk AND live"
        counts[f"{name}_num"] = f"{w} AND pk AND live AND late"
    counts["cancel_rate_7d_den"] = "w_cancel AND pk"
    counts["cancel_rate_7d_num"] = "w_cancel AND pk AND cancelled"
    counts["vtr_30d_den"] = "w_vtr AND pk AND sk"
    counts["vtr_30d_num"] = "w_vtr AND pk AND sk AND tracked"
    counts["otdr_14d_den"] = "w_otdr AND pk AND sk AND tracked"
    counts["otdr_14d_num"] = "w_otdr AND pk AND sk AND tracked AND on_time"
    counts["idr_7d_den"] = "w_idr AND pk AND business AND sk"
    counts["idr_7d_num"] = "w_idr AND pk AND business AND sk AND invoice_late"
    return flags, counts


def snapshot_rows(con: duckdb.DuckDBPyConnection, tables: dict[str, str], d: int, policy: Policy):
    """One as-of date: one conditional count per column over the orders, grouped by key.

    The ODR numerators come from a second, narrower pass: the defects active on D, one
    row per order, joined to the orders in the ODR population on D.
    """
    flags, cond = _snapshot_conditions(d, policy)
    counts = ", ".join(f"count(*) FILTER (WHERE {c}) AS {name}" for name, c in cond.items())
    flag_cols = ", ".join(f"{c} AS {name}" for name, c in flags.items())
    con.execute(f"""
    CREATE TEMP TABLE wide AS
    SELECT seller_id, marketplace, channel, {counts}
    FROM (SELECT seller_id, marketplace, channel, {flag_cols} FROM ({tables["orders"]}))
    GROUP BY seller_id, marketplace, channel""")
    cad = policy.cadence_minutes
    won = "outcome = 'seller_won'" if policy.chargeback_won_removes else "false"
    active = f"""
    SELECT order_id, bool_or(comp = 1) AS c1, bool_or(comp = 2) AS c2, bool_or(comp = 3) AS c3
    FROM (
        SELECT order_id, 1 AS comp FROM ({tables["feedback"]})
        WHERE rating <= 2 AND {_known_by("left_at", d, cad["feedback"])}
            AND (removed_at IS NULL OR NOT {_known_by("removed_at", d, cad["feedback"])})
        UNION ALL
        SELECT order_id, 2 FROM ({tables["claims"]})
        WHERE {_known_by("filed_at", d, cad["claims"])}
            AND NOT coalesce(outcome IN ('denied', 'withdrawn', 'protected')
                AND {_known_by("resolved_at", d, cad["claims"])}, false)
        UNION ALL
        SELECT order_id, 3 FROM ({tables["chargebacks"]})
        WHERE kind = 'service' AND {_known_by("filed_at", d, cad["chargebacks"])}
            AND NOT coalesce({won} AND {_known_by("resolved_at", d, cad["chargebacks"])}, false)
    ) GROUP BY order_id"""
    components = ", ".join(
        f"count(*) FILTER (WHERE a.c{i}) AS {m}_num" for i, m in _COMPONENTS.items()
    )
    con.execute(f"""
    CREATE TEMP TABLE odr AS
    SELECT seller_id, marketplace, channel, count(*) AS odr_num, {components}
    FROM ({tables["orders"]}) AS o JOIN ({active}) AS a USING (order_id)
    WHERE {flags["w_odr"]} AND {flags["pk"]}
    GROUP BY seller_id, marketplace, channel""")
    create_keys(con, "wide")
    odr_cols = ["odr_num", *(f"{m}_num" for m in _COMPONENTS.values())]
    con.execute(f"""
    CREATE TEMP TABLE w AS
    SELECT keys.k, keys.channel, wide.* EXCLUDE (seller_id, marketplace, channel),
        {", ".join(f"coalesce(odr.{c}, 0) AS {c}" for c in odr_cols)}
    FROM wide JOIN keys USING (seller_id, marketplace, channel)
    LEFT JOIN odr USING (seller_id, marketplace, channel)""")
    parts = []
    for metric in (*_ODR, *_MFN_ONLY):
        den = "odr_den" if metric in _ODR else f"{metric}_den"
        where = "channel = 'mfn'" if metric in _MFN_ONLY else "true"
        parts.append(
            f"SELECT k, {RANK[metric]} AS mr, {d} AS day, {metric}_num AS num, {den} AS den "
            f"FROM w WHERE {where}"
        )
    # idr_7d: both channels together, under the seller's ``all`` key.
    parts.append(f"""
    SELECT keys.k, {RANK["idr_7d"]}, {d}, sum(w.idr_7d_num), sum(w.idr_7d_den)
    FROM w JOIN keys AS own USING (k)
    JOIN keys ON keys.channel = 'all' AND keys.seller_id = own.seller_id
        AND keys.marketplace = own.marketplace
    GROUP BY keys.k""")
    return " UNION ALL ".join(parts)


def history_rows(
    con: duckdb.DuckDBPyConnection, tables: dict[str, str], d1: int, d2: int, policy: Policy
) -> str:
    """Every as-of date d1..d2: +1/-1 events per window, cumulative sums per series.

    A series is one key and metric (numerator and denominator together) or, for the ODR
    family, one key (the shared denominator and the four numerators). Events are summed
    per series and day, a windowed ``SUM ... ORDER BY day`` turns them into counts on the
    days that have events, and each such row then stands for every day up to the next
    one (``unnest(range(day, next_day))``): the dense series x date grid.
    """
    create_keys(con, f"({tables['orders']})")
    con.execute(f"""
    CREATE TEMP TABLE kf AS
    WITH kmap AS (
        SELECT own.seller_id, own.marketplace, own.channel, own.k, al.k AS ka
        FROM keys AS own JOIN keys AS al ON al.channel = 'all'
            AND al.seller_id = own.seller_id AND al.marketplace = own.marketplace
        WHERE own.channel <> 'all'
    )
    SELECT kmap.k, kmap.ka, f.* EXCLUDE (seller_id, marketplace, channel)
    FROM ({_facts(tables["orders"], policy)}) AS f
    JOIN kmap USING (seller_id, marketplace, channel)""")
    # Defect windows within the order's ODR window, then merged per order and component
    # (comp 0 = any defect: the odr numerator), so that each order counts once.
    con.execute(f"""
    CREATE TEMP TABLE islands AS
    WITH r AS (
        SELECT kf.k, kf.order_id, d.comp,
            greatest(kf.odr_den_cf, d.v) AS cf,
            least(kf.odr_den_co, coalesce(d.s, {_NEVER})) AS co
        FROM ({_defects(tables, policy)}) AS d JOIN kf USING (order_id)
    ),
    rr AS (
        SELECT * FROM r WHERE cf < co UNION ALL SELECT k, order_id, 0, cf, co FROM r WHERE cf < co
    ),
    g AS (
        SELECT *, max(co) OVER (PARTITION BY order_id, comp ORDER BY cf, co
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
        FROM rr
    ),
    h AS (
        SELECT *, sum(CASE WHEN reach IS NULL OR cf > reach THEN 1 ELSE 0 END)
            OVER (PARTITION BY order_id, comp ORDER BY cf, co ROWS UNBOUNDED PRECEDING) AS island
        FROM g
    )
    SELECT k, comp, min(cf) AS cf, max(co) AS co FROM h GROUP BY k, order_id, comp, island""")

    def events(source: str, key: str, cf: str, co: str, deltas: str) -> list[str]:
        """+1 on max(cf, d1) and -1 on co (when co <= d2) for every window meeting d1..d2."""
        live = f"{cf} < {co} AND {cf} <= {d2} AND {co} > {d1}"
        return [
            f"SELECT {key} AS k, greatest({cf}, {d1}) AS day, {deltas.format(1)} "
            f"FROM {source} AND {live}",
            f"SELECT {key} AS k, {co} AS day, {deltas.format(-1)} "
            f"FROM {source} AND {live} AND {co} <= {d2}",
        ]

    # Series of one metric: (k, mr, day, dn, dd).
    simple = []
    for metric in (*_MFN_ONLY, "idr_7d"):
        key, source = ("ka", "kf WHERE true") if metric == "idr_7d" else ("k", "kf WHERE mfn")
        mr = RANK[metric]
        for part, deltas in (
            ("den", f"{mr} AS mr, 0 AS dn, {{}} AS dd"),
            ("num", f"{mr} AS mr, {{}} AS dn, 0 AS dd"),
        ):
            simple += events(source, key, f"{metric}_{part}_cf", f"{metric}_{part}_co", deltas)
        channel = "all" if metric == "idr_7d" else "mfn"
        simple.append(
            f"SELECT k, {d1} AS day, {mr} AS mr, 0 AS dn, 0 AS dd "
            f"FROM keys WHERE channel = '{channel}'"
        )
    # The ODR family: (k, day, dd, d0 = any defect, d1..d3 = each component).
    cols = ["dd", "d0", "d1", "d2", "d3"]

    def odr_deltas(col: str) -> str:
        return ", ".join(f"{{}} AS {c}" if c == col else f"0 AS {c}" for c in cols)

    family = events("kf WHERE true", "k", "odr_den_cf", "odr_den_co", odr_deltas("dd"))
    for comp in range(4):
        family += events(f"islands WHERE comp = {comp}", "k", "cf", "co", odr_deltas(f"d{comp}"))
    # Seeds: every series starts with a row on d1, so that densifying covers every day.
    family.append(
        f"SELECT k, {d1} AS day, 0 AS dd, 0 AS d0, 0 AS d1, 0 AS d2, 0 AS d3 "
        "FROM keys WHERE channel <> 'all'"
    )
    con.execute(f"""
    CREATE TEMP TABLE simple AS
    WITH e AS (
        SELECT k, mr, day, sum(dn) AS dn, sum(dd) AS dd
        FROM ({" UNION ALL ".join(simple)}) GROUP BY k, mr, day
    ),
    c AS (
        SELECT k, mr, day,
            CAST(sum(dn) OVER w AS BIGINT) AS num, CAST(sum(dd) OVER w AS BIGINT) AS den,
            lead(day, 1, {d2 + 1}) OVER (PARTITION BY k, mr ORDER BY day) AS next_day
        FROM e WINDOW w AS (PARTITION BY k, mr ORDER BY day ROWS UNBOUNDED PRECEDING)
    )
    SELECT k, mr, CAST(unnest(range(day, next_day)) AS INTEGER) AS day, num, den FROM c""")
    sums = ", ".join(f"sum({c}) AS {c}" for c in cols)
    cums = ", ".join(f"CAST(sum({c}) OVER w AS BIGINT) AS {c}" for c in cols)
    con.execute(f"""
    CREATE TEMP TABLE family AS
    WITH e AS (SELECT k, day, {sums} FROM ({" UNION ALL ".join(family)}) GROUP BY k, day),
    c AS (
        SELECT k, day, {cums}, lead(day, 1, {d2 + 1}) OVER (PARTITION BY k ORDER BY day) AS next_day
        FROM e WINDOW w AS (PARTITION BY k ORDER BY day ROWS UNBOUNDED PRECEDING)
    )
    SELECT k, CAST(unnest(range(day, next_day)) AS INTEGER) AS day, {", ".join(cols)} FROM c""")
    parts = ["SELECT k, mr, day, num, den FROM simple"]
    for comp, metric in enumerate(_ODR):
        parts.append(f"SELECT k, {RANK[metric]}, day, d{comp}, dd FROM family")
    return " UNION ALL ".join(parts)


def create_keys(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Integer keys ranked in output order (channel ``all`` sorts between afn and mfn)."""
    con.execute(f"""
    CREATE TEMP TABLE keys AS
    WITH ch AS (SELECT DISTINCT seller_id, marketplace, channel FROM {source}),
    u AS (SELECT * FROM ch UNION SELECT seller_id, marketplace, 'all' FROM ch)
    SELECT CAST(row_number() OVER (ORDER BY seller_id, marketplace, channel) AS INTEGER) AS k,
        seller_id, marketplace, channel
    FROM u""")
