"""Settings: environment variables (``SHIPYARD_`` prefix), ``.env`` files and defaults.

Precedence, highest first: arguments to ``Settings(...)``, environment variables,
``.env.<profile>``, ``.env``, defaults. Nested groups use ``__``:
``SHIPYARD_SERVING__MAX_ROWS_PER_REQUEST=500``. Nothing here runs at import time:
entry points call :func:`load_settings`; tests build ``Settings(...)`` directly.
``docs/configuration.md`` is generated from the field docstrings below.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shipyard.errors import InvalidSettings
from shipyard.project import project_models

Profile = Literal["dev", "prod"]

MIN_JWT_SECRET = 32
# Secrets copied from tutorials and templates: refused in prod whatever their length.
KNOWN_SECRETS = frozenset(
    {
        "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7",  # FastAPI docs
        "change-me-in-production-please-with-a-long-secret",
        "secret" * 6,
    }
)


REMOTE_TRACKING_SCHEMES = {"http", "https", "databricks"}


_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(text: str) -> timedelta:
    """Durations as people write them: ``"90d"`` -> 90 days (also s, m, h, w)."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(
            f"{text!r} is not a duration; write a whole number and a unit: 30s, 15m, 12h, 90d or 2w"
        )
    amount, unit = match.groups()
    return timedelta(**{_DURATION_UNITS[unit]: int(amount)})


def _duration(value: object) -> object:
    if isinstance(value, str):
        # An empty variable (SHIPYARD_MONITORING__EVERY=) switches an optional schedule off.
        value = None if not value.strip() else parse_duration(value)
    if isinstance(value, timedelta) and value <= timedelta(0):
        raise ValueError("a duration must be longer than zero, e.g. 30s or 15m")
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
OptionalDuration = Annotated[timedelta | None, BeforeValidator(_duration)]


def default_served_models() -> list[str]:
    return list(project_models()) or ["attrition"]


class ServingSettings(BaseModel):
    """How the API serves models."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    models: list[str] = Field(default_factory=default_served_models)
    """Registered model names to serve; each is loaded from its ``@champion`` alias. Default:
    the models of ``[tool.shipyard.models]`` in the working directory's ``pyproject.toml``
    (a project made by ``shipyard init``), else ``attrition``."""

    default_model: str | None = None
    """Model answered by the short ``POST /predict`` path (default: the first of ``models``)."""

    alias: str = "champion"
    """Registry alias that names the version to serve."""

    max_body_bytes: int = Field(default=1_048_576, gt=0)
    """Largest request body accepted, in bytes; larger bodies get 413 before being read."""

    max_rows_per_request: int = Field(default=1_000, gt=0)
    """Most records one prediction request may carry; more get 413."""

    predict_threads: int = Field(default=2, ge=1)
    """Threads that run predictions off the event loop (the most predictions at once)."""

    native_threads: int = Field(default=1, ge=1)
    """OpenMP / BLAS / onnxruntime threads per prediction thread (1 avoids spin-waiting
    thread teams)."""

    follow_every: OptionalDuration = timedelta(seconds=30)
    """How often each server looks for a serving alias that moved, and then loads, checks
    and swaps in the new version without a restart (e.g. ``30s``); empty: never (``POST
    /v1/models/{name}/reload`` still does it)."""

    batching: bool = True
    """Let concurrent requests for the same model version share one predict call."""

    batch_max_rows: int = Field(default=256, gt=0)
    """Most records in one shared predict call; a request with at least this many records
    is predicted on its own."""

    batch_max_wait_ms: float = Field(default=0.0, ge=0.0, le=1_000.0)
    """How long a batch smaller than ``batch_max_rows`` waits for more requests. 0: none;
    batches still grow with load, from the requests that arrive while a predict runs."""

    onnx: Literal["auto", "off"] = "auto"
    """``auto``: serve a scikit-learn pipeline through ONNX Runtime when the ``onnx`` extra is
    installed, it converts, and it gives the same answers on the reference data."""

    def served_default(self) -> str:
        return self.default_model or self.models[0]


class LogWriterSettings(BaseModel):
    """The prediction log writer (group commit)."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    max_batch_rows: int = Field(default=2_000, gt=0)
    """Most rows committed in one transaction; waiting requests beyond it go in the next."""

    max_pending_rows: int = Field(default=50_000, gt=0)
    """Rows allowed to wait for a commit; past it requests get 503 instead of queueing."""

    commit_timeout_seconds: float = Field(default=10.0, gt=0)
    """Longest a request waits for its rows to commit before answering 503."""

    on_database_down: Literal["fail", "spool"] = "fail"
    """When the database cannot take rows: ``fail`` answers 503 and acknowledges nothing;
    ``spool`` appends the rows to a local journal (fsync'd before the answer) and replays
    them, in order and exactly once, when the database is back."""

    spool_dir: Path | None = None
    """Folder of the spool journals; it must outlive the process (a volume in a container).
    Default: ``<data_dir>/spool``."""

    max_spool_bytes: int = Field(default=1_073_741_824, gt=0)
    """Largest the spool journal may grow (``spool`` policy); past it requests get 503."""

    retry_seconds: float = Field(default=1.0, gt=0)
    """How often a spooling writer checks whether the database is back."""


