"""When a rule's finding is worth a notification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shipyard.domain.alerts import Finding, Severity, decide

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def finding(firing: bool) -> Finding:
    return Finding("drift", "attrition", Severity.WARNING, firing, "30 of 30 columns drifted")


def test_the_first_firing_check_notifies_then_stays_quiet_until_the_cooldown() -> None:
    state, notice = decide(None, finding(True), T0, HOUR)
    assert notice is not None
    assert (notice.kind, notice.title) == ("firing", "[WARNING] shipyard: attrition: drift")
    assert state is not None
    again, quiet = decide(state, finding(True), T0 + timedelta(minutes=30), HOUR)
    assert quiet is None
    assert again == state
    later, reminder = decide(state, finding(True), T0 + HOUR, HOUR)
    assert reminder is not None
    assert reminder.kind == "reminder"
    assert later is not None
    assert later.notified_at == T0 + HOUR
    assert later.since == T0


def test_recovery_is_told_once_and_a_quiet_rule_says_nothing() -> None:
    state, _ = decide(None, finding(True), T0, HOUR)
    resolved_state, resolved = decide(state, finding(False), T0 + timedelta(minutes=5), HOUR)
    assert resolved is not None
    assert resolved.kind == "resolved"
    assert resolved.title.startswith("[RESOLVED]")
    assert resolved_state is not None
    assert not resolved_state.firing
    assert decide(resolved_state, finding(False), T0 + HOUR, HOUR)[1] is None
    assert decide(None, finding(False), T0, HOUR) == (None, None)
