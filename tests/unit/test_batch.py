"""Batch re-optimisation: orders planned together beat orders planned one after the other, and the
result is the joint optimum (checked against every combination of plans on small networks)."""

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.batch import Pricing, Waiting, reoptimise
from oms.domain.cheapest import cheapest
from oms.domain.costs import CostModel, Source
from oms.domain.errors import OutOfStock
from oms.domain.mip import Asked
from oms.domain.sourcing import Need

WEIGHT = {"A": 400, "B": 1500}


def waiting(key, needs, sources, pool, current, model=CostModel(split_penalty=300)):
    return Waiting(key, Asked(needs, sources, dict(pool), WEIGHT, model, frozenset(current)), current)


def test_a_scarce_unit_goes_to_the_order_it_saves_the_most():
    # One unit at the cheap DC. The first order took it; the second had to come from a far store.
    pool = {("DC", "A"): 1, ("ST1", "A"): 1, ("ST2", "A"): 1}
    first = [Source("DC", 100, 0, 400), Source("ST1", 300, 0, 400)]  # the store near it costs 200 more
    second = [Source("DC", 100, 0, 400), Source("ST2", 300, 0, 2400)]  # its store is far: 2,200 more
    orders = [waiting("o1", [Need(1, "A", 1)], first, pool, {"DC": [Need(1, "A", 1)]}),
              waiting("o2", [Need(1, "A", 1)], second, pool, {"ST2": [Need(1, "A", 1)]})]
    out = reoptimise(orders, pool, 0, {}, {})
    assert out.changed == {"o1": {"ST1": [Need(1, "A", 1)]}, "o2": {"DC": [Need(1, "A", 1)]}}
    assert (out.before, out.after) == (500 + 2700, 700 + 500)
    assert out.bound == 500 + 500 and out.competing == 2 and out.optimal and out.method == "solver"


def test_a_gain_of_one_cent_is_taken():
    # Kept plans are preferred among equals, never over a plan one minor unit cheaper.
    pool = {("N0", "A"): 2, ("N2", "A"): 2}
    first = [Source("N0", 0, 21, 1, 31), Source("N2", 0, 2, 0, 80)]  # 74 from N0, 84 from N2
    second = [Source("N0", 0, 0, 0, 6), Source("N2", 0, 0, 1, 16)]  # 6 from N0, 17 from N2
    orders = [waiting("o0", [Need(1, "A", 2)], first, pool, {"N0": [Need(1, "A", 2)]}, CostModel()),
              waiting("o1", [Need(1, "A", 1)], second, pool, {"N2": [Need(1, "A", 1)]}, CostModel())]
    out = reoptimise(orders, pool, 0, {}, {})
    assert (out.before, out.after, out.optimal) == (91, 90, True)


def test_nothing_is_claimed_proven_where_a_channel_may_take_only_part_of_the_pool():
    pool = {("ST", "A"): 10, ("DC", "A"): 10}
    available = {("ST", "A"): 8, ("DC", "A"): 10}  # the channel leaves two units to walk-in customers
    sources = [Source("ST", 100, 0, 0, protected=3), Source("DC", 600, 0, 0)]
    model = CostModel(depletion_per_unit=1000)
    current = {"DC": [Need(1, "A", 6)]}
    w = Waiting("o1", Asked([Need(1, "A", 6)], sources, available, {"A": 400}, model, frozenset(current)), current)
    out = reoptimise([w], pool, 1000, {"ST": 3}, {})
    assert not out.optimal and out.bound == 0


def test_nothing_moves_when_nothing_is_gained():
    pool = {("DC", "A"): 5, ("ST1", "A"): 5}
    sources = [Source("DC", 100, 0, 400), Source("ST1", 100, 0, 400)]  # the same cost: keep what is there
    orders = [waiting(f"o{i}", [Need(1, "A", 1)], sources, pool, {"ST1": [Need(1, "A", 1)]}) for i in range(3)]
    out = reoptimise(orders, pool, 0, {}, {})
    assert out.changed == {} and out.before == out.after == out.bound == 1500 and out.optimal


def test_a_node_day_limit_is_respected():
    pool = {("DC", "A"): 10, ("ST1", "A"): 10}
    sources = [Source("DC", 100, 0, 400), Source("ST1", 500, 0, 400)]
    orders = [waiting(f"o{i}", [Need(1, "A", 1)], sources, pool, {"ST1": [Need(1, "A", 1)]}) for i in range(3)]
    out = reoptimise(orders, pool, 0, {}, {"DC": 2})
    assert sum("DC" in p for p in out.changed.values()) == 2 and out.after == 2 * 500 + 900


