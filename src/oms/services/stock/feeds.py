"""Stock from the nodes: counts (snapshots) and movements (deltas), safe to replay and to reorder.

The rule that makes a feed order-safe: on-hand = the newest count + every movement that happened
after it. So
- a count older than the one on-hand rests on changes nothing (stale);
- a movement that happened before that count is already in it, and is recorded but not applied;
- a count arriving after newer movements adds them back on top of itself;
- a movement sent twice (same node and ``event_id``) is recorded once; each node numbers its own
  messages, so two nodes may use the same ``event_id``.
Whatever order the messages come in, the final stock is the same. Every change of on-hand is a row in
the movement ledger, so on-hand always equals the sum of its deltas. On-hand stays within what its
column holds (32-bit): a count or movement that would take it beyond is refused by name, before any write.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import stock
from ...db import tables as t
from ...db.statements import byte_order, insert_unless_exists
from ...domain.errors import FieldError, InvalidInput
from ..runtime.context import Context
from ..runtime.shapes import INT32
from ..runtime.validation import check_stock_rows, no_duplicates, not_ahead
from .inputs import DeltaIn, SnapshotIn, StockIn

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
    index: int = 0  # its place in the call, to name it (``items.N.on_hand``) when it is refused


def beyond_range(node_id: str, sku: str, on_hand: int) -> str | None:
    """Why ``on_hand`` cannot be stored (the column is a 32-bit integer), or None if it can."""
    if -INT32 <= on_hand <= INT32:
        return None
    return (f"would take on-hand of {sku} at {node_id} to {on_hand:,}; a stock row holds "
            f"{-INT32:,} to {INT32:,} units")


async def _lock(conn: AsyncConnection, dialect: str, keys: list[tuple[str, str]], stamp: datetime,
                safety_of: Callable[[str], int]) -> dict:
    """Lock the stock rows of ``keys`` (sorted), creating missing ones at zero first so the lock covers
    them all: two writers of a new row then queue instead of both starting from nothing. A new row gets
    ``safety_of(node_id)`` as its safety stock."""
    await stock.create_missing(conn, dialect, keys, stamp, safety_of)
    rows = await conn.execute(
        select(c.node_id, c.sku, c.on_hand, c.safety_stock, c.counted_at)
        .where(tuple_(c.node_id, c.sku).in_(keys))
        .order_by(*byte_order(dialect, c.node_id, c.sku))
        .with_for_update()
    )
    return {(r.node_id, r.sku): r for r in rows}


async def default_safety(ctx: Context) -> Callable[[str], int]:
    """Safety stock for rows created now, by their node's type (the protection rules)."""
    snap = await ctx.reference.get(ctx.db)
    return lambda node_id: snap.rules.safety_for(snap.nodes[node_id].type)


_SET = (
    update(t.inventory)
    .where(c.node_id == bindparam("k_node"), c.sku == bindparam("k_sku"))
    .values(on_hand=bindparam("on_hand"), safety_stock=bindparam("safety_stock"),
            counted_at=bindparam("counted_at"), updated_at=bindparam("updated_at"))
)


async def apply_counts(ctx: Context, counts: Sequence[Count], *, counted_at: datetime, ref: str | None,
                       progress: Progress = None) -> tuple[int, int]:
    """Counts taken at ``counted_at``: (applied, stale). Each change of on-hand goes to the ledger.

    All or none: a count that, with the movements after it, would take on-hand beyond its column's range
    is refused by name (``items.N.on_hand``) and nothing of the call is written.
    """
    if not counts:  # an empty bulk call is a no-op, as on every bulk endpoint
        return 0, 0
    stamp = ctx.clock.now()
    safety_of = await default_safety(ctx)
    applied = stale = 0
    errors: list[tuple[int, FieldError]] = []
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
                if reason := beyond_range(x.node_id, x.sku, on_hand):
                    errors.append((x.index, FieldError(f"items.{x.index}.on_hand", reason)))
                    continue
                updates.append({"k_node": x.node_id, "k_sku": x.sku, "on_hand": on_hand, "counted_at": counted_at,
                                "safety_stock": row.safety_stock if x.safety_stock is None else x.safety_stock,
                                "updated_at": stamp})
                if on_hand != row.on_hand:
                    moves.append({"node_id": x.node_id, "sku": x.sku, "delta": on_hand - row.on_hand,
                                  "reason": "count", "ref": ref, "occurred_at": counted_at, "recorded_at": stamp})
            if errors:
                continue  # the call is refused: look for more to report, write nothing
            # Reserved is left alone: a count never touches live reservations.
            if updates:
                await conn.execute(_SET, updates)
            if moves:
                await conn.execute(t.movements.insert(), moves)
            if progress:
                progress(len(chunk))
        if errors:
            raise InvalidInput([e for _, e in sorted(errors, key=lambda e: e[0])])
    return applied, stale


