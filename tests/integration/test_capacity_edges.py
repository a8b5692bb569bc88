"""Capture plans what the promise planned: the node a promise was made from, a second store whose
couriers are free, a hold at a full store, a store readying parcels from two sources counted once,
a closed node with a limit, a slot other than the promised one."""

from tests.integration.test_capacity import ALWAYS, EVERY_DAY, open_network, promise, promised, used
from tests.integration.test_promise import CARRIERS, by_mode
from tests.support import HOME, NODES, STORE_MODES, capture, node, order, problem, seed

SECOND_STORE = node("ST-PARIS-2", "store", 48.8600, 2.3400, "Paris", STORE_MODES, STORE_MODES[:3])


async def with_second_store(ctx, client, **second) -> object:
    keys = await seed(ctx, client)
    nodes = [{"carrier_cutoff": "23:00", **n, "opening_hours": ALWAYS, "exceptions": {}, "processing_minutes": 30,
              "daily_capacity": None} for n in [*NODES, {**SECOND_STORE, **second}]]
    carriers = [{**c, "holidays": [], "delivery_weekdays": EVERY_DAY} for c in CARRIERS]
    for path, body in (("/v1/nodes", nodes), ("/v1/carrier-services", carriers)):
        r = await client.put(path, json=body, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
    return keys


async def test_one_hour_goes_to_the_store_whose_couriers_are_free(ctx, client):
    keys = await with_second_store(ctx, client, fulfills=[*STORE_MODES, "one_hour"])
    admin = keys.h("admin")
    r = await client.put("/v1/nodes", headers=admin, json=[
        {**n, "fulfills": [*n["fulfills"], "one_hour"]} for n in (await client.get("/v1/nodes", headers=admin)).json()[
            "items"] if n["id"] == "ST-PARIS"])
    assert r.status_code == 200, r.text
    r = await client.put("/v1/inventory", json=[{"node_id": "ST-PARIS-2", "sku": "SKU-A", "on_hand": 5}], headers=admin)
    assert r.status_code == 200, r.text
    couriers = {"one_hour": [{"node_id": "ST-PARIS", "couriers_per_hour": 1},
                             {"node_id": "ST-PARIS-2", "couriers_per_hour": 5}]}
    assert (await client.put("/v1/delivery-capacity", json=couriers, headers=admin)).status_code == 200
    first = by_mode(await promise(client, keys, [("SKU-A", 1)]), "one_hour")
    assert first["nodes"] == ["ST-PARIS"]
    await capture(client, keys, promised("O-1", [("SKU-A", 1)], first))
    second = by_mode(await promise(client, keys, [("SKU-A", 1)]), "one_hour")
    assert second["nodes"] == ["ST-PARIS-2"]  # the nearest store's couriers of the hour are booked
    placed = await capture(client, keys, promised("O-2", [("SKU-A", 1)], second))
    assert [f["node_id"] for f in placed["fulfillments"]] == ["ST-PARIS-2"]
    unpromised = await capture(client, keys, order("O-3", [("SKU-A", 1)], "one_hour"))
    assert [f["node_id"] for f in unpromised["fulfillments"]] == ["ST-PARIS-2"]


async def test_a_collection_promised_through_a_dc_is_captured_through_it(ctx, client):
    """A nearer store has the lamp too, but its carrier leaves later: the promise was made from the DC."""
    keys = await with_second_store(ctx, client, carrier_cutoff="00:01")
    r = await client.put("/v1/inventory", json=[{"node_id": "ST-PARIS-2", "sku": "SKU-B", "on_hand": 5}],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    offer = by_mode(await promise(client, keys, [("SKU-B", 1)]), "click_and_collect", "ST-PARIS")
    assert offer["nodes"] == ["DC-PARIS"]
    placed = await capture(client, keys, promised("C-1", [("SKU-B", 1)], offer, pickup_node_id="ST-PARIS"))
    assert [f["node_id"] for f in placed["fulfillments"]] == ["DC-PARIS"]


async def test_an_order_taking_a_hold_at_a_full_store_keeps_a_promise_made_from_elsewhere(ctx, client):
    keys = await open_network(ctx, client, {"ST-PARIS": 1})
    cart = {"channel": "web", "ref": "cart-1", "lines": [{"sku": "SKU-A", "quantity": 1}],
            "delivery": {"mode": "home_standard", "address": HOME}, "ttl_seconds": 900}
    r = await client.post("/v1/holds", json=cart, headers=keys.h("web"))
    assert r.status_code == 201, r.text
    assert [line["node_id"] for line in r.json()["lines"]] == ["ST-PARIS"]
    await capture(client, keys, order("H-1", [("SKU-A", 1)]))  # fills the store's day
    offer = by_mode(await promise(client, keys, [("SKU-A", 1)]), "home_standard")
    assert offer["nodes"] == ["DC-PARIS"]
    body = {**promised("H-2", [("SKU-A", 1)], offer), "hold_id": r.json()["id"]}
    placed = await capture(client, keys, body)
    assert [f["node_id"] for f in placed["fulfillments"]] == ["DC-PARIS"]  # the held mug went back to the shelf
    assert list((await used(ctx, "ST-PARIS")).values()) == [1]


async def test_a_store_readying_parcels_from_two_sources_counts_one_place(ctx, client):
    keys = await open_network(ctx, client, {"ST-PARIS": 1})
    r = await client.put("/v1/inventory", json=[{"node_id": "DC-PARIS", "sku": "SKU-B", "on_hand": 0},
                                                {"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 0}],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    placed = await capture(client, keys, order("C-1", [("SKU-A", 1), ("SKU-B", 1)], "click_and_collect",
                                                pickup_node_id="ST-PARIS"))
    assert sorted(f["node_id"] for f in placed["fulfillments"]) == ["DC-PARIS", "ST-LYON"]
    assert list((await used(ctx, "ST-PARIS")).values()) == [1]


async def test_a_node_with_a_limit_that_never_opens_counts_no_work(ctx, client):
    keys = await open_network(ctx, client, {"ST-PARIS": 5})
    nodes = [{**n, "opening_hours": ({} if n["id"] == "ST-PARIS" else ALWAYS), "processing_minutes": 30,
              "carrier_cutoff": "23:00", "daily_capacity": 5 if n["id"] == "ST-PARIS" else None} for n in NODES]
    assert (await client.put("/v1/nodes", json=nodes, headers=keys.h("admin"))).status_code == 200
    placed = await capture(client, keys, order("H-1", [("SKU-C", 1)]))
    assert [f["node_id"] for f in placed["fulfillments"]] == ["ST-PARIS"] and await used(ctx, "ST-PARIS") == {}


async def test_an_order_cannot_go_in_another_slot_than_its_promise(ctx, client):
    from tests.integration.test_own_delivery import own_network, slot

    keys = await own_network(ctx, client, {"slots": [slot(f"{h:02d}:00", f"{h + 1:02d}:00", lead_minutes=0,
                                                          days_ahead=2) for h in range(0, 23)]}, always_open=True)
    [first, other, *_] = [o for o in (await promise(client, keys, [("SKU-B", 1)]))["options"]
                          if o["mode"] == "scheduled"]
    body = promised("S-1", [("SKU-B", 1)], first)
    body["delivery"]["slot_start"] = other["earliest"]
    r = await client.post("/v1/orders", json=body, headers=keys.h("web"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "delivery.slot_start"
    body["delivery"]["slot_start"] = first["earliest"]
    assert (await client.post("/v1/orders", json=body, headers=keys.h("web"))).status_code == 201
