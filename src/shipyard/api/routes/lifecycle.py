"""The life of a served model: promote, roll back, retrain, and what happened before."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request

from shipyard.api.deps import RuntimeDep
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.api.security import AdminCaller, ModelReader, ReadCaller
from shipyard.config import Duration
from shipyard.domain.auth import Principal
from shipyard.domain.lifecycle import AliasMove
from shipyard.errors import ModelNotFound, ShipyardError
from shipyard.schemas.lifecycle import (
    AliasMovePage,
    AliasMoveRead,
    ComparisonRead,
    ModelCard,
    ModelCardPage,
    PromoteRequest,
    RetrainRequest,
    RollbackRequest,
)
from shipyard.services import promotion, shadow_comparison
from shipyard.services.hot_swap import VersionWatcher
from shipyard.services.retraining import recent_cards, retrain_and_tell
from shipyard.services.runtime import Runtime

router = APIRouter(prefix="/v1/models", tags=["lifecycle"])
logger = logging.getLogger(__name__)

Limit = Annotated[int, Query(ge=1, le=500, description="Most items, newest first.")]


def _served(runtime: Runtime, name: str) -> None:
    if name not in runtime.models.names:
        raise ModelNotFound(name)


def _move_read(move: AliasMove) -> AliasMoveRead:
    fields = dataclasses.asdict(move)
    return AliasMoveRead(**{**fields, "kind": move.kind.value})


def _watcher(request: Request) -> VersionWatcher:
    watcher: VersionWatcher = request.app.state.version_watcher
    return watcher


def _actor(caller: Principal) -> str:
    return caller.via


@router.post("/{name}/promote", response_model=AliasMoveRead, responses=ERROR_RESPONSES)
async def promote_version(
    name: str, body: PromoteRequest, request: Request, runtime: RuntimeDep, caller: AdminCaller
) -> AliasMoveRead:
    """Serve ``version``: it is loaded and checked as a server would, then the serving alias
    moves to it and this server swaps it in before answering."""
    _served(runtime, name)
    promoted = await asyncio.to_thread(
        promotion.promote,
        runtime.registry,
        runtime.database,
        runtime.settings.serving,
        name,
        body.version,
        actor=_actor(caller),
        reason=body.reason,
    )
    # This server serves it before answering (it is loaded already); the others follow
    # the alias on their own schedule.
    await asyncio.to_thread(_watcher(request).adopt, promoted.served)
    return _move_read(promoted.move)


@router.post("/{name}/rollback", response_model=AliasMoveRead, responses=ERROR_RESPONSES)
async def rollback_version(
    name: str, body: RollbackRequest, request: Request, runtime: RuntimeDep, caller: AdminCaller
) -> AliasMoveRead:
    """Move the serving alias back to the version it named before (or to ``to``)."""
    _served(runtime, name)
    rolled = await asyncio.to_thread(
        promotion.rollback,
        runtime.registry,
        runtime.database,
        runtime.settings.serving,
        name,
        actor=_actor(caller),
        to=body.to,
        reason=body.reason,
    )
    await asyncio.to_thread(_watcher(request).adopt, rolled.served)
    return _move_read(rolled.move)


@router.post(
    "/{name}/retrain", response_model=ModelCard, status_code=201, responses=ERROR_RESPONSES
)
async def retrain_model(
    name: str, body: RetrainRequest, request: Request, runtime: RuntimeDep, caller: AdminCaller
) -> ModelCard:
    """Retrain now on the training data plus the labelled feedback; register the candidate
    as ``@challenger`` and promote it if it wins. Takes seconds; answers with its card."""
    _served(runtime, name)
    card = await asyncio.to_thread(
        retrain_and_tell,
        runtime.database,
        runtime.registry,
        runtime.settings,
        request.app.state.notifier,
        name,
        trigger=f"a request of {caller.via}",
        actor=_actor(caller),
        promote=body.promote,
    )
    try:  # served, or shadowed, here at once; the retrain stands whatever happens here
        await asyncio.to_thread(_watcher(request).follow, name)
    except ShipyardError as error:
        logger.warning("%s: following the retrain's aliases failed: %s", name, error.detail)
    return card


@router.get("/{name}/comparison", response_model=ComparisonRead, responses=ERROR_RESPONSES)
async def compare_with_challenger(
    name: str,
    runtime: RuntimeDep,
    _caller: ReadCaller,
    window: Annotated[
        Duration | None,
        Query(description="How far back to compare, e.g. 24h (default: monitoring.window)."),
    ] = None,
    challenger: Annotated[
        str | None,
        Query(pattern=r"^[0-9]+$", description="A version (default: the current @challenger)."),
    ] = None,
) -> ComparisonRead:
    """The served version against its ``@challenger`` on the requests the challenger
    shadowed: how often they agree and, on those with feedback, the scores of each."""
    _served(runtime, name)
    return await asyncio.to_thread(
        shadow_comparison.compare,
        runtime,
        name,
        window=window or runtime.settings.monitoring.window,
        challenger=challenger,
    )


@router.get("/{name}/history", response_model=AliasMovePage, responses=ERROR_RESPONSES)
async def alias_history(
    name: str, runtime: RuntimeDep, _caller: ModelReader, limit: Limit = 100
) -> AliasMovePage:
    """Every move of the model's aliases made through shipyard: promotions, retrains,
    rollbacks, with who and why."""
    _served(runtime, name)
    moves = await asyncio.to_thread(promotion.alias_history, runtime.database, name, limit)
    return AliasMovePage(items=[_move_read(move) for move in moves])


@router.get("/{name}/cards", response_model=ModelCardPage, responses=ERROR_RESPONSES)
async def model_cards(
    name: str, runtime: RuntimeDep, _caller: ModelReader, limit: Limit = 20
) -> ModelCardPage:
    """The model cards of the model's retrained versions."""
    _served(runtime, name)
    cards = await asyncio.to_thread(recent_cards, runtime.database, name, limit)
    return ModelCardPage(items=cards)
