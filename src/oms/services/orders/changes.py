"""Changes to an order after capture, other than cancelling: a new delivery address before anything has
left. Each is in the order's timeline."""

from ...domain.access import Principal
from ...domain.errors import Conflict, FieldError, InvalidInput
from ...domain.vocabulary import PICKUP_MODES
from ..runtime.context import Context
from .inputs import AddressChangeIn
from .state import OrderState


async def change_address(ctx: Context, order_id: str, body: AddressChangeIn, *, principal: Principal) -> dict:
    """The order goes to another address: only a delivered mode, and only while no unit has left a node
    (the nodes and carriers read the address from the order and its event). Work not yet released is
    planned again for it by the next batch run."""
    principal.require_order_write()
    at = ctx.clock.now()
    async with ctx.db.write() as conn:
        state = await OrderState.load(conn, order_id)
        principal.require_in_channel("order", order_id, state.order["channel"])
        if state.order["delivery_mode"] in PICKUP_MODES:
            raise InvalidInput([FieldError("address", f"a {state.order['delivery_mode']} order is collected at "
                                                      f"{state.order['delivery'].get('pickup_node_id')}; "
                                                      "it has no delivery address")])
        left = sum(fl["shipped"] for fl in state.flines)
        if left:
            raise Conflict(f"{left} units of this order have left the node; the address can no longer change",
                           current_status=state.order["status"])
        before = state.order["delivery"].get("address")
        after = body.address.model_dump()
        if before == after:
            return state.view()  # sent again: nothing changes
        state.order["delivery"] = {**state.order["delivery"], "address": after}
        state.record("order.address_changed", actor=principal.actor, at=at, reason=body.reason,
                     data={"order_id": order_id, "from": before, "to": after})
        return await state.save(conn, actor=principal.actor, at=at, reason=body.reason)
