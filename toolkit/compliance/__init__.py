"""Policy compliance (definitions section 6): violations, their display and points, the AHR estimate.

Imports :mod:`toolkit.model` and :mod:`toolkit.time`.
"""
