"""PrestaShop told of each shipment through its webservice: the order's carrier given the tracking number
(``order_carriers``), then, once the OMS order has left whole, the order moved to "Shipped" (an
``order_histories`` record, on which PrestaShop e-mails the customer).

The webservice takes no idempotency key, and an order history made twice would e-mail the customer twice: the
order is read first, and left alone once it is shipped or further on; a tracking number the carrier has
already is not given again. Its writes take XML only.

    GET  /api/order_carriers?filter[id_order]=[id]&display=full    then PUT /api/order_carriers/{id}
    GET  /api/orders?filter[id]=[id]&display=[id,current_state]    then POST /api/order_histories
"""

from collections.abc import Mapping
from xml.etree import ElementTree

import httpx

from ...domain.connectors import Kind
from ...domain.lifecycle import OStatus
from ..runtime.context import Context
from .calls import Refused, call, expect_ok
from .platforms import presta_list

# PrestaShop's own states, as it installs them: "Shipped" (PS_OS_SHIPPING), "Delivered" (PS_OS_DELIVERED),
# "Canceled" (PS_OS_CANCELED).
SHIPPED, DELIVERED, CANCELLED = "4", "5", "6"
XML = {"Content-Type": "application/xml"}
# The order_carrier's fields written back (a field the shop sends besides is not: its name would be a tag).
_CARRIER_FIELDS = ("id", "id_order", "id_carrier", "id_order_invoice", "weight", "shipping_cost_tax_excl",
                   "shipping_cost_tax_incl", "tracking_number", "date_add")


async def shipment(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                   report: Mapping, whole: bool) -> str | None:
    ref, data = report["platform_ref"], report["data"]
    base, auth = connector["base_url"], (credentials["api_key"], "")
    note = None
    if data["tracking_number"]:
        carriers = await presta_list(ctx, http, connector, credentials, "order_carriers",
                                     {"display": "full", "filter[id_order]": f"[{ref}]"})
        if not carriers:
            raise Refused(f"PrestaShop has no carrier for order {ref}")
        carrier = max(carriers, key=lambda x: int(x.get("id") or 0))  # (the order's latest)
        if carrier.get("tracking_number") == data["tracking_number"]:
            note = "PrestaShop knew of it already"
        else:
            fields = {k: carrier[k] for k in _CARRIER_FIELDS if isinstance(carrier.get(k), str | int | float)}
            answer = await call(ctx, http, connector["id"], Kind.PRESTASHOP, "PUT",
                                f"{base}/api/order_carriers/{carrier['id']}", auth=auth, headers=XML,
                                content=_xml("order_carrier", {**fields, "tracking_number": data["tracking_number"]}))
            expect_ok(answer, "giving the order's carrier its tracking number")
    if not whole:
        return note
    if await _state(ctx, http, connector, credentials, ref) in (SHIPPED, DELIVERED):
        return note or "PrestaShop had the order shipped already"
    await _move(ctx, http, connector, credentials, ref, SHIPPED)
    return note


async def cancellation(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str],
                       report: Mapping, whole: bool) -> str | None:
    """A whole order cancelled: moved to "Canceled" unless it is already, or has left. PrestaShop knows no
    cancelled lines (only credit slips, the shop's decision): lines alone are not told."""
    ref = report["platform_ref"]
    if report["order_status"] != OStatus.CANCELLED:
        return "PrestaShop is not told of lines cancelled alone (it knows credit slips only)"
    state = await _state(ctx, http, connector, credentials, ref)
    if state == CANCELLED:
        return "PrestaShop had the order cancelled already"
    if state in (SHIPPED, DELIVERED):
        raise Refused(f"the order is shipped in PrestaShop (state {state}): not cancelled there")
    await _move(ctx, http, connector, credentials, ref, CANCELLED)
    return None


async def _state(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str], ref: str) -> str:
    found = await presta_list(ctx, http, connector, credentials, "orders",
                              {"display": "[id,current_state]", "filter[id]": f"[{ref}]"})
    if not found:
        raise Refused(f"PrestaShop has no order {ref}")
    return str(found[0].get("current_state"))


async def _move(ctx: Context, http: httpx.AsyncClient, connector: dict, credentials: dict[str, str], ref: str,
                state: str) -> None:
    """An order history moving the order to ``state`` (PrestaShop e-mails the customer)."""
    answer = await call(ctx, http, connector["id"], Kind.PRESTASHOP, "POST",
                        f"{connector['base_url']}/api/order_histories", auth=(credentials["api_key"], ""),
                        headers=XML, changes=True, params={"sendemail": "1"},
                        content=_xml("order_history", {"id_order": ref, "id_order_state": state}))
    expect_ok(answer, f"moving the order to state {state}")


def _xml(resource: str, fields: Mapping[str, object]) -> bytes:
    """A webservice write: ``<prestashop><resource><field>value</field>…</resource></prestashop>``."""
    root = ElementTree.Element("prestashop")
    element = ElementTree.SubElement(root, resource)
    for name, value in fields.items():
        ElementTree.SubElement(element, name).text = str(value)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
