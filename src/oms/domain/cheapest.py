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
    split = model.split_lines
    short = [n for n in needs if sum(available.get((s.node_id, n.sku), 0) for s in sources) < _wanted(needs, n.sku)
             or not split and max((available.get((s.node_id, n.sku), 0) for s in sources), default=0) < n.quantity]
    if short:
        raise OutOfStock(named(short))
    # Per line, the sources that can send it (a unit of it, where lines may be split).
    options = [[j for j, s in enumerate(sources)
                if available.get((s.node_id, n.sku), 0) >= (1 if split else n.quantity)] for n in needs]
    # The most constrained lines first, heavier first: bad branches show early. An item is a whole line,
    # or one unit of it where lines may be split.
    order = sorted(range(len(needs)), key=lambda i: (len(options[i]), -weight[needs[i].sku] * needs[i].quantity, i))
    items = [(i, 1) for i in order for _ in range(needs[i].quantity)] if split else [(i, needs[i].quantity)
                                                                                    for i in order]
    rest = [0] * (len(items) + 1)  # a lower bound of what the items from k on add: their cheapest handling
    for k in range(len(items) - 1, -1, -1):
        i, u = items[k]
        rest[k] = rest[k + 1] + u * min(sources[j].handling_per_unit for j in options[i])
    later = [sorted({i for i, _ in items[k:]}) for k in range(len(items) + 1)]  # lines still to place
    opening = [min(sources[j].fixed for j in options[i]) for i in range(len(needs))]
    # Per source, read once: the search reads them at every step.
    fixed = [s.fixed for s in sources]
    per_unit = [s.handling_per_unit for s in sources]
    per_kg = [s.per_kg for s in sources]
    km = [s.km for s in sources]

    left = {(j, n.sku): available.get((s.node_id, n.sku), 0) for j, s in enumerate(sources) for n in needs}
    free = {(j, sku): max(0, units - sources[j].protected) for (j, sku), units in left.items()}
    taken = dict.fromkeys(left, 0)
    units = [0] * len(sources)
    grams = [0] * len(sources)
    at = [[0] * len(needs) for _ in sources]  # units of each line at each source
    limit = model.max_shipments or len(sources)
    penalty, depletion = model.split_penalty, model.depletion_per_unit
    # The best plan so far: its cost, and units of each line at each source.
    best_cost, best_at = _single(needs, sources, available, weight, model) or (float("inf"), None)
    if len(items) == 1 and best_at is not None:  # one whole line: the cheapest single source is the plan
        return _plan(needs, sources, best_at)
    steps = 0

    shipping: list[int] = []  # the sources with units so far

    def must_open(k: int, opened: int) -> int:
        """At least one more shipment if a line still to place has no open source that can take it."""
        most = 0
        for i in later[k]:
            sku, q = needs[i].sku, 1 if split else needs[i].quantity
            if not any(left.get((j, sku), 0) >= q for j in shipping):
                most = max(most, opening[i] + (penalty if opened else 0))
        return most

    def go(k: int, cost: int, opened: int, start: int) -> None:
        nonlocal best_cost, best_at, steps
        steps += 1
        if steps > budget:
            raise TooBig
        if k == len(items):
            if cost < best_cost:
                best_cost, best_at = cost, [row[:] for row in at]
            return
        if cost + rest[k] + must_open(k, opened) >= best_cost:
            return
        i, u = items[k]
        sku = needs[i].sku
        w = weight[sku] * u
        follows = split and k > 0 and items[k - 1][0] == i  # a later unit of the same line
        children = []
        above = best_cost - cost - rest[k + 1]  # a step costing this much or more cannot lead to a better plan
        for c in range(start if follows else 0, len(options[i])):
            j = options[i][c]
            key = (j, sku)
            if left[key] < u:
                continue
            new = not units[j]
            if new and opened == limit:
                continue
            g = grams[j]
            delta = per_unit[j] * u + per_kg[j] * ((g + w + 999) // 1000 - (g + 999) // 1000)  # started kg
            if new:
                delta += fixed[j] + (penalty if opened else 0)
            if depletion:  # units taken below the protection level, before and after this step
                below = taken[key] - free[key]
                delta += depletion * ((below + u if below + u > 0 else 0) - (below if below > 0 else 0))
            if delta < above:
                children.append((delta, km[j], c, j, new))
        children.sort()  # the cheapest step first (the nearest of equals): the first descent is a greedy plan
        for delta, _, c, j, new in children:
            if cost + delta + rest[k + 1] >= best_cost:
                break  # and so are the dearer steps after it
            key = (j, sku)
            left[key] -= u
            taken[key] += u
            units[j] += u
            grams[j] += w
            at[j][i] += u
            if new:
                shipping.append(j)
            go(k + 1, cost + delta, opened + new, c)
            if new:
                shipping.pop()
            left[key] += u
            taken[key] -= u
            units[j] -= u
            grams[j] -= w
            at[j][i] -= u

    go(0, 0, 0, 0)
    if best_at is None:  # only where the shipment limit leaves no way
        raise OutOfStock(named(needs))
    return _plan(needs, sources, best_at)


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


def alone(order: Whole, source: Source, available: Mapping[tuple[str, str], int], model: CostModel) -> int | None:
    """What the whole order costs from this source alone; None if it lacks some of it."""
    node_id = source.node_id
    depleted = 0
    for sku, q in order.wanted:
        have = available.get((node_id, sku), 0)
        if have < q:
            return None
        depleted += max(0, q - max(0, have - source.protected))
    return source.fixed + source.handling_per_unit * order.count + source.per_kg * order.kg + \
        model.depletion_per_unit * depleted


def _single(needs: list[Need], sources: list[Source], available: Mapping[tuple[str, str], int],
            weight: Mapping[str, int], model: CostModel) -> tuple[int, list[list[int]]] | None:
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
