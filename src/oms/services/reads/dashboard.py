"""The operations dashboard's figures for one day (UTC): orders by channel and mode, the status funnel,
orders at risk, the split rate, the average fulfilment cost, the promise kept, rejections and re-sourcings,
webhook failures. Read in a few grouped queries; events are found by id, which sorts by time."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import Forbidden
from ...domain.lifecycle import DROPPED, REACHED, SETTLED, DStatus
from ...domain.vocabulary import Role
from ..runtime.context import Context

o, f, e, d = t.orders.c, t.fulfillments.c, t.events.c, t.webhook_deliveries.c
LOOK_BACK = timedelta(days=14)  # how far back open orders are looked at for a promise already past
WATCHED = ("fulfillment.rejected", "order.resourced", "order.at_risk", "fulfillment.short_picked")


async def figures(ctx: Context, day: date, *, principal: Principal) -> dict:
    if principal.role == Role.NODE:
        raise Forbidden("node keys see their store's queue, not the network's figures")
    channel = principal.channel_filter()
    start = datetime.combine(day, time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    todays = [o.created_at >= start, o.created_at < end] + ([o.channel == channel] if channel else [])
    async with ctx.db.read() as conn:
        by_way = (await conn.execute(select(o.channel, o.delivery_mode, func.count()).where(*todays)
                                     .group_by(o.channel, o.delivery_mode))).all()
        funnel: dict[str, int] = dict(
            (await conn.execute(select(o.status, func.count()).where(*todays).group_by(o.status))).all())
        at_risk = (await conn.execute(select(o.id, o.external_ref, o.at_risk).where(
            o.at_risk.is_not(None), *([o.channel == channel] if channel else [])).order_by(o.id).limit(20))).all()
        parts = (await conn.execute(
            select(f.order_id, func.count()).join(t.orders, o.id == f.order_id)
            .where(*todays, f.status.not_in(DROPPED)).group_by(f.order_id))).all()
        cost = t.sourcing_decisions.c.explanation["total_cost"]["amount"].as_integer()
        costs = (await conn.execute(select(func.count(), func.sum(cost)).select_from(t.sourcing_decisions)
                                    .join(t.orders).where(*todays))).one()
        ended = (await conn.execute(
            select(f.details, o.delivery).join(t.orders, o.id == f.order_id)
            .where(f.status.in_(REACHED), f.updated_at >= start,
                   f.updated_at < end, *([o.channel == channel] if channel else [])))).all()
        # By when they happened on the service's clock (ids carry the wall clock's time: not the same).
        watched: dict[str, int] = dict((await conn.execute(select(e.type, func.count()).where(
            e.type.in_(WATCHED), e.occurred_at >= start, e.occurred_at < end).group_by(e.type))).all()) \
            if channel is None else {}
        open_ = (await conn.execute(select(o.id, o.external_ref, o.delivery).where(
            o.status.not_in(SETTLED), o.created_at >= start - LOOK_BACK,
            *([o.channel == channel] if channel else [])).order_by(o.id).limit(5000))).all()
        # Deliveries that failed at least once: waiting to be tried again, or dead.
        hooks: dict[str, int] = dict((await conn.execute(select(d.status, func.count()).where(
            d.status.in_((DStatus.DEAD, DStatus.PENDING)), d.attempts > 0).group_by(d.status))).all()) \
            if channel is None else {}
    orders = sum(n for _, _, n in by_way)
    judged = [_kept(details, delivery) for details, delivery in ended]
    kept = [k for k in judged if k is not None]
    return {
        "day": day.isoformat(), "orders": orders,
        "by_channel": _totals((c, n) for c, _, n in by_way), "by_mode": _totals((m, n) for _, m, n in by_way),
        "funnel": funnel,
        "at_risk": [{"id": i, "external_ref": ref, "reason": (risk or {}).get("reason")} for i, ref, risk in at_risk],
        "late": _late(open_, at=min(end, ctx.clock.now())),
        "split_rate": round(sum(1 for _, n in parts if n > 1) / len(parts), 4) if parts else None,
        "average_cost": round(costs[1] / costs[0]) if costs[0] and costs[1] is not None else None,
        "promise_kept_rate": round(sum(kept) / len(kept), 4) if kept else None, "promises_judged": len(kept),
        "rejections": watched.get("fulfillment.rejected", 0), "resourcings": watched.get("order.resourced", 0),
        "short_picks": watched.get("fulfillment.short_picked", 0),
        "webhooks_failing": hooks.get(DStatus.PENDING, 0), "webhooks_dead": hooks.get(DStatus.DEAD, 0),
    }


def _late(rows, *, at: datetime) -> list[dict]:
    """Open orders whose promised latest time has passed: the ones to call about first."""
    late = []
    for order_id, ref, delivery in rows:
        latest = (delivery.get("promised") or {}).get("latest")
        if latest and datetime.fromisoformat(latest) < at:
            late.append({"id": order_id, "external_ref": ref, "latest": latest})
    return sorted(late, key=lambda x: x["latest"])[:20]


def _totals(pairs) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, n in pairs:
        found[key] = found.get(key, 0) + n
    return dict(sorted(found.items(), key=lambda kv: -kv[1]))


def _kept(details: dict, delivery: dict) -> bool | None:
    """Whether a part reached the customer by its promised latest time (None: no promise to judge by)."""
    latest = (delivery.get("promised") or {}).get("latest")
    reached = details.get("delivered_at") or details.get("collected_at")
    if not latest or not reached:
        return None
    return datetime.fromisoformat(reached) <= datetime.fromisoformat(latest)
