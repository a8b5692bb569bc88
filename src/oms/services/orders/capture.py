"""Order capture: validate, choose the nodes, reserve, store the order and its event — one transaction."""

import random
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ...db import capacity as capacity_rows
from ...db import stock, supply_promises
from ...db import tables as t
from ...db.capture_tx import CapacityFull, Children, LostRace, PgCapture, SqlCapture
from ...db.rows import FulfillmentLineRow, FulfillmentRow
from ...domain.access import Principal
from ...domain.capacity import STRIPES, Capacity, Claim, Counted, Take, counted, shared_out
from ...domain.costs import Source
from ...domain.errors import (
    Conflict,
    FieldError,
    IdempotencyConflict,
    InvalidInput,
    OutOfStock,
    PromiseNotKept,
)
from ...domain.ids import new_id
from ...domain.lifecycle import FStatus, OStatus, derive_order_status
from ...domain.promise import DoesNotFit, NoRoom, NotOffered
from ...domain.sourcing import (
    Incoming,
    Need,
    Plan,
    merge_plans,
    plan_backorders,
    plan_first_rule,
    split_held,
)
from ...domain.vocabulary import PICKUP_MODES, DeliveryMode
from ..partners.events import event
from ..promise.options import Kept, keep, missed, not_kept
from ..promise.ways import CARRIED, COLLECT_MODES, OWN_DELIVERY, Ways, wanted
from ..reference.records import bump_reference
from ..reservations.holds import held_units, take_hold
from ..reservations.reserving import Try, reserving
from ..runtime.context import Context
from ..runtime.fingerprint import fingerprint
from ..sourcing.fulfillment_rows import backordered_rows, fulfillment_rows, offer_rows
from ..sourcing.planning import Request, prepare
from ..sourcing.sourcer import Sourcer
from .inputs import OrderIn
from .queries import load_order
from .view import order_view, release_message


@dataclass(frozen=True)
class _Capture:
    """One capture request, as each attempt at storing it sees it."""
    order: OrderIn
    request: Request  # its lines and delivery, checked against the reference data
    principal: Principal
    idempotency_key: str | None
    request_hash: str  # the request's fingerprint: a replay must match it
    promise: tuple[Kept, dict | None] | None  # the promise it keeps, and the units its hold keeps for it

    @property
    def kept(self) -> Kept | None:
        return self.promise[0] if self.promise else None


@dataclass
class _Attempt:
    """What one attempt plans with: read at its start, or decided before the strategy chooses."""
    tries: Try
    at: datetime
    ways: Ways
    sourcer: Sourcer
    slot: datetime | None  # the appointment slot the order goes in
    waits: bool  # lines stock cannot serve may wait for expected supply
    keep: frozenset[str]  # nodes never passed over for a full day: the pickup store
    prefer: tuple[str, ...]  # nodes planned from first
    held: list[tuple[str, str, int]] = field(default_factory=list)  # the units its hold keeps, counted as its own
    late: dict[str, str] = field(default_factory=dict)  # nodes too slow to keep the promise, and why


async def capture_order(ctx: Context, order: OrderIn, *, principal: Principal,
                        idempotency_key: str | None = None) -> tuple[dict, bool]:
    """The stored order and whether it was created now (False: the same order was captured before)."""
    principal.require_order_write(order.channel)
    request = await prepare(ctx, order.channel, order.lines, order.delivery, priced=True)
    c = _Capture(order, request, principal, idempotency_key, fingerprint(order), None)
    try:
        if order.delivery.promise_id:  # checked before anything is reserved
            held = await held_units(ctx, order.hold_id, order.channel) if order.hold_id else None
            kept = await keep(ctx, channel=order.channel, lines=[(n.sku, n.quantity) for n in request.needs],
                              mode=order.delivery.mode, pickup_node_id=order.delivery.pickup_node_id,
                              point=request.destination, promise_id=order.delivery.promise_id, held=held)
            c = replace(c, promise=(kept, held))

        async def attempt(tries: Try) -> tuple[dict, bool]:
            try:
                return await _store(ctx, c, tries), True
            except _Tilted as tilted:
                await _lay_out(ctx, tilted.days)
                raise  # (a lost race: planned again on the days as they are now laid out)

        async def replayed() -> tuple[dict, bool] | None:
            existing = await _find_existing(ctx, c)
            return (existing, False) if existing is not None else None

        return await reserving(ctx, {n.sku for n in request.needs}, attempt, replayed, fallback=request.backorder)
    except PromiseNotKept:
        # A replay answers the order it repeats, even when that order's own units broke the promise since.
        existing = await _find_existing(ctx, c)
        if existing is None:
            raise
        return existing, False


