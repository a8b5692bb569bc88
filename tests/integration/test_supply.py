"""Future supply: availability says when units come back ("none now, 12 on 3 December")."""

from datetime import timedelta

from tests.support import now, problem, seed


def po(id, node_id, sku, quantity, days, status="expected", kind="purchase_order"):
    expected = (now() + timedelta(days=days)).date().isoformat()
    return {"id": id, "kind": kind, "node_id": node_id, "sku": sku, "quantity": quantity,
            "expected_on": expected, "status": status}


async def test_none_now_and_twelve_on_a_date(ctx, client):
    keys = await seed(ctx, client)
    await client.put("/v1/inventory", headers=keys.h("admin"), json=[
        {"node_id": "ST-PARIS", "sku": "SKU-C", "on_hand": 0}, {"node_id": "ST-LYON", "sku": "SKU-C", "on_hand": 0}])
    r = await client.put("/v1/supply", headers=keys.h("admin"), json=[
        po("PO-1/1", "DC-PARIS", "SKU-C", 12, 8), po("PO-1/2", "DC-PARIS", "SKU-C", 3, 8),
        po("TR-7", "ST-LYON", "SKU-C", 2, 2, kind="transfer"), po("PO-0", "DC-PARIS", "SKU-C", 9, -1),
        po("PO-2", "DC-PARIS", "SKU-C", 40, 20, status="received")])
    assert r.json() == {"upserted": 5}
    c = (await client.get("/v1/availability/SKU-C", params={"channel": "web"}, headers=keys.h("web"))).json()
    in2, in8 = [(ctx.clock.now() + timedelta(days=d)).date().isoformat() for d in (2, 8)]
    assert c["available"] == 0
    assert c["incoming"] == [{"date": in2, "quantity": 2}, {"date": in8, "quantity": 15}]

    # A channel kept to the DCs sees only what comes to them; a received order is no longer incoming.
    await client.put("/v1/stock-rules", headers=keys.h("admin"),
                     json={"channels": {"marketplace": {"node_types": ["warehouse"]}}})
    r = await client.post("/v1/availability", json={"channel": "marketplace", "skus": ["SKU-C"]},
                          headers=keys.h("marketplace"))
    assert r.json()["items"][0]["incoming"] == [{"date": in8, "quantity": 15}]
    await client.put("/v1/supply", headers=keys.h("admin"), json=[po("PO-1/1", "DC-PARIS", "SKU-C", 12, 8,
                                                                       status="received")])
    c = (await client.get("/v1/availability/SKU-C", params={"channel": "web"}, headers=keys.h("web"))).json()
    assert c["incoming"] == [{"date": in2, "quantity": 2}, {"date": in8, "quantity": 3}]
    listed = (await client.get("/v1/supply", params={"sku": "SKU-C", "status": "expected"},
                               headers=keys.h("viewer"))).json()["items"]
    assert [x["id"] for x in listed] == ["PO-0", "PO-1/2", "TR-7"]


async def test_supply_is_checked_and_written_by_admins_only(ctx, client):
    keys = await seed(ctx, client)
    r = await client.put("/v1/supply", headers=keys.h("admin"), json=[
        po("A", "NOPE", "SKU-A", 1, 3), po("B", "LK-PARIS", "SKU-A", 1, 3), {**po("C", "DC-PARIS", "SKU-A", 1, 3),
                                                                          "quantity": 0}])
    fields = [e["field"] for e in problem(r, 422, "invalid_input")["errors"]]
    assert fields == ["items.2.quantity"]
    r = await client.put("/v1/supply", headers=keys.h("admin"), json=[po("A", "NOPE", "SKU-A", 1, 3),
                                                                      po("B", "LK-PARIS", "SKU-A", 1, 3)])
    assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == ["items.0.node_id", "items.1.node_id"]
    problem(await client.put("/v1/supply", headers=keys.h("viewer"), json=[po("D", "DC-PARIS", "SKU-A", 1, 3)]),
            403, "forbidden")
