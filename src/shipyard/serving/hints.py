"""Hints for each input field of a version, from its reference data: what a generated form
(the dashboard's "try it") offers and starts from.

Only aggregates (a median, the commonest category, the range, the categories): never a
record. The input example is a real training row, and after a retrain it can be another
caller's logged input; a predict-only key must not read it back."""

from __future__ import annotations

from typing import Any

import pandas as pd

from shipyard.domain.schema import FieldHint, FieldType, FieldValue, InputSchema

MAX_CHOICES = 100
"""More distinct strings than this are free text, not categories."""


def _plain(value: Any) -> FieldValue | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return value if isinstance(value, str | int | float | bool) else str(value)


def field_hints(schema: InputSchema, reference: pd.DataFrame | None) -> dict[str, FieldHint]:
    hints: dict[str, FieldHint] = {}
    for field in schema.fields:
        column = (
            reference[field.name].dropna()
            if reference is not None and field.name in reference.columns
            else None
        )
        if column is None or column.empty:
            hints[field.name] = FieldHint()
            continue
        if field.type in (FieldType.INTEGER, FieldType.NUMBER):
            numbers = pd.to_numeric(column, errors="coerce").dropna()
            typical: FieldValue | None = None
            if not numbers.empty:
                median = float(numbers.median())
                typical = round(median) if field.type is FieldType.INTEGER else median
            hints[field.name] = FieldHint(
                example=typical,
                minimum=float(numbers.min()) if not numbers.empty else None,
                maximum=float(numbers.max()) if not numbers.empty else None,
            )
        elif field.type is FieldType.STRING:
            counts = column.astype(str).value_counts()
            choices = tuple(sorted(counts.index)) if len(counts) <= MAX_CHOICES else ()
            hints[field.name] = FieldHint(example=str(counts.index[0]), choices=choices)
        else:  # booleans: the commoner value
            hints[field.name] = FieldHint(example=_plain(column.mode().iloc[0]))
    return hints
