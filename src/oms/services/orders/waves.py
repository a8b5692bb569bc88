"""Release waves: a node with ``release_waves`` gets the work planned for it at those local times.

Until its wave, a fulfilment order is ``planned``: its units are reserved at the node, the node does
not see it as work yet, and it may still be re-planned with the other orders waiting (see
``batch.py``). At each sweep, the planned fulfilment orders whose wave has come are released, oldest
first (``fulfillment.released``). A node whose waves were removed gets its planned work at once. The
wave is that of the moment the work was planned (``updated_at`` of a planned fulfilment order; kept when
the batch plans it again).
``at`` is an input, so that time can be told in tests.
"""

from datetime import datetime

from sqlalchemy import Row, select

from ...db import tables as t
from ...domain.lifecycle import FStatus
from ..runtime.context import Context
from . import batch
from .state import OrderState

SYSTEM = "system:waves"
BATCH = 1000
f = t.fulfillments.c


async def planned(ctx: Context, *, at: datetime | None = None) -> list[tuple[str, str]]:
    """The planned fulfilment orders whose wave has come by ``at``, oldest first: (id, order id). Asked
    node by node, so that one node's work waiting for a later wave never holds back another's."""
    at = at or ctx.clock.now()
    snap = await ctx.reference.get(ctx.db)
    found: list[Row[str, str, datetime]] = []  # (id, order_id, updated_at)
    async with ctx.db.read() as conn:
        nodes = (await conn.scalars(select(f.node_id).where(f.status == FStatus.PLANNED).distinct())).all()
        for node_id in sorted(nodes):
            times = snap.times.get(node_id)
            wave = times.last_wave(at) if times and times.waves else at  # no waves (any more): at once
            if wave is None:
                continue
            found += (await conn.execute(
                select(f.id, f.order_id, f.updated_at).join(t.orders, t.orders.c.id == f.order_id)
                .where(f.node_id == node_id, f.status == FStatus.PLANNED, f.updated_at <= wave,
                       t.orders.c.hold.is_(None))  # (an order on hold waits for its release)
                .order_by(f.updated_at, f.id).limit(BATCH))).all()
    return [(r.id, r.order_id) for r in sorted(found, key=lambda r: (r.updated_at, r.id))[:BATCH]]


async def release_due(ctx: Context, *, at: datetime | None = None) -> int:
    """Release the planned fulfilment orders whose wave has come, the waiting orders planned again
    together first; how many."""
    at = at or ctx.clock.now()
    released = 0
    if await planned(ctx, at=at):
        await batch.run(ctx, at=at)
    for fulfillment_id, order_id in await planned(ctx, at=at):
        async with ctx.db.write() as conn:
            state = await OrderState.load(conn, order_id)
            ful = state.fulfillment(fulfillment_id)
            if ful["status"] != FStatus.PLANNED:
                continue  # re-planned or cancelled meanwhile
            state.move(ful, FStatus.RELEASED, actor=SYSTEM, at=at, reason="its release wave")
            await state.save(conn, actor=SYSTEM, at=at)
            released += 1
    return released
