"""hedgekit.backtest."""
