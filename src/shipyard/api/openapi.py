"""OpenAPI with each served model's own request schema: named, typed fields per model."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shipyard.services.runtime import Runtime

GENERIC_PATH = "/v1/models/{name}/predict"


def _body_for(record_ref: dict[str, str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        record_ref,
                        {"type": "array", "items": record_ref, "minItems": 1},
                    ]
                }
            }
        },
    }


def build_openapi(app: FastAPI, runtime: Runtime) -> dict[str, Any]:
    """FastAPI's schema, plus a concrete ``/v1/models/<name>/predict`` per loaded model."""
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    paths = schema.setdefault("paths", {})
    generic = paths.get(GENERIC_PATH, {}).get("post")
    for name, served in sorted(runtime.models.loaded().items()):
        record_schema = served.validator.json_schema()
        title = str(record_schema.get("title", f"{name}Record"))
        components[title] = record_schema
        body = _body_for({"$ref": f"#/components/schemas/{title}"})
        if generic is not None:
            operation = copy.deepcopy(generic)
            operation["operationId"] = f"predict_{name}"
            operation["summary"] = f"Predict with {name}"
            operation["parameters"] = [
                p for p in operation.get("parameters", []) if p.get("name") != "name"
            ]
            operation["requestBody"] = body
            paths[f"/v1/models/{name}/predict"] = {"post": operation}
        if name == runtime.models.default and "/predict" in paths:
            paths["/predict"]["post"]["requestBody"] = body
    return schema
