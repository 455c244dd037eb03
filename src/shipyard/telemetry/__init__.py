"""What a server tells about itself: Prometheus metrics, structured logs, optional traces."""
