"""Statistics of data and predictions: reference profiles now, drift and quality later."""
