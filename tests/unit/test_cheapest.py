"""The cheapest plan: the branch-and-bound and the solver both find the optimum a brute force finds."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.cheapest import _search, cheapest
from oms.domain.costs import CostModel, Source, cost_of
from oms.domain.errors import OutOfStock
from oms.domain.mip import solve
from oms.domain.sourcing import Need

SKUS = ("A", "B", "C")


def brute_force(needs, sources, available, weight, model):
    """Every way of spreading every line's units over the sources: the least cost, or None."""
    by_id = {s.node_id: s for s in sources}
    spreads = [[c for c in itertools.product(range(n.quantity + 1), repeat=len(sources))
                if sum(c) == n.quantity and (model.split_lines or max(c) == n.quantity)] for n in needs]
    best = None
    for choice in itertools.product(*spreads):
        plan = {}
        for n, spread in zip(needs, choice, strict=True):
            for s, units in zip(sources, spread, strict=True):
                if units:
                    plan.setdefault(s.node_id, []).append(Need(n.line_no, n.sku, units))
        if model.max_shipments and len(plan) > model.max_shipments:
            continue
        if any(sum(n.quantity for n in lines if n.sku == sku) > available.get((node_id, sku), 0)
               for node_id, lines in plan.items() for sku in SKUS):
            continue
        cost = cost_of(plan, by_id, weight, available, model).total
        best = cost if best is None else min(best, cost)
    return best


sources_st = st.lists(st.builds(
    Source, node_id=st.sampled_from(["N1", "N2", "N3", "N4"]), handling_per_order=st.integers(0, 300),
    handling_per_unit=st.integers(0, 60), base=st.integers(0, 900), per_kg=st.integers(0, 90),
    protected=st.integers(0, 3),
    # Carbon weighed at a price (0: not weighed): grams a shipment and a started kg, minor units a gram.
    carbon_g=st.integers(0, 6000).map(float), carbon_g_per_kg=st.integers(0, 200).map(float),
    carbon_price=st.sampled_from([0.0, 0.01, 0.2])), min_size=1, max_size=3, unique_by=lambda s: s.node_id)
needs_st = st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=3).map(
    lambda xs: [Need(i + 1, sku, q) for i, (sku, q) in enumerate(xs)])


@settings(max_examples=300, deadline=None)
@given(sources=sources_st, needs=needs_st, data=st.data(),
       model=st.builds(CostModel, split_penalty=st.integers(0, 500), depletion_per_unit=st.integers(0, 400),
                       max_shipments=st.integers(0, 2), split_lines=st.booleans()),
       weight=st.fixed_dictionaries({sku: st.integers(0, 2500) for sku in SKUS}))
def test_the_search_and_the_solver_find_the_brute_force_optimum(sources, needs, data, model, weight):
    available = {(s.node_id, sku): data.draw(st.integers(0, 5)) for s in sources for sku in SKUS}
    by_id = {s.node_id: s for s in sources}
    best = brute_force(needs, sources, available, weight, model)
    for find in (lambda: _search(needs, sources, available, weight, model, 10**7),
                 lambda: solve(needs, sources, available, weight, model)):
        if best is None:
            with pytest.raises(OutOfStock):
                find()
            continue
        plan = find()
        assert cost_of(plan, by_id, weight, available, model).total == pytest.approx(best)
        sent = {}
        for node_id, lines in plan.items():
            for n in lines:
                sent[(node_id, n.sku)] = sent.get((node_id, n.sku), 0) + n.quantity
        assert all(units <= available[key] for key, units in sent.items())  # never more than there is
        for n in needs:  # every unit of every line, once
            assert sum(x.quantity for lines in plan.values() for x in lines if x.line_no == n.line_no) == n.quantity
        assert not model.max_shipments or len(plan) <= model.max_shipments


def test_a_long_search_is_handed_to_the_solver():
    sources = [Source(f"N{i}", 100 + i, 10, 400, 40) for i in range(6)]
    needs = [Need(i + 1, f"S{i}", 3) for i in range(8)]
    available = {(s.node_id, n.sku): 2 for s in sources for n in needs}  # every line must be split
    weight = {n.sku: 700 for n in needs}
    model = CostModel(split_penalty=150, split_lines=True)
    with pytest.raises(Exception) as long:
        _search(needs, sources, available, weight, model, budget=50)
    assert type(long.value).__name__ == "TooBig"
    plan = cheapest(needs, sources, available, weight, model, budget=50)
    by_id = {s.node_id: s for s in sources}
    assert cost_of(plan, by_id, weight, available, model).total == \
        cost_of(_search(needs, sources, available, weight, model, 10**7), by_id, weight, available, model).total


def test_depletion_sends_a_unit_from_the_store_that_can_spare_it():
    # Two stores at the same cost; the first would fall below its protection level.
    sources = [Source("ST-1", 100, 10, 500, 0, protected=2), Source("ST-2", 100, 10, 500, 0, protected=2)]
    available = {("ST-1", "A"): 2, ("ST-2", "A"): 5}
    plan = cheapest([Need(1, "A", 1)], sources, available, {"A": 100}, CostModel(depletion_per_unit=300))
    assert plan == {"ST-2": [Need(1, "A", 1)]}
