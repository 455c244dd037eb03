"""The baseline: the FastAPI file people write by hand around a model (no validation beyond
JSON objects, no logging, predict on the event loop). Serves the same registered version as
shipyard, with scikit-learn.

    SHIPYARD_MLFLOW_TRACKING_URI=... uvicorn bench.floor_app:app --port 8001
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
from fastapi import FastAPI

from shipyard.registry import ModelRegistry

registry = ModelRegistry(os.environ["SHIPYARD_MLFLOW_TRACKING_URI"])
model = registry.load("attrition", "champion").estimator
app = FastAPI()


@app.post("/predict")
async def predict(
    body: dict[str, Any] | list[dict[str, Any]],
) -> dict[str, float] | list[dict[str, float]]:
    records = body if isinstance(body, list) else [body]
    probabilities = model.predict_proba(pd.DataFrame(records))
    answers = [
        {str(label): float(p) for label, p in zip(model.classes_, row, strict=True)}
        for row in probabilities
    ]
    return answers if isinstance(body, list) else answers[0]