async def _store(ctx: Context, c: _Capture, tries: Try) -> dict:
    """Plan on the stock available now, then store the order with its reservations (or Duplicate, LostRace).

    ``tries.from_memory``: plan on the stock mirror (a fraction of a second old) and save a round trip;
    the conditional update decides all the same, and a plan it refuses is made again from the database.
    ``tries.settled``: what stock cannot serve now is really missing; if the channel allows it, those
    lines wait for expected supply (backorders), in a transaction that also promises them its units."""
    at = ctx.clock.now()
    order, request, kept = c.order, c.request, c.kept
    capacity = await ctx.capacity.current(ctx.db, request.snap, fresh=not tries.from_memory)
    weight = {n.sku: request.snap.products[n.sku].weight_g for n in request.needs}
    ways = Ways(request.snap, capacity, kept.at if kept else at)
    slot = _slot(order, kept)
    o, lines = _order_rows(c, new_id("ord"), at)
    waits = tries.settled and request.backorder
    async with ctx.db.capture(transaction=order.hold_id is not None or waits) as tx:
        held = await _held(tx, c, at) if order.hold_id else []
        sourcer = Sourcer(request.snap, order.channel, order.delivery.mode, request.destination, weight,
                          request.pickup_node_id)
        # A node holding units for it is passed over for a full day like any other: planned as without the hold.
        a = _Attempt(tries, at, ways, sourcer, slot, waits, keep=request.collected_at, prefer=_preferred(c),
                     held=held)
        planned, backorders, promisable = await _plan(ctx, tx, c, a, request.needs)
        from_hold, plan, unused = split_held(planned, held)
        if unused:
            assert isinstance(tx, SqlCapture)  # (only a hold leaves units, and taking a hold is a transaction)
            await stock.release(tx.conn, unused, at=at)
        sent = merge_plans(from_hold, plan)
        places = await _places(ctx, c, a, sent)
        fuls, flines = fulfillment_rows(o["id"], sent, at, order.delivery.pickup_node_id, places, request.snap,
                                        held=order.hold is not None)
        more_fuls, more_flines = backordered_rows(o["id"], backorders, at, order.delivery.pickup_node_id)
        fuls, flines = fuls + more_fuls, flines + more_flines
        there = promisable  # what the nodes had for this order, its hold's units included
        offers = offer_rows(fuls, flines, request, there, a.sourcer.strategy.offer_to, at)
        o["status"] = derive_order_status([f["status"] for f in fuls], unallocated_units=0,
                                          pickup=order.delivery.mode in PICKUP_MODES, held=order.hold is not None)
        view = order_view(o, lines, fuls, flines)
        explained = a.sourcer.explain(sent, request.needs, request.candidates, there, o["currency"],
                                      {**_passed_over(request, a, sent), **a.late})
        children: Children = [(t.order_lines, lines), (t.fulfillments, fuls), (t.fulfillment_lines, flines),
                              (t.sourcing_decisions, [{"order_id": o["id"], "explanation": explained}]),
                              (t.events, _created(c, o, view, fuls, flines, at))]
        if offers:  # (a table more only when there are offers: the common statement stays as it was)
            children.append((t.fulfillment_offers, offers))
        reserve = [(node_id, n.sku, n.quantity) for node_id, needs in plan.items() for n in needs]
        taken = _striped(capacity, counted((claim for claims in places.values() for claim in claims),
                                           capacity.limits), reserve)
        await tx.store(t.orders, o, children, reserve, request.guard, taken, at=at)
        if backorders:  # the supply's units, under its row lock: never promised twice
            assert isinstance(tx, SqlCapture)  # (lines that may wait are captured in a transaction: see above)
            if not await supply_promises.promise(tx.conn, [(x.supply_id, n.quantity) for n, x in backorders]):
                raise LostRace  # another order was promised them first: all of this order is rolled back
            await bump_reference(tx.conn, ctx.db.dialect)  # availability shows fewer units to come
    return view