async def apply_deltas(ctx: Context, deltas: Sequence[DeltaIn]) -> dict:
    """Movements reported by nodes (sales, receipts, adjustments, damages, returns), all or none.

    Answers how many were applied, how many were duplicates (the same node's ``event_id`` seen before, in
    this call or an earlier one) and how many were stale (they happened before the count on-hand rests on).
    A movement that would take on-hand beyond its column's range is refused by name (``items.N.delta``).
    """
    not_ahead(ctx, ((f"items.{i}.occurred_at", d.occurred_at) for i, d in enumerate(deltas)))
    if not deltas:  # an empty bulk call is a no-op, as on every bulk endpoint
        return {"applied": 0, "duplicates": 0, "stale": 0}
    await check_stock_rows(ctx, [(d.node_id, d.sku) for d in deltas])
    first: dict[tuple[str, str], int] = {}  # (node, event id) -> where it first comes in the call
    for i, d in enumerate(deltas):
        first.setdefault((d.node_id, d.event_id), i)
    stamp = ctx.clock.now()
    safety_of = await default_safety(ctx)
    keys = sorted({(deltas[i].node_id, deltas[i].sku) for i in first.values()})
    # Written in (node, event id) order: two calls sharing event ids wait for each other in one order.
    order = sorted(first)
    async with ctx.db.write() as conn:
        rows = {}
        for start in range(0, len(keys), CHUNK):
            rows.update(await _lock(conn, ctx.db.dialect, keys[start : start + CHUNK], stamp, safety_of))
        moves, moves_by_key = [], {}
        for key in order:
            d = deltas[first[key]]
            counted_at = rows[(d.node_id, d.sku)].counted_at
            is_stale = counted_at is not None and d.occurred_at <= counted_at
            moves.append({"node_id": d.node_id, "sku": d.sku, "delta": 0 if is_stale else d.delta,
                          "reason": d.reason, "ref": "stale: before the count" if is_stale else None,
                          "occurred_at": d.occurred_at, "recorded_at": stamp, "source_event_id": d.event_id})
            moves_by_key[key] = moves[-1]
        # A message seen before inserts nothing, also one a concurrent call has just written (PostgreSQL
        # then waits for that call's end): what was inserted is what is new, and only that moves stock.
        new: set[tuple[str, str]] = set()
        insert = insert_unless_exists(ctx.db.dialect, t.movements).returning(m.node_id, m.source_event_id)
        for start in range(0, len(moves), CHUNK):
            new.update((r.node_id, r.source_event_id) for r in await conn.execute(insert, moves[start : start + CHUNK]))
        moved = sorted(first[key] for key in new if moves_by_key[key]["delta"])  # applied, in the call's order
        stale = len(new) - len(moved)
        totals: dict[tuple[str, str], int] = {}
        for d in (deltas[i] for i in moved):
            totals[(d.node_id, d.sku)] = totals.get((d.node_id, d.sku), 0) + d.delta
        _check_range(deltas, moved, rows, totals)
        changes = [{"k_node": n, "k_sku": s, "delta": q, "updated_at": stamp}
                   for (n, s), q in sorted(totals.items()) if q]
        if changes:
            await conn.execute(stock.ADD, changes)
    return {"applied": len(moved), "duplicates": len(deltas) - len(moved) - stale, "stale": stale}


def _check_range(deltas: Sequence[DeltaIn], moved: list[int], rows: dict[tuple[str, str], Any],
                 totals: dict[tuple[str, str], int]) -> None:
    """InvalidInput (the call rolls back) if a row's on-hand would end beyond its column's range, naming for
    each such row the movement from which, in the call's order, it is out of range."""
    beyond = {key for key, q in totals.items() if beyond_range(*key, rows[key].on_hand + q)}
    if not beyond:
        return
    running = {key: rows[key].on_hand for key in beyond}
    errors = []
    for i in moved:
        d = deltas[i]
        key = (d.node_id, d.sku)
        if key not in running:
            continue
        running[key] += d.delta
        if reason := beyond_range(d.node_id, d.sku, running[key]):
            errors.append(FieldError(f"items.{i}.delta", reason))
            del running[key]  # one movement named per row
    raise InvalidInput(errors)


async def apply_snapshot(ctx: Context, snapshot: SnapshotIn) -> tuple[int, int]:
    """A node's count (``POST /v1/inventory/snapshots``): (applied, stale) rows, all checked first."""
    not_ahead(ctx, [("counted_at", snapshot.counted_at)])
    no_duplicates(snapshot.items, lambda x: x.sku, "sku")
    await check_stock_rows(ctx, [(snapshot.node_id, x.sku) for x in snapshot.items])
    counts = [Count(snapshot.node_id, x.sku, x.on_hand, index=i) for i, x in enumerate(snapshot.items)]
    return await apply_counts(ctx, counts, counted_at=snapshot.counted_at,
                              ref=f"snapshot {snapshot.counted_at.isoformat()}")


async def set_stock(ctx: Context, items: Sequence[StockIn], *, ref: str | None = None,
                    progress: Progress = None, counted_at: datetime | None = None) -> tuple[int, int]:
    """Counts taken now (``PUT /v1/inventory``, ``oms import stock``; or at ``counted_at``), all or none:
    (applied, stale).

    A row is stale when a node has sent a count dated later than now (within the clock skew allowed):
    that count stands and this one changes nothing.
    """
    no_duplicates(items, lambda s: (s.node_id, s.sku), "node and sku")
    await check_stock_rows(ctx, [(s.node_id, s.sku) for s in items])
    counts = [Count(s.node_id, s.sku, s.on_hand, s.safety_stock, index=i) for i, s in enumerate(items)]
    return await apply_counts(ctx, counts, counted_at=counted_at or ctx.clock.now(), ref=ref, progress=progress)
