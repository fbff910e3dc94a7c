"""The data model: input tables, reading and validation, the policy, writing tables (definitions section 3, 8).

The lowest layer: it imports no other package of the toolkit.
"""
