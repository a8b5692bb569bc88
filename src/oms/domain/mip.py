"""The sourcing model as a mixed-integer programme, solved exactly by HiGHS.

    x[l,s]  units of line l sent from source s (integer)
    y[s]    a shipment leaves s (binary)
    g[s]    kilograms billed at s (integer): 1000·g[s] ≥ grams sent, so the least g is the started kilos
    d[s,k]  units of SKU k taken from s below its protection level (≥ 0)
    w[l,s]  line l comes whole from s (binary; only where lines are not split): x[l,s] = quantity[l]·w[l,s]

    minimise  Σ (fixed[s] + split)·y[s] + Σ per_kg[s]·g[s] + Σ per_unit[s]·x[l,s] + depletion·Σ d
    with      Σ_s x[l,s] = quantity[l];  Σ_{l of k} x[l,s] ≤ available[s,k];  x[l,s] ≤ quantity[l]·y[s];
              d[s,k] ≥ Σ_{l of k} x[l,s] − above_protection[s,k];  Σ y ≤ max_shipments.

The same costs as ``costs``, but for one split penalty: ``costs`` charges it per shipment beyond the
first, the programme per shipment (a constant apart, the same optimum). Solved to the optimum within
``TIME_LIMIT_S``; an order too big for that takes the best plan found by then. Used for orders too
big for the branch-and-bound, and by the benchmark to prove the branch-and-bound's answers optimal.
"""

import highspy

from .costs import CostModel, Source, above_protection
from .errors import OutOfStock
from .sourcing import Need, Plan

# An order this big is rare; past this, the best plan found so far is taken rather than holding capture.
TIME_LIMIT_S = 2.0


def solve(needs: list[Need], sources: list[Source], available: dict[tuple[str, str], int],
          weight: dict[str, int], model: CostModel) -> Plan:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.5)  # costs are whole minor units: a gap under 1 is the optimum
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", TIME_LIMIT_S)
    integer = highspy.HighsVarType.kInteger
    x: dict[tuple[int, int], object] = {}
    y, grams = {}, {}
    skus = sorted({n.sku for n in needs})
    for j, s in enumerate(sources):
        lines = [i for i, n in enumerate(needs) if available.get((s.node_id, n.sku), 0) > 0]
        if not lines:
            continue
        y[j] = h.addVariable(0, 1, s.fixed + model.split_penalty, integer)
        for i in lines:
            x[i, j] = h.addVariable(0, needs[i].quantity, s.handling_per_unit, integer)
            h.addConstr(x[i, j] <= needs[i].quantity * y[j])
        grams[j] = sum(weight[needs[i].sku] * x[i, j] for i in lines)
        if s.per_kg:
            g = h.addVariable(0, highspy.kHighsInf, s.per_kg, integer)
            h.addConstr(1000 * g >= grams[j])
        for sku in skus:
            sent = [x[i, j] for i in lines if needs[i].sku == sku]
            if not sent:
                continue
            units = available.get((s.node_id, sku), 0)
            h.addConstr(sum(sent) <= units)
            free = above_protection(s, units)
            if model.depletion_per_unit and free < units:
                d = h.addVariable(0, highspy.kHighsInf, model.depletion_per_unit)
                h.addConstr(d >= sum(sent) - free)
    for i, n in enumerate(needs):
        sent = [x[i, j] for j in range(len(sources)) if (i, j) in x]
        if not sent:
            raise OutOfStock([{"line_no": n.line_no, "sku": n.sku, "quantity": n.quantity}])
        h.addConstr(sum(sent) == n.quantity)
        if not model.split_lines:
            whole = []
            for j in range(len(sources)):
                if (i, j) in x:
                    w = h.addVariable(0, 1, 0, integer)
                    h.addConstr(x[i, j] == n.quantity * w)
                    whole.append(w)
            h.addConstr(sum(whole) == 1)
    if model.max_shipments:
        h.addConstr(sum(y.values()) <= model.max_shipments)
    h.minimize()
    status = h.getModelStatus()
    found = status == highspy.HighsModelStatus.kOptimal or (
        status == highspy.HighsModelStatus.kTimeLimit and h.getInfo().primal_solution_status == 2)
    if not found:  # infeasible, or no plan found in the time allowed
        raise OutOfStock([{"line_no": n.line_no, "sku": n.sku, "quantity": n.quantity} for n in needs])
    values = h.getSolution().col_value
    plan: Plan = {}
    for (i, j), var in x.items():
        units = round(values[var.index])
        if units:
            plan.setdefault(sources[j].node_id, []).append(Need(needs[i].line_no, needs[i].sku, units))
    return {node_id: sorted(lines, key=lambda n: n.line_no) for node_id, lines in plan.items()}
