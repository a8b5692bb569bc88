"""Releasing an order on hold (its payment came): its nodes get the work it reserved for them."""

from ...domain.access import Principal
from ...domain.errors import Conflict
from ...domain.lifecycle import FStatus
from ..runtime.context import Context
from .state import OrderState


async def release_order(ctx: Context, order_id: str, *, principal: Principal, reason: str | None = None) -> dict:
    """The hold lifted: the planned work goes to nodes without release waves at once, to the others at their
    next wave (``waves``). An order not on hold is a Conflict."""
    principal.require_order_write()
    at = ctx.clock.now()
    snap = await ctx.reference.get(ctx.db)
    async with ctx.db.write() as conn:
        state = await OrderState.load(conn, order_id)
        principal.require_in_channel("order", order_id, state.order["channel"])
        if not state.order.get("hold"):
            raise Conflict(f"order {order_id} is not on hold", current_status=state.order["status"])
        state.order["hold"] = None
        for f in state.fuls:
            times = snap.times.get(f["node_id"])
            if f["status"] == FStatus.PLANNED and not (times and times.waves):
                state.move(f, FStatus.RELEASED, actor=principal.actor, at=at, reason=reason or "its hold was released")
        return await state.save(conn, actor=principal.actor, at=at, reason=reason or "its hold was released")
