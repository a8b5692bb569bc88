"""Backordered fulfilment orders go to their node when the units they wait for are there.

A backordered line was promised units of an expected supply (``supply.allocated``) instead of stock.
- When the supply is marked received, the lines that waited for it take its units in that same write:
  reserved at once at the node (even before the count that brings them in is fed, so that nobody else
  can sell them meanwhile), the promise on the supply given back, the fulfilment order released.
- Stock may also come back otherwise (a return, a cancelled order, a supply that never came while
  others did): every few seconds, with the hold sweeper, each server releases the oldest backorders
  whose node now has their units, reserved by the ordinary conditional update.
The channel's share and walk-in rules were applied when the order was promised its supply; they are
not applied a second time to the units it waits for. Locks are taken as every writer takes them: the
order, then the stock rows, then the supply rows, then the reference counter.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import supply_promises
from ...db import tables as t
from ...db.rows import FulfillmentLineRow, FulfillmentRow
from ...domain.lifecycle import FStatus
from ..orders.state import OrderState, still_to_send
from ..reference.records import bump_reference
from ..runtime.context import Context

SYSTEM = "system:backorders"
BATCH = 200
f, fl, inv = t.fulfillments.c, t.fulfillment_lines.c, t.inventory.c
_STILL = fl.quantity - fl.cancelled - fl.short
# A line still waiting whose node lacks its units (no stock row at all counts as none).
_SHORT_LINE = (
    select(1)
    .select_from(t.fulfillment_lines.outerjoin(t.inventory, and_(inv.node_id == fl.node_id, inv.sku == fl.sku)))
    .where(fl.fulfillment_id == f.id, fl.reserved == 0, _STILL > 0,
           func.coalesce(inv.on_hand - inv.reserved - inv.safety_stock, 0) < _STILL)
)


class _NotYet(Exception):
    """The node lacks some of the units: nothing of the attempt is kept."""


def _waiting(state: OrderState, ful: FulfillmentRow, supply_ids: set[str] | None = None) -> list[FulfillmentLineRow]:
    """The fulfilment order's lines that still wait for units (for these supplies, if given)."""
    return [x for x in state.lines_of(ful) if still_to_send(x) and not x["reserved"]
            and (supply_ids is None or x["supply_id"] in supply_ids)]


def _take(state: OrderState, ful: FulfillmentRow, lines: list[FulfillmentLineRow], at: datetime, actor: str,
          reason: str) -> None:
    """The lines hold their units now (reserved by the caller); once none waits any more, the node gets the
    fulfilment order."""
    if not _waiting(state, ful):
        state.move(ful, FStatus.RELEASED, actor=actor, at=at, reason=reason)


async def release_backorders(ctx: Context) -> int:
    """Release, oldest first, the backordered fulfilment orders whose node now has all their units; how many."""
    async with ctx.db.read() as conn:
        ready = (await conn.execute(
            select(f.id, f.order_id).where(f.status == FStatus.BACKORDERED, ~exists(_SHORT_LINE))
            .order_by(f.created_at, f.id).limit(BATCH))).all()
    released = 0
    for fulfillment_id, order_id in ready:
        try:
            released += await _release(ctx, fulfillment_id, order_id)
        except _NotYet:
            pass  # another order took the units first
    return released


async def _release(ctx: Context, fulfillment_id: str, order_id: str) -> int:
    at = ctx.clock.now()
    async with ctx.db.write() as conn:
        state = await OrderState.load(conn, order_id)
        ful = state.fulfillment(fulfillment_id)
        if ful["status"] != FStatus.BACKORDERED:
            return 0  # released or cancelled meanwhile
        lines = _waiting(state, ful)
        if not await state.reserve(conn, [(x, still_to_send(x)) for x in lines], at=at):
            raise _NotYet  # leaves the transaction: the reservations made so far are rolled back
        await supply_promises.give_back(conn, [(x["supply_id"], still_to_send(x)) for x in lines if x["supply_id"]])
        _take(state, ful, lines, at, SYSTEM, "the units it waited for are there")
        await state.save(conn, actor=SYSTEM, at=at)
        await bump_reference(conn, ctx.db.dialect)  # the supply shows its units free again
    return 1


