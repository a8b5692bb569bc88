"""A cancel of work a node has, where the node confirms cancels: asked, then confirmed, refused, or
overtaken by the parcel leaving; never two answers, never another node's."""

from tests.support import NODES, WHY, capture, confirm, on_hand_reserved, order, problem, seed


async def confirming_store(ctx, client):
    keys = await seed(ctx, client)
    paris = {**next(n for n in NODES if n["id"] == "ST-PARIS"), "confirms_cancel": True}
    r = await client.put("/v1/nodes", json=[paris], headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    listed = (await client.get("/v1/nodes", headers=keys.h("admin"))).json()["items"]
    assert next(n for n in listed if n["id"] == "ST-PARIS")["confirms_cancel"] is True
    return keys


async def types_of(client, keys, order_id: str) -> list[str]:
    return [e["type"] for e in (await client.get(f"/v1/orders/{order_id}/events", headers=keys.h("admin"))).json()]


async def test_a_cancel_waits_for_the_node_then_releases_the_units(ctx, client):
    keys = await confirming_store(ctx, client)
    placed = await capture(client, keys, order("CR-1", [("SKU-A", 2)]))
    [f] = placed["fulfillments"]
    assert f["node_id"] == "ST-PARIS"
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json=WHY, headers=keys.h("web"))
    assert r.status_code == 202, r.text
    [ful] = r.json()["fulfillments"]
    assert ful["status"] == "released" and r.json()["status"] == "created"
    assert ful["details"]["cancel_request"]["lines"] == [{"line_no": 1, "quantity": 2}]
    assert ful["details"]["cancel_request"]["by"] == "channel:web"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 2)  # still the node's work
    problem(await client.post(f"/v1/orders/{placed['id']}/cancel", json=WHY, headers=keys.h("web")), 409, "conflict")

    path = f"/v1/fulfillments/{f['id']}"
    problem(await client.post(f"{path}/confirm_cancel", json={}, headers=keys.h("store_lyon")), 404, "not_found")
    problem(await client.post(f"{path}/confirm_cancel", json={}, headers=keys.h("web")), 403, "forbidden")
    view = (await client.post(f"{path}/confirm_cancel", json={}, headers=keys.h("store_paris"))).json()
    assert view["status"] == "cancelled" and view["fulfillments"][0]["status"] == "cancelled"
    assert "cancel_request" not in view["fulfillments"][0]["details"]
    assert view["lines"][0]["cancelled"] == 2
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 0)
    problem(await client.post(f"{path}/confirm_cancel", json={}, headers=keys.h("store_paris")), 409, "conflict")
    types = await types_of(client, keys, placed["id"])
    assert types.index("fulfillment.cancel_requested") < types.index("fulfillment.cancel_confirmed")
    assert "order.lines_cancelled" in types


async def test_a_refused_cancel_leaves_the_units_to_be_sent(ctx, client):
    keys = await confirming_store(ctx, client)
    placed = await capture(client, keys, order("CR-2", [("SKU-A", 2)]))
    fid = placed["fulfillments"][0]["id"]
    await confirm(client, keys.h("store_paris"), fid, "accept")
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json={**WHY, "lines": [{"line_no": 1, "quantity": 1}]},
                          headers=keys.h("web"))
    assert r.status_code == 202, r.text
    view = (await client.post(f"/v1/fulfillments/{fid}/refuse_cancel", json={"reason": "parcel sealed"},
                              headers=keys.h("store_paris"))).json()
    assert view["lines"][0]["cancelled"] == 0 and "cancel_request" not in view["fulfillments"][0]["details"]
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    [refused] = [e for e in events if e["type"] == "fulfillment.cancel_refused"]
    assert refused["reason"] == "parcel sealed" and refused["data"]["lines"] == [{"line_no": 1, "quantity": 1}]
    shipped = await confirm(client, keys.h("store_paris"), fid, "ship", carrier="c", tracking_number="CR-2")
    assert shipped["fulfillments"][0]["lines"][0]["shipped"] == 2


async def test_shipping_overtakes_a_cancel_waiting_for_the_node(ctx, client):
    keys = await confirming_store(ctx, client)
    placed = await capture(client, keys, order("CR-3", [("SKU-A", 1)]))
    fid = placed["fulfillments"][0]["id"]
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json=WHY, headers=keys.h("web"))
    assert r.status_code == 202, r.text
    await confirm(client, keys.h("store_paris"), fid, "accept")
    shipped = await confirm(client, keys.h("store_paris"), fid, "ship", carrier="c", tracking_number="CR-3")
    assert shipped["status"] == "shipped" and "cancel_request" not in shipped["fulfillments"][0]["details"]
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    [refused] = [e for e in events if e["type"] == "fulfillment.cancel_refused"]
    assert refused["reason"] == "ship before the cancel was confirmed"
    problem(await client.post(f"/v1/fulfillments/{fid}/confirm_cancel", json={}, headers=keys.h("store_paris")),
            409, "conflict")


async def test_a_node_that_does_not_confirm_cancels_is_cancelled_at_once(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("CR-4", [("SKU-A", 1)]))
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json=WHY, headers=keys.h("web"))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


async def test_a_node_giving_up_work_with_a_cancel_waiting_cancels_those_units(ctx, client):
    keys = await confirming_store(ctx, client)
    placed = await capture(client, keys, order("CR-5", [("SKU-A", 2)]))
    fid = placed["fulfillments"][0]["id"]
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json=WHY, headers=keys.h("web"))
    assert r.status_code == 202, r.text
    view = await confirm(client, keys.h("store_paris"), fid, "reject", reason="cannot")
    assert view["status"] == "cancelled" and view["lines"][0]["cancelled"] == 2  # not sent again elsewhere
    assert [f["id"] for f in view["fulfillments"]] == [fid]
    assert "cancel_request" not in view["fulfillments"][0]["details"]
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 0)
    problem(await client.post(f"/v1/fulfillments/{fid}/confirm_cancel", json={}, headers=keys.h("store_paris")),
            409, "conflict")
    problem(await client.post(f"/v1/orders/{placed['id']}/cancel", json=WHY, headers=keys.h("web")),
            409, "illegal_transition")


async def test_units_not_found_that_a_cancel_asks_for_are_cancelled_not_sourced_again(ctx, client):
    keys = await confirming_store(ctx, client)
    placed = await capture(client, keys, order("CR-6", [("SKU-A", 2)]))
    fid = placed["fulfillments"][0]["id"]
    await confirm(client, keys.h("store_paris"), fid, "accept")
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json={**WHY, "lines": [{"line_no": 1, "quantity": 1}]},
                          headers=keys.h("web"))
    assert r.status_code == 202, r.text
    view = await confirm(client, keys.h("store_paris"), fid, "pick", lines=[{"sku": "SKU-A", "quantity": 1}])
    [f] = view["fulfillments"]  # nothing sourced again
    assert (f["lines"][0]["cancelled"], f["lines"][0]["short"], f["lines"][0]["reserved"]) == (1, 0, 1)
    assert view["lines"][0]["cancelled"] == 1 and view["status"] == "picked"
    assert "cancel_request" not in f["details"]
