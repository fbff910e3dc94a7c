"""Time: visibility of facts (SPEC 2) and retention windows counted over dates (SPEC 5).

Imports only :mod:`toolkit.model`.
"""
