"""Availability to promise, as channels see it: per node, per delivery mode, over the network, near a point."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .geo import haversine_km
from .protection import NO_RULES, Rules
from .reference import NodeRef
from .vocabulary import STOCKLESS_NODE_TYPES, NodeType

# Node types a customer can walk into, for "in stores near me".
WALK_IN = frozenset({NodeType.STORE})


@dataclass(frozen=True)
class Near:
    lat: float
    lng: float
    radius_km: float
    limit: int = 20


def sellable_nodes(nodes: Iterable[NodeRef], rules: Rules = NO_RULES, channel: str = "") -> list[NodeRef]:
    """Nodes whose stock may be promised to the channel: active, holding stock, allowed by its rules."""
    return [n for n in nodes if n.active and n.type not in STOCKLESS_NODE_TYPES and rules.uses(channel, n.type)]


def incoming(supply: Iterable[tuple[str, date, int]], nodes: list[NodeRef], today: date) -> list[dict[str, Any]]:
    """Expected supply at these nodes from today on, summed by date: "none now, 12 on 3 December"."""
    usable = {n.id for n in nodes}
    by_date: dict[date, int] = {}
    for node_id, expected_on, quantity in supply:
        if node_id in usable and expected_on >= today:
            by_date[expected_on] = by_date.get(expected_on, 0) + quantity
    return [{"date": d.isoformat(), "quantity": q} for d, q in sorted(by_date.items())]


def sku_availability(sku: str, stock: Mapping[str, int], nodes: list[NodeRef], near: Near | None,
                     *, active: bool = True, rules: Rules = NO_RULES, channel: str = "",
                     supply: Iterable[tuple[str, date, int]] = (), today: date | None = None) -> dict[str, Any]:
    """One SKU's availability over ``nodes`` from its available units by node (``stock``): network total, per
    node (with stock), per mode, near a point.

    What each node shows is what the channel's rules leave it; a switched-off SKU (``active`` false) has
    nothing to promise anywhere."""
    per_node = {n.id: rules.promisable(channel, n.type, stock[n.id])
                for n in nodes if n.id in stock} if active else {}
    modes: dict[str, int] = {}
    for n in nodes:
        for mode in n.fulfills:
            modes[mode] = modes.get(mode, 0) + per_node.get(n.id, 0)
    answer = {
        "sku": sku,
        "available": sum(per_node.values()),
        "nodes": [{"node_id": node_id, "available": q} for node_id, q in sorted(per_node.items()) if q > 0],
        "modes": dict(sorted(modes.items())),
        "incoming": incoming(supply, nodes, today) if active and today else [],
    }
    if near is not None:
        close = sorted(
            (haversine_km(near.lat, near.lng, n.lat, n.lng), n.id)
            for n in nodes if n.type in WALK_IN
        )
        answer["near"] = [
            {"node_id": node_id, "distance_km": round(km, 1), "available": per_node.get(node_id, 0)}
            for km, node_id in close if km <= near.radius_km
        ][: near.limit]
    return answer
