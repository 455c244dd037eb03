"""The server's Prometheus metrics, one registry per app.

Events are counted where they happen (a finished request, a scored batch, a committed log
batch, a model load); levels (queue depths, backlog, the served versions, the latest
monitoring results) are read at scrape time. Predictions are counted when their rows are
committed, so ``shipyard_predictions_total`` equals the rows this process wrote to the log.
Values are this process's: with ``--workers N`` each worker answers for itself.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from shipyard.domain.prediction import PredictionEntry
from shipyard.domain.traffic import REQUEST_SECONDS_BUCKETS

PREDICT_SECONDS_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
)  # fmt: skip
BATCH_ROWS_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
COMMIT_SECONDS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)
UNMATCHED_ROUTE = "unmatched"
"""The route label of a request no route matched: a scanner's paths must not become
series of their own."""


PROBE_ROUTES = frozenset(
    {
        "/livez",
        "/readyz",
        "/ping",
        "/health",
        "/metrics",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/{name}/ready",
        "/v2/models/{name}/versions/{version}/ready",
    }
)
"""Routes that monitors call on a schedule: left out of the request totals alerts read."""


@dataclass(frozen=True)
class HttpTotals:
    """Requests answered so far (probes left out), for alert rules to take differences of."""

    requests: float = 0.0
    server_errors: float = 0.0
    invalid_input: float = 0.0
    slower_than: dict[float, float] = field(default_factory=dict)
    """Requests slower than each histogram bound (seconds)."""

    def since(self, earlier: HttpTotals) -> HttpTotals:
        return HttpTotals(
            self.requests - earlier.requests,
            self.server_errors - earlier.server_errors,
            self.invalid_input - earlier.invalid_input,
            {
                bound: slower - earlier.slower_than.get(bound, 0.0)
                for bound, slower in self.slower_than.items()
            },
        )


class ServerMetrics:
    """The counters and histograms of one server process."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        # The series of each (method, route, status) already seen: ``labels()`` checks and
        # locks on every call, twice per request otherwise.
        self._request_series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self.requests = Counter(
            "shipyard_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "shipyard_http_request_duration_seconds",
            "Time from the request's arrival to the end of its answer.",
            ["method", "route"],
            buckets=REQUEST_SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "shipyard_predictions",
            "Predictions committed to the log, by model, version and label.",
            ["model", "version", "label"],
            registry=self.registry,
        )
        self.predict_seconds = Histogram(
            "shipyard_predict_duration_seconds",
            "Time of one predict call (a batch of records, maybe from several requests).",
            ["model", "version"],
            buckets=PREDICT_SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.batch_rows = Histogram(
            "shipyard_batch_rows",
            "Records scored per predict call.",
            ["model"],
            buckets=BATCH_ROWS_BUCKETS,
            registry=self.registry,
        )
        self.commit_seconds = Histogram(
            "shipyard_prediction_log_commit_duration_seconds",
            "Time of one commit of the prediction log writer (insert and fsync).",
            buckets=COMMIT_SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.model_loads = Counter(
            "shipyard_model_loads",
            "Model versions loaded, by model, version and outcome (loaded or failed).",
            ["model", "version", "outcome"],
            registry=self.registry,
        )
        self.model_swaps = Counter(
            "shipyard_model_swaps",
            "Times the served version of a model was replaced by another.",
            ["model"],
            registry=self.registry,
        )
        self.shadow_predictions = Counter(
            "shipyard_shadow_predictions",
            "Records a @challenger scored off the response path, by outcome: written, "
            "dropped (the shadow queue was full) or failed.",
            ["model", "version", "outcome"],
            registry=self.registry,
        )

    def shadowed(self, model: str, version: str, outcome: str, rows: int) -> None:
        self.shadow_predictions.labels(model, version, outcome).inc(rows)

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._request_series.get((method, route, status))
        if series is None:
            series = self._request_series[(method, route, status)] = (
                self.requests.labels(method, route, str(status)),
                self.request_seconds.labels(method, route),
            )
        count, duration = series
        count.inc()
        duration.observe(seconds)

    def batch_scored(self, model: str, version: str, rows: int, seconds: float) -> None:
        self.batch_rows.labels(model).observe(rows)
        self.predict_seconds.labels(model, version).observe(seconds)

    def rows_committed(self, entries: Sequence[PredictionEntry], seconds: float) -> None:
        """Called by the log writer's thread after each commit."""
        self.commit_seconds.observe(seconds)
        tally = Tally((entry.model_name, entry.model_version, entry.label) for entry in entries)
        for (model, version, label), rows in tally.items():
            self.predictions.labels(model, version, label).inc(rows)

    def model_loaded(self, model: str, version: str, *, replaced: str | None) -> None:
        self.model_loads.labels(model, version, "loaded").inc()
        swaps = self.model_swaps.labels(model)  # exported from the first load on, at 0
        if replaced is not None and replaced != version:
            swaps.inc()

    def model_failed(self, model: str, version: str) -> None:
        self.model_loads.labels(model, version, "failed").inc()

    def http_totals(self) -> HttpTotals:
        requests = errors = invalid = 0.0
        for family in self.requests.collect():
            for sample in family.samples:
                if not sample.name.endswith("_total") or sample.labels["route"] in PROBE_ROUTES:
                    continue
                requests += sample.value
                status = sample.labels["status"]
                errors += sample.value if status.startswith("5") else 0.0
                invalid += sample.value if status == "422" else 0.0
        at_most: dict[float, float] = {}
        for family in self.request_seconds.collect():
            for sample in family.samples:
                if sample.name.endswith("_bucket") and sample.labels["route"] not in PROBE_ROUTES:
                    bound = float(sample.labels["le"])
                    at_most[bound] = at_most.get(bound, 0.0) + sample.value
        slower = {bound: requests - count for bound, count in at_most.items()}
        return HttpTotals(requests, errors, invalid, slower)

    def watch(self, read: Callable[[], Iterator[Metric]]) -> None:
        """Add levels read at scrape time (``read`` yields metric families)."""
        self.registry.register(_Levels(read))


class _Levels(Collector):
    def __init__(self, read: Callable[[], Iterator[Metric]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        yield from self._read()

    def describe(self) -> Iterator[Metric]:
        return iter(())  # read at scrape time only: nothing to check at registration


def grafana_dashboard() -> str:
    """The Grafana dashboard shipped with shipyard (JSON), over these metrics."""
    from importlib import resources

    return (resources.files("shipyard.telemetry") / "grafana" / "shipyard.json").read_text()
