"""The model life cycle on a real server: the retrain loop end to end, and promotions
under load."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shipyard.db import open_database
from shipyard.db.tables import PredictionRow
from shipyard.domain.auth import Scope
from shipyard.registry import ModelRegistry
from shipyard.services import keys
from shipyard.services.simulation import holdout_of
from shipyard.services.training import TrainingOptions, train_example
from shipyard.training.candidates import logistic
from shipyard.training.datasets import example
from tests.conftest import register_version
from tests.e2e.conftest import RunningServer
from tests.e2e.test_alerting import simulate
from tests.e2e.test_server import run_example
from tests.integration.test_monitoring import rows_of
from tests.receiver import receiver


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_drifted_traffic_with_new_labels_is_retrained_promoted_served_and_told(
    start_server: Callable[..., RunningServer], store_copy: Path
) -> None:
    with receiver() as hook:
        server = start_server(
            store=store_copy,
            env={
                "SHIPYARD_MONITORING__EVERY": "3s",
                "SHIPYARD_MONITORING__WINDOW": "1h",
                "SHIPYARD_RETRAIN__ON": "drift",
                "SHIPYARD_ALERTS__URLS": f"json://{hook.url.removeprefix('http://')}/alerts",
                "SHIPYARD_ALERTS__EVERY": "",
            },
        )
        # The world changed: inputs drift, and the truth now follows overtime alone.
        simulate(server, 0.5, 400, "--feedback", "1", "--concept", "OverTime=Yes")
        promoted = hook.titled("[PROMOTED]", timeout=120)
        assert promoted["title"] == "[PROMOTED] shipyard: attrition: v2 is @champion"
        assert "Retrain triggered by drift:" in promoted["message"]
        assert "promoted by retrain policy" in promoted["message"]

        record = rows_of(holdout_of("attrition")[0].head(1))

        def answered_by() -> str:
            answer = httpx.post(f"{server.url}/v1/models/attrition/predict", json=record)
            assert answer.status_code == 200
            return str(answer.json()["predictions"][0]["version"])

        # The server that retrained swaps v2 in once it is loaded, a moment after the alert.
        deadline = time.monotonic() + 30
        while answered_by() != "2" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert answered_by() == "2"
        (card,) = httpx.get(f"{server.url}/v1/models/attrition/cards").json()["items"]
        assert card["trigger"].startswith("drift: ")
        assert card["promoted_by"] == "retrain policy"
        assert card["drift"]["share"] >= 0.5
        assert card["comparison"]["p_value"] < 0.05
        (move,) = httpx.get(f"{server.url}/v1/models/attrition/history").json()["items"]
        assert (move["kind"], move["actor"], move["to_version"]) == (
            "retrain",
            "retrain policy",
            "2",
        )


# -- five promotions under load ----------------------------------------------------------

WEIGHTS = (0.3, 2.0, 4.0, 8.0, 16.0)
"""Weight of the positive class in the five new versions: each says "Yes" to more records
than the one before, so that they disagree and a label tells which version made it."""


def register_versions(registry: ModelRegistry) -> list[str]:
    features, target = example("attrition").load()
    return [
        register_version(
            registry,
            logistic(features, 0)
            .set_params(classifier__class_weight={"No": 1.0, "Yes": weight})
            .fit(features, target),
            features,
            params={"positive_weight": weight},
            with_onnx=True,
        )
        for weight in WEIGHTS
    ]


@dataclass(frozen=True)
class Answer:
    started: float
    ended: float
    status: int
    version: str | None
    picked: list[int]
    labels: list[str]


def keep_asking(
    url: str, records: list[dict[str, Any]], seed: int, stop: threading.Event
) -> list[Answer]:
    """One client: batches of three records, one request after another, until ``stop``."""
    answers: list[Answer] = []
    position = seed
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            picked = [(position + k * 7) % len(records) for k in range(3)]
            position += 1
            started = time.monotonic()
            response = client.post(
                f"{url}/v1/models/attrition/predict", json=[records[i] for i in picked]
            )
            ended = time.monotonic()
            predictions = response.json().get("predictions", []) if response.is_success else []
            versions = {p["version"] for p in predictions}
            assert len(versions) <= 1  # one request, one version
            answers.append(
                Answer(
                    started,
                    ended,
                    response.status_code,
                    versions.pop() if versions else None,
                    picked,
                    [p["label"] for p in predictions],
                )
            )
    return answers


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_five_promotions_under_load_fail_no_request_and_every_label_is_its_versions(
    start_server: Callable[..., RunningServer], store_copy: Path
) -> None:
    registry = ModelRegistry(f"sqlite:///{store_copy / 'mlflow.db'}")
    versions = register_versions(registry)
    assert versions == ["2", "3", "4", "5", "6"]
    server = start_server(store=store_copy, env={"SHIPYARD_SERVING__FOLLOW_EVERY": ""})
    features, _ = holdout_of("attrition")
    records = rows_of(features.head(60))
    offline = {
        version: [
            str(label)
            for label in registry.load("attrition", version).estimator.predict(features.head(60))
        ]
        for version in ["1", *versions]
    }
    # The check has teeth: the versions disagree on many of these records.
    assert len({tuple(labels) for labels in offline.values()}) == 6

    stop = threading.Event()
    results: list[list[Answer]] = [[] for _ in range(4)]

    def client(index: int) -> None:
        results[index] = keep_asking(server.url, records, index * 11, stop)

    clients = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in clients:
        thread.start()
    # When each version became champion: the promote call's start and end bound the moment.
    windows: dict[str, tuple[float, float]] = {"1": (float("-inf"), float("-inf"))}
    try:
        time.sleep(0.5)
        for version in versions:
            began = time.monotonic()
            moved = httpx.post(
                f"{server.url}/v1/models/attrition/promote",
                json={"version": version, "reason": "under load"},
                timeout=60,
            )
            windows[version] = (began, time.monotonic())
            assert moved.status_code == 200, moved.text
            time.sleep(0.3)
    finally:
        time.sleep(0.3)
        stop.set()
        for thread in clients:
            thread.join()
    answers = [answer for client_answers in results for answer in client_answers]

    assert [a.status for a in answers if a.status != 200] == []  # 0 failed requests
    assert {a.version for a in answers} == {"1", *versions}
    order = ["1", *versions]
    for answer in answers:
        assert answer.version is not None
        position = order.index(answer.version)
        champion_from = windows[answer.version][0]
        champion_until = (
            windows[order[position + 1]][1] if position + 1 < len(order) else float("inf")
        )
        # The version was champion at some moment of the request.
        assert answer.started <= champion_until, answer
        assert answer.ended >= champion_from, answer
        assert answer.labels == [offline[answer.version][i] for i in answer.picked]

    database = open_database(server.settings.resolved_database_url())
    try:
        with database.session_scope() as session:
            logged = dict(
                session.execute(
                    select(PredictionRow.model_version, func.count()).group_by(
                        PredictionRow.model_version
                    )
                ).all()
            )
    finally:
        database.dispose()
    answered: dict[str, int] = {}
    for answer in answers:
        answered[answer.version or ""] = answered.get(answer.version or "", 0) + 3
    assert logged == answered  # every row names the version that answered it


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_lifecycle_example_promotes_and_rolls_back_on_a_live_server(
    start_server: Callable[..., RunningServer], store_copy: Path
) -> None:
    registry = ModelRegistry(f"sqlite:///{store_copy / 'mlflow.db'}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_example(
            registry, "attrition", TrainingOptions(algorithm="logistic", alias="challenger", seed=7)
        )
    server = start_server(store=store_copy, env={"SHIPYARD_AUTH__ENABLED": "true"})
    database = open_database(server.settings.resolved_database_url())
    key = keys.create_key(database, "ops", frozenset({Scope.ADMIN}))
    database.dispose()
    lines = run_example("lifecycle.py", server.url, key.plaintext).stdout.splitlines()
    assert lines[:4] == [
        "attrition: serving v1, newest v2",
        "promoted: v1 -> v2",
        "now serving v2",
        "rolled back: v2 -> v1",
    ]
    assert "rollback v2 -> v1 by api-key:ops" in lines[4]
    assert "promote  v1 -> v2 by api-key:ops" in lines[5]
    assert lines[-1] == "challenger: none"  # promoting the challenger ended its challenge
