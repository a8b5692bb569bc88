"""Backordered fulfilment orders go to their node when the units they wait for are there.

A backordered line was promised units of an expected supply (``supply.allocated``) instead of stock.
When the node has the units (the supply was received, or stock came back otherwise), the line reserves
them like any order, gives its promise on the supply back, and the fulfilment order is released to the
node. Oldest first: an order that waited keeps its place in the queue. Servers run this every few
seconds with the hold sweeper; every write is one fulfilment order under its order's lock.
"""

from sqlalchemy import select

from ..db import stock, supply_promises
from ..db import tables as t
from ..db.tables import now
from ..domain.lifecycle import FStatus
from .context import Context
from .order_state import OrderState, still_to_send
from .reference import bump_reference

SYSTEM = "system:backorders"
BATCH = 200
f, fl = t.fulfillments.c, t.fulfillment_lines.c


class _NotYet(Exception):
    """The node lacks some of the units: nothing of the attempt is kept."""


async def release_backorders(ctx: Context) -> int:
    """Release every backordered fulfilment order whose node now has its units; how many were."""
    async with ctx.db.read() as conn:
        waiting = (await conn.execute(select(f.id, f.order_id).where(f.status == FStatus.BACKORDERED)
                                      .order_by(f.created_at, f.id).limit(BATCH))).all()
        if not waiting:
            return 0
        wanted: dict[str, list[tuple[str, str, int]]] = {}
        for r in await conn.execute(select(fl.fulfillment_id, fl.node_id, fl.sku, fl.quantity - fl.cancelled - fl.short)
                                    .where(fl.fulfillment_id.in_([w.id for w in waiting]))):
            wanted.setdefault(r[0], []).append((r[1], r[2], r[3]))
        available = await stock.available(conn, {sku for lines in wanted.values() for _, sku, _ in lines})
    snap = await ctx.reference.get(ctx.db)
    released = 0
    for fulfillment_id, order_id in waiting:
        # A first look without locks: most waiting orders are still waiting, and need no write.
        if not all(available.get((n, s), 0) >= q for n, s, q in wanted.get(fulfillment_id, [])):
            continue
        try:
            released += await _release(ctx, snap, fulfillment_id, order_id)
        except _NotYet:
            pass
    return released


async def _release(ctx: Context, snap, fulfillment_id: str, order_id: str) -> int:
    at = now()
    async with ctx.db.write() as conn:
        state = await OrderState.load(conn, order_id)
        ful = state.fulfillment(fulfillment_id)
        if ful["status"] != FStatus.BACKORDERED:
            return 0  # released or cancelled meanwhile
        lines = [x for x in state.lines_of(ful) if still_to_send(x)]
        keep_share = snap.rules.guard(state.order["channel"], snap.nodes[ful["node_id"]].type)
        if not await stock.reserve(conn, [(x["node_id"], x["sku"], still_to_send(x)) for x in lines],
                                   lambda _node: keep_share):
            raise _NotYet  # leaves the transaction: the reservations made so far are rolled back
        await supply_promises.give_back(conn, [(x["supply_id"], still_to_send(x)) for x in lines if x["supply_id"]])
        for x in lines:
            x["reserved"] = still_to_send(x)
        state.move(ful, FStatus.RELEASED, actor=SYSTEM, at=at, reason="the units it waited for are there")
        await state.save(conn, actor=SYSTEM, at=at)
        await bump_reference(conn, ctx.db.dialect)  # the supply shows its units free again
    return 1
