"""Build the reference profile of a training frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shipyard.domain.profile import (
    CategoricalProfile,
    FeatureProfile,
    NumericProfile,
    ReferenceProfile,
    TextProfile,
)
from shipyard.monitoring.text import lengths, vocabulary, words

QUANTILE_LEVELS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)
HISTOGRAM_BINS = 20
SAMPLE_SIZE = 5_000


def _numeric(values: pd.Series, seed: int) -> NumericProfile:
    present = values.dropna().astype("float64")
    array = present.to_numpy()
    if array.size == 0:
        return NumericProfile(
            count=int(values.size),
            missing=int(values.isna().sum()),
            mean=0.0,
            std=0.0,
            min=0.0,
            max=0.0,
            quantiles={},
            histogram_edges=[],
            histogram_counts=[],
            sample=[],
        )
    counts, edges = np.histogram(array, bins=HISTOGRAM_BINS)
    sample = (
        present.sample(SAMPLE_SIZE, random_state=seed) if len(present) > SAMPLE_SIZE else present
    )
    return NumericProfile(
        count=int(values.size),
        missing=int(values.isna().sum()),
        mean=float(array.mean()),
        std=float(array.std(ddof=1)) if array.size > 1 else 0.0,
        min=float(array.min()),
        max=float(array.max()),
        quantiles={str(level): float(np.quantile(array, level)) for level in QUANTILE_LEVELS},
        histogram_edges=[float(edge) for edge in edges],
        histogram_counts=[int(count) for count in counts],
        sample=[float(v) for v in sample.to_numpy()],
    )


def _categorical(values: pd.Series) -> CategoricalProfile:
    present = values.dropna().astype(str)
    shares = present.value_counts(normalize=True)
    return CategoricalProfile(
        count=int(values.size),
        missing=int(values.isna().sum()),
        frequencies={str(k): float(v) for k, v in shares.items()},
    )


def _text(values: pd.Series) -> TextProfile:
    texts = [str(text) for text in values.dropna()]
    sizes = lengths(texts)
    return TextProfile(
        count=int(values.size),
        missing=int(values.isna().sum()),
        length_quantiles={str(level): float(np.quantile(sizes, level)) for level in QUANTILE_LEVELS}
        if texts
        else {},
        mean_words=float(np.mean([len(words(text)) for text in texts])) if texts else 0.0,
        vocabulary=len(vocabulary(texts)),
    )


def build_reference_profile(
    features: pd.DataFrame,
    target: pd.Series | None = None,
    *,
    seed: int = 0,
    text_columns: tuple[str, ...] = (),
) -> ReferenceProfile:
    """Quantiles, histogram and a value sample per numeric feature; shares per category;
    length and vocabulary per free-text column (``text_columns``). ``target``: the labels
    (their shares are kept)."""
    profiles: dict[str, FeatureProfile] = {}
    for column in features.columns:
        values = features[column]
        is_numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
            values
        )
        if column in text_columns:
            profiles[str(column)] = _text(values)
        else:
            profiles[str(column)] = _numeric(values, seed) if is_numeric else _categorical(values)
    label_shares: dict[str, float] = {}
    if target is not None:
        label_shares = {
            str(k): float(v) for k, v in target.astype(str).value_counts(normalize=True).items()
        }
    return ReferenceProfile(
        rows=len(features),
        features=profiles,
        target=str(target.name) if target is not None and target.name is not None else None,
        label_shares=label_shares,
    )
