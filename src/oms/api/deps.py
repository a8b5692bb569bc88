"""Request dependencies: the service context and the caller's identity."""

import re
from collections.abc import Mapping
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..domain.access import Principal
from ..domain.errors import FieldError, InvalidInput
from ..services.runtime.context import Context

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")


async def get_context(request: Request) -> Context:
    # async: a plain function dependency would be run in a worker thread on every request
    return request.app.state.ctx


async def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller the gate authenticated (``gate.Gate``) before anything read the body."""
    return await principal_of(request)


async def principal_of(request: Request) -> Principal:
    """The caller: as the gate found it, else read from the header (an app served without the gate)."""
    if (principal := request.scope.get("state", {}).get("principal")) is not None:
        return principal
    ctx: Context = request.app.state.ctx
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return await ctx.keys.authenticate(ctx.db, key.strip() if scheme.lower() == "bearer" else None)


async def caller_for(request: Request, kind: str) -> Principal:
    """The caller, whose role may make calls of this kind (``access.CALLERS``): checked before the body is
    read or validated, for the routes too hot for dependency injection."""
    principal = await principal_of(request)
    principal.require_caller(kind)
    return principal


def may(kind: str):
    """A route's dependency: the caller's role may make calls of this kind (``access.CALLERS``), checked before
    the body is validated."""
    async def check(request: Request) -> None:
        await caller_for(request, kind)
    return Depends(check)


M = TypeVar("M", bound=BaseModel)
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


async def body_of(request: Request, model: type[M]) -> M:
    """The JSON body checked against ``model``, with the same 422 as FastAPI's own validation."""
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        raise _as_request_error(exc) from None


async def body_of_dict(data: dict, model: type[M]) -> M:
    """An already parsed body checked against ``model``, with the same 422 as FastAPI's own validation."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _as_request_error(exc) from None


def query_of(query: Mapping[str, str], model: type[M], *, missing: Mapping[str, str] | None = None) -> M:
    """A query string checked against ``model`` (the one the OpenAPI document's parameters come from), for the
    routes too hot for dependency injection: InvalidInput naming each bad parameter. ``missing``: the reason
    given when a required parameter is left out."""
    try:
        return model.model_validate(dict(query))
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            field = ".".join(str(p) for p in e["loc"])
            told = (missing or {}).get(field) if e["type"] == "missing" else None
            errors.append(FieldError(field, told or e["msg"].removeprefix("Value error, ")))
        raise InvalidInput(errors) from None


def field_error(field: str, reason: str) -> ValidationError:
    """A model validator's error about ``field`` (a rule over several fields names the one to fix)."""
    return ValidationError.from_exception_data("field", [InitErrorDetails(
        type=PydanticCustomError("value_error", reason), loc=(field,), input=None)])


def _as_request_error(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])


def idempotency_key_of(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not _KEY.match(key):
        raise RequestValidationError([{"loc": ("header", "Idempotency-Key"), "type": "value_error",
                                       "msg": "1 to 200 printable ASCII characters, no spaces"}])
    return key


Ctx = Annotated[Context, Depends(get_context)]
Caller = Annotated[Principal, Depends(get_principal)]
# A client's key for one create request: sending the request again with it answers what it created.
IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
