"""Backorders: when the channel allows it, an order waits for expected supply instead of being refused."""

import asyncio

from sqlalchemy import update

from oms.db import tables as t
from oms.services.stock.check import promise_differences, repair_promises, stock_differences
from oms.services.supply.backorders import release_backorders
from tests.integration.test_promise import network
from tests.integration.test_supply import po
from tests.support import WHY, act, capture, ful_at, on_hand_reserved, order, problem, seed

# SKU-B: 10 at the DC, 4 in Lyon. Twenty lamps are expected at the DC in 8 days.
PO = po("PO-9", "DC-PARIS", "SKU-B", 30, 8)


async def backorders_for(client, keys, channel="web", supply=(PO,)) -> None:
    r = await client.put("/v1/stock-rules", headers=keys.h("admin"), json={"channels": {channel: {"backorder": True}}})
    assert r.status_code == 200, r.text
    r = await client.put("/v1/supply", headers=keys.h("admin"), json=list(supply))
    assert r.status_code == 200, r.text


async def promised(client, keys, supply_id="PO-9") -> int:
    items = (await client.get("/v1/supply", params={"sku": "SKU-B"}, headers=keys.h("viewer"))).json()["items"]
    return next(x["promised"] for x in items if x["id"] == supply_id)


async def test_without_the_channel_rule_an_order_is_refused_even_with_supply_coming(ctx, client):
    keys = await seed(ctx, client)
    await client.put("/v1/supply", headers=keys.h("admin"), json=[PO])
    problem(await client.post("/v1/orders", json=order("B-1", [("SKU-B", 20)]), headers=keys.h("web")),
            409, "out_of_stock")


async def test_the_promise_offers_a_cart_stock_cannot_serve_from_the_day_its_supply_is_due(ctx, client):
    keys = await network(ctx, client)
    await client.put("/v1/supply", headers=keys.h("admin"), json=[PO])
    body = {"channel": "web", "lines": [{"sku": "SKU-A", "quantity": 1}, {"sku": "SKU-B", "quantity": 20}],
            "destination": {"lat": 48.8556, "lng": 2.3601}}
    r = await client.post("/v1/promise", params={"explain": True}, json=body, headers=keys.h("web"))
    absent = {a["mode"]: a["reason"] for a in r.json()["absent"]}
    assert absent["home_standard"].startswith("not enough stock")  # the channel's orders may not wait
    await backorders_for(client, keys)
    await ctx.reference.get(ctx.db, now=True)
    r = await client.post("/v1/promise", json=body, headers=keys.h("web"))
    standard = next(o for o in r.json()["options"] if o["mode"] == "home_standard")
    assert standard["available_from"] == PO["expected_on"] and standard["promise_id"] is None
    assert standard["earliest"][:10] > PO["expected_on"] and set(standard["nodes"]) == {"ST-PARIS", "DC-PARIS"}
    only_mugs = {**body, "lines": body["lines"][:1]}
    r = await client.post("/v1/promise", json=only_mugs, headers=keys.h("web"))
    assert r.json()["options"] and all(o["available_from"] is None for o in r.json()["options"])  # nothing waits


async def test_a_supply_past_its_date_is_not_offered(ctx, client):
    keys = await network(ctx, client)
    await backorders_for(client, keys, supply=(po("PO-LATE", "DC-PARIS", "SKU-B", 30, -1),))
    await ctx.reference.get(ctx.db, now=True)
    r = await client.post("/v1/promise", params={"explain": True}, headers=keys.h("web"), json={
        "channel": "web", "lines": [{"sku": "SKU-B", "quantity": 20}], "destination": {"lat": 48.8556, "lng": 2.3601}})
    assert "home_standard" not in {o["mode"] for o in r.json()["options"]}, r.json()