class RetentionSettings(BaseModel):
    """How long the prediction log keeps its rows."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    max_age: OptionalDuration = None
    """Delete predictions older than this (e.g. ``90d``), on a schedule in the server.
    Default: keep everything (``shipyard db prune`` still works by hand)."""

    every: Duration = timedelta(hours=1)
    """How often the server prunes when ``max_age`` is set (e.g. ``1h``)."""


_RATE = re.compile(r"^\s*\d+\s*/\s*(second|minute|hour|day)s?\s*$")


def _rate(value: object) -> object:
    """``"100/second"`` as written; empty means no limit."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _RATE.match(value):
        raise ValueError(f"{value!r} is not a rate; write a count per unit: 100/second, 5000/hour")
    return value.strip()


Rate = Annotated[str | None, BeforeValidator(_rate)]


class AuthSettings(BaseModel):
    """Who may call the API: API keys (``shipyard keys``), scopes and tenancy."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    enabled: bool = True
    """Require credentials on every route but the probes. Only the ``dev`` profile may turn
    this off; every request then acts as an admin, and ``/health`` says so."""

    key_cache_seconds: float = Field(default=1.0, gt=0, le=60)
    """How long a process trusts a key it has checked: a revoked key stops working in every
    worker within this time."""

    public_metrics: bool = False
    """Serve ``/metrics`` without credentials (for a scraper inside a private network)."""

    jwt_secret: SecretStr | None = None
    """Key that signs users' access tokens (HS256), at least 32 characters. Default in
    ``dev``: a random one kept in ``<data_dir>/jwt_secret``; ``prod`` requires it set."""

    token_minutes: int = Field(default=30, ge=1, le=1440)
    """How long an access token from ``POST /v1/auth/token`` is valid."""

    jwt_issuer: str = "shipyard"
    """``iss`` of the tokens shipyard signs, and the only one it accepts."""

    jwt_audience: str = "shipyard-api"
    """``aud`` of the tokens shipyard signs, and the only one it accepts."""

    failed_logins: Rate = "5/minute"
    """Failed logins allowed per user name and per client address before 429."""


class RateLimitSettings(BaseModel):
    """How many requests each credential may make (the ``limits`` library)."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    per_key: Rate = "100/second"
    """Requests one API key may make, e.g. ``100/second`` or ``5000/hour`` (a sliding
    window); empty: no limit. Past it: 429 with ``Retry-After``."""

    storage_uri: str = "memory://"
    """Where the counts live: ``memory://`` (each process counts alone) or
    ``redis://host:6379`` (shared by every worker and replica)."""

    on_storage_down: Literal["allow", "deny"] = "allow"
    """When Redis cannot be reached: ``allow`` serves without limits (and says so in
    ``/health``); ``deny`` answers 503 to every credentialed request."""


