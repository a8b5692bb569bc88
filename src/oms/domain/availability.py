"""Availability to promise, as channels see it: per node, per delivery mode, over the network, near a point."""

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .geo import Nearby
from .protection import NO_RULES, Rules, promisable
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


@dataclass(frozen=True)
class Sellable:
    """The nodes whose stock a channel may promise (active, holding stock, allowed by its rules), laid out
    so that one SKU's answer takes the time of the few nodes holding it, not of the whole network: what the
    channel may take of each node's units, the modes each serves, every mode any of them serves, and the
    walk-in stores by place. Built once per reference snapshot and channel."""
    nodes: dict[str, NodeRef]
    guards: dict[str, tuple[int, int]]  # node -> (units to leave, share in percent), see ``Rules.guard``
    modes: tuple[str, ...]
    walk_in: Nearby

    @classmethod
    def of(cls, nodes: Iterable[NodeRef], rules: Rules = NO_RULES, channel: str = "") -> "Sellable":
        usable = {n.id: n for n in nodes
                  if n.active and n.type not in STOCKLESS_NODE_TYPES and rules.uses(channel, n.type)}
        return cls(usable, {i: rules.guard(channel, n.type) for i, n in usable.items()},
                   tuple(sorted({m for n in usable.values() for m in n.fulfills})),
                   Nearby((n.lat, n.lng, n.id) for n in usable.values() if n.type in WALK_IN))

    def near(self, point: Near) -> list[tuple[float, str]]:
        """(km, node id) of the walk-in stores within the radius of the point, nearest first."""
        return self.walk_in.within(point.lat, point.lng, point.radius_km)


def incoming(supply: Iterable[tuple[str, date, int]], usable: Container[str], today: date) -> list[dict[str, Any]]:
    """Expected supply at these nodes from today on, summed by date: "none now, 12 on 3 December"."""
    by_date: dict[date, int] = {}
    for node_id, expected_on, quantity in supply:
        if node_id in usable and expected_on >= today:
            by_date[expected_on] = by_date.get(expected_on, 0) + quantity
    return [{"date": d.isoformat(), "quantity": q} for d, q in sorted(by_date.items())]


def sku_availability(sku: str, stock: Mapping[str, int], sellable: Sellable, near: Near | None,
                     *, active: bool = True, supply: Iterable[tuple[str, date, int]] = (),
                     today: date | None = None) -> dict[str, Any]:
    """One SKU's availability over the sellable nodes from its available units by node (``stock``): network
    total, per node (with stock), per mode, near a point.

    What each node shows is what the channel's rules leave it; a switched-off SKU (``active`` false) has
    nothing to promise anywhere."""
    guards = sellable.guards
    per_node = {node_id: promisable(units, *guards[node_id])
                for node_id, units in stock.items() if node_id in guards} if active else {}
    modes = dict.fromkeys(sellable.modes, 0)
    for node_id, units in per_node.items():
        for mode in sellable.nodes[node_id].fulfills:
            modes[mode] += units
    answer = {
        "sku": sku,
        "available": sum(per_node.values()),
        "nodes": [{"node_id": node_id, "available": q} for node_id, q in sorted(per_node.items()) if q > 0],
        "modes": modes,
        "incoming": incoming(supply, guards, today) if active and today else [],
    }
    if near is not None:
        answer["near"] = [{"node_id": node_id, "distance_km": round(km, 1), "available": per_node.get(node_id, 0)}
                          for km, node_id in sellable.near(near)[: near.limit]]
    return answer
