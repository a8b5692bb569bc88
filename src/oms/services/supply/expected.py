"""Future supply: purchase orders and transfers expected at nodes, so availability can say when."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import supply_promises
from ...db import tables as t
from ...db.statements import upsert
from ...domain.access import Principal
from ...domain.errors import Conflict
from ..reference.records import bump_reference, keyed_page
from ..runtime.context import Context
from ..runtime.validation import check_stock_rows, no_duplicates
from .backorders import release_received
from .inputs import SupplyIn


async def upsert_supply(ctx: Context, items: Sequence[SupplyIn], *, principal: Principal) -> int:
    """Create or update expected supply by its reference, all or nothing; availability shows it within a
    second (it travels with the reference data). A supply marked received hands its units to the
    backorders that waited for it, in the same write."""
    principal.require_admin()
    if not items:  # an empty bulk call is a no-op, as on every bulk endpoint
        return 0
    no_duplicates(items, lambda x: x.id, "supply id")
    await check_stock_rows(ctx, [(x.node_id, x.sku) for x in items])
    snap = await ctx.reference.get(ctx.db)

    def safety_of(node_id: str) -> int:
        return snap.rules.safety_for(snap.nodes[node_id].type)

    stamp = ctx.clock.now()
    rows = sorted(({**x.model_dump(), "updated_at": stamp} for x in items), key=lambda r: r["id"])
    received = [x.id for x in items if x.status == "received"]
    for _ in range(ATTEMPTS):
        try:
            async with ctx.db.write() as conn:
                handed = await release_received(conn, ctx.db.dialect, received, actor=principal.actor,
                                                safety_of=safety_of, at=stamp)
                await _keep_promises(conn, items, handed)
                await supply_promises.give_back(conn, handed.items())
                await conn.execute(upsert(ctx.db.dialect, t.supply, ["id"], [k for k in rows[0] if k != "id"]), rows)
                await bump_reference(conn, ctx.db.dialect)
            return len(rows)
        except _PromisedMeanwhile:
            continue  # an order was promised units of a received supply meanwhile: hand them over too
    raise Conflict(f"supply kept changing under {ATTEMPTS} attempts in a row; try again")


ATTEMPTS = 5


class _PromisedMeanwhile(Exception):
    pass


async def _keep_promises(conn: AsyncConnection, items: Sequence[SupplyIn], handed: dict[str, int]) -> None:
    """A supply cannot bring fewer units than backordered orders were promised, nor be cancelled or moved
    to another node or SKU while they wait for it: those orders must be cancelled first (Conflict naming
    each item). Every row is locked first, so that no promise lands between this check and the write."""
    c = t.supply.c
    stored = {r.id: r for r in await conn.execute(select(c.id, c.allocated, c.node_id, c.sku).where(
        c.id.in_(sorted(x.id for x in items))).order_by(c.id).with_for_update())}
    errors = []
    for i, x in enumerate(items):
        row = stored.get(x.id)
        units = row.allocated - handed.get(x.id, 0) if row else 0
        if row is None or not units:
            continue
        if x.status == "received":
            raise _PromisedMeanwhile
        promised = f"{units} units of supply {x.id} are promised to backordered orders"
        if x.status == "cancelled":
            errors.append({"field": f"items.{i}.status", "reason": promised})
        elif (x.node_id, x.sku) != (row.node_id, row.sku):
            field = "node_id" if x.node_id != row.node_id else "sku"
            errors.append({"field": f"items.{i}.{field}", "reason": f"{promised} at {row.node_id}, SKU {row.sku}"})
        elif units > x.quantity:
            errors.append({"field": f"items.{i}.quantity", "reason": f"{promised}, more than {x.quantity}"})
    if errors:
        raise Conflict("; ".join(f"{e['field']}: {e['reason']}" for e in errors), errors=errors)


def _supply_view(r) -> dict:
    return {"id": r.id, "kind": r.kind, "node_id": r.node_id, "sku": r.sku, "quantity": r.quantity,
            "expected_on": r.expected_on.isoformat(), "status": r.status, "promised": r.allocated}


async def list_supply(ctx: Context, *, sku: str | None, node_id: str | None, status: str | None,
                      cursor: str | None, limit: int) -> dict:
    return await keyed_page(ctx, t.supply, "id", _supply_view, cursor=cursor, limit=limit, sku=sku,
                            node_id=node_id, status=status)
