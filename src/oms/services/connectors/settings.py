"""Connectors as data (admin): make, list, change one; its product references mapped to SKUs.

Credentials are write-only: sealed together at rest (``secret_box``, with ``OMS_SECRET_KEY``), shown by their
names only. A connector of a kind that pushes answers with its ``webhook_url``, the one address to give the
platform (the topic comes in the platform's own header).
"""

import json
from collections.abc import Mapping

from sqlalchemy import delete, func, select, update

from ...db import tables as t
from ...domain.access import Principal
from ...domain.connectors import NEEDED, PUSHES, Kind
from ...domain.errors import Conflict, FieldError, InvalidInput, Problems, Unavailable, missing
from ...domain.ids import new_id
from ..partners import safe_http
from ..partners.secret_box import SecretUnreadable
from ..runtime import pages
from ..runtime.context import Context
from .inputs import ConnectorIn, ConnectorPatch, ConnectorSkuIn, MappedSku, MappedSkus

c, m = t.connectors.c, t.connector_skus.c
ERRORS_SHOWN = 20  # unknown SKUs named in one refusal


def view(r: Mapping) -> dict:
    """A connector as shown: its credentials' names, never their values."""
    pushes = Kind(r["kind"]) in PUSHES
    return {"id": r["id"], "kind": r["kind"], "channel": r["channel"], "base_url": r["base_url"],
            "credentials": r["credential_names"], "shipping_modes": r["shipping_modes"],
            "poll_seconds": r["poll_seconds"], "timezone": r["timezone"],
            "cancel_reason": r["cancel_reason"], "active": r["active"],
            "webhook_url": f"/v1/connectors/{r['id']}/webhooks" if pushes else None,
            "created_at": r["created_at"].isoformat(), "updated_at": r["updated_at"].isoformat()}


def credentials(ctx: Context, r: Mapping) -> dict[str, str]:
    """A connector's credentials, opened; Unavailable when another OMS_SECRET_KEY sealed them (an admin gives
    them again: ``change``)."""
    try:
        found: dict[str, str] = json.loads(ctx.secrets.unseal(r["sealed_credentials"]))
    except SecretUnreadable:
        raise Unavailable(f"connector {r['id']}'s credentials were sealed with another OMS_SECRET_KEY: an admin "
                          "must give them again (PATCH /v1/connectors/{id} with all of them)") from None
    return found


def webhook_secret(ctx: Context, r: Mapping) -> str:
    return credentials(ctx, r)["webhook_secret"]


def _sealed(ctx: Context, kind: Kind, given: dict[str, str]) -> dict:
    """The credentials sealed, refused unless they are the kind's: all it needs, nothing else."""
    problems = Problems()
    for name in sorted(set(given) - NEEDED[kind]):
        problems.add(f"credentials.{name}", f"a {kind} connector takes {', '.join(sorted(NEEDED[kind]))}")
    if lacking := sorted(NEEDED[kind] - set(given)):
        problems.add("credentials", f"a {kind} connector needs {', '.join(lacking)}")
    problems.raise_if_any()
    return {"sealed_credentials": ctx.secrets.seal(json.dumps(given, sort_keys=True)),
            "credential_names": sorted(given)}


async def create(ctx: Context, body: ConnectorIn, *, principal: Principal) -> dict:
    principal.require_admin()
    sealed = _sealed(ctx, body.kind, body.credentials)
    await safe_http.reachable(ctx, body.base_url, "base_url")
    at = ctx.clock.now()
    row = {"id": new_id("con"), "kind": body.kind.value, "channel": body.channel.value, "base_url": body.base_url,
           **sealed, "shipping_modes": {k: v.value for k, v in body.shipping_modes.items()},
           "poll_seconds": body.poll_seconds, "timezone": body.timezone,
           "cancel_reason": body.cancel_reason, "active": body.active, "created_at": at,
           "updated_at": at}
    async with ctx.db.write() as conn:
        await conn.execute(t.connectors.insert().values(**row))
    return view(row)


async def list_all(ctx: Context, *, principal: Principal) -> dict:
    principal.require_admin()
    async with ctx.db.read() as conn:
        return {"items": [view(r) for r in (await conn.execute(select(t.connectors).order_by(c.id))).mappings()]}


async def get(ctx: Context, connector_id: str, *, principal: Principal) -> dict:
    principal.require_admin()
    async with ctx.db.read() as conn:
        return view(await found(conn, connector_id))


