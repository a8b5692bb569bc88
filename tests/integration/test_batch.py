"""The orders waiting for their nodes' release waves are planned again together when stock moves."""

from datetime import datetime, timedelta

from sqlalchemy import select

from oms.db import tables as t
from oms.services.orders.batch import when_due
from oms.services.orders.waves import release_due
from tests.integration.test_sourcing import HANDLING, explained, priced
from tests.support import NODES, capture, on_hand_reserved, order, problem, sent_from

EVERY_DAY = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

# The Paris store sends a mug for 600 handling + 440 carriage = 1,040; the DC for 120 + 440 = 560.
STORE_COST, DC_COST = 1040, 560


async def waiting_orders(ctx, client, count=3):
    """The priced network, every node releasing at 23:59, the DC out of mugs: ``count`` one-mug orders
    planned at the Paris store."""
    keys = await priced(ctx, client)
    nodes = [{**n, "handling_cost_per_order": HANDLING[n["id"]][0], "handling_cost_per_unit": HANDLING[n["id"]][1],
              "release_waves": ["23:59"]} for n in NODES if n["id"] in HANDLING]
    empty = [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 0}]
    for path, body in (("/v1/nodes", nodes), ("/v1/inventory", empty)):
        r = await client.put(path, json=body, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
    placed = [await capture(client, keys, order(f"B-{i}", [("SKU-A", 1)])) for i in range(count)]
    for p in placed:
        assert sent_from(p) == {"ST-PARIS": [(1, "SKU-A", 1)]} and p["fulfillments"][0]["status"] == "planned"
    return keys, placed


async def restock_dc(client, keys, units=100):
    r = await client.put("/v1/inventory", json=[{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": units}],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text


async def reoptimise(client, keys, **body):
    r = await client.post("/v1/sourcing/reoptimise", json=body, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_waiting_orders_move_to_the_node_restocked_and_the_gain_is_reported(ctx, client):
    keys, placed = await waiting_orders(ctx, client)
    await restock_dc(client, keys)
    report = await reoptimise(client, keys)
    assert (report["orders"], report["moved"], report["applied"]) == (3, 3, True)
    assert (report["cost_before"], report["cost_after"]) == (3 * STORE_COST, 3 * DC_COST)
    assert report["gain"] == 3 * (STORE_COST - DC_COST) and report["lower_bound"] == 3 * DC_COST
    assert report["optimal"] is True

    assert await on_hand_reserved(client, keys, "SKU-A", "DC-PARIS") == (100, 3)
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 0)
    view = (await client.get(f"/v1/orders/{placed[0]['id']}", headers=keys.h("admin"))).json()
    statuses = {f["node_id"]: f["status"] for f in view["fulfillments"]}
    assert statuses == {"ST-PARIS": "cancelled", "DC-PARIS": "planned"} and view["status"] == "created"
    events = (await client.get(f"/v1/orders/{placed[0]['id']}/events", headers=keys.h("admin"))).json()
    [moved] = [e for e in events if e["type"] == "order.replanned"]
    assert moved["data"] == {"order_id": placed[0]["id"], "from": ["ST-PARIS"], "to": ["DC-PARIS"],
                             "cost_before": STORE_COST, "cost_after": DC_COST}
    [again] = (await explained(client, keys, placed[0]["id"]))["replanned"]
    assert again["total_cost"]["amount"] == DC_COST and again["shipments"][0]["node_id"] == "DC-PARIS"

    # Nothing more to gain: nothing moves.
    report = await reoptimise(client, keys)
    assert (report["moved"], report["gain"], report["applied"]) == (0, 0, False)


async def test_scarce_restock_goes_to_some_orders_and_a_dry_run_stores_nothing(ctx, client):
    keys, placed = await waiting_orders(ctx, client)
    await restock_dc(client, keys, units=2)
    dry = await reoptimise(client, keys, apply=False)
    assert (dry["moved"], dry["gain"], dry["applied"]) == (2, 2 * (STORE_COST - DC_COST), False)
    assert await on_hand_reserved(client, keys, "SKU-A", "DC-PARIS") == (2, 0)
    assert (await reoptimise(client, keys))["moved"] == 2
    assert await on_hand_reserved(client, keys, "SKU-A", "DC-PARIS") == (2, 2)
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 1)


async def test_the_sweep_plans_again_when_stock_moved_and_before_a_wave(ctx, client):
    keys, placed = await waiting_orders(ctx, client, count=2)
    await restock_dc(client, keys, units=1)
    report = await when_due(ctx)  # stock counts moved: a run
    assert report["moved"] == 1
    assert await when_due(ctx) is None  # not again within the interval
    await restock_dc(client, keys, units=2)
    # The wave: the orders are planned again first, then released from where they now are.
    created = datetime.fromisoformat(placed[0]["created_at"])
    assert await release_due(ctx, at=created + timedelta(days=1)) == 2
    for p in placed:
        view = (await client.get(f"/v1/orders/{p['id']}", headers=keys.h("admin"))).json()
        assert {f["node_id"]: f["status"] for f in view["fulfillments"] if f["status"] != "cancelled"} == \
            {"DC-PARIS": "released"}


async def test_only_an_admin_plans_again(ctx, client):
    keys, _ = await waiting_orders(ctx, client, count=1)
    for who in ("web", "store_paris", "viewer"):
        problem(await client.post("/v1/sourcing/reoptimise", json={}, headers=keys.h(who)), 403, "forbidden")
    problem(await client.post("/v1/sourcing/reoptimise", json={"apply": "maybe"}, headers=keys.h("admin")),
            422, "invalid_input")


async def test_an_order_of_a_channel_with_stock_rules_is_left_as_it_is(ctx, client):
    # Web may take half of each node's units: a joint plan would have to share that half out; the batch
    # leaves such orders where they are rather than let them together take more.
    keys, _ = await waiting_orders(ctx, client, count=1)
    r = await client.put("/v1/stock-rules", json={"channels": {"web": {"share_percent": 50}}}, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    await restock_dc(client, keys, units=2)
    taken = await capture(client, keys, order("B-x", [("SKU-A", 1)]))
    assert sent_from(taken) == {"DC-PARIS": [(1, "SKU-A", 1)]}  # web's whole share of the DC
    report = await reoptimise(client, keys)
    assert (report["orders"], report["moved"]) == (0, 0)
    assert await on_hand_reserved(client, keys, "SKU-A", "DC-PARIS") == (2, 1)


async def test_units_held_by_orders_the_batch_leaves_out_stay_held(ctx, client):
    keys, _ = await waiting_orders(ctx, client, count=1)
    r = await client.put("/v1/sourcing/settings", headers=keys.h("admin"), json={"strategies": [
        {"channel": "marketplace", "strategy": "priority", "node_groups": [["DC-PARIS"]]}]})
    assert r.status_code == 200, r.text
    await restock_dc(client, keys, units=1)
    held = await capture(client, keys, order("M-1", [("SKU-A", 1)], channel="marketplace"), who="marketplace")
    assert sent_from(held) == {"DC-PARIS": [(1, "SKU-A", 1)]} and held["fulfillments"][0]["status"] == "planned"
    report = await reoptimise(client, keys)  # the DC's only unit is the marketplace order's
    assert "stale" not in report and (report["orders"], report["moved"]) == (1, 0)


async def test_the_run_before_a_wave_takes_the_day_the_work_is_released(ctx, client):
    keys = await priced(ctx, client)
    nodes = [{**n, "handling_cost_per_order": HANDLING[n["id"]][0], "handling_cost_per_unit": HANDLING[n["id"]][1],
              "release_waves": ["10:00"], "opening_hours": EVERY_DAY} for n in NODES if n["id"] in HANDLING]
    for path, body in (("/v1/nodes", nodes), ("/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A",
                                                                    "on_hand": 0}])):
        assert (await client.put(path, json=body, headers=keys.h("admin"))).status_code == 200
    placed = await capture(client, keys, order("WV-1", [("SKU-A", 1)]))
    await restock_dc(client, keys)
    snap = await ctx.reference.get(ctx.db, now=True)
    wave = snap.times["ST-PARIS"].released(datetime.fromisoformat(placed["created_at"]))
    assert await release_due(ctx, at=wave + timedelta(seconds=5)) == 1
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    [dc] = [f for f in view["fulfillments"] if f["node_id"] == "DC-PARIS"]
    assert dc["status"] == "released"
    times = snap.times["DC-PARIS"]
    worked_on = times.calendar.local_date(times.calendar.after_working(wave, times.processing_minutes))
    async with ctx.db.read() as conn:
        details = await conn.scalar(select(t.fulfillments.c.details).where(t.fulfillments.c.id == dc["id"]))
    assert details["capacity"] == [["DC-PARIS", worked_on.isoformat()]]