class MonitoringSettings(BaseModel):
    """Monitoring runs: drift, data quality and performance of each served model."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    every: OptionalDuration = timedelta(minutes=15)
    """How often the server runs monitoring for each model it serves (e.g. ``15m``); empty:
    never (``shipyard monitor run`` still works). With several workers or replicas, one
    run per model and period happens: the first to claim it does it."""

    window: Duration = timedelta(hours=24)
    """How far back a scheduled run looks in the prediction log (e.g. ``24h``)."""

    max_rows: int = Field(default=1_000_000, ge=1)
    """A run reads at most the latest this many predictions of its window. It holds them in
    memory (~500 MB per million rows of 30 fields, for a few seconds) and takes ~6 s per
    million here; drift statistics over a million rows are as good as over more."""

    min_rows: int = Field(default=100, ge=1)
    """A scheduled run with fewer logged predictions in its window is skipped: drift
    statistics on a handful of rows mean little."""

    reports_dir: Path | None = None
    """Where JSON and HTML reports are written. Default: ``<data_dir>/reports``."""


def _url_list(value: object) -> object:
    """Several URLs in one variable: comma or whitespace separated (or a JSON list)."""
    if isinstance(value, str):
        return [part for part in re.split(r"[,\s]+", value) if part]
    return value


class AlertSettings(BaseModel):
    """Alert rules, checked on a schedule in the server, and where notifications go."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    urls: Annotated[list[SecretStr], NoDecode, BeforeValidator(_url_list)] = []
    """Where alerts go, as apprise URLs: a Discord or Slack webhook URL as you copied it,
    ``json://host/path`` for any JSON webhook, ``mailtos://user:password@host?to=...`` for
    e-mail, and ~100 more services. Empty: alerts are logged only."""

    every: OptionalDuration = timedelta(minutes=1)
    """How often the rules are checked (e.g. ``1m``); empty: never. Request rules look at
    the requests answered since the previous check."""

    cooldown: Duration = timedelta(hours=1)
    """While a rule keeps firing, it is notified again after this long, not at every check."""

    min_requests: int = Field(default=20, ge=1)
    """Request rules stay quiet over fewer requests than this (one 500 out of three is no
    incident)."""

    error_rate: float | None = Field(default=0.01, ge=0, le=1)
    """Critical when more than this share of requests end in a 5xx."""

    p95_latency_seconds: float | None = Field(default=2.0, gt=0)
    """Warning when the 95th percentile of request duration is above this."""

    invalid_input_rate: float | None = Field(default=0.05, ge=0, le=1)
    """Warning when more than this share of requests get a 422 (callers send bad records)."""

    class_share_max: float | None = Field(default=0.4, ge=0, le=1)
    """Warning when the positive class's share of the predictions in ``class_share_window``
    is above this (the seeds alert on more than 40 % positive)."""

    class_share_min: float | None = Field(default=None, ge=0, le=1)
    """Warning when the positive class's share is below this."""

    class_share_window: Duration = timedelta(hours=1)
    """How far back the class share is counted."""

    drift_share: float | None = Field(default=0.5, ge=0, le=1)
    """Warning when the latest monitoring run found at least this share of columns drifted."""

    performance_drop: float | None = Field(default=0.05, ge=0, le=1)
    """Critical when ROC AUC (realised, else estimated) fell more than this below the
    version's holdout ROC AUC."""


