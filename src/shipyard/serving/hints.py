"""Hints for each input field of a version, from its input example and reference data: what
a generated form (the dashboard's "try it") offers and starts from."""

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


def field_hints(
    schema: InputSchema, example: list[dict[str, Any]], reference: pd.DataFrame | None
) -> dict[str, FieldHint]:
    first = example[0] if example else {}
    hints: dict[str, FieldHint] = {}
    for field in schema.fields:
        column = (
            reference[field.name].dropna()
            if reference is not None and field.name in reference.columns
            else None
        )
        typical = _plain(first.get(field.name))
        if column is None or column.empty:
            hints[field.name] = FieldHint(example=typical)
            continue
        if field.type in (FieldType.INTEGER, FieldType.NUMBER):
            numbers = pd.to_numeric(column, errors="coerce").dropna()
            if typical is None and not numbers.empty:
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
            hints[field.name] = FieldHint(
                example=typical if typical is not None else str(counts.index[0]),
                choices=choices,
            )
        else:
            hints[field.name] = FieldHint(example=typical)
    return hints
