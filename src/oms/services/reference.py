"""Reference data and stock counts: bulk upserts, all or nothing, and their listings."""

from collections.abc import Callable, Sequence

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db import tables as t
from ..db.statements import insert_unless_exists, upsert
from ..db.tables import now
from ..domain.errors import FieldError, InvalidInput
from ..domain.inventory import atp
from ..domain.vocabulary import STOCKLESS_NODE_TYPES
from . import pages
from .context import Context
from .inputs import NodeIn, ProductIn, StockIn
from .reference_cache import REFERENCE

CHUNK = 1000
Progress = Callable[[int], None] | None


def _chunks(rows: Sequence, size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _no_duplicates(items: Sequence, key, what: str, path: str = "items") -> None:
    seen: dict = {}
    errors = []
    for i, item in enumerate(items):
        k = key(item)
        if k in seen:
            errors.append(FieldError(f"{path}.{i}", f"{what} {k} already given at {path}.{seen[k]}"))
        seen.setdefault(k, i)
    if errors:
        raise InvalidInput(errors)


async def _bump_reference(conn: AsyncConnection, dialect: str) -> None:
    await conn.execute(insert_unless_exists(dialect, t.counters).values(name=REFERENCE, value=0))
    c = t.counters.c
    await conn.execute(update(t.counters).where(c.name == REFERENCE).values(value=c.value + 1))


async def _upsert_reference(ctx: Context, table, key: str, rows: list[dict], progress: Progress) -> int:
    """Create or replace reference rows in one transaction and bump the version the caches watch."""
    if not rows:
        return 0
    rows = sorted(rows, key=lambda row: row[key])  # key order: overlapping bulk calls cannot deadlock
    stmt = upsert(ctx.db.dialect, table, [key], [k for k in rows[0] if k != key])
    async with ctx.db.write() as conn:
        for chunk in _chunks(rows):
            await conn.execute(stmt, chunk)
            if progress:
                progress(len(chunk))
        await _bump_reference(conn, ctx.db.dialect)
    return len(rows)


async def upsert_products(ctx: Context, items: Sequence[ProductIn], progress: Progress = None) -> int:
    _no_duplicates(items, lambda p: p.sku, "sku")
    stamp = now()
    rows = [
        {**p.model_dump(exclude={"price"}), "price_amount": p.price.amount, "currency": p.price.currency,
         "updated_at": stamp}
        for p in items
    ]
    return await _upsert_reference(ctx, t.products, "sku", rows, progress)


async def upsert_nodes(ctx: Context, items: Sequence[NodeIn], progress: Progress = None) -> int:
    _no_duplicates(items, lambda n: n.id, "node")
    stamp = now()
    rows = [
        {**n.model_dump(mode="json", exclude={"address"}), "address": n.address.model_dump(),
         "lat": n.address.lat, "lng": n.address.lng, "updated_at": stamp}
        for n in items
    ]
    return await _upsert_reference(ctx, t.nodes, "id", rows, progress)


async def set_stock(ctx: Context, items: Sequence[StockIn], *, ref: str | None = None,
                    progress: Progress = None) -> int:
    """Absolute counts per node and SKU. Each change of on-hand is written to the movement ledger."""
    _no_duplicates(items, lambda s: (s.node_id, s.sku), "node and sku")
    snap = await ctx.reference.knowing(ctx.db, {s.sku for s in items}, {s.node_id for s in items})
    errors = []
    for i, s in enumerate(items):
        node = snap.nodes.get(s.node_id)
        if node is None:
            errors.append(FieldError(f"items.{i}.node_id", f"unknown node {s.node_id!r}"))
        elif node.type in STOCKLESS_NODE_TYPES:
            errors.append(FieldError(f"items.{i}.node_id", f"a {node.type} holds no stock"))
        if s.sku not in snap.products:
            errors.append(FieldError(f"items.{i}.sku", f"unknown sku {s.sku!r}"))
    if errors:
        raise InvalidInput(errors)

    c = t.inventory.c
    stamp = now()
    # Key order, like every other writer of stock rows, so that concurrent writers cannot deadlock.
    ordered = sorted(items, key=lambda s: (s.node_id, s.sku))
    async with ctx.db.write() as conn:
        for chunk in _chunks(ordered):
            keys = [(s.node_id, s.sku) for s in chunk]
            # Missing rows are created at zero first, so the lock below covers every counted row: two
            # counts of a new row then queue instead of both starting from nothing.
            await conn.execute(insert_unless_exists(ctx.db.dialect, t.inventory), [
                {"node_id": n, "sku": k, "on_hand": 0, "reserved": 0, "safety_stock": 0, "updated_at": stamp}
                for n, k in keys
            ])
            current = {
                (r.node_id, r.sku): (r.on_hand, r.safety_stock)
                for r in await conn.execute(
                    select(c.node_id, c.sku, c.on_hand, c.safety_stock)
                    .where(tuple_(c.node_id, c.sku).in_(keys))
                    .order_by(c.node_id, c.sku)
                    .with_for_update()
                )
            }
            rows, moves = [], []
            for s in chunk:
                before, safety = current[(s.node_id, s.sku)]
                rows.append({"k_node": s.node_id, "k_sku": s.sku, "on_hand": s.on_hand, "updated_at": stamp,
                             "safety_stock": safety if s.safety_stock is None else s.safety_stock})
                if s.on_hand != before:
                    moves.append({"node_id": s.node_id, "sku": s.sku, "delta": s.on_hand - before,
                                  "reason": "count", "ref": ref, "occurred_at": stamp})
            # Reserved is left alone: a count never touches live reservations.
            await conn.execute(_SET_COUNT, rows)
            if moves:
                await conn.execute(t.movements.insert(), moves)
            if progress:
                progress(len(chunk))
    return len(items)


_SET_COUNT = (
    update(t.inventory)
    .where(t.inventory.c.node_id == bindparam("k_node"), t.inventory.c.sku == bindparam("k_sku"))
    .values(on_hand=bindparam("on_hand"), safety_stock=bindparam("safety_stock"), updated_at=bindparam("updated_at"))
)


def _product_view(r) -> dict:
    return {"sku": r.sku, "name": r.name, "weight_g": r.weight_g, "length_mm": r.length_mm,
            "width_mm": r.width_mm, "height_mm": r.height_mm,
            "price": {"amount": r.price_amount, "currency": r.currency},
            "bulky": r.bulky, "hazardous": r.hazardous}


def _node_view(r) -> dict:
    return {"id": r.id, "type": r.type, "name": r.name, "address": r.address, "timezone": r.timezone,
            "fulfills": r.fulfills, "hands_over": r.hands_over, "opening_hours": r.opening_hours,
            "daily_capacity": r.daily_capacity, "active": r.active}


async def list_products(ctx: Context, *, cursor: str | None, limit: int) -> dict:
    c = t.products.c
    query = select(t.products).order_by(c.sku).limit(limit + 1)
    if after := pages.decode(cursor):
        query = query.where(c.sku > after[0])
    async with ctx.db.read() as conn:
        items = [_product_view(r) for r in await conn.execute(query)]
    return pages.page(items, limit, lambda p: [p["sku"]])


async def list_nodes(ctx: Context, *, type: str | None, cursor: str | None, limit: int) -> dict:
    c = t.nodes.c
    query = select(t.nodes).order_by(c.id).limit(limit + 1)
    if type:
        query = query.where(c.type == type)
    if after := pages.decode(cursor):
        query = query.where(c.id > after[0])
    async with ctx.db.read() as conn:
        items = [_node_view(r) for r in await conn.execute(query)]
    return pages.page(items, limit, lambda n: [n["id"]])


async def list_inventory(ctx: Context, *, sku: str | None, node_id: str | None, cursor: str | None,
                         limit: int) -> dict:
    c = t.inventory.c
    query = select(t.inventory).order_by(c.sku, c.node_id).limit(limit + 1)
    if sku:
        query = query.where(c.sku == sku)
    if node_id:
        query = query.where(c.node_id == node_id)
    if after := pages.decode(cursor, 2):
        query = query.where(tuple_(c.sku, c.node_id) > tuple_(*after))
    async with ctx.db.read() as conn:
        items = [
            {"node_id": r.node_id, "sku": r.sku, "on_hand": r.on_hand, "reserved": r.reserved,
             "safety_stock": r.safety_stock, "available": atp(r.on_hand, r.reserved, r.safety_stock)}
            for r in await conn.execute(query)
        ]
    return pages.page(items, limit, lambda i: [i["sku"], i["node_id"]])
