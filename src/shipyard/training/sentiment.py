"""A pretrained text model that works offline: VADER's sentiment lexicon and rules
(Hutto & Gilbert, 2014; the ``vaderSentiment`` package) as a scikit-learn classifier.

Being a scikit-learn estimator, it is logged, registered, loaded (skops, no pickle),
validated and served like any trained model, and MLflow serves it as a pyfunc too. ``fit``
learns nothing: it copies the lexicons into the estimator, so that a registered version
answers the same whatever ``vaderSentiment`` is installed where it is served.

VADER gives each text a compound score ``c`` in [-1, 1] and calls it positive when
``c >= 0.05``, negative when ``c <= -0.05`` and neutral in between. The classifier's
probabilities are a softmax of ``(-c, threshold, c)`` scaled by ``temperature``: the most
probable class is always VADER's label, and a text near the thresholds gets a flat, uncertain
distribution.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

SENTIMENT_CLASSES = ("negative", "neutral", "positive")
"""In scikit-learn's order (sorted), as ``classes_`` lists them."""
_TIE_MARGIN = 1e-6


def class_probabilities(
    compound: np.ndarray[Any, np.dtype[np.float64]], threshold: float, temperature: float
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Probabilities of negative / neutral / positive from VADER's compound scores: a
    softmax of ``temperature * (-c, threshold, c)``, whose argmax is VADER's label."""
    # Neutral a hair below the threshold: a score exactly at it is VADER's positive (or
    # negative) and must win the argmax. VADER rounds scores to 4 decimals, so no score
    # falls inside the hair.
    neutral = np.full_like(compound, threshold - _TIE_MARGIN)
    logits = temperature * np.column_stack([-compound, neutral, compound])
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    probabilities: np.ndarray[Any, np.dtype[np.float64]] = weights / weights.sum(
        axis=1, keepdims=True
    )
    return probabilities


def _package_lexicons() -> tuple[str, str]:
    package = resources.files("vaderSentiment")
    return (
        (package / "vader_lexicon.txt").read_text(encoding="utf-8"),
        (package / "emoji_utf8_lexicon.txt").read_text(encoding="utf-8"),
    )


class VaderSentimentClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Texts in, probabilities of negative / neutral / positive out.

    ``text_column``: the input column holding the texts. ``threshold``: VADER's neutral band
    around a compound score of zero. ``temperature``: how sharply the probabilities follow
    the compound score.
    """

    def __init__(
        self, text_column: str = "text", threshold: float = 0.05, temperature: float = 5.0
    ) -> None:
        self.text_column = text_column
        self.threshold = threshold
        self.temperature = temperature

    def fit(self, features: Any, target: Any = None) -> VaderSentimentClassifier:
        """Pin the lexicons into the estimator; the data is not used."""
        self.lexicon_, self.emoji_lexicon_ = _package_lexicons()
        self.classes_ = np.array(SENTIMENT_CLASSES, dtype=object)
        self.feature_names_in_ = np.array([self.text_column], dtype=object)
        self.n_features_in_ = 1
        return self

    def _analyzer(self) -> Any:
        """VADER's analyzer built from the pinned lexicons (its constructor reads the files
        installed with the package instead). Read-only once built: safe across threads."""
        analyzer = self.__dict__.get("_built_analyzer")
        if analyzer is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            analyzer = SentimentIntensityAnalyzer.__new__(SentimentIntensityAnalyzer)
            analyzer.lexicon_full_filepath = self.lexicon_  # the attribute holds the text
            analyzer.lexicon = analyzer.make_lex_dict()
            analyzer.emoji_full_filepath = self.emoji_lexicon_
            analyzer.emojis = analyzer.make_emoji_dict()
            self.__dict__["_built_analyzer"] = analyzer
        return analyzer

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_built_analyzer", None)  # rebuilt from the lexicons where it is loaded
        return state

    def _texts(self, features: Any) -> list[str]:
        if isinstance(features, pd.DataFrame):
            column = features[self.text_column]
        else:
            column = pd.Series(np.asarray(features, dtype=object).reshape(len(features), -1)[:, 0])
        return ["" if pd.isna(text) else str(text) for text in column]

    def compound_scores(self, features: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
        analyzer = self._analyzer()
        return np.array(
            [analyzer.polarity_scores(text)["compound"] for text in self._texts(features)],
            dtype=np.float64,
        )

    def predict_proba(self, features: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
        return class_probabilities(self.compound_scores(features), self.threshold, self.temperature)

    def predict(self, features: Any) -> np.ndarray[Any, Any]:
        labels: np.ndarray[Any, Any] = self.classes_[self.predict_proba(features).argmax(axis=1)]
        return labels
