"""Availability as channels read it: network, per node, per mode, near a point; fresh after every change."""

from tests.support import HOME, NODES, capture, order, problem, seed


async def avail(client, keys, *skus, who="web", channel="web", **extra) -> dict:
    r = await client.post("/v1/availability", json={"channel": channel, "skus": list(skus), **extra},
                          headers=keys.h(who))
    assert r.status_code == 200, r.text
    return {item["sku"]: item for item in r.json()["items"]}


async def test_network_nodes_and_modes(ctx, client):
    keys = await seed(ctx, client)
    a = (await avail(client, keys, "SKU-A"))["SKU-A"]
    assert a["available"] == 105
    assert a["nodes"] == [{"node_id": "DC-PARIS", "available": 100}, {"node_id": "ST-PARIS", "available": 5}]
    # The DC sends home_express and lockers; stores serve reserve-in-store from their own shelves.
    assert a["modes"]["home_standard"] == 105
    assert a["modes"]["home_express"] == 100
    assert a["modes"]["reserve_in_store"] == 5
    assert a["modes"]["locker"] == 100


async def test_stores_near_a_point_nearest_first(ctx, client):
    keys = await seed(ctx, client)
    near = {"lat": HOME["lat"], "lng": HOME["lng"], "radius_km": 30}
    c = (await avail(client, keys, "SKU-C", near=near))["SKU-C"]
    assert [(s["node_id"], s["available"]) for s in c["near"]] == [("ST-PARIS", 2)]
    far = {**near, "radius_km": 500}
    c = (await avail(client, keys, "SKU-C", near=far))["SKU-C"]
    assert [s["node_id"] for s in c["near"]] == ["ST-PARIS", "ST-LYON"]
    assert c["near"][0]["distance_km"] < c["near"][1]["distance_km"]


async def test_every_change_shows_orders_safety_stock_and_closed_nodes(ctx, client):
    keys = await seed(ctx, client)
    await capture(client, keys, order("AV-1", [("SKU-A", 2)]))  # from the Paris store, nearest with it
    a = (await avail(client, keys, "SKU-A"))["SKU-A"]
    assert a["available"] == 103
    await client.put("/v1/inventory", headers=keys.h("admin"),
                     json=[{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 100, "safety_stock": 10}])
    assert (await avail(client, keys, "SKU-A"))["SKU-A"]["available"] == 93
    closed = [{**n, "active": False} if n["id"] == "ST-PARIS" else n for n in NODES]
    await client.put("/v1/nodes", json=closed, headers=keys.h("admin"))
    a = (await avail(client, keys, "SKU-A"))["SKU-A"]
    assert a["available"] == 90 and [n["node_id"] for n in a["nodes"]] == ["DC-PARIS"]


async def test_product_page_form_and_bad_requests(ctx, client):
    keys = await seed(ctx, client)
    r = await client.get("/v1/availability/SKU-B", params={"channel": "web", "lat": 45.76, "lng": 4.84},
                         headers=keys.h("web"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["available"] == 14 and body["near"][0]["node_id"] == "ST-LYON" and "as_of" in body
    problem(await client.get("/v1/availability/NOPE", params={"channel": "web"}, headers=keys.h("web")),
            404, "not_found")
    r = await client.post("/v1/availability", json={"channel": "web", "skus": ["SKU-A", "NOPE"]},
                          headers=keys.h("web"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "skus.1"
    r = await client.post("/v1/availability", json={"channel": "marketplace", "skus": ["SKU-A"]},
                          headers=keys.h("web"))
    problem(r, 403, "forbidden")
    problem(await client.post("/v1/availability", json={"channel": "web", "skus": ["SKU-A"]},
                              headers=keys.h("store_paris")), 403, "forbidden")


async def test_the_product_page_form_follows_every_change_and_checks_its_parameters(ctx, client):
    keys = await seed(ctx, client)

    async def page(**params):
        return await client.get("/v1/availability/SKU-A", params={"channel": "web", **params}, headers=keys.h("web"))

    assert (await page()).json()["available"] == 105
    await capture(client, keys, order("AV-2", [("SKU-A", 4)]))
    assert (await page()).json()["available"] == 101  # a kept answer is dropped once stock moves
    bad = [({"channel": "fax"}, "channel"), ({"lat": "48.8"}, "lng"), ({"lat": "x", "lng": "2"}, "lat"),
           ({"lat": "91", "lng": "2"}, "lat"), ({"lat": "48", "lng": "2", "radius_km": "0"}, "radius_km")]
    for params, field in bad:
        r = await page(**params)
        assert field in [e["field"] for e in problem(r, 422, "invalid_input")["errors"]], (params, r.text)
    problem(await client.get("/v1/availability/SKU-A", params={"channel": "web"}), 401, "unauthenticated")
