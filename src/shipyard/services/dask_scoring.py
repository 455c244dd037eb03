"""Bulk scoring on a Dask cluster: ``shipyard predict --engine dask [--scheduler ADDRESS]``.

The file is read and written here, in order, as by the in-process engine; each chunk is
scored by :func:`shipyard.services.scoring.score_chunk` on a Dask worker. Workers load the
model themselves from the registry, once per worker process and version (a loaded model
does not pickle: it holds an ONNX Runtime session), so every worker must reach the
registry: a local MLflow store on one machine (the default LocalCluster), an MLflow
tracking server for a cluster of several.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

import pyarrow as pa

from shipyard.config import ServingSettings
from shipyard.errors import InvalidInput, Unavailable
from shipyard.registry import ModelRegistry
from shipyard.services.scoring import ScoredChunk, score_chunk, scoring_threads
from shipyard.serving.models import ServedModel


class DaskNotInstalled(InvalidInput):
    def __init__(self) -> None:
        super().__init__("the dask engine needs the dask extra: pip install 'shipyard[dask]'")


class DaskClusterUnavailable(Unavailable):
    def __init__(self, scheduler: str, error: BaseException) -> None:
        super().__init__(
            f"no Dask cluster with a worker at {scheduler} within {WAIT_SECONDS:g} s "
            f"({type(error).__name__}: {error})"
        )


WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class ModelSource:
    """What a worker needs to load the same version the client resolved."""

    tracking_uri: str
    artifact_root: str | None
    name: str
    version: str
    serving: ServingSettings

    def cache_key(self) -> tuple[str, ...]:
        return (
            self.tracking_uri,
            self.artifact_root or "",
            self.name,
            self.version,
            self.serving.model_dump_json(),
        )


# The versions a worker has loaded, the latest last: a long-lived cluster keeps a few.
_LOADED: dict[tuple[str, ...], ServedModel] = {}
KEPT_VERSIONS = 2
_LOADING = Lock()


def _served_on_worker(source: ModelSource) -> ServedModel:
    from shipyard.services.loading import load_served_model

    key = source.cache_key()
    with _LOADING:  # a worker's threads load a version once between them
        served = _LOADED.get(key)
        if served is None:
            root = Path(source.artifact_root) if source.artifact_root else None
            registry = ModelRegistry(source.tracking_uri, root)
            served = load_served_model(registry, source.name, source.serving, source.version)
            _LOADED[key] = served
            while len(_LOADED) > KEPT_VERSIONS:
                del _LOADED[next(iter(_LOADED))]
        return served


def score_chunk_on_worker(source: ModelSource, batch: pa.RecordBatch) -> pa.RecordBatch:
    return score_chunk(_served_on_worker(source), batch)


class DaskEngine:
    """Chunks scored by a Dask cluster's workers; as many in flight as they have threads."""

    def __init__(self, client: Any, source: ModelSource) -> None:  # a distributed.Client
        self._client = client
        self._source = source
        threads = client.nthreads()
        self.parallelism = max(1, sum(threads.values())) if threads else 1

    def submit(self, batch: pa.RecordBatch) -> ScoredChunk:
        future: ScoredChunk = self._client.submit(
            score_chunk_on_worker, self._source, batch, pure=False
        )
        return future


def model_source(
    registry: ModelRegistry, served: ServedModel, serving: ServingSettings
) -> ModelSource:
    return ModelSource(
        tracking_uri=registry.tracking_uri,
        artifact_root=str(registry.artifact_root) if registry.artifact_root else None,
        name=served.name,
        version=served.version,
        serving=serving,
    )


@contextmanager
def _connected(distributed: Any, scheduler: str) -> Iterator[Any]:
    try:
        client = distributed.Client(scheduler, timeout=WAIT_SECONDS)
    except (OSError, TimeoutError) as error:
        raise DaskClusterUnavailable(scheduler, error) from None
    with client:
        try:  # tasks would wait for ever on a cluster without workers
            client.wait_for_workers(1, timeout=WAIT_SECONDS)
        except TimeoutError as error:
            raise DaskClusterUnavailable(scheduler, error) from None
        yield client


@contextmanager
def dask_engine(source: ModelSource, scheduler: str | None = None) -> Iterator[DaskEngine]:
    """An engine on the cluster at ``scheduler``, or on a LocalCluster of one single-threaded
    worker process per core, started here and stopped after."""
    try:
        distributed: Any = importlib.import_module("distributed")  # untyped
    except ImportError:
        raise DaskNotInstalled() from None
    # The scheduler's info lines are not the user's business (distributed sets its loggers'
    # levels when imported); a failed chunk raises its own error here.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    if scheduler:
        with _connected(distributed, scheduler) as client:
            yield DaskEngine(client, source)
        return
    workers = scoring_threads()
    cluster_options: dict[str, Any] = {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
        "silence_logs": logging.CRITICAL,
        # Each worker scores with one native thread, as a serving thread does.
        "env": dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1"),
    }
    with (
        distributed.LocalCluster(**cluster_options) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield DaskEngine(client, source)