def _empty_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class RetrainSettings(BaseModel):
    """Retraining: when the server retrains a model, on what, and when a candidate wins."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    on: Literal["drift", "always", "never"] = "drift"
    """When a scheduled monitoring run is followed by a retrain of its model: ``drift`` when
    the run found dataset drift or a ROC AUC drop beyond ``alerts.performance_drop``;
    ``always`` after every run; ``never`` (``shipyard retrain`` still works)."""

    cooldown: Duration = timedelta(hours=6)
    """At most one scheduled retrain of a model in this long (a drifted model would
    otherwise be retrained at every monitoring run)."""

    feedback_window: Duration = timedelta(days=30)
    """How far back labelled feedback is read from the prediction log."""

    min_labelled: int = Field(default=100, ge=10)
    """A retrain needs at least this many logged predictions with a feedback label."""

    min_new_labels: int = Field(default=50, ge=0)
    """A scheduled retrain also needs this many labels sent since the model's last retrain:
    a drifted model is not retrained again and again on what the last retrain saw."""

    holdout_share: float = Field(default=0.3, gt=0, lt=1)
    """Share of the labelled feedback held out to compare candidate and champion."""

    margin: float = Field(default=0.01, ge=0, le=1)
    """The candidate is promoted only if its ROC AUC (accuracy for more than two classes)
    on the holdout beats the champion's by at least this much..."""

    significance: Annotated[float | None, BeforeValidator(_empty_is_none)] = Field(
        default=0.05, gt=0, lt=1
    )
    """...and the paired-bootstrap p-value of the difference is below this. Empty: no test."""

    bootstrap_rounds: int = Field(default=2_000, ge=100, le=100_000)
    """Rounds of the paired bootstrap."""

    promote: bool = True
    """Move ``@champion`` to a winning candidate. False: winners stay ``@challenger`` until
    someone runs ``shipyard models promote``."""

    seed: int = 42
    """Seed of the holdout split and the bootstrap."""


class PrefectSettings(BaseModel):
    """Monitor → retrain → promote as Prefect 3 deployments (the ``prefect`` extra), for
    teams that run a Prefect server; the in-process schedule needs none of this."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    every: Duration = timedelta(hours=1)
    """How often each model's deployment runs (``shipyard flows serve``)."""

    window: Duration = timedelta(hours=24)
    """How far back each run's monitoring looks in the prediction log."""

    retries: int = Field(default=2, ge=0, le=10)
    """Times a failed task (a database or registry that was briefly down) is tried again."""

    retry_delay: Duration = timedelta(seconds=30)
    """Pause before each new try."""


class DashboardSettings(BaseModel):
    """``shipyard dashboard`` (the ``dashboard`` extra): a Streamlit app that reads and steers
    a running server through its API, never its database."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    api_url: str = "http://127.0.0.1:8000"
    """The server the dashboard talks to."""

    api_key: SecretStr | None = None
    """Key it sends (``X-API-Key``): a ``read`` key shows everything; an ``admin`` key also
    promotes, rolls back and runs monitoring. Not needed when the server has auth off."""

    port: int = Field(default=8501, ge=1, le=65535)
    """Port the dashboard listens on."""


class ServerSettings(BaseModel):
    """The HTTP server started by ``shipyard serve`` and ``shipyard demo``."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    host: str = "127.0.0.1"
    """Interface to bind. Use 0.0.0.0 inside a container."""

    port: int = Field(default=8000, ge=0, le=65535)
    """TCP port (``PORT``, as Heroku, Render and Spaces set it, is honoured too)."""

    workers: int = Field(default=1, ge=1)
    """Worker processes (uvicorn's supervisor)."""

    access_log: bool = True
    """Log one line per request: request id, method, path, route, status, duration, and for
    predictions the model, version, label and probability."""

    tracing: bool = False
    """Export an OpenTelemetry trace of each request over OTLP/HTTP to
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` (needs the ``otel`` extra)."""

    drain_seconds: float = Field(default=5.0, ge=0)
    """On SIGTERM, answer /readyz with 503 for this long (still serving) before stopping."""

    cors_origins: list[str] = []
    """Browser origins allowed to call the API (CORS), e.g. ``["https://app.example.com"]``;
    empty: none. Cookies are never allowed (keys travel in headers), so ``*`` cannot be
    combined with credentials."""


