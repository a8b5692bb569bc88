"""Mirakl told what the shop did with its orders: the lines it accepts and refuses (OR21), each shipment's
tracking (OR23), and the order shipped (OR24) once it has left whole.

Mirakl takes no idempotency key: the order is read first (OR11 by its id), before every sending, and what
Mirakl knows already is not asked again (a decision once the order has left WAITING_ACCEPTANCE, a tracking
number it has, a shipment of an order it has shipped). A call that reached Mirakl before the process died, or
whose answer was lost, is so never made twice.

    OR11  GET /api/orders?order_ids={id}
    OR21  PUT /api/orders/{id}/accept  {"order_lines": [{"id": <order_line_id>, "accepted": true|false}]}
    OR23  PUT /api/orders/{id}/tracking  {"carrier_name", "tracking_number"} (a carrier of the operator's own
          list would be named by ``carrier_code``; the OMS names carriers by their own names)
    OR24  PUT /api/orders/{id}/ship

Mirakl holds one tracking per order: an order sent in several parcels shows the last one told.
"""

from collections.abc import Mapping
from urllib.parse import quote

import httpx

from ...domain.connectors import Kind
from ...domain.lifecycle import OStatus
from ...domain.platform_orders import MIRAKL_DECIDE, MIRAKL_PAID, MIRAKL_UNDONE
from ..runtime.context import Context
from .calls import PlatformError, Refused, call, expect_ok
from .platforms import mirakl_headers, records

TO_SHIP = "SHIPPING"


async def acceptance(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                     report: Mapping, whole: bool) -> str | None:
    """OR21 for the lines still waiting: accepted those the OMS holds units for, refused the others."""
    ref = report["platform_ref"]
    known = await order(ctx, http, connector, credentials, ref)
    if known.get("order_state") != MIRAKL_DECIDE:
        return f"decided already: the order is {known.get('order_state')} on Mirakl"
    # (an order the OMS cancelled meanwhile holds nothing: every line is refused)
    accepted = set() if report["order_status"] == OStatus.CANCELLED else set(report["data"]["accepted"])
    waiting = [str(line.get("order_line_id")) for line in known.get("order_lines") or []
               if isinstance(line, dict) and line.get("order_line_state") == MIRAKL_DECIDE]
    if not waiting:
        return "no line waits for a decision"
    answer = await call(ctx, http, connector["id"], Kind.MIRAKL, "PUT", _url(connector, ref, "accept"),
                        headers=mirakl_headers(credentials), changes=True,
                        json={"order_lines": [{"id": line, "accepted": line in accepted} for line in waiting]})
    expect_ok(answer, "accepting and refusing the lines")
    return None


async def shipment(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                   report: Mapping, whole: bool) -> str | None:
    """OR23 with the shipment's tracking (unless Mirakl has it), then OR24 once the OMS order has left whole."""
    ref, data = report["platform_ref"], report["data"]
    known = await order(ctx, http, connector, credentials, ref)
    state = known.get("order_state")
    if state in MIRAKL_UNDONE:
        raise Refused(f"the order is {state} on Mirakl")
    if state in MIRAKL_PAID and state != TO_SHIP:
        return f"Mirakl knew of it already: the order is {state}"
    if state != TO_SHIP:
        raise PlatformError(f"the order is {state} on Mirakl, not to ship yet: later")
    note = None
    if data["tracking_number"] and known.get("shipping_tracking") != data["tracking_number"]:
        told = await call(ctx, http, connector["id"], Kind.MIRAKL, "PUT", _url(connector, ref, "tracking"),
                          headers=mirakl_headers(credentials), json={
                              "carrier_name": data["carrier"] or "carrier", "tracking_number": data["tracking_number"]})
        try:
            expect_ok(told, "telling the tracking")
        except Refused as exc:  # (the parcel goes all the same: Mirakl hears it shipped, without its tracking)
            note = str(exc)
    if not whole:
        return note or "tracking told; the order is shipped on Mirakl once it has left whole"
    shipped = await call(ctx, http, connector["id"], Kind.MIRAKL, "PUT", _url(connector, ref, "ship"),
                         headers=mirakl_headers(credentials), changes=True)
    expect_ok(shipped, "shipping the order")
    return note


