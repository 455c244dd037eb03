"""Retrain → evaluate → promote, by hand and through the API; promote and roll back."""

from __future__ import annotations

import json
import time
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from shipyard.api.app import create_app
from shipyard.cli.main import app
from shipyard.config import RetrainSettings, Settings
from shipyard.db.tables import PredictionRow, ShadowPredictionRow
from shipyard.errors import InvalidInput
from shipyard.registry import input_schema_of
from shipyard.services.runtime import registry_for
from shipyard.services.simulation import concept_labels, holdout_of, shift_records
from shipyard.services.training import TrainingOptions, train_example
from tests.integration.test_hot_swap import predicted_version, register_narrow_version
from tests.integration.test_metrics import samples, value
from tests.integration.test_monitoring import send
from tests.receiver import Receiver


def traffic(
    client: TestClient, rows: int, *, drift: float, concept: str | None, seed: int
) -> dict[str, str]:
    """``rows`` distinct records v1 was not fitted on, shifted by ``drift``, predicted and all
    given feedback: their true labels, or the labels of a changed world (``concept``).
    Returns the label sent for each prediction id."""
    rng = np.random.default_rng(seed)
    features, truth = holdout_of("attrition")
    picked = rng.permutation(len(features))[:rows]
    drawn, labels = features.iloc[picked], truth.iloc[picked]
    shifted = shift_records(drawn, input_schema_of(features), drift, rng)
    if concept is not None:
        labels = concept_labels(shifted, concept, ["No", "Yes"])
    answers = send(client, shifted)
    sent_labels = {}
    for answer, label in zip(answers, labels, strict=True):
        sent = client.post(
            f"/v1/predictions/{answer['prediction_id']}/feedback", json={"label": str(label)}
        )
        assert sent.status_code == 200, sent.text
        sent_labels[answer["prediction_id"]] = str(label)
    return sent_labels


def test_a_changed_world_is_learnt_and_the_better_candidate_promoted_with_its_card(
    alerting_client: TestClient, alerting_store: Settings, hook: Receiver
) -> None:
    client = alerting_client
    traffic(client, 360, drift=0.5, concept="OverTime=Yes", seed=1)
    answer = client.post("/v1/models/attrition/retrain", json={})
    assert answer.status_code == 201, answer.text
    card = answer.json()
    assert (card["version"], card["champion_version"], card["outcome"]) == ("2", "1", "promoted")
    comparison = card["comparison"]
    assert comparison["metric"] == "roc_auc"
    assert comparison["difference"] >= 0.01
    assert comparison["ci_low"] > 0
    assert comparison["p_value"] < 0.05
    assert card["holdout"]["rows"] == 108  # 30 % of 360 labelled predictions
    data = card["training_data"]
    assert data["feedback_rows"] == 252
    assert data["reference_rows"] == 1102  # v1's training rows, with their labels
    assert data["rows"] == 1354
    assert len(data["sha256"]) == 64
    assert card["promoted_by"] == "auth-disabled"
    assert card["trigger"] == "a request of auth-disabled"

    assert predicted_version(client) == "2"  # this server swapped at once
    registry = registry_for(alerting_store)
    model = registry.get_model("attrition")
    assert model.aliases == {"champion": "2"}  # no @challenger left behind
    v2 = registry.resolve("attrition", "2")
    assert v2.metrics["roc_auc"] == pytest.approx(comparison["candidate"])
    with registry._run_artifact(v2, "model_card.json") as path:
        assert path is not None
        assert json.loads(path.read_text()) == card
    assert client.get("/v1/models/attrition/cards").json()["items"] == [card]
    (moved,) = client.get("/v1/models/attrition/history").json()["items"]
    assert (moved["from_version"], moved["to_version"], moved["kind"]) == ("1", "2", "retrain")

    (alert,) = hook.wait_for(1)
    assert alert["body"]["title"] == "[PROMOTED] shipyard: attrition: v2 is @champion"
    assert alert["body"]["type"] == "success"
    assert "roc_auc" in alert["body"]["message"]


