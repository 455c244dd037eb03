"""The pretrained sentiment model answers VADER's labels, as a scikit-learn classifier that
skops stores and shipyard's allow-list loads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from shipyard.registry.skops_policy import load_trusted, untrusted_types_of
from shipyard.training.datasets import PRETRAINED
from shipyard.training.sentiment import (
    SENTIMENT_CLASSES,
    VaderSentimentClassifier,
    class_probabilities,
)

TEXTS = [
    "I love this, it is great!",
    "This is the worst service ever.",
    "The meeting is at noon.",
    "Not bad at all :)",
    "GREAT news for our country!!!",
    "",
]


def _vader_label(compound: float) -> str:
    """The rule VADER's authors give for its compound score."""
    if compound >= 0.05:
        return "positive"
    if compound <= -0.05:
        return "negative"
    return "neutral"


@pytest.fixture(scope="module")
def model() -> VaderSentimentClassifier:
    return VaderSentimentClassifier().fit(None)


def test_labels_are_vaders_and_probabilities_sum_to_one(model: VaderSentimentClassifier) -> None:
    frame = pd.DataFrame({"text": TEXTS})
    analyzer = SentimentIntensityAnalyzer()
    expected = [_vader_label(analyzer.polarity_scores(t)["compound"]) for t in TEXTS]

    probabilities = model.predict_proba(frame)

    assert model.predict(frame).tolist() == expected
    assert expected[:3] == ["positive", "negative", "neutral"]
    assert list(model.classes_) == ["negative", "neutral", "positive"]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities[0, 2] > 0.9  # a clear text is a confident answer
    assert probabilities[2].max() < 0.5  # a neutral one is not


def test_a_score_on_the_threshold_gets_vaders_label() -> None:
    # No text of the corpus scores exactly +-0.05; the mapping from scores is tested alone.
    compound = np.array([0.05, -0.05, 0.0499, -0.0499])

    probabilities = class_probabilities(compound, threshold=0.05, temperature=5.0)

    labels = [SENTIMENT_CLASSES[i] for i in probabilities.argmax(axis=1)]
    assert labels == ["positive", "negative", "neutral", "neutral"]
    assert labels[:2] == [_vader_label(0.05), _vader_label(-0.05)]


def test_a_missing_text_is_neutral(model: VaderSentimentClassifier) -> None:
    assert model.predict(pd.DataFrame({"text": [None, np.nan]})).tolist() == ["neutral"] * 2


def test_it_round_trips_through_skops_and_the_allow_list(model: VaderSentimentClassifier) -> None:
    model.predict(pd.DataFrame({"text": ["warm up the analyzer"]}))
    data = sio.dumps(model)

    loaded = load_trusted(data, "sentiment")

    assert untrusted_types_of(model) == ["shipyard.training.sentiment.VaderSentimentClassifier"]
    frame = pd.DataFrame({"text": TEXTS})
    np.testing.assert_array_equal(loaded.predict_proba(frame), model.predict_proba(frame))
    # The analyzer is rebuilt from the pinned lexicons, not stored twice.
    assert len(data) < 2 * len(model.lexicon_.encode() + model.emoji_lexicon_.encode())


def test_the_example_corpus_is_real_tweets() -> None:
    corpus = PRETRAINED["sentiment"].load_corpus()
    assert list(corpus.columns) == ["text"]
    assert len(corpus) > 20_000
    assert corpus["text"].str.len().min() > 0
