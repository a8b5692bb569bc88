"""A draft sourcing strategy tried on sample orders beside the live one, reserving nothing.

Each side sources the orders in turn on its own copy of the stock available now (what one order takes,
the next cannot), so that scarce units are counted once. A plan misses the promise when one of its
parcels would arrive after the soonest window the order could be promised (its nearest nodes').
"""

from dataclasses import replace
from typing import Any

from ...domain.access import Principal
from ...domain.costs import cost_of
from ...domain.errors import FieldError, InvalidInput, OutOfStock
from ...domain.promise import NotOffered
from ...domain.sourcing import Need, Plan, plan_first_rule
from ...domain.strategy import strategy_from
from ..promise.ways import CARRIED, Ways
from ..runtime.context import Context
from .inputs import SimulateIn
from .planning import Request, prepare
from .sourcer import Sourcer


async def simulate(ctx: Context, body: SimulateIn, *, principal: Principal) -> dict:
    principal.require_admin()
    requests = []
    for i, sample in enumerate(body.orders):
        try:
            requests.append(await prepare(ctx, sample.channel, sample.lines, sample.delivery))
        except InvalidInput as exc:  # named within the sample
            raise InvalidInput([FieldError(f"orders.{i}.{e.field}", e.reason) for e in exc.errors]) from None
    snap = await ctx.reference.get(ctx.db)
    stock = await ctx.stock.available(ctx.db, {n.sku for r in requests for n in r.needs})
    capacity = await ctx.capacity.current(ctx.db, snap)
    live = snap.sourcing
    changes: dict[str, Any] = {k: v for k, v in (("split_penalty", body.split_penalty),
                                                 ("depletion_cost_per_unit", body.depletion_cost_per_unit),
                                                 ("store_protection_units", body.store_protection_units))
                               if v is not None}  # (the numbers the draft sets: the live ones otherwise)
    draft = replace(live, **changes)
    trial = (draft, strategy_from(body.strategy.model_dump(mode="json")))
    sides = {"live": (None, dict(stock)), "draft": (trial, dict(stock))}
    totals: dict[str, dict[str, Any]] = {
        side: {"total_cost": 0, "shipments": 0, "split_orders": 0, "promise_misses": 0, "unserved": 0}
        for side in sides}
    orders = []
    for i, (sample, request) in enumerate(zip(body.orders, requests, strict=True)):
        weight = {n.sku: snap.products[n.sku].weight_g for n in request.needs}
        ways = Ways(snap, capacity, ctx.clock.now())
        latest = _soonest(request, ways, stock, sample.delivery.mode)
        answer: dict[str, Any] = {"index": i}
        for side, (settings, left) in sides.items():
            sourcer = Sourcer(snap, request.channel, sample.delivery.mode, request.destination, weight,
                              request.pickup_node_id, settings)
            answer[side] = _try(request, sourcer, ways, left, latest, sample.delivery.mode, totals[side])
        orders.append(answer)
    currency = (snap.prices or {}).get("currency", "EUR")  # the retailer's, as delivery prices give it
    for t in totals.values():
        t["total_cost"] = {"amount": t["total_cost"], "currency": currency}
    return {"strategy": body.strategy.strategy, "live": totals["live"], "draft": totals["draft"], "orders": orders}


def _try(request: Request, sourcer: Sourcer, ways: Ways, left: dict[tuple[str, str], int], latest, mode: str,
         total: dict) -> dict:
    """One side's plan for one order on what that side has left; the units it takes are taken."""
    promisable = request.promisable(left)
    try:
        plan = ways.plan(sourcer.maker(request.needs, promisable), request.candidates)
    except OutOfStock:
        total["unserved"] += 1
        return {"plan": None}
    priced = {n: sourcer.price_of(n) for n in plan}
    cost = round(cost_of(plan, priced, sourcer.weight, promisable, sourcer.model).total)
    for node_id, needs in plan.items():
        for n in needs:
            left[(node_id, n.sku)] = left.get((node_id, n.sku), 0) - n.quantity
    arrives = _arrives(plan, ways, request, mode)
    late = latest is not None and (arrives is None or arrives > latest)
    total["total_cost"] += cost
    total["shipments"] += len(plan)
    total["split_orders"] += len(plan) > 1
    total["promise_misses"] += late
    return {"plan": _shown(plan), "cost": cost, "misses_promise": late}


def _soonest(request: Request, ways: Ways, stock: dict[tuple[str, str], int], mode: str):
    """The latest end of the soonest window the order could be promised: from its nearest nodes."""
    if mode not in CARRIED:
        return None
    try:
        plan = plan_first_rule(request.needs, request.candidates, request.promisable(stock), request.destination)
    except OutOfStock:
        return None
    return _arrives(plan, ways, request, mode)


def _arrives(plan: Plan, ways: Ways, request: Request, mode: str):
    """When the plan's last parcel arrives at the latest; None if no carrier takes one there."""
    try:
        return ways.delivered(mode, plan, request.destination).latest
    except NotOffered:
        return None


def _shown(plan: Plan) -> list[dict]:
    return [{"node_id": node_id, "lines": [_line(n) for n in needs]} for node_id, needs in plan.items()]


def _line(n: Need) -> dict:
    return {"line_no": n.line_no, "sku": n.sku, "quantity": n.quantity}
