"""``GET /v1/replenishment/demand``: a store's daily demand of a SKU, per stream, from its stock ledger."""

from datetime import time, timedelta

from sqlalchemy import select

from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import NotFound
from ...domain.replenishment.demand import Move, daily
from ..runtime.context import Context

m, inv = t.movements.c, t.inventory.c


async def demand(ctx: Context, *, principal: Principal, node_id: str, sku: str, days: int) -> dict:
    """The last ``days`` days (today included, the node's local dates): walk-in sales, online orders the node
    sent or handed over, returns put back on its shelves, the on-hand each day began with, and whether it
    was out of stock (see ``domain.replenishment.demand``)."""
    principal.require_store_demand(node_id)
    snap = await ctx.reference.knowing(ctx.db, {sku}, {node_id})
    if node_id not in snap.nodes:
        raise NotFound(f"no node {node_id!r}")
    if sku not in snap.products:
        raise NotFound(f"no sku {sku!r}")
    calendar = snap.times[node_id].calendar
    today = calendar.local_date(ctx.clock.now())
    first = today - timedelta(days=days - 1)
    async with ctx.db.read() as conn:
        on_hand = await conn.scalar(select(inv.on_hand).where(inv.node_id == node_id, inv.sku == sku)) or 0
        rows = (await conn.execute(select(m.delta, m.reason, m.occurred_at).where(
            m.node_id == node_id, m.sku == sku, m.occurred_at >= calendar.at(first, time(0))))).all()
    moves = [Move(calendar.local_date(r.occurred_at), r.delta, r.reason) for r in rows]
    seen = daily(moves, on_hand, first, today)
    return {"node_id": node_id, "sku": sku, "on_hand": on_hand, "days": [
        {"date": d.day.isoformat(), "walk_in": d.walk_in, "online": d.online, "returns": d.returns,
         "opening_on_hand": d.opening, "out_of_stock": d.out_of_stock} for d in seen],
        "totals": {"walk_in": sum(d.walk_in for d in seen), "online": sum(d.online for d in seen),
                   "returns": sum(d.returns for d in seen), "out_of_stock_days": sum(d.out_of_stock for d in seen)}}
