"""Future supply: purchase orders and transfers expected at nodes, so availability can say when."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db import tables as t
from ..db.statements import upsert
from ..db.tables import now
from ..domain.access import Principal
from ..domain.errors import Conflict
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
        await _keep_promises(conn, items)
        await conn.execute(upsert(ctx.db.dialect, t.supply, ["id"], [k for k in rows[0] if k != "id"]), rows)
        await bump_reference(conn, ctx.db.dialect)
    return len(rows)


async def _keep_promises(conn: AsyncConnection, items: Sequence[SupplyIn]) -> None:
    """A supply cannot bring fewer units than backordered orders were promised, nor be cancelled while
    they wait for it: those orders must be cancelled or moved first (Conflict naming each item)."""
    c = t.supply.c
    promised = dict((await conn.execute(select(c.id, c.allocated).where(
        c.id.in_([x.id for x in items]), c.allocated > 0).with_for_update())).all())
    errors = []
    for i, x in enumerate(items):
        units = promised.get(x.id, 0)
        if units and x.status == "cancelled":
            errors.append({"field": f"items.{i}.status",
                           "reason": f"{units} units of supply {x.id} are promised to backordered orders"})
        elif units > x.quantity:
            errors.append({"field": f"items.{i}.quantity",
                           "reason": f"{units} units of supply {x.id} are promised to backordered orders, "
                                     f"more than {x.quantity}"})
    if errors:
        raise Conflict("; ".join(f"{e['field']}: {e['reason']}" for e in errors), errors=errors)


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
                  "expected_on": r.expected_on.isoformat(), "status": r.status, "promised": r.allocated}
                 for r in await conn.execute(query)]
    return pages.page(items, limit, lambda x: [x["id"]])
