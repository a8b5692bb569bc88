"""A new delivery address before anything has left; refused, by name, after or where there is none."""

from tests.support import HOME, capture, confirm, order, problem, seed

LYON = {**HOME, "line1": "1 place Bellecour", "postal_code": "69002", "city": "Lyon", "lat": 45.7578, "lng": 4.832}


async def test_the_address_changes_until_a_unit_leaves(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("AD-1", [("SKU-A", 1)]))
    path = f"/v1/orders/{placed['id']}/address"
    r = await client.put(path, json={"address": LYON, "reason": "moving"}, headers=keys.h("web"))
    assert r.status_code == 200, r.text
    assert r.json()["delivery"]["address"] == LYON and r.json()["delivery"]["mode"] == "home_standard"
    again = await client.put(path, json={"address": LYON}, headers=keys.h("web"))
    assert again.json()["updated_at"] == r.json()["updated_at"]  # sent again: nothing changes
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    [changed] = [e for e in events if e["type"] == "order.address_changed"]
    assert changed["data"]["from"] == HOME and changed["data"]["to"] == LYON and changed["reason"] == "moving"

    problem(await client.put(path, json={"address": HOME}, headers=keys.h("marketplace")), 404, "not_found")
    bad = problem(await client.put(path, json={"address": {**HOME, "lat": 91}}, headers=keys.h("web")),
                  422, "invalid_input")
    assert bad["errors"][0]["field"] == "address.lat"

    fid = placed["fulfillments"][0]["id"]
    await confirm(client, keys.h("store_paris"), fid, "accept")
    await confirm(client, keys.h("store_paris"), fid, "ship", carrier="c", tracking_number="t")
    problem(await client.put(path, json={"address": HOME}, headers=keys.h("web")), 409, "conflict")


async def test_a_collected_order_has_no_address_to_change(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("AD-2", [("SKU-A", 1)], mode="click_and_collect",
                                               pickup_node_id="ST-PARIS"))
    bad = problem(await client.put(f"/v1/orders/{placed['id']}/address", json={"address": HOME},
                                   headers=keys.h("web")), 422, "invalid_input")
    assert bad["errors"][0]["field"] == "address"
    problem(await client.put("/v1/orders/ord_nope/address", json={"address": HOME}, headers=keys.h("web")),
            404, "not_found")
