"""What is registered and what is served."""

from __future__ import annotations

import asyncio
import dataclasses

from fastapi import APIRouter, Request

from shipyard.api.deps import RuntimeDep
from shipyard.api.errors import ERROR_RESPONSES
from shipyard.api.security import AdminCaller, ModelReader
from shipyard.domain.schema import FieldHint, InputField
from shipyard.errors import ModelNotFound
from shipyard.schemas.models import (
    InputFieldRead,
    ModelPage,
    ModelRead,
    ModelSummaryRead,
    ModelVersionRead,
    PredictorRead,
    ReloadRead,
)
from shipyard.services import catalog
from shipyard.services.hot_swap import VersionWatcher

router = APIRouter(prefix="/v1/models", tags=["models"])


def _field_read(field: InputField, hint: FieldHint | None) -> InputFieldRead:
    hint = hint or FieldHint()
    return InputFieldRead(
        name=field.name,
        type=field.type.value,
        required=field.required,
        example=hint.example,
        choices=list(hint.choices),
        minimum=hint.minimum,
        maximum=hint.maximum,
    )


def _model_read(description: catalog.ModelDescription) -> ModelRead:
    registered = description.registered
    fields = description.input_schema.fields if description.input_schema else ()
    return ModelRead(
        name=registered.name,
        description=registered.description,
        aliases=registered.aliases,
        served_version=description.served_version,
        predictor=(
            PredictorRead(**dataclasses.asdict(description.predictor))
            if description.predictor
            else None
        ),
        input_schema=[_field_read(f, description.hints.get(f.name)) for f in fields],
        versions=[
            ModelVersionRead(
                version=v.version,
                created_at=v.created_at,
                aliases=list(v.aliases),
                run_id=v.run_id,
                metrics=v.metrics,
            )
            for v in registered.versions
        ],
    )


@router.get("", response_model=ModelPage, responses=ERROR_RESPONSES)
async def list_models(runtime: RuntimeDep, _caller: ModelReader) -> ModelPage:
    """The models this server is configured to serve."""
    descriptions = await asyncio.to_thread(catalog.describe_models, runtime)
    return ModelPage(
        items=[
            ModelSummaryRead(
                name=d.registered.name,
                served_version=d.served_version,
                aliases=d.registered.aliases,
                latest_version=d.registered.versions[0].version if d.registered.versions else None,
            )
            for d in descriptions
        ]
    )


@router.get("/{name}", response_model=ModelRead, responses=ERROR_RESPONSES)
async def get_model(name: str, runtime: RuntimeDep, _caller: ModelReader) -> ModelRead:
    """Versions, aliases, metrics and the input schema of one model."""
    return _model_read(await asyncio.to_thread(catalog.describe_model, runtime, name))


@router.post("/{name}/reload", response_model=ReloadRead, responses=ERROR_RESPONSES)
async def reload_model(
    name: str, request: Request, runtime: RuntimeDep, _caller: AdminCaller
) -> ReloadRead:
    """Look at the serving alias now; load, check and swap in the version it names if it
    moved (the server also does this on its own every ``serving.follow_every``). The
    ``@challenger`` alias is looked at too, for shadow scoring."""
    if name not in runtime.models.names:
        raise ModelNotFound(name)
    watcher: VersionWatcher = request.app.state.version_watcher
    outcome = await asyncio.to_thread(watcher.follow, name)
    return ReloadRead(**dataclasses.asdict(outcome))
