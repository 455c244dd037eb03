"""Uptime checks of a health endpoint, as Uptime Kuma makes them: probe on a schedule,
tell when it goes down (after ``retries`` failed probes in a row) and when it is back."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import httpx

from shipyard.domain.alerts import Finding, Severity

logger = logging.getLogger(__name__)


@dataclass
class Watcher:
    url: str
    retries: int = 1
    timeout_seconds: float = 10.0
    failures: int = 0
    down: bool = False
    last_problem: str = ""
    _client: httpx.Client = field(default_factory=lambda: httpx.Client(follow_redirects=True))

    def probe(self) -> str | None:
        """None when the endpoint answers 2xx in time; else what went wrong."""
        started = time.monotonic()
        try:
            answer = self._client.get(self.url, timeout=self.timeout_seconds)
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"
        took = time.monotonic() - started
        if not answer.is_success:
            return f"HTTP {answer.status_code} after {took:.2f} s"
        return None

    def step(self) -> Finding | None:
        """Probe once; a finding when the endpoint just went down or just came back."""
        problem = self.probe()
        if problem is None:
            self.failures = 0
            if self.down:
                self.down = False
                return Finding(
                    "uptime", self.url, Severity.CRITICAL, False, f"{self.url} is up again"
                )
            return None
        self.failures += 1
        self.last_problem = problem
        logger.warning("%s: probe failed (%d in a row): %s", self.url, self.failures, problem)
        if not self.down and self.failures >= self.retries:
            self.down = True
            return Finding(
                "uptime",
                self.url,
                Severity.CRITICAL,
                True,
                f"{self.url} is down: {problem} ({self.failures} failed probe(s) in a row)",
            )
        return None

    def close(self) -> None:
        self._client.close()
