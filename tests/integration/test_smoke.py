from tests.support import order, seed, stock_of


async def test_capture_then_read(ctx, client):
    keys = await seed(ctx, client)
    r = await client.post("/v1/orders", json=order(), headers=keys.h("web"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "created"
    assert [f["node_id"] for f in body["fulfillments"]] == ["ST-PARIS"]
    got = await client.get(f"/v1/orders/{body['id']}", headers=keys.h("web"))
    assert got.json() == body
    inv = await stock_of(client, keys, "SKU-A")
    assert inv["ST-PARIS"]["reserved"] == 1 and inv["ST-PARIS"]["available"] == 4
