"""Stock from the nodes: counts (snapshots) and movements (deltas), safe to replay and to reorder.

The rule that makes a feed order-safe: on-hand = the newest count + every movement that happened
after it. So
- a count older than the one on-hand rests on changes nothing (stale);
- a movement that happened before that count is already in it, and is recorded but not applied;
- a count arriving after newer movements adds them back on top of itself;
- a movement sent twice (same ``event_id``) is recorded once.
Whatever order the messages come in, the final stock is the same. Every change of on-hand is a row in
the movement ledger, so on-hand always equals the sum of its deltas.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db import tables as t
from ..db.statements import insert_unless_exists
from ..db.tables import now
from .context import Context
from .inputs import DeltaIn, SnapshotIn, StockIn
from .validation import check_stock_rows, no_duplicates

CHUNK = 1000
Progress = Callable[[int], None] | None
c = t.inventory.c
m = t.movements.c


@dataclass(frozen=True)
class Count:
    node_id: str
    sku: str
    on_hand: int
    safety_stock: int | None = None  # None keeps the row's own


async def _lock(conn: AsyncConnection, dialect: str, keys: list[tuple[str, str]], stamp: datetime,
                safety_of: Callable[[str], int]) -> dict:
    """Lock the stock rows of ``keys`` (sorted), creating missing ones at zero first so the lock covers
    them all: two writers of a new row then queue instead of both starting from nothing. A new row gets
    ``safety_of(node_id)`` as its safety stock."""
    await conn.execute(insert_unless_exists(dialect, t.inventory), [
        {"node_id": n, "sku": s, "on_hand": 0, "reserved": 0, "safety_stock": safety_of(n), "updated_at": stamp}
        for n, s in keys
    ])
    rows = await conn.execute(
        select(c.node_id, c.sku, c.on_hand, c.safety_stock, c.counted_at)
        .where(tuple_(c.node_id, c.sku).in_(keys))
        .order_by(*_byte_order(dialect, c.node_id, c.sku))
        .with_for_update()
    )
    return {(r.node_id, r.sku): r for r in rows}


async def _default_safety(ctx: Context) -> Callable[[str], int]:
    """Safety stock for rows created now, by their node's type (the protection rules)."""
    snap = await ctx.reference.get(ctx.db)
    return lambda node_id: snap.rules.safety_for(snap.nodes[node_id].type)


def _byte_order(dialect: str, *columns):
    """Sort as Python does (by code point), like every other writer of stock rows: PostgreSQL's own
    collation may sort keys otherwise, and two orders of locking deadlock. SQLite compares bytes already."""
    return [col.collate("C") for col in columns] if dialect == "postgresql" else list(columns)


_SET = (
    update(t.inventory)
    .where(c.node_id == bindparam("k_node"), c.sku == bindparam("k_sku"))
    .values(on_hand=bindparam("on_hand"), safety_stock=bindparam("safety_stock"),
            counted_at=bindparam("counted_at"), updated_at=bindparam("updated_at"))
)
_ADD = (
    update(t.inventory)
    .where(c.node_id == bindparam("k_node"), c.sku == bindparam("k_sku"))
    .values(on_hand=c.on_hand + bindparam("delta"), updated_at=bindparam("updated_at"))
)


async def apply_counts(ctx: Context, counts: Sequence[Count], *, counted_at: datetime, ref: str | None,
                       progress: Progress = None) -> tuple[int, int]:
    """Counts taken at ``counted_at``: (applied, stale). Each change of on-hand goes to the ledger."""
    stamp = now()
    safety_of = await _default_safety(ctx)
    applied = stale = 0
    ordered = sorted(counts, key=lambda x: (x.node_id, x.sku))  # key order, like every writer of stock rows
    async with ctx.db.write() as conn:
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            keys = [(x.node_id, x.sku) for x in chunk]
            rows = await _lock(conn, ctx.db.dialect, keys, stamp, safety_of)
            later = {(r.node_id, r.sku): r.total for r in await conn.execute(
                select(m.node_id, m.sku, func.sum(m.delta).label("total"))
                .where(tuple_(m.node_id, m.sku).in_(keys), m.occurred_at > counted_at, m.reason != "count")
                .group_by(m.node_id, m.sku))}
            updates, moves = [], []
            for x in chunk:
                row = rows[(x.node_id, x.sku)]
                if row.counted_at is not None and counted_at <= row.counted_at:
                    stale += 1
                    continue
                applied += 1
                on_hand = x.on_hand + (later.get((x.node_id, x.sku)) or 0)
                updates.append({"k_node": x.node_id, "k_sku": x.sku, "on_hand": on_hand, "counted_at": counted_at,
                                "safety_stock": row.safety_stock if x.safety_stock is None else x.safety_stock,
                                "updated_at": stamp})
                if on_hand != row.on_hand:
                    moves.append({"node_id": x.node_id, "sku": x.sku, "delta": on_hand - row.on_hand,
                                  "reason": "count", "ref": ref, "occurred_at": counted_at, "recorded_at": stamp})
            # Reserved is left alone: a count never touches live reservations.
            if updates:
                await conn.execute(_SET, updates)
            if moves:
                await conn.execute(t.movements.insert(), moves)
            if progress:
                progress(len(chunk))
    return applied, stale


