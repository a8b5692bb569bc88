"""The rows of new fulfilment orders: one per node sending part of an order, released to it, or waiting
for expected supply there (backordered)."""

from datetime import datetime
from typing import Any

from ...db.rows import FulfillmentLineRow, FulfillmentRow
from ...domain.capacity import Claim
from ...domain.claims import rivals
from ...domain.ids import new_id
from ...domain.lifecycle import FStatus
from ...domain.sourcing import Incoming, Need, Plan
from ...domain.vocabulary import NodeType
from ..reference.cache import Snapshot
from .planning import Request


def fulfillment_rows(order_id: str, plan: Plan, at: datetime, handover_node_id: str | None,
                     places: dict[str, list[Claim]], snap: Snapshot,
                     details: dict[str, Any] | None = None, *,
                     held: bool = False) -> tuple[list[FulfillmentRow], list[FulfillmentLineRow]]:
    """One fulfilment order per node, its lines holding their units: released to the node at once, or
    planned for its next release wave if it has waves, or until its order's hold is released (``held``);
    ``details``: more to say. A supplier's is a
    purchase request: it ships to the customer itself (drop-ship)."""
    fuls, flines = [], []
    for node_id, node_needs in sorted(plan.items()):
        f_id = new_id("ful")
        # The places it took, given back if it is cancelled before the work.
        taken = {"capacity": [[n, day.isoformat()] for n, day in places[node_id]]} if places.get(node_id) else {}
        status = FStatus.PLANNED if held or snap.times[node_id].waves else FStatus.RELEASED
        kind = {"purchase_request": True} if snap.nodes[node_id].type == NodeType.SUPPLIER else {}
        fuls.append(_fulfillment(f_id, order_id, node_id, handover_node_id, status,
                                 {**(details or {}), **kind, **taken}, at))
        flines += [_fulfillment_line(f_id, node_id, n, reserved=n.quantity) for n in node_needs]
    return fuls, flines


def backordered_rows(order_id: str, backorders: list[tuple[Need, Incoming]], at: datetime,
                     handover_node_id: str | None) -> tuple[list[FulfillmentRow], list[FulfillmentLineRow]]:
    """One fulfilment order per node that expects the supply, released to it when the units are there."""
    by_node: dict[str, list[tuple[Need, Incoming]]] = {}
    for need, supply in backorders:
        by_node.setdefault(supply.node_id, []).append((need, supply))
    fuls, flines = [], []
    for node_id, waiting in sorted(by_node.items()):
        f_id = new_id("ful")
        expected = max(x.expected_on for _, x in waiting).isoformat()
        fuls.append(_fulfillment(f_id, order_id, node_id, handover_node_id, FStatus.BACKORDERED,
                                 {"expected_on": expected}, at))
        flines += [_fulfillment_line(f_id, node_id, n, reserved=0, supply_id=x.supply_id) for n, x in waiting]
    return fuls, flines


def _fulfillment(f_id: str, order_id: str, node_id: str, handover_node_id: str | None, status: FStatus,
                 details: dict[str, Any], at: datetime) -> FulfillmentRow:
    return {"id": f_id, "order_id": order_id, "node_id": node_id, "handover_node_id": handover_node_id,
            "status": status, "details": details, "created_at": at, "updated_at": at}


def _fulfillment_line(f_id: str, node_id: str, n: Need, *, reserved: int,
                      supply_id: str | None = None) -> FulfillmentLineRow:
    return {"fulfillment_id": f_id, "line_no": n.line_no, "node_id": node_id, "sku": n.sku, "quantity": n.quantity,
            "picked": None, "shipped": 0, "cancelled": 0, "short": 0, "reserved": reserved, "supply_id": supply_id}


def offer_rows(fuls: list[FulfillmentRow], flines: list[FulfillmentLineRow], request: Request,
               available: dict[tuple[str, str], int], offer_to: int, at: datetime) -> list[dict[str, Any]]:
    """Competitive claiming: a store's ship-from-store work just released is offered to up to
    ``offer_to - 1`` other stores that have all its units (``details.offered_to``); the rows to store."""
    if offer_to <= 1:
        return []
    rows = []
    for f in fuls:
        if (f["status"] != FStatus.RELEASED or f["handover_node_id"]
                or request.node_types.get(f["node_id"]) != NodeType.STORE):
            continue
        lines = [(x["sku"], x["quantity"]) for x in flines if x["fulfillment_id"] == f["id"]]
        others = rivals(lines, f["node_id"], request.candidates, request.node_types, available,
                        request.destination, offer_to - 1)
        if others:
            f["details"] = {**f["details"], "offered_to": others}
            rows += [{"fulfillment_id": f["id"], "node_id": n, "created_at": at} for n in others]
    return rows
