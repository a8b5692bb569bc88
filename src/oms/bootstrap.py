"""The one composition root: settings in, a ready service context and app out. Nothing is built at import."""

import asyncio
import gc
import logging

from fastapi import FastAPI

from .api.app import create_app
from .clock import Clock
from .config import Settings
from .db.engine import Database, make_engine
from .db.migrate import upgrade
from .db.promise_secret import ensure_secret
from .services.connectors import reports
from .services.connectors.intake import capture_pending
from .services.connectors.polling import poll_due
from .services.fulfillment.laposte import poll_parcels
from .services.fulfillment.sla import expire_unaccepted
from .services.fulfillment.uncollected import send_back_uncollected
from .services.orders.batch import when_due
from .services.orders.resourcing import retry_waiting
from .services.orders.waves import release_due
from .services.partners.outbox import BATCH as RELAY_BATCH
from .services.partners.outbox import relay
from .services.partners.secret_box import SecretBox, seal_plain
from .services.partners.stream import NatsStream
from .services.partners.webhook_sender import deliver_due
from .services.promise.capacity_board import CapacityBoard
from .services.reference.cache import ReferenceCache
from .services.reference.keys import KeyCache, create_key
from .services.replenishment.sweep import replenish_due
from .services.reservations.expiry import release_expired
from .services.runtime.context import Context
from .services.runtime.throttle import FailureThrottle
from .services.stock.low_stock import tell_low_stock
from .services.stock.mirror import StockMirror
from .services.supply.backorders import release_backorders


def build_context(settings: Settings) -> Context:
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    clock = Clock(settings.clock_at)
    return Context(
        settings=settings,
        db=Database(engine),
        clock=clock,
        reference=ReferenceCache(settings.reference_refresh_seconds),
        keys=KeyCache(settings.key_cache_seconds),
        throttle=FailureThrottle(settings.auth_failures_per_minute),
        stock=StockMirror(settings.availability_max_age_seconds, clock),
        capacity=CapacityBoard(settings.availability_max_age_seconds, clock),
        secrets=SecretBox(settings),
        stream=NatsStream(settings.nats_url, settings.nats_stream, settings.nats_subject) if settings.nats_url
        else None,
        readers=[reports.from_events],
    )


async def prepare(ctx: Context) -> None:
    """Bring the database to the newest schema, seal webhook secrets kept in plain, and create the bootstrap
    admin key if one is configured."""
    await upgrade(ctx.db.engine)
    await ensure_secret(ctx.db, ctx.clock.now())
    await seal_plain(ctx)
    if ctx.settings.bootstrap_admin_key:
        await create_key(ctx, role="admin", name="bootstrap admin", key=ctx.settings.bootstrap_admin_key)


def tune_gc() -> None:
    """Fewer, shorter collections for a long-running server.

    Requests allocate many short-lived objects; the default threshold (700) runs the collector several
    times per request and a full collection over every module loaded at start-up stalls all requests in
    flight (measured: p99 of capture 89 ms -> 55 ms). Start-up objects are frozen out of collections.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def build_app(settings: Settings | None = None) -> FastAPI:
    """The server's app: migrations and the bootstrap key at start, then a collector tuned for serving."""
    ctx = build_context(settings or Settings())

    async def on_start() -> None:
        await prepare(ctx)
        tune_gc()
        if ctx.settings.hold_sweep_seconds > 0:
            ctx.background.append(asyncio.create_task(sweep(ctx)))
        if ctx.settings.relay_seconds > 0:
            ctx.background.append(asyncio.create_task(relay_loop(ctx)))
        if ctx.settings.inbox_seconds > 0:
            ctx.background.append(asyncio.create_task(intake_loop(ctx)))
        if ctx.settings.hold_sweep_seconds > 0:
            ctx.background.append(asyncio.create_task(platforms_loop(ctx)))
        if ctx.settings.live_demo:
            from .simulation.live import live_loop  # (a server without it never loads the simulation)

            ctx.background.append(asyncio.create_task(live_loop(ctx)))

    return create_app(ctx, on_start=on_start)


async def relay_loop(ctx: Context) -> None:
    """Every ``OMS_RELAY_SECONDS``: hand the new events on (as long as there are more), then send the
    webhook deliveries that are due. Every server process may run it."""
    log = logging.getLogger("oms.relay")
    while True:
        await asyncio.sleep(ctx.settings.relay_seconds)
        try:
            while await relay(ctx) == RELAY_BATCH:
                pass
            await deliver_due(ctx)
        except Exception:  # a partner or the stream down is retried at the next tick
            log.exception("relay failed")


async def intake_loop(ctx: Context) -> None:
    """Every ``OMS_INBOX_SECONDS``: capture what the connectors' inboxes hold (as long as there is more). Every
    server process may run it: each platform order is worked on by one at a time."""
    log = logging.getLogger("oms.connectors")
    while True:
        await asyncio.sleep(ctx.settings.inbox_seconds)
        try:
            while await capture_pending(ctx):
                pass
        except Exception:  # the database down is retried at the next tick
            log.exception("capture from the inbox failed")


async def platforms_loop(ctx: Context) -> None:
    """At the sweep's pace, the calls to the connectors' platforms and the carriers that do not push (apart from
    the sweep: one slow to answer holds back nothing else): poll the platforms whose ``poll_seconds`` have
    passed, tell them of shipments, ask La Poste of its parcels."""
    log = logging.getLogger("oms.connectors")
    while True:
        await asyncio.sleep(ctx.settings.hold_sweep_seconds)
        for task in (poll_due, reports.report_due, poll_parcels):
            try:
                await task(ctx)
            except Exception:
                log.exception("%s failed", task.__name__)


async def sweep(ctx: Context) -> None:
    """Every few seconds: release expired holds; plan the orders waiting for release again together when
    stock moved; release the planned work whose wave has come; withdraw the fulfilment orders a node did
    not accept in time; release backorders whose units are there; source again the orders awaiting it;
    send back the parcels not collected in time; tell the stock rows that ran low; propose the replenishment
    of the stores ordering today once their day's time has come (``OMS_REPLENISH_AT``). Every server process
    may run it (holds locked by another are skipped; each order is changed under its row lock)."""
    log = logging.getLogger("oms.sweep")
    while True:
        await asyncio.sleep(ctx.settings.hold_sweep_seconds)
        # A failed sweep is retried at the next tick (captures also free expired holds when they need to).
        for task in (release_expired, when_due, release_due, expire_unaccepted, release_backorders, retry_waiting,
                     send_back_uncollected, tell_low_stock, replenish_due):
            try:
                await task(ctx)
            except Exception:
                log.exception("%s failed", task.__name__)
