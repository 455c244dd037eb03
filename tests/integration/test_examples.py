"""The credit and sentiment examples, registered in a real MLflow store and loaded as a server
loads them."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

from shipyard.config import ServingSettings
from shipyard.db import open_database, upgrade_database
from shipyard.domain.lifecycle import PretrainedModel
from shipyard.domain.profile import TextProfile
from shipyard.domain.schema import FieldType
from shipyard.services.loading import load_served_model
from shipyard.services.pretrained import register_pretrained
from shipyard.services.retraining import retrain
from shipyard.services.runtime import registry_for
from shipyard.services.training import TrainingOptions, train_example
from shipyard.serving.predictor import predict_records
from shipyard.training.datasets import PRETRAINED, example
from tests.conftest import make_settings

pytestmark = pytest.mark.integration


def test_credit_reports_roc_auc_and_serves_applicants_with_gaps(
    examples_store: Path, tmp_path: Path
) -> None:
    settings = make_settings(examples_store, f"sqlite:///{tmp_path / 'log.db'}")
    registry = registry_for(settings)
    version = registry.resolve("credit", "champion")
    assert version.metrics["roc_auc"] > 0.8  # 0.84 on the holdout of 1,114 applicants

    served = load_served_model(registry, "credit", ServingSettings(models=["credit"]))
    fields = {f.name: f for f in served.input_schema.fields}
    # Optional exactly where the data has gaps: any training row lacking it.
    assert {n for n, f in fields.items() if not f.required} == {
        "Home",
        "Marital",
        "Job",
        "Income",
        "Assets",
        "Debt",
    }
    assert fields["Income"].type is FieldType.NUMBER
    assert fields["Seniority"].type is FieldType.INTEGER
    assert served.predictor.classes == ("bad", "good")
    assert served.choice.kind == "onnx"

    features, _ = example("credit").load()
    complete = features.dropna().iloc[0].to_dict()
    gaps = {**complete, "Income": None, "Home": None, "Assets": None}
    answers = predict_records(served.predictor, [complete, gaps], served.input_schema)

    estimator = registry.load("credit", "champion").estimator
    expected = estimator.predict_proba(pd.DataFrame([complete, gaps]))
    for answer, row in zip(answers, expected, strict=True):
        assert answer.probabilities["bad"] == pytest.approx(row[0], abs=1e-5)


def test_sentiment_is_registered_with_a_text_profile_and_serves_texts(
    examples_store: Path, tmp_path: Path
) -> None:
    settings = make_settings(examples_store, f"sqlite:///{tmp_path / 'log.db'}")
    registry = registry_for(settings)
    version = registry.resolve("sentiment", "champion")
    assert registry.run_params(version)["pretrained"] == "true"
    profile = registry.reference_profile(version)
    assert profile is not None
    text = profile.features["text"]
    assert isinstance(text, TextProfile)
    assert text.count == 10_000
    assert text.vocabulary > 10_000
    assert set(profile.label_shares) == {"negative", "neutral", "positive"}

    served = load_served_model(registry, "sentiment", ServingSettings(models=["sentiment"]))
    assert [(f.name, f.type, f.required) for f in served.input_schema.fields] == [
        ("text", FieldType.STRING, True)
    ]
    assert served.choice.kind == "sklearn"  # rules in Python: nothing to convert
    answers = predict_records(
        served.predictor,
        [{"text": "What a wonderful, happy day!"}, {"text": "A sad and awful failure."}],
        served.input_schema,
    )
    assert [answer.label for answer in answers] == ["positive", "negative"]


def test_a_second_sentiment_version_waits_and_a_retrain_is_refused(
    examples_store: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "store"

    shutil.copytree(examples_store, copy)
    settings = make_settings(copy, f"sqlite:///{tmp_path / 'log.db'}")
    registry = registry_for(settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = register_pretrained(registry, PRETRAINED["sentiment"])

    assert (report.version.version, report.promoted, report.champion_before) == ("2", False, "1")
    assert registry.resolve("sentiment", "champion").version == "1"

    database = open_database(settings.resolved_database_url())
    try:
        upgrade_database(database)
        with pytest.raises(PretrainedModel, match="learns nothing from feedback"):
            retrain(database, registry, settings, "sentiment", trigger="a test")
    finally:
        database.dispose()


def test_a_field_with_a_gap_only_in_the_holdout_is_still_optional(tmp_path: Path) -> None:

    features, _ = example("credit").load()
    assert features["Marital"].isna().sum() == 1  # one applicant, held out with seed 7
    settings = make_settings(tmp_path / "store", f"sqlite:///{tmp_path / 'log.db'}")
    registry = registry_for(settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = train_example(registry, "credit", TrainingOptions(algorithm="logistic", seed=7))

    schema = registry.input_schema("credit", report.version.version)
    assert {f.name: f.required for f in schema.fields}["Marital"] is False
    reference = registry.reference_data(report.version)
    assert reference is not None
    assert reference["Marital"].notna().all()  # the training rows had no gap there
