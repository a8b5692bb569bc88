"""Node confirmations: accept, reject, pick (with short picks), ship, deliver, ready, collect."""

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import capacity
from ...db import tables as t
from ...db.rows import FulfillmentLineRow, FulfillmentRow
from ...domain.access import Principal
from ...domain.errors import Conflict, FieldError, Forbidden, InvalidInput
from ...domain.lifecycle import ACTIONS, LEAVING, FStatus
from ...domain.vocabulary import Role
from ..orders.cancel import pending
from ..orders.claims import decline, offered, take_over, withdraw
from ..orders.resourcing import resource_order
from ..orders.state import OrderState, still_to_send
from ..orders.view import visible_to
from ..partners.carrier_adapters import adapters
from ..runtime.context import Context
from .cancel_requests import refuse, settle
from .inputs import ActionIn


async def act(ctx: Context, fulfillment_id: str, action: str, body: ActionIn, *, principal: Principal) -> dict:
    """Apply a node's confirmation and answer the order as it now stands."""
    if action not in ACTIONS:
        raise InvalidInput([FieldError("action", f"must be one of {', '.join(ACTIONS)}")])
    principal.require_fulfillment_worker()
    if action == "reject" and not body.reason:  # the timeline and whoever sources the units again need it
        raise InvalidInput([FieldError("reason", "a rejection says why (out of stock, damaged, closed …)")])
    label = None
    if action == "ship" and body.carrier and not body.tracking_number:
        # Booked before the order is locked (a carrier may take seconds); a move the booking did not
        # lead to leaves the label unused, as a carrier's unused labels are.
        number, label = await _book(ctx, fulfillment_id, body, principal)
        body = body.model_copy(update={"tracking_number": number}) if number else body
    at = ctx.clock.now()
    async with ctx.db.write() as conn:
        state, f = await OrderState.of_fulfillment(conn, fulfillment_id)
        requested = ACTIONS[action]
        if principal.role == Role.NODE and principal.scope in offered(f) and principal.scope != f["node_id"]:
            await _answer_offer(ctx, conn, state, f, requested, principal, at, body.reason)
            return visible_to(principal, await state.save(conn, actor=principal.actor, at=at, reason=body.reason))
        principal.require_fulfillment_action(fulfillment_id, f["node_id"], requested, f["handover_node_id"])
        if f["status"] == requested:
            # A confirmation sent again (a retry after a timeout) changes nothing and answers the same.
            return visible_to(principal, state.view())
        lines = state.lines_of(f)
        actor = principal.actor

        # Check the move first (nothing may touch stock for an illegal one), record it after its effects
        # so the event tells what was picked, the carrier and tracking number, or the pickup code.
        state.check(f, requested)
        short: list[tuple[FulfillmentLineRow, int]] = []
        if requested == FStatus.PICKED:
            before = {fl["line_no"]: fl["short"] for fl in lines}
            short = _apply_pick(lines, body)
            if short:
                await state.consume(conn, short, reason="short_pick", ref=fulfillment_id, at=at)
                settle(state, f, {fl["line_no"]: fl["short"] - before[fl["line_no"]] for fl in lines},
                       actor=actor, at=at)
        else:
            await _effects(conn, state, f, requested, body, label, at)
            if requested == FStatus.REJECTED:
                settle(state, f, None, actor=actor, at=at)
        if requested == FStatus.ACCEPTED and offered(f):
            await withdraw(conn, state, f, actor=actor, at=at, taken_by=f["node_id"])
        if requested in LEAVING and (asked := pending(f)):
            refuse(state, f, asked, actor=actor, at=at, reason=f"{action} before the cancel was confirmed")
        state.move(f, requested, actor=actor, at=at, reason=body.reason)
        if short:
            state.record("fulfillment.short_picked", actor=actor, at=at, reason=body.reason,
                         data={"fulfillment_id": fulfillment_id,
                               "lines": [{"sku": fl["sku"], "quantity": n} for fl, n in short]})
            if not any(still_to_send(fl) for fl in lines):
                # The node did its work; the places the parcel would have taken further on go back.
                await capacity.give_back(conn, capacity.places_of([f], worked=True))
                state.move(f, FStatus.CANCELLED, actor=actor, at=at, reason="nothing found when picking")
        view = await state.save(conn, actor=actor, at=at, reason=body.reason)
    if requested == FStatus.REJECTED or short:
        # The units the node will not send are planned again at once (a failure here leaves the order
        # awaiting sourcing: the sweeper tries it again).
        why = f"{f['node_id']} rejected them" if requested == FStatus.REJECTED else f"{f['node_id']} did not find them"
        view = await resource_order(ctx, f["order_id"], reason=why) or view
    return visible_to(principal, view)


async def _answer_offer(ctx: Context, conn: AsyncConnection, state: OrderState, f: FulfillmentRow,
                        requested: FStatus, principal: Principal, at: datetime, reason: str | None) -> None:
    """A store offered another's work accepts it (and takes it over) or declines it; nothing else."""
    node_id = principal.scope
    assert node_id is not None  # (a node key: the caller found it among those offered the work)
    if requested == FStatus.ACCEPTED:
        await take_over(ctx, conn, state, f, node_id, actor=principal.actor, at=at)
    elif requested == FStatus.REJECTED:
        await decline(conn, state, f, node_id, actor=principal.actor, at=at, reason=reason)
    else:
        raise Forbidden(f"{node_id} is offered this work: it accepts or rejects it first")


