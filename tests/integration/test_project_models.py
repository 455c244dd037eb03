"""A project's own model (``[tool.shipyard.models]`` in its pyproject.toml), trained by
``shipyard train`` from the project's folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shipyard.cli.main import app
from shipyard.config import Settings
from shipyard.errors import ModelNotFound, ModelVersionNotFound
from shipyard.services.runtime import registry_for
from shipyard.training.datasets import example

pytestmark = pytest.mark.integration

UNTRUSTED_PIPELINE = '''
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


class NumbersOnly(BaseEstimator, TransformerMixin):
    """A transformer of the project's own: skops has no reason to trust it."""

    def fit(self, features, target=None):
        return self

    def transform(self, features):
        return features.select_dtypes("number")


def build_pipeline(features: pd.DataFrame, seed: int) -> Pipeline:
    return Pipeline([("numbers", NumbersOnly()), ("model", LogisticRegression(max_iter=500))])
'''


def _project(root: Path, positive_label: str = "Yes") -> Path:
    features, target = example("attrition").load()
    frame = features.head(400).assign(Attrition=target.head(400))
    (root / "data").mkdir(parents=True)
    frame.to_csv(root / "data" / "staff.csv", index=False)
    (root / "staff_model.py").write_text(UNTRUSTED_PIPELINE)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "staff"

            [tool.shipyard.models.staff]
            data = "data/staff.csv"
            target = "Attrition"
            positive_label = "{positive_label}"
            pipeline = "staff_model:build_pipeline"
            """
        )
    )
    return root


def _champion(data_dir: Path) -> str | None:
    try:
        return registry_for(Settings(data_dir=data_dir)).resolve("staff", "champion").version
    except (ModelNotFound, ModelVersionNotFound):
        return None


def test_a_pipeline_the_server_could_not_load_is_never_promoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project's own class is not on the skops allow-list: a server would refuse the
    file, so training stops before the alias moves."""
    monkeypatch.chdir(_project(tmp_path / "project"))
    data_dir = tmp_path / "store"
    result = CliRunner().invoke(app, ["train", "staff"], env={"SHIPYARD_DATA_DIR": str(data_dir)})
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "contains types shipyard does not trust: staff_model.NumbersOnly" in flat
    assert _champion(data_dir) is None


def test_a_positive_label_the_target_never_takes_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_project(tmp_path / "project", positive_label="yes"))
    result = CliRunner().invoke(
        app, ["train", "staff"], env={"SHIPYARD_DATA_DIR": str(tmp_path / "store")}
    )
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "positive_label 'yes' is not a value of 'Attrition' (its values: No, Yes)" in flat


def test_train_if_missing_trains_only_a_model_without_a_champion(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    kept = CliRunner().invoke(app, ["train", "attrition", "--if-missing"], env=cli_env)
    assert kept.exit_code == 0, kept.output
    assert "attrition@champion is version 1: nothing to train" in kept.output
    empty = {**cli_env, "SHIPYARD_MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'new.db'}"}
    trained = CliRunner().invoke(
        app, ["train", "attrition", "--if-missing", "--algorithm", "logistic"], env=empty
    )
    assert trained.exit_code == 0, trained.output
    assert "@champion -> version 1" in trained.output
