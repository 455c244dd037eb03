"""Serving: validate records against a model's schema, run the model, hold the served set.

Knows nothing of HTTP, SQL or the registry.
"""
