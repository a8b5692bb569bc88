"""The daily proposals: from ``OMS_REPLENISH_AT`` (each store's local time), the stores ordering that day get
a run, once a day each, whichever server's sweep comes first. A planner approves it (or ``oms replenish``)."""

import logging
from datetime import date, datetime, time

from sqlalchemy import select

from ...db import tables as t
from ..reference.cache import Snapshot
from ..runtime.context import Context
from .inputs import RunIn
from .runs import Swept, propose

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
        rows = (await conn.execute(select(s.node_id, s.order_weekdays, s.swept_on))).all()
    if not rows:
        return []
    stores, swept = [(r.node_id, list(r.order_weekdays)) for r in rows], {r.node_id: r.swept_on for r in rows}
    snap = await ctx.reference.get(ctx.db)
    made = []
    for day, node_ids in sorted(due(snap, stores, ctx.settings.replenish_at, now).items()):
        on = date.fromisoformat(day)
        waiting = sorted(n for n in node_ids if swept.get(n) is None or swept[n] < on)
        if not waiting:
            continue
        try:
            # The run and the stores' claim for the day are one transaction: of two servers sweeping at once,
            # one keeps its run; a run that fails claims nothing, and the next sweep tries again.
            made.append(await propose(ctx, RunIn(date=on, nodes=waiting), actor=SWEEPER, sweep=on))
        except Swept:
            continue
        log.info("replenishment proposed for %d stores on %s", len(waiting), day)
    return made
