"""Re-derive stock counters from their sources and report every difference.

On-hand must equal the sum of the movement ledger; reserved must equal the units still held by
fulfilment lines and cart holds. Any difference means a write path broke the rules.
"""

from sqlalchemy import func, select

from ..db import tables as t
from .context import Context


async def stock_differences(ctx: Context) -> list[dict]:
    inv, mv = t.inventory.c, t.movements.c
    async with ctx.db.read() as conn:
        counters = {(r.node_id, r.sku): (r.on_hand, r.reserved) for r in await conn.execute(
            select(inv.node_id, inv.sku, inv.on_hand, inv.reserved))}
        ledger = dict(((r.node_id, r.sku), r.total) for r in await conn.execute(
            select(mv.node_id, mv.sku, func.sum(mv.delta).label("total")).group_by(mv.node_id, mv.sku)))
        held: dict = {}
        for table in (t.fulfillment_lines, t.hold_lines):  # order reservations, then cart holds
            c = table.c
            for r in await conn.execute(
                    select(c.node_id, c.sku, func.sum(c.reserved).label("total")).group_by(c.node_id, c.sku)):
                held[(r.node_id, r.sku)] = held.get((r.node_id, r.sku), 0) + (r.total or 0)
    differences = []
    for key in sorted(set(counters) | set(ledger) | set(held)):
        on_hand, reserved = counters.get(key, (0, 0))
        if on_hand != (ledger.get(key) or 0) or reserved != (held.get(key) or 0):
            differences.append({"node_id": key[0], "sku": key[1], "on_hand": on_hand,
                                "ledger_on_hand": ledger.get(key) or 0, "reserved": reserved,
                                "held_by_reservations": held.get(key) or 0})
    return differences
