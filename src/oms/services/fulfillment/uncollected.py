"""Parcels that do not reach the customer: not collected in time where they wait (a locker, a relay
point, a store's counter with ``collect_within_days``), or returned by the carrier. Their units are
cancelled on the order; units that left their node come back as a return (kind ``undelivered``) to be
received at ``returns_to`` (or the sending node) and refunded then; units still on the node's own
shelves are released and refunded at once. ``at`` is an input, so that time can be told in tests."""

from datetime import datetime, timedelta

from sqlalchemy import Row, func, select

from ...db import tables as t
from ...db.rows import FulfillmentRow
from ...domain.lifecycle import FStatus
from ..orders.state import OrderState
from ..orders.view import money
from ..returns.rma import undelivered
from ..runtime.context import Context

SYSTEM = "system:collection"
BATCH = 200
f, n = t.fulfillments.c, t.nodes.c


async def send_back_uncollected(ctx: Context, *, at: datetime | None = None) -> int:
    """Send back, oldest first, the parcels left uncollected past their node's limit; how many."""
    at = at or ctx.clock.now()
    where = func.coalesce(f.handover_node_id, f.node_id)
    async with ctx.db.read() as conn:
        limits = (await conn.scalars(select(n.collect_within_days).distinct().where(
            n.collect_within_days.is_not(None)))).all()
        overdue: list[Row[str, datetime]] = []  # (id, updated_at)
        # One read per limit in use (a few), whatever the number of nodes (a few hundred relay points).
        for days in limits:
            overdue += (await conn.execute(
                select(f.id, f.updated_at).join(t.nodes, n.id == where).where(
                    n.collect_within_days == days, f.status == FStatus.READY_FOR_PICKUP,
                    f.updated_at <= at - timedelta(days=days)).order_by(f.updated_at).limit(BATCH))).all()
    overdue.sort(key=lambda r: r.updated_at)
    done = 0
    for fulfillment_id, _ in overdue[:BATCH]:
        done += await _send_back(ctx, fulfillment_id, at)
    return done


async def _send_back(ctx: Context, fulfillment_id: str, at: datetime) -> int:
    async with ctx.db.write() as conn:
        state, ful = await OrderState.of_fulfillment(conn, fulfillment_id)
        where = ful["handover_node_id"] or ful["node_id"]
        days, returns_to = (await conn.execute(select(n.collect_within_days, n.returns_to)
                                               .where(n.id == where))).one()
        if ful["status"] != FStatus.READY_FOR_PICKUP or days is None or ful["updated_at"] > at - timedelta(days=days):
            return 0  # collected meanwhile, or the limit was lifted or lengthened
        await give_up_parcel(conn, state, ful, f"not collected within {days} days", returns_to or ful["node_id"],
                             actor=SYSTEM, at=at)
        await state.save(conn, actor=SYSTEM, at=at)
    return 1


async def give_up_parcel(conn, state: OrderState, ful: FulfillmentRow, reason: str, returns_to: str, *, actor: str,
                         at: datetime) -> None:
    """The parcel will not reach the customer: its units are cancelled on the order, released where they
    are still reserved (and refunded), or expected back as a return where they left their node."""
    released, refund = [], []
    for fl in state.lines_of(ful):
        line = next(ln for ln in state.lines if ln["line_no"] == fl["line_no"])
        units = fl["reserved"] + fl["shipped"]
        line["cancelled"] += units
        fl["cancelled"] += units
        if fl["reserved"]:
            released.append((fl, fl["reserved"]))
            refund.append({"line_no": fl["line_no"], "sku": fl["sku"], "quantity": fl["reserved"],
                           "amount": fl["reserved"] * line["unit_price"]})
    await state.release(conn, released, at=at)
    state.move(ful, FStatus.CANCELLED, actor=actor, at=at, reason=reason)
    if any(fl["shipped"] for fl in state.lines_of(ful)):
        await undelivered(conn, state, ful, returns_to, reason, actor=actor, at=at)
    if refund:
        state.record("refund.requested", actor=actor, at=at, reason=reason,
                     data={"order_id": state.order["id"], "fulfillment_id": ful["id"],
                           "amount": money(sum(x["amount"] for x in refund), state.order["currency"]),
                           "exchange_credit_used": 0, "lines": refund})
