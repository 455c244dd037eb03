"""A user's project: the models its ``pyproject.toml`` declares (``shipyard init`` writes it).

    [tool.shipyard.models.churn]
    data = "data/churn.csv"          # CSV or Parquet, relative to pyproject.toml
    target = "Churn"                 # the column to predict
    positive_label = "Yes"           # the class ROC AUC is computed for
    drop = ["customerID"]            # columns that are not inputs (optional)
    pipeline = "model:build_pipeline"  # module:function building the estimator (optional)

``shipyard train churn`` trains it, and a server started in the project serves these models
unless ``SHIPYARD_SERVING__MODELS`` says otherwise. The file is looked for in the working
directory only: a project is run from its root, as its Dockerfile, Procfile and CI do.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.errors import InvalidInput

PROJECT_FILE = "pyproject.toml"


class InvalidProject(InvalidInput):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class ProjectModel:
    """A model of the project, and how to train it."""

    name: str
    root: Path
    data: Path
    target: str
    positive_label: str
    drop: tuple[str, ...] = ()
    pipeline: str | None = None


def _text(path: Path, name: str, table: dict[str, Any], key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidProject(path, f'[tool.shipyard.models.{name}] needs {key} = "..."')
    return value


def _model(path: Path, name: str, table: Any) -> ProjectModel:
    if not isinstance(table, dict):
        raise InvalidProject(path, f"tool.shipyard.models.{name} must be a table")
    unknown = set(table) - {"data", "target", "positive_label", "drop", "pipeline"}
    if unknown:
        raise InvalidProject(
            path, f"[tool.shipyard.models.{name}] has unknown keys: {', '.join(sorted(unknown))}"
        )
    drop = table.get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(column, str) for column in drop):
        raise InvalidProject(path, f"[tool.shipyard.models.{name}] drop must be a list of names")
    pipeline = table.get("pipeline")
    if pipeline is not None and (not isinstance(pipeline, str) or ":" not in pipeline):
        raise InvalidProject(
            path, f'[tool.shipyard.models.{name}] pipeline must read "module:function"'
        )
    return ProjectModel(
        name=name,
        root=path.parent,
        data=path.parent / _text(path, name, table, "data"),
        target=_text(path, name, table, "target"),
        positive_label=_text(path, name, table, "positive_label"),
        drop=tuple(drop),
        pipeline=pipeline,
    )


def project_models(directory: Path | None = None) -> dict[str, ProjectModel]:
    """The models declared in ``directory``'s (default: the working directory's)
    ``pyproject.toml``, in the file's order; none without such a file or section."""
    path = (directory or Path.cwd()) / PROJECT_FILE
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as error:
        raise InvalidProject(path, f"not valid TOML: {error}") from None
    models = document.get("tool", {}).get("shipyard", {}).get("models", {})
    if not isinstance(models, dict):
        raise InvalidProject(path, "tool.shipyard.models must be a table of models")
    return {name: _model(path, name, table) for name, table in models.items()}
