"""Who may do what, through HTTP: API keys, roles and their scopes (a channel, a node)."""

import json

import pytest

from oms.domain.lifecycle import ACTIONS
from tests.support import HOME, PRODUCTS, WHY, capture, order, problem, seed


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
    problem(await client.get(f"/v1/orders/{mkt['id']}", headers=keys.h("web")), 404, "not_found")
    problem(await client.get(f"/v1/orders/{mkt['id']}/events", headers=keys.h("web")), 404, "not_found")
    problem(await client.post(f"/v1/orders/{mkt['id']}/cancel", json=WHY, headers=keys.h("web")), 404, "not_found")
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
    problem(await client.get(f"/v1/fulfillments/{lyon_ful}", headers=keys.h("store_paris")), 404, "not_found")


async def test_a_node_key_cannot_confirm_another_nodes_fulfillment(ctx, client):
    keys, _, mkt = await two_orders(ctx, client)
    lyon_ful = mkt["fulfillments"][0]["id"]
    for action in ("accept", "reject", "ship"):
        r = await client.post(f"/v1/fulfillments/{lyon_ful}/{action}", json=WHY, headers=keys.h("store_paris"))
        problem(r, 404, "not_found")
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


# --- what a key outside a resource's scope is told: the same as for an id that does not exist ---------------

RECEIPT = {"node_id": "ST-PARIS", "lines": [{"sku": "SKU-B", "quantity": 1, "disposition": "restock"}]}
JUDGED = {"lines": [{"sku": "SKU-B", "quantity": 1, "disposition": "restock"}]}
# (method, path, body) of every route that reads or changes one resource by its id.
BY_CHANNEL = [("GET", "/v1/orders/{order}", None), ("GET", "/v1/orders/{order}/events", None),
              ("GET", "/v1/orders/{order}/sourcing", None), ("POST", "/v1/orders/{order}/cancel", WHY),
              ("POST", "/v1/orders/{order}/resource", {}), ("PUT", "/v1/orders/{order}/address", {"address": HOME}),
              ("GET", "/v1/holds/{hold}", None), ("DELETE", "/v1/holds/{hold}", None),
              ("GET", "/v1/returns/{return}", None), ("POST", "/v1/returns/{return}/cancel", {})]
BY_NODE = [("GET", "/v1/fulfillments/{ful}", None), ("POST", "/v1/fulfillments/{ful}/confirm_cancel", {}),
           ("POST", "/v1/fulfillments/{ful}/refuse_cancel", {}),
           *[("POST", f"/v1/fulfillments/{{ful}}/{action}", {"reason": "not ours"}) for action in ACTIONS],
           ("GET", "/v1/returns/{return}", None), ("POST", "/v1/returns/{return}/receive", RECEIPT),
           ("POST", "/v1/returns/{return}/inspect", JUDGED)]


async def marketplace_resources(ctx, client):
    """A marketplace order sent from ST-LYON and delivered, its return received at ST-LYON and kept to
    inspect, and a marketplace hold: none of them the web key's or ST-PARIS's."""
    keys, _, mkt = await two_orders(ctx, client)
    fid = mkt["fulfillments"][0]["id"]
    for action, body in (("accept", {}), ("ship", {"carrier": "c", "tracking_number": "T-1"}), ("deliver", {})):
        assert (await client.post(f"/v1/fulfillments/{fid}/{action}", json=body,
                                  headers=keys.h("admin"))).status_code == 200
    ret = (await client.post("/v1/returns", headers=keys.h("marketplace"), json={
        "order_id": mkt["id"], "channel": "marketplace", "node_id": "ST-LYON",
        "lines": [{"sku": "SKU-B", "quantity": 1, "reason": "damaged"}]})).json()
    r = await client.post(f"/v1/returns/{ret['id']}/receive", headers=keys.h("store_lyon"),
                          json={"node_id": "ST-LYON", "lines": [{"sku": "SKU-B", "quantity": 1,
                                                                 "disposition": "inspect"}]})
    assert r.json()["status"] == "awaiting_inspection", r.text
    hold = (await client.post("/v1/holds", headers=keys.h("marketplace"), json={
        "channel": "marketplace", "ref": "cart", "lines": [{"sku": "SKU-A", "quantity": 1}],
        "delivery": {"mode": "home_standard", "address": HOME}})).json()
    return keys, {"order": mkt["id"], "ful": fid, "return": ret["id"], "hold": hold["id"]}


