"""Batch re-optimisation: orders not yet released to their nodes, planned again together so that scarce
units go where they save the most.

Each order is first planned on its own on the whole pool of units (the units it holds now are in the
pool): the sum of those costs is a lower bound of any joint plan, since another order can only take
units away from it (and depletion only grows with what others take). Where those plans fit together
(no node's SKU asked for more than it has, no node asked for more shipments than its day has room for,
no store's protection shared), they are the joint optimum. Otherwise the orders that use a contested
node are planned jointly by the solver (``mip.solve_joint``), with every order linked to them by a unit
or a node's day they could both use: that is the whole problem of those orders, so its optimum is the
optimum. When that group is too big to prove in time, the orders improve one by one instead, most to
gain first, each taking its cheapest plan in what the others leave (the bound then says how far from the
optimum the result may be). The result is kept only when it costs less than the plans the orders have
now, and an order keeps its plan when no cheaper one is found for it.

Costs here are ``costs``' terms, depletion counted per node and SKU over all the orders: units taken
from a store below its protection level, whoever takes them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace

from .cheapest import cheapest
from .costs import CostModel, Source, above_protection, cost_of
from .errors import OutOfStock
from .mip import Asked, Key, solve_joint
from .sourcing import Plan


@dataclass(frozen=True)
class Waiting:
    """An order waiting to be released: what it asks, and the plan it has now."""
    key: str
    asked: Asked  # its ``kept`` are the nodes of ``current``
    current: Plan


@dataclass(frozen=True)
class Outcome:
    changed: dict[str, Plan]  # the new plan of each order that moves
    before: float  # what the orders' plans cost now, in minor units (carbon weighed exactly: not rounded)
    after: float  # what they cost with the changes
    bound: float  # no joint plan costs less than this
    competing: int  # orders whose own plans did not fit together
    optimal: bool  # ``after`` is proven the least possible
    method: str = "own plans"  # how the competing orders were planned: "solver", "one by one"


# Costs with carbon at a price are fractional, summed in different orders: a gain smaller than this is none.
NOISE = 1e-6


def reoptimise(waiting: list[Waiting], pool: Mapping[Key, int], depletion_per_unit: int,
               protected: Mapping[str, int], room: Mapping[str, int], time_limit: float = 5.0,
               exact_up_to: int = 300) -> Outcome:
    """The better plans of ``waiting`` over the ``pool`` of units (per node and SKU), each node sending at
    most ``room[node]`` shipments (nodes not named: no limit)."""
    pricing = Pricing(pool, depletion_per_unit, protected)
    own = {w.key: _own(w, pricing) for w in waiting}
    # Where an order may take less than the pool of some node's SKU (its channel keeps units back), its own
    # plan weighs depletion on its share, the joint plans on the pool: neither a bound nor the optimum is
    # then proven (0: the only bound then known).
    proven = all(units == pool.get(key, 0) for w in waiting for key, units in w.asked.available.items())
    bound = sum(pricing.alone(w, own[w.key]) for w in waiting) if proven else 0
    before = pricing.total(waiting, {w.key: w.current for w in waiting})
    contested = _contested(waiting, own, pool, protected, room, depletion_per_unit)
    plans, optimal, method = dict(own), True, "own plans"
    closed = _closure(waiting, contested, room, exact_up_to) if contested else None
    if contested and closed is None:
        # Too many orders linked to the contested ones for the solver to prove the optimum in time: from
        # the plans they have now, each takes its cheapest plan in what the others leave, most to gain first.
        plans, optimal, method = _improve(waiting, pricing, own, pool, room), False, "one by one"
    elif closed is not None:  # (computed only when some are contested)
        # With every order that could use a unit or a shipment they could use, the joint problem is the
        # whole problem of those orders: its optimum is the optimum.
        joint, method = [w for w in waiting if w.key in closed], "solver"
        others = [w for w in waiting if w.key not in closed]
        taken = _usage(others, own)
        shipments = _shipments(others, own)
        solved = solve_joint([w.asked for w in joint], pool, depletion_per_unit, protected, taken,
                             {n: limit - shipments.get(n, 0) for n, limit in room.items()}, time_limit)
        if solved is None:  # nothing found in the time allowed: everything stays as it is
            return Outcome({}, before, before, bound, len(contested), False, method)
        plans.update(zip([w.key for w in joint], solved.plans, strict=True))
        optimal = solved.optimal
    optimal = optimal and proven
    after = pricing.total(waiting, plans)
    if after >= before - NOISE:
        return Outcome({}, before, before, bound, len(contested), optimal and after <= before + NOISE, method)
    changed = {w.key: plans[w.key] for w in waiting if _same(plans[w.key]) != _same(w.current)}
    return Outcome(changed, before, after, bound, len(contested),
                   optimal or (after <= bound + NOISE and proven), method)


class Pricing:
    """Costs of plans over one pool: handling, carriage and split per order; depletion per node and SKU."""

    def __init__(self, pool: Mapping[Key, int], depletion_per_unit: int, protected: Mapping[str, int]) -> None:
        self.pool, self.depletion_per_unit, self.protected = pool, depletion_per_unit, protected
        self._orders: dict[str, tuple[dict[str, Source], CostModel]] = {}

    def _handled(self, w: Waiting, plan: Plan) -> float:
        """The order's cost without depletion."""
        found = self._orders.get(w.key)
        if found is None:
            found = self._orders[w.key] = ({s.node_id: s for s in w.asked.sources},
                                           replace(w.asked.model, depletion_per_unit=0))
        sources, model = found
        return cost_of(plan, sources, w.asked.weight, self.pool, model).total

    def depleted(self, usage: Mapping[Key, int]) -> int:
        if not self.depletion_per_unit:
            return 0
        return self.depletion_per_unit * sum(
            max(0, units - above_protection(Source(key[0], protected=self.protected.get(key[0], 0)),
                                            self.pool.get(key, 0)))
            for key, units in usage.items())

    def alone(self, w: Waiting, plan: Plan) -> float:
        return self._handled(w, plan) + self.depleted(_usage([w], {w.key: plan}))

    def total(self, waiting: list[Waiting], plans: Mapping[str, Plan]) -> float:
        return sum(self._handled(w, plans[w.key]) for w in waiting) + self.depleted(_usage(waiting, plans))


