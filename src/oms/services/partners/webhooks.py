"""Webhook subscriptions (admin): create, list, switch off; each one's delivery log and its replay."""

from collections.abc import Mapping

from sqlalchemy import select, update

from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import NotFound
from ...domain.ids import new_id
from ...domain.lifecycle import DStatus
from ...domain.webhooks import excerpt
from ..runtime import pages
from ..runtime.context import Context
from . import safe_http
from .inputs import ReplayIn, WebhookIn

w, d, e = t.webhooks.c, t.webhook_deliveries.c, t.events.c


def _view(r: Mapping) -> dict:
    """A subscription as shown: never its secret."""
    return {"id": r["id"], "url": r["url"], "events": r["events"], "node_id": r["node_id"], "active": r["active"],
            "created_at": r["created_at"].isoformat()}


async def create(ctx: Context, body: WebhookIn, *, principal: Principal) -> dict:
    principal.require_admin()
    await safe_http.reachable(ctx, body.url, "url")
    row = {"id": new_id("whk"), "url": body.url, "events": body.events, "secret": "",
           "sealed_secret": ctx.secrets.seal(body.secret), "active": True, "node_id": body.node_id,
           "created_at": ctx.clock.now()}
    async with ctx.db.write() as conn:
        await conn.execute(t.webhooks.insert().values(**row))
    return _view(row)


async def list_all(ctx: Context, *, principal: Principal) -> dict:
    principal.require_admin()
    async with ctx.db.read() as conn:
        return {"items": [_view(r) for r in (await conn.execute(select(t.webhooks).order_by(w.id))).mappings()]}


async def get(ctx: Context, webhook_id: str, *, principal: Principal) -> dict:
    principal.require_admin()
    async with ctx.db.read() as conn:
        return _view((await _found(conn, webhook_id))._mapping)


async def switch_off(ctx: Context, webhook_id: str, *, principal: Principal) -> dict:
    """No more events are handed to it; what is pending still goes out."""
    principal.require_admin()
    async with ctx.db.write() as conn:
        await _found(conn, webhook_id)
        await conn.execute(update(t.webhooks).where(w.id == webhook_id).values(active=False))
        return _view((await _found(conn, webhook_id))._mapping)


async def deliveries(ctx: Context, webhook_id: str, *, principal: Principal, status: str | None,
                     cursor: str | None, limit: int) -> dict:
    """The delivery log, newest event first."""
    principal.require_admin()
    query = (select(d.event_id, e.type, d.order_id, d.status, d.attempts, d.last_status, d.last_error,
                    d.next_attempt_at, d.created_at, d.delivered_at)
             .join(t.events, e.id == d.event_id).where(d.webhook_id == webhook_id)
             .order_by(d.event_id.desc()).limit(limit + 1))
    if status:
        query = query.where(d.status == status)
    if after := pages.decode(cursor):
        query = query.where(d.event_id < after[0])
    async with ctx.db.read() as conn:
        await _found(conn, webhook_id)
        items = [{"event_id": r.event_id, "type": r.type, "order_id": r.order_id, "status": r.status,
                  "attempts": r.attempts, "last_status": r.last_status, "last_error": _excerpt(r.last_error),
                  "next_attempt_at": _iso(r.next_attempt_at), "created_at": _iso(r.created_at),
                  "delivered_at": _iso(r.delivered_at)} for r in await conn.execute(query)]
    return pages.page(items, limit, lambda item: [item["event_id"]])


async def replay(ctx: Context, webhook_id: str, body: ReplayIn, *, principal: Principal) -> dict:
    """Send again: the deliveries named (delivered ones too), or every dead one; from a first attempt. Any
    delivery may become pending again (``DELIVERY_TRANSITIONS``)."""
    principal.require_admin()
    at = ctx.clock.now()
    async with ctx.db.write() as conn:
        await _found(conn, webhook_id)
        which = d.event_id.in_(body.event_ids) if body.event_ids else d.status == DStatus.DEAD
        done = await conn.execute(update(t.webhook_deliveries).where(d.webhook_id == webhook_id, which).values(
            status=DStatus.PENDING, attempts=0, next_attempt_at=at, last_error=None, delivered_at=None))
        if body.event_ids and done.rowcount < len(set(body.event_ids)):
            known = set((await conn.scalars(select(d.event_id).where(
                d.webhook_id == webhook_id, d.event_id.in_(body.event_ids)))).all())
            raise NotFound(f"no delivery to {webhook_id} of {', '.join(sorted(set(body.event_ids) - known))}")
    return {"replayed": done.rowcount}


async def _found(conn, webhook_id: str):
    row = (await conn.execute(select(t.webhooks).where(w.id == webhook_id))).first()
    if row is None:
        raise NotFound(f"no webhook {webhook_id!r}")
    return row


def _excerpt(error: str | None) -> str | None:
    return excerpt(error) if error else error  # also what older versions kept whole


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
