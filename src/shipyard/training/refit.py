"""The data of a retrain, and the refit itself.

The candidate is a fresh fit of the champion's own pipeline (``sklearn.base.clone``: same
steps and hyper-parameters, no learned state) on the champion's training data plus the
labelled feedback. The holdout both models are scored on is drawn from the labelled
feedback only: rows neither model was fitted on, from the traffic the model meets now.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from shipyard.domain.lifecycle import NotEnoughFeedback


@dataclass(frozen=True)
class RetrainData:
    train_features: pd.DataFrame
    train_target: pd.Series
    holdout_features: pd.DataFrame
    holdout_target: pd.Series
    reference_rows: int
    feedback_rows: int
    notes: list[str] = field(default_factory=list)


def _row_hashes(frame: pd.DataFrame) -> pd.Series:
    return pd.util.hash_pandas_object(frame, index=False)


def assemble(
    reference: pd.DataFrame | None,
    reference_labels: pd.Series | None,
    feedback: pd.DataFrame,
    feedback_labels: pd.Series,
    *,
    classes: tuple[str, ...],
    holdout_share: float,
    min_labelled: int,
    seed: int,
) -> RetrainData:
    """Hold out a share of the labelled feedback that the champion was not fitted on; fit on
    the rest plus the reference rows. Labels outside the champion's ``classes`` are left
    out (the candidate answers with the same classes), and so are feedback rows the
    champion was fitted on (after a retrain, its reference data holds the feedback it saw)."""
    notes: list[str] = []
    known = feedback_labels.isin(classes).to_numpy()
    if not known.all():
        notes.append(f"{int((~known).sum())} feedback labels outside {list(classes)} were left out")
    has_reference = reference is not None and reference_labels is not None
    seen = np.zeros(len(feedback), dtype=bool)
    if reference is not None and has_reference:
        reference = reference[list(feedback.columns)]
        seen = _row_hashes(feedback).isin(set(_row_hashes(reference))).to_numpy()
        if seen.any():
            notes.append(
                f"{int(seen.sum())} feedback rows the champion was fitted on were left out"
            )
    keep = known & ~seen
    feedback, feedback_labels = feedback[keep], feedback_labels[keep].astype(str)
    if len(feedback) < min_labelled:
        raise NotEnoughFeedback(
            f"only {len(feedback)} logged predictions have a feedback label the champion was "
            f"not fitted on (at least {min_labelled} needed, retrain.min_labelled): send "
            "true labels to POST /v1/predictions/{id}/feedback first"
        )
    counts = feedback_labels.value_counts()
    missing = [label for label in classes if counts.get(label, 0) < 2]
    if missing:
        raise NotEnoughFeedback(
            f"the feedback holds fewer than 2 labels of {', '.join(map(repr, missing))}: "
            "a holdout needs every class to compare the models on"
        )
    fit_rows, holdout_rows, fit_labels, holdout_labels = train_test_split(
        feedback,
        feedback_labels,
        test_size=holdout_share,
        stratify=feedback_labels,
        random_state=seed,
    )
    if holdout_labels.nunique() < len(classes):
        raise NotEnoughFeedback(
            f"the {len(holdout_labels)} held-out labels miss a class: send more feedback "
            "or raise retrain.holdout_share"
        )
    # A record sent twice must not be fitted on in one copy and tested on in the other.
    held = set(_row_hashes(holdout_rows))
    unseen = ~_row_hashes(fit_rows).isin(held).to_numpy()
    if not unseen.all():
        notes.append(
            f"{int((~unseen).sum())} feedback rows equal to held-out rows were left out of the fit"
        )
        fit_rows, fit_labels = fit_rows[unseen], fit_labels[unseen]
    frames, labels = [fit_rows], [fit_labels]
    if reference is not None and reference_labels is not None:
        frames.insert(0, reference)
        labels.insert(0, reference_labels)
    else:
        notes.append(
            "the champion was registered without reference labels: fitted on feedback only"
        )
    return RetrainData(
        train_features=pd.concat(frames, ignore_index=True),
        train_target=pd.concat(labels, ignore_index=True).astype(str),
        holdout_features=holdout_rows.reset_index(drop=True),
        holdout_target=holdout_labels.reset_index(drop=True).astype(str),
        reference_rows=len(frames[0]) if len(frames) == 2 else 0,
        feedback_rows=len(fit_rows),
        notes=notes,
    )


def refit(champion: Any, features: pd.DataFrame, target: pd.Series) -> Any:
    """The champion's pipeline, unfitted, fitted again on these rows."""
    candidate = clone(champion)
    candidate.fit(features, target)
    return candidate


def data_hash(features: pd.DataFrame, target: pd.Series) -> str:
    """SHA-256 of the rows and labels, in order: the same data gives the same hash."""
    digest = hashlib.sha256()
    digest.update(",".join(map(str, features.columns)).encode())
    digest.update(pd.util.hash_pandas_object(features, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(target, index=False).to_numpy().tobytes())
    return digest.hexdigest()
