"""hedgekit.risk."""
