"""The validators the deployment tests run: commands of the dev extra, found beside the
test's Python (a virtual environment need not be activated), else on PATH."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return found


def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    options.setdefault("timeout", 60)
    return subprocess.run(command, capture_output=True, text=True, check=False, **options)


def hadolint(path: Path) -> None:
    result = run([tool("hadolint"), "--failure-threshold", "style", "--no-color", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def workflow_schema_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    return run([*command, *map(str, paths)], timeout=120)
