"""Portfolio statistics: compare many sellers at one as-of date, and one seller over weeks.

One import for analysts and agencies; each topic lives in its own module:

- :mod:`toolkit.portfolio.funnel`: funnel-plot control limits around the target
  (:func:`funnel_limits`) and where each seller falls (:func:`funnel_points`);
- :mod:`toolkit.portfolio.overdispersion`: whether sellers vary more than chance allows
  (:func:`overdispersion`) and the z-score expression (:func:`z_score`);
- :mod:`toolkit.portfolio.shrinkage`: empirical-Bayes shrunken rates (:func:`fit_beta_binomial`,
  :func:`shrink_rates`);
- :mod:`toolkit.portfolio.pchart`: a weekly p-chart of one seller (:func:`p_chart`).

Every output is a long-form polars frame ready for charts: funnel points
(``seller_id, denominator, rate, level, lower, upper, status``), funnel limits
(``n, level, lower, upper``) and p-charts (``week, rate, centre, lower, upper``).
``docs/portfolio.md`` explains what each number means and where the methods come from.

Examples
--------
>>> import polars as pl
>>> from toolkit.portfolio import fit_beta_binomial, funnel_points, overdispersion
>>> sellers = pl.LazyFrame({
...     "seller_id": ["A", "B", "C", "D"],
...     "numerator": [1, 4, 2, 9],
...     "denominator": [100, 200, 150, 300],
... })
>>> overdispersion(sellers, p0=0.04).select("sellers", "overdispersed").collect().row(0)
(4, False)
>>> points = funnel_points(sellers, p0=0.04, levels=[0.95])
>>> points.select("seller_id", "status").sort("seller_id").collect()["status"].to_list()
['inside', 'inside', 'inside', 'inside']
>>> fit_beta_binomial(sellers).at_bound
True
"""

from __future__ import annotations

from toolkit.portfolio.funnel import funnel_limits, funnel_points, z_for_level
from toolkit.portfolio.overdispersion import overdispersion, z_score
from toolkit.portfolio.pchart import p_chart
from toolkit.portfolio.shrinkage import BetaPrior, fit_beta_binomial, shrink_rates

__all__ = [
    "BetaPrior",
    "fit_beta_binomial",
    "funnel_limits",
    "funnel_points",
    "overdispersion",
    "p_chart",
    "shrink_rates",
    "z_for_level",
    "z_score",
]
