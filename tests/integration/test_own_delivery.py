"""The retailer's own deliveries over HTTP: appointment slots with their capacity (``scheduled``) and
delivery within the hour by a store's couriers (``one_hour``), promised and captured."""

from datetime import datetime

from tests.integration.test_capacity import ALWAYS, EVERY_DAY, promise, promised, used
from tests.integration.test_promise import CARRIERS, PARIS, ask, by_mode, calendars, paris
from tests.support import NODES, capture, order, problem, seed

WEDNESDAY = datetime(2026, 12, 2, 14, 0, tzinfo=PARIS)
LYON = {"lat": 45.76, "lng": 4.84}


def own_modes(node: dict) -> dict:
    extra = {"warehouse": ["scheduled"], "store": ["one_hour"]}.get(node["type"], [])
    return {**node, "fulfills": node["fulfills"] + extra}


async def own_network(ctx, client, capacity: dict, *, always_open: bool = False):
    """The test network whose DC also delivers by appointment and whose stores deliver within the hour,
    with these slots and couriers; opening hours as in the promise tests, or round the clock."""
    keys = await seed(ctx, client)
    nodes = [{**own_modes(calendars(n)), "daily_capacity": None} for n in NODES]
    if always_open:
        nodes = [{**n, "opening_hours": ALWAYS, "exceptions": {}, "processing_minutes": 30} for n in nodes]
    carriers = [{**c, "holidays": [], "delivery_weekdays": EVERY_DAY} for c in CARRIERS]
    for path, body in (("/v1/nodes", nodes), ("/v1/carrier-services", carriers), ("/v1/delivery-capacity", capacity)):
        r = await client.put(path, json=body, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
    return keys


def slot(start, end, capacity=5, **more) -> dict:
    return {"node_id": "DC-PARIS", "start": start, "end": end, "capacity": capacity, **more}


# --- scheduled -----------------------------------------------------------------------------------------------------

async def test_slots_are_offered_once_the_order_can_be_ready_before_them(ctx, client):
    slots = [slot("08:00", "10:00"), slot("18:00", "20:00", lead_minutes=120, days_ahead=2)]
    keys = await own_network(ctx, client, {"slots": slots})
    answer = await ask(client, keys, [("SKU-B", 1)], WEDNESDAY, explain=True)
    offered = [(o["earliest"], o["latest"], o["cutoff"]) for o in answer["options"] if o["mode"] == "scheduled"]
    # Ready at 15:00 (an hour's work from 14:00); the evening slot needs it two hours before it starts.
    assert offered[:3] == [(paris(2026, 12, 2, 18, 0), paris(2026, 12, 2, 20, 0), paris(2026, 12, 2, 15, 0)),
                           (paris(2026, 12, 3, 8, 0), paris(2026, 12, 3, 10, 0), paris(2026, 12, 2, 22, 0)),
                           (paris(2026, 12, 3, 18, 0), paris(2026, 12, 3, 20, 0), paris(2026, 12, 3, 15, 0))]
    # The evening slot is offered two days ahead (3), the morning one a week ahead (6: not on Sunday 6 December).
    assert len(offered) == 9 and all(o[0][:10] != "2026-12-06" for o in offered)
    assert {tuple(o["nodes"]) for o in answer["options"] if o["mode"] == "scheduled"} == {("DC-PARIS",)}
    late = await ask(client, keys, [("SKU-B", 1)], datetime(2026, 12, 2, 16, 30, tzinfo=PARIS))
    assert [o["earliest"] for o in late["options"] if o["mode"] == "scheduled"][0] == paris(2026, 12, 3, 8, 0)
    far = await ask(client, keys, [("SKU-B", 1)], WEDNESDAY, explain=True, **LYON)
    reasons = {x["mode"]: x["reason"] for x in far["absent"]}
    assert reasons["scheduled"] == "DC-PARIS: DC-PARIS has no slot within reach"


async def test_a_full_slot_is_not_offered_and_its_orders_are_refused(ctx, client):
    every_two_hours = [slot(f"{h:02d}:00", f"{h + 2:02d}:00" if h < 22 else "24:00", capacity=1, lead_minutes=0,
                            days_ahead=2) for h in range(0, 24, 2)]
    keys = await own_network(ctx, client, {"slots": every_two_hours}, always_open=True)
    first = [o for o in (await promise(client, keys, [("SKU-B", 1)]))["options"] if o["mode"] == "scheduled"][0]
    placed = await capture(client, keys, promised("S-1", [("SKU-B", 1)], first))
    taken = placed["fulfillments"][0]["details"]["capacity"]
    day, start = first["earliest"][:10], first["earliest"][11:16]
    assert taken == [[f"DC-PARIS@{start}", day]]
    assert placed["delivery"]["promised"]["earliest"] == first["earliest"]

    again = [o["earliest"] for o in (await promise(client, keys, [("SKU-B", 1)]))["options"]
             if o["mode"] == "scheduled"]
    assert first["earliest"] not in again and again  # the full slot gives way to the others
    body = problem(await client.post("/v1/orders", json=promised("S-2", [("SKU-B", 1)], first), headers=keys.h("web")),
                   409, "promise_not_kept")
    assert first["earliest"] not in [o["earliest"] for o in body["options"] if o["mode"] == "scheduled"]
    chosen = order("S-3", [("SKU-B", 1)], "scheduled")
    chosen["delivery"]["slot_start"] = first["earliest"]
    r = await client.post("/v1/orders", json=chosen, headers=keys.h("web"))
    assert f"the slots of DC-PARIS are full: {start} on {day}" in problem(r, 409, "conflict")["detail"]
    chosen["delivery"]["slot_start"] = again[0]  # another slot, chosen without a promise
    other = await capture(client, keys, chosen)
    assert other["fulfillments"][0]["details"]["capacity"] == [[f"DC-PARIS@{again[0][11:16]}", again[0][:10]]]
    assert sorted((await used(ctx, f"DC-PARIS@{start}")).values()) == [1]


async def test_a_scheduled_order_names_its_slot(ctx, client):
    keys = await own_network(ctx, client, {"slots": [slot("08:00", "10:00")]})
    r = await client.post("/v1/orders", json=order("S-1", [("SKU-B", 1)], "scheduled"), headers=keys.h("web"))
    assert "slot_start" in problem(r, 422, "invalid_input")["errors"][0]["reason"]
    wrong = order("S-2", [("SKU-B", 1)])
    wrong["delivery"]["slot_start"] = paris(2026, 12, 3, 8, 0)
    r = await client.post("/v1/orders", json=wrong, headers=keys.h("web"))
    assert "slot_start is for scheduled deliveries" in problem(r, 422, "invalid_input")["errors"][0]["reason"]
    odd = order("S-3", [("SKU-B", 1)], "scheduled")
    odd["delivery"]["slot_start"] = paris(2026, 12, 3, 9, 0)  # no slot starts then
    r = await client.post("/v1/orders", json=odd, headers=keys.h("web"))
    assert "has no slot starting" in problem(r, 409, "conflict")["detail"]


# --- one hour ------------------------------------------------------------------------------------------------------

async def test_one_hour_from_an_open_store_near_enough_with_the_cart(ctx, client):
    keys = await own_network(ctx, client, {"one_hour": [{"node_id": "ST-PARIS", "couriers_per_hour": 3}]})
    answer = await ask(client, keys, [("SKU-A", 1)], WEDNESDAY, explain=True)
    fast = by_mode(answer, "one_hour")
    # 45 minutes to pick and pack in the store, then up to 45 minutes on a bike; orders until 19:15.
    assert (fast["earliest"], fast["latest"], fast["cutoff"]) == \
        (paris(2026, 12, 2, 14, 45), paris(2026, 12, 2, 15, 30), paris(2026, 12, 2, 19, 15))
    assert fast["nodes"] == ["ST-PARIS"]
    reasons = {x["mode"]: x["reason"] for x in
               (await ask(client, keys, [("SKU-A", 1)], datetime(2026, 12, 2, 19, 30, tzinfo=PARIS),
                          explain=True))["absent"]}
    assert reasons["one_hour"] == "ST-PARIS: ST-PARIS is not open for the next 45 minutes"
    reasons = {x["mode"]: x["reason"] for x in
               (await ask(client, keys, [("SKU-B", 1)], WEDNESDAY, explain=True))["absent"]}
    assert reasons["one_hour"] == "ST-PARIS: lacks some of the lines"
    reasons = {x["mode"]: x["reason"] for x in
               (await ask(client, keys, [("SKU-A", 1)], WEDNESDAY, explain=True, lat=48.95, lng=2.55))["absent"]}
    assert reasons["one_hour"].startswith("ST-PARIS: ") and reasons["one_hour"].endswith("its couriers ride 5 km")


async def test_the_couriers_of_an_hour_are_booked_once(ctx, client):
    keys = await own_network(ctx, client, {"one_hour": [{"node_id": "ST-PARIS", "couriers_per_hour": 1}]},
                             always_open=True)
    fast = by_mode(await promise(client, keys, [("SKU-A", 1)]), "one_hour")
    placed = await capture(client, keys, promised("O-1", [("SKU-A", 1)], fast))
    hour = fast["earliest"][11:13]
    assert sorted(placed["fulfillments"][0]["details"]["capacity"]) == [[f"ST-PARIS@{hour}h", fast["earliest"][:10]]]
    answer = await promise(client, keys, [("SKU-A", 1)], explain=True)
    assert {x["mode"]: x["reason"] for x in answer["absent"]}["one_hour"] == \
        f"ST-PARIS: the couriers of ST-PARIS are all booked for {hour}:00"
    r = await client.post("/v1/orders", json=order("O-2", [("SKU-A", 1)], "one_hour"), headers=keys.h("web"))
    assert "all booked" in problem(r, 409, "conflict")["detail"]


async def test_delivery_capacity_names_what_is_wrong(ctx, client):
    keys = await own_network(ctx, client, {})
    body = {"slots": [slot("08:00", "10:00"), slot("08:00", "09:00"), {**slot("10:00", "12:00"), "node_id": "ST-LYON"},
                      {**slot("10:00", "12:00"), "node_id": "NOPE"}],
            "one_hour": [{"node_id": "DC-PARIS", "couriers_per_hour": 2}]}
    r = await client.put("/v1/delivery-capacity", json=body, headers=keys.h("admin"))
    assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == ["slots.1"]
    body["slots"].pop(1)
    r = await client.put("/v1/delivery-capacity", json=body, headers=keys.h("admin"))
    errors = {e["field"]: e["reason"] for e in problem(r, 422, "invalid_input")["errors"]}
    assert errors == {"slots.1.node_id": "node ST-LYON does not send scheduled orders",
                      "slots.2.node_id": "unknown node 'NOPE'",
                      "one_hour.0.node_id": "node DC-PARIS does not send one_hour orders"}
    r = await client.put("/v1/delivery-capacity", json={"slots": [slot("10:00", "09:00")]}, headers=keys.h("admin"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"].startswith("slots.0")
    r = await client.put("/v1/delivery-capacity", json={"slots": [slot("08:00", "10:00")]}, headers=keys.h("web"))
    problem(r, 403, "forbidden")
    good = {"slots": [slot("08:00", "10:00")], "one_hour": [{"node_id": "ST-PARIS", "couriers_per_hour": 2}]}
    assert (await client.put("/v1/delivery-capacity", json=good, headers=keys.h("admin"))).status_code == 200
    stored = (await client.get("/v1/delivery-capacity", headers=keys.h("admin"))).json()
    assert stored["slots"][0]["lead_minutes"] == 120 and stored["one_hour"][0]["max_km"] == 5.0
