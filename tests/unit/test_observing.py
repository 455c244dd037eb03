"""The request observer around an app that fails: one 500 in the error shape, with the id."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from shipyard.api.observing import RequestObserver


async def broken(_request: Request) -> JSONResponse:
    raise RuntimeError("a bug")


async def fine(_request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def client() -> TestClient:
    app = Starlette(routes=[Route("/broken", broken), Route("/fine", fine)])
    app.add_middleware(RequestObserver, access_log=False)
    return TestClient(app, raise_server_exceptions=False)


def test_an_unhandled_error_is_a_500_that_names_the_request() -> None:
    answer = client().get("/broken", headers={"X-Request-ID": "trace-7"})
    assert answer.status_code == 500
    assert answer.headers["x-request-id"] == "trace-7"
    assert answer.json() == {
        "error": "InternalError",
        "detail": "an unexpected error occurred; it was logged",
    }


def test_request_ids_are_made_unique_when_none_is_sent() -> None:
    with client() as session:
        made = {session.get("/fine").headers["x-request-id"] for _ in range(50)}
    assert len(made) == 50
    refused = client().get("/fine", headers={"X-Request-ID": "no spaces allowed"})
    assert refused.headers["x-request-id"] != "no spaces allowed"
