"""Re-derive stock counters from their sources and report every difference.

On-hand must equal the sum of the movement ledger; reserved must equal the units still held by
fulfilment lines. Any difference means a write path broke the rules.
"""

from sqlalchemy import func, select

from ..db import tables as t
from .context import Context


async def stock_differences(ctx: Context) -> list[dict]:
    inv, mv, fl = t.inventory.c, t.movements.c, t.fulfillment_lines.c
    async with ctx.db.read() as conn:
        counters = {(r.node_id, r.sku): (r.on_hand, r.reserved) for r in await conn.execute(
            select(inv.node_id, inv.sku, inv.on_hand, inv.reserved))}
        ledger = dict(((r.node_id, r.sku), r.total) for r in await conn.execute(
            select(mv.node_id, mv.sku, func.sum(mv.delta).label("total")).group_by(mv.node_id, mv.sku)))
        held = dict(((r.node_id, r.sku), r.total) for r in await conn.execute(
            select(fl.node_id, fl.sku, func.sum(fl.reserved).label("total")).group_by(fl.node_id, fl.sku)))
    differences = []
    for key in sorted(set(counters) | set(ledger) | set(held)):
        on_hand, reserved = counters.get(key, (0, 0))
        if on_hand != (ledger.get(key) or 0) or reserved != (held.get(key) or 0):
            differences.append({"node_id": key[0], "sku": key[1], "on_hand": on_hand,
                                "ledger_on_hand": ledger.get(key) or 0, "reserved": reserved,
                                "held_by_fulfillments": held.get(key) or 0})
    return differences
