"""Cancelling a whole order or some of its units before they leave the node; reservations are released,
and units promised from expected supply (backorders) are given back to it."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import capacity, supply_promises
from ...db.rows import FulfillmentLineRow, FulfillmentRow
from ...domain.access import Principal
from ...domain.errors import Conflict, FieldError, IllegalTransition, Problems
from ...domain.lifecycle import CANCEL_ASKED, CANCELLABLE, UNWORKED, FStatus, OStatus
from ..reference.records import bump_reference
from ..runtime.context import Context
from .inputs import CancelIn
from .resourcing import resource_order
from .state import OrderState, Units, still_to_send


async def cancel_order(ctx: Context, order_id: str, body: CancelIn, *, principal: Principal) -> dict:
    """Cancel units at once where the node has not got the work or does not confirm cancels; where it
    does (``confirms_cancel``) and has the work, ask it (``details.cancel_request``) and wait for its word."""
    principal.require_order_write()
    at = ctx.clock.now()
    confirming = {n.id for n in (await ctx.reference.get(ctx.db)).nodes.values() if n.confirms_cancel}
    async with ctx.db.write() as conn:
        state = await OrderState.load(conn, order_id)
        principal.require_in_channel("order", order_id, state.order["channel"])
        if state.order["status"] == OStatus.CANCELLED:
            raise IllegalTransition("order", OStatus.CANCELLED, OStatus.CANCELLED)
        targets = _targets(state, body)
        if not targets:
            raise Conflict("nothing of this order can be cancelled now: what is left has left the nodes or "
                           "waits for a node's answer to a cancel", current_status=state.order["status"])
        taken = _take_off(state, targets, confirming)
        ending = [f for f in state.fuls
                  if f["status"] in CANCELLABLE and not any(still_to_send(fl) for fl in state.lines_of(f))]
        await _give_back(ctx, conn, state, taken, ending, at)
        for f in ending:
            state.move(f, FStatus.CANCELLED, actor=principal.actor, at=at, reason=body.reason)
        _record(state, body, taken, actor=principal.actor, at=at)
        view = await state.save(conn, actor=principal.actor, at=at, reason=body.reason)
    if view["status"] == OStatus.AWAITING_SOURCING:
        # The lines that could not be sent are gone: the others may be sourced now (the partial option).
        view = await resource_order(ctx, order_id, reason="the other lines were cancelled") or view
    return view


@dataclass
class _Taken:
    """What cancelling took off the order's lines, and what it asks of the nodes that confirm cancels."""
    released: Units = field(default_factory=list)  # reserved units that go back to their nodes' stock
    promised: list[tuple[str, int]] = field(default_factory=list)  # (supply, units) backordered lines gave up
    done: dict[int, int] = field(default_factory=dict)  # units cancelled now, per order line
    asks: dict[str, dict[int, int]] = field(default_factory=dict)  # per fulfilment order, units per line


def _take_off(state: OrderState, targets: list[tuple[int, int]], confirming: set[str]) -> _Taken:
    """Cancel the targets (order line, units) on the lines: units no node holds go first; the rest come off
    the fulfilment lines that still hold them, or are asked of their node when it confirms cancels."""
    taken = _Taken()
    for line_no, qty in targets:
        line = next(ln for ln in state.lines if ln["line_no"] == line_no)
        free = min(qty, max(0, state.unallocated(line_no)))
        line["cancelled"] += free
        taken.done[line_no] = free
        qty -= free
        for fl, units in _holding(state, line_no):
            take = min(qty, units)
            qty -= take
            if not take:
                continue
            f = state.fulfillment(fl["fulfillment_id"])
            if f["node_id"] in confirming and f["status"] in CANCEL_ASKED:
                asked = taken.asks.setdefault(f["id"], {})
                asked[line_no] = asked.get(line_no, 0) + take
                continue
            line["cancelled"] += take
            taken.done[line_no] += take
            fl["cancelled"] += take
            if fl["reserved"]:
                taken.released.append((fl, take))
            else:  # a backordered line: the supply keeps its units for others
                assert fl["supply_id"] is not None  # (a line reserving nothing waits for supply)
                taken.promised.append((fl["supply_id"], take))
    return taken


async def _give_back(ctx: Context, conn: AsyncConnection, state: OrderState, taken: _Taken,
                     ending: list[FulfillmentRow], at: datetime) -> None:
    """What the cancelled units held goes back, in every writer's lock order: stock rows, capacity rows
    (the places of the fulfilment orders that end), supply rows."""
    await state.release(conn, taken.released, at=at)
    await give_back_places(conn, ending)
    await supply_promises.give_back(conn, taken.promised)
    if taken.promised:
        await bump_reference(conn, ctx.db.dialect)  # availability shows those units coming again