def test_a_candidate_that_is_not_better_stays_challenger_and_is_scored_in_the_shadow(
    alerting_client: TestClient, alerting_store: Settings, hook: Receiver
) -> None:
    client = alerting_client
    traffic(client, 300, drift=0.0, concept=None, seed=2)
    card = client.post("/v1/models/attrition/retrain", json={}).json()
    assert card["outcome"] == "challenger", card
    assert card["promoted_by"] is None
    assert any("not significant" in r or "short of the margin" in r for r in card["reasons"])
    registry = registry_for(alerting_store)
    assert registry.get_model("attrition").aliases == {"champion": "1", "challenger": "2"}
    (alert,) = hook.wait_for(1)
    assert alert["body"]["title"] == "[KEPT] shipyard: attrition: v1 stays @champion"

    # v2 now scores every request in the shadow of v1; callers only ever see v1.
    labels = traffic(client, 60, drift=0.0, concept=None, seed=4)
    assert predicted_version(client) == "1"
    comparison = wait_for_shadows(client, 61)
    assert (comparison["served_version"], comparison["challenger_version"]) == ("1", "2")
    assert comparison["labelled_rows"] == 60
    with alerting_client.app.state.runtime.database.session_scope() as session:  # type: ignore[attr-defined]
        shadowed = session.execute(
            select(
                PredictionRow.inputs,
                PredictionRow.label,
                ShadowPredictionRow.label,
                PredictionRow.id,
            ).join(ShadowPredictionRow, ShadowPredictionRow.prediction_id == PredictionRow.id)
        ).all()
    assert len(shadowed) == 61
    inputs = pd.DataFrame([row[0] for row in shadowed])[list(holdout_of("attrition")[0].columns)]
    v1, v2 = (registry.load("attrition", v).estimator for v in ("1", "2"))
    assert [row[1] for row in shadowed] == list(v1.predict(inputs))
    assert [row[2] for row in shadowed] == list(v2.predict(inputs))  # the challenger's own
    agree = np.mean(v1.predict(inputs) == v2.predict(inputs))
    assert comparison["agreement"] == pytest.approx(agree)
    truth = np.array([labels.get(str(row[3])) for row in shadowed], dtype=object)
    labelled = truth != None  # noqa: E711 (element-wise)
    assert labelled.sum() == 60
    for version, estimator in (("served", v1), ("challenger", v2)):
        right = estimator.predict(inputs)[labelled] == truth[labelled]
        assert comparison[version]["accuracy"] == pytest.approx(np.mean(right))
    assert value(samples(client), "shipyard_shadow_predictions_total", outcome="written") == 61


def wait_for_shadows(client: TestClient, rows: int, timeout: float = 30.0) -> dict[str, Any]:
    """The comparison once the shadow thread has written ``rows`` answers."""
    deadline = time.monotonic() + timeout
    while True:
        comparison = client.get("/v1/models/attrition/comparison").json()
        if comparison["rows"] >= rows or time.monotonic() > deadline:
            assert comparison["rows"] == rows, comparison
            return dict(comparison)
        time.sleep(0.1)


def test_too_little_feedback_is_a_409_that_says_what_to_send_and_is_told(
    alerting_client: TestClient, hook: Receiver
) -> None:
    traffic(alerting_client, 30, drift=0.0, concept=None, seed=3)
    answer = alerting_client.post("/v1/models/attrition/retrain", json={})
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith(
        "only 30 logged predictions have a feedback label the champion was not fitted on "
        "(at least 100 needed"
    )
    (alert,) = hook.wait_for(1)
    assert alert["body"]["title"] == "[SKIPPED] shipyard: attrition: retrain"