def _order_rows(c: _Capture, order_id: str, at: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The order's row and its lines' rows, as stored (its status follows from its fulfilment orders)."""
    order, kept = c.order, c.kept
    o = {
        "id": order_id, "channel": order.channel, "external_ref": order.external_ref,
        "idempotency_key": c.idempotency_key, "status": OStatus.CREATED,
        "customer_name": order.customer.name, "customer_email": order.customer.email,
        "delivery_mode": order.delivery.mode,
        # The promised window, when the order keeps a promise: the service level it is held to.
        "delivery": {**order.delivery.model_dump(mode="json", exclude_none=True),
                     **({"promised": kept.window} if kept else {})},
        "currency": order.lines[0].unit_price.currency,
        "total_amount": sum(ln.quantity * ln.unit_price.amount for ln in order.lines),
        "created_at": at, "updated_at": at, "request_hash": c.request_hash, "hold": order.hold,
    }
    lines = [
        {"order_id": order_id, "line_no": i + 1, "sku": ln.sku, "quantity": ln.quantity, "cancelled": 0,
         "unit_price": ln.unit_price.amount, "returned": 0}
        for i, ln in enumerate(order.lines)
    ]
    return o, lines


async def _held(tx: SqlCapture | PgCapture, c: _Capture, at: datetime) -> list[tuple[str, str, int]]:
    """The hold's units, passing to this order still reserved, in this transaction: the order is planned
    with them as its own where they are; those it does not use go back to stock (``split_held``)."""
    assert isinstance(tx, SqlCapture)  # (a capture taking a hold runs in a transaction)
    assert c.order.hold_id is not None
    return await take_hold(tx.conn, c.order.hold_id, c.order.channel, at)


def _preferred(c: _Capture) -> tuple[str, ...]:
    """The nodes to plan from first. A carrier's parcels keep a promise from any node quick enough (the
    cheapest such); other promises are kept from where they were made; a collection without one from the
    store's own shelves first."""
    kept, mode, pickup = c.kept, c.order.delivery.mode, c.request.pickup_node_id
    if kept:
        return () if mode in CARRIED else kept.nodes
    return (pickup,) if mode in COLLECT_MODES and pickup else ()


def _created(c: _Capture, o: dict[str, Any], view: dict[str, Any], fuls: list[FulfillmentRow],
             flines: list[FulfillmentLineRow], at: datetime) -> list[dict[str, Any]]:
    """The order's events: ``order.created``, and what each node that has its work now receives (a WMS, a
    supplier's purchase request)."""
    actor = c.principal.actor
    created = [event("order.created", order_id=o["id"], actor=actor, at=at, data=view)]
    created += [event("fulfillment.released", order_id=o["id"], actor=actor, at=at,
                      data=release_message(o, f, [x for x in flines if x["fulfillment_id"] == f["id"]]))
                for f in fuls if f["status"] == FStatus.RELEASED]
    return created


async def _plan(ctx: Context, tx: SqlCapture | PgCapture, c: _Capture, a: _Attempt,
                needs: list[Need]) -> tuple[Plan, list[tuple[Need, Incoming]], dict[tuple[str, str], int]]:
    """Where ``needs`` come from, planned on what is available now (storing re-checks it under the row
    lock) by the channel and mode's strategy, the way the promise plans: from the nodes it was made from
    (``a.prefer``) first, at nodes with room in their daily capacity first (``a.keep``: never passed over),
    for the retailer's own deliveries from the nearest node that can make them. With ``a.waits``, the lines
    stock cannot serve wait for expected supply instead. With a promise carried by a carrier, only nodes
    whose parcel arrives within the promised window are used (``a.late``: the others, and why). Also
    answers the units it planned on."""
    request, kept, ways, sourcer, prefer = c.request, c.kept, a.ways, a.sourcer, a.prefer
    skus = {n.sku for n in needs}
    available = await ctx.stock.available(ctx.db, skus) if a.tries.from_memory else await tx.available(skus)
    promisable = request.promisable(available)
    for node_id, sku, units in a.held:  # the hold's units are the order's own, whatever the rules
        promisable[(node_id, sku)] = promisable.get((node_id, sku), 0) + units
    mode = sourcer.mode
    if kept and mode in CARRIED:
        # The strategy's plan from the nodes whose parcels arrive in time; else from the nodes the promise was
        # made from; else the promise's own plan (its first rule, as it was judged, over the nodes the strategy's
        # filters allow). The first that keeps it.
        in_time = ways.in_time(mode, request.candidates, needs, request.destination, request.pickup_node_id,
                               kept.latest, promisable, a.late)
        allowed = [n for n in request.candidates if isinstance(sourcer.source(n.node_id), Source)]
        for make, candidates, promised in ((sourcer.maker(needs, promisable), in_time, ()),
                                           (sourcer.maker(needs, promisable), request.candidates, kept.nodes),
                                           (_first_rule(c, needs, promisable), allowed, kept.nodes)):
            try:
                plan = ways.plan(make, candidates, a.keep, promised)
            except OutOfStock:
                continue
            if _keeps(c, a, plan):
                if promised:
                    a.late.clear()
                return plan, [], promisable
        a.late.clear()
        prefer = kept.nodes  # none keeps it: capture says so, with the options there are now (``_places``)
    if mode in OWN_DELIVERY and not prefer:
        try:
            [first, *_] = ways.own(mode, [n.node_id for n in request.candidates], promisable, wanted(needs),
                                   request.destination, a.slot)
        except NotOffered as exc:
            _doubt(a.tries)
            raise Conflict(str(exc)) from None
        prefer = first.nodes
    if not a.waits:
        return ways.plan(sourcer.maker(needs, promisable), request.candidates, a.keep, prefer), [], promisable
    plan, missing = ways.plan(sourcer.partial(needs, promisable), request.candidates, a.keep, prefer)
    if not missing:
        return plan, [], promisable
    # Supply is read now and promised after the stock is reserved: every writer locks stock rows, then supply.
    assert isinstance(tx, SqlCapture)  # (lines that may wait are captured in a transaction)
    incoming = await supply_promises.incoming(tx.conn, {n.sku for n in missing},
                                              {n.node_id for n in request.candidates}, a.at.date())
    return plan, plan_backorders(missing, request.candidates, incoming, request.destination), promisable


