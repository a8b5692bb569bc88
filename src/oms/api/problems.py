"""Errors as RFC 9457 ``application/problem+json``: mapped here once, from the domain's error tree."""

import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy.exc as sa_exc
from asyncpg import exceptions as asyncpg_exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from ..domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    OmsError,
    Unauthenticated,
    Unavailable,
)
from ..services.partners.carrier_adapters import CarrierUnavailable
from .json import Json

log = logging.getLogger("oms.api")
STATUS = [(InvalidInput, 422), (NotFound, 404), (Conflict, 409), (Unauthenticated, 401), (Forbidden, 403),
          (CarrierUnavailable, 502), (Unavailable, 503)]
PROBLEM = "application/problem+json"


def status_of(exc: OmsError) -> int:
    """The HTTP status of a domain error (500 for one this table does not know)."""
    return next((s for cls, s in STATUS if isinstance(exc, cls)), 500)


def problem(status: int, code: str, title: str, detail: str, instance: str, *,
            headers: Mapping[str, str] | None = None, **extra: Any) -> Json:
    body = {"type": f"https://oms.dev/problems/{code}", "title": title, "status": status, "detail": detail,
            "code": code, "instance": instance, **extra}
    sent = {**({"WWW-Authenticate": "Bearer"} if status == 401 else {}), **(headers or {})}
    return Json(body, status_code=status, media_type=PROBLEM, headers=sent)


def _field(loc: tuple) -> str:
    """The field path a client knows: FastAPI's leading "body"/"query"/… dropped; a bulk body's items
    named ``items.N`` as the services name them."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        if parts[0] == "body" and len(loc) > 1 and isinstance(loc[1], int):
            parts[0] = "items"
        else:
            parts = parts[1:] or parts
    return ".".join(parts)


def _allowed(request: Request) -> list[str]:
    """The methods some route serves at this path."""
    return [method for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in request.app.router.routes)]


def install(app: FastAPI) -> None:
    @app.exception_handler(OmsError)
    async def _domain(request: Request, exc: OmsError):
        status = status_of(exc)
        extra = dict(exc.extra)
        if isinstance(exc, InvalidInput):
            extra["errors"] = [{"field": e.field, "reason": e.reason} for e in exc.errors]
        return problem(status, exc.code, exc.title, exc.detail, request.url.path, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"field": _field(e["loc"]), "reason": e["msg"].removeprefix("Value error, ")}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem(422, "invalid_input", "Invalid input", detail, request.url.path, errors=errors)

    @app.exception_handler(sa_exc.DataError)
    @app.exception_handler(asyncpg_exc.DataError)
    async def _unstorable(request: Request, exc: Exception):
        # A value the database cannot take (out of range, a NUL byte in a query string …) is bad input.
        detail = "a value in the request cannot be stored or searched by the database"
        return problem(422, "invalid_input", "Invalid input", detail, request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "Internal error", "the server failed; the error is logged",
                       request.url.path)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        if exc.status_code == 400:  # FastAPI could not parse the body (not JSON, not UTF-8): bad input
            return problem(422, "invalid_input", "Invalid input", "the body is not valid JSON", request.url.path,
                           errors=[{"field": "body", "reason": "is not valid JSON"}])
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = exc.headers
        if exc.status_code == 405:  # HTTP asks for every method the path has (Starlette names the first route's)
            headers = {**(headers or {}), "Allow": ", ".join(_allowed(request))}
        return problem(exc.status_code, code, str(exc.detail), str(exc.detail), request.url.path, headers=headers)
