"""The reference profile: a summary of the training data that monitoring compares against.

It is logged beside the model as ``reference_profile.json``. Numeric features keep their
quantiles, a histogram and a bounded sample of raw values (K-S and Wasserstein tests need
values, not bins); categorical features keep their category frequencies.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field


class NumericProfile(BaseModel):
    kind: Literal["numeric"] = "numeric"
    count: int
    missing: int
    mean: float
    std: float
    min: float
    max: float
    quantiles: dict[str, float] = Field(description="quantile level (as text) -> value")
    histogram_edges: list[float]
    histogram_counts: list[int]
    sample: list[float] = Field(description="raw values, at most the profile's sample size")


class CategoricalProfile(BaseModel):
    kind: Literal["categorical"] = "categorical"
    count: int
    missing: int
    frequencies: dict[str, float] = Field(description="category -> share of non-missing rows")


class TextProfile(BaseModel):
    """Free text: too many distinct values to compare as categories, so monitoring compares
    descriptors of each text (its length, its share of words the reference never used)."""

    kind: Literal["text"] = "text"
    count: int
    missing: int
    length_quantiles: dict[str, float] = Field(description="quantile level -> characters")
    mean_words: float
    vocabulary: int = Field(description="distinct words in the reference texts")


FeatureProfile = Annotated[
    NumericProfile | CategoricalProfile | TextProfile, Field(discriminator="kind")
]


class ReferenceProfile(BaseModel):
    """Per-feature summaries of the data a model was trained on."""

    rows: int
    features: dict[str, FeatureProfile]
    target: str | None = None
    label_shares: dict[str, float] = Field(default_factory=dict)
