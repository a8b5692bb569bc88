"""Future supply: purchase orders and transfers expected at nodes, so availability can say when."""

from collections.abc import Sequence

from sqlalchemy import select

from ..db import tables as t
from ..db.statements import upsert
from ..db.tables import now
from ..domain.access import Principal
from . import pages
from .context import Context
from .inputs import SupplyIn
from .reference import bump_reference
from .validation import check_stock_rows, no_duplicates


async def upsert_supply(ctx: Context, items: Sequence[SupplyIn], *, principal: Principal) -> int:
    """Create or update expected supply by its reference, all or nothing; availability shows it within a
    second (it travels with the reference data)."""
    principal.require_admin()
    no_duplicates(items, lambda x: x.id, "supply id")
    await check_stock_rows(ctx, [(x.node_id, x.sku) for x in items])
    stamp = now()
    rows = sorted(({**x.model_dump(), "updated_at": stamp} for x in items), key=lambda r: r["id"])
    async with ctx.db.write() as conn:
        await conn.execute(upsert(ctx.db.dialect, t.supply, ["id"], [k for k in rows[0] if k != "id"]), rows)
        await bump_reference(conn, ctx.db.dialect)
    return len(rows)


async def list_supply(ctx: Context, *, sku: str | None, node_id: str | None, status: str | None,
                      cursor: str | None, limit: int) -> dict:
    c = t.supply.c
    query = select(t.supply).order_by(c.id).limit(limit + 1)
    for column, value in ((c.sku, sku), (c.node_id, node_id), (c.status, status)):
        if value:
            query = query.where(column == value)
    if after := pages.decode(cursor):
        query = query.where(c.id > after[0])
    async with ctx.db.read() as conn:
        items = [{"id": r.id, "kind": r.kind, "node_id": r.node_id, "sku": r.sku, "quantity": r.quantity,
                  "expected_on": r.expected_on.isoformat(), "status": r.status} for r in await conn.execute(query)]
    return pages.page(items, limit, lambda x: [x["id"]])
