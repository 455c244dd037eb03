"""``shipyard watch``: an uptime check that alerts on down and on recovery."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.receiver import receiver


def test_watch_alerts_when_the_endpoint_goes_down_and_when_it_is_back() -> None:
    with receiver() as site:
        alert_url = f"json://{site.url.removeprefix('http://')}/alerts"
        watching = subprocess.Popen(
            [
                *(sys.executable, "-m", "shipyard", "watch", f"{site.url}/health"),
                *("--every", "1s", "--timeout", "2s", "--alert", alert_url),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            time.sleep(2.5)
            assert site.received == []  # up: nothing to say
            site.healthy = False
            down = site.wait_for(1, timeout=20)
            assert down[0]["body"]["title"] == f"[CRITICAL] shipyard: {site.url}/health: uptime"
            assert "HTTP 503" in down[0]["body"]["message"]
            assert down[0]["body"]["type"] == "failure"
            time.sleep(2.5)
            assert len(site.received) == 1  # still down: told once
            site.healthy = True
            back = site.wait_for(2, timeout=20)
            assert back[1]["body"]["title"] == f"[RESOLVED] shipyard: {site.url}/health: uptime"
            assert back[1]["body"]["type"] == "success"
        finally:
            watching.terminate()
            output = watching.communicate(timeout=10)[0]
        assert "Traceback" not in output
