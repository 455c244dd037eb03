"""Alerts: what a rule found, and when that is worth a notification.

A rule is checked again and again; only changes are told: the first check that finds it
firing, a reminder while it keeps firing once the cool-down has passed, and the recovery.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


NoticeKind = Literal["firing", "reminder", "resolved"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule checked on one subject (the server, or a model)."""

    rule: str
    subject: str
    severity: Severity
    firing: bool
    summary: str
    """What was seen, against what limit, in words."""

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject}"


@dataclass(frozen=True, slots=True)
class AlertState:
    """What was last told about a rule and subject."""

    key: str
    firing: bool
    since: datetime
    notified_at: datetime


@dataclass(frozen=True, slots=True)
class Notice:
    finding: Finding
    kind: NoticeKind

    @property
    def title(self) -> str:
        label = "RESOLVED" if self.kind == "resolved" else self.finding.severity.value.upper()
        return f"[{label}] shipyard: {self.finding.subject}: {self.finding.rule.replace('_', ' ')}"


def decide(
    previous: AlertState | None, finding: Finding, now: datetime, cooldown: timedelta
) -> tuple[AlertState | None, Notice | None]:
    """The state to keep and the notice to send (if any) after ``finding``."""
    was_firing = previous is not None and previous.firing
    if finding.firing and not was_firing:
        return AlertState(finding.key, True, now, now), Notice(finding, "firing")
    if finding.firing and previous is not None:
        if now - previous.notified_at >= cooldown:
            return replace(previous, notified_at=now), Notice(finding, "reminder")
        return previous, None
    if was_firing and previous is not None:
        return AlertState(finding.key, False, now, now), Notice(finding, "resolved")
    return previous, None
