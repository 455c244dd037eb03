"""Annotated dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shipyard.api.observing import request_id_of
from shipyard.services.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# Dependencies are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in a
# worker thread, a thread hop per request for a field read.
async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_request_id(request: Request) -> str:
    return request_id_of(request.scope)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
RequestIdDep = Annotated[str, Depends(get_request_id)]
