"""Re-derive stock counters from their sources, report every difference, and repair them.

On-hand must equal the sum of the movement ledger; reserved must equal the units still held by
fulfilment lines, cart holds and transfers not yet shipped; the units an expected supply promised must equal
what the backordered lines waiting for it still want. Any difference means a write path broke the rules.
"""

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Integer, bindparam, func, literal, or_, select, tuple_, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import stock
from ...db import tables as t
from ...db.statements import byte_order
from ...domain.lifecycle import FStatus
from ..runtime.context import Context

CHUNK = 1000  # (node, sku) keys per statement
Key = tuple[str, str]
inv, mv = t.inventory.c, t.movements.c


async def _differences(conn: AsyncConnection, keys: Sequence[Key] | None = None) -> list[dict]:
    """Every (node, sku), or only ``keys``, whose counters differ from their sources, in key order.

    Compared in the database, in ONE statement (one snapshot): an order converting a hold moves units from
    one to the other without touching the stock row, and two reads could miss them in both. Only the
    differing rows come back: a network has millions of stock rows and a far longer ledger.
    """
    def only(query, table):
        return query if keys is None else query.where(tuple_(table.c.node_id, table.c.sku).in_(keys))

    def zero(name: str):
        return literal(0, Integer).label(name)

    # Each source summed per key first (the ledger above all), then the four side by side.
    sources = union_all(
        only(select(inv.node_id, inv.sku, inv.on_hand, inv.reserved, zero("ledger"), zero("held")), t.inventory),
        only(select(mv.node_id, mv.sku, zero("on_hand"), zero("reserved"), func.sum(mv.delta), zero("held"))
             .group_by(mv.node_id, mv.sku), t.movements),
        *(only(select(table.c.node_id, table.c.sku, zero("on_hand"), zero("reserved"), zero("ledger"),
                      func.sum(table.c.reserved)).group_by(table.c.node_id, table.c.sku), table)
          for table in (t.fulfillment_lines, t.hold_lines, t.transfer_lines)),
    ).subquery()
    on_hand, reserved, ledger, held = (func.coalesce(func.sum(sources.c[i]), 0) for i in range(2, 6))
    found = await conn.execute(
        select(sources.c.node_id, sources.c.sku, on_hand, reserved, ledger, held)
        .group_by(sources.c.node_id, sources.c.sku)
        .having(or_(on_hand != ledger, reserved != held)))
    return [{"node_id": n, "sku": s, "on_hand": o, "ledger_on_hand": lo, "reserved": r, "held_by_reservations": h}
            for n, s, o, r, lo, h in sorted(found, key=lambda row: (row[0], row[1]))]


async def stock_differences(ctx: Context) -> list[dict]:
    async with ctx.db.read() as conn:
        if ctx.db.dialect == "postgresql":
            # One snapshot for all the reads: a write committed between two of them is not a difference.
            # (SQLite's read transaction is one snapshot already.)
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        return await _differences(conn)


# Both counters set from their sources, and stamped so the in-memory stock mirror reads the row again.
_REPAIR = (
    update(t.inventory)
    .where(inv.node_id == bindparam("k_node"), inv.sku == bindparam("k_sku"))
    .values(on_hand=bindparam("on_hand"), reserved=bindparam("reserved"), updated_at=bindparam("updated_at"))
)


