"""The orders waiting for their nodes' release waves, planned again together (``domain/batch.py``).

Which orders: those whose every live fulfilment order is ``planned`` (nothing released yet), delivered
by a carrier (home, locker, relay point: any node may send them), with the ``cost_optimal`` strategy.
An order with a promise may only move to nodes whose parcel still arrives in its window. The pool is the
units available now plus the units these orders hold; each order takes of it what its channel's rules
let it. A node with a daily limit sends at most as many shipments as its working day has room for.

The changes are stored in one transaction, locking as every writer does (the orders in id order, the
stock rows by key, the capacity rows): each moving order's planned fulfilment orders are cancelled and
new ones planned (``order.replanned``, and an entry under ``replanned`` in its sourcing explanation);
per node and SKU only the difference is reserved or released, the reservations by the conditional
update. When anything moved meanwhile (an order released or cancelled, stock taken), nothing is stored
and the next run plans again.

Runs at each sweep when stock counts moved (a new movement) and at least ``OMS_REOPTIMISE_SECONDS``
passed, always just before a wave is released, and on demand (``POST /v1/sourcing/reoptimise``).
"""

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select

from ...db import capacity as capacity_rows
from ...db import stock
from ...db import tables as t
from ...db.capture_tx import LostRace
from ...db.rows import FulfillmentLineRow, FulfillmentRow, as_fulfillments
from ...domain.batch import Outcome, Waiting, reoptimise
from ...domain.capacity import counted, shared_out
from ...domain.costs import Source, cost_of
from ...domain.errors import InvalidInput
from ...domain.lifecycle import DROPPED, FStatus
from ...domain.mip import Asked, Key
from ...domain.promise import NotOffered
from ...domain.sourcing import Need, Plan
from ...domain.strategy import narrowed
from ...domain.vocabulary import NodeType
from ..promise.ways import CARRIED, Ways
from ..reference.cache import Snapshot
from ..runtime.context import Context
from ..sourcing.decisions import add_decisions
from ..sourcing.fulfillment_rows import fulfillment_rows
from ..sourcing.planning import Request, prepare_stored
from ..sourcing.sourcer import BY_COST, Sourcer
from .state import OrderState

SYSTEM = "system:batch"
OPEN = (0, 100)  # a channel's guard at a node without stock rules: nothing kept back, all of it shared
TIME_LIMIT_S = 5.0  # the solver's share of a run
EXACT_UP_TO = 300  # orders the solver plans together within that time, measured on the demo network
REASON = "planned again with the orders waiting for release"


@dataclass
class _Order:
    """An order in the batch: its rows as loaded, and how the domain sees it."""
    row: dict[str, Any]
    fuls: list[FulfillmentRow]
    lines: list[FulfillmentLineRow]  # its planned fulfilment lines
    sourcer: Sourcer
    waiting: Waiting
    destination: tuple[float, float]
    ways: Ways  # judged from when its work was planned


async def run(ctx: Context, *, apply: bool = True, at: datetime | None = None,
              time_limit: float = TIME_LIMIT_S, exact_up_to: int = EXACT_UP_TO) -> dict:
    """Plan the waiting orders again together; the report (``applied``: whether the changes were stored).
    ``exact_up_to``: the most orders the solver plans together (past it, one by one)."""
    at = at or ctx.clock.now()
    started = time.perf_counter()
    snap = await ctx.reference.get(ctx.db)
    orders, pool = await _load(ctx)
    capacity = await ctx.capacity.current(ctx.db, snap, fresh=True)
    included = [i for i in [await _include(ctx, snap, *o) for o in orders] if i]
    for i in included:  # the units these orders hold are theirs to move; those of the others stay held
        for x in i.lines:
            pool[(x["node_id"], x["sku"])] = pool.get((x["node_id"], x["sku"]), 0) + x["reserved"]
    by_sku: dict[str, dict[Key, int]] = {}
    for key, units in pool.items():
        by_sku.setdefault(key[1], {})[key] = units
    ways = Ways(snap, capacity, min((i.since for i in included), default=at))
    built = [_build(i, by_sku, ways) for i in included]
    by_key = {o.row["id"]: o for o in built}
    protected = {n.id: snap.sourcing.store_protection_units for n in snap.nodes.values() if n.type == NodeType.STORE}
    room = _room(ways, built)
    loaded = time.perf_counter()
    outcome: Outcome = await asyncio.to_thread(
        reoptimise, [o.waiting for o in built], pool, snap.sourcing.depletion_cost_per_unit, protected, room,
        time_limit, exact_up_to)
    report = {"orders": len(built), "competing": outcome.competing, "method": outcome.method,
              "moved": len(outcome.changed),
              "cost_before": round(outcome.before), "cost_after": round(outcome.after),
              "gain": round(outcome.before - outcome.after), "lower_bound": round(outcome.bound),
              "optimal": outcome.optimal, "applied": False}
    planned = time.perf_counter()
    if apply and outcome.changed:
        try:
            await _store(ctx, ways, [(by_key[k], plan) for k, plan in sorted(outcome.changed.items())], at)
            report["applied"] = True
        except LostRace:
            report["stale"] = "orders or stock changed while planning; the next run plans again"
    done = time.perf_counter()
    report["seconds"] = round(done - started, 3)
    report["phases"] = {"load": round(loaded - started, 3), "plan": round(planned - loaded, 3),
                        "store": round(done - planned, 3)}
    return report


