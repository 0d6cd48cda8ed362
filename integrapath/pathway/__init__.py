"""The integration pathway: stages from pre-departure to inclusion, and their history."""
