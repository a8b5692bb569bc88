"""What a simulated day left in the service, read back for its report: the events its nodes and carriers react
to (as a partner reading the stream would), the stock rows its shelves start from, and, per order, what the
service recorded of it: its promise, when its parts were sent and reached the customer, its cost and splits."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select

from ...db import tables as t
from ...domain.lifecycle import CLOSED, DROPPED, FStatus
from ..runtime.context import Context

e, o, f, m = t.events.c, t.orders.c, t.fulfillments.c, t.movements.c
PAGE = 5000
REACHING = (f"fulfillment.{FStatus.DELIVERED}", f"fulfillment.{FStatus.COLLECTED}",
            f"fulfillment.{FStatus.READY_FOR_PICKUP}")


async def events_after(ctx: Context, last: str, types: Sequence[str]) -> list[tuple[str, str, datetime, dict]]:
    """The events of these types written after the event ``last`` (ids sort by creation): id, type, time, data."""
    async with ctx.db.read() as conn:
        rows = await conn.execute(select(e.id, e.type, e.occurred_at, e.data)
                                  .where(e.id > last, e.type.in_(list(types))).order_by(e.id).limit(PAGE))
        return [tuple(r) for r in rows]


async def last_event(ctx: Context) -> str:
    async with ctx.db.read() as conn:
        return await conn.scalar(select(func.max(e.id))) or ""


async def stock_rows(ctx: Context) -> list[tuple[str, str, int]]:
    """Every stock row: node, SKU, on hand."""
    async with ctx.db.read() as conn:
        i = t.inventory.c
        rows = await conn.execute(select(i.node_id, i.sku, i.on_hand).order_by(i.node_id, i.sku))
        return [tuple(r) for r in rows]


async def orders_since(ctx: Context, since: datetime) -> list[dict]:
    """Each order captured from ``since`` on: channel, mode, promised window, at risk, cost, parts, and the
    times its parts were shipped and reached the customer (delivered, ready where they collect, collected)."""
    cost = t.sourcing_decisions.c.explanation["total_cost"]["amount"].as_integer()
    found: dict[str, dict] = {}
    async with ctx.db.read() as conn:
        for r in await conn.execute(
                select(o.id, o.channel, o.delivery_mode, o.delivery, o.status, o.at_risk, o.created_at,
                       o.total_amount, cost.label("cost"))
                .select_from(t.orders.outerjoin(t.sourcing_decisions))
                .where(o.created_at >= since)):
            promised = (r.delivery or {}).get("promised") or {}
            found[r.id] = {"id": r.id, "channel": r.channel, "mode": r.delivery_mode, "status": r.status,
                           "at_risk": r.at_risk is not None, "created_at": r.created_at, "cost": r.cost,
                           "total": r.total_amount, "latest": promised.get("latest"), "parts": 0, "nodes": set(),
                           "reached": None, "rejected": 0, "short": 0, "resourced": 0}
        for part in await conn.execute(
                select(f.order_id, f.node_id, f.status).join(t.orders).where(o.created_at >= since)):
            order = found[part.order_id]
            if part.status not in DROPPED:
                order["parts"] += 1
                order["nodes"].add(part.node_id)
            if part.status == FStatus.REJECTED:
                order["rejected"] += 1
        for r in await conn.execute(
                select(e.order_id, e.type, func.max(e.occurred_at), func.count()).join(t.orders, o.id == e.order_id)
                .where(o.created_at >= since, e.type.in_([*REACHING, "order.resourced",
                                                          "fulfillment.short_picked"]))
                .group_by(e.order_id, e.type)):
            order = found[r[0]]
            if r[1] == "order.resourced":
                order["resourced"] = r[3]
            elif r[1] == "fulfillment.short_picked":
                order["short"] = r[3]
            elif r[1] != f"fulfillment.{FStatus.COLLECTED}":  # reached: delivered, or ready where they collect
                order["reached"] = max(filter(None, (order["reached"], r[2])))
    return list(found.values())


async def picked_units(ctx: Context, since: datetime) -> list[tuple[str, datetime, int]]:
    """Units that left each node for orders (shipped or handed over) since then: node, when, units."""
    async with ctx.db.read() as conn:
        rows = await conn.execute(select(m.node_id, m.occurred_at, -m.delta)
                                  .where(m.occurred_at >= since, m.reason.in_(("ship", "collect")), m.delta < 0))
        return [tuple(r) for r in rows]


async def overbooked(ctx: Context, *, full: bool = False, since: date | None = None) -> list[dict]:
    """Each node's day (from ``since`` on) whose places taken pass its daily capacity (``full``: reach it), by
    node and day."""
    c, n = t.capacity_use.c, t.nodes.c
    used = func.sum(c.used)
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            select(c.resource, c.day, used.label("used"), n.daily_capacity)
            .join(t.nodes, n.id == c.resource)
            .where(n.daily_capacity.is_not(None), *([c.day >= since] if since else []))
            .group_by(c.resource, c.day, n.daily_capacity)
            .having(used >= n.daily_capacity if full else used > n.daily_capacity)
            .order_by(c.resource, c.day))
        return [{"node_id": r.resource, "day": r.day.isoformat(), "used": r.used, "capacity": r.daily_capacity}
                for r in rows]


async def misreserved(ctx: Context) -> list[dict]:
    """Fulfilment lines whose units do not add up: reserved below 0 or beyond what is left to send, or still
    reserved once the work is over. (A parcel given up after it left, not collected or sent back, counts its
    units both shipped and cancelled: its line is only held to cancel no more than it had.)"""
    fl = t.fulfillment_lines.c
    left = fl.quantity - fl.shipped - fl.cancelled - fl.short
    given_up = f.status == FStatus.CANCELLED
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            select(fl.fulfillment_id, fl.line_no, fl.sku, fl.reserved, left.label("left"), f.status)
            .join(t.fulfillments, f.id == fl.fulfillment_id)
            .where((fl.reserved < 0) | (f.status.in_(CLOSED) & (fl.reserved != 0))
                   | (~given_up & ((fl.reserved > left) | (left < 0)))
                   | (given_up & (fl.cancelled + fl.short > fl.quantity))))
        return [{"fulfillment_id": r.fulfillment_id, "line_no": r.line_no, "sku": r.sku, "reserved": r.reserved,
                 "left_to_send": r.left, "status": r.status} for r in rows]
