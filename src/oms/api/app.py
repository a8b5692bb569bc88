"""The HTTP application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import __version__
from ..services.context import Context
from . import availability, fulfillments, health, orders, problems, reference, stock_feeds
from .guard import RejectControlCharacters


def create_app(ctx: Context, *, on_start=None) -> FastAPI:
    """An app serving ``ctx``; ``on_start`` (async, optional) runs before the first request."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if on_start is not None:
            await on_start()
        yield
        await ctx.db.dispose()

    app = FastAPI(
        title="OMS",
        version=__version__,
        summary="Order Management System for omnichannel retail",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    problems.install(app)
    app.add_middleware(RejectControlCharacters)
    for module in (health, orders, fulfillments, reference, stock_feeds, availability):
        app.include_router(module.router)
    return app
