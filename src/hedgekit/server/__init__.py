"""hedgekit.server."""
