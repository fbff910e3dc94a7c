"""The data model: input tables, reading and validation, the policy, writing tables (SPEC 3, 8).

The lowest layer: it imports no other package of the toolkit.
"""