def _own(w: Waiting, pricing: Pricing) -> Plan:
    """The order's cheapest plan as if it were alone, its current plan where that costs as little."""
    a = w.asked
    now = pricing.alone(w, w.current)
    try:
        found = cheapest(a.needs, _below(a, now), a.available, a.weight, a.model)
    except OutOfStock:
        return w.current
    return w.current if now <= pricing.alone(w, found) + NOISE else found


def _below(a: Asked, cost: float) -> list[Source]:
    """The sources that can be in a plan costing less than ``cost`` (any plan using a source costs at least
    its shipment's handling of one unit and its carriage base), and the ones the order uses now."""
    return [s for s in a.sources if s.fixed + s.handling_per_unit < cost or s.node_id in a.kept]


def _usage(waiting: list[Waiting], plans: Mapping[str, Plan]) -> dict[Key, int]:
    found: dict[Key, int] = {}
    for w in waiting:
        for node_id, needs in plans[w.key].items():
            for n in needs:
                found[(node_id, n.sku)] = found.get((node_id, n.sku), 0) + n.quantity
    return found


def _shipments(waiting: list[Waiting], plans: Mapping[str, Plan]) -> dict[str, int]:
    found: dict[str, int] = {}
    for w in waiting:
        for node_id in plans[w.key]:
            found[node_id] = found.get(node_id, 0) + 1
    return found


