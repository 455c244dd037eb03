"""CLI commands run in-process with Typer's runner, on real files and stores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from shipyard.cli.main import app
from shipyard.config import Settings
from shipyard.db import open_database
from shipyard.db.migrate import current_revision, head_revision
from shipyard.services.loading import load_served_model
from shipyard.services.runtime import registry_for
from shipyard.services.scoring import score_file
from shipyard.serving.predictor import predict_records
from shipyard.training.datasets import example
from tests.conftest import attrition_record

pytestmark = pytest.mark.integration


def test_db_upgrade_brings_the_log_to_head(cli_env: dict[str, str], settings: Settings) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade"], env=cli_env)
    assert result.exit_code == 0, result.output
    database = open_database(settings.resolved_database_url())
    assert current_revision(database) == head_revision()
    database.dispose()
    current = CliRunner().invoke(app, ["db", "current"], env=cli_env)
    assert f"current:  {head_revision()}" in current.output


def test_bulk_scoring_a_csv_in_chunks(cli_env: dict[str, str], tmp_path: Path) -> None:
    features, _ = example("attrition").load()
    source = tmp_path / "employees.csv"
    features.head(250).to_csv(source, index=False)
    destination = tmp_path / "scored.parquet"
    result = CliRunner().invoke(
        app,
        ["predict", "--model", "attrition", str(source), str(destination), "--chunk-rows", "100"],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    assert "250 rows scored by attrition v1" in result.output
    scored = pq.read_table(destination).to_pandas()
    assert len(scored) == 250
    assert set(scored["label"]) <= {"Yes", "No"}
    assert (scored["proba_Yes"] + scored["proba_No"]).round(9).eq(1).all()
    assert scored["Age"].tolist() == features.head(250)["Age"].tolist()


def test_bulk_scoring_a_parquet_file_matches_the_api_answer(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "one.parquet"
    pd.DataFrame([attrition_record()]).to_parquet(source)
    destination = tmp_path / "out.parquet"
    result = CliRunner().invoke(
        app, ["predict", "-m", "attrition", str(source), str(destination)], env=cli_env
    )
    assert result.exit_code == 0, result.output
    scored = pq.read_table(destination).to_pandas()
    assert scored.loc[0, "label"] in {"Yes", "No"}


def test_bulk_scoring_in_parallel_chunks_keeps_row_order_and_the_served_answers(
    settings: Settings, tmp_path: Path
) -> None:
    """Chunks are scored on several threads and text is read dictionary-encoded: every row
    still gets, in the input's order, the answer the API gives for that record, and text
    columns come back as text."""
    served = load_served_model(registry_for(settings), "attrition", settings.serving)
    features, _ = example("attrition").load()
    rows = features.sample(frac=1.0, random_state=7).head(700).reset_index(drop=True)
    source = tmp_path / "employees.parquet"
    rows.to_parquet(source, index=False)
    destination = tmp_path / "scored.parquet"
    scored_rows = score_file(served, source, destination, chunk_rows=64, threads=3)
    scored = pq.read_table(destination).to_pandas()
    expected = predict_records(
        served.predictor, rows.to_dict(orient="records"), served.input_schema
    )
    assert scored_rows == 700
    assert scored["label"].tolist() == [score.label for score in expected]
    assert scored["proba_Yes"].tolist() == pytest.approx(
        [score.probabilities["Yes"] for score in expected], abs=1e-9
    )
    assert scored["MonthlyIncome"].tolist() == rows["MonthlyIncome"].tolist()
    assert scored["Department"].tolist() == rows["Department"].tolist()
    assert pq.read_schema(destination).field("Department").type == "string"


def test_bulk_scoring_says_what_is_wrong_with_the_file(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "bad.csv"
    pd.DataFrame([{"Age": 41}]).to_csv(source, index=False)
    result = CliRunner().invoke(
        app, ["predict", "-m", "attrition", str(source), str(tmp_path / "o.parquet")], env=cli_env
    )
    assert result.exit_code == 1
    assert "missing columns: BusinessTravel" in result.output


def test_unknown_example_is_a_clean_error(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["train", "churn"], env=cli_env)
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "no example or project model named 'churn'; choose one of: attrition" in flat


def test_db_commands_on_an_unreachable_database_say_so_in_one_line(
    cli_env: dict[str, str],
) -> None:
    closed = "postgresql+psycopg://postgres@127.0.0.1:1/shipyard"  # nothing listens on port 1
    for command in (["db", "upgrade"], ["db", "current"]):
        result = CliRunner().invoke(app, command, env={**cli_env, "SHIPYARD_DATABASE_URL": closed})
        assert result.exit_code == 1, result.output
        assert "the prediction log database is unavailable" in result.output
        assert "Traceback" not in result.output


def test_keys_are_minted_once_listed_without_secret_and_revoked(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"], env=cli_env).exit_code == 0
    created = runner.invoke(
        app, ["keys", "create", "--name", "ci-bot", "--scopes", "predict"], env=cli_env
    )
    assert created.exit_code == 0, created.output
    [key] = [line for line in created.output.splitlines() if line.startswith("sy_")]
    listed = runner.invoke(app, ["keys", "list"], env=cli_env)
    assert "ci-bot" in listed.output
    assert key not in listed.output  # the secret is shown once, never again
    again = runner.invoke(app, ["keys", "create", "--name", "ci-bot"], env=cli_env)
    assert again.exit_code == 1
    assert "an active API key is already named 'ci-bot'" in again.output
    bad = runner.invoke(app, ["keys", "create", "--name", "x", "--scopes", "write"], env=cli_env)
    assert bad.exit_code == 2
    assert "unknown scope write" in bad.output
    revoked = runner.invoke(app, ["keys", "revoke", "ci-bot"], env=cli_env)
    assert revoked.exit_code == 0, revoked.output
    assert "ci-bot" not in runner.invoke(app, ["keys", "list"], env=cli_env).output
    missing = runner.invoke(app, ["keys", "revoke", "ci-bot"], env=cli_env)
    assert missing.exit_code == 1
    assert "no active API key named 'ci-bot'" in missing.output


def test_users_are_created_with_a_prompted_password_listed_and_disabled(
    cli_env: dict[str, str],
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"], env=cli_env).exit_code == 0
    created = runner.invoke(
        app,
        ["users", "create", "--name", "ana", "--scopes", "read"],
        input="correct horse battery\ncorrect horse battery\n",
        env=cli_env,
    )
    assert created.exit_code == 0, created.output
    assert "user 'ana', scopes read" in created.output
    short = runner.invoke(
        app, ["users", "create", "--name", "bo"], input="short\nshort\n", env=cli_env
    )
    assert short.exit_code == 2
    assert "at least 12 characters" in short.output
    listed = runner.invoke(app, ["users", "list"], env=cli_env)
    assert "ana" in listed.output
    assert "correct horse" not in listed.output
    assert runner.invoke(app, ["users", "disable", "ana"], env=cli_env).exit_code == 0
    again = runner.invoke(app, ["users", "disable", "ana"], env=cli_env)
    assert again.exit_code == 1
    assert "no active user named 'ana'" in again.output


STRONG = "cli-test-secret-" + "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("unsafe", "named"),
    [
        ({"SHIPYARD_AUTH__ENABLED": "false", "SHIPYARD_AUTH__JWT_SECRET": STRONG},
         "SHIPYARD_AUTH__ENABLED=false is refused in the prod profile"),
        ({}, "SHIPYARD_AUTH__JWT_SECRET must be set in the prod profile"),
        ({"SHIPYARD_AUTH__JWT_SECRET": "changethis"}, "at least 32 characters"),
        ({"SHIPYARD_AUTH__JWT_SECRET": STRONG, "SHIPYARD_RATE_LIMIT__PER_KEY": "lots"},
         "SHIPYARD_RATE_LIMIT__PER_KEY: 'lots' is not a rate"),
    ],
)  # fmt: skip
def test_prod_refuses_to_start_with_an_unsafe_setting_and_says_which(
    cli_env: dict[str, str], unsafe: dict[str, str], named: str
) -> None:
    env = {**cli_env, "SHIPYARD_PROFILE": "prod", **unsafe}
    result = CliRunner().invoke(app, ["serve", "--port", "0"], env=env)
    assert result.exit_code == 1
    assert "invalid settings" in result.output
    assert named in " ".join(result.output.split())  # rich wraps long lines
    assert "Traceback" not in result.output


def test_bulk_scoring_says_which_row_of_a_csv_is_empty(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    features, _ = example("attrition").load()
    source = tmp_path / "gap.csv"
    rows = features.head(3).copy()
    rows["Department"] = rows["Department"].astype(object)
    rows.loc[rows.index[1], "Department"] = None
    rows.to_csv(source, index=False)
    result = CliRunner().invoke(
        app, ["predict", "-m", "attrition", str(source), str(tmp_path / "o.parquet")], env=cli_env
    )
    assert result.exit_code == 1
    assert "column 'Department' is empty at row 1; it is required" in result.output
