"""``PUT/GET /v1/replenishment/stores`` and ``/rules``: how stores are supplied and their SKUs replenished."""

from collections.abc import Sequence

from sqlalchemy import select

from ...db import tables as t
from ...domain.errors import FieldError, InvalidInput
from ...domain.vocabulary import NodeType
from ..reference.records import keyed_page, upsert_reference
from ..runtime.context import Context
from ..runtime.validation import no_duplicates
from .inputs import ReplenishmentRuleIn, ReplenishmentStoreIn

RULE_FIELDS = ("policy", "service_level", "presentation_min", "shelf_capacity", "case_pack", "rounding_threshold",
               "min_order", "days_of_supply")


async def put_stores(ctx: Context, items: Sequence[ReplenishmentStoreIn]) -> int:
    """Create or replace stores' supply, all or nothing: each a store, each supplied by a DC."""
    no_duplicates(items, lambda s: s.node_id, "store")
    types = await _types(ctx, {s.node_id for s in items} | {s.source_node_id for s in items})
    errors = []
    for i, s in enumerate(items):
        if types.get(s.node_id) != NodeType.STORE:
            errors.append(FieldError(f"items.{i}.node_id", _not(s.node_id, types, "a store")))
        if types.get(s.source_node_id) != NodeType.WAREHOUSE:
            errors.append(FieldError(f"items.{i}.source_node_id", _not(s.source_node_id, types, "a DC")))
    if errors:
        raise InvalidInput(errors)
    stamp = ctx.clock.now()
    return await upsert_reference(ctx, t.replenishment_stores, "node_id",
                                  [{**s.model_dump(), "updated_at": stamp} for s in items], None)


async def put_rules(ctx: Context, items: Sequence[ReplenishmentRuleIn]) -> int:
    """Create or replace rules, all or nothing: each for every store or one store, a SKU that exists or a
    class of SKUs."""
    no_duplicates(items, lambda r: (r.node_id, r.sku), "rule for that store and SKU")
    types = await _types(ctx, {r.node_id for r in items if r.node_id != "*"})
    skus = {r.sku for r in items if not r.sku.endswith("*")}
    async with ctx.db.read() as conn:
        known = set(await conn.scalars(select(t.products.c.sku).where(t.products.c.sku.in_(skus)))) if skus else set()
    errors = []
    for i, r in enumerate(items):
        if r.node_id != "*" and types.get(r.node_id) != NodeType.STORE:
            errors.append(FieldError(f"items.{i}.node_id", _not(r.node_id, types, "a store")))
        if not r.sku.endswith("*") and r.sku not in known:
            errors.append(FieldError(f"items.{i}.sku", f"no sku {r.sku!r} (a class of SKUs ends with *)"))
    if errors:
        raise InvalidInput(errors)
    stamp = ctx.clock.now()
    return await upsert_reference(ctx, t.replenishment_rules, "id", [
        {"id": f"{r.node_id}|{r.sku}", **r.model_dump(), "updated_at": stamp} for r in items], None)


async def list_stores(ctx: Context, *, cursor: str | None, limit: int) -> dict:
    return await keyed_page(ctx, t.replenishment_stores, "node_id", _store_view, cursor=cursor, limit=limit)


async def list_rules(ctx: Context, *, node_id: str | None, cursor: str | None, limit: int) -> dict:
    return await keyed_page(ctx, t.replenishment_rules, "id", _rule_view, cursor=cursor, limit=limit,
                            node_id=node_id)


def _store_view(r) -> dict:
    return {"node_id": r.node_id, "source_node_id": r.source_node_id, "order_weekdays": r.order_weekdays,
            "lead_days": r.lead_days, "lead_sigma_days": r.lead_sigma_days}


def _rule_view(r) -> dict:
    return {"id": r.id, "node_id": r.node_id, "sku": r.sku, **{f: getattr(r, f) for f in RULE_FIELDS}}


async def _types(ctx: Context, node_ids: set[str]) -> dict[str, str]:
    if not node_ids:
        return {}
    n = t.nodes.c
    async with ctx.db.read() as conn:
        return {r.id: r.type for r in await conn.execute(select(n.id, n.type).where(n.id.in_(node_ids)))}


def _not(node_id: str, types: dict[str, str], what: str) -> str:
    found = types.get(node_id)
    return f"no node {node_id!r}" if found is None else f"{node_id} is a {found}, not {what}"
