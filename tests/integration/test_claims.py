"""Competitive claiming: a store's ship-from-store work offered to the nearest other store that can send it
whole; the first to accept takes it (stock and day place move with it), the other offers end."""

import asyncio
from datetime import timedelta

from oms.services.fulfillment.sla import expire_unaccepted
from tests.support import NODES, capture, confirm, on_hand_reserved, order, problem, seed


async def offered_order(ctx, client, ref: str):
    """A web order for a rug (at both stores, not the DC), sent from ST-PARIS and offered to ST-LYON."""
    keys = await seed(ctx, client)
    r = await client.put("/v1/sourcing/settings", headers=keys.h("admin"), json={
        "strategies": [{"channel": "web", "mode": "home_standard", "strategy": "nearest", "offer_to": 2}]})
    assert r.status_code == 200, r.text
    placed = await capture(client, keys, order(ref, [("SKU-C", 1)]))
    [f] = placed["fulfillments"]
    assert f["node_id"] == "ST-PARIS" and f["details"]["offered_to"] == ["ST-LYON"]
    return keys, placed, f["id"]


async def queue(client, keys, who: str) -> list[str]:
    r = await client.get("/v1/fulfillments", headers=keys.h(who))
    assert r.status_code == 200, r.text
    return [f["id"] for f in r.json()["items"]]


async def test_the_store_offered_the_work_takes_it_by_accepting_first(ctx, client):
    keys, placed, fid = await offered_order(ctx, client, "CL-1")
    assert await queue(client, keys, "store_lyon") == [fid]
    assert (await client.get(f"/v1/fulfillments/{fid}", headers=keys.h("store_lyon"))).status_code == 200
    lyon = keys.h("store_lyon")
    problem(await client.post(f"/v1/fulfillments/{fid}/pick", json={}, headers=lyon), 403, "forbidden")

    view = await confirm(client, lyon, fid, "accept")
    [f] = view["fulfillments"]
    assert (f["node_id"], f["status"]) == ("ST-LYON", "accepted")
    assert f["details"]["claimed"] == {"by": "ST-LYON", "from": "ST-PARIS"} and "offered_to" not in f["details"]
    assert [c[0] for c in f["details"]["capacity"]] == ["ST-LYON"]
    assert await on_hand_reserved(client, keys, "SKU-C", "ST-LYON") == (3, 1)
    assert await on_hand_reserved(client, keys, "SKU-C", "ST-PARIS") == (2, 0)
    problem(await client.post(f"/v1/fulfillments/{fid}/accept", json={}, headers=keys.h("store_paris")),
            404, "not_found")  # not its work any more
    assert await queue(client, keys, "store_paris") == []
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    [claimed] = [e for e in events if e["type"] == "fulfillment.claimed"]
    assert claimed["actor"] == "node:ST-LYON" and claimed["data"]["from"] == "ST-PARIS"
    # The rest of the work is the new node's.
    await confirm(client, lyon, fid, "ship", carrier="c", tracking_number="CL-1")
    assert await on_hand_reserved(client, keys, "SKU-C", "ST-LYON") == (2, 0)


async def test_a_claim_moves_the_units_whichever_store_comes_first_in_the_lock_order(ctx, client):
    """Stock rows are locked in (node, sku) order: a store claiming from one that sorts before it releases
    there first and then reserves, the other way round it reserves first; both move every unit."""
    keys = await seed(ctx, client)
    r = await client.put("/v1/sourcing/settings", headers=keys.h("admin"), json={
        "strategies": [{"channel": "web", "mode": "home_standard", "strategy": "nearest", "offer_to": 2}]})
    assert r.status_code == 200, r.text
    lyon_home = {"line1": "1 place Bellecour", "postal_code": "69002", "city": "Lyon", "country": "FR",
                 "lat": 45.7578, "lng": 4.832}
    placed = await capture(client, keys, order("CL-LY", [("SKU-C", 1)], address=lyon_home))
    [f] = placed["fulfillments"]
    assert f["node_id"] == "ST-LYON" and f["details"]["offered_to"] == ["ST-PARIS"]  # "ST-LYON" < "ST-PARIS"
    assert await on_hand_reserved(client, keys, "SKU-C", "ST-LYON") == (3, 1)

    [f] = (await confirm(client, keys.h("store_paris"), f["id"], "accept"))["fulfillments"]
    assert (f["node_id"], f["status"]) == ("ST-PARIS", "accepted")
    assert await on_hand_reserved(client, keys, "SKU-C", "ST-LYON") == (3, 0)
    assert await on_hand_reserved(client, keys, "SKU-C", "ST-PARIS") == (2, 1)


