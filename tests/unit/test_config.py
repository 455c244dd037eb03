from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from shipyard.config import AuthSettings, Settings, load_settings, parse_duration
from shipyard.errors import InvalidInput

STRONG_SECRET = "unit-test-secret-" + "0123456789abcdef" * 2


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "SHIPYARD_ENV",
        "SHIPYARD_PROFILE",
        "DATABASE_URL",
        "SHIPYARD_DATABASE_URL",
        "MLFLOW_TRACKING_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_put_everything_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'd' / 'shipyard.db'}"
    assert settings.resolved_tracking_uri() == f"sqlite:///{tmp_path / 'd' / 'mlflow.db'}"
    assert settings.artifact_root() == tmp_path / "d" / "mlartifacts"


def test_a_tracking_server_keeps_artifacts_in_its_own_store(tmp_path: Path) -> None:
    """Imposing the trainer's disk on a server's experiment would make its versions
    unloadable from any other machine."""
    served = Settings(data_dir=tmp_path, mlflow_tracking_uri="http://mlflow:5000")
    assert served.artifact_root() is None
    local = Settings(data_dir=tmp_path, mlflow_tracking_uri="sqlite:////opt/registry/mlflow.db")
    assert local.artifact_root() == Path("/opt/registry/mlartifacts")


def test_a_project_serves_the_models_its_pyproject_declares(tmp_path: Path) -> None:
    assert Settings().serving.models == ["attrition"]
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n'
        '[tool.shipyard.models.churn]\ndata = "d.csv"\ntarget = "y"\npositive_label = "1"\n\n'
        '[tool.shipyard.models.fraud]\ndata = "f.csv"\ntarget = "y"\npositive_label = "1"\n'
    )
    assert Settings().serving.models == ["churn", "fraud"]
    assert Settings(serving={"models": ["fraud"]}).serving.models == ["fraud"]


def test_a_broken_project_declaration_says_what_to_fix(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.shipyard.models.churn]\ndata = "d.csv"\ntarget = "y"\n'
    )
    with pytest.raises(InvalidInput, match=r"\[tool.shipyard.models.churn\] needs positive_label"):
        Settings()


def test_prefixed_and_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIPYARD_SERVING__MAX_ROWS_PER_REQUEST", "7")
    monkeypatch.setenv("SHIPYARD_SERVING__MODELS", '["a", "b"]')
    settings = Settings()
    assert settings.serving.max_rows_per_request == 7
    assert settings.serving.served_default() == "a"


def test_platform_database_url_is_honoured_and_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/app")
    assert Settings().resolved_database_url() == "postgresql+psycopg://u:p@db:5432/app"


def test_the_prefixed_database_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://platform/db")
    monkeypatch.setenv("SHIPYARD_DATABASE_URL", "sqlite:///mine.db")
    assert Settings().resolved_database_url() == "sqlite:///mine.db"


def test_profile_files_apply_only_to_their_profile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("SHIPYARD_LOG_LEVEL=DEBUG\nSHIPYARD_DATA_DIR=base\n")
    (tmp_path / ".env.prod").write_text(
        f"SHIPYARD_DATA_DIR=/srv/shipyard\nSHIPYARD_AUTH__JWT_SECRET={STRONG_SECRET}\n"
    )
    dev = load_settings()
    assert (dev.env, dev.log_level, dev.data_dir) == ("dev", "DEBUG", Path("base"))
    monkeypatch.setenv("SHIPYARD_ENV", "prod")
    prod = load_settings()
    assert (prod.env, prod.log_level, prod.data_dir) == ("prod", "DEBUG", Path("/srv/shipyard"))


def test_environment_beats_env_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SHIPYARD_LOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("SHIPYARD_LOG_LEVEL", "WARNING")
    assert load_settings().log_level == "WARNING"


def test_docs_follow_the_profile_unless_set() -> None:
    secured = AuthSettings(jwt_secret=SecretStr(STRONG_SECRET))
    assert Settings(env="dev").docs_are_enabled()
    assert not Settings(env="prod", auth=secured).docs_are_enabled()
    assert Settings(env="prod", auth=secured, docs_enabled=True).docs_are_enabled()


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="dev"):
        Settings(env="staging")  # type: ignore[arg-type]


def test_importing_shipyard_reads_and_builds_nothing(tmp_path: Path) -> None:
    code = (
        "import os, shipyard.api.app, shipyard.cli.main, shipyard.services.runtime;"
        "print(sorted(os.listdir('.')))"
    )
    env = {"SHIPYARD_DATA_DIR": "should-not-exist", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "should-not-exist" not in out.stdout
    assert ".shipyard" not in out.stdout


def test_settings_load_from_the_environment_without_a_warning(tmp_path: Path) -> None:
    """In a fresh process (a warning is shown once per process): every field's type must be
    resolved when the settings are read, or pydantic-settings warns on each command."""
    code = "from shipyard.config import load_settings; print(load_settings().serving.follow_every)"
    env = {"SHIPYARD_DATA_DIR": str(tmp_path), "SHIPYARD_SERVING__FOLLOW_EVERY": "10s"}
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0:00:10"


def test_the_configuration_page_lists_every_setting() -> None:
    from shipyard.config import render_settings_reference

    page = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    generated = page.split("<!-- settings:start -->\n")[1].split("<!-- settings:end -->")[0]
    assert generated == render_settings_reference(), (
        "docs/configuration.md is stale: regenerate its reference block from "
        "shipyard.config.render_settings_reference()"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        ("30s", timedelta(seconds=30)),
        (" 15M ", timedelta(minutes=15)),
    ],
)
def test_durations_read_as_people_write_them(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["90", "d", "1.5d", "-1d", "90 days"])
def test_unreadable_durations_say_what_to_write(text: str) -> None:
    with pytest.raises(ValueError, match="30s, 15m, 12h, 90d or 2w"):
        parse_duration(text)


def test_retention_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().retention.max_age is None
    monkeypatch.setenv("SHIPYARD_RETENTION__MAX_AGE", "90d")
    assert Settings().retention.max_age == timedelta(days=90)
    monkeypatch.setenv("SHIPYARD_RETENTION__MAX_AGE", "ninety days")
    with pytest.raises(ValueError, match="not a duration"):
        Settings()


def test_an_invalid_setting_names_the_variable_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from shipyard.config import load_settings
    from shipyard.errors import InvalidSettings

    monkeypatch.setenv("SHIPYARD_ENV", "staging")  # an alias: named as it is
    monkeypatch.setenv("SHIPYARD_SERVING__MAX_ROWS_PER_REQUEST", "0")  # a nested setting
    with pytest.raises(InvalidSettings) as caught:
        load_settings()
    text = str(caught.value)
    assert "SHIPYARD_ENV: Input should be 'dev' or 'prod'" in text
    assert "SHIPYARD_SERVING__MAX_ROWS_PER_REQUEST: Input should be greater than 0" in text
    assert "SHIPYARD_SHIPYARD" not in text