async def _load(ctx: Context) -> tuple[list[tuple[dict[str, Any], list[FulfillmentRow], list[FulfillmentLineRow]]],
                                     dict[Key, int]]:
    """The orders whose every live fulfilment order is planned, and the units available now."""
    f, fl, o = t.fulfillments.c, t.fulfillment_lines.c, t.orders.c
    async with ctx.db.read() as conn:
        ids = select(f.order_id).where(f.status == FStatus.PLANNED).distinct().scalar_subquery()
        rows = {r["id"]: dict(r) for r in (await conn.execute(
            select(t.orders).where(o.id.in_(ids), o.delivery_mode.in_(CARRIED), o.hold.is_(None)))).mappings()}
        fuls: dict[str, list[FulfillmentRow]] = {}
        for ful in as_fulfillments((await conn.execute(select(t.fulfillments).where(f.order_id.in_(ids)))).mappings()):
            fuls.setdefault(ful["order_id"], []).append(ful)
        lines: dict[str, list[FulfillmentLineRow]] = {}
        for r in (await conn.execute(select(t.fulfillment_lines, f.order_id).join(
                t.fulfillments, f.id == fl.fulfillment_id).where(f.status == FStatus.PLANNED))).mappings():
            # (a fulfilment line's columns, less the order it was joined with)
            lines.setdefault(r["order_id"], []).append(
                cast(FulfillmentLineRow, {k: v for k, v in r.items() if k != "order_id"}))
        found = [(row, fuls[i], lines.get(i, [])) for i, row in sorted(rows.items())
                 if all(x["status"] in (FStatus.PLANNED, *DROPPED) for x in fuls[i])]
        skus = {x["sku"] for _, _, ls in found for x in ls}
        return found, await stock.available(conn, skus) if skus else {}


@dataclass
class _Included:
    """An order the batch weighs, before the pool is known."""
    row: dict[str, Any]
    fuls: list[FulfillmentRow]
    lines: list[FulfillmentLineRow]
    request: Request
    sourcer: Sourcer
    needs: list[Need]
    current: Plan
    since: datetime  # when its work was planned: the wave it waits for


async def _include(ctx: Context, snap: Snapshot, row: dict[str, Any], fuls: list[FulfillmentRow],
                   lines: list[FulfillmentLineRow]) -> _Included | None:
    """The order, if the batch may move it: a delivery that still checks out, the ``cost_optimal``
    strategy, and a channel with no stock rules at its nodes (walk-in units, a share), which a joint
    plan would have to share out between orders; else None: it stays as it is, holding its units."""
    needs: dict[int, Need] = {}
    current: Plan = {}
    for x in sorted(lines, key=lambda x: (x["line_no"], x["node_id"])):
        units = x["reserved"]
        if not units:
            continue
        n = needs.get(x["line_no"])
        needs[x["line_no"]] = Need(x["line_no"], x["sku"], units + (n.quantity if n else 0))
        current.setdefault(x["node_id"], []).append(Need(x["line_no"], x["sku"], units))
    if not needs:
        return None
    asked = list(needs.values())
    try:
        request = await prepare_stored(ctx, row, asked)
    except InvalidInput:
        return None
    if any(request.guard(c.node_id) != OPEN for c in request.candidates):
        return None
    weight = {n.sku: snap.products[n.sku].weight_g for n in asked}
    sourcer = Sourcer(snap, row["channel"], row["delivery_mode"], request.destination, weight)
    if sourcer.strategy.kind not in BY_COST:
        return None
    since = min(f["updated_at"] for f in fuls if f["status"] == FStatus.PLANNED)
    return _Included(row, fuls, lines, request, sourcer, asked, current, since)


