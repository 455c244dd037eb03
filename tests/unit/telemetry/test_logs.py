"""The log pipeline: one shape for structlog's events and the standard library's records."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from shipyard.telemetry.logs import configure_logging


@pytest.fixture(autouse=True)
def restore_root_handlers() -> Iterator[None]:
    root = logging.getLogger()
    before = list(root.handlers), root.level
    yield
    root.handlers[:] = before[0]
    root.setLevel(before[1])


def test_console_lines_are_readable_and_carry_the_bound_request_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "console")
    with structlog.contextvars.bound_contextvars(request_id="abc123"):
        logging.getLogger("shipyard.example").warning("model %s not loaded", "attrition")
    line = capsys.readouterr().err.strip()
    assert "model attrition not loaded" in line
    assert "request_id=abc123" in line
    assert not line.startswith("{")


def test_json_lines_are_objects_with_level_logger_and_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    logging.getLogger("shipyard.example").info("loaded %s v%s", "attrition", 3)
    structlog.get_logger("shipyard.example").info("swapped", model="attrition", version="4")
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["event"] == "loaded attrition v3"
    assert (first["level"], first["logger"]) == ("info", "shipyard.example")
    assert second["event"] == "swapped"
    assert (second["model"], second["version"]) == ("attrition", "4")
    assert second["timestamp"].endswith("Z")


def test_a_level_above_info_hides_info_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING", "json")
    logging.getLogger("shipyard.example").info("hidden")
    logging.getLogger("shipyard.example").error("shown")
    lines = capsys.readouterr().err.splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["shown"]
