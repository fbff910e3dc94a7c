"""Amazon's files (SPEC 7): reading its reports, writing its shape, reconciliation."""
