"""An approved replenishment run becomes transfers the whole service knows: units reserved at the DC, expected
at the store (and so on order for the next run), picked and shipped by the DC, counted in by the store through
the ledger, a shortage and damage recorded; a DC keeps its online part; every step an event."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from oms.db import tables as t
from oms.services.replenishment.sweep import replenish_due
from oms.services.stock.check import promise_differences, stock_differences
from tests.integration.test_replenishment_runs import PARIS, RUN, START, month_of_sales, run
from tests.support import STORE_MODES, capture, create_key, node, order, problem, seed, stock_of

THURSDAY = "2026-04-30"  # both stores order on Mondays and Thursdays


async def approved(ctx, client, keys, **body):
    got = await run(client, keys, date=THURSDAY)
    r = await client.post(f"/v1/replenishment/runs/{got['id']}/approve", headers=keys.h("admin"), json=body)
    assert r.status_code == 200, r.text
    return got, r.json()


async def transfer_to(client, keys, store: str) -> dict:
    r = await client.get("/v1/transfers", params={"node_id": store}, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    [found] = r.json()["items"]
    return found


async def say(client, headers, transfer_id: str, action: str, status: int = 200, **body):
    r = await client.post(f"/v1/transfers/{transfer_id}/{action}", headers=headers, json=body)
    assert r.status_code == status, r.text
    return r.json()


async def events_of(ctx, family: str) -> list[dict]:
    async with ctx.db.read() as conn:
        return [{"type": e.type, **e.data} for e in await conn.execute(
            select(t.events).where(t.events.c.type.like(f"{family}.%")).order_by(t.events.c.occurred_at))]


@pytest.mark.clock_at(START.isoformat())
async def test_an_approved_run_reserves_at_the_dc_and_is_expected_at_each_store(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=100)
    got, approval = await approved(ctx, client, keys, lines=[{"node_id": "ST-LYON", "sku": "SKU-A", "quantity": 8}])
    asked = {x["node_id"]: x["quantity"] for x in got["lines"]}
    assert asked == {"ST-LYON": 6, "ST-PARIS": 6}  # (test_replenishment_runs says why)
    # The planner sent Lyon 8 instead of 6: one transfer per store, 14 units reserved at the DC.
    assert (len(approval["transfers"]), approval["lines"], approval["units"], approval["short"]) == (2, 2, 14, [])
    assert (await stock_of(client, keys, "SKU-A"))["DC-PARIS"]["reserved"] == 14
    lyon = await transfer_to(client, keys, "ST-LYON")
    assert (lyon["source_node_id"], lyon["status"], lyon["run_id"]) == ("DC-PARIS", "released", got["id"])
    assert [(x["sku"], x["quantity"]) for x in lyon["lines"]] == [("SKU-A", 8)]
    assert lyon["expected_on"] == "2026-05-02"  # approved on 1 May (the run was for the 30th) + a day's lead
    # The store expects them: a supply of kind transfer, and the next run counts them on order.
    r = await client.get("/v1/supply", params={"node_id": "ST-LYON"}, headers=keys.h("admin"))
    assert [(s["kind"], s["quantity"], s["status"]) for s in r.json()["items"]] == [("transfer", 8, "expected")]
    again = await run(client, keys, date=THURSDAY)
    assert again["lines"] == []  # nothing is proposed twice
    # The run says when and by whom it was approved, and cannot be approved again.
    r = await client.get(f"/v1/replenishment/runs/{got['id']}", headers=keys.h("viewer"))
    assert r.json()["approved_by"].startswith("admin:")
    problem(await client.post(f"/v1/replenishment/runs/{got['id']}/approve", headers=keys.h("admin"), json={}),
            409, "conflict")
    released = await events_of(ctx, "transfer")
    assert sorted((e["type"], e["node_id"]) for e in released) == [("transfer.released", "ST-LYON"),
                                                                   ("transfer.released", "ST-PARIS")]
    assert [e["type"] for e in await events_of(ctx, "replenishment")] == ["replenishment.proposed"] * 2
    assert await stock_differences(ctx) == []


@pytest.mark.clock_at(START.isoformat())
async def test_the_dc_picks_short_ships_and_the_store_counts_a_shortage_and_damage(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=100)
    await approved(ctx, client, keys)
    paris = await transfer_to(client, keys, "ST-PARIS")
    dc, _ = await create_key(ctx, role="node", scope="DC-PARIS", name="dc")
    dc_h = {"Authorization": f"Bearer {dc}"}
    # Only the sender confirms its steps; a node that neither sends nor receives it does not see it.
    problem(await client.post(f"/v1/transfers/{paris['id']}/accept", headers=keys.h("store_paris"), json={}),
            403, "forbidden")
    problem(await client.post(f"/v1/transfers/{paris['id']}/accept", headers=keys.h("store_lyon"), json={}),
            404, "not_found")
    problem(await client.post(f"/v1/transfers/{paris['id']}/receive", headers=dc_h, json={}), 403, "forbidden")
    await say(client, dc_h, paris["id"], "accept")
    assert (await say(client, dc_h, paris["id"], "accept"))["status"] == "accepted"  # a retry changes nothing
    before = (await stock_of(client, keys, "SKU-A"))["DC-PARIS"]
    bad = problem(await client.post(f"/v1/transfers/{paris['id']}/pick", headers=dc_h,
                                    json={"lines": [{"sku": "SKU-A", "quantity": 7}]}), 422, "invalid_input")
    assert bad["errors"][0]["field"] == "lines.0.quantity"
    picked = await say(client, dc_h, paris["id"], "pick", lines=[{"sku": "SKU-A", "quantity": 5}])
    assert picked["lines"][0]["picked"] == 5
    after_pick = (await stock_of(client, keys, "SKU-A"))["DC-PARIS"]
    # The unit not found leaves the DC's stock and its reservation.
    assert (after_pick["on_hand"], after_pick["reserved"]) == (before["on_hand"] - 1, before["reserved"] - 1)
    shipped = await say(client, dc_h, paris["id"], "ship", carrier="fleet", tracking_number="TR-1")
    assert shipped["details"]["tracking_number"] == "TR-1" and shipped["lines"][0]["shipped"] == 5
    after_ship = (await stock_of(client, keys, "SKU-A"))["DC-PARIS"]
    assert (after_ship["on_hand"], after_ship["reserved"]) == (before["on_hand"] - 6, before["reserved"] - 6)
    problem(await client.post(f"/v1/transfers/{paris['id']}/cancel", headers=dc_h, json={}), 409,
            "illegal_transition")  # on the road: only the store's count ends it
    store_before = (await stock_of(client, keys, "SKU-A"))["ST-PARIS"]["on_hand"]
    bad = problem(await client.post(f"/v1/transfers/{paris['id']}/receive", headers=keys.h("store_paris"),
                                    json={"lines": [{"sku": "SKU-A", "quantity": 5, "damaged": 1}]}), 422,
                  "invalid_input")
    assert "5 shipped" in bad["errors"][0]["reason"]
    got = await say(client, keys.h("store_paris"), paris["id"], "receive",
                    lines=[{"sku": "SKU-A", "quantity": 3, "damaged": 1}])
    assert got["status"] == "received" and got["details"]["received_by"] == "node:ST-PARIS"
    assert {k: got["lines"][0][k] for k in ("shipped", "received", "damaged", "short")} == \
        {"shipped": 5, "received": 3, "damaged": 1, "short": 1}
    assert (await stock_of(client, keys, "SKU-A"))["ST-PARIS"]["on_hand"] == store_before + 3
    r = await client.get("/v1/supply", params={"node_id": "ST-PARIS"}, headers=keys.h("admin"))
    assert [(s["quantity"], s["status"]) for s in r.json()["items"]] == [(3, "received")]
    async with ctx.db.read() as conn:
        ledger = sorted((m.node_id, m.delta, m.reason) for m in await conn.execute(
            select(t.movements).where(t.movements.c.ref == paris["id"])))
    assert ledger == [("DC-PARIS", -5, "transfer_out"), ("DC-PARIS", -1, "short_pick"), ("ST-PARIS", 3, "transfer_in")]
    assert [e["type"] for e in await events_of(ctx, "transfer") if e["id"] == paris["id"]] == [
        "transfer.released", "transfer.accepted", "transfer.picked", "transfer.shipped", "transfer.received"]
    assert await stock_differences(ctx) == [] and await promise_differences(ctx) == []


@pytest.mark.clock_at(START.isoformat())
async def test_a_cancelled_transfer_frees_its_units_and_is_no_longer_expected(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=100)
    await approved(ctx, client, keys)
    lyon = await transfer_to(client, keys, "ST-LYON")
    await say(client, keys.h("admin"), lyon["id"], "cancel", reason="truck full")
    assert (await stock_of(client, keys, "SKU-A"))["DC-PARIS"]["reserved"] == 6  # Paris's only
    r = await client.get("/v1/supply", params={"node_id": "ST-LYON"}, headers=keys.h("admin"))
    assert [s["status"] for s in r.json()["items"]] == ["cancelled"]
    again = await run(client, keys, date=THURSDAY, nodes=["ST-LYON"])
    assert [(x["node_id"], x["quantity"]) for x in again["lines"]] == [("ST-LYON", 6)]  # asked for again
    problem(await client.post(f"/v1/transfers/{lyon['id']}/nope", headers=keys.h("admin"), json={}), 422,
            "invalid_input")
    problem(await client.get("/v1/transfers/trf_nope", headers=keys.h("admin")), 404, "not_found")
    problem(await client.get(f"/v1/transfers/{lyon['id']}", headers=keys.h("store_paris")), 404, "not_found")
    problem(await client.get("/v1/transfers", headers=keys.h("web")), 403, "forbidden")
    assert await stock_differences(ctx) == []


@pytest.mark.clock_at(START.isoformat())
async def test_an_approval_names_only_lines_of_its_run(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=100)
    got = await run(client, keys, date=THURSDAY)
    for lines, field in (([{"node_id": "ST-LYON", "sku": "SKU-B", "quantity": 2}], "lines.0"),
                         ([{"node_id": "ST-LYON", "sku": "SKU-A", "quantity": -1}], "lines.0.quantity"),
                         ([{"node_id": "ST-LYON", "sku": "SKU-A", "quantity": 1}] * 2, "lines.1")):
        body = problem(await client.post(f"/v1/replenishment/runs/{got['id']}/approve", headers=keys.h("admin"),
                                         json={"lines": lines}), 422, "invalid_input")
        assert body["errors"][0]["field"] == field, body
    problem(await client.post(f"/v1/replenishment/runs/{got['id']}/approve", headers=keys.h("viewer"), json={}),
            403, "forbidden")
    problem(await client.post("/v1/replenishment/runs/rpl_nope/approve", headers=keys.h("admin"), json={}),
            404, "not_found")
    # Nothing was half-written: the run is still to approve, nothing reserved.
    assert (await stock_of(client, keys, "SKU-A"))["DC-PARIS"]["reserved"] == 0
    r = await client.post(f"/v1/replenishment/runs/{got['id']}/approve", headers=keys.h("admin"),
                          json={"lines": [{"node_id": "ST-LYON", "sku": "SKU-A", "quantity": 0}]})
    assert r.status_code == 200 and r.json()["units"] == 6  # Paris only


@pytest.mark.clock_at(START.isoformat())
async def test_the_dc_keeps_what_its_online_orders_need_and_transfers_never_take_it(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=20)
    # The DC shipped 2 units a day to online customers over the month, and received as many back in the end:
    # its ledger as its shipments wrote it (each a ``ship`` movement, on-hand down with it).
    async with ctx.db.write() as conn:
        await conn.execute(t.movements.insert(), [
            {"node_id": "DC-PARIS", "sku": "SKU-A", "delta": -2, "reason": "ship", "ref": f"ful_{d}",
             "occurred_at": START + timedelta(days=d, hours=3), "recorded_at": START + timedelta(days=d, hours=3)}
            for d in range(1, 29)])
        await conn.execute(update(t.inventory).where(t.inventory.c.node_id == "DC-PARIS", t.inventory.c.sku == "SKU-A")
                           .values(on_hand=t.inventory.c.on_hand - 56))
    r = await client.post("/v1/inventory/movements", headers=keys.h("admin"), json=[{
        "event_id": "dc-back", "node_id": "DC-PARIS", "sku": "SKU-A", "delta": 56, "reason": "receipt",
        "occurred_at": (RUN - timedelta(hours=2)).isoformat()}])
    assert r.status_code == 200, r.text
    assert await stock_differences(ctx) == []
    got = await run(client, keys, date=THURSDAY)
    [kept] = got["kept"]
    # No purchase order due: the part covers the stores' longest wait, 4 days to Monday + 1 of lead: 10 units.
    assert (kept["node_id"], kept["sku"], kept["days"]) == ("DC-PARIS", "SKU-A", 5)
    assert kept["units"] == 10
    sent = sum(x["quantity"] for x in got["lines"])
    assert sent == 20 - 10  # the rest of its 20 is shared between the stores
    # Capture still sells the kept units online; an approval after that sends what is left beyond them.
    r = await client.post(f"/v1/replenishment/runs/{got['id']}/approve", headers=keys.h("admin"), json={})
    assert r.status_code == 200 and r.json()["units"] == sent
    assert (await stock_of(client, keys, "SKU-A"))["DC-PARIS"]["on_hand"] - sent == 10


@pytest.mark.clock_at(START.isoformat())
async def test_the_sweep_proposes_once_a_day_for_the_stores_ordering_from_their_local_time(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=100)
    ctx.settings.replenish_at = "05:00"
    ctx.clock.set(datetime(2026, 4, 30, 4, 59, tzinfo=PARIS))  # a Thursday, before the time
    assert await replenish_due(ctx) == []
    ctx.clock.set(datetime(2026, 4, 30, 5, 0, tzinfo=PARIS))
    [run_id] = await replenish_due(ctx)
    got = (await client.get(f"/v1/replenishment/runs/{run_id}", headers=keys.h("admin"))).json()
    assert (got["date"], got["scope"]["nodes"]) == (THURSDAY, ["ST-LYON", "ST-PARIS"])
    assert {x["node_id"] for x in got["lines"]} == {"ST-LYON", "ST-PARIS"}
    ctx.clock.set(datetime(2026, 4, 30, 18, 0, tzinfo=PARIS))
    assert await replenish_due(ctx) == []  # once a day
    ctx.clock.set(datetime(2026, 5, 1, 9, 0, tzinfo=PARIS))
    assert await replenish_due(ctx) == []  # a Friday: nobody orders
    ctx.settings.replenish_at = ""
    ctx.clock.set(datetime(2026, 5, 4, 9, 0, tzinfo=PARIS))
    assert await replenish_due(ctx) == []  # switched off


@pytest.mark.clock_at(START.isoformat())
async def test_an_order_waiting_for_a_transfer_that_comes_short_loses_its_promise_not_its_place(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=100)
    await approved(ctx, client, keys)
    # Nothing of SKU-A is free anywhere: the DC's units are the transfers', the stores' shelves are empty.
    r = await client.post("/v1/inventory/snapshots", headers=keys.h("admin"), json={
        "node_id": "DC-PARIS", "counted_at": ctx.clock.now().isoformat(), "items": [{"sku": "SKU-A", "on_hand": 12}]})
    assert r.status_code == 200, r.text
    for store in ("ST-PARIS", "ST-LYON"):
        r = await client.post("/v1/inventory/snapshots", headers=keys.h("admin"), json={
            "node_id": store, "counted_at": ctx.clock.now().isoformat(), "items": [{"sku": "SKU-A", "on_hand": 0}]})
        assert r.status_code == 200, r.text
    r = await client.put("/v1/stock-rules", headers=keys.h("admin"), json={"channels": {"web": {"backorder": True}}})
    assert r.status_code == 200, r.text
    await ctx.reference.get(ctx.db, now=True)
    view = await capture(client, keys, order("WAIT-1", [("SKU-A", 4)]))
    [waiting] = view["fulfillments"]
    assert waiting["status"] == "backordered"
    transfer = await transfer_to(client, keys, waiting["node_id"])
    supply = {s["id"]: s for s in (await client.get("/v1/supply", headers=keys.h("admin"))).json()["items"]}
    assert supply[f"{transfer['id']}/1"]["promised"] == 4
    dc, _ = await create_key(ctx, role="node", scope="DC-PARIS", name="dc")
    dc_h = {"Authorization": f"Bearer {dc}"}
    await say(client, dc_h, transfer["id"], "accept")
    await say(client, dc_h, transfer["id"], "pick", lines=[{"sku": "SKU-A", "quantity": 3}])
    # Three come where four were promised: the order no longer counts on them, and still waits.
    supply = {s["id"]: s for s in (await client.get("/v1/supply", headers=keys.h("admin"))).json()["items"]}
    assert (supply[f"{transfer['id']}/1"]["quantity"], supply[f"{transfer['id']}/1"]["promised"]) == (3, 0)
    r = await client.get(f"/v1/orders/{view['id']}", headers=keys.h("web"))
    assert [f["status"] for f in r.json()["fulfillments"]] == ["backordered"]
    assert await promise_differences(ctx) == [] and await stock_differences(ctx) == []


@pytest.mark.clock_at(START.isoformat())
async def test_a_store_its_dc_cannot_fill_gets_a_nearby_stores_spare_units(ctx, client):
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    nodes = [node("ST-MARAIS", "store", 48.859, 2.362, "Paris", STORE_MODES, STORE_MODES[:3]),
             node("DC-LYON", "warehouse", 45.73, 4.95, "Saint-Priest", ["home_standard"])]
    r = await client.put("/v1/nodes", headers=admin, json=nodes)
    assert r.status_code == 200, r.text
    r = await client.put("/v1/inventory", headers=admin, json=[{"node_id": "ST-MARAIS", "sku": "SKU-A", "on_hand": 40},
                                                               {"node_id": "DC-LYON", "sku": "SKU-A", "on_hand": 0}])
    assert r.status_code == 200, r.text
    await month_of_sales(ctx, client, keys, dc_units=3)
    r = await client.put("/v1/replenishment/stores", headers=admin, json=[
        {"node_id": "ST-MARAIS", "source_node_id": "DC-PARIS", "order_weekdays": [1, 4], "lead_days": 1},
        {"node_id": "ST-LYON", "source_node_id": "DC-LYON", "order_weekdays": [1, 4], "lead_days": 1}])
    assert r.status_code == 200, r.text
    got = await run(client, keys, date=THURSDAY)
    # Paris asks 6 and its DC has one pack of 2; the Marais store, 1 km away, sells none and holds 40: it sends
    # the 4 missing. Lyon's DC has none, and no store of the run is nearer to Lyon than its DC.
    assert {x["node_id"]: (x["asked"], x["quantity"]) for x in got["lines"]} == {"ST-PARIS": (6, 2),
                                                                                "ST-LYON": (6, 0)}
    [move] = got["moves"]
    assert (move["from_node_id"], move["node_id"], move["sku"], move["quantity"]) == ("ST-MARAIS", "ST-PARIS",
                                                                                        "SKU-A", 4)
    assert move["km"] < 1 and got["summary"]["moves"] == 1
    r = await client.post(f"/v1/replenishment/runs/{got['id']}/approve", headers=admin, json={})
    assert r.status_code == 200, r.text
    assert r.json()["units"] == 6 and len(r.json()["transfers"]) == 2  # DC → Paris, Marais → Paris
    from_marais = (await client.get("/v1/transfers", params={"source_node_id": "ST-MARAIS"}, headers=admin)).json()
    [transfer] = from_marais["items"]
    assert transfer["node_id"] == "ST-PARIS" and transfer["lines"][0]["quantity"] == 4
    assert (await stock_of(client, keys, "SKU-A"))["ST-MARAIS"]["reserved"] == 4
    # The Marais store's key works its side as the DC's would.
    marais, _ = await create_key(ctx, role="node", scope="ST-MARAIS", name="marais")
    for step in ("accept", "ship"):
        await say(client, {"Authorization": f"Bearer {marais}"}, transfer["id"], step)
    assert (await stock_of(client, keys, "SKU-A"))["ST-MARAIS"]["on_hand"] == 36
    assert await stock_differences(ctx) == []


@pytest.mark.clock_at(START.isoformat())
async def test_of_two_runs_for_the_same_stores_only_one_is_approved(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=100)
    first, second = await run(client, keys, date=THURSDAY), await run(client, keys, date=THURSDAY)
    r = await client.post(f"/v1/replenishment/runs/{second['id']}/approve", headers=keys.h("admin"), json={})
    assert r.status_code == 200, r.text
    # The first did not count the second's transfers on order: approving it would send the units twice.
    body = problem(await client.post(f"/v1/replenishment/runs/{first['id']}/approve", headers=keys.h("admin"),
                                     json={}), 409, "conflict")
    assert second["id"] in body["detail"] and "make a new run" in body["detail"]
    third = await run(client, keys, date=THURSDAY)
    assert third["lines"] == []  # a run made now counts them


@pytest.mark.clock_at(START.isoformat())
async def test_a_node_key_lists_only_the_transfers_it_sends_or_receives(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=100)
    await approved(ctx, client, keys)
    mine = await client.get("/v1/transfers", headers=keys.h("store_paris"))
    assert [x["node_id"] for x in mine.json()["items"]] == ["ST-PARIS"]
    problem(await client.get("/v1/transfers", params={"node_id": "ST-LYON"}, headers=keys.h("store_paris")), 403,
            "forbidden")
    both = await client.get("/v1/transfers", params={"node_id": "ST-PARIS", "source_node_id": "DC-PARIS"},
                            headers=keys.h("store_paris"))
    assert len(both.json()["items"]) == 1
    viewer = await client.get("/v1/transfers", params={"status": "released"}, headers=keys.h("viewer"))
    assert len(viewer.json()["items"]) == 2
