"""``shipyard predict --engine dask``: the same chunks scored by Dask workers, real clusters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from shipyard.cli.main import app
from shipyard.training.datasets import example

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def employees(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,940 rows, shuffled, with every kind of column the schema has."""
    features, _ = example("attrition").load()
    rows = pd.concat([features, features], ignore_index=True).sample(frac=1.0, random_state=3)
    source = tmp_path_factory.mktemp("dask") / "employees.csv"
    rows.to_csv(source, index=False)
    return source


@pytest.fixture
def store_env(trained_store: Path) -> dict[str, str]:
    return {"SHIPYARD_DATA_DIR": str(trained_store)}


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A cluster started apart from the command, as a user's would be."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield str(cluster.scheduler_address)


def _predict(env: dict[str, str], *arguments: str) -> str:
    result = CliRunner().invoke(app, ["predict", "--model", "attrition", *arguments], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_dask_engine_writes_the_same_file_as_the_in_process_engine(
    store_env: dict[str, str], employees: Path, tmp_path: Path
) -> None:
    local, on_dask = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    _predict(store_env, str(employees), str(local), "--chunk-rows", "500")
    output = _predict(
        store_env, str(employees), str(on_dask), "--chunk-rows", "500", "--engine", "dask"
    )
    assert "2940 rows scored by attrition v1" in output
    expected, scored = pd.read_parquet(local), pd.read_parquet(on_dask)
    pd.testing.assert_frame_equal(scored, expected, check_exact=True)
    assert scored["MonthlyIncome"].tolist() == pd.read_csv(employees)["MonthlyIncome"].tolist()


def test_a_cluster_given_by_its_scheduler_address_scores_the_file(
    store_env: dict[str, str], employees: Path, tmp_path: Path, scheduler: str
) -> None:
    local, on_dask = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    _predict(store_env, str(employees), str(local), "--chunk-rows", "300")
    _predict(
        store_env,
        *(str(employees), str(on_dask), "--chunk-rows", "300"),
        *("--engine", "dask", "--scheduler", scheduler),
    )
    pd.testing.assert_frame_equal(pd.read_parquet(on_dask), pd.read_parquet(local))


def test_a_bad_value_in_a_chunk_scored_by_a_worker_says_what_to_fix(
    store_env: dict[str, str], tmp_path: Path, scheduler: str
) -> None:
    features, _ = example("attrition").load()
    rows = features.head(400).astype({"Age": object})
    rows.loc[350, "Age"] = "old"
    source = tmp_path / "bad.csv"
    rows.to_csv(source, index=False)
    result = CliRunner().invoke(
        app,
        [
            *("predict", "--model", "attrition", str(source), str(tmp_path / "out.parquet")),
            *("--chunk-rows", "100", "--engine", "dask", "--scheduler", scheduler),
        ],
        env=store_env,
    )
    assert result.exit_code == 1
    assert "column 'Age' is not integer" in result.output
    assert "Traceback" not in result.output


def test_a_scheduler_address_without_the_dask_engine_is_refused(
    store_env: dict[str, str], employees: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app,
        [
            *("predict", "--model", "attrition", str(employees), str(tmp_path / "o.parquet")),
            *("--scheduler", "tcp://127.0.0.1:8786"),
        ],
        env=store_env,
    )
    assert result.exit_code == 2
    assert "--scheduler goes with --engine dask" in result.output
