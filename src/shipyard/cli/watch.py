"""``shipyard watch``: probe a health endpoint and alert on down and on recovery."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from shipyard.cli.context import console, current_settings
from shipyard.config import parse_duration
from shipyard.domain.alerts import Notice
from shipyard.services.watching import Watcher
from shipyard.telemetry.notifications import Notifier


def watch(
    url: Annotated[str, typer.Argument(help="The endpoint to probe, e.g. https://host/health.")],
    every: Annotated[str, typer.Option(help="Time between probes, e.g. 30s.")] = "30s",
    retries: Annotated[
        int, typer.Option(min=1, help="Failed probes in a row before it counts as down.")
    ] = 1,
    timeout: Annotated[str, typer.Option(help="Longest wait for an answer.")] = "10s",
    alert: Annotated[
        list[str] | None,
        typer.Option(help="Apprise URL to notify (repeatable; default: SHIPYARD_ALERTS__URLS)."),
    ] = None,
) -> None:
    """Probe URL forever; notify when it goes down and when it comes back."""
    try:
        pause, limit = parse_duration(every), parse_duration(timeout)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    urls = alert or [u.get_secret_value() for u in current_settings().alerts.urls]
    notifier = Notifier(urls)
    watcher = Watcher(url, retries=retries, timeout_seconds=limit.total_seconds())
    console.print(f"watching {url} every {every}; alerts to {len(urls)} destination(s)")
    untold: Notice | None = None  # a change not delivered yet: sent again at each probe
    try:
        while True:
            finding = watcher.step()
            if finding is not None:
                untold = Notice(finding, "firing" if finding.firing else "resolved")
                console.print(f"{untold.title}: {finding.summary}")
            if untold is not None:
                tone = "critical" if untold.finding.firing else "resolved"
                if notifier.send(untold.title, untold.finding.summary, tone):
                    untold = None
            time.sleep(pause.total_seconds())
    except KeyboardInterrupt:
        pass
    finally:
        watcher.close()
