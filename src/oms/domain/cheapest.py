"""The cheapest plan for one order: an exact branch-and-bound over its units, with HiGHS behind it.

Each line goes whole to one source; where lines may be split, each unit of it does, the units of a line
placed in the order of its sources (so a split is tried once, not once per ordering of its units). The
cost of a partial plan never falls as lines are added (every term of ``costs`` only grows), so a partial
plan is dropped when it costs as much as the best complete one with a lower bound of what is still to
place: the cheapest handling of the rest, and one more shipment when a line left has no open source
that can take it. The first plan to beat is the cheapest single source that has everything; each step
tries the cheapest way on first, so the first plan reached is a greedy one. Of plans that cost the same,
the first found stands: steps are tried nearest first among equals, so a network with no costs set
sends from its nearest nodes. An order whose search grows
past ``budget`` steps is handed to the MIP (``mip.solve``), which is exact too: both answer the optimum
of the same model.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from .costs import CostModel, Source, kilos
from .errors import OutOfStock
from .sourcing import Need, Plan, named

BUDGET = 5_000  # search steps before the order is handed to the solver


class TooBig(Exception):
    """The search would be long: the solver should take it."""


def cheapest(needs: list[Need], sources: list[Source], available: Mapping[tuple[str, str], int],
             weight: Mapping[str, int], model: CostModel, budget: int = BUDGET) -> Plan:
    """The plan of least cost that sends every unit of ``needs`` from ``sources`` within their
    ``available`` units (and at most ``model.max_shipments`` shipments); OutOfStock naming the lines it
    cannot serve."""
    try:
        return _search(needs, sources, available, weight, model, budget)
    except TooBig:
        from .mip import solve  # the solver is loaded only when an order needs it
        return solve(needs, sources, available, weight, model)


def _search(needs: list[Need], sources: list[Source], available: Mapping[tuple[str, str], int],
            weight: Mapping[str, int], model: CostModel, budget: int) -> Plan:
    """The exact search: OutOfStock at once for lines the sources cannot hold, the cheapest single source
    as the first plan to beat, then the branch-and-bound (TooBig past ``budget`` steps)."""
    short = _short(needs, sources, available, model.split_lines)
    if short:
        raise OutOfStock(named(short))
    steps = _steps(needs, sources, available, weight, model.split_lines)
    first = _single(needs, sources, available, weight, model)
    if len(steps.items) == 1 and first is not None:  # one whole line: the cheapest single source is the plan
        return _plan(needs, sources, first[1])
    search = _Descent(needs, sources, model, budget, steps, first)
    search.place(0, 0, 0, 0)
    if search.best_at is None:  # only where the shipment limit leaves no way
        raise OutOfStock(named(needs))
    return _plan(needs, sources, search.best_at)


def _short(needs: list[Need], sources: list[Source], available: Mapping[tuple[str, str], int],
           split: bool) -> list[Need]:
    """The lines no plan can serve: too few units of their SKU at all the sources together, or (where a line
    goes whole to one source) at any one of them."""
    return [n for n in needs if sum(available.get((s.node_id, n.sku), 0) for s in sources) < _wanted(needs, n.sku)
            or not split and max((available.get((s.node_id, n.sku), 0) for s in sources), default=0) < n.quantity]


@dataclass(frozen=True)
class _Steps:
    """What the search places, step by step, and what it reads at every step, worked out once."""
    split: bool
    items: list[tuple[int, int]]  # per step, (line, units): a whole line, or one unit of it where lines split
    grams: list[int]  # per step, the weight it adds
    options: list[list[int]]  # per line, the sources that can send it (a unit of it, where lines may be split)
    rest: list[int]  # per step k, a lower bound of what the items from k on add: their cheapest handling
    later: list[list[int]]  # per step k, the lines still to place
    opening: list[float]  # per line, the least a shipment that could take it costs to open
    left: dict[tuple[int, str], int]  # units per (source, sku) before anything is placed
    free: dict[tuple[int, str], int]  # of those, the units above the source's protection level


def _steps(needs: list[Need], sources: list[Source], available: Mapping[tuple[str, str], int],
           weight: Mapping[str, int], split: bool) -> _Steps:
    """The items in the order the search places them, with the bounds that prune it: the most constrained
    lines first, heavier first, so that bad branches show early."""
    options = [[j for j, s in enumerate(sources)
                if available.get((s.node_id, n.sku), 0) >= (1 if split else n.quantity)] for n in needs]
    order = sorted(range(len(needs)), key=lambda i: (len(options[i]), -weight[needs[i].sku] * needs[i].quantity, i))
    items = [(i, 1) for i in order for _ in range(needs[i].quantity)] if split else [(i, needs[i].quantity)
                                                                                    for i in order]
    rest = [0] * (len(items) + 1)
    for k in range(len(items) - 1, -1, -1):
        i, u = items[k]
        rest[k] = rest[k + 1] + u * min(sources[j].handling_per_unit for j in options[i])
    grams = [weight[needs[i].sku] * u for i, u in items]
    later = [sorted({i for i, _ in items[k:]}) for k in range(len(items) + 1)]
    opening = [min(sources[j].fixed for j in options[i]) for i in range(len(needs))]
    left = {(j, n.sku): available.get((s.node_id, n.sku), 0) for j, s in enumerate(sources) for n in needs}
    free = {(j, sku): max(0, units - sources[j].protected) for (j, sku), units in left.items()}
    return _Steps(split, items, grams, options, rest, later, opening, left, free)


class _Descent:
    """One order's branch-and-bound: what is placed so far, and the best plan found (from ``first``, the plan
    to beat: its cost and the units of each line at each source; None left if no plan keeps the shipment
    limit). Each step reads the attributes it needs into local names once: it runs thousands of times."""

    def __init__(self, needs: list[Need], sources: list[Source], model: CostModel, budget: int, steps: _Steps,
                 first: tuple[float, list[list[int]]] | None) -> None:
        self.needs, self.steps, self.budget = needs, steps, budget
        self.fixed = [s.fixed for s in sources]
        self.per_unit = [s.handling_per_unit for s in sources]
        self.per_kg = [s.kg_cost for s in sources]
        self.km = [s.km for s in sources]
        self.left = dict(steps.left)
        self.taken = dict.fromkeys(self.left, 0)
        self.units = [0] * len(sources)
        self.grams = [0] * len(sources)
        self.at = [[0] * len(needs) for _ in sources]  # units of each line at each source
        self.shipping: list[int] = []  # the sources with units so far
        self.limit = model.max_shipments or len(sources)
        self.penalty, self.depletion = model.split_penalty, model.depletion_per_unit
        self.best_cost: float = first[0] if first else float("inf")
        self.best_at = first[1] if first else None
        self.count = 0

    def must_open(self, k: int, opened: int) -> float:
        """At least one more shipment if a line still to place has no open source that can take it."""
        most = 0.0
        needs, left, shipping, split = self.needs, self.left, self.shipping, self.steps.split
        for i in self.steps.later[k]:
            sku, q = needs[i].sku, 1 if split else needs[i].quantity
            if not any(left.get((j, sku), 0) >= q for j in shipping):
                most = max(most, self.steps.opening[i] + (self.penalty if opened else 0))
        return most

    def place(self, k: int, cost: float, opened: int, start: int) -> None:
        """Place item ``k`` at each source that could still lead to a better plan, the cheapest step first
        (the nearest of equals: the first descent is a greedy plan), and the items after it likewise."""
        self.count += 1
        if self.count > self.budget:
            raise TooBig
        steps = self.steps
        if k == len(steps.items):
            if cost < self.best_cost:
                self.best_cost, self.best_at = cost, [row[:] for row in self.at]
            return
        rest = steps.rest
        if cost + rest[k] + self.must_open(k, opened) >= self.best_cost:
            return
        left, taken, free, units, grams, at = self.left, self.taken, steps.free, self.units, self.grams, self.at
        i, u = steps.items[k]
        sku, w, options = self.needs[i].sku, steps.grams[k], steps.options[i]
        follows = steps.split and k > 0 and steps.items[k - 1][0] == i  # a later unit of the same line
        children = []
        above = self.best_cost - cost - rest[k + 1]  # a step costing this much or more cannot do better
        for c in range(start if follows else 0, len(options)):
            j = options[c]
            key = (j, sku)
            if left[key] < u:
                continue
            new = not units[j]
            if new and opened == self.limit:
                continue
            g = grams[j]
            delta = self.per_unit[j] * u + self.per_kg[j] * ((g + w + 999) // 1000 - (g + 999) // 1000)  # started kg
            if new:
                delta += self.fixed[j] + (self.penalty if opened else 0)
            if self.depletion:  # units taken below the protection level, before and after this step
                below = taken[key] - free[key]
                delta += self.depletion * ((below + u if below + u > 0 else 0) - (below if below > 0 else 0))
            if delta < above:
                children.append((delta, self.km[j], c, j, new))
        children.sort()
        for delta, _, c, j, new in children:
            if cost + delta + rest[k + 1] >= self.best_cost:
                break  # and so are the dearer steps after it
            key = (j, sku)
            left[key] -= u
            taken[key] += u
            units[j] += u
            grams[j] += w
            at[j][i] += u
            if new:
                self.shipping.append(j)
            self.place(k + 1, cost + delta, opened + new, c)
            if new:
                self.shipping.pop()
            left[key] += u
            taken[key] -= u
            units[j] -= u
            grams[j] -= w
            at[j][i] -= u


@dataclass(frozen=True)
class Whole:
    """An order as one parcel: units per SKU, their count and started kilograms (worked out once)."""
    wanted: tuple[tuple[str, int], ...]
    count: int
    kg: int


def whole(needs: list[Need], weight: Mapping[str, int]) -> Whole:
    wanted: dict[str, int] = {}
    for n in needs:
        wanted[n.sku] = wanted.get(n.sku, 0) + n.quantity
    return Whole(tuple(wanted.items()), sum(wanted.values()), kilos(sum(weight[s] * q for s, q in wanted.items())))


def alone(order: Whole, source: Source, available: Mapping[tuple[str, str], int],
          model: CostModel) -> float | None:
    """What the whole order costs from this source alone; None if it lacks some of it."""
    node_id = source.node_id
    depleted = 0
    for sku, q in order.wanted:
        have = available.get((node_id, sku), 0)
        if have < q:
            return None
        depleted += max(0, q - max(0, have - source.protected))
    return source.fixed + source.handling_per_unit * order.count + source.kg_cost * order.kg + \
        model.depletion_per_unit * depleted


def _single(needs: list[Need], sources: list[Source], available: Mapping[tuple[str, str], int],
            weight: Mapping[str, int], model: CostModel) -> tuple[float, list[list[int]]] | None:
    """The cheapest source that has the whole order (the nearest of equals), as a first plan to beat."""
    found = None  # (cost, km, index)
    order = whole(needs, weight)
    for j, s in enumerate(sources):
        cost = alone(order, s, available, model)
        if cost is not None and (found is None or (cost, s.km) < found[:2]):
            found = (cost, s.km, j)
    if found is None:
        return None
    return found[0], [[n.quantity if j == found[2] else 0 for n in needs] for j in range(len(sources))]


def _wanted(needs: list[Need], sku: str) -> int:
    return sum(n.quantity for n in needs if n.sku == sku)


def _plan(needs: list[Need], sources: list[Source], at: list[list[int]]) -> Plan:
    return {sources[j].node_id: [Need(n.line_no, n.sku, row[i]) for i, n in enumerate(needs) if row[i]]
            for j, row in enumerate(at) if any(row)}
