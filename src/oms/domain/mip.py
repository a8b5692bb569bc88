"""The sourcing model as a mixed-integer programme, solved exactly by HiGHS: for one order, or jointly for
orders that compete for the same units.

    x[l,s]  units of line l sent from source s (integer)
    y[s]    a shipment leaves s (binary)
    g[s]    kilograms billed at s (integer): 1000·g[s] ≥ grams sent, so the least g is the started kilos
    d[s,k]  units of SKU k taken from s below its protection level (≥ 0)
    w[l,s]  line l comes whole from s (binary; only where lines are not split): x[l,s] = quantity[l]·w[l,s]

    minimise  Σ (fixed[s] + split)·y[s] + Σ per_kg[s]·g[s] + Σ per_unit[s]·x[l,s] + depletion·Σ d
    with      Σ_s x[l,s] = quantity[l];  Σ_{l of k} x[l,s] ≤ available[s,k];  x[l,s] ≤ quantity[l]·y[s];
              d[s,k] ≥ Σ_{l of k} x[l,s] − above_protection[s,k];  Σ y ≤ max_shipments.

Jointly, each order has its own x, y, g, w (its own destination prices its sources), the units of a node's
SKU are shared (Σ over the orders ≤ the pool, each order within what its channel may take) and so is
its protection level (d counts what all of them take below it), and a node's daily capacity bounds the
shipments leaving it.

The same costs as ``costs``, but for one split penalty: ``costs`` charges it per shipment beyond the
first, the programme per shipment (a constant apart, the same optimum). Solved to the optimum within
the time limit; past it, the best plan found by then. Used for orders too big for the branch-and-bound,
by the benchmark to prove the branch-and-bound's answers optimal, and by the batch re-optimisation.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import highspy

from .costs import CostModel, Source
from .errors import OutOfStock
from .sourcing import Need, Plan, named

# An order this big is rare; past this, the best plan found so far is taken rather than holding capture.
TIME_LIMIT_S = 2.0
Key = tuple[str, str]  # (node, sku)
Var = highspy.highs_var  # summed with ``Highs.qsum``: typeshed's ``sum`` types ``0 + x + …`` as an int


@dataclass(frozen=True)
class Asked:
    """One order of a joint problem: what it needs, the sources it may use, what it may take of each."""
    needs: list[Need]
    sources: list[Source]
    available: Mapping[Key, int]  # what its channel lets it take of each (node, sku), at most the pool
    weight: Mapping[str, int]
    model: CostModel
    kept: frozenset[str] = frozenset()  # nodes of its current plan: among plans of equal cost, kept


@dataclass(frozen=True)
class Solved:
    plans: list[Plan]
    objective: float  # in minor units, split penalty charged per shipment
    bound: float  # the solver's proven lower bound of the objective
    optimal: bool


def _highs(time_limit: float, abs_gap: float = 0.5) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", abs_gap)  # whole minor units (no carbon price): a gap under 1 is the optimum
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", time_limit)
    return h


class _Order:
    """The variables of one order in a model, and the units it sends per (node, sku)."""

    def __init__(self, h: highspy.Highs, a: Asked, scale: int = 1) -> None:
        integer = highspy.HighsVarType.kInteger
        needs, sources = a.needs, a.sources
        self.a = a
        self.x: dict[tuple[int, int], Var] = {}  # units of line i from source j
        self.y: dict[int, Var] = {}  # whether source j sends anything
        self.sent: dict[Key, list[Var]] = {}
        asked: dict[Key, int] = {}  # the most each (node, sku) could be asked for
        for j, s in enumerate(sources):
            lines = [i for i, n in enumerate(needs) if a.available.get((s.node_id, n.sku), 0) > 0]
            if not lines:
                continue
            # ``scale``: see ``solve_joint`` (a batch moves nothing for no gain).
            self.y[j] = h.addVariable(0, 1, (s.fixed + a.model.split_penalty) * scale - (s.node_id in a.kept),
                                      integer)
            for i in lines:
                self.x[i, j] = h.addVariable(0, needs[i].quantity, s.handling_per_unit * scale, integer)
                h.addConstr(self.x[i, j] <= needs[i].quantity * self.y[j])
                self.sent.setdefault((s.node_id, needs[i].sku), []).append(self.x[i, j])
                asked[(s.node_id, needs[i].sku)] = asked.get((s.node_id, needs[i].sku), 0) + needs[i].quantity
            if s.kg_cost:
                g = h.addVariable(0, highspy.kHighsInf, s.kg_cost * scale, integer)
                h.addConstr(1000 * g >= h.qsum(a.weight[needs[i].sku] * self.x[i, j] for i in lines))
        for key, sent in self.sent.items():
            if a.available.get(key, 0) < asked[key]:  # else the node has enough for every line asking it
                h.addConstr(h.qsum(sent) <= a.available[key])
        for i, n in enumerate(needs):
            sent = [self.x[i, j] for j in range(len(sources)) if (i, j) in self.x]
            if not sent:
                raise OutOfStock(named([n]))
            h.addConstr(h.qsum(sent) == n.quantity)
            if not a.model.split_lines:
                whole = []
                for j in range(len(sources)):
                    if (i, j) in self.x:
                        w = h.addVariable(0, 1, 0, integer)
                        h.addConstr(self.x[i, j] == n.quantity * w)
                        whole.append(w)
                h.addConstr(h.qsum(whole) == 1)
        if a.model.max_shipments:
            h.addConstr(h.qsum(self.y.values()) <= a.model.max_shipments)

    def plan(self, values: Sequence[float]) -> Plan:
        plan: Plan = {}
        for (i, j), var in self.x.items():
            units = round(values[var.index])
            if units:
                n = self.a.needs[i]
                plan.setdefault(self.a.sources[j].node_id, []).append(Need(n.line_no, n.sku, units))
        return {node_id: sorted(lines, key=lambda n: n.line_no) for node_id, lines in plan.items()}


def _depletion(h: highspy.Highs, sent: Mapping[Key, list[Var]], protected: Mapping[str, int], pool: Mapping[Key, int],
               per_unit: int, already: Mapping[Key, int] | None = None) -> None:
    """d ≥ what is taken of each (node, sku) below its protection level (``already``: taken by others)."""
    if not per_unit:
        return
    for key, xs in sent.items():
        units = pool.get(key, 0)
        free = max(0, units - protected.get(key[0], 0))
        if free < units:
            d = h.addVariable(0, highspy.kHighsInf, per_unit)
            h.addConstr(d >= h.qsum(xs) + (already or {}).get(key, 0) - free)


def _found(h: highspy.Highs) -> bool:
    status = h.getModelStatus()
    return status == highspy.HighsModelStatus.kOptimal or (
        status == highspy.HighsModelStatus.kTimeLimit and h.getInfo().primal_solution_status == 2)


def solve(needs: list[Need], sources: list[Source], available: Mapping[tuple[str, str], int],
          weight: Mapping[str, int], model: CostModel) -> Plan:
    # Carbon at a price makes costs fractional: then only the optimum itself will do.
    h = _highs(TIME_LIMIT_S, 1e-6 if any(s.carbon_price for s in sources) else 0.5)
    # Alone, an order's own limits are the node's units; the protection level is its depletion's.
    order = _Order(h, Asked(needs, sources, available, weight, model))
    _depletion(h, order.sent, {s.node_id: s.protected for s in sources}, available, model.depletion_per_unit)
    h.minimize()
    if not _found(h):  # infeasible, or no plan found in the time allowed
        raise OutOfStock(named(needs))
    return order.plan(h.getSolution().col_value)


def solve_joint(asked: list[Asked], pool: Mapping[Key, int], depletion_per_unit: int,
                protected: Mapping[str, int], taken_by_others: Mapping[Key, int],
                room: Mapping[str, int], time_limit: float) -> Solved | None:
    """The plans of least total cost for these orders together, within the ``pool`` of units (after
    ``taken_by_others``, which also count towards the protection levels) and the shipments each node
    has ``room`` for; None when none was found in the time allowed."""
    # Costs × scale, less one per node an order uses now: of plans that cost the same, the current ones
    # stand; the scale passes the most those ones can add up to, so a cheaper plan always wins.
    scale = 1 + sum(len(a.kept) for a in asked)
    h = _highs(time_limit)  # a scaled gap under 1: the cheapest plans, and of equal ones the current
    orders = [_Order(h, a, scale) for a in asked]
    sent: dict[Key, list[Var]] = {}
    for o in orders:
        for key, xs in o.sent.items():
            sent.setdefault(key, []).extend(xs)
    for key, xs in sent.items():
        h.addConstr(h.qsum(xs) <= pool.get(key, 0) - taken_by_others.get(key, 0))
    _depletion(h, sent, protected, pool, depletion_per_unit * scale, taken_by_others)
    for node_id, limit in room.items():
        leaving = [o.y[j] for o in orders for j, s in enumerate(o.a.sources) if s.node_id == node_id and j in o.y]
        if leaving:
            h.addConstr(h.qsum(leaving) <= limit)
    h.minimize()
    if not _found(h):
        return None
    info = h.getInfo()
    values = h.getSolution().col_value
    return Solved([o.plan(values) for o in orders], info.objective_function_value / scale,
                  info.mip_dual_bound / scale, h.getModelStatus() == highspy.HighsModelStatus.kOptimal)