async def _effects(conn, state: OrderState, f: FulfillmentRow, status: FStatus, body: ActionIn, label: str | None,
                   at: datetime) -> None:
    details = dict(f["details"])
    lines = state.lines_of(f)
    if status == FStatus.REJECTED:
        await give_up(conn, state, f, body.reason, at)
        return
    if status in LEAVING:
        if status == FStatus.COLLECTED:
            expected = details.get("pickup_code")
            if expected and body.pickup_code != expected:
                raise InvalidInput([FieldError("pickup_code", "does not match the code given to the customer")])
        if status == FStatus.SHIPPED:
            details.update(await _shipment(conn, f, body, label, at))
        # What is still reserved leaves the node now (for a transfer, it left when shipped).
        leaving = [(fl, fl["reserved"]) for fl in lines]
        await state.consume(conn, leaving, reason="ship" if status == FStatus.SHIPPED else "collect", ref=f["id"],
                            at=at)
        for fl, n in leaving:
            fl["shipped"] += n
    elif status == FStatus.PACKED:
        if not body.parcels:
            raise InvalidInput([FieldError("parcels", "pack needs the parcels made, each with its weight_g")])
        details["parcels"] = [p.model_dump(exclude_none=True) for p in body.parcels]
    elif status == FStatus.READY_FOR_PICKUP:
        details["pickup_code"] = body.pickup_code or pickup_code()
    f["details"] = {k: v for k, v in details.items() if v is not None}


def pickup_code() -> str:
    """The code the customer gives to collect the parcel: six digits, unguessable."""
    return f"{secrets.randbelow(10**6):06d}"


async def _book(ctx: Context, fulfillment_id: str, body: ActionIn, principal: Principal
                ) -> tuple[str | None, str | None]:
    """The tracking number and label of a shipment booked with the carrier's adapter, when the OMS has
    one (else none: the node gives its own number). Checked first: the key may ship this work, and the
    work may be shipped now."""
    if body.carrier is None:
        return None, None
    adapter = adapters(ctx.settings.carrier_endpoints, ctx.settings.carrier_secrets).get(body.carrier)
    if adapter is None:
        return None, None
    async with ctx.db.write() as conn:
        state, f = await OrderState.of_fulfillment(conn, fulfillment_id)
        principal.require_fulfillment_action(fulfillment_id, f["node_id"], FStatus.SHIPPED, f["handover_node_id"])
        if f["status"] == FStatus.SHIPPED:
            return None, None  # shipped already: the confirmation is a repeat
        state.check(f, FStatus.SHIPPED)
        address = state.order["delivery"].get("address")
        if f["handover_node_id"] not in (None, f["node_id"]):  # a transfer: to the collecting node
            address = await conn.scalar(select(t.nodes.c.address).where(t.nodes.c.id == f["handover_node_id"]))
    return await adapter.book(fulfillment_id, f["details"].get("parcels", []), address)


async def _shipment(conn, f: FulfillmentRow, body: ActionIn, label: str | None, at: datetime) -> dict:
    """The carrier and tracking number (booked with the carrier, or the node's own), kept in ``shipments``
    so the carrier's tracking updates find the fulfilment order."""
    number = body.tracking_number
    if body.carrier and number:
        s = t.shipments.c
        held = await conn.scalar(select(s.fulfillment_id).where(s.carrier == body.carrier, s.tracking_number == number))
        if held not in (None, f["id"]):
            raise Conflict(f"{body.carrier} tracking number {number!r} is another shipment's ({held})")
        if held is None:
            await conn.execute(t.shipments.insert().values(carrier=body.carrier, tracking_number=number,
                                                           fulfillment_id=f["id"], label=label, created_at=at))
    return {"carrier": body.carrier, "tracking_number": number, "label": label}


async def give_up(conn, state: OrderState, f: FulfillmentRow, reason: str | None, at: datetime) -> None:
    """The node will not do the work (it rejected it, or let the time to accept it lapse): its units are
    released and its places go back (a new plan takes its own)."""
    await state.release(conn, [(fl, fl["reserved"]) for fl in state.lines_of(f)], at=at)
    await capacity.give_back(conn, capacity.places_of([f]))
    details = {k: v for k, v in f["details"].items() if k != "capacity"}
    f["details"] = {**details, "reject_reason": reason} if reason else details


def _apply_pick(lines: list[FulfillmentLineRow], body: ActionIn) -> list[tuple[FulfillmentLineRow, int]]:
    """Record picked quantities (all, when none are given); return the lines' units not found (still
    reserved: the caller consumes them)."""
    found: dict[str, int] | None = None
    if body.lines is not None:
        found = {}
        skus = {fl["sku"] for fl in lines}
        errors = []
        for i, p in enumerate(body.lines):
            if p.sku not in skus:
                errors.append(FieldError(f"lines.{i}.sku", f"{p.sku!r} is not in this fulfillment"))
            found[p.sku] = found.get(p.sku, 0) + p.quantity
        for sku, qty in found.items():
            expected = sum(fl["reserved"] for fl in lines if fl["sku"] == sku)
            if sku in skus and qty > expected:
                errors.append(FieldError("lines", f"{qty} x {sku} picked but only {expected} to pick"))
        if errors:
            raise InvalidInput(errors)
    short = []
    for fl in lines:
        take = fl["reserved"] if found is None else min(fl["reserved"], found.get(fl["sku"], 0))
        if found is not None:
            found[fl["sku"]] = found.get(fl["sku"], 0) - take
        missing = fl["reserved"] - take
        fl["picked"] = take
        fl["short"] += missing
        if missing:
            short.append((fl, missing))
    return short