async def release_received(conn: AsyncConnection, dialect: str, supply_ids: Iterable[str], *, actor: str,
                           safety_of: Callable[[str], int], at: datetime) -> dict[str, int]:
    """Inside the write that marks these supplies received: every line waiting for them takes its units
    now and its fulfilment order goes to the node once nothing of it waits any more. Answers the units
    handed over per supply (the caller gives them back on the supply after locking it)."""
    ids = set(supply_ids)
    if not ids:
        return {}
    order_ids = sorted(set((await conn.scalars(
        select(f.order_id).join(t.fulfillment_lines, fl.fulfillment_id == f.id)
        .where(f.status == FStatus.BACKORDERED, fl.supply_id.in_(sorted(ids)), fl.reserved == 0))).all()))
    states = [await OrderState.load(conn, order_id) for order_id in order_ids]  # orders first, in id order
    waiting = [(state, ful, _waiting(state, ful, ids)) for state in states for ful in state.fuls
               if ful["status"] == FStatus.BACKORDERED]
    handed: dict[str, int] = {}
    for _, _, lines in waiting:
        for x in lines:
            supply_id = x["supply_id"]
            assert supply_id is not None  # (``_waiting`` for these supplies)
            handed[supply_id] = handed.get(supply_id, 0) + still_to_send(x)
    await OrderState.reserve_arrived(conn, dialect, [(x, still_to_send(x)) for _, _, lines in waiting for x in lines],
                                     safety_of, at=at)
    for state, ful, lines in waiting:
        if lines:
            _take(state, ful, lines, at, actor, "the supply it waited for was received")
    for state in states:
        await state.save(conn, actor=actor, at=at)
    return handed


async def lock_waiting(conn: AsyncConnection, supply_ids: list[str]) -> None:
    """Lock, in id order, every order with a backordered line waiting for these supplies: a writer that will
    change their promises or hand them units takes them first, before any stock row (every writer's order)."""
    order_ids = sorted(set((await conn.scalars(
        select(f.order_id).join(t.fulfillment_lines, fl.fulfillment_id == f.id)
        .where(f.status == FStatus.BACKORDERED, fl.supply_id.in_(sorted(supply_ids))))).all()))
    if order_ids:
        await conn.execute(select(t.orders.c.id).where(t.orders.c.id.in_(order_ids)).order_by(t.orders.c.id)
                           .with_for_update())


async def keep_within(conn: AsyncConnection, units: dict[str, int], *, actor: str, at: datetime) -> None:
    """Expected supplies that will bring fewer units than orders were promised (``units``: what each now
    brings): the lines promised last lose their promise first until the rest fit. They stay backordered, waiting
    for their node to have the units otherwise (``release_backorders``). Call it before any stock row is locked:
    the orders are locked first, as every writer does."""
    s = t.supply.c
    over = {r.id: r.allocated - units[r.id] for r in await conn.execute(
        select(s.id, s.allocated).where(s.id.in_(sorted(units)), s.allocated > 0))
        if r.allocated > units[r.id]}
    if not over:
        return
    order_ids = sorted(set((await conn.scalars(
        select(f.order_id).join(t.fulfillment_lines, fl.fulfillment_id == f.id)
        .where(f.status == FStatus.BACKORDERED, fl.supply_id.in_(sorted(over)), fl.reserved == 0))).all()))
    states = await OrderState.load_many(conn, order_ids)
    waiting = sorted(((ful["created_at"], ful["id"], x) for state in states.values() for ful in state.fuls
                      if ful["status"] == FStatus.BACKORDERED for x in _waiting(state, ful, set(over))),
                     key=lambda w: (w[0], w[1]), reverse=True)  # the latest promised first
    given: list[tuple[str, int]] = []
    for *_, x in waiting:
        supply_id = x["supply_id"]
        assert supply_id is not None  # (``_waiting`` for these supplies)
        if over.get(supply_id, 0) > 0:
            over[supply_id] -= still_to_send(x)
            given.append((supply_id, still_to_send(x)))
            x["supply_id"] = None
    for state in states.values():
        await state.save(conn, actor=actor, at=at)
    await supply_promises.give_back(conn, given)
