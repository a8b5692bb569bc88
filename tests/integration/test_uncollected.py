"""Parcels not collected in time go back: from a locker as a return to the chosen node, refunded when
received; from a store's own shelves released at once and refunded; a carrier's returned parcel too."""

import json
from datetime import timedelta

from oms.domain.webhooks import signature
from oms.services.fulfillment.uncollected import send_back_uncollected
from tests.support import NODES, capture, confirm, on_hand_reserved, order, problem, seed


async def with_limit(client, keys, node_id: str, **settings):
    node = {**next(n for n in NODES if n["id"] == node_id), **settings}
    r = await client.put("/v1/nodes", json=[node], headers=keys.h("admin"))
    assert r.status_code == 200, r.text


async def events_of(client, keys, order_id: str, type: str) -> list[dict]:
    events = (await client.get(f"/v1/orders/{order_id}/events", headers=keys.h("admin"))).json()
    return [e for e in events if e["type"] == type]


async def test_a_locker_parcel_not_collected_goes_back_to_the_chosen_node_and_is_refunded(ctx, client):
    keys = await seed(ctx, client)
    await with_limit(client, keys, "LK-PARIS", collect_within_days=3, returns_to="ST-PARIS")
    placed = await capture(client, keys, order("UC-1", [("SKU-A", 1)], mode="locker", pickup_node_id="LK-PARIS"))
    [f] = placed["fulfillments"]
    admin = keys.h("admin")
    await confirm(client, admin, f["id"], "accept")
    await confirm(client, admin, f["id"], "ship", carrier="c", tracking_number="UC-1")
    ready = await confirm(client, admin, f["id"], "ready")
    assert ready["status"] == "ready_for_pickup"

    assert await send_back_uncollected(ctx, at=ctx.clock.now() + timedelta(days=2)) == 0
    assert await send_back_uncollected(ctx, at=ctx.clock.now() + timedelta(days=3, minutes=1)) == 1
    assert await send_back_uncollected(ctx, at=ctx.clock.now() + timedelta(days=4)) == 0  # once
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("web"))).json()
    assert view["status"] == "cancelled" and view["fulfillments"][0]["status"] == "cancelled"
    assert view["lines"][0]["cancelled"] == 1
    problem(await client.post(f"/v1/fulfillments/{f['id']}/collect", json={"pickup_code": "x"}, headers=admin),
            409, "illegal_transition")
    [ret] = (await client.get("/v1/returns", params={"order_id": placed["id"]}, headers=admin)).json()["items"]
    assert (ret["kind"], ret["node_id"], ret["status"]) == ("undelivered", "ST-PARIS", "requested")
    assert ret["lines"][0]["quantity"] == 1 and ret["lines"][0]["reason"] == "not collected within 3 days"
    assert not await events_of(client, keys, placed["id"], "refund.requested")  # not before it is back

    before = await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS")
    r = await client.post(f"/v1/returns/{ret['id']}/receive", headers=keys.h("store_paris"),
                          json={"node_id": "ST-PARIS", "lines": [{"sku": "SKU-A", "quantity": 1,
                                                                  "disposition": "restock"}]})
    assert r.status_code == 200, r.text
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (before[0] + 1, before[1])
    [refund] = await events_of(client, keys, placed["id"], "refund.requested")
    assert refund["data"]["amount"]["amount"] == 1000


async def test_a_click_and_collect_order_left_on_the_stores_shelf_is_released_and_refunded(ctx, client):
    keys = await seed(ctx, client)
    await with_limit(client, keys, "ST-PARIS", collect_within_days=2)
    placed = await capture(client, keys, order("UC-2", [("SKU-A", 2)], mode="click_and_collect",
                                               pickup_node_id="ST-PARIS"))
    [f] = placed["fulfillments"]
    assert f["node_id"] == "ST-PARIS"
    store = keys.h("store_paris")
    await confirm(client, store, f["id"], "accept")
    await confirm(client, store, f["id"], "ready")
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 2)
    assert await send_back_uncollected(ctx, at=ctx.clock.now() + timedelta(days=2, minutes=1)) == 1
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 0)  # back on sale
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("web"))).json()
    assert view["status"] == "cancelled"
    [refund] = await events_of(client, keys, placed["id"], "refund.requested")
    assert refund["data"]["amount"] == {"amount": 2000, "currency": "EUR"}
    assert refund["reason"] == "not collected within 2 days"
    assert (await client.get("/v1/returns", params={"order_id": placed["id"]}, headers=keys.h("admin"))
            ).json()["items"] == []


async def test_a_parcel_collected_in_time_stays_collected(ctx, client):
    keys = await seed(ctx, client)
    await with_limit(client, keys, "ST-PARIS", collect_within_days=2)
    placed = await capture(client, keys, order("UC-3", [("SKU-A", 1)], mode="click_and_collect",
                                               pickup_node_id="ST-PARIS"))
    fid, store = placed["fulfillments"][0]["id"], keys.h("store_paris")
    await confirm(client, store, fid, "accept")
    code = (await confirm(client, store, fid, "ready"))["fulfillments"][0]["details"]["pickup_code"]
    await confirm(client, store, fid, "collect", pickup_code=code)
    assert await send_back_uncollected(ctx, at=ctx.clock.now() + timedelta(days=5)) == 0


async def test_a_carrier_delivering_to_a_locker_makes_it_ready_with_a_code(ctx, client):
    ctx.settings.carrier_secrets = {"simulated": "locker-carrier-secret"}
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("UC-4", [("SKU-A", 1)], mode="locker", pickup_node_id="LK-PARIS"))
    fid, admin = placed["fulfillments"][0]["id"], keys.h("admin")
    await confirm(client, admin, fid, "accept")
    shipped = await confirm(client, admin, fid, "ship", carrier="simulated")
    number = shipped["fulfillments"][0]["details"]["tracking_number"]
    body = json.dumps({"tracking_number": number, "status": "delivered"}).encode()
    r = await client.post("/v1/carriers/simulated/tracking", content=body, headers={
        "X-Carrier-Signature": signature("locker-carrier-secret", body), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    [f] = r.json()["fulfillments"]
    assert r.json()["status"] == "ready_for_pickup" and f["status"] == "ready_for_pickup"
    code = f["details"]["pickup_code"]
    [ready] = await events_of(client, keys, placed["id"], "fulfillment.ready_for_pickup")
    assert ready["data"]["details"]["pickup_code"] == code and ready["actor"] == "carrier:simulated"
    collected = await confirm(client, admin, fid, "collect", pickup_code=code)
    assert collected["status"] == "collected"
