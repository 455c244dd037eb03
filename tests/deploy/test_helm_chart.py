"""The Helm chart: rendered by Helm (its v4 SDK from PyPI), validated against Kubernetes'
schemas by kubernetes-validate in strict mode: an unknown or misspelt field fails, as
``kubectl apply --validate=strict`` would.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

from tests.deploy.helm import TemplateError, render_chart, render_manifests

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "shipyard"
GUIDE = ROOT / "docs" / "deploy" / "kubernetes.md"
# The oldest Kubernetes the chart supports (autoscaling/v2, policy/v1) and the newest bundled.
KUBERNETES_VERSIONS = ["1.25", kubernetes_validate.latest_version()]

JWT_SECRET = "k8s-test-secret-0123456789-abcdefghijklmnop"
REQUIRED: dict[str, Any] = {
    "secrets": {
        "databaseUrl": "postgresql://shipyard:pw@postgres.db.svc:5432/shipyard",
        "jwtSecret": JWT_SECRET,
    },
    "config": {"mlflowTrackingUri": "http://mlflow.mlflow.svc:5000"},
}
EVERYTHING: dict[str, Any] = {
    "replicaCount": 3,
    "autoscaling": {"enabled": False},
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
        "hosts": [{"host": "api.example.com", "paths": [{"path": "/", "pathType": "Prefix"}]}],
        "tls": [{"secretName": "api-tls", "hosts": ["api.example.com"]}],
    },
    "config": {
        "models": ["attrition", "credit"],
        "defaultModel": "credit",
        "rateLimitStorageUri": "redis://redis.redis.svc:6379",
        "publicMetrics": True,
        "extra": {"SHIPYARD_MONITORING__EVERY": "15m", "SHIPYARD_RETRAIN__ON": "never"},
    },
    "secrets": {"alertUrls": ["json://hooks.example.com/a", "json://hooks.example.com/b"]},
    "metrics": {"scrapeAnnotations": True},
    "image": {"repository": "ghcr.io/acme/shipyard", "tag": "1.2.3"},
    "imagePullSecrets": [{"name": "regcred"}],
    "podAnnotations": {"team": "ml"},
    "podLabels": {"tier": "api"},
    "extraEnv": [{"name": "AWS_REGION", "value": "eu-west-1"}],
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "ml", "operator": "Exists", "effect": "NoSchedule"}],
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
        }
    ],
    "priorityClassName": "high",
    "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/x"}},
    "migration": {"serviceAccountName": "migrator"},
    "scratch": {"sizeLimit": ""},
}
EXISTING_SECRET: dict[str, Any] = {
    "config": {"mlflowTrackingUri": "http://mlflow.mlflow.svc:5000"},
    "existingSecret": "shipyard-secrets",
    "existingSecretKeys": {"databaseUrl": "url", "jwtSecret": "jwt", "alertUrls": "alerts"},
}
CASES = {
    "defaults": REQUIRED,
    "everything": EVERYTHING,
    "existing-secret": EXISTING_SECRET,
    "one-replica": {
        "autoscaling": {"enabled": False},
        "replicaCount": 1,
        "image": {"digest": "sha256:" + "0" * 64},
    },
    "no-migration": {"migration": {"enabled": False}, "serviceAccount": {"create": False}},
}


def merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        both_maps = isinstance(value, Mapping) and isinstance(out.get(key), Mapping)
        out[key] = merged(out[key], value) if both_maps else value
    return out


def render(overrides: Mapping[str, Any] | None = None, **options: Any) -> list[dict[str, Any]]:
    """The chart's objects with the required values and ``overrides``."""
    return render_manifests(CHART, merged(REQUIRED, overrides or {}), **options)


def objects(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, *, hook: bool = False) -> dict[str, Any]:
    """The single object of ``kind`` (among Helm hooks when ``hook``)."""
    found = [doc for doc in objects(docs, kind) if is_hook(doc) == hook]
    assert len(found) == 1, f"{len(found)} {kind} objects (hook={hook})"
    return found[0]


