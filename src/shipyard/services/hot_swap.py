"""Serving a new version without a restart.

Each server watches the serving alias of its models in the registry. When the alias points
at another version, the server loads that version in the background, warms it up (a version
that cannot score its own input example, or answers NaN, fails there), checks that every
record valid for the version being served is valid for it too, and only then swaps it in: one
reference assignment, so a request reads the old version or the new one, whole, and finishes
on the one it started with. A version that fails is never served; the old one stays, and an
alert says why (once per refused version). A registry that cannot be reached changes
nothing: the server keeps serving, and tries again later, less and less often.

The ``@challenger`` alias is followed the same way, for shadow scoring
(:mod:`shipyard.services.shadowing`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shipyard.domain.alerts import Finding, Severity
from shipyard.domain.lifecycle import CHALLENGER
from shipyard.errors import ModelVersionNotFound, RegistryUnavailable, ShipyardError
from shipyard.services.loading import load_served_model
from shipyard.services.runtime import Runtime
from shipyard.serving.models import ServedModel

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=5)


@dataclass(frozen=True)
class SwapOutcome:
    """What one look at the registry did for one model."""

    model: str
    served_version: str | None
    target_version: str
    swapped: bool
    reason: str


def admission_problem(served: ServedModel | None, candidate: ServedModel) -> str | None:
    """Why ``candidate`` may not replace ``served`` (None: it may)."""
    if served is None or served.input_schema.is_compatible_with(candidate.input_schema):
        return None
    return (
        f"v{candidate.version} does not take every record v{served.version} takes "
        "(a field was removed, renamed or retyped); clients would start getting 422"
    )


class VersionWatcher:
    """Follows the serving alias of each model of one server process."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._refused: dict[str, str] = {}  # model -> the version already refused
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, name: str) -> threading.RLock:
        """One model's look-load-swap at a time: a slow look that resolved the alias
        before a promotion cannot swap its older version in after the promoted one."""
        with self._locks_guard:
            return self._locks.setdefault(name, threading.RLock())

    def check(self, name: str) -> SwapOutcome:
        """Look up the alias once; load, check and swap if it moved. Registry errors are
        raised (the caller backs off); a bad version is refused and reported."""
        with self._lock(name):
            return self._check(name)

    def _check(self, name: str) -> SwapOutcome:
        runtime = self.runtime
        alias = runtime.settings.serving.alias
        served = runtime.models.loaded().get(name)
        target = runtime.registry.resolve(name, alias)
        current = served.version if served else None
        if target.version == current:
            return SwapOutcome(name, current, target.version, False, f"@{alias} is served")
        if self._refused.get(name) == target.version:
            return SwapOutcome(name, current, target.version, False, "refused before")
        try:
            candidate = load_served_model(
                runtime.registry, name, runtime.settings.serving, target.version
            )
            problem = admission_problem(served, candidate)
        except RegistryUnavailable:
            raise
        except ShipyardError as error:
            problem = error.detail
        if problem is not None:
            return self._refuse(name, current, target.version, problem)
        self._adopt(candidate)
        return SwapOutcome(name, candidate.version, target.version, True, "swapped")

    def follow(self, name: str) -> SwapOutcome:
        """Both aliases of a model: the served one, then ``@challenger``."""
        outcome = self.check(name)
        self.check_challenger(name)
        return outcome

    def check_challenger(self, name: str) -> str:
        """Follow the model's ``@challenger`` alias: load the version it names for shadow
        scoring, or stop shadowing when it names none (or the served version)."""
        with self._lock(name):
            return self._check_challenger(name)

    def _check_challenger(self, name: str) -> str:
        runtime = self.runtime
        shadows = runtime.shadows
        current = shadows.challenger(name)
        served = runtime.models.loaded().get(name)
        try:
            target = runtime.registry.resolve(name, CHALLENGER).version
        except ModelVersionNotFound:
            target = None
        if target is None or (served is not None and target == served.version):
            if current is not None:
                shadows.set_challenger(name, None)
                logger.warning("%s: v%s is no longer shadowed", name, current.version)
            return "no challenger"
        if current is not None and current.version == target:
            return f"v{target} is shadowed"
        try:
            candidate = load_served_model(runtime.registry, name, runtime.settings.serving, target)
        except RegistryUnavailable:
            raise
        except ShipyardError as error:
            logger.error("%s: challenger v%s not shadowed: %s", name, target, error.detail)
            return f"v{target} not shadowed: {error.detail}"
        problem = admission_problem(served, candidate)
        if served is not None and candidate.predictor.classes != served.predictor.classes:
            problem = (
                f"it answers {list(candidate.predictor.classes)}, the served version "
                f"{list(served.predictor.classes)}: their answers do not compare"
            )
        if problem is not None:
            logger.error("%s: challenger not shadowed: %s", name, problem)
            return f"v{target} not shadowed: {problem}"
        shadows.set_challenger(name, candidate)
        logger.warning("%s: v%s (@%s) is shadowed", name, target, CHALLENGER)
        return f"v{target} is shadowed"

    def adopt(self, candidate: ServedModel) -> None:
        """Serve ``candidate`` (loaded, warmed up and checked) from now on."""
        with self._lock(candidate.name):
            self._adopt(candidate)

    def _adopt(self, candidate: ServedModel) -> None:
        runtime, name = self.runtime, candidate.name
        served = runtime.models.loaded().get(name)
        current = served.version if served else None
        if current == candidate.version:
            return
        runtime.models.put(candidate)
        runtime.load_errors.pop(name, None)
        runtime.metrics.model_loaded(name, candidate.version, replaced=current)
        self._refused.pop(name, None)
        logger.warning("%s: now serving v%s (was v%s)", name, candidate.version, current)
        self._tell(name, firing=False, summary=f"{name} v{candidate.version} is served")

    def _refuse(self, name: str, current: str | None, version: str, problem: str) -> SwapOutcome:
        self._refused[name] = version
        self.runtime.metrics.model_failed(name, version)
        served = f"v{current} stays served" if current else "nothing is served"
        summary = f"{name} v{version} was not served: {problem}; {served}"
        logger.error("%s", summary)
        self._tell(name, firing=True, summary=summary)
        return SwapOutcome(name, current, version, False, problem)

    def _tell(self, name: str, *, firing: bool, summary: str) -> None:
        tell = self.runtime.on_findings
        if tell is not None:
            finding = Finding("version_refused", name, Severity.CRITICAL, firing, summary)
            try:
                tell([finding], datetime.now(UTC))
            except Exception:  # the swap (or refusal) stands whatever the alert does
                logger.exception("alerting on a version change failed")


async def follow_registry(watcher: VersionWatcher, every: timedelta) -> None:
    """The in-process schedule: look at every model's alias, sleep, repeat; back off
    (doubling, up to five minutes) while the registry cannot be reached."""
    pause = every
    while True:
        await asyncio.sleep(pause.total_seconds())
        try:
            for name in watcher.runtime.models.names:
                await asyncio.to_thread(watcher.follow, name)
            pause = every
        except RegistryUnavailable as error:
            pause = min(pause * 2, max(MAX_BACKOFF, every))
            logger.warning("%s; still serving, looking again in %s", error.detail, pause)
        except ShipyardError as error:  # e.g. the alias was removed: keep what is served
            logger.warning("following the registry: %s; still serving", error.detail)
            pause = every
        except Exception:  # a schedule boundary: log it and look again next time
            logger.exception("following the registry failed")
            pause = every