def unknown(ids: dict) -> dict:
    """Ids of the same kinds and shapes that name nothing."""
    return {k: v.split("_")[0] + "_" + "0" * 32 for k, v in ids.items()}


async def told(client, headers, method, path, body, ids) -> tuple[int, dict]:
    """The status and the problem, with the id (in the detail and the instance) written as a placeholder."""
    r = await client.request(method, path.format(**ids), json=body, headers=headers)
    text = r.text
    for v in ids.values():
        text = text.replace(v, "ID")
    return r.status_code, json.loads(text)


async def test_a_key_outside_a_resources_scope_is_told_it_does_not_exist(ctx, client):
    keys, ids = await marketplace_resources(ctx, client)
    for who, routes in (("web", BY_CHANNEL), ("store_paris", BY_NODE)):
        for method, path, body in routes:
            status, seen = await told(client, keys.h(who), method, path, body, ids)
            missing = await told(client, keys.h(who), method, path, body, unknown(ids))
            assert (status, seen) == missing, (who, method, path, seen)
            assert status == 404 and seen["code"] == "not_found", (who, method, path, seen)
    # Nothing was changed by those calls.
    order_now = (await client.get(f"/v1/orders/{ids['order']}", headers=keys.h("admin"))).json()
    assert order_now["status"] == "partially_returned" and order_now["lines"][0]["cancelled"] == 0
    r = await client.get(f"/v1/returns/{ids['return']}", headers=keys.h("admin"))
    assert r.json()["status"] == "awaiting_inspection"
    assert (await client.get(f"/v1/holds/{ids['hold']}", headers=keys.h("admin"))).json()["status"] == "active"


@pytest.mark.parametrize(("who", "method", "path", "body"), [
    ("store_paris", "GET", "/v1/orders/{order}", None),
    ("store_paris", "POST", "/v1/orders/{order}/cancel", {}),
    ("store_paris", "GET", "/v1/holds/{hold}", None),
    ("viewer", "POST", "/v1/orders/{order}/cancel", {}),
    ("viewer", "DELETE", "/v1/holds/{hold}", None),
    ("viewer", "POST", "/v1/fulfillments/{ful}/accept", {}),
    ("web", "GET", "/v1/fulfillments/{ful}", None),
    ("web", "POST", "/v1/fulfillments/{ful}/accept", {}),
    ("web", "POST", "/v1/returns/{return}/inspect", JUDGED),
    ("store_paris", "POST", "/v1/returns/{return}/cancel", {}),
])
async def test_a_role_that_may_not_use_a_route_is_403_whatever_the_id(ctx, client, who, method, path, body):
    keys, ids = await marketplace_resources(ctx, client)
    status, seen = await told(client, keys.h(who), method, path, body, ids)
    assert (status, seen) == await told(client, keys.h(who), method, path, body, unknown(ids))
    assert status == 403 and seen["code"] == "forbidden"


async def test_a_node_key_reads_its_own_nodes_stock_only(ctx, client):
    keys = await seed(ctx, client)
    r = await client.get("/v1/inventory", headers=keys.h("store_paris"))
    assert r.status_code == 200
    assert {(row["node_id"], row["sku"]) for row in r.json()["items"]} == {("ST-PARIS", "SKU-A"), ("ST-PARIS", "SKU-C")}
    r = await client.get("/v1/inventory", params={"sku": "SKU-C"}, headers=keys.h("store_paris"))
    assert [row["node_id"] for row in r.json()["items"]] == ["ST-PARIS"]
    r = await client.get("/v1/inventory", params={"node_id": "ST-PARIS"}, headers=keys.h("store_paris"))
    assert len(r.json()["items"]) == 2
    # Another node named: refused, as a fulfilment listing for another node is.
    problem(await client.get("/v1/inventory", params={"node_id": "ST-LYON"}, headers=keys.h("store_paris")),
            403, "forbidden")
    # Nor does it read the network's availability, which is a channel's.
    problem(await client.get("/v1/availability/SKU-A", params={"channel": "web"}, headers=keys.h("store_paris")),
            403, "forbidden")
    everything = await client.get("/v1/inventory", headers=keys.h("viewer"))
    assert len(everything.json()["items"]) == 6
