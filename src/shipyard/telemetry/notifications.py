"""Notifications through apprise: one URL per destination (Discord and Slack webhooks as
their owners copy them, JSON webhooks, e-mail, and the rest of apprise's ~100 services)."""

from __future__ import annotations

import logging
from typing import Any

from shipyard.errors import InvalidSettings

logger = logging.getLogger(__name__)


def _shown(url: str, position: int) -> str:
    """A URL as it may be printed: its place and scheme only (services put tokens in the
    host, the user, the path or the query)."""
    return f"URL {position} ({url.partition('://')[0]}://...)"


class Notifier:
    """Sends a title and a body to every configured URL."""

    def __init__(self, urls: list[str]) -> None:
        self.destinations = len(urls)
        if not urls:
            return
        import apprise  # only where alerts go somewhere: it is not small

        self._apprise: Any = apprise.Apprise()
        self._types = {
            "warning": apprise.NotifyType.WARNING,
            "critical": apprise.NotifyType.FAILURE,
            "resolved": apprise.NotifyType.SUCCESS,
        }
        # apprise logs whole URLs, tokens included, below WARNING
        logging.getLogger("apprise").setLevel(max(logging.WARNING, logging.root.level))
        for position, url in enumerate(urls, start=1):
            if not self._apprise.add(url):
                raise InvalidSettings(
                    [
                        f"SHIPYARD_ALERTS__URLS: {_shown(url, position)} is not one apprise can "
                        "send to; "
                        "see https://github.com/caronc/apprise/wiki for the URL of each service"
                    ]
                )

    def send(self, title: str, body: str, tone: str) -> bool:
        """True when every destination took it. Never raises: an alert that cannot be sent
        is logged, and the next check tries again."""
        if not self.destinations:
            return True
        try:
            sent = bool(self._apprise.notify(title=title, body=body, notify_type=self._types[tone]))
        except Exception:
            logger.exception("sending an alert failed")
            return False
        if not sent:
            logger.error("an alert could not be delivered to every destination: %s", title)
        return sent
