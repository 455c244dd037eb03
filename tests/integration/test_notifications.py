"""Notifications through apprise, delivered to real local receivers where the service can
be one: a JSON webhook and an SMTP server. Discord and Slack webhooks cannot be pointed at a
local host; their URLs, as the services hand them out, are checked to be accepted."""

from __future__ import annotations

import pytest

from shipyard.errors import InvalidSettings
from shipyard.telemetry.notifications import Notifier
from tests.receiver import mail_receiver, receiver


def test_a_json_webhook_receives_title_message_and_type() -> None:
    with receiver() as hook:
        notifier = Notifier([f"json://{hook.url.removeprefix('http://')}/alerts"])
        assert notifier.send("[CRITICAL] shipyard: server: error rate", "3% were 5xx", "critical")
        (message,) = hook.wait_for(1)
    assert message["path"] == "/alerts"
    assert message["body"]["title"] == "[CRITICAL] shipyard: server: error rate"
    assert message["body"]["message"] == "3% were 5xx"
    assert message["body"]["type"] == "failure"


def test_an_email_goes_out_through_smtp() -> None:
    with mail_receiver() as smtp:
        url = (
            f"mailto://{smtp.host}:{smtp.port}?smtp={smtp.host}&mode=insecure"
            "&from=shipyard@example.com&to=oncall@example.com"
        )
        notifier = Notifier([url])
        assert notifier.send("[WARNING] shipyard: attrition: drift", "30 of 30 drifted", "warning")
        (mail,) = smtp.wait_for(1)
    assert "Subject: [WARNING] shipyard: attrition: drift" in mail
    assert "30 of 30 drifted" in mail
    assert "oncall@example.com" in mail


def test_discord_and_slack_webhook_urls_are_taken_as_copied() -> None:
    notifier = Notifier(
        [
            "https://discord.com/api/webhooks/123456789012345678/aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        ]
    )
    assert notifier.destinations == 2


def test_a_url_apprise_cannot_use_is_refused_without_showing_its_secret() -> None:
    with pytest.raises(InvalidSettings) as refused:
        Notifier(["nosuchservice://user:s3cret@host/token123"])
    assert "URL 1 (nosuchservice://...)" in refused.value.detail
    assert "s3cret" not in refused.value.detail
    assert "token123" not in refused.value.detail
