"""The sourcing explanation on a city full of stores: a few kilobytes naming the plan, the cheapest and
nearest alternatives and the nodes passed over, the rest counted by reason."""

import json

from oms.domain.geo import haversine_km
from oms.services.reference.keys import create_key
from tests.integration.test_sourcing import explained, priced
from tests.support import HOME, NODES, capture, confirm, node, order, sent_from

STORES = 120  # within a few kilometres of the customer; three in four hold mugs
CITY = [node(f"ST-{i:03}", "store", 48.83 + (i % 12) * 0.005, 2.31 + (i // 12) * 0.008, "Paris", ["home_standard"])
        for i in range(STORES)]
HOLDING = [n["id"] for i, n in enumerate(CITY) if i % 4]
# Far from the customer, handles orders for nothing: dearer than the DC (beyond 50 km) but cheaper than a store.
LILLE = {**node("ST-LILLE", "store", 50.63, 3.06, "Lille", ["home_standard"]),
         "handling_cost_per_order": 0, "handling_cost_per_unit": 0}


async def city(ctx, client):
    keys = await priced(ctx, client)
    stores = [{**n, "handling_cost_per_order": 500, "handling_cost_per_unit": 100} for n in CITY] + [LILLE]
    stock = [{"node_id": n, "sku": "SKU-A", "on_hand": 5} for n in HOLDING + ["ST-LILLE"]]
    for path, body in (("/v1/nodes", stores), ("/v1/inventory", stock)):
        r = await client.put(path, json=body, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
    return keys


def km(node_id: str) -> float:
    n = next(n for n in NODES + CITY + [LILLE] if n["id"] == node_id)
    return haversine_km(n["address"]["lat"], n["address"]["lng"], HOME["lat"], HOME["lng"])


def accounted(why: dict) -> int:
    """The candidates the explanation accounts for: listed or counted."""
    return len(why["candidates"]) + sum(o["nodes"] for o in why["others"])


async def test_the_explanation_stays_small_and_names_the_plan_and_its_best_alternatives(ctx, client):
    keys = await city(ctx, client)
    # DC 100 + 2 × 20 + 400 + 40 = 580; Lille 0 + 600 + 60 = 660 (beyond 50 km); a city store 1,140.
    body = await capture(client, keys, order("W-1", [("SKU-A", 2)]))
    assert sent_from(body) == {"DC-PARIS": [(1, "SKU-A", 2)]}
    why = await explained(client, keys, body["id"])
    assert len(json.dumps(why)) < 3000 and len(why["candidates"]) <= 6
    assert accounted(why) == 3 + STORES + 1  # the DC, Paris and Lyon, the city's stores and Lille
    listed = [c["node_id"] for c in why["candidates"]]
    nearest = sorted(HOLDING + ["ST-PARIS"], key=km)[:4]
    # The plan, the cheapest alternative for the whole order, then the nearest holding mugs, nearest first.
    assert listed == ["DC-PARIS", "ST-LILLE", *nearest]
    assert [c["cost_alone"]["amount"] for c in why["candidates"][:2]] == [580, 660]
    assert why["candidates"][1]["rejected_because"] == "a plan using it costs more"
    assert why["others"] == [
        {"rejected_because": "a plan using it costs more", "nodes": len(HOLDING) + 1 - 4},
        {"rejected_because": "no stock of these SKUs", "nodes": STORES - len(HOLDING) + 1}]


async def test_a_node_passed_over_is_named_however_far(ctx, client):
    keys = await city(ctx, client)
    dc_key, _ = await create_key(ctx, role="node", scope="DC-PARIS", name="dc")
    placed = await capture(client, keys, order("W-1", [("SKU-A", 2)]))
    await confirm(client, {"Authorization": f"Bearer {dc_key}"}, placed["fulfillments"][0]["id"], "reject",
                  reason="flooded")
    [again] = (await explained(client, keys, placed["id"]))["resourced"]
    assert [s["node_id"] for s in again["shipments"]] == ["ST-LILLE"]
    # The DC is farther than the city's stores, and not priced again: named for what it did.
    dc = next(c for c in again["candidates"] if c["node_id"] == "DC-PARIS")
    assert dc["rejected_because"] == "gave up this order's fulfilment: flooded"
    assert len(again["candidates"]) <= 6 and accounted(again) == 3 + STORES + 1
