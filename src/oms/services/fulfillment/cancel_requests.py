"""A node's answer to a cancel of work it has (nodes that confirm cancels): confirmed, the units are
released and cancelled on the order; refused, or overtaken by the parcel leaving, they are sent."""

from datetime import datetime

from ...db.rows import FulfillmentRow
from ...domain.access import Principal
from ...domain.errors import Conflict
from ...domain.lifecycle import CANCEL_ASKED, FStatus
from ..orders.cancel import give_back_places, pending
from ..orders.state import OrderState, still_to_send
from ..orders.view import visible_to
from ..runtime.context import Context
from .inputs import CancelAnswerIn


async def answer(ctx: Context, fulfillment_id: str, confirmed: bool, body: CancelAnswerIn, *,
                 principal: Principal) -> dict:
    principal.require_fulfillment_worker()
    at = ctx.clock.now()
    async with ctx.db.write() as conn:
        state, f = await OrderState.of_fulfillment(conn, fulfillment_id)
        order_id = f["order_id"]
        principal.require_fulfillment_action(fulfillment_id, f["node_id"], FStatus.CANCELLED, f["handover_node_id"])
        asked = pending(f) if f["status"] in CANCEL_ASKED else {}
        if not asked:
            raise Conflict(f"no cancel waits for {f['node_id']}'s answer on this fulfillment",
                           current_status=f["status"])
        actor = principal.actor
        if not confirmed:
            refuse(state, f, asked, actor=actor, at=at, reason=body.reason)
            return visible_to(principal, await state.save(conn, actor=actor, at=at, reason=body.reason))
        released, lines = [], []
        for fl in state.lines_of(f):
            take = min(asked.get(fl["line_no"], 0), fl["reserved"])
            if take:
                fl["cancelled"] += take
                next(ln for ln in state.lines if ln["line_no"] == fl["line_no"])["cancelled"] += take
                released.append((fl, take))
                lines.append({"line_no": fl["line_no"], "quantity": take})
        await state.release(conn, released, at=at)
        f["details"] = {k: v for k, v in f["details"].items() if k != "cancel_request"}
        state.record("fulfillment.cancel_confirmed", actor=actor, at=at, reason=body.reason,
                     data={"fulfillment_id": f["id"], "node_id": f["node_id"], "order_id": order_id, "lines": lines})
        state.record("order.lines_cancelled", actor=actor, at=at, reason=body.reason,
                     data={"order_id": order_id, "lines": lines})
        if not any(still_to_send(fl) for fl in state.lines_of(f)):
            await give_back_places(conn, [f])
            state.move(f, FStatus.CANCELLED, actor=actor, at=at, reason=body.reason)
        view = await state.save(conn, actor=actor, at=at, reason=body.reason)
    return visible_to(principal, view)


def refuse(state: OrderState, f: FulfillmentRow, asked: dict[int, int], *, actor: str, at: datetime,
           reason: str | None) -> None:
    """The units asked for will be sent after all (the node refused, or they left): the customer service
    learns it from the event."""
    f["details"] = {k: v for k, v in f["details"].items() if k != "cancel_request"}
    state.record("fulfillment.cancel_refused", actor=actor, at=at, reason=reason,
                 data={"fulfillment_id": f["id"], "node_id": f["node_id"], "order_id": state.order["id"],
                       "lines": [{"line_no": n, "quantity": q} for n, q in sorted(asked.items())]})


def settle(state: OrderState, f: FulfillmentRow, dropped: dict[int, int] | None, *, actor: str, at: datetime) -> None:
    """The node will not send some units after all (it rejected the work, let the time to accept it lapse,
    or did not find them: ``dropped`` per line, None for all): those a waiting cancel asks for are
    cancelled on the order now, instead of being sourced again."""
    asked = pending(f)
    if not asked:
        return
    done, left = [], dict(asked)
    for fl in state.lines_of(f):
        take = min(left.get(fl["line_no"], 0), fl["quantity"] if dropped is None else dropped.get(fl["line_no"], 0))
        if not take:
            continue
        left[fl["line_no"]] -= take
        fl["cancelled"] += take
        if dropped is not None:  # not found: cancelled rather than short
            fl["short"] -= take
        next(ln for ln in state.lines if ln["line_no"] == fl["line_no"])["cancelled"] += take
        done.append({"line_no": fl["line_no"], "quantity": take})
    rest = {n: q for n, q in left.items() if q}
    request = f["details"]["cancel_request"]
    f["details"] = {k: v for k, v in f["details"].items() if k != "cancel_request"}
    if rest and dropped is not None:
        f["details"]["cancel_request"] = {**request, "lines": [{"line_no": n, "quantity": q}
                                                               for n, q in sorted(rest.items())]}
    if done:
        state.record("fulfillment.cancel_confirmed", actor=actor, at=at, reason="the node will not send them",
                     data={"fulfillment_id": f["id"], "node_id": f["node_id"], "order_id": state.order["id"],
                           "lines": done})
        state.record("order.lines_cancelled", actor=actor, at=at, reason=request.get("reason"),
                     data={"order_id": state.order["id"], "lines": done})
