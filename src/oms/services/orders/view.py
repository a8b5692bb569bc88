"""How an order is shown (API answers and event payloads), built from its rows."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ...db.rows import FulfillmentLineRow, FulfillmentRow
from ...domain.access import Principal
from ...domain.lifecycle import DROPPED


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def fulfillment_view(f: FulfillmentRow, flines: Iterable[FulfillmentLineRow]) -> dict[str, Any]:
    return {
        "id": f["id"],
        "order_id": f["order_id"],
        "node_id": f["node_id"],
        "handover_node_id": f["handover_node_id"],
        "status": f["status"],
        "details": f["details"],
        "lines": [
            {"line_no": fl["line_no"], "sku": fl["sku"], "quantity": fl["quantity"], "picked": fl["picked"],
             "shipped": fl["shipped"], "cancelled": fl["cancelled"], "short": fl["short"],
             "reserved": fl["reserved"], "supply_id": fl.get("supply_id")}
            for fl in sorted(flines, key=lambda x: x["line_no"])
        ],
        "created_at": f["created_at"].isoformat(),
        "updated_at": f["updated_at"].isoformat(),
    }


def order_brief(o: Mapping[str, Any]) -> dict[str, Any]:
    """What a node needs of the order to do its work: who the customer is and where it goes."""
    return {"id": o["id"], "status": o["status"], "channel": o["channel"],
            "customer": {"name": o["customer_name"], "email": o["customer_email"]}, "delivery": o["delivery"]}


def release_message(o: Mapping[str, Any], f: FulfillmentRow, flines: Iterable[FulfillmentLineRow]) -> dict[str, Any]:
    """``fulfillment.released``: the work as the node (its WMS, a supplier) receives it, with the order."""
    return {**fulfillment_view(f, flines), "order": order_brief(o)}


def order_view(o: Mapping[str, Any], lines: Iterable[Mapping[str, Any]], fulfillments: Iterable[FulfillmentRow],
               flines: Iterable[FulfillmentLineRow]) -> dict[str, Any]:
    by_f: dict[str, list[FulfillmentLineRow]] = {}
    for fl in flines:
        by_f.setdefault(fl["fulfillment_id"], []).append(fl)
    return {
        "id": o["id"],
        "channel": o["channel"],
        "external_ref": o["external_ref"],
        "status": o["status"],
        "hold": o.get("hold"),  # why it waits before its nodes get the work (payment), or null
        "customer": {"name": o["customer_name"], "email": o["customer_email"]},
        "delivery": o["delivery"],
        "total": money(o["total_amount"], o["currency"]),
        "lines": [
            {"line_no": ln["line_no"], "sku": ln["sku"], "quantity": ln["quantity"],
             "cancelled": ln["cancelled"], "returned": ln["returned"],
             "unit_price": money(ln["unit_price"], o["currency"])}
            for ln in sorted(lines, key=lambda x: x["line_no"])
        ],
        "fulfillments": [
            fulfillment_view(f, by_f.get(f["id"], [])) for f in sorted(fulfillments, key=lambda x: x["id"])
        ],
        "dates": dates(o, fulfillments),
        # Why the order may miss its promise and the options left (re-sourcing found no way to keep it).
        "at_risk": o.get("at_risk"),
        "created_at": o["created_at"].isoformat(),
        "updated_at": o["updated_at"].isoformat(),
    }


def dates(o: Mapping[str, Any], fulfillments: Iterable[FulfillmentRow]) -> dict[str, Any]:
    """The promised window beside what happened: when the first parcel left, when the last reached the
    customer (delivered or collected: only once every part has)."""
    live = [f for f in fulfillments if f["status"] not in DROPPED]
    shipped = [f["details"]["shipped_at"] for f in live if "shipped_at" in f["details"]]
    ended = [f["details"].get("delivered_at") or f["details"].get("collected_at") for f in live]
    arrived: list[str] = [e for e in ended if e]
    moment = datetime.fromisoformat  # compared as times: a carrier's offset is not the server's
    return {"promised": o["delivery"].get("promised"), "first_shipped": min(shipped, default=None, key=moment),
            "delivered": max(arrived, key=moment) if ended and len(arrived) == len(ended) else None}


def visible_to(principal: Principal, view: dict[str, Any]) -> dict[str, Any]:
    """The order as this key may see it: a node key sees only the fulfilment orders it sends or hands over."""
    shown = [f for f in view["fulfillments"] if principal.sees_fulfillment(f["node_id"], f["handover_node_id"])]
    return view if len(shown) == len(view["fulfillments"]) else {**view, "fulfillments": shown}
