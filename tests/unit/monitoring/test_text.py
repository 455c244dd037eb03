"""Descriptors of free text: what drift of a text column is measured on."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from shipyard.domain.profile import TextProfile
from shipyard.monitoring.drift import Numbers, column_drift
from shipyard.monitoring.profile import build_reference_profile
from shipyard.monitoring.text import (
    LENGTH,
    OUT_OF_VOCABULARY,
    describe,
    lengths,
    out_of_vocabulary_rates,
    split_reference,
    words,
)


def test_words_are_lowercase_letters_with_inner_apostrophes() -> None:
    assert words("Don't STOP, 2 go: https://t.co/x été!") == [
        "don't",
        "stop",
        "go",
        "https",
        "t",
        "co",
        "x",
        "été",
    ]


def test_out_of_vocabulary_rate_is_the_share_of_unknown_words() -> None:
    rates = out_of_vocabulary_rates(
        ["the cat sat", "le chat", "42 !", None], frozenset({"the", "cat"})
    )
    assert rates[0] == 1 / 3
    assert rates[1] == 1.0
    assert math.isnan(rates[2])  # no words: nothing to measure
    assert math.isnan(rates[3])
    sizes = lengths(["abc", None])
    assert sizes[0] == 3.0
    assert math.isnan(sizes[1])


def test_the_reference_is_not_measured_against_its_own_words() -> None:
    texts = ["alpha beta", "gamma", "beta", "alpha delta"]
    known, described = split_reference(texts)
    assert known == {"alpha", "beta"}
    assert described == ["gamma", "alpha delta"]
    reference, _ = describe(texts, ["x"])[OUT_OF_VOCABULARY]
    assert reference.tolist() == [1.0, 0.5]


def _sentences(vocabulary: list[str], rows: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(vocabulary, size=rng.integers(3, 12))) for _ in range(rows)]


ENGLISH = [f"{letter}ing" for letter in "abcdefghijklmnopqrstuvwxyz"] + ["the", "and", "of"]
OTHER = ["le", "la", "et", "des", "une", "avec", "pour", "dans", "sur", "chez"]


def test_texts_like_the_reference_do_not_drift_and_new_words_do() -> None:
    reference = _sentences(ENGLISH, 3_000, seed=1)
    same = _sentences(ENGLISH, 600, seed=2)
    shifted = _sentences(OTHER, 300, seed=3) + _sentences(ENGLISH, 300, seed=4)

    def drifted(current: list[str]) -> dict[str, bool]:
        described = describe(reference, current)
        return {
            name: column_drift(name, "text", Numbers.of(ref), Numbers.of(cur)).drifted
            for name, (ref, cur) in described.items()
        }

    assert drifted(same) == {LENGTH: False, OUT_OF_VOCABULARY: False}
    assert drifted(shifted)[OUT_OF_VOCABULARY] is True
    large = Numbers.of(np.arange(5_000.0))  # above the size Evidently leaves K-S for
    result = column_drift("text: length", "text", large, Numbers.of(np.arange(0.0, 5_000, 7)))
    assert (result.kind, result.method) == ("text", "ks")  # a test, whatever the size


def test_the_profile_describes_a_text_column() -> None:
    frame = pd.DataFrame({"text": ["a good day", "bad", None], "n": [1, 2, 3]})
    profile = build_reference_profile(frame, text_columns=("text",))
    text = profile.features["text"]
    assert isinstance(text, TextProfile)
    assert (text.count, text.missing, text.vocabulary) == (3, 1, 4)
    assert text.mean_words == 2.0
    assert text.length_quantiles["1.0"] == 10.0


def test_unseen_tweets_seldom_drift_and_french_always_does() -> None:
    from shipyard.training.datasets import PRETRAINED

    corpus = PRETRAINED["sentiment"].load_corpus()["text"]
    reference = corpus.sample(10_000, random_state=42)  # as the example registers it
    unseen = corpus.drop(reference.index)
    french = [
        "Je suis très content de cette journée magnifique",
        "Le service était vraiment horrible et lent",
        "Nous allons au marché demain matin",
    ]

    def drifted(current: list[str]) -> bool:
        described = describe(reference.tolist(), current)
        return any(
            column_drift(name, "text", Numbers.of(ref), Numbers.of(cur)).drifted
            for name, (ref, cur) in described.items()
        )

    windows = [unseen.sample(150, random_state=seed).tolist() for seed in range(40)]
    false_alarms = sum(drifted(window) for window in windows)
    assert false_alarms <= 6  # two descriptors at p < 0.05: about 10 % expected
    assert drifted(unseen.sample(300, random_state=1).tolist() + french * 50)
