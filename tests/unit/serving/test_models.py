from __future__ import annotations

import pytest

from shipyard.domain.schema import FieldType, InputField, InputSchema
from shipyard.errors import ModelNotFound, ModelNotLoaded
from shipyard.serving.choice import PredictorChoice
from shipyard.serving.models import ServedModel, ServedModels
from shipyard.serving.records import RecordValidator


class ConstantPredictor:
    classes = ("no", "yes")

    def predict_columns(self, columns: object) -> object:
        raise NotImplementedError


def served(version: str) -> ServedModel:
    schema = InputSchema((InputField("x", FieldType.NUMBER),))
    return ServedModel(
        name="churn",
        version=version,
        predictor=ConstantPredictor(),
        validator=RecordValidator("churn", schema, max_rows=10),
        choice=PredictorChoice("sklearn", "a test double"),
    )


def test_unknown_name_is_not_found_and_known_but_unloaded_is_unavailable() -> None:
    models = ServedModels(["churn"], "churn")
    with pytest.raises(ModelNotFound):
        models.get("other")
    with pytest.raises(ModelNotLoaded):
        models.get("churn")
    assert not models.all_loaded()


def test_put_replaces_the_served_version_and_keeps_earlier_readers_whole() -> None:
    models = ServedModels(["churn"], "churn")
    models.put(served("1"))
    held = models.get("churn")
    models.put(served("2"))
    assert held.version == "1"
    assert models.get("churn").version == "2"
    assert models.all_loaded()
