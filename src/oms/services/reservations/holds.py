"""Cart and checkout holds: units kept for a shopper for a while, released when they expire.

A hold reserves like an order does (the same conditional update, so holds cannot oversell either) and
its ``hold_lines.reserved`` count among the reservations. An expired hold never blocks a sale: a sweeper
releases expired holds every few seconds, and a capture that finds too little stock releases the
expired holds on its SKUs at once and tries again. An order that names its hold takes the held units
in the same transaction, where they are and still reserved, instead of competing with its own hold.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import FieldError, IdempotencyConflict, InvalidInput, NotFound, missing
from ...domain.ids import new_id
from ...domain.lifecycle import HStatus, check_hold_transition
from ...domain.promise import NotOffered
from ...domain.sourcing import Plan
from ..promise.ways import COLLECT_MODES, OWN_DELIVERY, Ways, wanted
from ..runtime.context import Context
from ..runtime.fingerprint import fingerprint
from ..sourcing.planning import Request, prepare
from ..sourcing.sourcer import Sourcer
from .expiry import end_holds
from .inputs import HoldIn
from .reserving import Try, reserving

h, hl = t.holds.c, t.hold_lines.c


def _view(hold: dict, lines: Iterable[dict]) -> dict:
    return {"id": hold["id"], "channel": hold["channel"], "ref": hold["ref"], "status": hold["status"],
            "expires_at": hold["expires_at"].isoformat(), "created_at": hold["created_at"].isoformat(),
            "lines": [{"line_no": x["line_no"], "sku": x["sku"], "quantity": x["quantity"], "node_id": x["node_id"],
                       "reserved": x["reserved"]} for x in sorted(lines, key=lambda x: x["line_no"])]}


async def create_hold(ctx: Context, body: HoldIn, *, principal: Principal,
                      idempotency_key: str | None = None) -> tuple[dict, bool]:
    """The hold and whether it was created now (False: the same ``idempotency_key`` created it before)."""
    principal.require_order_write(body.channel)
    request = await prepare(ctx, body.channel, body.lines, body.delivery)
    request_hash = fingerprint(body)

    async def attempt(tries: Try) -> tuple[dict, bool]:
        at = ctx.clock.now()
        hold = {"id": new_id("hld"), "channel": body.channel, "ref": body.ref, "status": HStatus.ACTIVE,
                "expires_at": at + timedelta(seconds=body.ttl_seconds), "created_at": at, "updated_at": at,
                "idempotency_key": idempotency_key, "request_hash": request_hash}
        # Read before the write path takes its connection (a fresh read takes one of its own).
        capacity = await ctx.capacity.current(ctx.db, request.snap, fresh=not tries.from_memory)
        # The same write path as order capture: on PostgreSQL, one statement for a one-row hold.
        async with ctx.db.capture() as tx:
            skus = {n.sku for n in request.needs}
            available = await ctx.stock.available(ctx.db, skus) if tries.from_memory else await tx.available(skus)
            plan = _where(request, Ways(request.snap, capacity, at), request.promisable(available),
                          body.delivery.slot_start)
            lines: list[dict[str, Any]] = [
                {"hold_id": hold["id"], "line_no": n.line_no, "node_id": node_id, "sku": n.sku, "quantity": n.quantity,
                 "reserved": n.quantity} for node_id, needs in plan.items() for n in needs]
            await tx.store(t.holds, hold, [(t.hold_lines, lines)],
                           [(x["node_id"], x["sku"], x["quantity"]) for x in lines], request.guard, at=at)
            return _view(hold, lines), True

    async def replayed() -> tuple[dict, bool] | None:
        if idempotency_key is None:
            return None
        async with ctx.db.read() as conn:
            row = (await conn.execute(select(h.id, h.request_hash).where(
                h.channel == body.channel, h.idempotency_key == idempotency_key))).first()
            if row is None:
                return None
            # Holds made before fingerprints were kept have none: answered by their key alone, as then.
            if row.request_hash is not None and row.request_hash != request_hash:
                raise IdempotencyConflict(f"Idempotency-Key {idempotency_key!r} was used for hold {row.id} with "
                                          f"another request; send the same request to get that hold, or a new "
                                          f"key for a new hold", hold_id=row.id)
            return _view(*await _load(conn, row.id)), False

    return await reserving(ctx, {n.sku for n in request.needs}, attempt, replayed)


def _where(request: Request, ways: Ways, promisable: dict[tuple[str, str], int], slot: datetime | None) -> Plan:
    """Where capture would source the cart now: by the channel and mode's strategy (the cheapest nodes, for
    the default one), at nodes with room in their day first; a collection from the store's own shelves
    first; the retailer's own deliveries from the nearest node that can make them. An order converting the
    hold then finds its units where it would want them."""
    mode, needs = request.mode, request.needs
    weight = {n.sku: request.snap.products[n.sku].weight_g for n in needs}
    sourcer = Sourcer(request.snap, request.channel, mode, request.destination, weight, request.pickup_node_id)
    prefer: tuple[str, ...] = (request.pickup_node_id,) if mode in COLLECT_MODES and request.pickup_node_id else ()
    if mode in OWN_DELIVERY:
        try:
            prefer = ways.own(mode, [c.node_id for c in request.candidates], promisable, wanted(needs),
                              request.destination, slot)[0].nodes
        except NotOffered:
            pass  # (held where the strategy puts it: the order says then why it cannot be delivered)
    return ways.plan(sourcer.maker(needs, promisable), request.candidates, request.collected_at, prefer)


async def _load(conn: AsyncConnection, hold_id: str, *, lock: bool = False) -> tuple[dict, list[dict]]:
    query = select(t.holds).where(h.id == hold_id)
    found = (await conn.execute(query.with_for_update() if lock else query)).mappings().first()
    if found is None:
        raise missing("hold", hold_id)
    lines = (await conn.execute(select(t.hold_lines).where(hl.hold_id == hold_id))).mappings().all()
    return dict(found), [dict(x) for x in lines]


async def held_units(ctx: Context, hold_id: str, channel: str) -> dict[tuple[str, str], int]:
    """What an active hold of this channel keeps, (node, sku) -> units; nothing for any other hold (the
    capture that takes it says what is wrong with it)."""
    async with ctx.db.read() as conn:
        try:
            hold, lines = await _load(conn, hold_id)
        except NotFound:
            return {}
    if hold["status"] != HStatus.ACTIVE or hold["channel"] != channel or hold["expires_at"] <= ctx.clock.now():
        return {}
    units: dict[tuple[str, str], int] = {}
    for x in lines:
        units[(x["node_id"], x["sku"])] = units.get((x["node_id"], x["sku"]), 0) + x["reserved"]
    return units


async def get_hold(ctx: Context, hold_id: str, *, principal: Principal) -> dict:
    principal.require_order_read()
    async with ctx.db.read() as conn:
        hold, lines = await _load(conn, hold_id)
    principal.require_in_channel("hold", hold_id, hold["channel"])
    return _view(hold, lines)


async def _end(conn: AsyncConnection, hold: dict, lines: list[dict], status: HStatus, at: datetime,
               *, give_back: bool = True) -> None:
    """Close the hold with ``status`` (``end_holds``), and its rows in hand with it; IllegalTransition if
    the hold has ended already."""
    check_hold_transition(hold["status"], status)
    await end_holds(conn, [hold["id"]], lines, status, at=at, give_back=give_back)
    hold["status"] = status
    for x in lines:
        x["reserved"] = 0


async def release_hold(ctx: Context, hold_id: str, *, principal: Principal) -> dict:
    """The shopper left: the units go back at once. Releasing a hold that has ended changes nothing."""
    principal.require_order_write()
    async with ctx.db.write() as conn:
        hold, lines = await _load(conn, hold_id, lock=True)
        principal.require_in_channel("hold", hold_id, hold["channel"])
        if hold["status"] == HStatus.ACTIVE:  # an ended hold is final: it stays as it ended
            await _end(conn, hold, lines, HStatus.RELEASED, ctx.clock.now())
    return _view(hold, lines)


async def take_hold(conn: AsyncConnection, hold_id: str, channel: str, at: datetime) -> list[tuple[str, str, int]]:
    """Inside a capture's transaction: the units the hold keeps, ``(node_id, sku, units)``, handed to this
    very order, still reserved (the order's plan places them or gives them back). Nothing if the hold
    has ended (expired, released, used): the order then competes for stock like any other."""
    try:
        hold, lines = await _load(conn, hold_id, lock=True)
        if hold["channel"] != channel:  # another channel's hold is, to this order, none at all
            raise missing("hold", hold_id)
    except NotFound as exc:  # a field of the order that names nothing: bad input, not a missing resource
        raise InvalidInput([FieldError("hold_id", exc.detail)]) from None
    if hold["status"] != HStatus.ACTIVE or hold["expires_at"] <= at:
        return []
    held = [(x["node_id"], x["sku"], x["reserved"]) for x in lines]
    await _end(conn, hold, lines, HStatus.CONVERTED, at, give_back=False)
    return held
