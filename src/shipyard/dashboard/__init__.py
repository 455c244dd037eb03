"""The dashboard: a Streamlit app that reads and steers a running server through its API.

It holds no state of its own and never opens the database: every number on every page comes
from :class:`shipyard.client.ShipyardClient` with a read (or admin) key. ``app.py`` is the
entry script; ``views/`` holds one script per page; ``charts.py`` turns the API's answers
into frames and charts; ``hosting.py`` puts the dashboard and the API on one port.
"""
