"""The request rules, on the totals of one interval."""

from __future__ import annotations

from shipyard.config import AlertSettings
from shipyard.services.alerting import request_findings
from shipyard.telemetry.metrics import HttpTotals

RULES = AlertSettings()


def firing(interval: HttpTotals) -> set[str]:
    return {f.rule for f in request_findings(RULES, interval) if f.firing}


def test_thresholds_of_the_seeds() -> None:
    calm = HttpTotals(requests=1_000, server_errors=5, invalid_input=40, slower_than={2.0: 10})
    assert firing(calm) == set()
    errors = HttpTotals(requests=1_000, server_errors=20, invalid_input=0, slower_than={2.0: 0})
    assert firing(errors) == {"error_rate"}
    bad_input = HttpTotals(requests=1_000, server_errors=0, invalid_input=80, slower_than={})
    assert firing(bad_input) == {"invalid_input_rate"}
    slow = HttpTotals(requests=1_000, server_errors=0, invalid_input=0, slower_than={2.0: 80})
    assert firing(slow) == {"p95_latency"}


def test_too_few_requests_fire_nothing() -> None:
    assert firing(HttpTotals(requests=3, server_errors=3, invalid_input=0)) == set()


def test_totals_difference_is_the_interval() -> None:
    before = HttpTotals(10, 1, 2, {2.0: 1})
    after = HttpTotals(110, 4, 2, {2.0: 3})
    assert after.since(before) == HttpTotals(100, 3, 0, {2.0: 2})


def test_class_share_fires_above_the_band_and_says_nothing_over_few_predictions() -> None:
    from shipyard.services.alerting import class_share_findings

    (high,) = class_share_findings(RULES, "attrition", "Yes", {"Yes": 60, "No": 40})
    assert high.firing
    assert "60.0% of 100 predictions were 'Yes'" in high.summary
    (calm,) = class_share_findings(RULES, "attrition", "Yes", {"Yes": 16, "No": 84})
    assert not calm.firing
    assert class_share_findings(RULES, "attrition", "Yes", {"Yes": 3}) == []
