"""Training against a real MLflow store: registration, profile, champion rule, safe loading."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.tree import DecisionTreeClassifier

from shipyard.domain.profile import CategoricalProfile, NumericProfile
from shipyard.domain.schema import FieldType
from shipyard.errors import ModelNotFound, ModelVersionNotFound
from shipyard.registry.skops_policy import UntrustedModelFile, load_trusted
from shipyard.services.runtime import registry_for
from shipyard.services.training import TrainingOptions, train_example
from tests.conftest import make_settings

pytestmark = pytest.mark.integration


def test_first_version_is_logged_with_everything_and_becomes_champion(
    trained_store: Path, tmp_path: Path
) -> None:
    registry = registry_for(make_settings(trained_store, f"sqlite:///{tmp_path / 'log.db'}"))
    champion = registry.resolve("attrition", "champion")
    assert champion.version == "1"
    assert champion.metrics["roc_auc"] > 0.75
    assert {"accuracy", "f1", "cv_roc_auc_logistic"} <= set(champion.metrics)

    loaded = registry.load("attrition", "champion")
    schema = {f.name: f.type for f in loaded.input_schema.fields}
    assert len(schema) == 30
    assert schema["Age"] is FieldType.INTEGER
    assert schema["Department"] is FieldType.STRING
    assert "Attrition" not in schema
    assert list(loaded.estimator.classes_) == ["No", "Yes"]

    profile = registry.reference_profile(champion)
    assert profile is not None
    assert profile.rows == 1102  # 75 % of 1,470
    assert isinstance(profile.features["MonthlyIncome"], NumericProfile)
    department = profile.features["Department"]
    assert isinstance(department, CategoricalProfile)
    assert sum(department.frequencies.values()) == pytest.approx(1.0)
    assert profile.label_shares["Yes"] == pytest.approx(237 / 1470, abs=0.01)


def test_artifacts_live_in_the_data_dir_not_the_working_directory(
    trained_store: Path,
) -> None:
    assert (trained_store / "mlflow.db").exists()
    assert list((trained_store / "mlartifacts").rglob("model.skops"))
    assert not (Path.cwd() / "mlruns").exists()


def test_champion_moves_only_when_the_candidate_wins(store_copy: Path, tmp_path: Path) -> None:
    settings = make_settings(store_copy, f"sqlite:///{tmp_path / 'log.db'}")
    registry = registry_for(settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = train_example(registry, "attrition", TrainingOptions(algorithm="logistic"))
        worse = train_example(registry, "attrition", TrainingOptions(algorithm="gradient_boosting"))
        other_split = train_example(
            registry, "attrition", TrainingOptions(seed=7, algorithm="logistic")
        )
    assert (same.version.version, same.promoted) == ("2", False)  # equal AUC is no win
    assert same.champion_metrics is not None
    assert same.metrics.roc_auc == pytest.approx(same.champion_metrics.roc_auc)
    assert (worse.version.version, worse.promoted) == ("3", False)
    assert worse.metrics.roc_auc < worse.champion_metrics.roc_auc  # type: ignore[union-attr]
    assert same.warnings == []
    assert any("seed=42, this run uses seed=7" in w for w in other_split.warnings)
    champion = registry.resolve("attrition", "champion").version
    assert champion == ("4" if other_split.promoted else "1")
    model = registry.get_model("attrition")
    assert [v.version for v in model.versions] == ["4", "3", "2", "1"]
    assert model.aliases == {"champion": champion}
    assert [v.aliases for v in model.versions if v.version == champion] == [("champion",)]
    # A gradient-boosting model needs a non-default skops type: it loads through the allow-list.
    assert registry.load("attrition", "3").estimator.classes_.tolist() == ["No", "Yes"]


def test_unknown_models_and_references(trained_store: Path, tmp_path: Path) -> None:
    registry = registry_for(make_settings(trained_store, f"sqlite:///{tmp_path / 'log.db'}"))
    with pytest.raises(ModelNotFound):
        registry.get_model("churn")
    with pytest.raises(ModelVersionNotFound):
        registry.resolve("attrition", "challenger")
    with pytest.raises(ModelVersionNotFound):
        registry.resolve("attrition", "99")


def test_skops_files_with_types_outside_the_allow_list_are_refused(tmp_path: Path) -> None:
    tree = DecisionTreeClassifier().fit(np.array([[0.0], [1.0]]), ["a", "b"])
    path = tmp_path / "tree.skops"
    sio.dump(tree, path)
    with pytest.raises(UntrustedModelFile, match=r"sklearn\.tree\._tree\.Tree"):
        load_trusted(path.read_bytes(), path.name)


def test_training_leaves_mlflow_process_settings_as_it_found_them(
    store_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    before = mlflow.get_tracking_uri()
    registry = registry_for(make_settings(store_copy, f"sqlite:///{tmp_path / 'log.db'}"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_example(registry, "attrition", TrainingOptions(algorithm="logistic"))
    # Settings read after training must still find the data dir's store, not MLflow's default.
    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert "MLFLOW_REGISTRY_URI" not in os.environ
    assert mlflow.get_tracking_uri() == before
    assert not (tmp_path / "mlflow.db").exists()