async def test_an_order_waits_for_supply_and_goes_to_the_node_when_it_arrives(ctx, client):
    keys = await seed(ctx, client)
    await backorders_for(client, keys)
    view = await capture(client, keys, order("B-2", [("SKU-A", 1), ("SKU-B", 20)]))
    waiting = ful_at(view, "DC-PARIS") if len(view["fulfillments"]) == 1 else next(
        f for f in view["fulfillments"] if f["status"] == "backordered")
    assert view["status"] == "backordered"
    assert waiting["details"] == {"expected_on": PO["expected_on"]}
    assert [(ln["sku"], ln["quantity"], ln["reserved"], ln["supply_id"]) for ln in waiting["lines"]] == [
        ("SKU-B", 20, 0, "PO-9")]
    assert sum(ln["reserved"] for f in view["fulfillments"] for ln in f["lines"] if ln["sku"] == "SKU-A") == 1
    assert await promised(client, keys) == 20
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (10, 0)  # the stock is not touched
    c = (await client.get("/v1/availability/SKU-B", params={"channel": "web"}, headers=keys.h("web"))).json()
    assert c["incoming"] == [{"date": PO["expected_on"], "quantity": 10}]  # 20 of the 30 are spoken for
    assert await stock_differences(ctx) == [] and await promise_differences(ctx) == []

    # The node cannot work on it yet; nothing is released while the units are not there.
    problem(await act(client, keys.h("store_paris"), waiting["id"], "accept"), 404, "not_found")
    problem(await act(client, keys.h("admin"), waiting["id"], "accept"), 409, "illegal_transition")
    assert await release_backorders(ctx) == 0

    # Lamps come back to the DC before the purchase order (a return, a recount): the sweep hands them over.
    await client.put("/v1/inventory", headers=keys.h("admin"), json=[{"node_id": "DC-PARIS", "sku": "SKU-B",
                                                                      "on_hand": 40}])
    assert await release_backorders(ctx) == 1
    got = (await client.get(f"/v1/orders/{view['id']}", headers=keys.h("web"))).json()
    released = next(f for f in got["fulfillments"] if f["id"] == waiting["id"])
    assert released["status"] == "released" and released["lines"][0]["reserved"] == 20
    assert got["status"] == "created"
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (40, 20)
    assert await promised(client, keys) == 0
    assert await release_backorders(ctx) == 0
    events = (await client.get(f"/v1/orders/{view['id']}/events", headers=keys.h("web"))).json()
    assert "fulfillment.released" in [e["type"] for e in events]
    assert await stock_differences(ctx) == [] and await promise_differences(ctx) == []


async def test_a_supply_is_never_promised_twice(ctx, client):
    keys = await seed(ctx, client)
    await backorders_for(client, keys)
    answers = await asyncio.gather(*(client.post("/v1/orders", json=order(f"B-{i}", [("SKU-B", 8)]),
                                                 headers=keys.h("web")) for i in range(6)))
    codes = sorted(r.status_code for r in answers)
    # 10 at the DC serve one order now; 30 to come serve three more (a line waits whole for one supply).
    assert codes == [201, 201, 201, 201, 409, 409], [r.text for r in answers if r.status_code != 201]
    statuses = sorted(r.json()["status"] for r in answers if r.status_code == 201)
    assert statuses == ["backordered", "backordered", "backordered", "created"]
    assert await promised(client, keys) == 24
    assert await stock_differences(ctx) == [] and await promise_differences(ctx) == []


