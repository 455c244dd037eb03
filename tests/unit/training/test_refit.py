"""The data of a retrain: what is held out, what is fitted on, and when it is too little."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shipyard.domain.lifecycle import NotEnoughFeedback
from shipyard.training.refit import assemble, data_hash

CLASSES = ("No", "Yes")


def rows(start: int, count: int) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(start, start + count), "s": ["a", "b"] * (count // 2)})


def labels(count: int) -> pd.Series:
    return pd.Series(["No", "Yes"] * (count // 2), dtype=object)


def keys(frame: pd.DataFrame) -> set[tuple[int, str]]:
    return set(zip(frame["x"], frame["s"], strict=True))


def test_the_holdout_is_feedback_the_champion_never_saw_and_is_never_fitted_on() -> None:
    reference = rows(0, 100)
    # 200 feedback rows: 40 repeat rows the champion was fitted on, 10 repeat each other.
    feedback = pd.concat([rows(60, 40), rows(1000, 150), rows(1000, 10)], ignore_index=True)
    data = assemble(
        reference,
        labels(100),
        feedback,
        labels(200),
        classes=CLASSES,
        holdout_share=0.3,
        min_labelled=50,
        seed=0,
    )
    held = keys(data.holdout_features)
    assert held.isdisjoint(keys(reference))  # the champion never saw a held-out row
    assert held.isdisjoint(keys(data.train_features))  # nor does the candidate
    assert len(data.holdout_features) == 48  # 30 % of the 160 rows neither saw
    assert data.reference_rows == 100
    assert data.feedback_rows + len(data.holdout_features) <= 160
    assert sorted(set(data.holdout_target)) == ["No", "Yes"]
    assert any("40 feedback rows the champion was fitted on" in n for n in data.notes)


def test_labels_outside_the_classes_are_left_out_and_too_few_are_refused() -> None:
    feedback = rows(0, 120)
    strange = labels(120).where(np.arange(120) >= 10, "Maybe")
    data = assemble(
        None,
        None,
        feedback,
        strange,
        classes=CLASSES,
        holdout_share=0.3,
        min_labelled=100,
        seed=0,
    )
    assert set(data.train_target) | set(data.holdout_target) == {"No", "Yes"}
    assert any("10 feedback labels outside ['No', 'Yes']" in n for n in data.notes)
    assert any("without reference labels" in n for n in data.notes)
    with pytest.raises(NotEnoughFeedback, match="only 40 logged predictions"):
        assemble(None, None, rows(0, 40), labels(40), classes=CLASSES, holdout_share=0.3,
                 min_labelled=100, seed=0)  # fmt: skip
    one_yes = pd.Series(["No"] * 119 + ["Yes"], dtype=object)
    with pytest.raises(NotEnoughFeedback, match="fewer than 2 labels of 'Yes'"):
        assemble(None, None, rows(0, 120), one_yes, classes=CLASSES, holdout_share=0.3,
                 min_labelled=100, seed=0)  # fmt: skip


def test_the_data_hash_changes_with_any_row_or_label() -> None:
    frame, target = rows(0, 10), labels(10)
    assert data_hash(frame, target) == data_hash(frame.copy(), target.copy())
    changed = frame.copy()
    changed.loc[3, "x"] = 99
    assert data_hash(changed, target) != data_hash(frame, target)
    assert data_hash(frame, target.iloc[::-1].reset_index(drop=True)) != data_hash(frame, target)
