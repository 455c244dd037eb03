"""``shipyard simulate``: realistic traffic against a running server, drifted on purpose."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from shipyard.cli.context import console
from shipyard.client import ShipyardClient
from shipyard.registry import input_schema_of
from shipyard.services.simulation import concept_labels, draw, holdout_of, shift_records
from shipyard.training.datasets import EXAMPLES, read_table


def _source(model: str, data: Path | None, target: str | None) -> tuple[pd.DataFrame, Any]:
    if data is None:
        if model not in EXAMPLES:
            raise typer.BadParameter(
                f"{model!r} is not an example; give --data with rows of its inputs",
                param_hint="--data",
            )
        return holdout_of(model)
    frame = read_table(data)
    if target is None:
        return frame, None
    return frame.drop(columns=[target]), frame[target].astype(str)


def simulate(
    model: Annotated[str, typer.Option("--model", "-m", help="Served model to send to.")],
    drift: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Shift: 0 = as in the data, 1 = far off.")
    ] = 0.0,
    rows: Annotated[int, typer.Option(min=1, help="Records to send.")] = 600,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Records per request.")] = 20,
    feedback: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of predictions sent their true label.")
    ] = 0.3,
    rate: Annotated[
        float | None,
        typer.Option(min=0.1, help="Requests per second (default: as fast as it answers)."),
    ] = None,
    url: Annotated[str, typer.Option(help="The server.")] = "http://127.0.0.1:8000",
    api_key: Annotated[
        str | None, typer.Option(help="A key with predict (and read for feedback) scopes.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="Rows to draw from (default: the example's holdout).")
    ] = None,
    target: Annotated[str | None, typer.Option(help="The label column in --data.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    concept: Annotated[
        str | None,
        typer.Option(
            help="Concept drift: feedback labels say positive exactly where this holds, e.g. "
            "OverTime=Yes or MonthlyIncome<3000."
        ),
    ] = None,
) -> None:
    """Send rows drawn from the holdout, shifted by --drift, and feedback labels for some."""
    rng = np.random.default_rng(seed)
    features, truth = _source(model, data, target)
    drawn, labels = draw(features, truth, rows, rng)
    shifted = shift_records(drawn, input_schema_of(features), drift, rng)
    if concept is not None and labels is not None:
        labels = concept_labels(shifted, concept, sorted(labels.unique()))
    key = api_key or os.environ.get("SHIPYARD_API_KEY")
    sent_feedback = 0
    with (
        ShipyardClient(url, api_key=key) as client,
        Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()) as bar,
    ):
        task = bar.add_task(f"{model}, drift {drift:g}", total=rows)
        for start in range(0, rows, batch):
            began = time.monotonic()
            answer = client.predict(model, shifted.iloc[start : start + batch])
            for offset, prediction in enumerate(answer.predictions):
                if labels is not None and rng.random() < feedback:
                    client.feedback(prediction.prediction_id, str(labels.iloc[start + offset]))
                    sent_feedback += 1
            bar.advance(task, len(answer.predictions))
            if rate is not None:
                time.sleep(max(0.0, 1.0 / rate - (time.monotonic() - began)))
    console.print(
        f"[green]✓[/] {rows} records sent to {model} with drift {drift:g}; "
        f"{sent_feedback} feedback labels"
    )
