"""Where each order line comes from: the first, simple rule.

One node that can send the whole order (the nearest such node) keeps it to one parcel; otherwise each
line goes whole to the nearest node that has enough of it. The cost-optimal engine replaces this rule
behind the same function signature.
"""

from collections import defaultdict
from dataclasses import dataclass

from .errors import OutOfStock
from .geo import haversine_km


@dataclass(frozen=True)
class Candidate:
    node_id: str
    lat: float
    lng: float


@dataclass(frozen=True)
class Need:
    line_no: int
    sku: str
    quantity: int


# node_id -> the needs it sends
Plan = dict[str, list[Need]]


def plan_first_rule(
    needs: list[Need],
    candidates: list[Candidate],
    available: dict[tuple[str, str], int],
    destination: tuple[float, float],
) -> Plan:
    """A plan over ``candidates`` using ``available[(node_id, sku)]`` units, or OutOfStock naming the lines."""
    lat, lng = destination
    by_distance = sorted(candidates, key=lambda c: (haversine_km(lat, lng, c.lat, c.lng), c.node_id))
    total: dict[str, int] = defaultdict(int)
    for need in needs:
        total[need.sku] += need.quantity
    for cand in by_distance:
        if all(available.get((cand.node_id, sku), 0) >= qty for sku, qty in total.items()):
            return {cand.node_id: list(needs)}

    left = dict(available)
    plan: Plan = {}
    missing: list[Need] = []
    for need in needs:
        for cand in by_distance:
            key = (cand.node_id, need.sku)
            if left.get(key, 0) >= need.quantity:
                left[key] -= need.quantity
                plan.setdefault(cand.node_id, []).append(need)
                break
        else:
            missing.append(need)
    if missing:
        raise OutOfStock([{"line_no": n.line_no, "sku": n.sku, "quantity": n.quantity} for n in missing])
    return plan
