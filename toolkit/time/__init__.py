"""Time: visibility of facts (definitions section 2) and retention windows counted over dates (definitions section 5).

Imports only :mod:`toolkit.model`.
"""
