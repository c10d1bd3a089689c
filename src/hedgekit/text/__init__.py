"""hedgekit.text."""