class Settings(BaseSettings):
    """Everything shipyard reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="SHIPYARD_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        use_attribute_docstrings=True,
    )

    env: Profile = Field(
        default="dev", validation_alias=AliasChoices("SHIPYARD_ENV", "SHIPYARD_PROFILE")
    )
    """Profile: ``dev`` (readable logs, docs open) or ``prod`` (stricter defaults, and unsafe
    settings refused at start-up). ``SHIPYARD_PROFILE`` is honoured too."""

    data_dir: Path = Path(".shipyard")
    """Folder of the embedded default: the SQLite prediction log, the MLflow store."""

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SHIPYARD_DATABASE_URL", "DATABASE_URL")
    )
    """SQLAlchemy URL of the prediction log (``DATABASE_URL`` is honoured too).
    Default: ``sqlite:///<data_dir>/shipyard.db``."""

    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SHIPYARD_MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_URI"),
    )
    """MLflow tracking and registry URI (``MLFLOW_TRACKING_URI`` is honoured too).
    Default: ``sqlite:///<data_dir>/mlflow.db`` with artifacts in ``<data_dir>/mlartifacts``."""

    docs_enabled: bool | None = None
    """Serve ``/docs`` and ``/openapi.json``. Default: on in ``dev``, off in ``prod``."""

    database_timeout_seconds: int = Field(default=5, ge=2)
    """Longest to wait for a database connection or a lock before the database counts as
    unavailable (PostgreSQL ``connect_timeout`` and ``lock_timeout``, SQLite ``busy_timeout``)."""

    log_level: str = "INFO"
    """Level of shipyard's own log lines."""

    log_format: Literal["auto", "json", "console"] = "auto"
    """``json``: one JSON object per line; ``console``: readable lines; ``auto``: JSON in
    ``prod``, readable in ``dev``."""

    # A factory: the default models depend on the working directory when settings are read.
    serving: ServingSettings = Field(default_factory=ServingSettings)
    auth: AuthSettings = AuthSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    log_writer: LogWriterSettings = LogWriterSettings()
    server: ServerSettings = ServerSettings()
    retention: RetentionSettings = RetentionSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    alerts: AlertSettings = AlertSettings()
    retrain: RetrainSettings = RetrainSettings()
    prefect: PrefectSettings = PrefectSettings()
    dashboard: DashboardSettings = DashboardSettings()

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env != "prod":
            return self
        if not self.auth.enabled:
            raise ValueError(
                "SHIPYARD_AUTH__ENABLED=false is refused in the prod profile: anyone could "
                "predict and read every logged prediction. Remove it and mint keys with "
                "`shipyard keys create` (or use SHIPYARD_ENV=dev on a machine of your own)"
            )
        secret = self.auth.jwt_secret.get_secret_value() if self.auth.jwt_secret else ""
        if len(secret) < MIN_JWT_SECRET or secret in KNOWN_SECRETS:
            raise ValueError(
                "SHIPYARD_AUTH__JWT_SECRET must be set in the prod profile to a random value of "
                f"at least {MIN_JWT_SECRET} characters, not a default or example one: "
                "generate it with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_scheme(cls, value: str | None) -> str | None:
        # Heroku and Render hand out postgres:// URLs; SQLAlchemy wants a driver name.
        if value and value.startswith(("postgres://", "postgresql://")):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir() / 'shipyard.db'}"

    def resolved_tracking_uri(self) -> str:
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{self.resolved_data_dir() / 'mlflow.db'}"

    def spool_dir(self) -> Path:
        configured = self.log_writer.spool_dir
        if configured is not None:
            return configured.expanduser().resolve()
        return self.resolved_data_dir() / "spool"

    def artifact_root(self) -> Path | None:
        """Where a new experiment keeps its artifacts: beside a local store; a tracking
        server decides for itself (its artifact store, which every client reaches), so none
        is imposed on it: a path of the trainer's disk would be unreachable elsewhere."""
        uri = self.resolved_tracking_uri()
        if uri.partition(":")[0] in REMOTE_TRACKING_SCHEMES:
            return None
        if uri.startswith("sqlite:///"):
            return Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts"
        return self.resolved_data_dir() / "mlartifacts"

    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    def reports_dir(self) -> Path:
        configured = self.monitoring.reports_dir
        return configured if configured is not None else self.resolved_data_dir() / "reports"

    def resolved_log_format(self) -> Literal["json", "console"]:
        if self.log_format != "auto":
            return self.log_format
        return "json" if self.env == "prod" else "console"

    def docs_are_enabled(self) -> bool:
        return self.docs_enabled if self.docs_enabled is not None else self.env == "dev"