async def repair_stock(ctx: Context) -> list[dict]:
    """Set every differing counter from its sources, in one transaction, safe while the service runs.

    Answers what was repaired: ``on_hand_was`` and ``reserved_was`` (None where the row was missing and
    has been created) and the ``on_hand`` and ``reserved`` the row holds now. A second run finds nothing.

    Reserved is set to the units the fulfilment, hold and transfer lines still keep: the reservations are the truth
    for it. On-hand is set to the sum of the ledger, and the ledger gets no row for that: it already says
    what on-hand is. A counter that disagrees with its ledger was changed by a write path without a
    movement; the ledger is the append-only record of every change, so the counter is what was wrong and
    is repaired from it (a movement for the difference would instead make the bad write look legitimate).

    A difference whose node or product is unknown cannot have a stock row: it is left, and ``stock_differences``
    still reports it.
    """
    snap = await ctx.reference.get(ctx.db, now=True)
    stamp = ctx.clock.now()
    repaired = []
    async with ctx.db.write() as conn:
        # Candidates only: this read takes no lock, so each one is derived again below, under its row lock.
        keys = [(d["node_id"], d["sku"]) for d in await _differences(conn)
                if d["node_id"] in snap.nodes and d["sku"] in snap.products]
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            created = await _lock(conn, ctx.db.dialect, chunk, stamp,
                                  lambda node_id: snap.rules.safety_for(snap.nodes[node_id].type))
            # Under the locks: every write to these rows has committed (or waits for this transaction),
            # and a stock write changes its row, its ledger and its reservations in the same transaction.
            found = await _differences(conn, chunk)
            if not found:
                continue
            await conn.execute(_REPAIR, [{"k_node": d["node_id"], "k_sku": d["sku"], "on_hand": d["ledger_on_hand"],
                                          "reserved": d["held_by_reservations"], "updated_at": stamp} for d in found])
            for d in found:
                new = (d["node_id"], d["sku"]) in created
                repaired.append({"node_id": d["node_id"], "sku": d["sku"],
                                 "on_hand_was": None if new else d["on_hand"], "on_hand": d["ledger_on_hand"],
                                 "reserved_was": None if new else d["reserved"],
                                 "reserved": d["held_by_reservations"]})
    return repaired


async def _lock(conn: AsyncConnection, dialect: str, keys: list[Key], stamp: datetime,
                safety_of: Callable[[str], int]) -> set[Key]:
    """Lock the stock rows of ``keys`` (sorted) in code-point order, as every writer of stock rows does,
    creating missing ones at zero first so the lock covers them all. Answers the keys created."""
    created_keys = await stock.create_missing(conn, dialect, keys, stamp, safety_of)
    await conn.execute(select(inv.node_id).where(tuple_(inv.node_id, inv.sku).in_(keys))
                       .order_by(*byte_order(dialect, inv.node_id, inv.sku)).with_for_update())
    return created_keys


async def _promise_differences(conn: AsyncConnection, ids: Sequence[str] | None = None) -> list[dict]:
    s, f, fl = t.supply.c, t.fulfillments.c, t.fulfillment_lines.c
    promised = {r.id: r.allocated for r in await conn.execute(
        select(s.id, s.allocated).where(s.allocated != 0 if ids is None else s.id.in_(ids)))}
    waiting_query = (select(fl.supply_id, func.sum(fl.quantity - fl.cancelled - fl.short).label("total"))
                     .join(t.fulfillments, f.id == fl.fulfillment_id)
                     .where(f.status == FStatus.BACKORDERED, fl.supply_id.is_not(None)).group_by(fl.supply_id))
    if ids is not None:
        waiting_query = waiting_query.where(fl.supply_id.in_(ids))
    waiting = {r.supply_id: r.total or 0 for r in await conn.execute(waiting_query)}
    return [{"supply_id": k, "promised": promised.get(k, 0), "waiting": waiting.get(k, 0)}
            for k in sorted(set(promised) | set(waiting)) if promised.get(k, 0) != waiting.get(k, 0)]


async def promise_differences(ctx: Context) -> list[dict]:
    """Every expected supply whose promised units (``supply.allocated``) differ from what the backordered
    lines waiting for it still want."""
    async with ctx.db.read() as conn:
        if ctx.db.dialect == "postgresql":
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        return await _promise_differences(conn)


async def repair_promises(ctx: Context) -> list[dict]:
    """Set every differing supply's promised units to what its backorders wait for (the orders are the
    truth for it), under the supply rows' locks; answers what was repaired."""
    s = t.supply.c
    async with ctx.db.write() as conn:
        ids = [d["supply_id"] for d in await _promise_differences(conn)]
        if not ids:
            return []
        await conn.execute(select(s.id).where(s.id.in_(ids)).order_by(s.id).with_for_update())
        found = await _promise_differences(conn, ids)
        if found:
            await conn.execute(update(t.supply).where(s.id == bindparam("k_id")).values(allocated=bindparam("n")),
                               [{"k_id": d["supply_id"], "n": d["waiting"]} for d in found])
    return found
