"""Holds end and give their units back; expired ones all at once, by the sweeper, or on the SKUs a sale lacks.

A hold line's ``reserved`` units are the stock rows' ``reserved`` units: ``end_holds`` is where both go back
together (taking a hold's units reserves them when it is made, ``reservations.holds``)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import stock
from ...db import tables as t
from ...domain.lifecycle import HStatus, check_hold_transition
from ..runtime.context import Context

h, hl = t.holds.c, t.hold_lines.c
SWEEP_BATCH = 500  # holds ended per transaction: short locks on hot rows


async def release_expired(ctx: Context, *, at: datetime | None = None, skus: set[str] | None = None) -> int:
    """End every active hold past its expiry (only those holding these SKUs, if given); how many."""
    at = at or ctx.clock.now()
    query = select(h.id).where(h.status == HStatus.ACTIVE, h.expires_at <= at).order_by(h.id)
    if skus:
        query = query.where(h.id.in_(select(hl.hold_id).where(hl.sku.in_(skus))))
    async with ctx.db.read() as conn:  # most of the time there are none: no write for nothing
        if await conn.scalar(query.limit(1)) is None:
            return 0
    async with ctx.db.write() as conn:
        ids = (await conn.scalars(query.limit(SWEEP_BATCH).with_for_update(skip_locked=True))).all()
        if not ids:
            return 0
        lines = (await conn.execute(select(t.hold_lines).where(hl.hold_id.in_(ids)))).mappings().all()
        await end_holds(conn, ids, lines, HStatus.EXPIRED, at=at)
    return len(ids)


async def end_holds(conn: AsyncConnection, ids: Sequence[str], lines: Sequence[Mapping[str, Any] | RowMapping],
                    status: HStatus, *, at: datetime, give_back: bool = True) -> None:
    """Close these active holds (the callers found them so under their locks) with ``status``, one of the
    ends the lifecycle has for them: what their ``lines`` keep goes back to stock (one release for all of
    them, rows in key order as every writer takes them) and the lines keep nothing; unless ``give_back``
    is False: the caller moves those units to another reservation in the same transaction."""
    status = check_hold_transition(HStatus.ACTIVE, status)
    if give_back:
        await stock.release(conn, [(x["node_id"], x["sku"], x["reserved"]) for x in lines], at=at)
    await conn.execute(update(t.hold_lines).where(hl.hold_id.in_(ids)).values(reserved=0))
    await conn.execute(update(t.holds).where(h.id.in_(ids)).values(status=status, updated_at=at))