def load_settings(**overrides: object) -> Settings:
    """Read settings the way entry points do: ``.env``, then ``.env.<profile>``, then env vars.

    The profile comes from ``SHIPYARD_ENV`` or ``SHIPYARD_PROFILE`` (or the ``overrides``), so
    a ``.env.prod`` file only applies when the ``prod`` profile is chosen. Settings that do not
    validate raise :class:`InvalidSettings`, which names each variable to fix.
    """
    profile = str(
        overrides.get("env")
        or os.environ.get("SHIPYARD_ENV")
        or os.environ.get("SHIPYARD_PROFILE")
        or "dev"
    )
    env_files = (".env", f".env.{profile}")
    try:
        return Settings(_env_file=env_files, **overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise InvalidSettings(_problems(error)) from None


class _DashboardEnvironment(BaseSettings):
    """Only ``SHIPYARD_DASHBOARD__*``: the dashboard runs apart from the server and must not
    need the server's settings (a prod profile's JWT secret, its database)."""

    model_config = SettingsConfigDict(
        env_prefix="SHIPYARD_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    dashboard: DashboardSettings = DashboardSettings()


def load_dashboard_settings() -> DashboardSettings:
    """The dashboard's settings, from ``.env`` and the environment."""
    try:
        return _DashboardEnvironment().dashboard
    except ValidationError as error:
        raise InvalidSettings(_problems(error)) from None


def _problems(error: ValidationError) -> list[str]:
    """One line per problem, naming the variable to fix when there is one."""
    lines = []
    for problem in error.errors():
        message = str(problem["msg"]).removeprefix("Value error, ")
        where = [str(part) for part in problem["loc"]]
        if where:
            variable = "__".join(part.upper() for part in where)
            if not variable.startswith("SHIPYARD_"):  # an alias (SHIPYARD_ENV) is already whole
                variable = "SHIPYARD_" + variable
            message = f"{variable}: {message}"
        lines.append(message)
    return lines


__all__ = [
    "AuthSettings",
    "DashboardSettings",
    "LogWriterSettings",
    "PrefectSettings",
    "Profile",
    "RateLimitSettings",
    "RetentionSettings",
    "RetrainSettings",
    "ServerSettings",
    "ServingSettings",
    "Settings",
    "load_dashboard_settings",
    "load_settings",
    "parse_duration",
]


def _env_name(prefix: str, name: str, field_info: object) -> str:
    alias = getattr(field_info, "validation_alias", None)
    choices = getattr(alias, "choices", None)
    if choices:
        return " / ".join(f"`{choice}`" for choice in choices)
    return f"`{prefix}{name.upper()}`"


def duration_text(value: timedelta) -> str:
    """A duration as :func:`parse_duration` reads it (``900 s`` -> ``15m``)."""
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _default_text(field_info: object) -> str:
    if getattr(field_info, "default_factory", None) is not None:
        return "—"  # computed when the settings are read: the meaning says how
    default = getattr(field_info, "default", None)
    if isinstance(default, timedelta):
        return f"`{duration_text(default)}`"
    if isinstance(default, BaseModel) or default is None:
        return "—" if default is None else ""
    return f"`{default}`"


def render_settings_reference() -> str:
    """The Markdown tables of ``docs/configuration.md``, from the field docstrings."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    groups: list[tuple[str, type[BaseModel]]] = []
    for name, info in Settings.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            groups.append((name, annotation))
            continue
        doc = " ".join((info.description or "").split()).replace("``", "`")
        lines.append(f"| {_env_name('SHIPYARD_', name, info)} | {_default_text(info)} | {doc} |")
    for group, model in groups:
        lines += ["", f"### `{group}`", "", (model.__doc__ or "").strip(), ""]
        lines += ["| variable | default | meaning |", "|---|---|---|"]
        for name, info in model.model_fields.items():
            doc = " ".join((info.description or "").split()).replace("``", "`")
            env = _env_name(f"SHIPYARD_{group.upper()}__", name, info)
            lines.append(f"| {env} | {_default_text(info)} | {doc} |")
    return "\n".join(lines) + "\n"