def test_promote_and_roll_back_through_the_api(
    alerting_client: TestClient, alerting_store: Settings
) -> None:
    client = alerting_client
    registry = registry_for(alerting_store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_example(
            registry, "attrition", TrainingOptions(algorithm="logistic", alias="challenger", seed=7)
        )
    promoted = client.post("/v1/models/attrition/promote", json={"version": "2", "reason": "ok"})
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["from_version"] == "1"
    assert predicted_version(client) == "2"
    again = client.post("/v1/models/attrition/promote", json={"version": "2"})
    assert (again.status_code, again.json()["detail"]) == (
        409,
        "attrition@champion already names v2",
    )
    missing = client.post("/v1/models/attrition/promote", json={"version": "99"})
    assert missing.status_code == 404
    bad = client.post("/v1/models/attrition/promote", json={"version": "two"})
    assert bad.status_code == 422

    back = client.post("/v1/models/attrition/rollback", json={"reason": "worse"})
    assert back.status_code == 200, back.text
    assert (back.json()["from_version"], back.json()["to_version"]) == ("2", "1")
    assert predicted_version(client) == "1"
    # v1 became champion before any move was recorded: the version before it is unknown.
    unknown = client.post("/v1/models/attrition/rollback", json={})
    assert unknown.status_code == 409
    assert "shipyard models rollback attrition --to VERSION" in unknown.json()["detail"]
    kinds = [m["kind"] for m in client.get("/v1/models/attrition/history").json()["items"]]
    assert kinds == ["rollback", "promote"]

    narrow = register_narrow_version(registry)
    refused = client.post("/v1/models/attrition/promote", json={"version": narrow})
    assert refused.status_code == 409
    assert "does not take every record v1 takes" in refused.json()["detail"]
    assert registry.resolve("attrition", "champion").version == "1"


def test_models_commands_list_promote_roll_back_and_show_the_history(
    alerting_store: Settings, tmp_path: Path
) -> None:
    env = {
        "SHIPYARD_DATA_DIR": str(alerting_store.data_dir),
        "SHIPYARD_DATABASE_URL": alerting_store.resolved_database_url(),
        "SHIPYARD_MLFLOW_TRACKING_URI": alerting_store.resolved_tracking_uri(),
        "COLUMNS": "200",
    }
    runner = CliRunner()
    registry = registry_for(alerting_store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_example(
            registry, "attrition", TrainingOptions(algorithm="logistic", alias="challenger", seed=7)
        )

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args), env=env)

    listed = run("models", "list")
    assert listed.exit_code == 0, listed.output
    assert "@champion v1" in listed.output
    promoted = run("models", "promote", "attrition", "2", "--reason", "better")
    assert promoted.exit_code == 0, promoted.output
    assert "attrition@champion: v1 -> v2" in promoted.output
    rolled = run("models", "rollback", "attrition")
    assert rolled.exit_code == 0, rolled.output
    assert "attrition@champion: v2 -> v1" in rolled.output
    assert registry.resolve("attrition", "champion").version == "1"
    failed = run("models", "rollback", "attrition")
    assert failed.exit_code == 1
    assert "--to VERSION" in failed.output
    shown = run("models", "history", "attrition")
    assert shown.exit_code == 0, shown.output
    assert "rollback" in shown.output
    assert "better" in shown.output
    skipped = run("retrain", "attrition")
    assert skipped.exit_code == 1
    assert "only 0 logged predictions have a feedback label" in skipped.output


def test_concept_labels_follow_the_rule_and_refuse_a_bad_one() -> None:
    rows = pd.DataFrame({"OverTime": ["Yes", "No"], "MonthlyIncome": [2000, 9000]})
    assert list(concept_labels(rows, "OverTime=Yes", ["No", "Yes"])) == ["Yes", "No"]
    assert list(concept_labels(rows, "MonthlyIncome < 3000", ["No", "Yes"])) == ["Yes", "No"]
    for rule, message in (
        ("OverTime", "a concept is FIELD=VALUE"),
        ("Salary=1", "not a field"),
        ("OverTime>high", "not a number"),
    ):
        with pytest.raises(InvalidInput, match=message):
            concept_labels(rows, rule, ["No", "Yes"])


def test_the_policy_retrains_after_a_monitoring_run_and_not_again_without_new_labels(
    alerting_store: Settings, hook: Receiver
) -> None:
    settings = alerting_store.model_copy(
        update={"retrain": RetrainSettings(on="always", cooldown=timedelta(seconds=1))}
    )
    with TestClient(create_app(settings)) as client:
        traffic(client, 360, drift=0.5, concept="OverTime=Yes", seed=1)

        def monitoring_run() -> dict[str, Any]:
            time.sleep(1.1)  # the next cooldown period: only the labels can hold a retrain back
            ran = client.post("/v1/models/attrition/monitoring", params={"window": "1h"})
            assert ran.status_code == 201, ran.text
            return dict(ran.json())

        run = monitoring_run()
        (card,) = client.get("/v1/models/attrition/cards").json()["items"]
        assert card["trigger"] == f"the schedule (monitoring run {run['id'][:8]})"
        assert card["promoted_by"] == "retrain policy"
        assert predicted_version(client) == "2"  # this server swapped at once
        # The next run finds no label the last retrain did not see: no retrain, no version.
        monitoring_run()
        assert len(client.get("/v1/models/attrition/cards").json()["items"]) == 1
        traffic(client, 60, drift=0.5, concept="OverTime=Yes", seed=5)
        monitoring_run()
        cards = client.get("/v1/models/attrition/cards").json()["items"]
        assert [c["version"] for c in cards] == ["3", "2"]
    assert hook.titled("[PROMOTED]")["title"] == "[PROMOTED] shipyard: attrition: v2 is @champion"
