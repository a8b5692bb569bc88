"""The sourcing explanation prices no more nodes than it lists, however many hold the order."""

from oms.domain.reference import NodeRef, ProductRef
from oms.domain.sourcing import Candidate, Need
from oms.services.reference.cache import Snapshot
from oms.services.sourcing.explanation import LISTED
from oms.services.sourcing.sourcer import Sourcer

STORES = 500


def test_only_the_listed_nodes_are_priced_for_the_explanation(monkeypatch):
    # A DC that handles orders for little, and many stores that hold the SKU and handle them for more.
    dc = NodeRef("DC", "warehouse", "DC", 48.9, 2.5, "Europe/Paris", frozenset({"home_standard"}), frozenset(), True,
                 handling_cost_per_order=100)
    stores = [NodeRef(f"ST-{i}", "store", f"ST-{i}", 48.8 + i % 20 * 0.01, 2.3 + i // 20 * 0.01, "Europe/Paris",
                      frozenset({"home_standard"}), frozenset(), True, handling_cost_per_order=500)
              for i in range(STORES)]
    snap = Snapshot(1, {"A": ProductRef("A", "A", 500, 1000, "EUR", False, False)}, {n.id: n for n in [dc, *stores]})
    sourcer = Sourcer(snap, "web", "home_standard", (48.85, 2.35), {"A": 500})
    needs, available = [Need(1, "A", 1)], {(n.id, "A"): 3 for n in [dc, *stores]}
    candidates = [Candidate(n.id, n.lat, n.lng) for n in [dc, *stores]]
    plan = sourcer.maker(needs, available)(candidates)
    assert list(plan) == ["DC"]

    priced = []
    price = Sourcer._price
    monkeypatch.setattr(Sourcer, "_price", lambda self, node_id, *a: priced.append(node_id) or price(self, node_id, *a))
    why = sourcer.explain(plan, needs, candidates, available, "EUR", {})
    assert len(why["candidates"]) == 1 + LISTED and len(set(priced)) <= LISTED
    assert why["others"] == [{"rejected_because": "a plan using it costs more", "nodes": STORES - LISTED}]


def test_a_node_holding_the_whole_order_is_named_however_far():
    # The DC sends a lamp and a rug; the stores around hold lamps only; a far store handling orders dearly
    # (never priced by the search) holds both: the one other node that could have sent it all.
    nodes = [NodeRef("DC", "warehouse", "DC", 48.9, 2.5, "Europe/Paris", frozenset({"home_standard"}), frozenset(),
                     True, handling_cost_per_order=100),
             NodeRef("FAR", "store", "FAR", 43.3, 5.4, "Europe/Paris", frozenset({"home_standard"}), frozenset(), True,
                     handling_cost_per_order=5000)]
    nodes += [NodeRef(f"ST-{i}", "store", f"ST-{i}", 48.8 + i % 20 * 0.01, 2.3 + i // 20 * 0.01, "Europe/Paris",
                      frozenset({"home_standard"}), frozenset(), True, handling_cost_per_order=500)
              for i in range(STORES)]
    products = {s: ProductRef(s, s, 500, 1000, "EUR", False, False) for s in ("A", "B")}
    sourcer = Sourcer(Snapshot(1, products, {n.id: n for n in nodes}), "web", "home_standard", (48.85, 2.35),
                      {"A": 500, "B": 500})
    needs = [Need(1, "A", 1), Need(2, "B", 1)]
    available = {(n.id, "A"): 3 for n in nodes} | {("DC", "B"): 3, ("FAR", "B"): 1}
    candidates = [Candidate(n.id, n.lat, n.lng) for n in nodes]
    plan = sourcer.maker(needs, available)(candidates)
    assert list(plan) == ["DC"] and "FAR" not in sourcer.prices

    why = sourcer.explain(plan, needs, candidates, available, "EUR", {})
    far = next(c for c in why["candidates"] if c["node_id"] == "FAR")
    assert far["cost_alone"]["amount"] == 5000 and far["rejected_because"] == "a plan using it costs more"
    assert len(why["candidates"]) == 1 + LISTED
    assert sum(o["nodes"] for o in why["others"]) == len(nodes) - len(why["candidates"])
