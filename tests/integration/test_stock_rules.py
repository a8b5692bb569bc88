"""Protection rules: channels limited to node types and to a share, units kept for walk-in customers,
safety stock by node type."""

from oms.services.reference.keys import create_key
from tests.support import order, problem, seed, stock_of


async def rules(client, keys, body):
    r = await client.put("/v1/stock-rules", json=body, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    return r.json()


async def page(client, keys, sku, channel, who):
    r = await client.get(f"/v1/availability/{sku}", params={"channel": channel}, headers=keys.h(who))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_marketplace_served_from_the_dcs_with_a_share_of_their_stock(ctx, client):
    keys = await seed(ctx, client)
    await rules(client, keys, {"channels": {"marketplace": {"node_types": ["warehouse"], "share_percent": 30}}})
    seen = await page(client, keys, "SKU-A", "marketplace", "marketplace")
    assert seen["available"] == 30 and seen["nodes"] == [{"node_id": "DC-PARIS", "available": 30}]
    assert (await page(client, keys, "SKU-A", "web", "web"))["available"] == 105  # other channels unchanged
    # SKU-C is only in stores: nothing for the marketplace.
    problem(await client.post("/v1/orders", json=order("MP-1", [("SKU-C", 1)], channel="marketplace"),
                              headers=keys.h("marketplace")), 409, "out_of_stock")
    problem(await client.post("/v1/orders", json=order("MP-2", [("SKU-A", 31)], channel="marketplace"),
                              headers=keys.h("marketplace")), 409, "out_of_stock")
    r = await client.post("/v1/orders", json=order("MP-3", [("SKU-A", 30)], channel="marketplace"),
                          headers=keys.h("marketplace"))
    assert r.status_code == 201 and [f["node_id"] for f in r.json()["fulfillments"]] == ["DC-PARIS"]
    assert (await page(client, keys, "SKU-A", "marketplace", "marketplace"))["available"] == 21  # 30 % of 70


async def test_stores_keep_units_for_walk_in_customers_from_online_channels(ctx, client):
    keys = await seed(ctx, client)
    await rules(client, keys, {"walk_in_units": 2})
    web = await page(client, keys, "SKU-A", "web", "web")
    assert {n["node_id"]: n["available"] for n in web["nodes"]} == {"DC-PARIS": 100, "ST-PARIS": 3}
    r = await client.post("/v1/orders", headers=keys.h("web"),
                          json=order("WI-1", [("SKU-A", 4)], mode="reserve_in_store", pickup_node_id="ST-PARIS"))
    problem(r, 409, "out_of_stock")
    r = await client.post("/v1/orders", headers=keys.h("web"),
                          json=order("WI-2", [("SKU-A", 3)], mode="reserve_in_store", pickup_node_id="ST-PARIS"))
    assert r.status_code == 201, r.text
    # The shop's own tills may sell the kept units.
    till, _ = await create_key(ctx, role="channel", scope="store")
    r = await client.post("/v1/orders", headers={"Authorization": f"Bearer {till}"},
                          json=order("TILL-1", [("SKU-A", 2)], channel="store", mode="store_carry_out",
                                     pickup_node_id="ST-PARIS"))
    assert r.status_code == 201, r.text
    assert (await stock_of(client, keys, "SKU-A"))["ST-PARIS"]["available"] == 0


async def test_new_stock_rows_get_the_safety_stock_of_their_node_type(ctx, client):
    keys = await seed(ctx, client)
    await rules(client, keys, {"safety_stock_by_node_type": {"store": 1}})
    await client.put("/v1/inventory", headers=keys.h("admin"), json=[
        {"node_id": "ST-PARIS", "sku": "SKU-B", "on_hand": 4},  # a new row: the store default
        {"node_id": "ST-LYON", "sku": "SKU-A", "on_hand": 4, "safety_stock": 0},  # given: kept
        {"node_id": "ST-LYON", "sku": "SKU-C", "on_hand": 3}])  # an existing row keeps its own
    assert (await stock_of(client, keys, "SKU-B"))["ST-PARIS"]["safety_stock"] == 1
    assert (await stock_of(client, keys, "SKU-A"))["ST-LYON"]["safety_stock"] == 0
    assert (await stock_of(client, keys, "SKU-C"))["ST-LYON"]["safety_stock"] == 0


async def test_rules_are_checked_read_back_and_changed_by_admins_only(ctx, client):
    keys = await seed(ctx, client)
    body = {"safety_stock_by_node_type": {"store": 1}, "walk_in_units": 2,
            "channels": {"marketplace": {"node_types": ["warehouse"], "share_percent": 30}}}
    stored = await rules(client, keys, body)
    assert (await client.get("/v1/stock-rules", headers=keys.h("viewer"))).json() == stored
    assert stored["channels"]["marketplace"] == {"node_types": ["warehouse"], "share_percent": 30, "backorder": False}
    problem(await client.put("/v1/stock-rules", json=body, headers=keys.h("viewer")), 403, "forbidden")
    bad = {"walk_in_units": -1, "channels": {"marketplace": {"share_percent": 101}, "fax": {}},
           "safety_stock_by_node_type": {"castle": 1}}
    fields = {e["field"] for e in problem(await client.put("/v1/stock-rules", json=bad, headers=keys.h("admin")),
                                          422, "invalid_input")["errors"]}
    assert {"walk_in_units", "channels.marketplace.share_percent"} <= fields
    assert any(f.startswith("channels.fax") for f in fields) and any("castle" in f for f in fields)
