"""Competitive claiming: a store offered another store's work (``details.offered_to``) accepts it and
takes it over, or declines it. The first accept wins: the order's row lock makes the others wait and
find the work accepted."""

from datetime import datetime

from sqlalchemy import delete

from ...db import capacity
from ...db import tables as t
from ...db.rows import FulfillmentRow
from ...domain.errors import Conflict, IllegalTransition
from ...domain.lifecycle import FStatus
from ...domain.sourcing import Need
from ..runtime.context import Context
from ..sourcing.planning import prepare_stored
from .state import OrderState

o = t.fulfillment_offers.c


def offered(f: FulfillmentRow) -> list[str]:
    return f["details"].get("offered_to", []) if f["status"] == FStatus.RELEASED else []


async def withdraw(conn, state: OrderState, f: FulfillmentRow, *, actor: str, at: datetime, taken_by: str) -> None:
    """The work is taken (by its node or a rival): the other offers end."""
    others = [n for n in f["details"].get("offered_to", []) if n != taken_by]
    f["details"] = {k: v for k, v in f["details"].items() if k != "offered_to"}
    await conn.execute(delete(t.fulfillment_offers).where(o.fulfillment_id == f["id"]))
    if others:
        state.record("fulfillment.offers_withdrawn", actor=actor, at=at,
                     data={"fulfillment_id": f["id"], "order_id": state.order["id"], "taken_by": taken_by,
                           "withdrawn_from": others})


async def take_over(ctx: Context, conn, state: OrderState, f: FulfillmentRow, node_id: str, *, actor: str,
                    at: datetime) -> None:
    """``node_id`` accepts work offered to it: its units are reserved there and released at the first
    node, the node's day place moves with it, and it is accepted. Conflict when the store no longer has
    the units or the room."""
    if f["status"] != FStatus.RELEASED:
        raise IllegalTransition("fulfillment", f["status"], FStatus.ACCEPTED)
    lines = state.lines_of(f)
    request = await prepare_stored(ctx, state.order, [Need(fl["line_no"], fl["sku"], fl["reserved"]) for fl in lines])
    if node_id not in request.node_types:
        raise Conflict(f"{node_id} may no longer send this order", current_status=f["status"])
    first = f["node_id"]
    if not await state.move_reserved(conn, lines, node_id, request.guard, at=at):
        raise Conflict(f"{node_id} no longer has these units free", current_status=f["status"])
    back = [p for p in capacity.places_of([f]) if p[0] == first]  # the first node's day place
    cap = request.snap.nodes[node_id].daily_capacity
    taken = [(node_id, day, 1, cap) for _, day, _ in back] if cap is not None else []
    if not await capacity.shift(conn, back, taken):
        raise Conflict(f"{node_id} has no room left that day", current_status=f["status"])
    kept = ([[r, d] for r, d in f["details"].get("capacity", []) if r != first]
            + [[node_id, day.isoformat()] for _, day, _, _ in taken])
    f["node_id"] = node_id
    f["details"] = {**f["details"], "capacity": kept, "claimed": {"by": node_id, "from": first}}
    if not kept:
        f["details"].pop("capacity")
    await withdraw(conn, state, f, actor=actor, at=at, taken_by=node_id)
    state.record("fulfillment.claimed", actor=actor, at=at,
                 data={"fulfillment_id": f["id"], "order_id": state.order["id"], "node_id": node_id, "from": first})
    state.move(f, FStatus.ACCEPTED, actor=actor, at=at)


async def decline(conn, state: OrderState, f: FulfillmentRow, node_id: str, *, actor: str, at: datetime,
                  reason: str | None) -> None:
    """A store offered the work does not want it: its offer ends, the others stand."""
    f["details"] = {**f["details"], "offered_to": [n for n in offered(f) if n != node_id]}
    await conn.execute(delete(t.fulfillment_offers).where(o.fulfillment_id == f["id"], o.node_id == node_id))
    state.record("fulfillment.offer_declined", actor=actor, at=at, reason=reason,
                 data={"fulfillment_id": f["id"], "order_id": state.order["id"], "node_id": node_id})
