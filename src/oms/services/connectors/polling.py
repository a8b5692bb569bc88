"""Polling: the reconciliation that catches what webhooks missed (a webhook the platform dropped after its
retries failed, one never made, a platform that does not push).

Each connector is polled every ``poll_seconds`` for the orders changed since its high-water mark, less an
``OVERLAP`` (a platform's clock and its indexing lag a little); the first poll looks back ``FIRST``. Every
order read goes into the inbox as a delivery of its own (``poll:<id>:<updated_at>``: the same snapshot read
twice is kept once, and capture's versioning makes a snapshot already pushed change nothing), so capture
works from one place. The mark moves to the newest change kept, page by page where the platform sorts by
change, else once every page is read; never past a page that failed. A record without an id or a time is
kept all the same, to be a dead letter with its reason.
"""

import hashlib
import json
import logging
from datetime import timedelta

from sqlalchemy import or_, select, update

from ...db import tables as t
from ...domain.connectors import PUSHES, Kind
from ...domain.errors import Unavailable
from ...domain.platform_orders import Unreadable, stamp
from ..partners import safe_http
from ..runtime.context import Context
from . import inbox, settings
from .calls import PlatformError
from .platforms import POLLED, Progress, orders_since, probe

c = t.connectors.c
OVERLAP = timedelta(minutes=10)
FIRST = timedelta(days=1)
TIMEOUT_S = 30.0
ERROR_MAX = 500
log = logging.getLogger("oms.connectors")


async def poll_due(ctx: Context) -> int:
    """Poll the active connectors whose time has come; how many were polled. Each is claimed first (its
    ``polled_at`` moved by a conditional update), so that two processes never poll one at once."""
    at = ctx.clock.now()
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(c.id, c.polled_at, c.poll_seconds).where(
            c.active, c.kind.in_([k.value for k in POLLED])).order_by(c.id))).all()
    polled = 0
    for row in rows:
        if row.polled_at is not None and row.polled_at + timedelta(seconds=row.poll_seconds) > at:
            continue
        async with ctx.db.write() as conn:
            claimed = await conn.execute(update(t.connectors).where(
                c.id == row.id, or_(c.polled_at.is_(None), c.polled_at == row.polled_at)).values(polled_at=at))
        if claimed.rowcount == 1:
            await poll(ctx, row.id)
            polled += 1
    return polled


async def poll(ctx: Context, connector_id: str) -> dict:
    """Read the orders changed since the mark into the inbox: what was kept, the mark, the error if any."""
    async with ctx.db.read() as conn:
        connector = dict(await settings.found(conn, connector_id))
    kind = Kind(connector["kind"])
    progress = Progress(connector["poll_mark"])
    until = ctx.clock.now()
    since = (progress.mark or until - FIRST) - OVERLAP
    read = kept = 0
    error = None
    try:
        credentials = settings.credentials(ctx, connector)
        async with safe_http.client(allow_private=ctx.settings.webhook_allow_private, timeout=TIMEOUT_S) as http:
            async for page in orders_since(ctx, http, connector, credentials, since, until, progress):
                kept += await inbox.keep(ctx, connector_id, kind, _records(kind, page))
                read += len(page)
    except Exception as exc:  # (the platform's failure, or the OMS's: recorded, tried again at the next poll)
        error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, PlatformError) else str(exc)
        if not isinstance(exc, PlatformError):
            log.exception("connector %s: poll failed", connector_id)
    mark = progress.mark
    async with ctx.db.write() as conn:
        await conn.execute(update(t.connectors).where(c.id == connector_id).values(
            poll_mark=mark, poll_error=error[:ERROR_MAX] if error else None))
    return {"read": read, "kept": kept, "mark": mark.isoformat() if mark else None, "error": error}


async def check(ctx: Context, connector_id: str) -> list[tuple[str, bool, str]]:
    """What works for this connector, each (what, whether it works, what was found): its credentials can be
    opened, the platform answers a poll's first call with them. Nothing is kept."""
    async with ctx.db.read() as conn:
        connector = dict(await settings.found(conn, connector_id))
    kind = Kind(connector["kind"])
    found: list[tuple[str, bool, str]] = []
    try:
        credentials = settings.credentials(ctx, connector)
    except Unavailable as exc:
        return [("credentials", False, exc.detail)]
    found.append(("credentials", True, f"sealed and readable: {', '.join(sorted(credentials))}"))
    if kind not in POLLED:
        found.append(("orders", False, f"{kind} orders are not polled yet"))
    else:
        try:
            async with safe_http.client(allow_private=ctx.settings.webhook_allow_private,
                                        timeout=TIMEOUT_S) as http:
                found.append(("orders", True, await probe(ctx, http, connector, credentials,
                                                          ctx.clock.now() - OVERLAP)))
        except PlatformError as exc:
            found.append(("orders", False, str(exc)))
    if kind in PUSHES:
        found.append(("webhooks", True, f"give the platform /v1/connectors/{connector_id}/webhooks (on this "
                                        f"service's public address) for {', '.join(sorted(PUSHES[kind].topics))}"))
    return found


def _records(kind: Kind, page: list) -> list[inbox.Row]:
    """The page's records as inbox rows."""
    rows: list[inbox.Row] = []
    for record in page:
        text = json.dumps(record, ensure_ascii=False)
        try:
            ref, updated = stamp(kind, record)
        except Unreadable:
            rows.append(("poll:sha256:" + hashlib.sha256(text.encode()).hexdigest(), "poll", {}, text,
                         record if isinstance(record, dict) else {}))
            continue
        rows.append((f"poll:{ref}:{updated.isoformat()}", "poll", {}, text, record))
    return rows
