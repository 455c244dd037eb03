"""Traffic that looks like production: rows of a data set, shifted on purpose.

``shift_records`` moves every column of a frame by a ``drift`` between 0 (the rows as they
are) and 1: numbers go up by ``drift`` standard deviations (whole numbers rounded up or
down at random, so that the shift is right on average), and each category is replaced by
the column's rarest one with probability ``drift``. At 0.5 every column drifts by
Evidently's default thresholds; at 0 none does (beyond sampling noise).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from shipyard.domain.schema import FieldType, InputSchema
from shipyard.errors import InvalidInput


def shift_records(
    rows: pd.DataFrame, schema: InputSchema, drift: float, rng: np.random.Generator
) -> pd.DataFrame:
    """A copy of ``rows`` with every schema column shifted by ``drift`` (0 to 1)."""
    if not 0.0 <= drift <= 1.0:
        raise ValueError(f"drift is a share between 0 and 1, not {drift}")
    shifted = rows.copy()
    if drift == 0:
        return shifted
    for field in schema.fields:
        column = rows[field.name]
        if field.type in (FieldType.INTEGER, FieldType.NUMBER):
            shift = drift * float(column.std(ddof=0) or 1.0)
            if field.type is FieldType.NUMBER:
                shifted[field.name] = column + shift
            else:  # rounded at random, up or down, so that the shift is right on average
                steps = np.floor(shift + rng.random(len(column))).astype("int64")
                shifted[field.name] = column.astype("int64") + steps
        else:
            rarest = column.value_counts().index[-1]
            replaced = rng.random(len(column)) < drift
            shifted[field.name] = column.where(~replaced, rarest)
    return shifted


def holdout_of(example_name: str) -> tuple[pd.DataFrame, pd.Series]:
    """The rows an example's models were not trained on (the default training split)."""
    from shipyard.services.training import TrainingOptions
    from shipyard.training.datasets import example
    from shipyard.training.evaluation import stratified_split

    features, target = example(example_name).load()
    options = TrainingOptions()
    split = stratified_split(features, target, test_size=options.test_size, seed=options.seed)
    return split.test_features, split.test_target


def draw(
    features: pd.DataFrame, target: pd.Series | None, rows: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.Series | None]:
    """``rows`` rows drawn with replacement (with their labels, where known)."""
    picked = rng.integers(0, len(features), rows)
    drawn = features.iloc[picked].reset_index(drop=True)
    return drawn, (target.iloc[picked].reset_index(drop=True) if target is not None else None)


def concept_labels(rows: pd.DataFrame, rule: str, classes: list[str]) -> pd.Series:
    """Labels of a changed world (concept drift): the positive class (the last of two
    ``classes``) exactly where ``rule`` holds: ``FIELD=VALUE``, ``FIELD<NUMBER`` or
    ``FIELD>NUMBER``; the other class elsewhere."""
    match = re.fullmatch(r"\s*(\w+)\s*([=<>])\s*(.+?)\s*", rule)
    if match is None:
        raise InvalidInput(f"a concept is FIELD=VALUE, FIELD<NUMBER or FIELD>NUMBER, not {rule!r}")
    if len(classes) != 2:
        raise InvalidInput(f"a concept relabels two classes, the labels hold {len(classes)}")
    name, operator, value = match.groups()
    if name not in rows.columns:
        raise InvalidInput(f"the concept names {name!r}, which is not a field of the rows")
    column = rows[name]
    if operator == "=":
        holds = column.astype(str) == value
    else:
        try:
            number = float(value)
        except ValueError:
            raise InvalidInput(f"{value!r} is not a number to compare {name} with") from None
        holds = column < number if operator == "<" else column > number
    negative, positive = classes
    return pd.Series(np.where(holds.to_numpy(), positive, negative), dtype=object)
