"""The bare HTTP ceiling: FastAPI validating the same 30-field record with pydantic and
answering a constant. No model, no log, no auth: what the HTTP stack alone costs here.

    uvicorn bench.ceiling_app:app --port 8002 --no-access-log
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import FastAPI
from pydantic import create_model

from shipyard.training.datasets import example

features, _ = example("attrition").load()
fields: dict[str, Any] = {
    name: (int if pd.api.types.is_integer_dtype(dtype) else str, ...)
    for name, dtype in features.dtypes.items()
}
Record = create_model("Record", **fields)
app = FastAPI()
ANSWER = {"label": "No", "probabilities": {"No": 0.9, "Yes": 0.1}}


@app.post("/predict")
async def predict(record: Record) -> dict[str, Any]:  # type: ignore[valid-type]
    return ANSWER
