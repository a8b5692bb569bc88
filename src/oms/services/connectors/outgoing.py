"""What the platforms are told, as an operator sees it (``/v1/connectors/{id}/reports``, the status, the
console, ``/metrics``): each report with how its sending went, those failing, and a retry of the dead ones
once what they died of is mended (a reason code set, an extension installed, the credentials given again)."""

from sqlalchemy import and_, func, select, update

from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import missing
from ..runtime import pages
from ..runtime.context import Context
from . import settings
from .reports import DEAD, PENDING

r = t.connector_reports.c


async def listing(ctx: Context, connector_id: str, *, principal: Principal, status: str | None,
                  cursor: str | None, limit: int) -> dict:
    """The connector's reports, newest first."""
    principal.require_admin()
    query = pages.before(select(t.connector_reports).where(r.connector_id == connector_id), r.id, cursor, limit)
    if status:
        query = query.where(r.status == status)
    async with ctx.db.read() as conn:
        await settings.found(conn, connector_id)
        items = [{"id": x["id"], "platform_ref": x["platform_ref"], "order_id": x["order_id"],
                  "action": x["action"], "data": x["data"], "status": x["status"], "attempts": x["attempts"],
                  "error": x["error"], "next_at": x["next_at"].isoformat(), "created_at": x["created_at"].isoformat(),
                  "done_at": x["done_at"].isoformat() if x["done_at"] else None}
                 for x in (await conn.execute(query)).mappings()]
    return pages.page(items, limit, lambda item: [str(item["id"])])


async def retry(ctx: Context, connector_id: str, *, principal: Principal, report_id: int | None = None) -> dict:
    """Dead reports pending again (one, or all of the connector's), sent at the next pass with their tries
    counted afresh."""
    principal.require_admin()
    query = update(t.connector_reports).where(r.connector_id == connector_id, r.status == DEAD)
    if report_id is not None:
        query = query.where(r.id == report_id)
    async with ctx.db.write() as conn:
        await settings.found(conn, connector_id)
        done = await conn.execute(query.values(status=PENDING, attempts=0, next_at=ctx.clock.now()))
        if report_id is not None and done.rowcount == 0:
            raise missing("dead report", str(report_id))
    return {"retried": done.rowcount}


async def failing(ctx: Context, connector_id: str | None = None) -> dict[str, dict]:
    """Per connector: the reports being tried again after a failure, the dead ones, and the words of the
    newest of them's last failure."""
    failed = and_(r.status.in_([PENDING, DEAD]), r.attempts > 0)
    query = select(r.connector_id, func.count().filter(r.status == PENDING).label("retrying"),
                   func.count().filter(r.status == DEAD).label("dead"), func.max(r.id).label("last")
                   ).where(failed).group_by(r.connector_id)
    if connector_id is not None:
        query = query.where(r.connector_id == connector_id)
    async with ctx.db.read() as conn:
        rows = (await conn.execute(query)).all()
        errors = dict((await conn.execute(select(r.id, r.error).where(r.id.in_([x.last for x in rows])))).all())
    return {x.connector_id: {"reports_failing": x.retrying, "reports_dead": x.dead,
                             "last_report_error": errors.get(x.last)} for x in rows}