def _first_rule(c: _Capture, needs: list[Need], available: dict[tuple[str, str], int]):
    """The promise's way of planning: the nearest nodes with the lines, to the destination or to the locker
    bank or relay point the parcels go to."""
    pickup = c.order.delivery.pickup_node_id
    node = c.request.snap.nodes[pickup] if pickup else None
    near = (node.lat, node.lng) if node else c.request.destination
    return lambda candidates: plan_first_rule(needs, candidates, available, near)


def _keeps(c: _Capture, a: _Attempt, plan: Plan) -> bool:
    """Whether the plan delivers within the promised window."""
    assert c.kept is not None
    try:
        option = a.ways.option(c.order.delivery.mode, plan, c.request.destination, c.order.delivery.pickup_node_id,
                               a.slot)
    except NotOffered:
        return False
    return option.latest <= c.kept.latest


def _passed_over(request: Request, a: _Attempt, plan: Plan) -> dict[str, str]:
    """Nodes left out before the strategy chose, and why: a day with no room, or a promise made elsewhere."""
    ways, prefer = a.ways, a.prefer
    unused = [n.node_id for n in request.candidates if n.node_id not in plan]
    reasons = {n: "its daily capacity is full" for n in ways.capacity.busy(
        [n for n in unused if n not in a.keep], request.snap.times, ways.at)}
    if prefer and set(plan) <= set(prefer):
        made = f"the promise was made from {', '.join(prefer)}"
        reasons.update({n: made for n in unused if n not in prefer})
    return reasons


def _slot(order: OrderIn, kept: Kept | None) -> datetime | None:
    """The start of the appointment slot a scheduled order goes in: the one it names, else its promise's."""
    slot = order.delivery.slot_start
    if order.delivery.mode != DeliveryMode.SCHEDULED or kept is None:
        return slot
    promised = datetime.fromisoformat(kept.window["earliest"])
    if slot is not None and slot != promised:
        raise InvalidInput([FieldError("delivery.slot_start", f"the promise is for the slot starting "
                                                              f"{kept.window['earliest']}, not {slot.isoformat()}")])
    return promised


class _Tilted(CapacityFull):
    """Days where a stripe holds more than its share of a lowered limit: none of their places can be
    taken until they are laid out again."""

    def __init__(self, days: list[Counted]) -> None:
        super().__init__()
        self.days = days


def _striped(capacity: Capacity, counts: list[Counted], reserve: list[tuple[str, str, int]]) -> list[Take]:
    """The stripes the order's places go on (_Tilted when a day must be laid out first). Orders reserving
    the same one stock row prefer the same stripe: they queue for that row anyway, and on one stripe they
    can be stored together (``combiner``); the others spread."""
    tilted = capacity.tilted(counts)
    if tilted:
        raise _Tilted(tilted)
    preferred = zlib.crc32("/".join(reserve[0][:2]).encode()) if len(reserve) == 1 else random.randrange(STRIPES)
    return capacity.striped(counts, preferred % STRIPES)


