"""Who may do what, through HTTP: API keys, roles and their scopes (a channel, a node)."""

import pytest

from tests.support import PRODUCTS, WHY, capture, order, problem, seed


async def two_orders(ctx, client):
    """A web order (sent from ST-PARIS) and a marketplace order (sent from ST-LYON)."""
    keys = await seed(ctx, client)
    web = await capture(client, keys, order("W-1", [("SKU-A", 1)]))
    mkt = await capture(
        client, keys, order("M-1", [("SKU-B", 1), ("SKU-C", 1)], channel="marketplace"), who="marketplace"
    )
    assert [f["node_id"] for f in web["fulfillments"]] == ["ST-PARIS"]
    assert [f["node_id"] for f in mkt["fulfillments"]] == ["ST-LYON"]
    return keys, web, mkt


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/orders"),
        ("POST", "/v1/orders"),
        ("GET", "/v1/fulfillments"),
        ("PUT", "/v1/products"),
        ("GET", "/v1/inventory"),
        ("GET", "/v1/orders/ord_x/events"),
        ("POST", "/v1/fulfillments/ful_x/accept"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-key", "Basic YWRtaW46YWRtaW4="])
async def test_no_key_or_an_unknown_key_is_401(ctx, client, method, path, authorization):
    await seed(ctx, client)
    headers = {"Authorization": authorization} if authorization else {}
    body = [] if method == "PUT" else order() if method == "POST" and path == "/v1/orders" else None
    r = await client.request(method, path, json=body, headers=headers)
    problem(r, 401, "unauthenticated")
    assert r.headers["www-authenticate"] == "Bearer"


async def test_a_rejected_request_without_a_key_stores_nothing(ctx, client):
    keys = await seed(ctx, client)
    r = await client.post("/v1/orders", json=order(), headers={"Authorization": "Bearer oms_wrong"})
    problem(r, 401, "unauthenticated")
    assert (await client.get("/v1/orders", headers=keys.h("admin"))).json()["items"] == []


async def test_health_needs_no_key(ctx, client):
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200


# --- channel keys ------------------------------------------------------------------------------------------


async def test_a_channel_key_creates_orders_for_its_own_channel_only(ctx, client):
    keys = await seed(ctx, client)
    r = await client.post("/v1/orders", json=order("W-9", channel="marketplace"), headers=keys.h("web"))
    problem(r, 403, "forbidden")
    assert (await client.get("/v1/orders", headers=keys.h("admin"))).json()["items"] == []
    inv = (await client.get("/v1/inventory", params={"sku": "SKU-A"}, headers=keys.h("admin"))).json()["items"]
    assert all(row["reserved"] == 0 for row in inv)
    assert (await client.post("/v1/orders", json=order("W-9"), headers=keys.h("web"))).status_code == 201


async def test_a_channel_key_cannot_read_or_change_another_channels_order(ctx, client):
    keys, web, mkt = await two_orders(ctx, client)
    problem(await client.get(f"/v1/orders/{mkt['id']}", headers=keys.h("web")), 403, "forbidden")
    problem(await client.get(f"/v1/orders/{mkt['id']}/events", headers=keys.h("web")), 403, "forbidden")
    problem(await client.post(f"/v1/orders/{mkt['id']}/cancel", json=WHY, headers=keys.h("web")), 403, "forbidden")
    assert (await client.get(f"/v1/orders/{mkt['id']}", headers=keys.h("admin"))).json()["status"] == "created"
    r = await client.get(f"/v1/orders/{web['id']}", headers=keys.h("web"))
    assert r.status_code == 200 and r.json()["id"] == web["id"]


async def test_a_channel_keys_listing_shows_its_own_channel_only(ctx, client):
    keys, web, mkt = await two_orders(ctx, client)
    r = await client.get("/v1/orders", headers=keys.h("web"))
    assert r.status_code == 200
    assert [o["id"] for o in r.json()["items"]] == [web["id"]]
    r = await client.get("/v1/orders", headers=keys.h("marketplace"))
    assert [o["id"] for o in r.json()["items"]] == [mkt["id"]]
    problem(await client.get("/v1/orders", params={"channel": "marketplace"}, headers=keys.h("web")), 403, "forbidden")
    # Filters cannot widen the scope.
    r = await client.get("/v1/orders", params={"status": "created"}, headers=keys.h("web"))
    assert [o["id"] for o in r.json()["items"]] == [web["id"]]


async def test_a_channel_key_cannot_work_on_fulfillments(ctx, client):
    keys, web, _ = await two_orders(ctx, client)
    fid = web["fulfillments"][0]["id"]
    problem(await client.get("/v1/fulfillments", headers=keys.h("web")), 403, "forbidden")
    problem(await client.get(f"/v1/fulfillments/{fid}", headers=keys.h("web")), 403, "forbidden")
    problem(await client.post(f"/v1/fulfillments/{fid}/accept", json={}, headers=keys.h("web")), 403, "forbidden")


# --- node keys ---------------------------------------------------------------------------------------------


async def test_a_node_key_sees_only_its_nodes_fulfillments(ctx, client):
    keys, web, mkt = await two_orders(ctx, client)
    paris_ful, lyon_ful = web["fulfillments"][0]["id"], mkt["fulfillments"][0]["id"]

    r = await client.get("/v1/fulfillments", headers=keys.h("store_paris"))
    assert r.status_code == 200
    assert [(f["id"], f["node_id"]) for f in r.json()["items"]] == [(paris_ful, "ST-PARIS")]
    r = await client.get("/v1/fulfillments", headers=keys.h("store_lyon"))
    assert [f["id"] for f in r.json()["items"]] == [lyon_ful]
    r = await client.get("/v1/fulfillments", params={"node_id": "ST-PARIS"}, headers=keys.h("store_paris"))
    assert [f["id"] for f in r.json()["items"]] == [paris_ful]
    problem(
        await client.get("/v1/fulfillments", params={"node_id": "ST-LYON"}, headers=keys.h("store_paris")),
        403,
        "forbidden",
    )
    assert (await client.get(f"/v1/fulfillments/{paris_ful}", headers=keys.h("store_paris"))).status_code == 200
    problem(await client.get(f"/v1/fulfillments/{lyon_ful}", headers=keys.h("store_paris")), 403, "forbidden")


async def test_a_node_key_cannot_confirm_another_nodes_fulfillment(ctx, client):
    keys, _, mkt = await two_orders(ctx, client)
    lyon_ful = mkt["fulfillments"][0]["id"]
    for action in ("accept", "reject", "ship"):
        r = await client.post(f"/v1/fulfillments/{lyon_ful}/{action}", json={"reason": "not ours"},
                              headers=keys.h("store_paris"))
        problem(r, 403, "forbidden")
    got = (await client.get(f"/v1/fulfillments/{lyon_ful}", headers=keys.h("admin"))).json()
    assert got["status"] == "released" and got["lines"][0]["reserved"] == 1
    r = await client.post(f"/v1/fulfillments/{lyon_ful}/accept", json={}, headers=keys.h("store_lyon"))
    assert r.status_code == 200 and r.json()["status"] == "accepted"


async def test_a_node_key_has_no_access_to_orders(ctx, client):
    keys, web, _ = await two_orders(ctx, client)
    problem(await client.get("/v1/orders", headers=keys.h("store_paris")), 403, "forbidden")
    # Even the order its own node sends.
    problem(await client.get(f"/v1/orders/{web['id']}", headers=keys.h("store_paris")), 403, "forbidden")
    problem(await client.get(f"/v1/orders/{web['id']}/events", headers=keys.h("store_paris")), 403, "forbidden")
    problem(
        await client.post("/v1/orders", json=order("N-1", channel="store"), headers=keys.h("store_paris")),
        403,
        "forbidden",
    )
    problem(
        await client.post(f"/v1/orders/{web['id']}/cancel", json=WHY, headers=keys.h("store_paris")), 403, "forbidden"
    )


# --- viewer and admin --------------------------------------------------------------------------------------


async def test_a_viewer_reads_everything_and_changes_nothing(ctx, client):
    keys, web, mkt = await two_orders(ctx, client)
    h = keys.h("viewer")
    listing = await client.get("/v1/orders", headers=h)
    assert listing.status_code == 200
    assert {o["id"] for o in listing.json()["items"]} == {web["id"], mkt["id"]}
    assert (await client.get(f"/v1/orders/{mkt['id']}", headers=h)).status_code == 200
    assert (await client.get(f"/v1/orders/{mkt['id']}/events", headers=h)).status_code == 200
    assert len((await client.get("/v1/fulfillments", headers=h)).json()["items"]) == 2
    assert (await client.get("/v1/inventory", headers=h)).status_code == 200

    fid = web["fulfillments"][0]["id"]
    problem(await client.post("/v1/orders", json=order("V-1"), headers=h), 403, "forbidden")
    problem(await client.post(f"/v1/orders/{web['id']}/cancel", json=WHY, headers=h), 403, "forbidden")
    problem(await client.post(f"/v1/fulfillments/{fid}/accept", json={}, headers=h), 403, "forbidden")
    problem(await client.put("/v1/products", json=PRODUCTS, headers=h), 403, "forbidden")
    after = (await client.get("/v1/orders", headers=keys.h("admin"))).json()["items"]
    assert {(o["id"], o["status"]) for o in after} == {(web["id"], "created"), (mkt["id"], "created")}


@pytest.mark.parametrize("who", ["web", "store_paris", "viewer"])
@pytest.mark.parametrize("path", ["/v1/products", "/v1/nodes", "/v1/inventory"])
async def test_only_an_admin_may_change_reference_data(ctx, client, who, path):
    keys = await seed(ctx, client)
    body = {
        "/v1/products": [{**PRODUCTS[0], "price": {"amount": 1, "currency": "EUR"}}],
        "/v1/nodes": [],
        "/v1/inventory": [{"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 999}],
    }[path]
    problem(await client.put(path, json=body, headers=keys.h(who)), 403, "forbidden")
    products = (await client.get("/v1/products", headers=keys.h(who))).json()["items"]
    assert {p["sku"]: p["price"]["amount"] for p in products}["SKU-A"] == 1299
    inv = (
        await client.get("/v1/inventory", params={"sku": "SKU-A", "node_id": "ST-PARIS"}, headers=keys.h(who))
    ).json()["items"]
    assert inv[0]["on_hand"] == 5
    r = await client.put(path, json=body, headers=keys.h("admin"))
    assert r.status_code == 200 and r.json()["upserted"] == len(body)


async def test_an_admin_may_work_on_every_channel_and_node(ctx, client):
    keys, web, mkt = await two_orders(ctx, client)
    admin = keys.h("admin")
    r = await client.post("/v1/orders", json=order("A-1", channel="call_center"), headers=admin)
    assert r.status_code == 201 and r.json()["channel"] == "call_center"
    r = await client.post(f"/v1/fulfillments/{mkt['fulfillments'][0]['id']}/accept", json={}, headers=admin)
    assert r.status_code == 200
    r = await client.post(f"/v1/orders/{web['id']}/cancel", json=WHY, headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    events = (await client.get(f"/v1/orders/{web['id']}/events", headers=admin)).json()
    assert events[-1]["actor"].startswith("admin:")
