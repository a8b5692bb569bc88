"""Daily capacity over HTTP: captures take places in a node's day, cancels give them back, a full store
is promised for its next day, a node whose day is full is passed over, a full locker bank gives way to
the next (captures racing for the last places: ``tests/reliability/test_capacity_races.py``)."""

from datetime import date

from sqlalchemy import func, select

from oms.db import tables as t
from tests.integration.test_promise import CARRIERS, by_mode
from tests.support import NODES, capture, ful_at, order, problem, seed

ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]
LOCKERS = {"id": "lk", "name": "To locker banks", "mode": "locker", "delivery_weekdays": EVERY_DAY,
           "bands": [{"max_km": 100, "transit_min": 1, "transit_max": 1, "base": 300}]}
SECOND_BANK = {**next(n for n in NODES if n["id"] == "LK-PARIS"), "id": "LK-PARIS-2",
               "address": {**next(n for n in NODES if n["id"] == "LK-PARIS")["address"], "lat": 48.875}}
NEAR_BANKS = {"lat": 48.871, "lng": 2.331}


async def open_network(ctx, client, capacities: dict[str, int | None]):
    """The test network open round the clock every day (so that "now" is any time), its carriers
    delivering every day, and these daily capacities (others: none)."""
    keys = await seed(ctx, client)
    await set_capacities(client, keys, capacities)
    carriers = [{**c, "holidays": [], "delivery_weekdays": EVERY_DAY} for c in CARRIERS] + [LOCKERS]
    r = await client.put("/v1/carrier-services", json=carriers, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    return keys


async def set_capacities(client, keys, capacities: dict[str, int | None]) -> None:
    nodes = [{**n, "opening_hours": ALWAYS, "processing_minutes": 30, "carrier_cutoff": "23:00",
              "daily_capacity": capacities.get(n["id"])} for n in [*NODES, SECOND_BANK]]
    r = await client.put("/v1/nodes", json=nodes, headers=keys.h("admin"))
    assert r.status_code == 200, r.text


async def promise(client, keys, lines, explain=False, **destination) -> dict:
    body = {"channel": "web", "lines": [{"sku": s, "quantity": q} for s, q in lines],
            "destination": destination or {"address": order()["delivery"]["address"]}}
    r = await client.post("/v1/promise", params={"explain": explain}, json=body, headers=keys.h("web"))
    assert r.status_code == 200, r.text
    return r.json()


def promised(ref, lines, option, **delivery) -> dict:
    body = order(ref, lines, option["mode"], **delivery)
    body["delivery"]["promise_id"] = option["promise_id"]
    return body


async def used(ctx, node_id: str) -> dict[date, int]:
    """Places taken per day, whatever stripes they are on."""
    c = t.capacity_use.c
    async with ctx.db.read() as conn:
        return {d: u for d, u in await conn.execute(select(c.day, func.sum(c.used)).where(c.resource == node_id)
                                                    .group_by(c.day))}


async def test_an_order_takes_a_place_in_its_node_s_day_and_a_cancel_gives_it_back(ctx, client):
    keys = await open_network(ctx, client, {"ST-PARIS": 2})
    placed = await capture(client, keys, order("C-1", [("SKU-A", 1)], "click_and_collect",
                                               pickup_node_id="ST-PARIS"))
    [ful] = placed["fulfillments"]
    [[node_id, day]] = ful["details"]["capacity"]
    assert node_id == "ST-PARIS" and await used(ctx, "ST-PARIS") == {date.fromisoformat(day): 1}
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json={"reason": "changed mind"},
                          headers=keys.h("web"))
    assert r.status_code == 200, r.text
    assert await used(ctx, "ST-PARIS") == {date.fromisoformat(day): 0}


async def test_a_cancel_after_picking_keeps_the_node_s_place_and_gives_back_the_bank_s(ctx, client):
    keys = await open_network(ctx, client, {"DC-PARIS": 5, "LK-PARIS": 5})
    placed = await capture(client, keys, order("L-1", [("SKU-B", 1)], "locker", pickup_node_id="LK-PARIS"))
    [ful] = placed["fulfillments"]
    assert sorted(r for r, _ in ful["details"]["capacity"]) == ["DC-PARIS", "LK-PARIS"]
    for action, body in (("accept", {}), ("pick", {"lines": [{"sku": "SKU-B", "quantity": 1}]})):
        r = await client.post(f"/v1/fulfillments/{ful['id']}/{action}", json=body, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json={"reason": "changed mind"}, headers=keys.h("web"))
    assert r.status_code == 200, r.text
    assert list((await used(ctx, "DC-PARIS")).values()) == [1]  # the lamp was picked: that work was done
    assert list((await used(ctx, "LK-PARIS")).values()) == [0]


async def test_a_rejected_fulfilment_gives_its_place_back(ctx, client):
    keys = await open_network(ctx, client, {"ST-PARIS": 1})
    placed = await capture(client, keys, order("C-1", [("SKU-A", 1)], "click_and_collect", pickup_node_id="ST-PARIS"))
    [ful] = placed["fulfillments"]
    [[_, day]] = ful["details"]["capacity"]
    r = await client.post(f"/v1/fulfillments/{ful['id']}/reject", json={"reason": "no staff"},
                          headers=keys.h("store_paris"))
    assert r.status_code == 200, r.text
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    assert "capacity" not in ful_at(view, "ST-PARIS")["details"]
    # The units come from the DC instead: the store takes a place on the day the transfer reaches it.
    [[_, arrives]] = ful_at(view, "DC-PARIS")["details"]["capacity"]
    assert arrives > day
    assert await used(ctx, "ST-PARIS") == {date.fromisoformat(day): 0, date.fromisoformat(arrives): 1}