def _build(i: _Included, by_sku: dict[str, dict[Key, int]], ways: Ways) -> _Order:
    """The order as the domain sees it, over the pool (its SKUs' units, what the waiting orders hold
    included). Its options are judged from when its work was planned: the wave it waits for."""
    snap, request, sourcer, current = ways.snap, i.request, i.sourcer, i.current
    pool = {key: units for sku in sourcer.weight for key, units in by_sku.get(sku, {}).items()}
    timed = Ways(snap, ways.capacity, i.since)
    candidates = request.candidates
    promised = i.row["delivery"].get("promised")
    if promised:  # only nodes whose parcel still arrives in the window; the nodes it has now stay allowed
        quick = timed.in_time(i.row["delivery_mode"], candidates, i.needs, request.destination,
                              request.pickup_node_id, datetime.fromisoformat(promised["latest"]), pool, {})
        candidates = [c for c in candidates if c in quick or c.node_id in current]
    types = {c.node_id: snap.nodes[c.node_id].type for c in candidates}
    available = narrowed(sourcer.strategy, {k: v for k, v in pool.items() if k[0] in types and v > 0}, types)
    for node_id, ns in current.items():  # what it holds stays its own to keep
        for n in ns:
            available[(node_id, n.sku)] = max(available.get((node_id, n.sku), 0), n.quantity)
    holders = sorted({n for n, _ in available} | set(current))
    sources = [s for n in holders if isinstance(s := (sourcer.source(n) if n not in current
                                                      else sourcer.price_of(n)), Source)]
    a = Asked(i.needs, sources, available, sourcer.weight, sourcer.model, frozenset(current))
    return _Order(i.row, i.fuls, i.lines, sourcer, Waiting(i.row["id"], a, current), request.destination, timed)


def _room(ways: Ways, orders: list[_Order]) -> dict[str, int]:
    """Shipments each node with a daily limit can still send on the day it would do the work: the room
    left, and the places these orders' planned work there would give back."""
    limits = ways.capacity.limits
    held: dict[str, int] = {}
    for o in orders:
        for node_id in o.waiting.current:
            held[node_id] = held.get(node_id, 0) + 1
    room = {}
    for node_id, limit in limits.items():
        times = ways.snap.times.get(node_id)
        start = ways.capacity.start(node_id, times, ways.at) if times else None
        ready = times.calendar.after_working(start, times.processing_minutes) if times and start else None
        if times is None or ready is None:
            room[node_id] = held.get(node_id, 0)
            continue
        day = times.calendar.local_date(ready)
        room[node_id] = max(0, limit - ways.capacity.used.get((node_id, day), 0)) + held.get(node_id, 0)
    return room


