"""Structured logs: JSON lines in ``prod``, readable lines in ``dev``, one pipeline for all.

shipyard's own events go through structlog; the standard library's records (uvicorn,
SQLAlchemy, MLflow, shipyard modules that use :mod:`logging`) are rendered by the same
processors, so every line of a process has one shape. The request id of the request being
served is bound in a context variable and appears on every line logged while serving it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import structlog
from structlog.typing import Processor

LogFormat = Literal["json", "console"]

ACCESS_LOGGER = "shipyard.access"

_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(level: str = "INFO", log_format: LogFormat = "console") -> None:
    """Route every log record of the process through structlog's renderer, to stderr.

    Idempotent: a second call (a second app in one process) replaces the first's handler.
    """
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder(), _drop_colour_copies],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    handler.set_name("shipyard")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "shipyard":
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        # uvicorn's own handlers would print a second, differently shaped line
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # One line per HTTP call the client makes (simulate, the dashboard) is noise, not news.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # shipyard's line per request says more (request id, route, what was predicted)
    logging.getLogger("uvicorn.access").disabled = True


def _drop_colour_copies(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """uvicorn adds a coloured copy of some messages as an extra; one copy is enough."""
    event.pop("color_message", None)
    return event


def access_logger() -> Any:
    return structlog.get_logger(ACCESS_LOGGER)
