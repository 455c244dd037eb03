"""The same static checks CI runs, as part of the one test command."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.quality

ROOT = Path(__file__).parents[2]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def tool(name: str) -> str:
    """The tool installed beside this interpreter (the project's dev extra)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed: pip install -e '.[dev]'"
    return found


def test_ruff_lint() -> None:
    result = run(tool("ruff"), "check", "src", "tests", "examples", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run(tool("ruff"), "format", "--check", "src", "tests", "examples", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_src() -> None:
    result = run(tool("mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold() -> None:
    result = run(tool("lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_bandit_finds_nothing_beyond_the_written_waivers() -> None:
    # Waivers: B101 in pyproject.toml ([tool.bandit]); single lines carry `# nosec <id>`
    # under a comment that says why.
    result = run(tool("bandit"), "-c", "pyproject.toml", "-q", "-r", "src")
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_a_caller_sends_is_unpickled() -> None:
    unpickling = run(
        "grep", "-rnE", "--include=*.py", r"pickle\.loads?|cloudpickle|joblib\.load|dill\.", "src"
    )
    assert unpickling.stdout == "", unpickling.stdout


def test_the_wheel_ships_the_migrations(tmp_path: Path) -> None:
    result = run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    [wheel] = tmp_path.glob("shipyard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "shipyard/db/migrations/env.py" in names
    assert "shipyard/db/migrations/script.py.mako" in names
    assert "shipyard/db/migrations/versions/0001_prediction_log.py" in names