async def _lay_out(ctx: Context, days: list[Counted]) -> None:
    """Lay tilted days out again, in a short transaction of their own, each stripe within its share of
    the limit: the next attempt can take the places the limit still has."""
    async with ctx.db.write() as conn:
        for resource, day, _, limit in sorted(days):
            await capacity_rows.lay_out(conn, resource, day, limit)


def _doubt(tries: Try) -> None:
    """Capacity read from memory may be a moment old: before refusing on it, plan again on fresh numbers."""
    if tries.from_memory:
        raise CapacityFull


async def _places(ctx: Context, c: _Capture, a: _Attempt, plan: Plan) -> dict[str, list[Claim]]:
    """The places each fulfilment order takes: in its node's daily capacity, on the day the node does the
    work; in the pickup node's (a locker bank, a store receiving a transfer) on the day it receives the
    parcel; in the slot or the courier hour it goes in. With a promise, the plan must keep it
    (PromiseNotKept otherwise); a slot or one-hour delivery that cannot be made is a Conflict."""
    mode, pickup, ways, kept = c.order.delivery.mode, c.order.delivery.pickup_node_id, a.ways, c.kept
    limits = ways.capacity.limits
    if not plan:
        return {}
    # Worked out even where no place has a limit: the option also says whether the mode can take the parcels.
    try:
        option = ways.option(mode, plan, c.request.destination, pickup, a.slot)
    except NotOffered as exc:
        _doubt(a.tries)
        if kept is not None:
            raise await _not_kept(ctx, c, str(exc)) from None
        if isinstance(exc, DoesNotFit):
            raise InvalidInput([FieldError("delivery.mode", f"{mode} cannot take it: {exc}")]) from None
        if isinstance(exc, NoRoom) or mode in OWN_DELIVERY:
            raise Conflict(str(exc)) from None
        try:  # no lead times to go by: the day each node does the work
            option = ways.worked(mode, plan, pickup)
        except NoRoom as room:
            _doubt(a.tries)
            raise Conflict(str(room)) from None
        except NotOffered:  # a node that never opens does no work to count
            return {}
    if kept is not None and option.latest > kept.latest:
        _doubt(a.tries)
        raise await _not_kept(ctx, c, missed(mode, kept))
    places = shared_out(option.claims, plan, limits, option.owned)
    for resource, day, orders, _ in counted((claim for claims in places.values() for claim in claims), limits):
        if not ways.capacity.has_room(resource, day, orders):  # the database would refuse it: say why now
            _doubt(a.tries)
            reason = f"{resource} is full on {day.isoformat()}"
            if kept is not None:
                raise await _not_kept(ctx, c, reason)
            raise Conflict(reason)
    return places


async def _not_kept(ctx: Context, c: _Capture, reason: str) -> PromiseNotKept:
    request = c.request
    return await not_kept(ctx, request.snap, c.order.channel, [(n.sku, n.quantity) for n in request.needs],
                          request.destination, c.promise[1] if c.promise else None, reason)


async def _find_existing(ctx: Context, c: _Capture) -> dict | None:
    """The order this request repeats: by its Idempotency-Key first, else by its channel reference.

    The key or the reference sent with another request (another fingerprint) is refused, naming the first
    order: answering that order would tell the client its new lines, customer or delivery were taken.
    """
    o, order, idempotency_key = t.orders.c, c.order, c.idempotency_key
    first = select(o.id, o.external_ref, o.request_hash).where(o.channel == order.channel)
    async with ctx.db.read() as conn:
        row, by = None, ""
        if idempotency_key:
            row = (await conn.execute(first.where(o.idempotency_key == idempotency_key))).first()
            by = f"Idempotency-Key {idempotency_key!r}"
        if row is None:
            row = (await conn.execute(first.where(o.external_ref == order.external_ref))).first()
            by = f"external_ref {order.external_ref!r} of channel {order.channel}"
        if row is None:
            return None
        # Orders captured before fingerprints were kept have none: their replays are answered as they were
        # then (by key and reference alone), rather than refusing a client's honest retry.
        if row.external_ref != order.external_ref or (row.request_hash is not None
                                                       and row.request_hash != c.request_hash):
            raise IdempotencyConflict(f"{by} was used for order {row.id} (external_ref {row.external_ref!r}) "
                                      f"with another request; send the same request to get that order, or "
                                      f"a new reference and key for a new order", order_id=row.id)
        return await load_order(conn, row.id)