async def _store(ctx: Context, ways: Ways, moves: list[tuple[_Order, Plan]], at: datetime) -> None:
    """Store the moves in one transaction, or LostRace (nothing stored) when anything moved meanwhile."""
    async with ctx.db.write() as conn:
        loaded = await OrderState.load_many(conn, [o.row["id"] for o, _ in moves])  # the orders first
        states = [loaded[o.row["id"]] for o, _ in moves if o.row["id"] in loaded]
        if len(states) < len(moves) or any(_planned(s) != _planned_rows(o.fuls, o.lines)
                                           for s, (o, _) in zip(states, moves, strict=True)):
            raise LostRace
        reserved = OrderState.reserved_by_key(states)
        old = [f for o, _ in moves for f in o.fuls if f["status"] == FStatus.PLANNED]
        places = {}
        for o, plan in moves:
            try:
                option = o.ways.option(o.row["delivery_mode"], plan, o.destination,
                                       o.row["delivery"].get("pickup_node_id"))
                places[o.row["id"]] = shared_out(option.claims, plan, ways.capacity.limits, option.owned)
            except NotOffered:
                places[o.row["id"]] = {}
        for state, (o, plan) in zip(states, moves, strict=True):
            _move(state, o, plan, places[o.row["id"]], at)
        # Only the difference moves on each stock row (re-reserving what the old plans release could be
        # refused by the very units they hold); then the days' places, in every writer's lock order.
        if not await OrderState.follow_reserved(conn, reserved, states, at=at):
            raise LostRace
        taken = counted((c for p in places.values() for claims in p.values() for c in claims), ways.capacity.limits)
        if not await capacity_rows.shift(conn, capacity_rows.places_of(old), taken):
            raise LostRace
        await add_decisions(conn, "replanned", {o.row["id"]: {
            "at": at.isoformat(), "reason": REASON,
            **o.sourcer.explain(plan, o.waiting.asked.needs, [], dict(o.waiting.asked.available), o.row["currency"],
                                {})} for o, plan in moves})
        await OrderState.save_many(conn, states, actor=SYSTEM, at=at)


def _move(state: OrderState, o: _Order, plan: Plan, places: dict, at: datetime) -> None:
    reason = REASON
    before = {f["node_id"] for f in state.fuls if f["status"] == FStatus.PLANNED}
    # The work was planned when the order was: it waits for the wave it waited for, not a later one.
    since = min(f["updated_at"] for f in state.fuls if f["status"] == FStatus.PLANNED)
    for f in state.fuls:
        if f["status"] == FStatus.PLANNED:
            for x in state.lines_of(f):
                x["reserved"] = 0
            f["details"] = {k: v for k, v in f["details"].items() if k != "capacity"}
            state.move(f, FStatus.CANCELLED, actor=SYSTEM, at=at, reason=reason)
    fuls, flines = fulfillment_rows(state.order["id"], plan, at, state.order["delivery"].get("pickup_node_id"),
                                    places, o.sourcer.snap, {"replanned": reason})
    for f in fuls:
        f["updated_at"] = since if f["status"] == FStatus.PLANNED else at
        state.add(f, [x for x in flines if x["fulfillment_id"] == f["id"]], actor=SYSTEM, at=at, reason=reason)
    a = o.waiting.asked
    sources = {s.node_id: s for s in a.sources}
    costs = [cost_of(p, sources, dict(a.weight), dict(a.available), a.model).total for p in (o.waiting.current, plan)]
    state.record("order.replanned", actor=SYSTEM, at=at, reason=reason,
                 data={"order_id": state.order["id"], "from": sorted(before), "to": sorted(plan),
                       "cost_before": round(costs[0]), "cost_after": round(costs[1])})


def _planned(state: OrderState) -> list[tuple]:
    """The order's planned work as stored now: what must not have moved since it was read."""
    return _planned_rows(state.fuls, state.flines)


def _planned_rows(fuls: list[FulfillmentRow], flines: list[FulfillmentLineRow]) -> list[tuple]:
    ids = {f["id"] for f in fuls if f["status"] == FStatus.PLANNED}
    live = sorted((f["id"], f["status"]) for f in fuls if f["status"] not in DROPPED)
    return live + sorted((x["fulfillment_id"], x["line_no"], x["reserved"]) for x in flines
                         if x["fulfillment_id"] in ids)


async def moved_since(ctx: Context, last: int | None) -> tuple[bool, int]:
    """Whether stock counts moved since ``last`` (the newest movement then), and the newest now."""
    async with ctx.db.read() as conn:
        newest = await stock.newest_movement(conn)
    return newest != last, newest


async def when_due(ctx: Context) -> dict | None:
    """At a sweep: a run when stock counts moved since the last one and ``OMS_REOPTIMISE_SECONDS`` passed."""
    every = ctx.settings.reoptimise_seconds
    last, now = ctx.batch, ctx.clock.now()
    # The service's clock, not the process's: a simulated day re-optimises as often in its hours as a server.
    if every <= 0 or (last.get("at") is not None and timedelta(0) <= now - last["at"] < timedelta(seconds=every)):
        return None
    moved, newest = await moved_since(ctx, last.get("movement"))
    if not moved:
        return None
    last.update(at=now, movement=newest)
    return await run(ctx)
