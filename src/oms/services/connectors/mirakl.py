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
from ...domain.platform_orders import MIRAKL_DECIDE, MIRAKL_PAID, MIRAKL_UNDONE, MIRAKL_UNPAID
from ..runtime.context import Context
from .calls import PlatformError, Refused, call, expect_ok
from .platforms import mirakl_headers, records

TO_SHIP = "SHIPPING"


async def acceptance(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                     report: Mapping, whole: bool) -> str | None:
    """OR21 for the lines still waiting: accepted those the OMS holds units for (not cancelled since),
    refused the others."""
    ref = report["platform_ref"]
    known = await order(ctx, http, connector, credentials, ref)
    if known.get("order_state") != MIRAKL_DECIDE:
        return f"decided already: the order is {known.get('order_state')} on Mirakl"
    gone = {str(item) for item, (quantity, cancelled) in _by_item(report).items() if cancelled >= quantity}
    accepted = {str(x) for x in report["data"]["accepted"]} - gone
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
    """OR23 with the shipment's tracking (unless Mirakl has it), then, once the OMS order has left whole, the
    units it cancelled (OR30, so that Mirakl never bills them) and OR24."""
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
    await _cancel_lines(ctx, http, connector, credentials, known, report)
    await _ship(ctx, http, connector, credentials, ref)
    return note


async def cancellation(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                       report: Mapping, whole: bool) -> str | None:
    """Mirakl brought to what the OMS cancelled: a whole order by OR29 once Mirakl lets the shop cancel it
    (tried again while the customer is not debited yet); lines by OR30, each the units the OMS has cancelled
    and Mirakl not yet (so that a report sent again asks nothing twice), at the line's unit price, with the
    connector's reason code. The rest having left, the order is shipped (OR24): no shipment would tell it."""
    ref = report["platform_ref"]
    known = await order(ctx, http, connector, credentials, ref)
    state = known.get("order_state")
    if state in MIRAKL_UNDONE:
        return f"Mirakl has the order {state} already"
    if state == MIRAKL_DECIDE:  # (the decision refuses what is cancelled: read again once it is taken)
        raise PlatformError("Mirakl has not taken the shop's decision yet: later")
    if state not in MIRAKL_UNPAID | {TO_SHIP}:
        if report["order_status"] != OStatus.CANCELLED and not _cancelations(known, report):
            return "Mirakl knew of it already"  # (the shipment's report told the units before shipping)
        raise Refused(f"the order is {state} on Mirakl: too late to cancel")
    if report["order_status"] == OStatus.CANCELLED:
        if not known.get("can_cancel"):
            if state in MIRAKL_UNPAID:
                raise PlatformError(f"Mirakl lets the shop cancel the order once the customer is debited ({state})")
            raise Refused(f"Mirakl does not let the shop cancel the order now (it is {state})")
        answer = await call(ctx, http, connector["id"], Kind.MIRAKL, "PUT", _url(connector, ref, "cancel"),
                            headers=mirakl_headers(credentials), changes=True)
        expect_ok(answer, "cancelling the order")
        return None
    told = await _cancel_lines(ctx, http, connector, credentials, known, report)
    if whole and state == TO_SHIP and not report["shipments_pending"]:  # (else the shipment's, with its tracking)
        await _ship(ctx, http, connector, credentials, ref)
    return None if told else "Mirakl knew of it already"


async def _cancel_lines(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                        known: dict, report: Mapping) -> bool:
    """OR30 for the units the OMS cancelled that Mirakl has not; whether there were any."""
    cancelations = _cancelations(known, report)
    if not cancelations:
        return False
    if not connector["cancel_reason"]:
        raise Refused("Mirakl needs a reason code for cancelled lines: set the connector's cancel_reason (one of "
                      "the operator's), then retry")
    answer = await call(ctx, http, connector["id"], Kind.MIRAKL, "PUT", f"{connector['base_url']}/api/orders/cancel",
                        headers=mirakl_headers(credentials), changes=True, json={"cancelations": [
                            {**x, "reason_code": connector["cancel_reason"]} for x in cancelations]})
    expect_ok(answer, "cancelling the lines")
    return True


async def _ship(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str], ref: str) -> None:
    shipped = await call(ctx, http, connector["id"], Kind.MIRAKL, "PUT", _url(connector, ref, "ship"),
                         headers=mirakl_headers(credentials), changes=True)
    expect_ok(shipped, "shipping the order")


def _by_item(report: Mapping) -> dict[str, tuple[int, int]]:
    """Each OMS line with units cancelled, its (quantity, units cancelled), by the platform's id of the line
    (PlatformError while that id is not known yet: its capture's outcome not recorded)."""
    items: list = report["items"]
    found = {}
    for line_no, counts in report["lines_now"].items():
        if not counts[1]:
            continue
        if line_no > len(items) or items[line_no - 1] is None:
            raise PlatformError(f"the platform's id of line {line_no} is not known yet")
        found[str(items[line_no - 1])] = counts
    return found


def _cancelations(known: dict, report: Mapping) -> list[dict]:
    """OR30's cancelations: of each line the OMS cancelled units of, those Mirakl has not cancelled yet (a
    line Mirakl refused or cancelled whole has nothing left to cancel)."""
    lines = {str(line.get("order_line_id")): line for line in known.get("order_lines") or []
             if isinstance(line, dict) and line.get("order_line_state") not in (*MIRAKL_UNDONE, MIRAKL_DECIDE)}
    made = []
    for item, (_, cancelled) in sorted(_by_item(report).items()):
        line = lines.get(item)
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
                        headers=mirakl_headers(credentials),
                        params={"order_ids": ref, "order_tax_mode": "TAX_INCLUDED"})
    found = next((o for o in records(answer, "orders") if isinstance(o, dict) and o.get("order_id") == ref), None)
    if found is None:
        raise Refused(f"Mirakl has no order {ref}")
    return found


def _url(connector: dict, ref: str, action: str) -> str:
    return f"{connector['base_url']}/api/orders/{quote(ref, safe='')}/{action}"
