"""The HTTP API (FastAPI). The only package that knows HTTP status codes."""
