"""Free text as numbers drift can be measured on: descriptors of each text.

A text column has nearly as many distinct values as rows, so comparing it as categories
says nothing. As Evidently does, each text is described by numbers, and those are compared:

- ``length``: characters;
- ``out-of-vocabulary rate``: the share of its words that the reference texts never use
  (a new topic, a new language, garbled input).

The vocabulary is built from half of the reference rows (every other one), and the reference
rates come from the other half: measured against its own rows the reference would have a
rate of zero, and any traffic would look drifted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

Floats = np.ndarray[Any, np.dtype[np.float64]]
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
"""A run of letters, with inner apostrophes (``don't``): numbers, links' punctuation and
emoji are not words."""
LENGTH = "length"
OUT_OF_VOCABULARY = "out-of-vocabulary rate"
DESCRIPTORS = (LENGTH, OUT_OF_VOCABULARY)


def words(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def vocabulary(texts: Iterable[str | None]) -> frozenset[str]:
    return frozenset(word for text in texts if text for word in words(text))


def lengths(texts: Sequence[str | None]) -> Floats:
    """Characters of each text; NaN where there is none."""
    return np.array([len(text) if text is not None else np.nan for text in texts], np.float64)


def out_of_vocabulary_rates(texts: Sequence[str | None], known: frozenset[str]) -> Floats:
    """Share of each text's words outside ``known``; NaN for a text without words."""
    rates = np.full(len(texts), np.nan)
    for row, text in enumerate(texts):
        found = words(text) if text else []
        if found:
            rates[row] = sum(word not in known for word in found) / len(found)
    return rates


def split_reference(texts: Sequence[str | None]) -> tuple[frozenset[str], list[str | None]]:
    """The vocabulary (from the even rows) and the rows to describe the reference with (the
    odd ones); a single row is both."""
    if len(texts) < 2:
        return vocabulary(texts), list(texts)
    return vocabulary(texts[0::2]), list(texts[1::2])


def describe(
    reference: Sequence[str | None], current: Sequence[str | None]
) -> dict[str, tuple[Floats, Floats]]:
    """Each descriptor's values on the reference and on the current texts."""
    known, described = split_reference(reference)
    return {
        LENGTH: (lengths(reference), lengths(current)),
        OUT_OF_VOCABULARY: (
            out_of_vocabulary_rates(described, known),
            out_of_vocabulary_rates(current, known),
        ),
    }
