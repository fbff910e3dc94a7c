"""The metrics engine (definitions section 4 and 5): rules, metrics, statistics, clearance, forecasts.

Imports :mod:`toolkit.model`, :mod:`toolkit.time` and :mod:`toolkit.compliance` (the
clearance table lists policy violations beside the defect records).
"""
