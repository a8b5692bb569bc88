"""The outbox relay: events are stored in the transaction of the change they describe (``events`` with
``published_at`` null); after the commit, the relay hands them on and only then marks them published.

Each pass takes the oldest unpublished events (on PostgreSQL skipping rows another server holds), makes a
delivery row for every active webhook subscription that wants each one (and lets ``ctx.readers`` take
theirs: the connectors' reports to their platforms), publishes them to the stream
(``OMS_NATS_URL``) and marks them published, all in one transaction: a crash before the commit leaves
them unpublished and the next pass hands them on again (the stream drops the repeats by event id), a
crash after it has lost nothing. Nothing reaches a partner except from here.
"""

from collections import Counter
from datetime import datetime

from sqlalchemy import select, update

from ...db import counts
from ...db import tables as t
from ...domain.lifecycle import DStatus
from ...domain.webhooks import about, wants
from ..runtime.context import Context

BATCH = 500
e, w = t.events.c, t.webhooks.c


async def relay(ctx: Context, *, at: datetime | None = None) -> int:
    """Hand on the oldest unpublished events; how many."""
    at = at or ctx.clock.now()
    async with ctx.db.read() as conn:  # most passes find nothing: they take no write lock
        if await conn.scalar(select(e.id).where(e.published_at.is_(None)).limit(1)) is None:
            return 0
    async with ctx.db.write() as conn:
        query = (select(e.id, e.type, e.order_id, e.occurred_at, e.actor, e.reason, e.data)
                 .where(e.published_at.is_(None)).order_by(e.id).limit(BATCH))
        if ctx.db.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        events = (await conn.execute(query)).all()
        if not events:
            return 0
        hooks = (await conn.execute(select(w.id, w.events, w.node_id).where(w.active))).all()
        deliveries = [{"webhook_id": h.id, "event_id": ev.id, "order_id": ev.order_id, "status": DStatus.PENDING,
                       "attempts": 0, "next_attempt_at": at, "created_at": at}
                      for ev in events for h in hooks if wants(h.events, ev.type) and about(h.node_id, ev.data)]
        if deliveries:
            await conn.execute(t.webhook_deliveries.insert(), deliveries)
        await counts.add(conn, counted(events))
        for reader in ctx.readers:
            await reader(conn, events, at)
        if ctx.stream is not None:  # a failure leaves the events unpublished: the next pass tries again
            await ctx.stream.publish([payload(ev) for ev in events])
        await conn.execute(update(t.events).where(e.id.in_([ev.id for ev in events])).values(published_at=at))
    return len(events)


def counted(events) -> Counter:
    """What the metrics count of these events: each type, and orders captured per channel and mode."""
    found: Counter = Counter(("events", f"type={ev.type}") for ev in events)
    found.update(("orders_captured", f"channel={ev.data.get('channel')},mode={ev.data.get('delivery', {}).get('mode')}")
                 for ev in events if ev.type == "order.created")
    return found


def payload(ev) -> dict:
    """What a partner receives of an event (the webhook body, the stream message)."""
    return {"id": ev.id, "type": ev.type, "occurred_at": ev.occurred_at.isoformat(), "order_id": ev.order_id,
            "data": ev.data}
