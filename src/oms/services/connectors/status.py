"""How a connector is doing, as an operator asks it (``GET /v1/connectors/{id}/status``, the console) and as
``/metrics`` shows it for every connector."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ...db import tables as t
from ...domain.access import Principal
from ..runtime.context import Context
from . import outgoing, settings
from .inbox import DEAD, PENDING

c, i, p, o = t.connectors.c, t.connector_inbox.c, t.connector_orders.c, t.orders.c
POLL_TOPIC = "poll"
DAY = timedelta(hours=24)
NONE_FAILING = {"reports_failing": 0, "reports_dead": 0, "last_report_error": None}


async def status(ctx: Context, connector_id: str, *, principal: Principal) -> dict:
    principal.require_admin()
    at = ctx.clock.now()
    async with ctx.db.read() as conn:
        row = await settings.found(conn, connector_id)
        mine = i.connector_id == connector_id
        last_webhook = await conn.scalar(select(func.max(i.received_at)).where(mine, i.topic != POLL_TOPIC))
        pending, oldest = (await conn.execute(select(func.count(), func.min(i.received_at)).where(
            mine, i.status == PENDING))).one()
        dead = await conn.scalar(select(func.count()).select_from(t.connector_inbox).where(mine, i.status == DEAD))
        orders = await conn.scalar(select(func.count()).select_from(t.connector_orders).join(
            t.orders, o.id == p.order_id).where(p.connector_id == connector_id, o.created_at > at - DAY))
    told = (await outgoing.failing(ctx, connector_id)).get(connector_id, NONE_FAILING)
    return {
        "id": connector_id, "kind": row["kind"], "active": row["active"],
        "last_webhook_at": _iso(last_webhook), "last_poll_at": _iso(row["polled_at"]),
        "poll_mark": _iso(row["poll_mark"]), "poll_error": row["poll_error"],
        # How far behind: the platform's changes not yet polled, the records not yet captured.
        "poll_lag_seconds": _age(row["poll_mark"], at), "inbox_lag_seconds": _age(oldest, at),
        "pending": pending, "dead_letters": dead, "orders_last_24h": orders, **told,
    }


async def every(ctx: Context) -> list[dict]:
    """For ``/metrics``: each connector's records waiting and dead, the oldest waiting, its poll."""
    at = ctx.clock.now()
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(c.id, c.kind, c.poll_mark, c.poll_error))).all()
        counted = {(r.connector_id, r.status): r for r in await conn.execute(
            select(i.connector_id, i.status, func.count().label("n"), func.min(i.received_at).label("oldest"))
            .where(i.status.in_([PENDING, DEAD])).group_by(i.connector_id, i.status))}
    told = await outgoing.failing(ctx)
    found = []
    for r in rows:
        pending, dead = counted.get((r.id, PENDING)), counted.get((r.id, DEAD))
        found.append({"id": r.id, "kind": r.kind, "pending": pending.n if pending else 0,
                      "dead_letters": dead.n if dead else 0,
                      "inbox_lag_seconds": _age(pending.oldest if pending else None, at),
                      "poll_lag_seconds": _age(r.poll_mark, at), "poll_failing": r.poll_error is not None,
                      **told.get(r.id, NONE_FAILING)})
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _age(since: datetime | None, at: datetime) -> float | None:
    return round(max(0.0, (at - since).total_seconds()), 3) if since else None
