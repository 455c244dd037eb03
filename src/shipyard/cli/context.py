"""What every command shares: the console and the settings it runs with."""

from __future__ import annotations

from rich.console import Console

from shipyard.config import Settings, load_settings

console = Console(highlight=False)
error_console = Console(stderr=True, highlight=False)


def current_settings() -> Settings:
    """Settings from the environment and ``.env`` files (read when a command runs)."""
    return load_settings()
