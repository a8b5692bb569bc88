"""La Poste's parcels followed where La Poste does not push: each parcel shipped with Colissimo or Chronopost
is asked of its Suivi v2 API (``OMS_LAPOSTE_OKAPI_KEY``) until its story is over (``isFinal``), ten at a time,
and each news not seen yet goes through ``tracking.record`` as a carrier's pushed update does (the timeline,
delivered, returned to sender). A parcel is asked again after ``OMS_TRACKING_POLL_SECONDS``, twice as long
each time nothing is new (at most ``QUIET_MAX``), sooner again once something is.

A second carrier that must be asked is one more module like this one: its API read into ``News`` (the domain
reads La Poste's in ``domain/laposte.py``), the same ``record`` for each news.
"""

import logging
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import and_, or_, select, update

from ...db import tables as t
from ...domain import laposte
from ...domain.errors import OmsError
from ...domain.lifecycle import FStatus
from ..partners import safe_http
from ..runtime.context import Context
from .inputs import TrackingIn
from .tracking import record

CARRIERS = ("colissimo", "chronopost", "laposte")  # the carrier names parcels are shipped with
AT_ONCE = 10  # ids in one call (the API's limit)
BATCH = 200  # parcels asked in one pass
QUIET_MAX = timedelta(hours=12)
CLAIM = timedelta(minutes=5)  # a parcel taken by a pass is not asked by another meanwhile
TIMEOUT_S = 20.0
s, f = t.shipments.c, t.fulfillments.c
log = logging.getLogger("oms.tracking")


async def poll_parcels(ctx: Context) -> int:
    """Ask La Poste of the parcels whose time has come; how many news were recorded."""
    key = ctx.settings.laposte_okapi_key
    if not key:
        return 0
    at = ctx.clock.now()
    async with ctx.db.read() as conn:
        found = (await conn.execute(select(s.carrier, s.tracking_number, s.quiet_polls, s.fulfillment_id,
                                           s.next_poll_at).join(t.fulfillments, f.id == s.fulfillment_id).where(
            s.carrier.in_(CARRIERS), ~s.final, f.status == FStatus.SHIPPED,
            or_(s.next_poll_at.is_(None), s.next_poll_at <= at))
            # (parcels never asked first, on either database)
            .order_by(s.next_poll_at.is_(None).desc(), s.next_poll_at, s.tracking_number).limit(BATCH))).all()
    due = [parcel for parcel in found if await _claim(ctx, parcel, at)]
    recorded = 0
    async with safe_http.client(allow_private=ctx.settings.webhook_allow_private, timeout=TIMEOUT_S) as http:
        for start in range(0, len(due), AT_ONCE):
            recorded += await _ask(ctx, http, key, due[start:start + AT_ONCE], at)
    return recorded


async def _claim(ctx: Context, parcel, at: datetime) -> bool:
    """The parcel is this process's to ask now (its next time moved on by a conditional update): two server
    processes never ask La Poste of one parcel at once."""
    async with ctx.db.write() as conn:
        mine = await conn.execute(update(t.shipments).where(
            s.carrier == parcel.carrier, s.tracking_number == parcel.tracking_number,
            s.next_poll_at.is_(None) if parcel.next_poll_at is None else s.next_poll_at == parcel.next_poll_at)
            .values(next_poll_at=at + CLAIM))
    return mine.rowcount == 1


async def _ask(ctx: Context, http, key: str, parcels: list, at: datetime) -> int:
    numbers = ",".join(p.tracking_number for p in parcels)
    try:
        answer = await http.get(f"{ctx.settings.laposte_url}/idships/{numbers}", params={"lang": "fr_FR"},
                                headers={"X-Okapi-Key": key, "Accept": "application/json"})
        # (one parcel La Poste does not know is a 404 with its returnCode: an answer all the same)
        body = answer.json() if answer.status_code in (200, 207, 404) else None
    except Exception as exc:  # (La Poste down, or not JSON: asked again at the next time)
        log.warning("La Poste could not be asked: %s", exc)
        body = None
    if body is None:
        await _later(ctx, parcels, at, news=False)
        return 0
    by_number = {item.number: item for item in laposte.items(body)}
    recorded = 0
    for parcel in parcels:
        item = by_number.get(parcel.tracking_number.strip().upper())
        fresh, skipped = await _record(ctx, parcel, item.news) if item is not None and item.known else (0, 0)
        recorded += fresh
        # (over only once every news of it is recorded: a skipped one is asked for again)
        await _later(ctx, [parcel], at, news=fresh > 0, final=bool(item and item.final and not skipped))
    return recorded


async def _record(ctx: Context, parcel, news: tuple[laposte.News, ...]) -> tuple[int, int]:
    """The news not seen yet, each through the carrier updates' own door: how many were recorded, and how many
    could not be (a time ahead of the service's clock, a news the door refuses)."""
    async with ctx.db.read() as conn:
        details = await conn.scalar(select(f.details).where(f.id == parcel.fulfillment_id))
    seen = [(x.get("status"), x.get("occurred_at"), x.get("description")) for x in (details or {}).get("tracking", [])]
    fresh = skipped = 0
    for n in news:
        if (n.status, n.occurred_at.isoformat(), n.description) in seen:
            continue
        try:
            await record(ctx, parcel.carrier, TrackingIn(tracking_number=parcel.tracking_number, status=n.status,
                                                         occurred_at=n.occurred_at, description=n.description))
        except (OmsError, ValidationError) as exc:  # (a time ahead of the service's clock: a later ask)
            log.warning("news of %s %s not recorded: %s", parcel.carrier, parcel.tracking_number, exc)
            skipped += 1
            continue
        fresh += 1
    return fresh, skipped


async def _later(ctx: Context, parcels: list, at: datetime, *, news: bool, final: bool = False) -> None:
    """When each parcel is asked next: sooner after news, later after silence, never once its story is over."""
    first = timedelta(seconds=ctx.settings.tracking_poll_seconds)
    async with ctx.db.write() as conn:
        for parcel in parcels:
            quiet = 0 if news else parcel.quiet_polls + 1
            await conn.execute(update(t.shipments).where(and_(
                s.carrier == parcel.carrier, s.tracking_number == parcel.tracking_number)).values(
                quiet_polls=quiet, final=final, next_poll_at=at + min(first * 2 ** quiet, QUIET_MAX)))
