"""``GET /v1/pickup-points``: the relay points (or locker banks) near a shopper, nearest first, for the map a
checkout shows before the customer picks one; the order then names it as ``pickup_node_id``."""

from datetime import timedelta

from sqlalchemy import select

from ...db import tables as t
from ...domain.access import Principal
from ...domain.vocabulary import NodeType
from ..reference.cache import Snapshot
from ..runtime.context import Context
from .options import handing_over

CLOSED_AHEAD = 14  # days ahead whose closures (public holidays, a shop's own) the answer lists
n = t.nodes.c


async def _described(ctx: Context, snap: Snapshot) -> dict:
    """Every relay point and locker bank's name, address, hours and limits, read once per snapshot of the
    reference data (a checkout's map asks again and again)."""
    found = snap.memo.get("points described")
    if found is None:
        async with ctx.db.read() as conn:
            found = {r.id: r for r in await conn.execute(
                select(n.id, n.name, n.type, n.address, n.opening_hours, n.collect_within_days, n.takes)
                .where(n.type.in_((NodeType.LOCKER, NodeType.PICKUP_POINT))))}
        snap.memo["points described"] = found
    return found


async def near(ctx: Context, *, principal: Principal, lat: float, lng: float, mode: str, radius_km: float,
               limit: int) -> dict:
    """The active points handing over ``mode`` within ``radius_km`` of (lat, lng), nearest first: where they
    are, their hours (when each next opens, the days of the coming two weeks it is shut though its hours say open), the
    parcels they take and how long they keep them."""
    principal.require_caller("availability")
    snap = await ctx.reference.get(ctx.db)
    found = handing_over(snap, mode, (NodeType.LOCKER, NodeType.PICKUP_POINT)).within(lat, lng, radius_km)[:limit]
    rows = await _described(ctx, snap)
    now = ctx.clock.now()
    items = []
    for km, node_id in found:
        row, calendar = rows.get(node_id), snap.times[node_id].calendar
        if row is None:  # (not a point or a bank any more)
            continue
        today = calendar.local_date(now)
        opens = calendar.after_working(now, 0)
        items.append({
            "id": node_id, "name": row.name, "type": row.type, "distance_km": round(km, 2),
            "address": {k: row.address.get(k) for k in ("line1", "postal_code", "city", "country", "lat", "lng")},
            "opening_hours": row.opening_hours, "next_open": opens.isoformat() if opens else None,
            "closed_on": [d.isoformat() for d in (today + timedelta(days=i) for i in range(CLOSED_AHEAD))
                          if calendar.closed_by_exception(d) and calendar.weekly.get(d.isoweekday())],
            "takes": row.takes, "collect_within_days": row.collect_within_days})
    return {"mode": mode, "items": items}

