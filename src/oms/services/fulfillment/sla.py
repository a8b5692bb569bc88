"""Fulfilment orders a node did not accept in time go elsewhere.

A node with ``accept_within_minutes`` has that long, from the moment a fulfilment order is released to
it (its last move: created released, or released from a backorder), to accept it. When the time has
passed, the sweeper withdraws it as if the node had rejected it (its units and places go back, actor
``system:sla``) and the units are re-sourced. ``at`` is an input, so that time can be told in tests.
"""

from datetime import datetime, timedelta

from sqlalchemy import Row, select

from ...db import tables as t
from ...domain.lifecycle import FStatus
from ..orders.resourcing import resource_order
from ..orders.state import OrderState
from ..runtime.context import Context
from .cancel_requests import settle
from .confirmations import give_up

SYSTEM = "system:sla"
BATCH = 200
f, n = t.fulfillments.c, t.nodes.c


async def expire_unaccepted(ctx: Context, *, at: datetime | None = None) -> int:
    """Withdraw, oldest first, the fulfilment orders their node let lapse, and re-source them; how many."""
    at = at or ctx.clock.now()
    async with ctx.db.read() as conn:
        limits = (await conn.execute(select(n.accept_within_minutes, n.id)
                                     .where(n.accept_within_minutes.is_not(None)))).all()
        by_minutes: dict[int, list[str]] = {}
        for minutes, node_id in limits:
            by_minutes.setdefault(minutes, []).append(node_id)
        overdue: list[Row[str, str, datetime]] = []  # (id, order_id, updated_at)
        for minutes, node_ids in sorted(by_minutes.items()):  # one query per time limit in use, on the index
            overdue += (await conn.execute(
                select(f.id, f.order_id, f.updated_at).where(
                    f.node_id.in_(node_ids), f.status == FStatus.RELEASED,
                    f.updated_at <= at - timedelta(minutes=minutes))
                .order_by(f.updated_at).limit(BATCH))).all()
    overdue.sort(key=lambda r: r.updated_at)
    withdrawn = 0
    for fulfillment_id, order_id, _ in overdue[:BATCH]:
        withdrawn += await _withdraw(ctx, fulfillment_id, order_id, at)
    return withdrawn


async def _withdraw(ctx: Context, fulfillment_id: str, order_id: str, at: datetime) -> int:
    async with ctx.db.write() as conn:
        state = await OrderState.load(conn, order_id)
        ful = state.fulfillment(fulfillment_id)
        if ful["status"] != FStatus.RELEASED:
            return 0  # accepted (or cancelled) meanwhile
        minutes = await conn.scalar(select(n.accept_within_minutes).where(n.id == ful["node_id"]))
        if minutes is None or ful["updated_at"] > at - timedelta(minutes=minutes):
            return 0  # the limit was lifted or lengthened meanwhile
        reason = f"not accepted within {minutes} minutes"
        await give_up(conn, state, ful, reason, at)
        settle(state, ful, None, actor=SYSTEM, at=at)
        state.move(ful, FStatus.REJECTED, actor=SYSTEM, at=at, reason=reason)
        await state.save(conn, actor=SYSTEM, at=at, reason=reason)
    await resource_order(ctx, order_id, reason=f"{ful['node_id']} did not accept them within {minutes} minutes",
                         at=at)
    return 1
