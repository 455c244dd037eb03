"""MLflow as the model registry: versions, aliases, metrics and the artifacts shipyard needs.

mlflow is imported lazily (it costs seconds) and always through an explicit client bound to
the configured tracking URI, so two registries in one process do not share global state.
Only :meth:`ModelRegistry.log_training_run` uses the fluent API (it needs global URIs,
which it sets for the call and then restores).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from shipyard.domain.model import ModelVersion, RegisteredModel
from shipyard.domain.profile import ReferenceProfile
from shipyard.domain.schema import FieldType, InputField, InputSchema
from shipyard.errors import (
    InvalidInput,
    ModelNotFound,
    ModelVersionNotFound,
    RegistryUnavailable,
)

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion as MlflowModelVersion

PROFILE_ARTIFACT = "reference_profile.json"
REFERENCE_DATA_ARTIFACT = "reference_data.parquet"
REFERENCE_DATA_MAX_ROWS = 10_000
REFERENCE_LABELS_ARTIFACT = "reference_labels.parquet"
MODEL_CARD_ARTIFACT = "model_card.json"
ONNX_FOLDER = "onnx"
ONNX_FILES = ("model.onnx", "expected_probabilities.npy", "inputs.json")
"""The graph, the original's probabilities on the reference rows, and how records go in."""
_MLFLOW_TYPES = {
    "string": FieldType.STRING,
    "long": FieldType.INTEGER,
    "integer": FieldType.INTEGER,
    "double": FieldType.NUMBER,
    "float": FieldType.NUMBER,
    "boolean": FieldType.BOOLEAN,
}
_fluent_lock = threading.Lock()


class UnsupportedModel(InvalidInput):
    """A registered version shipyard cannot serve safely (wrong flavour, format or schema)."""


@dataclass(frozen=True)
class OnnxExport:
    """The version converted to ONNX when it was trained, with what the original answered.

    ``expected`` holds the scikit-learn probabilities for the rows of the version's reference
    data: a server checks the graph against them without loading scikit-learn at all.
    """

    graph: bytes
    layout: str
    number_dtype: str
    classes: tuple[str, ...]
    expected: np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class LoadedArtifact:
    """A version's files, ready to wrap in a predictor. The scikit-learn estimator is only
    deserialised (importing scikit-learn and skops: seconds, ~150 MB) when first used."""

    version: ModelVersion
    input_schema: InputSchema
    input_example: list[dict[str, Any]]
    reference_data: pd.DataFrame | None
    onnx: OnnxExport | None
    estimator_file: bytes = field(repr=False)
    estimator_name: str = "model.skops"

    @cached_property
    def estimator(self) -> Any:
        return self.estimator_loader()()

    def estimator_loader(self) -> Callable[[], Any]:
        """Deserialises the estimator when called; holds the file's bytes, nothing else."""
        return functools.partial(_load_estimator, self.estimator_file, self.estimator_name)


def _load_estimator(data: bytes, name: str) -> Any:
    from shipyard.registry.skops_policy import load_trusted

    return load_trusted(data, name)


@dataclass(frozen=True)
class TrainingRun:
    """Everything a training run logs beside the estimator."""

    model_name: str
    estimator: Any
    input_example: pd.DataFrame
    params: Mapping[str, Any]
    metrics: Mapping[str, float]
    profile: ReferenceProfile
    reference_data: pd.DataFrame
    """Training features (at most ``REFERENCE_DATA_MAX_ROWS``; the caller samples), kept with
    the version: the ONNX fast path is checked against them at load."""
    onnx: OnnxExport | None
    skops_trusted_types: list[str]
    tags: Mapping[str, str]
    reference_labels: pd.Series | None = None
    """The true label of each row of ``reference_data``, in order: a retrain fits the next
    version on them plus the labelled feedback."""
    optional_columns: frozenset[str] = frozenset()
    """Inputs a record may leave out: those with a gap anywhere in the data, beyond the
    ``reference_data`` sample (the signature marks the sample's gaps by itself)."""


def _import_mlflow() -> Any:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    return mlflow


def schema_from_signature(inputs: Any) -> InputSchema:
    """Named, typed fields from an MLflow column-based input signature."""
    fields = []
    for column in inputs.inputs:
        kind = _MLFLOW_TYPES.get(getattr(column.type, "name", str(column.type)))
        if column.name is None or kind is None:
            raise UnsupportedModel(
                f"input {column.name!r} of type {column.type} cannot be served as a JSON field"
            )
        fields.append(InputField(name=column.name, type=kind, required=bool(column.required)))
    return InputSchema(tuple(fields))


