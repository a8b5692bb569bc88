"""Re-sourcing: units a node will not send are planned again on the other nodes.

A node rejects its fulfilment order, lets the time to accept it lapse (``accept_within_minutes``), or
does not find units when picking: those units then belong to no live fulfilment order and the order
awaits sourcing. Right after, in a transaction of its own (order, then stock, then capacity, as every
writer locks), the missing units are planned by the channel and mode's strategy on the nodes that have
not failed this order, reserved, and released to their nodes as new fulfilment orders (``order.resourced``).

An order that carries a promise is re-sourced only from nodes that still keep it. When no node can, the
order is flagged at risk (``at_risk`` on the order, an ``order.at_risk`` event for the channel) with the
options left: a later date (``POST /v1/orders/{id}/resource`` with ``late``), the lines that can still be
sent in time (cancel the others), or cancelling the lines. Where the channel allows backorders, an
order without a promise (or whose later date was accepted) has the lines no node can send now wait for
expected supply instead. Orders awaiting sourcing are tried again by the sweeper every few seconds:
stock may come back.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import capacity as capacity_rows
from ...db import stock, supply_promises
from ...db import tables as t
from ...db.capture_tx import LostRace
from ...domain.access import Principal
from ...domain.capacity import counted, shared_out
from ...domain.errors import Conflict, InvalidInput, OutOfStock
from ...domain.lifecycle import FStatus, OStatus
from ...domain.promise import DoesNotFit, NoRoom, NotOffered, Option
from ...domain.sourcing import Candidate, Need, Plan, named, plan_backorders
from ...domain.vocabulary import DeliveryMode
from ..promise.ways import CARRIED, OWN_DELIVERY, Ways
from ..reference.records import bump_reference
from ..runtime.context import Context
from ..sourcing.decisions import add_decision
from ..sourcing.fulfillment_rows import backordered_rows, fulfillment_rows
from ..sourcing.planning import Request, prepare_stored
from ..sourcing.sourcer import Sourcer
from .state import OrderState

SYSTEM = "system:resourcing"
ATTEMPTS = 3  # plans made again when stock or a day's places were taken meanwhile
BATCH = 100  # orders awaiting sourcing tried per sweep
# An order awaiting sourcing is planned again at a sweep when the stock of one of its SKUs moved or reference
# data changed since it was last tried (units came, a node opened), and at least this often otherwise (a new
# day's places, places given back by a cancel, a node's day begun): planning one costs milliseconds, and the
# sweep comes every few seconds, for every order at risk.
QUIET = timedelta(minutes=15)
# A stock row is stamped before its writer commits: a try counts as seen only what was stamped this long
# before it, so that a change committed while the order was being planned is looked at again.
OVERLAP = timedelta(seconds=5)
TRIED_KEPT = 50_000  # orders whose last try a process remembers


def missing(state: OrderState) -> list[Need]:
    """Per order line, the units that no live fulfilment order is meant to send."""
    found = []
    for ln in sorted(state.lines, key=lambda x: x["line_no"]):
        units = state.unallocated(ln["line_no"])
        if units > 0:
            found.append(Need(ln["line_no"], ln["sku"], units))
    return found


def failed(state: OrderState) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """The nodes that gave up a fulfilment order of this order (and why), and the SKUs a node did not find."""
    gave_up = {f["node_id"]: f["details"].get("reject_reason") or "rejected" for f in state.fuls
               if f["status"] == FStatus.REJECTED}
    short = {(fl["node_id"], fl["sku"]) for fl in state.flines if fl["short"]}
    return gave_up, short


@dataclass
class _Setting:
    """What re-sourcing an order plans on: its request, priced nodes, ways and the stock available now."""
    request: Request
    sourcer: Sourcer
    ways: Ways
    candidates: list[Candidate]  # the nodes that have not failed this order
    available: dict[tuple[str, str], int]
    latest: datetime | None  # the promised latest delivery
    slot: datetime | None
    passed_over: dict[str, str]


@dataclass(frozen=True)
class _Change:
    """Who re-sources the order, when and why; ``late``: a later delivery than promised is accepted."""
    at: datetime
    actor: str
    reason: str
    late: bool = False


async def resource_order(ctx: Context, order_id: str, *, reason: str, late: bool = False, at: datetime | None = None,
                         principal: Principal | None = None) -> dict | None:
    """Plan the order's missing units again; the order as it now stands (None: it had nothing missing and
    nothing changed). ``late``: a later delivery than promised is accepted (customer service asked for it);
    then a Conflict says so when nothing can be sent at all. ``principal``: the caller, when asked through
    the API (it must be allowed to change the order)."""
    if principal is not None:
        principal.require_order_write()
    at = at or ctx.clock.now()
    actor = principal.actor if principal else SYSTEM
    change = _Change(at, actor, reason, late)
    for _ in range(ATTEMPTS):
        try:
            async with ctx.db.write() as conn:
                state = await OrderState.load(conn, order_id)
                if principal is not None:
                    principal.require_in_channel("order", order_id, state.order["channel"])
                changed = await _resource(ctx, conn, state, change)
                if late and missing(state):
                    raise Conflict(f"no node can send the missing units now: {state.order['at_risk']['reason']}",
                                   at_risk=state.order["at_risk"])
                if not changed:
                    return state.view() if principal is not None else None
                return await state.save(conn, actor=actor, at=at, reason=reason)
        except LostRace:
            continue  # stock or a day's places went to another order since they were read: plan again
    if principal is not None:
        raise Conflict(f"the stock of these lines changed under {ATTEMPTS} attempts in a row; try again")
    return None  # the sweeper tries again


async def retry_waiting(ctx: Context, *, at: datetime | None = None) -> int:
    """Try again the next orders awaiting sourcing, in id order from where the last sweep stopped (an order
    still at risk is not written, so its place in any other order would never move), those of them that
    something may have helped since their last try (``QUIET``); how many were sourced."""
    o, ol, inv = t.orders.c, t.order_lines.c, t.inventory.c
    after = ctx.batch.get("retried_after", "")
    now = ctx.clock.now()
    version = (await ctx.reference.get(ctx.db)).version
    tried: dict[str, tuple[datetime, int]] = ctx.batch.setdefault("tried", {})
    async with ctx.db.read() as conn:
        for start in dict.fromkeys((after, "")):  # past the end: from the start again
            waiting = (await conn.scalars(select(o.id).where(o.status == OStatus.AWAITING_SOURCING, o.id > start)
                                          .order_by(o.id).limit(BATCH))).all()
            if waiting:
                break
        skus: dict[str, set[str]] = {}
        for order_id, sku in await conn.execute(select(ol.order_id, ol.sku).where(ol.order_id.in_(waiting))):
            skus.setdefault(order_id, set()).add(sku)
        since = min((tried[i][0] for i in waiting if i in tried), default=None)
        moved: dict[str, datetime] = {}
        if since is not None:
            # Every writer of a stock row stamps it: units received, counted, reserved or given back.
            moved = dict((await conn.execute(
                select(inv.sku, func.max(inv.updated_at)).where(
                    inv.sku.in_({s for found in skus.values() for s in found}), inv.updated_at > since)
                .group_by(inv.sku))).all())
    ctx.batch["retried_after"] = waiting[-1] if len(waiting) == BATCH else ""
    if len(tried) > TRIED_KEPT:
        tried.clear()
    done = 0
    for order_id in waiting:
        last = tried.get(order_id)
        if last is not None and last[1] == version and timedelta(0) <= now - last[0] < QUIET and \
                not any(moved.get(sku, last[0]) > last[0] for sku in skus.get(order_id, ())):
            continue  # nothing that could help it happened since its last try
        tried[order_id] = (now - OVERLAP, version)
        view = await resource_order(ctx, order_id, reason="tried again", at=at)
        done += view is not None and view["status"] != OStatus.AWAITING_SOURCING
    return done


async def _resource(ctx: Context, conn: AsyncConnection, state: OrderState, change: _Change) -> bool:
    """Plan, reserve and release the missing units, or flag the order at risk; whether anything changed."""
    needs = missing(state)
    if not needs or state.order["status"] == OStatus.CANCELLED:
        return False
    try:
        setting = await _setting(ctx, conn, state, needs, change.at)
    except InvalidInput as exc:
        return _flag(state, f"its delivery cannot be served any more ({exc})", needs, [], change.at, change.actor)
    latest = None if change.late else setting.latest
    plan, option, why = _plan(setting, needs, latest)
    if plan is None and latest is None and setting.request.backorder and \
            await _wait_for_supply(ctx, conn, state, setting, needs, change):
        return True
    if plan is None:
        return _flag(state, why, needs, _options(setting, needs), change.at, change.actor)
    await _store(conn, state, setting, plan, option, needs, change)
    return True


async def _setting(ctx: Context, conn: AsyncConnection, state: OrderState, needs: list[Need], at: datetime) -> _Setting:
    o = state.order
    request = await prepare_stored(ctx, o, needs)
    gave_up, short = failed(state)
    snap = request.snap
    available = request.promisable(await stock.available(conn, {n.sku for n in needs}))
    for key in short:
        available.pop(key, None)
    weight = {n.sku: snap.products[n.sku].weight_g for n in needs}
    ways = Ways(snap, await ctx.capacity.current(ctx.db, snap, fresh=True), at)
    sourcer = Sourcer(snap, o["channel"], o["delivery_mode"], request.destination, weight, request.pickup_node_id)
    promised = o["delivery"].get("promised")
    slot = o["delivery"].get("slot_start") or (promised["earliest"] if promised and
                                               o["delivery_mode"] == DeliveryMode.SCHEDULED else None)
    return _Setting(request, sourcer, ways, [c for c in request.candidates if c.node_id not in gave_up], available,
                    datetime.fromisoformat(promised["latest"]) if promised else None,
                    datetime.fromisoformat(slot) if slot else None,
                    {n: f"gave up this order's fulfilment: {why}" for n, why in gave_up.items()})


def _plan(s: _Setting, needs: list[Need], latest: datetime | None) -> tuple[Plan | None, Option | None, str]:
    """The strategy's plan for ``needs`` and how it reaches the customer, delivered by ``latest`` if given;
    else None and why not."""
    mode, request = s.sourcer.mode, s.request
    candidates = s.candidates
    if latest is not None and mode in CARRIED:  # the cheapest of the nodes quick enough
        candidates = s.ways.in_time(mode, candidates, needs, request.destination, request.pickup_node_id, latest,
                                    s.available, s.passed_over)
    keep = request.collected_at
    try:
        plan = s.ways.plan(s.sourcer.maker(needs, s.available), candidates, keep)
    except OutOfStock:
        return None, None, ("no node the order may use can send them in time" if candidates != s.candidates
                            else "no node the order may use has them now")
    try:
        option = _option(s, plan)
    except NotOffered as exc:
        return None, None, str(exc)
    if latest is not None and option is not None and option.latest > latest:
        return None, None, f"the nodes that have them deliver by {option.latest.isoformat()}, later than promised"
    return plan, option, ""


def _option(s: _Setting, plan: Plan) -> Option | None:
    """How the plan reaches the customer (None: a node that never opens, no work to count); NotOffered
    when the mode cannot take it (a full day, a slot or courier no longer there)."""
    mode, request = s.sourcer.mode, s.request
    try:
        return s.ways.option(mode, plan, request.destination, request.pickup_node_id, s.slot)
    except NotOffered as exc:
        if isinstance(exc, (NoRoom, DoesNotFit)) or mode in OWN_DELIVERY:
            raise
        try:  # no lead times to go by: the day each node does the work
            return s.ways.worked(mode, plan, request.pickup_node_id)
        except NotOffered:
            return None


async def _wait_for_supply(ctx: Context, conn: AsyncConnection, state: OrderState, s: _Setting, needs: list[Need],
                           change: _Change) -> bool:
    """Where the channel allows backorders: the lines the nodes can send now are sent, the others wait
    for expected supply (a backordered fulfilment order, released when it is received). False when some
    line has no supply coming either."""
    keep = s.request.collected_at
    try:
        served, short = s.ways.plan(s.sourcer.partial(needs, s.available), s.candidates, keep)
        option = _option(s, served) if served else None
    except (OutOfStock, NotOffered):
        served, short, option = {}, needs, None
    at, actor, reason = change.at, change.actor, change.reason
    incoming = await supply_promises.incoming(conn, {n.sku for n in short}, {c.node_id for c in s.candidates},
                                              at.date())
    try:
        waits = plan_backorders(short, s.candidates, incoming, s.request.destination)
    except OutOfStock:
        return False
    if served:
        await _store(conn, state, s, served, option, [n for n in needs if n not in short],
                     replace(change, late=False))
    # Supply rows are locked after the stock and capacity rows, as every writer locks them.
    if not await supply_promises.promise(conn, [(x.supply_id, n.quantity) for n, x in waits]):
        raise LostRace
    o = state.order
    fuls, flines = backordered_rows(o["id"], waits, at, o["delivery"].get("pickup_node_id"))
    for f in fuls:
        state.add(f, [x for x in flines if x["fulfillment_id"] == f["id"]], actor=actor, at=at, reason=reason)
    state.record("order.resourced", actor=actor, at=at, reason=reason,
                 data={"order_id": o["id"], "fulfillments": [f["id"] for f in fuls], "nodes": sorted(
                     {f["node_id"] for f in fuls}), "lines": named([n for n, _ in waits]),
                       "backordered": True, "later_than_promised": False})
    await bump_reference(conn, ctx.db.dialect)  # the supply shows fewer units to come
    return True


def _options(s: _Setting, needs: list[Need]) -> list[dict]:
    """What can still be done for an order that cannot be sent as promised."""
    found: list[dict[str, Any]] = []
    if s.latest is not None:
        plan, option, _ = _plan(s, needs, None)
        if plan is not None:
            found.append({"option": "later_date", "nodes": sorted(plan),
                          "delivered_by": option.latest.isoformat() if option else None})
    if len(needs) > 1:
        served = [n for n in needs if _plan(s, [n], s.latest)[0] is not None]
        if served and len(served) < len(needs):
            found.append({"option": "partial", "lines": named(served),
                          "cancel": named([n for n in needs if n not in served])})
    found.append({"option": "cancel_lines", "lines": named(needs)})
    return found


async def _store(conn: AsyncConnection, state: OrderState, s: _Setting, plan: Plan, option: Option | None,
                 needs: list[Need], change: _Change) -> None:
    """Reserve the plan's units and take its places (LostRace when another order took them first), then
    release it to its nodes as new fulfilment orders."""
    request, limits = s.request, s.ways.capacity.limits
    at, actor, reason = change.at, change.actor, change.reason
    places = shared_out(option.claims, plan, limits, option.owned) if option else {}
    taken = counted((c for claims in places.values() for c in claims), limits)
    if any(not s.ways.capacity.has_room(resource, day, orders) for resource, day, orders, _ in taken):
        raise LostRace  # read a moment ago: the capacity is read again with the next attempt
    o = state.order
    fuls, flines = fulfillment_rows(o["id"], plan, at, o["delivery"].get("pickup_node_id"), places,
                                    request.snap, {"resourced": reason})
    if not await state.add_reserved(fuls, flines, conn, request.guard, actor=actor, at=at, reason=reason):
        raise LostRace
    if not await capacity_rows.take_locked(conn, taken):
        raise LostRace
    state.record("order.resourced", actor=actor, at=at, reason=reason,
                 data={"order_id": o["id"], "fulfillments": [f["id"] for f in fuls], "nodes": sorted(plan),
                       "lines": named(needs),
                       "later_than_promised": change.late and s.latest is not None})
    explained = s.sourcer.explain(plan, needs, request.candidates, s.available, o["currency"], s.passed_over)
    await add_decision(conn, o["id"], "resourced", {"at": at.isoformat(), "reason": reason, **explained})


def _flag(state: OrderState, reason: str, needs: list[Need], options: list[dict], at: datetime, actor: str) -> bool:
    """Flag the order at risk (the channel is told once, and again when the reason or options change)."""
    before = state.order.get("at_risk") or {}
    risk = {"reason": reason, "since": before.get("since", at.isoformat()),
            "missing": named(needs),
            "options": options}
    if {**risk, "since": None} == {**before, "since": None}:
        return False
    state.order["at_risk"] = risk
    state.record("order.at_risk", actor=actor, at=at, reason=reason, data={"order_id": state.order["id"], **risk})
    return True
