"""Strategies: which applies to a channel and mode, and what each one chooses."""

import pytest

from oms.domain.costs import CostModel, Source
from oms.domain.errors import OutOfStock
from oms.domain.sourcing import Need
from oms.domain.strategy import DEFAULT, Strategy, choose, settings_from

# Three nodes on a line east of the destination: a store 1 km away, a DC 20 km, a store 300 km.
SOURCES = [Source("ST-NEAR", 400, 80, 450, 40, km=1), Source("DC", 150, 20, 450, 40, km=20),
           Source("ST-FAR", 300, 50, 600, 60, km=300)]
WHERE = {"ST-NEAR": (48.0, 2.01), "DC": (48.0, 2.27), "ST-FAR": (48.0, 6.0)}
TYPES = {"ST-NEAR": "store", "DC": "warehouse", "ST-FAR": "store"}
WEIGHT = {"A": 500, "B": 2000}


def plan_by(strategy: Strategy, needs, available, model=CostModel(), sources=SOURCES):
    return choose(strategy, needs, sources, available, WEIGHT, model, TYPES, (48.0, 2.0), WHERE)


def test_the_most_specific_rule_applies():
    settings = settings_from({"split_penalty": 250, "strategies": [
        {"channel": "*", "mode": "*", "strategy": "nearest"},
        {"channel": "*", "mode": "home_express", "strategy": "fewest_shipments"},
        {"channel": "marketplace", "mode": "*", "strategy": "priority", "node_groups": [["warehouse"]]},
        {"channel": "marketplace", "mode": "home_express", "strategy": "cost_optimal", "max_shipments": 1}]})
    assert settings.strategy("web", "home_standard").kind == "nearest"
    assert settings.strategy("web", "home_express").kind == "fewest_shipments"
    assert settings.strategy("marketplace", "home_standard").kind == "priority"
    assert settings.strategy("marketplace", "home_express") == Strategy("cost_optimal", max_shipments=1)
    assert settings.model(settings.strategy("marketplace", "home_express")) == CostModel(250, 0, 1)
    assert settings_from(None).strategy("web", "home_standard") == DEFAULT


def test_each_strategy_chooses_its_own_way():
    available = {("ST-NEAR", "A"): 5, ("DC", "A"): 50, ("DC", "B"): 9, ("ST-FAR", "B"): 4, ("ST-FAR", "A"): 3}
    one = [Need(1, "A", 1)]
    assert plan_by(Strategy("nearest"), one, available) == {"ST-NEAR": one}
    assert plan_by(Strategy("cost_optimal"), one, available) == {"DC": one}  # 150 + 20 + 490 against 400 + 80 + 490
    groups = (("store",), ("warehouse",))
    assert plan_by(Strategy("priority", node_groups=groups), one, available) == {"ST-NEAR": one}
    both = [Need(1, "A", 1), Need(2, "B", 1)]
    # Nearest: one node with everything, the nearest such (the DC).
    assert plan_by(Strategy("nearest"), both, available) == {"DC": both}
    # The stores first, at their least cost: the far one alone (300 + 2 × 50 + 600 + 3 × 60 = 1,180) beats
    # the near one's mug and the far one's lamp (970 + 1,070), though the DC has both for less.
    assert plan_by(Strategy("priority", node_groups=groups), both, available) == {"ST-FAR": both}
    assert plan_by(Strategy("cost_optimal"), both, available) == {"DC": both}


def test_fewest_shipments_takes_one_parcel_even_when_two_cost_less():
    # A from the near store and B from the DC: two parcels (970 + 700); the far store has both, dearly
    # (2,000 + 2 × 50 + 600 + 3 × 60).
    dear = [*SOURCES[:2], Source("ST-FAR", 2000, 50, 600, 60, km=300)]
    available = {("ST-NEAR", "A"): 5, ("DC", "B"): 9, ("ST-FAR", "A"): 1, ("ST-FAR", "B"): 1}
    both = [Need(1, "A", 1), Need(2, "B", 1)]
    assert set(plan_by(Strategy("cost_optimal"), both, available, sources=dear)) == {"ST-NEAR", "DC"}
    assert plan_by(Strategy("fewest_shipments"), both, available, sources=dear) == {"ST-FAR": both}
    with pytest.raises(OutOfStock):
        plan_by(Strategy("cost_optimal", max_shipments=1), both, {("ST-NEAR", "A"): 5, ("DC", "B"): 9},
                CostModel(max_shipments=1))


def test_stores_holding_few_units_are_left_out():
    available = {("ST-NEAR", "A"): 2, ("ST-FAR", "A"): 8}
    one = [Need(1, "A", 1)]
    assert plan_by(Strategy("nearest"), one, available) == {"ST-NEAR": one}
    assert plan_by(Strategy("nearest", exclude_stores_below=3), one, available) == {"ST-FAR": one}


def test_lines_named_together_wait_only_where_the_stock_cannot_serve_them():
    """Two lines of one SKU and a third: X has 5 of A and B, Y 2 of A. Lines stay whole, so one A line
    must wait for supply; the other and the B line are sent, not all three held back."""
    from oms.domain.reference import NodeRef, ProductRef
    from oms.domain.sourcing import Candidate
    from oms.services.reference.cache import Snapshot
    from oms.services.sourcing.sourcer import Sourcer

    nodes = {n: NodeRef(n, "warehouse", n, 48.0, 2.0 + i, "Europe/Paris", frozenset({"home_standard"}), frozenset(),
                        True) for i, n in enumerate(("X", "Y"))}
    products = {s: ProductRef(s, s, 500, 1000, "EUR", False, False) for s in ("A", "B")}
    sourcer = Sourcer(Snapshot(1, products, nodes), "web", "home_standard", (48.0, 2.0), {"A": 500, "B": 500})
    needs = [Need(1, "A", 3), Need(2, "A", 3), Need(3, "B", 1)]
    plan, missing = sourcer.partial(needs, {("X", "A"): 5, ("X", "B"): 1, ("Y", "A"): 2})(
        [Candidate("X", 48.0, 2.0), Candidate("Y", 48.0, 3.0)])
    assert plan == {"X": [Need(1, "A", 3), Need(3, "B", 1)]} and missing == [Need(2, "A", 3)]