@st.composite
def networks(draw):
    nodes = ["N0", "N1", "N2"][:draw(st.integers(2, 3))]
    pool = {(n, sku): draw(st.integers(0, 3)) for n in nodes for sku in WEIGHT}
    protected = {n: draw(st.integers(0, 2)) for n in nodes}
    room = {n: draw(st.integers(1, 3)) for n in nodes if draw(st.booleans())}
    model = CostModel(split_penalty=draw(st.integers(0, 500)), depletion_per_unit=draw(st.sampled_from([0, 250])))
    orders = []
    for k in range(draw(st.integers(2, 4))):
        skus = draw(st.lists(st.sampled_from(sorted(WEIGHT)), min_size=1, max_size=2, unique=True))
        needs = [Need(i + 1, sku, draw(st.integers(1, 2))) for i, sku in enumerate(skus)]
        sources = [Source(n, draw(st.integers(0, 600)), draw(st.integers(0, 50)), draw(st.integers(0, 900)),
                          draw(st.integers(0, 80)), protected=protected[n]) for n in nodes]
        orders.append((f"o{k}", needs, sources))
    return pool, protected, room, model, orders


def one_by_one(pool, room, model, orders):
    """The plans made one order after the other, as capture makes them (None: some order cannot be served)."""
    left, shipments, made = dict(pool), dict(room), []
    for _, needs, sources in orders:
        usable = [s for s in sources if shipments.get(s.node_id, 1) > 0]
        try:
            plan = cheapest(needs, usable, left, WEIGHT, model)
        except OutOfStock:
            return None
        for node_id, ns in plan.items():
            shipments[node_id] = shipments.get(node_id, 1) - 1
            for n in ns:
                left[(node_id, n.sku)] -= n.quantity
        made.append(plan)
    return made


def every_joint_plan(pool, room, orders):
    """Every combination of whole-line plans that fits the pool and the rooms."""
    options = []
    for _, needs, sources in orders:
        options.append([_plan(needs, pick) for pick in product([s.node_id for s in sources], repeat=len(needs))])
    for combo in product(*options):
        used, shipped = {}, {}
        for plan in combo:
            for node_id, ns in plan.items():
                shipped[node_id] = shipped.get(node_id, 0) + 1
                for n in ns:
                    used[(node_id, n.sku)] = used.get((node_id, n.sku), 0) + n.quantity
        if all(q <= pool.get(k, 0) for k, q in used.items()) and all(shipped.get(n, 0) <= r for n, r in room.items()):
            yield combo


def _plan(needs, pick):
    plan = {}
    for n, node_id in zip(needs, pick, strict=True):
        plan.setdefault(node_id, []).append(n)
    return plan


@given(networks())
@settings(max_examples=150, deadline=None)
def test_the_batch_finds_the_joint_optimum(network):
    pool, protected, room, model, orders = network
    current = one_by_one(pool, room, model, orders)
    if current is None:
        return
    waits = [waiting(key, needs, sources, pool, plan, model)
             for (key, needs, sources), plan in zip(orders, current, strict=True)]
    out = reoptimise(waits, pool, model.depletion_per_unit, protected, room)
    pricing = Pricing(pool, model.depletion_per_unit, protected)
    best = min(pricing.total(waits, {w.key: p for w, p in zip(waits, combo, strict=True)})
               for combo in every_joint_plan(pool, room, orders))
    plans = {w.key: out.changed.get(w.key, w.current) for w in waits}
    assert out.after == pricing.total(waits, plans) <= out.before
    assert out.bound <= best
    assert out.optimal and out.after == best
    fits(waits, plans, pool, room)
    # One by one (a group too big for the solver): never worse than before, never better than the best.
    out = reoptimise(waits, pool, model.depletion_per_unit, protected, room, exact_up_to=0)
    plans = {w.key: out.changed.get(w.key, w.current) for w in waits}
    assert best <= out.after == pricing.total(waits, plans) <= out.before
    fits(waits, plans, pool, room)


def fits(waits, plans, pool, room):
    """What it answers fits: every unit planned, no node's SKU gives more than it has, no node ships more
    than its room."""
    used, shipped = {}, {}
    for w in waits:
        sent = sorted((n.line_no, n.sku, n.quantity) for ns in plans[w.key].values() for n in ns)
        assert sent == sorted((n.line_no, n.sku, n.quantity) for n in w.asked.needs)
        for node_id, ns in plans[w.key].items():
            shipped[node_id] = shipped.get(node_id, 0) + 1
            for n in ns:
                used[(node_id, n.sku)] = used.get((node_id, n.sku), 0) + n.quantity
    assert all(q <= pool[k] for k, q in used.items()) and all(shipped.get(n, 0) <= r for n, r in room.items())