def is_hook(doc: dict[str, Any]) -> bool:
    return "helm.sh/hook" in (doc["metadata"].get("annotations") or {})


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = doc["spec"]["template"]["spec"]
    return spec


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def secret_refs(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for container in pod_spec(doc)["containers"]:
        for entry in container.get("env", []):
            if "secretKeyRef" in entry.get("valueFrom", {}):
                yield {"variable": entry["name"], **entry["valueFrom"]["secretKeyRef"]}


def decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


# -- every object is valid Kubernetes ---------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("case", CASES)
def test_every_object_validates_against_the_kubernetes_schemas(case: str, version: str) -> None:
    docs = render(CASES[case])
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_values_file_in_the_guide_renders_valid_objects() -> None:
    blocks = re.findall(r"```yaml\n(# my-values.yaml\n.*?)```", GUIDE.read_text(), re.DOTALL)
    assert len(blocks) == 1
    docs = render_manifests(CHART, yaml.safe_load(blocks[0]))
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[-1], strict=True)
    server = pod_spec(one(docs, "Deployment"))["containers"][0]
    assert server["image"] == "registry.example.com/ml/shipyard:0.1.0"
    assert {ref["name"] for ref in secret_refs(one(docs, "Deployment"))} == {"shipyard-secrets"}
    assert one(docs, "Ingress")["spec"]["rules"][0]["host"] == "shipyard.example.com"


def test_the_validation_is_strict_about_unknown_fields() -> None:
    deployment = one(render(), "Deployment")
    pod_spec(deployment)["containers"][0]["readinessProbes"] = {}  # a misspelt field
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_defaults_make_the_server_its_autoscaler_and_the_migration_hook() -> None:
    docs = render()
    release = sorted(doc["kind"] for doc in docs if not is_hook(doc))
    hooks = sorted(doc["kind"] for doc in docs if is_hook(doc))
    assert release == sorted(
        [
            "ConfigMap",
            "Deployment",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "Secret",
            "Service",
            "ServiceAccount",
        ]
    )
    assert hooks == ["ConfigMap", "Job", "Secret"]


def test_every_object_carries_the_standard_labels() -> None:
    for doc in render(EVERYTHING):
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "shipyard"
        assert labels["app.kubernetes.io/instance"] == "shipyard"
        assert labels["app.kubernetes.io/version"] == "0.1.0"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == "shipyard-0.1.0"


def test_names_follow_the_release() -> None:
    docs = render(release="prod")
    assert one(docs, "Deployment")["metadata"]["name"] == "prod-shipyard"
    assert one(docs, "Job", hook=True)["metadata"]["name"] == "prod-shipyard-migrate"


# -- the server's pods ------------------------------------------------------------------------


def test_the_container_runs_the_real_cli_with_migrations_left_to_the_hook() -> None:
    from typer.main import get_command

    from shipyard.cli.main import app

    commands: dict[str, Any] = get_command(app).commands  # type: ignore[attr-defined]
    docs = render()
    server = pod_spec(one(docs, "Deployment"))["containers"][0]
    assert server["command"] == ["shipyard"]
    name, *arguments = server["args"]
    parsed = commands[name].make_context(name, list(arguments)).params
    assert parsed["host"] == "0.0.0.0"
    assert parsed["port"] == 8000
    assert parsed["migrate"] is False
    migrate = pod_spec(one(docs, "Job", hook=True))["containers"][0]
    assert migrate["command"] == ["shipyard", "db", "upgrade"]
    commands["db"].commands["upgrade"].make_context("upgrade", [])


@pytest.mark.parametrize(
    ("image", "reference"),
    [
        ({}, "shipyard:0.1.0"),  # the chart's appVersion
        ({"repository": "ghcr.io/acme/shipyard", "tag": "1.2.3"}, "ghcr.io/acme/shipyard:1.2.3"),
        ({"tag": "1.2.3", "digest": "sha256:" + "a" * 64}, "shipyard@sha256:" + "a" * 64),
    ],
)
def test_the_image_is_named_by_tag_or_digest(image: dict[str, str], reference: str) -> None:
    docs = render({"image": image})
    for doc in (one(docs, "Deployment"), one(docs, "Job", hook=True)):
        assert pod_spec(doc)["containers"][0]["image"] == reference


