"""Reference records: products and nodes upserted in bulk (all or nothing) and listed, and stock rows listed."""

from collections.abc import Callable, Sequence

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import tables as t
from ...db.statements import insert_unless_exists, upsert
from ...domain.access import Principal
from ...domain.inventory import atp
from ..runtime import pages
from ..runtime.context import Context
from ..runtime.validation import no_duplicates
from .cache import REFERENCE
from .inputs import NodeIn, ProductIn

CHUNK = 1000
Progress = Callable[[int], None] | None


def _chunks(rows: Sequence, size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def bump_reference(conn: AsyncConnection, dialect: str) -> None:
    await conn.execute(insert_unless_exists(dialect, t.counters).values(name=REFERENCE, value=0))
    c = t.counters.c
    await conn.execute(update(t.counters).where(c.name == REFERENCE).values(value=c.value + 1))


async def upsert_reference(ctx: Context, table, key: str, rows: list[dict], progress: Progress) -> int:
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
        await bump_reference(conn, ctx.db.dialect)
    return len(rows)


async def upsert_products(ctx: Context, items: Sequence[ProductIn], progress: Progress = None) -> int:
    no_duplicates(items, lambda p: p.sku, "sku")
    stamp = ctx.clock.now()
    rows = [
        {**p.model_dump(exclude={"price"}), "price_amount": p.price.amount, "currency": p.price.currency,
         "updated_at": stamp}
        for p in items
    ]
    return await upsert_reference(ctx, t.products, "sku", rows, progress)


async def upsert_nodes(ctx: Context, items: Sequence[NodeIn], progress: Progress = None) -> int:
    no_duplicates(items, lambda n: n.id, "node")
    stamp = ctx.clock.now()
    rows = [
        {**n.model_dump(mode="json", exclude={"address"}), "address": n.address.model_dump(),
         "lat": n.address.lat, "lng": n.address.lng, "updated_at": stamp}
        for n in items
    ]
    return await upsert_reference(ctx, t.nodes, "id", rows, progress)


def _product_view(r) -> dict:
    return {"sku": r.sku, "name": r.name, "weight_g": r.weight_g, "length_mm": r.length_mm,
            "width_mm": r.width_mm, "height_mm": r.height_mm,
            "price": {"amount": r.price_amount, "currency": r.currency},
            "bulky": r.bulky, "hazardous": r.hazardous, "active": r.active}


def _node_view(r) -> dict:
    return {"id": r.id, "type": r.type, "name": r.name, "address": r.address, "timezone": r.timezone,
            "fulfills": r.fulfills, "hands_over": r.hands_over, "opening_hours": r.opening_hours,
            "exceptions": r.exceptions, "processing_minutes": r.processing_minutes,
            "carrier_cutoff": r.carrier_cutoff, "daily_capacity": r.daily_capacity,
            "handling_cost_per_order": r.handling_cost_per_order, "handling_cost_per_unit": r.handling_cost_per_unit,
            "accept_within_minutes": r.accept_within_minutes, "release_waves": r.release_waves,
            "confirms_cancel": r.confirms_cancel, "collect_within_days": r.collect_within_days,
            "returns_to": r.returns_to, "region": r.region, "public_holidays": r.public_holidays, "takes": r.takes,
            "compartments": r.compartments, "collection_car_share": r.collection_car_share, "active": r.active}


async def keyed_page(ctx: Context, table, key: str, view: Callable, *, cursor: str | None, limit: int,
                     **filters: str | None) -> dict:
    """A page of ``table`` in ``key`` order, the rows shown by ``view``; ``filters``: column=value, where
    given."""
    column = table.c[key]
    query = select(table).order_by(column).limit(limit + 1)
    for name, value in filters.items():
        if value:
            query = query.where(table.c[name] == value)
    if after := pages.decode(cursor):
        query = query.where(column > after[0])
    async with ctx.db.read() as conn:
        items = [view(r) for r in await conn.execute(query)]
    return pages.page(items, limit, lambda item: [item[key]])


async def list_products(ctx: Context, *, cursor: str | None, limit: int) -> dict:
    return await keyed_page(ctx, t.products, "sku", _product_view, cursor=cursor, limit=limit)


async def list_nodes(ctx: Context, *, type: str | None, cursor: str | None, limit: int) -> dict:
    return await keyed_page(ctx, t.nodes, "id", _node_view, cursor=cursor, limit=limit, type=type)


async def list_inventory(ctx: Context, *, principal: Principal, sku: str | None, node_id: str | None,
                         cursor: str | None, limit: int) -> dict:
    principal.require_stock_read(node_id)
    node_id = node_id or principal.node_filter()
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


async def recent_movements(ctx: Context, *, sku: str, limit: int = 20) -> list[dict]:
    """A SKU's latest stock movements at every node, newest first: what moved it, by how much, and why."""
    m = t.movements.c
    async with ctx.db.read() as conn:
        rows = await conn.execute(select(m.node_id, m.delta, m.reason, m.ref, m.occurred_at)
                                  .where(m.sku == sku).order_by(m.id.desc()).limit(limit))
        return [{"node_id": r.node_id, "delta": r.delta, "reason": r.reason, "ref": r.ref,
                 "occurred_at": r.occurred_at.isoformat()} for r in rows]
