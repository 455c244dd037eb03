"""The floor: the FastAPI file people write by hand around a model (no validation beyond a
dict, no logging, predict on the event loop). Serves the same registered version as shipyard.

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
async def predict(record: dict[str, Any]) -> dict[str, float]:
    probabilities = model.predict_proba(pd.DataFrame([record]))[0]
    return {str(label): float(p) for label, p in zip(model.classes_, probabilities, strict=True)}