async def test_a_full_store_is_promised_for_its_next_day_and_an_older_promise_is_not_kept(ctx, client):
    keys = await open_network(ctx, client, {"ST-PARIS": 1})
    first = by_mode(await promise(client, keys, [("SKU-A", 1)]), "click_and_collect", "ST-PARIS")
    assert first["nodes"] == ["ST-PARIS"]  # from its own shelves
    placed = await capture(client, keys, promised("C-1", [("SKU-A", 1)], first, pickup_node_id="ST-PARIS"))
    [[_, day]] = placed["fulfillments"][0]["details"]["capacity"]
    assert placed["delivery"]["promised"]["latest"] == first["latest"]

    later = by_mode(await promise(client, keys, [("SKU-A", 1)]), "click_and_collect", "ST-PARIS")
    assert later["nodes"] == ["ST-PARIS"] and later["earliest"] > first["earliest"]
    assert later["earliest"][:10] > day  # the store's day is full: ready on a later day
    # The first promise is still within its minutes, but the place it counted on is taken.
    r = await client.post("/v1/orders", json=promised("C-2", [("SKU-A", 1)], first, pickup_node_id="ST-PARIS"),
                          headers=keys.h("web"))
    body = problem(r, 409, "promise_not_kept")
    assert by_mode(body, "click_and_collect", "ST-PARIS")["earliest"] == later["earliest"]
    # Without a promise, the order is taken for the later day.
    second = await capture(client, keys, order("C-3", [("SKU-A", 1)], "click_and_collect", pickup_node_id="ST-PARIS"))
    assert second["fulfillments"][0]["details"]["capacity"][0][1] > day
    assert sorted((await used(ctx, "ST-PARIS")).values()) == [1, 1]


async def test_home_delivery_passes_over_a_node_whose_day_is_full(ctx, client):
    keys = await open_network(ctx, client, {})
    near = await capture(client, keys, order("H-1", [("SKU-A", 1)]))
    assert [f["node_id"] for f in near["fulfillments"]] == ["ST-PARIS"]  # the nearest with the mug
    await set_capacities(client, keys, {"ST-PARIS": 1})
    await capture(client, keys, order("H-2", [("SKU-A", 1)]))  # takes the store's one place today
    assert by_mode(await promise(client, keys, [("SKU-A", 1)]), "home_standard")["nodes"] == ["DC-PARIS"]
    passed = await capture(client, keys, order("H-3", [("SKU-A", 1)]))
    assert [f["node_id"] for f in passed["fulfillments"]] == ["DC-PARIS"]
    # Only the full store has rugs left: it still sends them, on its next day with room.
    r = await client.put("/v1/inventory", json=[{"node_id": "ST-LYON", "sku": "SKU-C", "on_hand": 0}],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    rug = await capture(client, keys, order("H-4", [("SKU-C", 1)]))
    assert [f["node_id"] for f in rug["fulfillments"]] == ["ST-PARIS"]
    assert sorted((await used(ctx, "ST-PARIS")).values()) == [1, 1]


async def test_a_full_locker_bank_gives_way_to_the_next_and_refuses_orders(ctx, client):
    keys = await open_network(ctx, client, {"LK-PARIS": 1})
    options = (await promise(client, keys, [("SKU-B", 1)], **NEAR_BANKS))["options"]
    assert {o["pickup_node_id"] for o in options if o["mode"] == "locker"} == {"LK-PARIS", "LK-PARIS-2"}
    first = by_mode({"options": options}, "locker", "LK-PARIS")
    placed = await capture(client, keys, promised("L-1", [("SKU-B", 1)], first, pickup_node_id="LK-PARIS"))
    [[bank, day]] = placed["fulfillments"][0]["details"]["capacity"]  # the DC has no limit: only the bank's place
    assert bank == "LK-PARIS" and day == first["earliest"][:10]

    answer = await promise(client, keys, [("SKU-B", 1)], explain=True, **NEAR_BANKS)
    assert [o["pickup_node_id"] for o in answer["options"] if o["mode"] == "locker"] == ["LK-PARIS-2"]
    r = await client.post("/v1/orders", json=order("L-2", [("SKU-B", 1)], "locker", pickup_node_id="LK-PARIS"),
                          headers=keys.h("web"))
    assert f"LK-PARIS is full on {day}" in problem(r, 409, "conflict")["detail"]

    await set_capacities(client, keys, {"LK-PARIS": 1, "LK-PARIS-2": 0})
    answer = await promise(client, keys, [("SKU-B", 1)], explain=True, **NEAR_BANKS)
    assert "locker" not in {o["mode"] for o in answer["options"]}
    reason = {x["mode"]: x["reason"] for x in answer["absent"]}["locker"]
    assert f"LK-PARIS: LK-PARIS is full on {day}" in reason and "LK-PARIS-2: LK-PARIS-2 is full on" in reason