async def change(ctx: Context, connector_id: str, body: ConnectorPatch, *, principal: Principal) -> dict:
    """Change what is given: credentials of the names given are replaced, the others kept."""
    principal.require_admin()
    if body.base_url is not None:
        await safe_http.reachable(ctx, body.base_url, "base_url")
    async with ctx.db.write() as conn:
        row = await found(conn, connector_id, lock=True)
        values: dict = {"updated_at": ctx.clock.now()}
        if body.credentials is not None:
            # All of them given: the ones kept are not read (they may have been sealed with another key).
            whole = NEEDED[Kind(row["kind"])] <= set(body.credentials)
            try:
                kept = {} if whole else credentials(ctx, row)
            except Unavailable as exc:
                raise Conflict(exc.detail) from None
            values.update(_sealed(ctx, Kind(row["kind"]), {**kept, **body.credentials}))
        for name in ("base_url", "poll_seconds", "timezone", "cancel_reason", "active"):
            if (value := getattr(body, name)) is not None:
                values[name] = value
        if body.channel is not None:
            values["channel"] = body.channel.value
        if body.shipping_modes is not None:
            values["shipping_modes"] = {k: v.value for k, v in body.shipping_modes.items()}
        await conn.execute(update(t.connectors).where(c.id == connector_id).values(**values))
        return view(await found(conn, connector_id))


async def map_skus(ctx: Context, connector_id: str, body: MappedSkus, *, principal: Principal) -> dict:
    """Replace the connector's mapping of the platform's references to SKUs."""
    principal.require_admin()
    async with ctx.db.write() as conn:
        await found(conn, connector_id, lock=True)
        mapped = await _replace(ctx, conn, [connector_id], [(connector_id, item) for item in body.items])
    return {"mapped": mapped}


async def put_skus(ctx: Context, items: list[ConnectorSkuIn]) -> int:
    """A mapping file's rows: the mapping of each connector they name replaced by its rows, all or none."""
    async with ctx.db.write() as conn:
        named = list(dict.fromkeys(item.connector_id for item in items))
        known = set((await conn.scalars(select(c.id).where(c.id.in_(named)).order_by(c.id)
                                        .with_for_update())).all())
        problems = Problems()
        for i, item in enumerate(items):
            if item.connector_id not in known:
                problems.add(f"items.{i}.connector_id", f"no connector {item.connector_id!r}")
        problems.raise_if_any()
        return await _replace(ctx, conn, named, [(item.connector_id, item) for item in items])


async def _replace(ctx: Context, conn, connectors: list[str], items: list[tuple[str, MappedSku]]) -> int:
    """Replace the mapping of ``connectors`` with ``items``: each SKU one the OMS knows, each reference mapped
    once per connector (errors name ``items.<i>``)."""
    wanted = {item.sku for _, item in items}
    known = set((await conn.scalars(select(t.products.c.sku).where(t.products.c.sku.in_(wanted)))).all())
    errors, seen = [], set()
    for i, (connector_id, item) in enumerate(items):
        if item.sku not in known:
            errors.append(FieldError(f"items.{i}.sku", f"no product {item.sku!r}"))
        if (connector_id, item.platform_ref) in seen:
            errors.append(FieldError(f"items.{i}.platform_ref", f"{item.platform_ref!r} is mapped twice"))
        seen.add((connector_id, item.platform_ref))
    if errors:
        more = f" (and {len(errors) - ERRORS_SHOWN} more)" if len(errors) > ERRORS_SHOWN else ""
        raise InvalidInput(errors[:ERRORS_SHOWN],
                           "; ".join(f"{e.field}: {e.reason}" for e in errors[:ERRORS_SHOWN]) + more)
    await conn.execute(delete(t.connector_skus).where(m.connector_id.in_(connectors)))
    if items:
        await conn.execute(t.connector_skus.insert(), [
            {"connector_id": connector_id, "platform_ref": item.platform_ref, "sku": item.sku}
            for connector_id, item in items])
    await conn.execute(update(t.connectors).where(c.id.in_(connectors)).values(updated_at=ctx.clock.now()))
    return len(items)


async def skus(ctx: Context, connector_id: str, *, principal: Principal, cursor: str | None, limit: int) -> dict:
    """The mapping, by platform reference."""
    principal.require_admin()
    query = (select(m.platform_ref, m.sku).where(m.connector_id == connector_id)
             .order_by(m.platform_ref).limit(limit + 1))
    if after := pages.decode(cursor):
        query = query.where(m.platform_ref > after[0])
    async with ctx.db.read() as conn:
        await found(conn, connector_id)
        total = await conn.scalar(select(func.count()).select_from(t.connector_skus).where(
            m.connector_id == connector_id))
        items = [{"platform_ref": r.platform_ref, "sku": r.sku} for r in await conn.execute(query)]
    return {**pages.page(items, limit, lambda item: [item["platform_ref"]]), "total": total}


async def found(conn, connector_id: str, *, lock: bool = False) -> Mapping:
    """The connector's row (``lock``: held until the transaction ends, for a change read from it)."""
    query = select(t.connectors).where(c.id == connector_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise missing("connector", connector_id)
    return row