def _contested(waiting: list[Waiting], plans: Mapping[str, Plan], pool: Mapping[Key, int],
               protected: Mapping[str, int], room: Mapping[str, int], depletion_per_unit: int) -> set[str]:
    """The orders whose own plans do not fit together: they ask a node's SKU for more than it has, a
    node for more shipments than it has room for, or share units below a store's protection level."""
    by_key: dict[Key, list[str]] = {}
    by_node: dict[str, list[str]] = {}
    for w in waiting:
        for node_id, needs in plans[w.key].items():
            by_node.setdefault(node_id, []).append(w.key)
            for n in needs:
                by_key.setdefault((node_id, n.sku), []).append(w.key)
    usage = _usage(waiting, plans)
    found: set[str] = set()
    for key, keys in by_key.items():
        units = pool.get(key, 0)
        free = max(0, units - protected.get(key[0], 0)) if depletion_per_unit else units
        if usage[key] > units or (len(set(keys)) > 1 and usage[key] > free):
            found.update(keys)
    for node_id, keys in by_node.items():
        if node_id in room and len(keys) > room[node_id]:
            found.update(keys)
    return found


def _improve(waiting: list[Waiting], pricing: Pricing, own: Mapping[str, Plan], pool: Mapping[Key, int],
             room: Mapping[str, int], rounds: int = 2) -> dict[str, Plan]:
    """From the plans the orders have now (they fit together), each order, most to gain first, takes the
    cheapest plan that the units and shipments the others leave allow, when it costs less. Every step
    keeps the plans fitting, and none costs more than before."""
    plans = {w.key: w.current for w in waiting}
    used, shipped = _usage(waiting, plans), _shipments(waiting, plans)
    cost = {w.key: pricing.alone(w, w.current) for w in waiting}
    gain = {w.key: cost[w.key] - pricing.alone(w, own[w.key]) for w in waiting}
    for _ in range(rounds):
        moved = False
        for w in sorted((w for w in waiting if gain[w.key] > NOISE), key=lambda w: (-gain[w.key], w.key)):
            a, mine = w.asked, plans[w.key]
            held = _usage([w], {w.key: mine})
            left = {k: min(units, pool.get(k, 0) - used.get(k, 0) + held.get(k, 0)) for k, units in a.available.items()}
            sources = [s for s in _below(a, cost[w.key])
                       if s.node_id not in room or shipped.get(s.node_id, 0) - (s.node_id in mine) < room[s.node_id]]
            try:
                found = cheapest(a.needs, sources, left, a.weight, a.model)
            except OutOfStock:
                continue
            price = pricing.alone(w, found)
            if price >= cost[w.key] - NOISE:
                continue
            for k, units in held.items():
                used[k] -= units
            for node_id in mine:
                shipped[node_id] -= 1
            for k, units in _usage([w], {w.key: found}).items():
                used[k] = used.get(k, 0) + units
            for node_id in found:
                shipped[node_id] = shipped.get(node_id, 0) + 1
            plans[w.key], cost[w.key], moved = found, price, True
            gain[w.key] = price - pricing.alone(w, own[w.key])
        if not moved:
            break
    return plans


def _closure(waiting: list[Waiting], contested: set[str], room: Mapping[str, int], most: int) -> set[str] | None:
    """The contested orders with every order linked to them by a (node, SKU) or a node with a day's limit
    both could use; None when that is more than ``most`` orders."""
    usable: dict[str, set[Key | str]] = {}  # per order, the (node, SKU) and the limited nodes it could use
    by_link: dict[Key | str, list[str]] = {}
    for w in waiting:
        nodes = {s.node_id for s in w.asked.sources}
        pairs = {k for k, units in w.asked.available.items() if units > 0 and k[0] in nodes}
        links = usable[w.key] = {*pairs, *(node_id for node_id, _ in pairs if node_id in room)}
        for link in links:
            by_link.setdefault(link, []).append(w.key)
    found, todo = set(contested), list(contested)
    while todo:
        for link in usable[todo.pop()]:
            for key in by_link[link]:
                if key not in found:
                    found.add(key)
                    todo.append(key)
                    if len(found) > most:
                        return None
    return found


def _same(plan: Plan) -> dict[str, list[tuple[int, str, int]]]:
    return {node_id: sorted((n.line_no, n.sku, n.quantity) for n in needs) for node_id, needs in plan.items() if needs}

