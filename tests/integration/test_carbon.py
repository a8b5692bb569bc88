"""Carbon per option, and as a cost in sourcing: each option's grams from the factors given to carrier
services, vans, couriers and nodes; a carbon price that moves the plan exactly where the grams it saves
outweigh the money it costs, with the term in the explanation."""

import math

from oms.domain.carbon import CAR_G_PER_KM, COLLECTION_CAR_SHARE, ROAD_KM
from oms.domain.geo import haversine_km
from tests.integration.test_sourcing import STANDARD, explained, priced
from tests.support import HOME, NODES, capture, order

EMITS = {"g_per_tonne_km": 10_000, "g_per_parcel": 185}  # a heavy line haul, so that a price can move a plan
SPOT = {n["id"]: (n["address"]["lat"], n["address"]["lng"]) for n in NODES}


def km(node_id: str) -> float:
    return haversine_km(*SPOT[node_id], HOME["lat"], HOME["lng"])


def carried(node_id: str, grams: int) -> float:
    """The std service's grams for one parcel of this weight from the node to HOME."""
    return EMITS["g_per_parcel"] + EMITS["g_per_tonne_km"] * grams / 1e6 * km(node_id) * ROAD_KM


async def with_emissions(ctx, client, **settings):
    keys = await priced(ctx, client, **settings)
    r = await client.put("/v1/carrier-services/std", json={**STANDARD, "emissions": EMITS}, headers=keys.h("admin"))
    assert r.status_code == 200 and r.json()["emissions"] == {"g_per_tonne_km": 10_000.0, "g_per_parcel": 185.0}
    return keys


async def test_each_option_states_its_grams_or_null_when_a_factor_is_not_known(ctx, client):
    keys = await with_emissions(ctx, client)
    express = {"id": "exp", "name": "Express", "modes": ["home_express"],  # no emissions given
               "bands": [{"max_km": 1000, "transit_min": 1, "transit_max": 1, "base": 900}]}
    assert (await client.put("/v1/carrier-services/exp", json=express, headers=keys.h("admin"))).status_code == 200
    r = await client.post("/v1/promise", headers=keys.h("web"), json={
        "channel": "web", "lines": [{"sku": "SKU-A", "quantity": 2}], "destination": {"address": HOME}})
    assert r.status_code == 200, r.text
    options = r.json()["options"]
    home = next(o for o in options if o["mode"] == "home_standard")
    [node] = home["nodes"]
    assert home["carbon_g"] == round(carried(node, 700))  # two 350 g mugs in one parcel
    assert next(o for o in options if o["mode"] == "home_express")["carbon_g"] is None
    # Collected from the store's own shelves: nothing carried, the customer's trip only (a share of car trips).
    shelves = next(o for o in options if o["mode"] == "click_and_collect" and o["nodes"] == ["ST-PARIS"])
    assert shelves["carbon_g"] == round(COLLECTION_CAR_SHARE * 2 * km("ST-PARIS") * ROAD_KM * CAR_G_PER_KM)

    # A store in a pedestrian street, where few drive to collect: its own share.
    store = {**next(n for n in NODES if n["id"] == "ST-PARIS"), "collection_car_share": 0.05}
    assert (await client.put("/v1/nodes", json=[store], headers=keys.h("admin"))).status_code == 200
    r = await client.post("/v1/promise", headers=keys.h("web"), json={
        "channel": "web", "lines": [{"sku": "SKU-A", "quantity": 2}], "destination": {"address": HOME}})
    shelves = next(o for o in r.json()["options"] if o["mode"] == "click_and_collect" and o["nodes"] == ["ST-PARIS"])
    assert shelves["carbon_g"] == round(0.05 * 2 * km("ST-PARIS") * ROAD_KM * CAR_G_PER_KM)
    r = await client.put("/v1/nodes", json=[{**store, "collection_car_share": 1.5}], headers=keys.h("admin"))
    assert r.status_code == 422 and "collection_car_share" in r.text


async def test_a_carbon_price_moves_the_plan_exactly_where_the_grams_outweigh_the_money(ctx, client):
    # Two mugs (one started kg): the DC costs 580, the nearer store 1,140 (see test_sourcing). The DC's parcel
    # rides farther: it emits 10 g more per road km of the difference; the price that makes up 560 is the pivot.
    saved = EMITS["g_per_tonne_km"] / 1000 * (km("DC-PARIS") - km("ST-PARIS")) * ROAD_KM
    pivot = 560 / saved * 1e6  # minor units a tonne
    below, above = math.floor(pivot * 0.95), math.ceil(pivot * 1.05)

    keys = await with_emissions(ctx, client, carbon_price_per_tonne=below)
    body = await capture(client, keys, order("C-1", [("SKU-A", 2)]))
    assert [f["node_id"] for f in body["fulfillments"]] == ["DC-PARIS"]
    why = await explained(client, keys, body["id"])
    [dc] = why["shipments"]
    grams = EMITS["g_per_parcel"] + EMITS["g_per_tonne_km"] / 1000 * km("DC-PARIS") * ROAD_KM  # per started kg
    assert why["carbon_price_per_tonne"] == below and dc["carbon_g"] == round(grams)
    assert dc["cost"]["carbon"] == round(grams * below / 1e6)
    assert why["total_cost"]["amount"] == round(580 + grams * below / 1e6)

    r = await client.put("/v1/sourcing/settings", json={"carbon_price_per_tonne": above}, headers=keys.h("admin"))
    assert r.status_code == 200 and r.json()["carbon_price_per_tonne"] == above
    body = await capture(client, keys, order("C-2", [("SKU-A", 2)]))
    assert [f["node_id"] for f in body["fulfillments"]] == ["ST-PARIS"]
    why = await explained(client, keys, body["id"])
    [store] = why["shipments"]
    grams = EMITS["g_per_parcel"] + EMITS["g_per_tonne_km"] / 1000 * km("ST-PARIS") * ROAD_KM
    assert store["carbon_g"] == round(grams) and store["cost"]["carbon"] == round(grams * above / 1e6)
    dearer = next(c for c in why["candidates"] if c["node_id"] == "DC-PARIS")
    assert dearer["rejected_because"] == "a plan using it costs more"

    r = await client.put("/v1/sourcing/settings", json={"carbon_price_per_tonne": -1}, headers=keys.h("admin"))
    assert r.status_code == 422 and "carbon_price_per_tonne" in r.text
