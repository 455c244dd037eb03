from __future__ import annotations

import pandas as pd
import pytest

from shipyard.domain.profile import CategoricalProfile, NumericProfile, ReferenceProfile
from shipyard.monitoring.profile import build_reference_profile


def test_profile_summarises_numbers_and_categories() -> None:
    frame = pd.DataFrame({"age": [20, 30, 40, 50, None], "dept": ["a", "a", "b", None, "a"]})
    profile = build_reference_profile(frame, pd.Series(["Yes", "No", "No", "No", "No"], name="y"))
    age = profile.features["age"]
    dept = profile.features["dept"]
    assert isinstance(age, NumericProfile)
    assert isinstance(dept, CategoricalProfile)
    assert (age.count, age.missing, age.min, age.max) == (5, 1, 20.0, 50.0)
    assert age.quantiles["0.5"] == pytest.approx(35.0)
    assert sum(age.histogram_counts) == 4
    assert sorted(age.sample) == [20.0, 30.0, 40.0, 50.0]
    assert dept.frequencies == {"a": 0.75, "b": 0.25}
    assert profile.label_shares == {"No": 0.8, "Yes": 0.2}
    assert profile.target == "y"


def test_profile_round_trips_through_json() -> None:
    profile = build_reference_profile(pd.DataFrame({"x": [1.0, 2.0], "c": ["p", "q"]}))
    assert ReferenceProfile.model_validate_json(profile.model_dump_json()) == profile


def test_large_columns_keep_a_bounded_sample() -> None:
    profile = build_reference_profile(pd.DataFrame({"x": range(20_000)}))
    feature = profile.features["x"]
    assert isinstance(feature, NumericProfile)
    assert len(feature.sample) == 5_000
    assert feature.count == 20_000
