"""Amazon's files (definitions section 7): reading its reports, writing its shape, reconciliation."""