async def apply_deltas(ctx: Context, deltas: Sequence[DeltaIn]) -> dict:
    """Movements reported by nodes (sales, receipts, adjustments, damages, returns), all or none.

    Answers how many were applied, how many were duplicates (an ``event_id`` seen before, in this call
    or an earlier one) and how many were stale (they happened before the count on-hand rests on).
    """
    await check_stock_rows(ctx, [(d.node_id, d.sku) for d in deltas])
    first: dict[str, DeltaIn] = {}
    for d in deltas:
        first.setdefault(d.event_id, d)
    stamp = now()
    safety_of = await _default_safety(ctx)
    keys = sorted({(d.node_id, d.sku) for d in first.values()})
    applied = stale = 0
    async with ctx.db.write() as conn:
        rows = {}
        for start in range(0, len(keys), CHUNK):
            rows.update(await _lock(conn, ctx.db.dialect, keys[start : start + CHUNK], stamp, safety_of))
        # Read only now, under the row locks: a concurrent call with the same messages has committed.
        ids = list(first)
        seen = set()
        for start in range(0, len(ids), CHUNK):
            seen.update(await conn.scalars(
                select(m.source_event_id).where(m.source_event_id.in_(ids[start : start + CHUNK]))))
        moves, totals = [], {}
        for d in first.values():
            if d.event_id in seen:
                continue
            counted_at = rows[(d.node_id, d.sku)].counted_at
            is_stale = counted_at is not None and d.occurred_at <= counted_at
            stale += is_stale
            applied += not is_stale
            delta = 0 if is_stale else d.delta
            moves.append({"node_id": d.node_id, "sku": d.sku, "delta": delta, "reason": d.reason,
                          "ref": "stale: before the count" if is_stale else None, "occurred_at": d.occurred_at,
                          "recorded_at": stamp, "source_event_id": d.event_id})
            totals[(d.node_id, d.sku)] = totals.get((d.node_id, d.sku), 0) + delta
        if moves:
            await conn.execute(t.movements.insert(), moves)
        changes = [{"k_node": n, "k_sku": s, "delta": q, "updated_at": stamp}
                   for (n, s), q in sorted(totals.items()) if q]
        if changes:
            await conn.execute(_ADD, changes)
    return {"applied": applied, "duplicates": len(deltas) - applied - stale, "stale": stale}



async def apply_snapshot(ctx: Context, snapshot: SnapshotIn) -> tuple[int, int]:
    """A node's count (``POST /v1/inventory/snapshots``): (applied, stale) rows, all checked first."""
    no_duplicates(snapshot.items, lambda x: x.sku, "sku")
    await check_stock_rows(ctx, [(snapshot.node_id, x.sku) for x in snapshot.items])
    counts = [Count(snapshot.node_id, x.sku, x.on_hand) for x in snapshot.items]
    return await apply_counts(ctx, counts, counted_at=snapshot.counted_at,
                              ref=f"snapshot {snapshot.counted_at.isoformat()}")


async def set_stock(ctx: Context, items: Sequence[StockIn], *, ref: str | None = None,
                    progress: Progress = None) -> int:
    """Counts taken now (``PUT /v1/inventory``, ``oms import stock``), all or none."""
    no_duplicates(items, lambda s: (s.node_id, s.sku), "node and sku")
    await check_stock_rows(ctx, [(s.node_id, s.sku) for s in items])
    counts = [Count(s.node_id, s.sku, s.on_hand, s.safety_stock) for s in items]
    await apply_counts(ctx, counts, counted_at=now(), ref=ref, progress=progress)
    return len(items)
