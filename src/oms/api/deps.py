"""Request dependencies: the service context and the caller's identity."""

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..domain.access import Principal
from ..services.context import Context

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`")


async def get_context(request: Request) -> Context:
    # async: a plain function dependency would be run in a worker thread on every request
    return request.app.state.ctx


async def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    ctx: Context = request.app.state.ctx
    return await ctx.keys.authenticate(ctx.db, credentials.credentials if credentials else None)


async def principal_of(request: Request) -> Principal:
    """The caller, read straight from the header: for the few routes too hot for dependency injection."""
    ctx: Context = request.app.state.ctx
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return await ctx.keys.authenticate(ctx.db, key.strip() if scheme.lower() == "bearer" else None)


Ctx = Annotated[Context, Depends(get_context)]
Caller = Annotated[Principal, Depends(get_principal)]
# A client's key for one create request: sending the request again with it answers what it created.
IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