async def cancellation(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                       report: Mapping, whole: bool) -> str | None:
    """Mirakl brought to what the OMS cancelled: a whole order by OR29 while Mirakl lets the shop cancel it;
    lines by OR30, each the units the OMS has cancelled and Mirakl not yet (so that a report sent again asks
    nothing twice), at the line's unit price, with the connector's reason code. The rest having left, the
    order is shipped (OR24): no shipment would tell it any more."""
    ref = report["platform_ref"]
    known = await order(ctx, http, connector, credentials, ref)
    state = known.get("order_state")
    if state in MIRAKL_UNDONE:
        return f"Mirakl has the order {state} already"
    if state == MIRAKL_DECIDE:
        return "the acceptance refuses what the OMS cancelled"
    if report["data"]["whole"]:
        if not known.get("can_cancel"):
            raise Refused(f"Mirakl does not let the shop cancel the order now (it is {state})")
        answer = await call(ctx, http, connector["id"], Kind.MIRAKL, "PUT", _url(connector, ref, "cancel"),
                            headers=mirakl_headers(credentials), changes=True)
        expect_ok(answer, "cancelling the order")
        return None
    cancelations = _cancelations(known, report)
    if cancelations:
        if not connector["cancel_reason"]:
            raise Refused("Mirakl needs a reason code for cancelled lines: set the connector's cancel_reason "
                          "(one of the operator's), then retry")
        answer = await call(ctx, http, connector["id"], Kind.MIRAKL, "PUT",
                            f"{connector['base_url']}/api/orders/cancel", headers=mirakl_headers(credentials),
                            changes=True, json={"cancelations": [
                                {**x, "reason_code": connector["cancel_reason"]} for x in cancelations]})
        expect_ok(answer, "cancelling the lines")
    if whole and state == TO_SHIP:
        shipped = await call(ctx, http, connector["id"], Kind.MIRAKL, "PUT", _url(connector, ref, "ship"),
                             headers=mirakl_headers(credentials), changes=True)
        expect_ok(shipped, "shipping what is left of the order")
    return None if cancelations else "Mirakl knew of it already"


def _cancelations(known: dict, report: Mapping) -> list[dict]:
    """OR30's cancelations: of each line the OMS cancelled units of, those Mirakl has not cancelled yet."""
    lines = {str(line.get("order_line_id")): line for line in known.get("order_lines") or [] if isinstance(line, dict)}
    items: list = report["items"]
    made = []
    for line_no, cancelled in sorted(report["cancelled"].items()):
        line = lines.get(str(items[line_no - 1])) if line_no <= len(items) else None
        if line is None or not cancelled:
            continue
        told = sum(int(c.get("quantity") or 0) for c in line.get("cancelations") or [] if isinstance(c, dict))
        if cancelled > told:
            quantity = cancelled - told
            made.append({"order_line_id": line["order_line_id"], "quantity": quantity,
                         "amount": round(float(line.get("price_unit") or 0) * quantity, 2)})
    return made


async def order(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                ref: str) -> dict:
    """The order as Mirakl has it now (OR11), or a refusal when it has none of that id."""
    answer = await call(ctx, http, connector["id"], Kind.MIRAKL, "GET", f"{connector['base_url']}/api/orders",
                        headers=mirakl_headers(credentials), params={"order_ids": ref})
    found = next((o for o in records(answer, "orders") if isinstance(o, dict) and o.get("order_id") == ref), None)
    if found is None:
        raise Refused(f"Mirakl has no order {ref}")
    return found


def _url(connector: dict, ref: str, action: str) -> str:
    return f"{connector['base_url']}/api/orders/{quote(ref, safe='')}/{action}"