async def test_cancelling_a_backorder_gives_its_units_back_to_the_supply(ctx, client):
    keys = await seed(ctx, client)
    await backorders_for(client, keys)
    view = await capture(client, keys, order("B-3", [("SKU-B", 25)]))
    assert await promised(client, keys) == 25
    r = await client.post(f"/v1/orders/{view['id']}/cancel", json={**WHY, "lines": [{"line_no": 1, "quantity": 5}]},
                          headers=keys.h("web"))
    assert r.status_code == 200, r.text
    assert await promised(client, keys) == 20
    r = await client.post(f"/v1/orders/{view['id']}/cancel", json=WHY, headers=keys.h("web"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["fulfillments"][0]["status"] == "cancelled"
    assert await promised(client, keys) == 0
    assert await stock_differences(ctx) == [] and await promise_differences(ctx) == []


async def test_a_supply_cannot_drop_below_what_it_promised(ctx, client):
    keys = await seed(ctx, client)
    await backorders_for(client, keys)
    await capture(client, keys, order("B-4", [("SKU-B", 25)]))
    r = await client.put("/v1/supply", headers=keys.h("admin"), json=[{**PO, "quantity": 24}])
    assert problem(r, 409, "conflict")["errors"][0]["field"] == "items.0.quantity"
    r = await client.put("/v1/supply", headers=keys.h("admin"), json=[{**PO, "status": "cancelled"}])
    assert problem(r, 409, "conflict")["errors"][0]["field"] == "items.0.status"
    r = await client.put("/v1/supply", headers=keys.h("admin"), json=[{**PO, "quantity": 25}])
    assert r.status_code == 200, r.text
    assert await promised(client, keys) == 25


async def test_check_finds_and_repairs_a_supply_promise_out_of_step(ctx, client):
    keys = await seed(ctx, client)
    await backorders_for(client, keys)
    await capture(client, keys, order("B-5", [("SKU-B", 12)]))
    async with ctx.db.write() as conn:
        await conn.execute(update(t.supply).where(t.supply.c.id == "PO-9").values(allocated=3))
    assert await promise_differences(ctx) == [{"supply_id": "PO-9", "promised": 3, "waiting": 12}]
    assert await repair_promises(ctx) == [{"supply_id": "PO-9", "promised": 3, "waiting": 12}]
    assert await promise_differences(ctx) == [] and await repair_promises(ctx) == []
    assert await promised(client, keys) == 12


async def test_a_received_supply_hands_its_units_to_its_backorders_at_once(ctx, client):
    """Marked received, the supply's units are the waiting orders' own at that moment — before the count
    that brings them in, and before any sweep: no other order can take them meanwhile."""
    keys = await seed(ctx, client)
    await backorders_for(client, keys)
    waiting = await capture(client, keys, order("B-6", [("SKU-B", 20)]))
    r = await client.put("/v1/supply", headers=keys.h("admin"), json=[{**PO, "status": "received"}])
    assert r.status_code == 200, r.text
    got = (await client.get(f"/v1/orders/{waiting['id']}", headers=keys.h("web"))).json()
    assert got["status"] == "created" and got["fulfillments"][0]["status"] == "released"
    assert got["fulfillments"][0]["lines"][0]["reserved"] == 20
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (10, 20)  # the lamps not counted yet
    problem(await client.post("/v1/orders", json=order("B-7", [("SKU-B", 5)]), headers=keys.h("web")),
            409, "out_of_stock")  # the 10 lamps there are the waiting order's now; nothing more is expected
    await client.put("/v1/inventory", headers=keys.h("admin"), json=[{"node_id": "DC-PARIS", "sku": "SKU-B",
                                                                      "on_hand": 40}])
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (40, 20)
    assert await promised(client, keys) == 0 and await release_backorders(ctx) == 0
    assert await stock_differences(ctx) == [] and await promise_differences(ctx) == []


async def test_a_backorder_of_a_share_limited_channel_is_released_when_its_units_are_there(ctx, client):
    """The share was applied when the order was promised its supply; it is not applied again to the units
    it waits for (30 % of 40 would never cover 20)."""
    keys = await seed(ctx, client)
    r = await client.put("/v1/stock-rules", headers=keys.h("admin"), json={"channels": {"marketplace": {
        "node_types": ["warehouse"], "share_percent": 30, "backorder": True}}})
    assert r.status_code == 200, r.text
    await client.put("/v1/supply", headers=keys.h("admin"), json=[PO])
    view = await capture(client, keys, order("M-1", [("SKU-B", 20)], channel="marketplace"), who="marketplace")
    assert view["status"] == "backordered"
    await client.put("/v1/inventory", headers=keys.h("admin"), json=[{"node_id": "DC-PARIS", "sku": "SKU-B",
                                                                      "on_hand": 40}])
    assert await release_backorders(ctx) == 1
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (40, 20)
    assert await stock_differences(ctx) == [] and await promise_differences(ctx) == []
