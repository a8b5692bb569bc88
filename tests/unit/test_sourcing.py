import pytest
from hypothesis import given
from hypothesis import strategies as st

from oms.domain.errors import OutOfStock
from oms.domain.geo import haversine_km
from oms.domain.sourcing import (
    Candidate,
    Incoming,
    Need,
    merge_plans,
    plan_backorders,
    plan_first_rule,
    plan_what_is_there,
    split_held,
)

NEAR = Candidate("near", 48.86, 2.35)
MID = Candidate("mid", 48.0, 2.0)
FAR = Candidate("far", 45.76, 4.84)
HOME = (48.85, 2.36)


def test_one_node_that_has_everything_wins_even_if_not_nearest():
    needs = [Need(1, "A", 1), Need(2, "B", 1)]
    available = {("near", "A"): 5, ("far", "A"): 1, ("far", "B"): 1}
    assert plan_first_rule(needs, [NEAR, FAR], available, HOME) == {"far": needs}


def test_nearest_single_node_is_chosen_among_several():
    needs = [Need(1, "A", 2)]
    available = {("near", "A"): 2, ("mid", "A"): 9, ("far", "A"): 9}
    assert plan_first_rule(needs, [FAR, MID, NEAR], available, HOME) == {"near": needs}


def test_otherwise_each_line_goes_whole_to_the_nearest_node_with_enough():
    needs = [Need(1, "A", 3), Need(2, "B", 1)]
    available = {("near", "A"): 2, ("mid", "A"): 3, ("near", "B"): 1}
    assert plan_first_rule(needs, [NEAR, MID, FAR], available, HOME) == {"mid": [needs[0]], "near": [needs[1]]}


def test_out_of_stock_names_the_lines_no_node_can_supply():
    needs = [Need(1, "A", 1), Need(2, "B", 4)]
    with pytest.raises(OutOfStock) as exc:
        plan_first_rule(needs, [NEAR], {("near", "A"): 1, ("near", "B"): 3}, HOME)
    assert exc.value.extra["lines"] == [{"line_no": 2, "sku": "B", "quantity": 4}]


nodes = st.lists(st.sampled_from([NEAR, MID, FAR]), min_size=1, max_size=3, unique=True)
needs_st = st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 4)), min_size=1, max_size=5)
stock_st = st.dictionaries(st.tuples(st.sampled_from(["near", "mid", "far"]), st.sampled_from("ABC")),
                           st.integers(0, 6))


@given(nodes, needs_st, stock_st)
def test_a_plan_covers_every_line_within_stock_and_prefers_one_parcel(cands, raw, available):
    needs = [Need(i + 1, sku, q) for i, (sku, q) in enumerate(raw)]
    try:
        plan = plan_first_rule(needs, cands, available, HOME)
    except OutOfStock as exc:
        # Refused only for a line that fits at no node alone, or whose SKU an earlier line also takes.
        for m in exc.extra["lines"]:
            best = max((available.get((c.node_id, m["sku"]), 0) for c in cands), default=0)
            earlier = any(sku == m["sku"] for sku, _ in raw[: m["line_no"] - 1])
            assert m["quantity"] > best or earlier
        return
    planned = sorted((n for ns in plan.values() for n in ns), key=lambda n: n.line_no)
    assert planned == needs
    used: dict = {}
    for node_id, ns in plan.items():
        assert node_id in {c.node_id for c in cands}
        for n in ns:
            used[(node_id, n.sku)] = used.get((node_id, n.sku), 0) + n.quantity
    assert all(q <= available.get(k, 0) for k, q in used.items())
    totals: dict = {}
    for n in needs:
        totals[n.sku] = totals.get(n.sku, 0) + n.quantity
    whole = [c for c in cands if all(available.get((c.node_id, s), 0) >= q for s, q in totals.items())]
    if whole:
        nearest = min(whole, key=lambda c: (haversine_km(*HOME, c.lat, c.lng), c.node_id))
        assert list(plan) == [nearest.node_id]


def test_held_units_serve_the_plan_where_it_wants_them():
    plan = {"far": [Need(1, "A", 2)], "near": [Need(2, "B", 1)]}
    from_hold, rest, unused = split_held(plan, [("far", "A", 2), ("near", "B", 1)])
    assert from_hold == plan and rest == {} and unused == []


def test_more_than_held_is_reserved_and_what_the_plan_does_not_use_is_given_back():
    plan = {"far": [Need(1, "A", 4)], "dc": [Need(2, "C", 1)]}
    from_hold, rest, unused = split_held(plan, [("far", "A", 3), ("far", "B", 2), ("mid", "A", 1)])
    assert from_hold == {"far": [Need(1, "A", 3)]}
    assert rest == {"far": [Need(1, "A", 1)], "dc": [Need(2, "C", 1)]}
    assert unused == [("far", "B", 2), ("mid", "A", 1)]  # the plan goes elsewhere: those go back to stock


def test_merged_plans_sum_a_line_planned_twice_at_one_node():
    second = {"far": [Need(2, "B", 1), Need(1, "A", 2)], "near": [Need(3, "C", 1)]}
    merged = merge_plans({"far": [Need(1, "A", 3)]}, second)
    assert merged == {"far": [Need(1, "A", 5), Need(2, "B", 1)], "near": [Need(3, "C", 1)]}


def test_what_stock_cannot_serve_is_named_not_refused():
    needs = [Need(1, "A", 1), Need(2, "B", 4)]
    plan, missing = plan_what_is_there(needs, [NEAR, FAR], {("far", "A"): 1, ("near", "B"): 3}, HOME)
    assert plan == {"far": [Need(1, "A", 1)]} and missing == [Need(2, "B", 4)]


def test_a_backorder_waits_for_the_soonest_supply_then_the_nearest():
    from datetime import date
    soon_far = Incoming("PO-1", "far", "A", 10, date(2026, 12, 3))
    soon_near = Incoming("PO-2", "near", "A", 10, date(2026, 12, 3))
    sooner_small = Incoming("PO-3", "mid", "A", 2, date(2026, 12, 1))
    later = Incoming("PO-4", "near", "B", 5, date(2027, 1, 5))
    elsewhere = Incoming("PO-5", "nowhere", "B", 50, date(2026, 11, 30))  # a node the order may not use
    planned = plan_backorders([Need(1, "A", 4), Need(2, "B", 5), Need(3, "A", 7)], [NEAR, MID, FAR],
                              [soon_far, soon_near, sooner_small, later, elsewhere], HOME)
    assert [(n.line_no, x.supply_id) for n, x in planned] == [(1, "PO-2"), (2, "PO-4"), (3, "PO-1")]
    with pytest.raises(OutOfStock) as e:
        plan_backorders([Need(1, "B", 6)], [NEAR], [later], HOME)
    assert e.value.extra["lines"] == [{"line_no": 1, "sku": "B", "quantity": 6}]