async def test_when_the_first_node_accepts_the_offers_end(ctx, client):
    keys, placed, fid = await offered_order(ctx, client, "CL-2")
    await confirm(client, keys.h("store_paris"), fid, "accept")
    assert await queue(client, keys, "store_lyon") == []
    problem(await client.post(f"/v1/fulfillments/{fid}/accept", json={}, headers=keys.h("store_lyon")),
            404, "not_found")
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    [withdrawn] = [e for e in events if e["type"] == "fulfillment.offers_withdrawn"]
    assert withdrawn["data"]["withdrawn_from"] == ["ST-LYON"]


async def test_a_store_declines_its_offer_and_one_without_the_units_cannot_take_it(ctx, client):
    keys, placed, fid = await offered_order(ctx, client, "CL-3")
    r = await client.put("/v1/inventory", json=[{"node_id": "ST-LYON", "sku": "SKU-C", "on_hand": 0}],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    problem(await client.post(f"/v1/fulfillments/{fid}/accept", json={}, headers=keys.h("store_lyon")),
            409, "conflict")
    assert await on_hand_reserved(client, keys, "SKU-C", "ST-PARIS") == (2, 1)  # nothing moved
    view = await confirm(client, keys.h("store_lyon"), fid, "reject", reason="none left")
    assert view["fulfillments"] == []  # not its to see any more
    assert await queue(client, keys, "store_lyon") == []
    accepted = await confirm(client, keys.h("store_paris"), fid, "accept")
    assert accepted["fulfillments"][0]["node_id"] == "ST-PARIS"


async def test_two_stores_accepting_at_once_one_takes_the_work(ctx, client):
    keys, placed, fid = await offered_order(ctx, client, "CL-4")
    answers = await asyncio.gather(*(client.post(f"/v1/fulfillments/{fid}/accept", json={}, headers=keys.h(who))
                                     for who in ("store_paris", "store_lyon")))
    assert sorted(r.status_code for r in answers) == [200, 404]  # the other one no longer sees the work
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    [f] = view["fulfillments"]
    winner = "store_paris" if answers[0].status_code == 200 else "store_lyon"
    assert f["node_id"] == {"store_paris": "ST-PARIS", "store_lyon": "ST-LYON"}[winner]
    rows = {n: await on_hand_reserved(client, keys, "SKU-C", n) for n in ("ST-PARIS", "ST-LYON")}
    assert sum(reserved for _, reserved in rows.values()) == 1 and rows[f["node_id"]][1] == 1


async def test_no_claim_in_time_sources_the_work_again(ctx, client):
    keys, placed, fid = await offered_order(ctx, client, "CL-5")
    paris = {**next(n for n in NODES if n["id"] == "ST-PARIS"), "accept_within_minutes": 30}
    assert (await client.put("/v1/nodes", json=[paris], headers=keys.h("admin"))).status_code == 200
    assert await expire_unaccepted(ctx, at=ctx.clock.now() + timedelta(minutes=31)) == 1
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    by_id = {f["id"]: f for f in view["fulfillments"]}
    assert by_id[fid]["status"] == "rejected"
    [again] = [f for f in view["fulfillments"] if f["id"] != fid]
    assert again["node_id"] == "ST-LYON" and again["status"] == "released"
    assert await queue(client, keys, "store_lyon") == [again["id"]]  # the old offer is gone
