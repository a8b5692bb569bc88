"""The daily proposals: from ``OMS_REPLENISH_AT`` (each store's local time), the stores ordering that day get
a run, once a day each, whichever server's sweep comes first. A planner approves it (or ``oms replenish``)."""

import logging
from datetime import datetime, time

from sqlalchemy import or_, select, update

from ...db import tables as t
from ..reference.cache import Snapshot
from ..runtime.context import Context
from .inputs import RunIn
from .runs import propose

SWEEPER = "system:replenishment"
s = t.replenishment_stores.c
log = logging.getLogger("oms.replenishment")


def due(snap: Snapshot, stores: list[tuple[str, list[int]]], at: str, now: datetime) -> dict[str, list[str]]:
    """The stores whose order day it is and whose local time has reached ``at``, by their local date."""
    hour, minute = map(int, at.split(":"))
    found: dict[str, list[str]] = {}
    for node_id, weekdays in stores:
        times = snap.times.get(node_id)
        if times is None:
            continue
        local = now.astimezone(times.calendar.zone)
        if local.isoweekday() in weekdays and local.time() >= time(hour, minute):
            found.setdefault(local.date().isoformat(), []).append(node_id)
    return found


async def replenish_due(ctx: Context) -> list[str]:
    """Runs for the stores due now that no server has swept today; answers the runs' ids."""
    if not ctx.settings.replenish_at:
        return []
    now = ctx.clock.now()
    async with ctx.db.read() as conn:
        stores = [(r.node_id, list(r.order_weekdays)) for r in await conn.execute(
            select(s.node_id, s.order_weekdays))]
    if not stores:
        return []
    snap = await ctx.reference.get(ctx.db)
    runs = []
    for day, node_ids in sorted(due(snap, stores, ctx.settings.replenish_at, now).items()):
        on = datetime.fromisoformat(day).date()
        # Claimed row by row: of two servers sweeping at once, each store goes to one of them.
        async with ctx.db.write() as conn:
            claimed = sorted((await conn.scalars(
                update(t.replenishment_stores)
                .where(s.node_id.in_(sorted(node_ids)), or_(s.swept_on.is_(None), s.swept_on < on))
                .values(swept_on=on).returning(s.node_id))).all())
        if claimed:
            runs.append(await propose(ctx, RunIn(date=on, nodes=claimed), actor=SWEEPER))
            log.info("replenishment proposed for %d stores on %s", len(claimed), day)
    return runs
