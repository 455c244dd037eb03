"""Promote the newest version of a model, look at its history, and roll it back.

    SHIPYARD_API_KEY=sy_... python examples/lifecycle.py http://localhost:8000

Needs a key with the admin scope (``shipyard keys create --name ops --scopes admin``) and a
model with a version newer than the served one (``shipyard retrain attrition`` registers
one; so does ``shipyard train attrition --seed 7``). The test suite runs this file against
a live server.
"""

from __future__ import annotations

import os
import sys

from shipyard.client import ShipyardClient


def main(url: str, api_key: str | None, model: str = "attrition") -> None:
    with ShipyardClient(url, api_key=api_key) as client:
        described = client.model(model)
        newest = described.versions[0].version
        print(f"{model}: serving v{described.served_version}, newest v{newest}")

        moved = client.promote(model, newest, reason="example: try the newest")
        print(f"promoted: v{moved.from_version} -> v{moved.to_version}")
        print(f"now serving v{client.model(model).served_version}")

        back = client.rollback(model, reason="example: back to the one before")
        print(f"rolled back: v{back.from_version} -> v{back.to_version}")

        for move in client.history(model).items:
            print(f"  {move.kind:8} v{move.from_version} -> v{move.to_version} by {move.actor}")
        comparison = client.comparison(model)
        print(f"challenger: {comparison.challenger_version or 'none'}")


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8000",
        os.environ.get("SHIPYARD_API_KEY"),
    )
