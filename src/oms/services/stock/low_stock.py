"""``inventory.low``: a SKU's available units at a node fell below the stock rules' ``low_stock_below``
(told once, until they are back: ``inventory.replenished``). The sweep looks at the stock rows changed
since its last look (all of them at its first), so the hot paths pay nothing for it; ``low_stock`` keeps
the rows told, and the database decides which server tells (an insert or a delete that found its row)."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Row, cast, delete, select, tuple_

from ...db import tables as t
from ...db.statements import insert_unless_exists
from ..partners.events import event
from ..runtime.context import Context

SYSTEM = "system:stock"
# Stock writers stamp ``updated_at`` before they commit: each look reads this much of the past again.
OVERLAP = timedelta(seconds=5)
CHUNK = 500
c, low = t.inventory.c, t.low_stock.c


async def tell_low_stock(ctx: Context, *, at: datetime | None = None) -> int:
    """Tell the stock rows that became low or were replenished since the last look; how many events."""
    at = at or ctx.clock.now()
    threshold = (await ctx.reference.get(ctx.db)).rules.low_stock_below
    since = ctx.batch.get("low_stock_since")
    if threshold <= 0:
        ctx.batch["low_stock_since"] = at - OVERLAP
        return 0
    available = cast(c.on_hand, BigInteger) - c.reserved - c.safety_stock
    query = select(c.node_id, c.sku, available)
    async with ctx.db.read() as conn:
        rows = (await conn.execute(query.where(c.updated_at >= since) if since else query)).all()
    told = 0
    for start in range(0, len(rows), CHUNK):
        told += await _tell(ctx, rows[start:start + CHUNK], threshold, at)
    ctx.batch["low_stock_since"] = at - OVERLAP  # only once all was looked at: a failure looks again
    return told


async def _tell(ctx: Context, rows: Sequence[Row[str, str, int]], threshold: int, at: datetime) -> int:
    keys = [(n, s) for n, s, _ in rows]
    async with ctx.db.write() as conn:
        flagged = {(n, s) for n, s in await conn.execute(
            select(low.node_id, low.sku).where(tuple_(low.node_id, low.sku).in_(keys)))}
        events = []
        fell = [(n, s, q) for n, s, q in rows if q < threshold and (n, s) not in flagged]
        if fell:
            new = {(r.node_id, r.sku) for r in await conn.execute(
                insert_unless_exists(ctx.db.dialect, t.low_stock).returning(low.node_id, low.sku),
                [{"node_id": n, "sku": s, "since": at} for n, s, _ in fell])}
            events += [_event("inventory.low", n, s, q, threshold, at) for n, s, q in fell if (n, s) in new]
        for n, s, q in rows:
            if q >= threshold and (n, s) in flagged:
                gone = await conn.execute(delete(t.low_stock).where(low.node_id == n, low.sku == s))
                if gone.rowcount:
                    events.append(_event("inventory.replenished", n, s, q, threshold, at))
        if events:
            await conn.execute(t.events.insert(), events)
    return len(events)


def _event(type: str, node_id: str, sku: str, available: int, threshold: int, at: datetime) -> dict:
    return event(type, order_id=None, actor=SYSTEM, at=at,
                 data={"node_id": node_id, "sku": sku, "available": int(available), "threshold": threshold})
