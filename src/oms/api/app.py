"""The HTTP application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

from .. import __version__
from ..console import connectors as console_connectors
from ..console import dashboard as console_dashboard
from ..console import inventory as console_inventory
from ..console import order_actions as console_order_actions
from ..console import pages as console_pages
from ..console import replenishment as console_replenishment
from ..console import routes as console_routes
from ..console import store as console_store
from ..services.runtime.context import Context
from . import (
    availability,
    carriers,
    connectors,
    fulfillments,
    health,
    holds,
    orders,
    pickup_points,
    problems,
    promise,
    reference,
    replenishment,
    returns,
    stock_feeds,
    transfers,
    webhooks,
)
from .gate import Gate
from .guard import RejectControlCharacters
from .openapi import describe_the_door


def create_app(ctx: Context, *, on_start=None) -> FastAPI:
    """An app serving ``ctx``; ``on_start`` (async, optional) runs before the first request."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if on_start is not None:
            await on_start()
        yield
        for task in ctx.background:
            task.cancel()
        await ctx.stock.close()
        await ctx.capacity.close()
        if ctx.stream is not None:
            await ctx.stream.close()
        await ctx.db.dispose()

    app = FastAPI(
        title="OMS",
        version=__version__,
        summary="Order Management System for omnichannel retail",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    describe_the_door(app)
    problems.install(app)
    app.add_middleware(RejectControlCharacters)
    app.add_middleware(Gate, ctx=ctx)  # added last: the outermost, met first
    # Routes are matched in order, each costing a few microseconds: the most asked come first (the probes,
    # availability, capture), so the hot paths do not pay for the rest.
    for module in (health, availability, promise, orders, holds, fulfillments, reference, stock_feeds, webhooks,
                   carriers, returns, pickup_points, replenishment, transfers, connectors):
        app.include_router(module.router)
    # The console: pages and their one stylesheet, served from the package (nothing from the internet).
    for module in (console_routes, console_order_actions, console_store, console_dashboard, console_inventory,
                   console_replenishment, console_connectors):
        app.include_router(module.router)
    console_pages.install(app)  # a console page without a session sends the browser to sign in
    app.mount("/console/static", StaticFiles(directory=console_pages.HERE / "static"), name="console-static")
    # The busiest calls skip FastAPI's per-request machinery (route resolution, dependency solving: about
    # 60 µs a request, more than the work of a page read). They are plain Starlette routes matched first,
    # taking the request alone and checking it themselves with the same models; the FastAPI routes of the
    # same paths are never reached for these methods and stay for the OpenAPI document.
    for path, endpoint, method in (("/healthz", health.healthz, "GET"),
                                   ("/v1/availability/{sku}", availability.one, "GET"),
                                   ("/v1/orders", orders.capture_order_fast, "POST"),
                                   ("/v1/holds", holds.create_hold_fast, "POST"),
                                   ("/v1/promise", promise.promise_options_fast, "POST"),
                                   ("/v1/promise/{sku}", promise.product_page, "GET")):
        app.router.routes.insert(0, Route(path, endpoint, methods=[method]))
    return app
