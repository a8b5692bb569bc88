"""Webhook deliveries: each event POSTed to each subscription that wants it, signed, retried, in order.

A subscription gets an order's events one after the other: only the oldest undelivered delivery of
each (subscription, order) is sent, the next one once it is delivered or dead. Events of different
orders go out side by side. A delivery is claimed before it is sent (its next attempt moved past the
time the request may take), so two servers do not send it at once. A 2xx answer delivers it; anything
else (an error status, a refused connection, a timeout) is an attempt, retried with growing waits; after
the last attempt the delivery is dead until replayed. A partner may receive an event twice (its answer
lost): it carries the same ``id`` each time.

Requests go through ``safe_http``: only to addresses checked at the moment of connecting, so a name that
now leads inside the service's network is a failed attempt that says so, and nothing is sent. The delivery
log keeps the answer's status and a short printable excerpt of its body, never a whole page.
"""

import asyncio
import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Row, and_, select, update

from ...db import counts
from ...db import tables as t
from ...domain.lifecycle import DStatus
from ...domain.webhooks import after_attempt, excerpt, next_attempt, timed_signature
from ..runtime.context import Context
from . import safe_http
from .outbox import payload
from .secret_box import SecretUnreadable

SCAN = 5000  # pending deliveries of a subscription looked at per pass, oldest first
AT_ONCE = 20  # requests in flight
TIMEOUT_S = 10.0
d, e, w = t.webhook_deliveries.c, t.events.c, t.webhooks.c


async def deliver_due(ctx: Context, *, at: datetime | None = None, wait_s: float = TIMEOUT_S) -> int:
    """Send the deliveries due by ``at`` that are first in line, each waiting ``wait_s`` seconds at most for
    its answer; how many were delivered."""
    at = at or ctx.clock.now()
    rows: list[Row[Any, Any, Any, Any, Any]] = []  # (webhook_id, event_id, order_id, attempts, next_attempt_at)
    async with ctx.db.read() as conn:
        # Subscription by subscription: a partner down with thousands waiting holds back no other partner.
        waiting = (await conn.scalars(select(d.webhook_id).where(d.status == DStatus.PENDING).distinct())).all()
        for webhook_id in sorted(waiting):
            rows += (await conn.execute(
                select(d.webhook_id, d.event_id, d.order_id, d.attempts, d.next_attempt_at)
                .where(d.webhook_id == webhook_id, d.status == DStatus.PENDING).order_by(d.event_id).limit(SCAN))).all()
    heads, seen = [], set()
    for r in rows:
        line = (r.webhook_id, r.order_id or r.event_id)
        if line in seen:
            continue  # an older event of this order waits for this subscription
        seen.add(line)
        if r.next_attempt_at <= at:
            heads.append(r)
    claimed = await _claim(ctx, heads, at)
    if not claimed:
        return 0
    async with ctx.db.read() as conn:
        events = {r.id: r for r in (await conn.execute(
            select(e.id, e.type, e.order_id, e.occurred_at, e.actor, e.reason, e.data)
            .where(e.id.in_(sorted({r.event_id for r in claimed}))))).all()}
        hooks = {r.id: r for r in (await conn.execute(
            select(w.id, w.url, w.secret, w.sealed_secret)
            .where(w.id.in_(sorted({r.webhook_id for r in claimed}))))).all()}
    gate = asyncio.Semaphore(AT_ONCE)
    async with safe_http.client(allow_private=ctx.settings.webhook_allow_private, timeout=wait_s) as client:
        async def send(r):
            async with gate:
                return r, await _post(ctx, client, hooks[r.webhook_id], events[r.event_id], r.attempts + 1)
        results = await asyncio.gather(*(send(r) for r in claimed))
    failed = Counter(("webhook_failures", f"webhook={r.webhook_id}") for r, (status, _) in results
                     if not _ok(status))
    async with ctx.db.write() as conn:
        await counts.add(conn, failed)
        for r, (status, error) in results:
            tries = r.attempts + 1
            after = after_attempt(_ok(status), tries)
            values = {"attempts": tries, "last_status": status, "last_error": error}
            if after == DStatus.DELIVERED:
                values.update(status=after, delivered_at=ctx.clock.now(), next_attempt_at=None)
            elif after == DStatus.DEAD:
                values.update(status=after, next_attempt_at=None)
            else:  # still pending
                values.update(next_attempt_at=next_attempt(tries, at))
            await conn.execute(update(t.webhook_deliveries).where(
                d.webhook_id == r.webhook_id, d.event_id == r.event_id).values(**values))
    return sum(1 for _, (status, _) in results if _ok(status))


def _ok(status: int | None) -> bool:
    """The partner took it: a 2xx answer."""
    return status is not None and 200 <= status < 300


async def _claim(ctx: Context, heads: list, at: datetime) -> list:
    """The deliveries this server now holds: their next attempt moved past the time a request may take, on
    condition that no other server moved it first."""
    claimed = []
    later = at + timedelta(seconds=TIMEOUT_S * 3)
    async with ctx.db.write() as conn:
        for r in heads:
            done = await conn.execute(update(t.webhook_deliveries).where(and_(
                d.webhook_id == r.webhook_id, d.event_id == r.event_id, d.status == DStatus.PENDING,
                d.next_attempt_at == r.next_attempt_at)).values(next_attempt_at=later))
            if done.rowcount == 1:
                claimed.append(r)
    return claimed


async def _post(ctx: Context, client: httpx.AsyncClient, hook, event, attempt: int) -> tuple[int | None, str | None]:
    """POST the event, signed when it is sent; the answer's status, or None and why there was none."""
    try:
        secret = ctx.secrets.open(hook)
    except SecretUnreadable as exc:
        return None, f"not sent: {exc}"
    body = json.dumps(payload(event), separators=(",", ":"), default=str).encode()
    signed = timed_signature(secret, body, int(ctx.clock.now().timestamp()))
    headers = {"Content-Type": "application/json", "X-OMS-Signature": signed,
               "X-OMS-Event-Id": event.id, "X-OMS-Event-Type": event.type, "X-OMS-Attempt": str(attempt)}
    try:
        answer = await client.post(hook.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, excerpt(safe_http.refusal(exc) or f"{type(exc).__name__}: {exc}")
    return answer.status_code, None if answer.is_success else excerpt(answer.text)
