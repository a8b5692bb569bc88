"""What platforms push, kept before it is answered: a delivery the platform was answered 200 for is written in
the inbox, so that a crash after the answer loses nothing and a slow capture never makes the platform send it
again. Capture works from the inbox afterwards.

The signature is the authentication: it is checked on the raw body before anything parses it, and an unknown
connector is refused in the same words as a bad signature (an outsider cannot learn which ids exist). A
delivery the platform sends again (the same delivery id) is answered 200 and kept once. A topic the OMS does
not take is answered 200 and not kept: a platform retries, then drops, a webhook whose deliveries fail.
"""

import json
from collections.abc import Mapping

from sqlalchemy import func, select, update

from ...db import statements
from ...db import tables as t
from ...domain.access import Principal
from ...domain.connectors import PUSHES, Kind, authentic, delivery_of, kept_headers, ping
from ...domain.errors import FieldError, InvalidInput, Unauthenticated, missing
from ...domain.platform_orders import ref_of
from ..runtime import pages
from ..runtime.context import Context
from . import settings

c, i = t.connectors.c, t.connector_inbox.c
# A record is pending until it is captured (or ignored: older than what was taken), or dead with its reason;
# a dead one is retried (pending again) or dismissed by an admin.
PENDING, CAPTURED, IGNORED, DEAD, DISMISSED = "pending", "captured", "ignored", "dead", "dismissed"
STATUSES = (PENDING, CAPTURED, IGNORED, DEAD, DISMISSED)
BODY_SHOWN = 2000  # characters of a kept body shown in the inbox's listing
# The one answer to a delivery not signed, to an unknown connector and to one that does not push.
NOT_SIGNED = ("the delivery is not signed with this connector's webhook secret (X-Shopify-Hmac-Sha256, "
              "X-WC-Webhook-Signature)")


async def receive(ctx: Context, connector_id: str, body: bytes, headers: Mapping[str, str]) -> dict:
    """Keep a pushed delivery (``headers``: lower-case names)."""
    if ping(body, headers):  # (whichever the connector: nothing is read nor kept)
        return {"kept": False, "duplicate": False, "delivery_id": None, "why": "the platform's ping"}
    async with ctx.db.read() as conn:
        row = (await conn.execute(select(t.connectors).where(c.id == connector_id))).mappings().first()
    kind = Kind(row["kind"]) if row is not None else None
    push = PUSHES.get(kind) if kind is not None else None
    if row is None or kind is None or push is None or not authentic(settings.webhook_secret(ctx, row), body,
                                                    headers.get(push.signature)):
        raise Unauthenticated(NOT_SIGNED)
    topic = headers.get(push.topic, "")
    if topic not in push.topics:
        return {"kept": False, "duplicate": False, "delivery_id": None,
                "why": f"topic {topic[:100]!r} is not one the OMS takes ({', '.join(sorted(push.topics))})"}
    try:
        text = body.decode("utf-8")
        record = json.loads(text)
        if not isinstance(record, dict):
            raise ValueError
    except ValueError:
        raise InvalidInput([FieldError("body", "must be a JSON object in UTF-8 (the platform's order)")]) from None
    delivery = delivery_of(push, body, headers)
    kept = await keep(ctx, connector_id, kind, [(delivery, topic, kept_headers(push, headers), text, record)])
    return {"kept": True, "duplicate": not kept, "delivery_id": delivery, "why": None}


Row = tuple[str, str, dict, str, dict]  # a record to keep: delivery id, topic, headers kept, body, the body read


async def keep(ctx: Context, connector_id: str, kind: Kind, records: list[Row]) -> int:
    """Write records (delivery id, topic, headers kept, body, the body read) in the inbox, each delivery
    once; how many were new."""
    at, new = ctx.clock.now(), 0
    async with ctx.db.write() as conn:
        for delivery, topic, headers, text, record in records:
            done = await conn.execute(statements.insert_unless_exists(ctx.db.dialect, t.connector_inbox).values(
                connector_id=connector_id, delivery_id=delivery, topic=topic, headers=headers, body=text,
                status=PENDING, attempts=0, received_at=at, platform_ref=ref_of(kind, record)))
            new += done.rowcount
    return new




async def listing(ctx: Context, connector_id: str, *, principal: Principal, status: str | None,
                  cursor: str | None, limit: int) -> dict:
    """The connector's inbox, newest first."""
    principal.require_admin()
    query = pages.before(select(t.connector_inbox).where(i.connector_id == connector_id), i.id, cursor, limit)
    if status:
        query = query.where(i.status == status)
    async with ctx.db.read() as conn:
        await settings.found(conn, connector_id)
        items = [{"id": r["id"], "delivery_id": r["delivery_id"], "platform_ref": r["platform_ref"],
                  "topic": r["topic"], "headers": r["headers"],
                  "body": r["body"][:BODY_SHOWN], "status": r["status"], "attempts": r["attempts"],
                  "error": r["error"], "received_at": r["received_at"].isoformat()}
                 for r in (await conn.execute(query)).mappings()]
    return pages.page(items, limit, lambda item: [str(item["id"])])


async def waiting(ctx: Context) -> dict[str, int]:
    """Each connector's deliveries waiting in its inbox."""
    async with ctx.db.read() as conn:
        rows = await conn.execute(select(i.connector_id, func.count()).where(i.status == PENDING)
                                  .group_by(i.connector_id))
        return {r[0]: r[1] for r in rows}


async def retry(ctx: Context, connector_id: str, *, principal: Principal, record_id: int | None = None) -> dict:
    """Dead letters pending again (one, or all of the connector's): worked on at the next pass, with the
    mapping as it is now."""
    return {"retried": await _dead_to(ctx, connector_id, principal, record_id, PENDING)}


async def dismiss(ctx: Context, connector_id: str, record_id: int, *, principal: Principal) -> dict:
    """A dead letter put aside for good (the order was entered by hand, or is not wanted)."""
    return {"dismissed": await _dead_to(ctx, connector_id, principal, record_id, DISMISSED)}


async def _dead_to(ctx: Context, connector_id: str, principal: Principal, record_id: int | None, status: str) -> int:
    principal.require_admin()
    query = update(t.connector_inbox).where(i.connector_id == connector_id, i.status == DEAD)
    if record_id is not None:
        query = query.where(i.id == record_id)
    async with ctx.db.write() as conn:
        await settings.found(conn, connector_id)
        done = await conn.execute(query.values(status=status, attempts=0 if status == PENDING else i.attempts))
        if record_id is not None and done.rowcount == 0:
            raise missing("dead letter", str(record_id))
    return done.rowcount