def _record(state: OrderState, body: CancelIn, taken: _Taken, *, actor: str, at: datetime) -> None:
    """The order's event of what was cancelled now (unless all of it waits for nodes' answers), and a
    request to each node asked to cancel."""
    cancelled = [{"line_no": n, "quantity": q} for n, q in taken.done.items() if q]
    if cancelled or not taken.asks:
        state.record("order.cancelled" if body.lines is None and not taken.asks else "order.lines_cancelled",
                     actor=actor, at=at, reason=body.reason, data={"order_id": state.order["id"], "lines": cancelled})
    for f_id, lines in sorted(taken.asks.items()):
        _ask(state, state.fulfillment(f_id), lines, actor=actor, at=at, reason=body.reason)


async def give_back_places(conn: AsyncConnection, ending: list[FulfillmentRow]) -> None:
    """The node-day places of fulfilment orders that end now: those of work not done yet, all of them; of
    work done, the places further on (the parcel's)."""
    await capacity.give_back(conn, capacity.places_of([f for f in ending if f["status"] in UNWORKED]) +
                             capacity.places_of([f for f in ending if f["status"] not in UNWORKED], worked=True))


def _ask(state: OrderState, f: FulfillmentRow, lines: dict[int, int], *, actor: str, at, reason: str | None) -> None:
    """Ask the node to cancel units of work it has; asked again, the request grows."""
    asked = dict(pending(f))
    for line_no, qty in lines.items():
        asked[line_no] = asked.get(line_no, 0) + qty
    request = {"lines": [{"line_no": n, "quantity": q} for n, q in sorted(asked.items())],
               "reason": reason, "requested_at": at.isoformat(), "by": actor}
    f["details"] = {**f["details"], "cancel_request": request}
    state.record("fulfillment.cancel_requested", actor=actor, at=at, reason=reason,
                 data={"fulfillment_id": f["id"], "node_id": f["node_id"], "order_id": state.order["id"],
                       "lines": [{"line_no": n, "quantity": q} for n, q in sorted(lines.items())],
                       "cancel_request": request})


def pending(f: FulfillmentRow) -> dict[int, int]:
    """Units per order line that the node is asked to cancel and has not answered yet."""
    return {x["line_no"]: x["quantity"] for x in f["details"].get("cancel_request", {}).get("lines", [])}


def _holding(state: OrderState, line_no: int) -> list[tuple[FulfillmentLineRow, int]]:
    """The line's fulfilment lines with units that can still be cancelled, and how many: the reserved
    ones, or all those still to send of a backordered line (it holds no stock yet)."""
    fuls = {f["id"]: f for f in state.fuls if f["status"] in CANCELLABLE}
    found = []
    for fl in state.flines:
        if fl["line_no"] == line_no and fl["fulfillment_id"] in fuls:
            f = fuls[fl["fulfillment_id"]]
            waiting = f["status"] == FStatus.BACKORDERED
            # (units a node is already asked to cancel are not asked twice)
            units = still_to_send(fl) if waiting else fl["reserved"] - pending(f).get(line_no, 0)
            if units:
                found.append((fl, units))
    # Cancel first where the node has done the least work.
    return sorted(found, key=lambda x: CANCELLABLE.index(fuls[x[0]["fulfillment_id"]]["status"]))


def _cancellable(state: OrderState, line_no: int) -> int:
    return state.unallocated(line_no) + sum(units for _, units in _holding(state, line_no))


def _targets(state: OrderState, body: CancelIn) -> list[tuple[int, int]]:
    """(line_no, quantity) to cancel, or an error naming each line that cannot give that much."""
    if body.lines is None:
        shipped = sum(fl["shipped"] for fl in state.flines)
        if shipped:
            raise Conflict(f"{shipped} units of this order have left the node; cancel the other lines instead",
                           current_status=state.order["status"])
        targets = [(ln["line_no"], _cancellable(state, ln["line_no"])) for ln in state.lines]
        return [(n, q) for n, q in targets if q > 0]

    wrong = Problems()
    lines = []
    for i, want in enumerate(body.lines):
        matches = [ln for ln in state.lines if ln["line_no"] == want.line_no or ln["sku"] == want.sku]
        if not matches:
            wrong.add(f"lines.{i}", f"no line {want.line_no or want.sku!r} in this order")
        elif len(matches) > 1:
            wrong.add(f"lines.{i}.sku", f"{want.sku} is on several lines; give line_no instead")
        else:
            lines.append((i, want, matches[0]["line_no"]))
    wrong.raise_if_any()  # naming a line the order does not have is bad input (422), not a conflict

    errors: list[FieldError] = []
    asked: dict[int, int] = {}
    for i, want, line_no in lines:
        can = _cancellable(state, line_no) - asked.get(line_no, 0)
        qty = want.quantity or can
        if qty > can or qty == 0:
            errors.append(FieldError(f"lines.{i}.quantity",
                                     f"line {line_no} has {can} units that can still be cancelled, not {qty}"))
            continue
        asked[line_no] = asked.get(line_no, 0) + qty
    if errors:
        raise Conflict("; ".join(f"{e.field}: {e.reason}" for e in errors),
                       errors=[{"field": e.field, "reason": e.reason} for e in errors])
    # One target per line: a line named twice is cancelled once, by the sum (its units are taken once).
    return list(asked.items())
