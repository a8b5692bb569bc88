"""Where each order line comes from: the first, simple rule.

One node that can send the whole order (the nearest such node) keeps it to one parcel; otherwise each
line goes whole to the nearest node that has enough of it. The cost-optimal engine replaces this rule
behind the same function signature.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

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
    plan, missing = plan_what_is_there(needs, candidates, available, destination)
    if missing:
        raise OutOfStock(named(missing))
    return plan


def plan_what_is_there(
    needs: list[Need],
    candidates: list[Candidate],
    available: dict[tuple[str, str], int],
    destination: tuple[float, float],
) -> tuple[Plan, list[Need]]:
    """The first rule's plan for the lines stock can serve, and the lines it cannot."""
    by_distance = _by_distance(candidates, destination)
    total: dict[str, int] = defaultdict(int)
    for need in needs:
        total[need.sku] += need.quantity
    for cand in by_distance:
        if all(available.get((cand.node_id, sku), 0) >= qty for sku, qty in total.items()):
            return {cand.node_id: list(needs)}, []

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
    return plan, missing


def _by_distance(candidates: list[Candidate], destination: tuple[float, float]) -> list[Candidate]:
    lat, lng = destination
    return sorted(candidates, key=lambda c: (haversine_km(lat, lng, c.lat, c.lng), c.node_id))


def named(needs: list[Need]) -> list[dict[str, Any]]:
    """Lines as answers and errors name them."""
    return [{"line_no": n.line_no, "sku": n.sku, "quantity": n.quantity} for n in needs]


@dataclass(frozen=True)
class Incoming:
    """Expected supply (a purchase order or transfer line) and its units not yet promised to backorders."""
    supply_id: str
    node_id: str
    sku: str
    units: int
    expected_on: date


def plan_backorders(needs: list[Need], candidates: list[Candidate], incoming: list[Incoming],
                    destination: tuple[float, float]) -> list[tuple[Need, Incoming]]:
    """Each line whole against the supply that brings it soonest (the nearest node among supplies due the
    same day) at a node the order may use; OutOfStock naming the lines no expected supply covers."""
    rank = {c.node_id: i for i, c in enumerate(_by_distance(candidates, destination))}
    ordered = sorted((x for x in incoming if x.node_id in rank),
                     key=lambda x: (x.expected_on, rank[x.node_id], x.supply_id))
    left = {x.supply_id: x.units for x in ordered}
    planned, missing = [], []
    for need in needs:
        for x in ordered:
            if x.sku == need.sku and left[x.supply_id] >= need.quantity:
                left[x.supply_id] -= need.quantity
                planned.append((need, x))
                break
        else:
            missing.append(need)
    if missing:
        raise OutOfStock(named(missing))
    return planned


def split_held(plan: Plan, held: list[tuple[str, str, int]]) -> tuple[Plan, Plan, list[tuple[str, str, int]]]:
    """A plan made with a hold's units, ``(node_id, sku, units)``, counted as the order's own where they are:
    (the part those units serve, still reserved; the part left to reserve; the held units it does not use,
    to give back). The order is planned as if it had no hold, with the hold's units free for it: it never
    costs more than it would without the hold."""
    left: dict[tuple[str, str], int] = defaultdict(int)
    for node_id, sku, units in held:
        left[(node_id, sku)] += units
    from_hold: Plan = {}
    rest: Plan = {}
    for node_id, needs in plan.items():
        for n in needs:
            taken = min(n.quantity, left[(node_id, n.sku)])
            left[(node_id, n.sku)] -= taken
            if taken:
                from_hold.setdefault(node_id, []).append(Need(n.line_no, n.sku, taken))
            if n.quantity > taken:
                rest.setdefault(node_id, []).append(Need(n.line_no, n.sku, n.quantity - taken))
    unused = [(node_id, sku, units) for (node_id, sku), units in sorted(left.items()) if units]
    return from_hold, rest, unused


def merge_plans(first: Plan, second: Plan) -> Plan:
    """Both plans in one: a line planned at the same node by both is one need for the sum."""
    merged: dict[str, dict[int, Need]] = {}
    for plan in (first, second):
        for node_id, needs in plan.items():
            lines = merged.setdefault(node_id, {})
            for n in needs:
                before = lines.get(n.line_no)
                lines[n.line_no] = Need(n.line_no, n.sku, n.quantity + (before.quantity if before else 0))
    return {node_id: [lines[k] for k in sorted(lines)] for node_id, lines in merged.items()}
