"""Wire bodies of the HTTP API, shared by ``shipyard.api`` and ``shipyard.client``."""