def _signature_schema(version: ModelVersion, model_meta: Any) -> InputSchema:
    if model_meta.signature is None:
        raise UnsupportedModel(f"{version.name} v{version.version} was logged without a signature")
    return schema_from_signature(model_meta.signature.inputs)


def input_schema_of(frame: pd.DataFrame) -> InputSchema:
    """The input schema MLflow's signature gives a training frame (as served later)."""
    _import_mlflow()
    from mlflow.models import infer_signature

    return schema_from_signature(infer_signature(frame).inputs)


def _read_input_example(path: Path) -> list[dict[str, Any]]:
    """Records of the logged input example (pandas ``split`` orient), or none."""
    if not path.exists():
        return []
    document = json.loads(path.read_text())
    if not isinstance(document, dict) or "columns" not in document:
        return []
    columns = document["columns"]
    return [dict(zip(columns, row, strict=True)) for row in document.get("data", [])]


class ModelRegistry:
    """Reads and writes models in an MLflow tracking server or local SQLite store."""

    def __init__(self, tracking_uri: str, artifact_root: Path | None = None) -> None:
        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root
        self._client_instance: MlflowClient | None = None

    def _client(self) -> MlflowClient:
        if self._client_instance is None:
            mlflow = _import_mlflow()
            if self.tracking_uri.startswith("sqlite:///"):
                Path(self.tracking_uri.removeprefix("sqlite:///")).parent.mkdir(
                    parents=True, exist_ok=True
                )
            self._client_instance = mlflow.MlflowClient(
                tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
            )
        return self._client_instance

    def _call(self, what: str, action: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one registry call, turning MLflow's errors into shipyard's."""
        mlflow = _import_mlflow()
        try:
            return action(*args, **kwargs)
        except mlflow.exceptions.MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise ModelNotFound(what) from error
            raise RegistryUnavailable(error.message) from error
        except OSError as error:
            raise RegistryUnavailable(str(error)) from error

    def _run_metrics(self, run_id: str | None) -> dict[str, float]:
        """A version's metrics, from its run; a deleted run only loses the metrics."""
        if not run_id:
            return {}
        try:
            run = self._call(run_id, self._client().get_run, run_id)
        except ModelNotFound:
            return {}
        return dict(run.data.metrics)

    def _version(self, raw: MlflowModelVersion, aliases: tuple[str, ...]) -> ModelVersion:
        return ModelVersion(
            name=raw.name,
            version=str(raw.version),
            created_at=datetime.fromtimestamp(raw.creation_timestamp / 1000, tz=UTC),
            aliases=tuple(sorted(aliases)),
            run_id=raw.run_id,
            metrics=self._run_metrics(raw.run_id),
        )

    def model_names(self) -> list[str]:
        """Every registered model, by name."""
        client = self._client()
        names: list[str] = []
        token = None
        while True:
            page = self._call("models", client.search_registered_models, page_token=token)
            names += [model.name for model in page]
            token = page.token
            if not token:
                return sorted(names)

    def get_model(self, name: str) -> RegisteredModel:
        client = self._client()
        model = self._call(name, client.get_registered_model, name)
        aliases = {alias: str(version) for alias, version in model.aliases.items()}
        quoted = name.replace("\\", "\\\\").replace("'", "\\'")
        found = self._call(name, client.search_model_versions, f"name = '{quoted}'")
        versions = [
            # Search results carry no aliases; the registered model does.
            self._version(raw, tuple(a for a, v in aliases.items() if v == str(raw.version)))
            for raw in sorted(found, key=lambda v: int(v.version), reverse=True)
        ]
        return RegisteredModel(
            name=name, aliases=aliases, versions=tuple(versions), description=model.description
        )

    def resolve(self, name: str, reference: str) -> ModelVersion:
        """A version by number (``"3"``) or alias (``"champion"``), in one registry call."""
        mlflow = _import_mlflow()
        client = self._client()
        try:
            if reference.isdigit():
                raw = client.get_model_version(name, reference)
            else:
                raw = client.get_model_version_by_alias(name, reference)
        except mlflow.exceptions.MlflowException as error:
            # MLflow reports an unknown alias as an invalid parameter, not a missing resource.
            if error.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
                raise ModelVersionNotFound(name, reference) from error
            raise RegistryUnavailable(error.message) from error
        except OSError as error:
            raise RegistryUnavailable(str(error)) from error
        return self._version(raw, tuple(raw.aliases or ()))

    def input_schema(self, name: str, reference: str) -> InputSchema:
        """A version's input schema, from its MLmodel file alone (no model, no data)."""
        mlflow = _import_mlflow()
        version = self.resolve(name, reference)
        with tempfile.TemporaryDirectory(prefix="shipyard-model-") as scratch:
            path = self._download(version, "MLmodel", scratch)
            return _signature_schema(version, mlflow.models.Model.load(str(path)))

    def _download(self, version: ModelVersion, inside: str, scratch: str) -> Path:
        """The registered model's folder (``inside=""``) or one file of it, into ``scratch``."""
        mlflow = _import_mlflow()
        name = version.name
        uri = self._call(name, self._client().get_model_version_download_uri, name, version.version)
        return Path(
            self._call(
                name,
                mlflow.artifacts.download_artifacts,
                artifact_uri=f"{uri.rstrip('/')}/{inside}" if inside else uri,
                dst_path=scratch,
                tracking_uri=self.tracking_uri,
                registry_uri=self.tracking_uri,
            )
        )

    def load(self, name: str, reference: str) -> LoadedArtifact:
        """Download a version and load its estimator with the skops allow-list.

        Files go to a temporary folder, removed once the model is in memory.
        """
        mlflow = _import_mlflow()
        version = self.resolve(name, reference)
        with tempfile.TemporaryDirectory(prefix="shipyard-model-") as scratch:
            directory = self._download(version, "", scratch)
            model_meta = mlflow.models.Model.load(str(directory / "MLmodel"))
            flavor = model_meta.flavors.get("sklearn")
            if flavor is None or flavor.get("serialization_format") != "skops":
                raise UnsupportedModel(
                    f"{name} v{version.version} is not a skops-serialised scikit-learn model; "
                    "shipyard does not load pickles"
                )
            schema = _signature_schema(version, model_meta)
            estimator_file = (directory / flavor["pickled_model"]).read_bytes()
            example = _read_input_example(directory / "input_example.json")
        return LoadedArtifact(
            version=replace(version, input_schema=schema),
            input_schema=schema,
            input_example=example,
            reference_data=self.reference_data(version),
            onnx=self.onnx_export(version),
            estimator_file=estimator_file,
            estimator_name=f"{name} v{version.version} {flavor['pickled_model']}",
        )

    @contextmanager
    def _run_artifact(self, version: ModelVersion, artifact_path: str) -> Iterator[Path | None]:
        """A file logged with the version's training run, in a scratch folder; None if the
        run did not log it (a version registered by other tools)."""
        if not version.run_id:
            yield None
            return
        mlflow = _import_mlflow()
        with tempfile.TemporaryDirectory(prefix="shipyard-artifact-") as scratch:
            try:
                path = mlflow.artifacts.download_artifacts(
                    run_id=version.run_id,
                    artifact_path=artifact_path,
                    dst_path=scratch,
                    tracking_uri=self.tracking_uri,
                )
            except (mlflow.exceptions.MlflowException, OSError):
                yield None
                return
            yield Path(path)

    def reference_profile(self, version: ModelVersion) -> ReferenceProfile | None:
        with self._run_artifact(version, PROFILE_ARTIFACT) as path:
            return ReferenceProfile.model_validate_json(path.read_text()) if path else None

    def reference_data(self, version: ModelVersion) -> pd.DataFrame | None:
        """The training features kept with the version (see ``TrainingRun.reference_data``)."""
        with self._run_artifact(version, REFERENCE_DATA_ARTIFACT) as path:
            return _read_parquet(path) if path else None

    def reference_labels(self, version: ModelVersion) -> pd.Series | None:
        """The labels of the reference data's rows (see ``TrainingRun.reference_labels``)."""
        with self._run_artifact(version, REFERENCE_LABELS_ARTIFACT) as path:
            return _read_parquet(path)["label"].astype(str) if path else None

    def log_model_card(self, version: ModelVersion, card_json: str) -> None:
        """Keep a version's model card with its run, beside the model."""
        if version.run_id:
            client = self._client()
            self._call(
                version.name, client.log_text, version.run_id, card_json, MODEL_CARD_ARTIFACT
            )

    def onnx_export(self, version: ModelVersion) -> OnnxExport | None:
        """The ONNX graph logged with the version's training run, if it was converted."""
        with self._run_artifact(version, ONNX_FOLDER) as folder:  # one download, three files
            if folder is None:
                return None
            graph, expected, inputs = (folder / name for name in ONNX_FILES)
            if not (graph.exists() and expected.exists() and inputs.exists()):
                return None
            described = json.loads(inputs.read_text())
            return OnnxExport(
                graph=graph.read_bytes(),
                layout=str(described["layout"]),
                number_dtype=str(described["number_dtype"]),
                classes=tuple(str(label) for label in described["classes"]),
                expected=np.load(expected, allow_pickle=False),
            )

    def run_params(self, version: ModelVersion) -> dict[str, str]:
        if not version.run_id:
            return {}
        try:
            run = self._call(version.run_id, self._client().get_run, version.run_id)
        except ModelNotFound:
            return {}
        return dict(run.data.params)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._call(name, self._client().set_registered_model_alias, name, alias, version)

    def delete_alias(self, name: str, alias: str) -> None:
        self._call(name, self._client().delete_registered_model_alias, name, alias)

    def _experiment_id(self, name: str) -> str:
        client = self._client()
        experiment = client.get_experiment_by_name(name)
        if experiment is not None:
            return str(experiment.experiment_id)
        location = self.artifact_root.resolve().as_uri() if self.artifact_root else None
        return str(client.create_experiment(name, artifact_location=location))

    def log_training_run(self, run: TrainingRun) -> ModelVersion:
        """Log estimator, signature, example, metrics and profile; register a new version."""
        mlflow = _import_mlflow()
        from mlflow.models import infer_signature

        experiment_id = self._call(run.model_name, self._experiment_id, run.model_name)
        example = run.input_example
        example_output = run.estimator.predict_proba(example)
        signature = _signature(run, infer_signature(run.reference_data, example_output))
        with (
            _fluent_lock,
            _fluent_uris(mlflow, self.tracking_uri),
            mlflow.start_run(experiment_id=experiment_id, tags=dict(run.tags)),
        ):
            mlflow.log_params(dict(run.params))
            with tempfile.TemporaryDirectory() as scratch:
                profile_path = Path(scratch) / PROFILE_ARTIFACT
                profile_path.write_text(run.profile.model_dump_json())
                mlflow.log_artifact(str(profile_path))
                data_path = Path(scratch) / REFERENCE_DATA_ARTIFACT
                run.reference_data.to_parquet(data_path, index=False)
                mlflow.log_artifact(str(data_path))
                if run.reference_labels is not None:
                    labels_path = Path(scratch) / REFERENCE_LABELS_ARTIFACT
                    labels = run.reference_labels.astype(str).reset_index(drop=True)
                    labels.to_frame("label").to_parquet(labels_path, index=False)
                    mlflow.log_artifact(str(labels_path))
                if run.onnx is not None:
                    _log_onnx(mlflow, run.onnx, Path(scratch))
            info = mlflow.sklearn.log_model(
                run.estimator,
                name="model",
                signature=signature,
                input_example=example,
                registered_model_name=run.model_name,
                serialization_format="skops",
                skops_trusted_types=run.skops_trusted_types,
                pyfunc_predict_fn="predict_proba",
            )
            # On the run and on MLflow 3's logged model, so both views show them.
            mlflow.log_metrics(dict(run.metrics), model_id=info.model_id)
        return self.resolve(run.model_name, str(info.registered_model_version))


def _signature(run: TrainingRun, inferred: Any) -> Any:
    """The signature inferred from every reference row (not the example's few), with the
    run's ``optional_columns`` optional too."""
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    optional = run.optional_columns
    columns: list[Any] = [
        ColSpec(column.type, column.name, required=column.required and column.name not in optional)
        for column in inferred.inputs.inputs
    ]
    return ModelSignature(Schema(columns), inferred.outputs)


def _log_onnx(mlflow: Any, export: OnnxExport, scratch: Path) -> None:
    folder = scratch / ONNX_FOLDER
    folder.mkdir()
    graph, expected, inputs = (folder / name for name in ONNX_FILES)
    graph.write_bytes(export.graph)
    np.save(expected, export.expected, allow_pickle=False)
    inputs.write_text(
        json.dumps(
            {
                "layout": export.layout,
                "number_dtype": export.number_dtype,
                "classes": list(export.classes),
            }
        )
    )
    mlflow.log_artifacts(str(folder), artifact_path=ONNX_FOLDER)


_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@contextmanager
def _fluent_uris(mlflow: Any, uri: str) -> Iterator[None]:
    """Point MLflow's process-wide URIs at this registry for one block, then put them back.

    MLflow also writes them to ``MLFLOW_TRACKING_URI`` / ``MLFLOW_REGISTRY_URI`` (for child
    processes), which shipyard's own settings read: both are restored exactly as found.
    """
    saved = {name: os.environ.get(name) for name in _URI_VARIABLES}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(saved["MLFLOW_TRACKING_URI"])
        mlflow.set_registry_uri(saved["MLFLOW_REGISTRY_URI"])
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _read_parquet(path: Path) -> pd.DataFrame:
    """A frame from one Parquet file: the same frame as ``pd.read_parquet``, without the
    import of pyarrow's dataset layer (~7 MB resident in every server process)."""
    return pq.ParquetFile(path).read().to_pandas()
