from sqlalchemy import update

from oms.db import tables as t
from oms.services.stock_check import stock_differences
from tests.support import confirm, order, seed


async def test_counters_agree_with_ledger_and_fulfillments_after_every_kind_of_change(ctx, client):
    keys = await seed(ctx, client)
    shipped = (await client.post("/v1/orders", json=order("CHK-1", [("SKU-A", 2)]), headers=keys.h("web"))).json()
    short = (await client.post("/v1/orders", json=order("CHK-2", [("SKU-A", 3)]), headers=keys.h("web"))).json()
    cancelled = (await client.post("/v1/orders", json=order("CHK-3", [("SKU-B", 1), ("SKU-C", 1)]),
                                   headers=keys.h("web"))).json()
    assert await stock_differences(ctx) == []

    f1 = shipped["fulfillments"][0]
    sender = keys.h("store_paris" if f1["node_id"] == "ST-PARIS" else "admin")
    await confirm(client, sender, f1["id"], "accept")
    await confirm(client, sender, f1["id"], "ship", carrier="colissimo", tracking_number="6A123")
    f2 = short["fulfillments"][0]
    await confirm(client, keys.h("admin"), f2["id"], "accept")
    await confirm(client, keys.h("admin"), f2["id"], "pick", lines=[{"sku": "SKU-A", "quantity": 1}])
    r = await client.post(f"/v1/orders/{cancelled['id']}/cancel", json={"reason": "test"}, headers=keys.h("web"))
    assert r.status_code == 200, r.text
    assert await stock_differences(ctx) == []


async def test_a_broken_counter_is_reported(ctx, client):
    keys = await seed(ctx, client)
    await client.post("/v1/orders", json=order("CHK-9", [("SKU-A", 1)]), headers=keys.h("web"))
    async with ctx.db.write() as conn:
        await conn.execute(update(t.inventory).where(t.inventory.c.sku == "SKU-A", t.inventory.c.node_id == "DC-PARIS")
                           .values(reserved=t.inventory.c.reserved + 3))
    assert await stock_differences(ctx) == [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 100,
                                             "ledger_on_hand": 100, "reserved": 3, "held_by_reservations": 0}]
