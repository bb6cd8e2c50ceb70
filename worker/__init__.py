"""RQ jobs over the service's data layer and the solver (see issue 4 for the rest)."""
