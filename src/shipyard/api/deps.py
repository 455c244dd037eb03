"""Annotated dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shipyard.api.middleware import request_id_of
from shipyard.services.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_request_id(request: Request) -> str:
    return request_id_of(request.scope)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
RequestIdDep = Annotated[str, Depends(get_request_id)]
