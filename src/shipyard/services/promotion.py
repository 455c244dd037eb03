"""Moving a model's alias: promote a version, roll back, and remember every move.

A version is promoted only if it loads as a server would load it (skops allow-list,
signature, warm-up on its own example) and takes every record the current champion takes:
servers would refuse it otherwise (see :mod:`shipyard.services.hot_swap`), so the alias is
never moved onto a version no server will serve. Each move is kept in SQL
(``alias_moves``), which is what ``rollback`` reads to find the version to return to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shipyard.config import ServingSettings
from shipyard.db import Database
from shipyard.db import lifecycle as history
from shipyard.domain.lifecycle import CHALLENGER, AliasMove, MoveKind, rollback_target
from shipyard.errors import Conflict, ModelVersionNotFound
from shipyard.registry import ModelRegistry
from shipyard.services.loading import load_served_model
from shipyard.serving.models import ServedModel


class NoRollbackTarget(Conflict):
    def __init__(self, name: str, alias: str, current: str) -> None:
        super().__init__(
            f"no move of {name}@{alias} onto v{current} is recorded, so the version before it "
            f"is unknown; name it: shipyard models rollback {name} --to VERSION"
        )


class AlreadyThere(Conflict):
    def __init__(self, name: str, alias: str, version: str) -> None:
        super().__init__(f"{name}@{alias} already names v{version}")


class NarrowerVersion(Conflict):
    def __init__(self, name: str, version: str, current: str) -> None:
        super().__init__(
            f"{name} v{version} does not take every record v{current} takes (a field was "
            "removed, renamed or retyped): servers would refuse it, and clients get 422"
        )


def alias_version(registry: ModelRegistry, name: str, alias: str) -> str | None:
    """The version an alias names, or None when it names none."""
    try:
        return registry.resolve(name, alias).version
    except ModelVersionNotFound:
        return None


def record_move(
    registry: ModelRegistry,
    database: Database | None,
    name: str,
    alias: str,
    version: str,
    *,
    kind: MoveKind,
    actor: str,
    reason: str,
) -> AliasMove:
    """Point ``alias`` at ``version`` and keep the move in the history."""
    before = alias_version(registry, name, alias)
    registry.set_alias(name, alias, version)
    move = AliasMove(name, alias, before, version, kind, actor, reason, datetime.now(UTC))
    if database is not None:
        with database.session_scope() as session:
            history.save_move(session, move)
    return move


@dataclass(frozen=True)
class Promotion:
    move: AliasMove
    served: ServedModel
    """The version, loaded and warmed up: a server that promoted it serves it at once."""


def check_servable(
    registry: ModelRegistry, serving: ServingSettings, name: str, version: str
) -> ServedModel:
    """Load ``version`` as a server would and check it takes what the champion takes."""
    candidate = load_served_model(registry, name, serving, version)
    current = alias_version(registry, name, serving.alias)
    if current is None or current == version:
        return candidate
    schema = registry.input_schema(name, current)
    if not schema.is_compatible_with(candidate.input_schema):
        raise NarrowerVersion(name, version, current)
    return candidate


def promote(
    registry: ModelRegistry,
    database: Database,
    serving: ServingSettings,
    name: str,
    version: str,
    *,
    actor: str,
    reason: str = "",
    kind: MoveKind = MoveKind.PROMOTE,
) -> Promotion:
    """Make ``version`` the served one (the serving alias), after checking it."""
    alias = serving.alias
    registry.resolve(name, version)  # 404 for a version that does not exist
    if alias_version(registry, name, alias) == version:
        raise AlreadyThere(name, alias, version)
    served = check_servable(registry, serving, name, version)
    move = record_move(
        registry, database, name, alias, version, kind=kind, actor=actor, reason=reason
    )
    if alias_version(registry, name, CHALLENGER) == version:  # it challenges no one now
        registry.delete_alias(name, CHALLENGER)
    return Promotion(move, served)


def rollback(
    registry: ModelRegistry,
    database: Database,
    serving: ServingSettings,
    name: str,
    *,
    actor: str,
    to: str | None = None,
    reason: str = "",
) -> Promotion:
    """Move the serving alias back: to ``to``, or to the version it named before the
    latest move forward onto the current one."""
    alias = serving.alias
    current = alias_version(registry, name, alias)
    if current is None:
        raise ModelVersionNotFound(name, alias)
    if to is None:
        with database.session_scope() as session:
            moves = history.recent_moves(session, name, alias)
        to = rollback_target(moves, current)
        if to is None:
            raise NoRollbackTarget(name, alias, current)
    registry.resolve(name, to)
    if to == current:
        raise AlreadyThere(name, alias, to)
    served = check_servable(registry, serving, name, to)
    move = record_move(
        registry, database, name, alias, to, kind=MoveKind.ROLLBACK, actor=actor, reason=reason
    )
    return Promotion(move, served)


def alias_history(database: Database, name: str, limit: int = 100) -> list[AliasMove]:
    with database.session_scope() as session:
        return history.recent_moves(session, name, limit=limit)
