"""A SKU switched off (a recall) or a node closed disappears from availability and from sale at once."""

from tests.support import NODES, PRODUCTS, order, problem, seed


async def test_a_recalled_sku_is_neither_promised_nor_sold_until_switched_back_on(ctx, client):
    keys = await seed(ctx, client)
    recalled = [{**p, "active": False} if p["sku"] == "SKU-A" else p for p in PRODUCTS]
    assert (await client.put("/v1/products", json=recalled, headers=keys.h("admin"))).status_code == 200

    page = await client.get("/v1/availability/SKU-A", params={"channel": "web"}, headers=keys.h("web"))
    assert page.json()["available"] == 0 and page.json()["nodes"] == [] and set(page.json()["modes"].values()) == {0}
    r = await client.post("/v1/orders", json=order("REC-1", [("SKU-B", 1), ("SKU-A", 1)]), headers=keys.h("web"))
    assert problem(r, 422, "invalid_input")["errors"] == [
        {"field": "lines.1.sku", "reason": "SKU-A is switched off (not for sale)"}]
    hold = {"channel": "web", "lines": [{"sku": "SKU-A", "quantity": 1}], "delivery": order()["delivery"]}
    problem(await client.post("/v1/holds", json=hold, headers=keys.h("web")), 422, "invalid_input")
    listed = (await client.get("/v1/products", headers=keys.h("viewer"))).json()["items"]
    assert {p["sku"]: p["active"] for p in listed} == {"SKU-A": False, "SKU-B": True, "SKU-C": True}

    assert (await client.put("/v1/products", json=PRODUCTS, headers=keys.h("admin"))).status_code == 200
    page = await client.get("/v1/availability/SKU-A", params={"channel": "web"}, headers=keys.h("web"))
    assert page.json()["available"] == 105
    assert (await client.post("/v1/orders", json=order("REC-2"), headers=keys.h("web"))).status_code == 201


async def test_a_closed_store_is_not_used_for_new_orders(ctx, client):
    keys = await seed(ctx, client)
    closed = [{**n, "active": False} if n["id"] == "ST-PARIS" else n for n in NODES]
    await client.put("/v1/nodes", json=closed, headers=keys.h("admin"))
    r = await client.post("/v1/orders", json=order("CL-1", [("SKU-A", 1)]), headers=keys.h("web"))
    assert [f["node_id"] for f in r.json()["fulfillments"]] == ["DC-PARIS"]
    r = await client.post("/v1/orders", json=order("CL-2", mode="click_and_collect", pickup_node_id="ST-PARIS"),
                          headers=keys.h("web"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "delivery.pickup_node_id"