def test_probes_point_at_the_health_routes_on_the_served_port() -> None:
    docs = render()
    server = pod_spec(one(docs, "Deployment"))["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in server["ports"]}
    assert ports == {"http": 8000}
    paths = {
        probe: (server[probe]["httpGet"]["path"], ports[server[probe]["httpGet"]["port"]])
        for probe in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert paths == {
        "startupProbe": ("/livez", 8000),
        "livenessProbe": ("/livez", 8000),
        "readinessProbe": ("/readyz", 8000),
    }
    # Room to load the models before liveness counts.
    startup = server["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120
    service = one(docs, "Service")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_pods_run_as_non_root_on_a_read_only_root(kind: str) -> None:
    docs = render()
    spec = pod_spec(one(docs, kind, hook=kind == "Job"))
    assert spec["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "fsGroup": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert spec["automountServiceAccountToken"] is False
    container = spec["containers"][0]
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["runAsNonRoot"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    # Every folder shipyard writes to is on an emptyDir volume.
    config = one(docs, "ConfigMap", hook=kind == "Job")["data"]
    scratch = {volume["name"] for volume in spec["volumes"] if "emptyDir" in volume}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    writable = [config["SHIPYARD_DATA_DIR"], config["SHIPYARD_LOG_WRITER__SPOOL_DIR"], "/tmp"]
    writable.append(env_of(container)["HOME"]["value"])
    for folder in writable:
        covering = [path for path in mounts if folder == path or folder.startswith(path + "/")]
        assert covering, f"{folder} is not on a volume"
        assert mounts[covering[0]] in scratch


def test_the_grace_period_outlasts_the_drain() -> None:
    docs = render()
    drain = float(one(docs, "ConfigMap")["data"]["SHIPYARD_SERVER__DRAIN_SECONDS"])
    grace = pod_spec(one(docs, "Deployment"))["terminationGracePeriodSeconds"]
    assert grace > drain
    with pytest.raises(TemplateError, match="drainSeconds"):
        render({"config": {"drainSeconds": 30}, "terminationGracePeriodSeconds": 30})


def test_resources_are_requested_for_the_autoscaler() -> None:
    server = pod_spec(one(render(), "Deployment"))["containers"][0]
    assert server["resources"]["requests"]["cpu"]
    assert server["resources"]["limits"]["memory"]


# -- settings: ConfigMap and Secret -----------------------------------------------------------


def test_the_config_map_holds_the_production_settings() -> None:
    docs = render(EVERYTHING)
    config = one(docs, "ConfigMap")["data"]
    assert config["SHIPYARD_ENV"] == "prod"
    assert json.loads(config["SHIPYARD_SERVING__MODELS"]) == ["attrition", "credit"]
    assert config["SHIPYARD_SERVING__DEFAULT_MODEL"] == "credit"
    assert config["MLFLOW_TRACKING_URI"] == "http://mlflow.mlflow.svc:5000"
    assert config["SHIPYARD_RATE_LIMIT__STORAGE_URI"] == "redis://redis.redis.svc:6379"
    assert config["SHIPYARD_LOG_FORMAT"] == "json"
    assert config["SHIPYARD_AUTH__PUBLIC_METRICS"] == "true"
    assert config["SHIPYARD_MONITORING__EVERY"] == "15m"
    assert all(isinstance(value, str) for value in config.values())
    server = pod_spec(one(docs, "Deployment"))["containers"][0]
    assert server["envFrom"] == [
        {"configMapRef": {"name": one(docs, "ConfigMap")["metadata"]["name"]}}
    ]


def test_every_variable_the_chart_sets_is_a_shipyard_setting() -> None:
    from shipyard.config import render_settings_reference

    known: set[str] = set()
    for row in render_settings_reference().splitlines():
        if row.startswith("| `"):  # the variable column of a settings table
            known |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0]))
    assert "SHIPYARD_SERVER__DRAIN_SECONDS" in known
    docs = render(EVERYTHING)
    names = set(one(docs, "ConfigMap")["data"]) | set(one(docs, "Secret")["data"])
    server = pod_spec(one(docs, "Deployment"))["containers"][0]
    names |= set(env_of(server)) - {"HOME", "AWS_REGION"}  # HOME: not shipyard's; AWS: extraEnv
    assert names - known == set()


def test_the_rendered_environment_loads_as_shipyard_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from shipyard.config import load_settings

    for name in list(os.environ):
        if name.startswith("SHIPYARD_") or name in ("DATABASE_URL", "MLFLOW_TRACKING_URI", "PORT"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env file
    docs = render(EVERYTHING)
    for name, value in {**one(docs, "ConfigMap")["data"], **decoded(one(docs, "Secret"))}.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.env == "prod"
    assert settings.serving.models == ["attrition", "credit"]
    assert settings.server.drain_seconds == 10
    assert settings.resolved_database_url().startswith("postgresql+psycopg://shipyard:pw@")
    assert [url.get_secret_value() for url in settings.alerts.urls] == [
        "json://hooks.example.com/a",
        "json://hooks.example.com/b",
    ]
    assert str(settings.data_dir) == "/data"


def test_the_secret_holds_the_secret_settings_and_the_pods_read_them() -> None:
    docs = render(EVERYTHING)
    secret = one(docs, "Secret")
    assert decoded(secret) == {
        "DATABASE_URL": REQUIRED["secrets"]["databaseUrl"],
        "SHIPYARD_AUTH__JWT_SECRET": JWT_SECRET,
        "SHIPYARD_ALERTS__URLS": "json://hooks.example.com/a,json://hooks.example.com/b",
    }
    refs = list(secret_refs(one(docs, "Deployment")))
    assert {ref["variable"]: ref["key"] for ref in refs} == {
        "DATABASE_URL": "DATABASE_URL",
        "SHIPYARD_AUTH__JWT_SECRET": "SHIPYARD_AUTH__JWT_SECRET",
        "SHIPYARD_ALERTS__URLS": "SHIPYARD_ALERTS__URLS",
    }
    assert {ref["name"] for ref in refs} == {secret["metadata"]["name"]}
    # The hook Job reads a copy that exists before the release's own objects do.
    job_refs = list(secret_refs(one(docs, "Job", hook=True)))
    assert {ref["name"] for ref in job_refs} == {one(docs, "Secret", hook=True)["metadata"]["name"]}
    assert decoded(one(docs, "Secret", hook=True)) == decoded(secret)


def test_an_existing_secret_replaces_the_charts() -> None:
    docs = render_manifests(CHART, EXISTING_SECRET)
    assert objects(docs, "Secret") == []
    deployment = one(docs, "Deployment")
    assert "checksum/secret" not in deployment["spec"]["template"]["metadata"]["annotations"]
    for doc in (deployment, one(docs, "Job", hook=True)):
        refs = {ref["variable"]: (ref["name"], ref["key"]) for ref in secret_refs(doc)}
        assert refs == {
            "DATABASE_URL": ("shipyard-secrets", "url"),
            "SHIPYARD_AUTH__JWT_SECRET": ("shipyard-secrets", "jwt"),
            "SHIPYARD_ALERTS__URLS": ("shipyard-secrets", "alerts"),
        }


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"secrets": {"databaseUrl": ""}}, "secrets.databaseUrl is required"),
        ({"secrets": {"jwtSecret": ""}}, "secrets.jwtSecret is required"),
        ({"secrets": {"jwtSecret": "too-short"}}, "at least 32 characters"),
        ({"config": {"mlflowTrackingUri": ""}}, "config.mlflowTrackingUri is required"),
    ],
)
def test_a_missing_required_value_stops_the_render(missing: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        render(missing)


def test_changing_a_secret_or_a_setting_rolls_the_pods() -> None:
    def checksums(overrides: dict[str, Any]) -> dict[str, str]:
        template = one(render(overrides), "Deployment")["spec"]["template"]
        return {k: v for k, v in template["metadata"]["annotations"].items() if "checksum" in k}

    before = checksums({})
    assert set(before) == {"checksum/config", "checksum/secret"}
    new_secret = checksums({"secrets": {"jwtSecret": JWT_SECRET + "-rotated"}})
    assert new_secret["checksum/secret"] != before["checksum/secret"]
    assert new_secret["checksum/config"] == before["checksum/config"]
    new_setting = checksums({"config": {"logLevel": "DEBUG"}})
    assert new_setting["checksum/config"] != before["checksum/config"]
    assert new_setting["checksum/secret"] == before["checksum/secret"]


# -- the migration hook -----------------------------------------------------------------------


def test_the_migration_runs_as_a_hook_before_install_and_upgrade() -> None:
    docs = render()
    job = one(docs, "Job", hook=True)
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    assert pod_spec(job)["restartPolicy"] == "Never"
    # Its Secret and ConfigMap are hooks too, created before it (lower weight).
    for kind in ("Secret", "ConfigMap"):
        hook = one(docs, kind, hook=True)["metadata"]["annotations"]
        assert hook["helm.sh/hook"] == annotations["helm.sh/hook"]
        assert int(hook["helm.sh/hook-weight"]) < int(annotations["helm.sh/hook-weight"])
    # The Service and the PDB never select the migration's pod.
    selector = one(docs, "Service")["spec"]["selector"]
    pod_labels = job["spec"]["template"]["metadata"]["labels"]
    assert not selector.items() <= pod_labels.items()


def test_the_migration_can_be_turned_off() -> None:
    docs = render({"migration": {"enabled": False}})
    assert [doc for doc in docs if is_hook(doc)] == []


# -- scaling ----------------------------------------------------------------------------------


def test_the_autoscaler_owns_the_replica_count() -> None:
    docs = render()
    hpa = one(docs, "HorizontalPodAutoscaler")
    deployment = one(docs, "Deployment")
    assert "replicas" not in deployment["spec"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_without_autoscaling_the_deployment_sets_the_replicas() -> None:
    docs = render({"autoscaling": {"enabled": False}, "replicaCount": 3})
    assert objects(docs, "HorizontalPodAutoscaler") == []
    assert one(docs, "Deployment")["spec"]["replicas"] == 3


@pytest.mark.parametrize(
    ("overrides", "budget"),
    [
        ({}, True),  # autoscaling from 2 pods
        ({"autoscaling": {"minReplicas": 1}}, False),
        ({"autoscaling": {"enabled": False}, "replicaCount": 1}, False),
        ({"autoscaling": {"enabled": False}, "replicaCount": 3}, True),
        ({"podDisruptionBudget": {"enabled": False}}, False),
    ],
)
def test_a_disruption_budget_only_with_more_than_one_pod(
    overrides: dict[str, Any], budget: bool
) -> None:
    docs = render(overrides)
    budgets = objects(docs, "PodDisruptionBudget")
    assert len(budgets) == int(budget)
    if budget:
        assert budgets[0]["apiVersion"] == "policy/v1"
        assert budgets[0]["spec"]["minAvailable"] == 1
        selector = one(docs, "Deployment")["spec"]["selector"]
        assert budgets[0]["spec"]["selector"] == selector


# -- reaching it ------------------------------------------------------------------------------


def test_an_ingress_only_when_enabled() -> None:
    assert objects(render(), "Ingress") == []
    docs = render(EVERYTHING)
    ingress = one(docs, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["api.example.com"], "secretName": "api-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "api.example.com"
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": one(docs, "Service")["metadata"]["name"], "port": {"name": "http"}}


def test_scrape_annotations_only_when_asked() -> None:
    def annotations(overrides: dict[str, Any]) -> dict[str, str]:
        template = one(render(overrides), "Deployment")["spec"]["template"]
        return dict(template["metadata"]["annotations"])

    assert not any(key.startswith("prometheus.io/") for key in annotations({}))
    scrape = annotations({"metrics": {"scrapeAnnotations": True}})
    assert (scrape["prometheus.io/scrape"], scrape["prometheus.io/path"]) == ("true", "/metrics")
    assert scrape["prometheus.io/port"] == "8000"


def test_the_notes_say_how_to_reach_the_api() -> None:
    notes = render_chart(CHART, REQUIRED, notes=True)["shipyard/templates/NOTES.txt"]
    assert "port-forward service/shipyard 8000:80" in notes
    assert "shipyard keys create" in notes
    with_ingress = render_chart(CHART, merged(REQUIRED, EVERYTHING), notes=True)
    assert "https://api.example.com/health" in with_ingress["shipyard/templates/NOTES.txt"]


def test_helm_lint_strict_finds_only_the_missing_icon() -> None:
    """`helm lint --strict`, by Helm's own engine; an icon URL would point outside the repo."""
    report = helm_python.lint(str(CHART), merged(REQUIRED, EVERYTHING), strict=True)
    assert report["errors"] == []
    assert [message["error"] for message in report["messages"]] == ["icon is recommended"]
