"""Prefect 3 flows: the only package that imports prefect (the ``prefect`` extra).

Each task is a few lines that call a service; the API never imports this package. Flows and
servers talk only through the registry (aliases) and the database.
"""
