"""Release waves: work planned for a node with waves reaches it at the next one; until then it holds its
units, the node cannot act on it, and it can be cancelled."""

from datetime import datetime, timedelta

from oms.services.orders.waves import release_due
from tests.integration.test_promise import PARIS, ask, by_mode, calendars, network, paris
from tests.support import ASKED_FROM, NODES, WHY, act, capture, confirm, on_hand_reserved, order, problem, seed


async def waved_store(ctx, client, waves=("10:00", "15:00")):
    keys = await seed(ctx, client)
    store = {**next(n for n in NODES if n["id"] == "ST-PARIS"), "release_waves": list(waves)}
    r = await client.put("/v1/nodes", json=[store], headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    return keys, store


async def wave_of(ctx, node_id: str, planned_at: str) -> datetime:
    snap = await ctx.reference.get(ctx.db, now=True)
    return snap.times[node_id].released(datetime.fromisoformat(planned_at))


async def test_work_planned_for_a_node_reaches_it_at_its_next_wave(ctx, client):
    keys, _ = await waved_store(ctx, client)
    placed = await capture(client, keys, order("W-1", [("SKU-A", 2)]))
    [ful] = placed["fulfillments"]
    assert (ful["node_id"], ful["status"], placed["status"]) == ("ST-PARIS", "planned", "created")
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 2)
    # Not yet the node's work: it cannot accept it.
    problem(await act(client, keys.h("store_paris"), ful["id"], "accept"), 409, "illegal_transition")

    wave = await wave_of(ctx, "ST-PARIS", ful["created_at"])
    assert wave.astimezone(PARIS).strftime("%H:%M") in ("10:00", "15:00")
    assert await release_due(ctx, at=wave - timedelta(seconds=1)) == 0
    assert await release_due(ctx, at=wave) == 1
    assert await release_due(ctx, at=wave + timedelta(hours=1)) == 0
    view = await confirm(client, keys.h("store_paris"), ful["id"], "accept")
    assert view["fulfillments"][0]["status"] == "accepted"
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    [released] = [e for e in events if e["type"] == "fulfillment.released"]
    assert (released["actor"], released["reason"]) == ("system:waves", "its release wave")


async def test_planned_work_can_be_cancelled_and_gives_its_units_back(ctx, client):
    keys, _ = await waved_store(ctx, client)
    placed = await capture(client, keys, order("W-2", [("SKU-A", 2)]))
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json=WHY, headers=keys.h("web"))
    assert r.status_code == 200, r.text
    assert r.json()["fulfillments"][0]["status"] == "cancelled"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 0)
    assert await release_due(ctx, at=datetime.fromisoformat(placed["created_at"]) + timedelta(days=2)) == 0


async def test_a_node_whose_waves_are_removed_gets_its_planned_work_at_once(ctx, client):
    keys, store = await waved_store(ctx, client)
    placed = await capture(client, keys, order("W-3", [("SKU-A", 1)]))
    r = await client.put("/v1/nodes", json=[{**store, "release_waves": []}], headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    assert await release_due(ctx, at=datetime.fromisoformat(placed["created_at"])) == 1
    # New work goes to it at once.
    assert (await capture(client, keys, order("W-4", [("SKU-A", 1)])))["fulfillments"][0]["status"] == "released"


async def test_release_waves_are_checked_and_kept_in_order(ctx, client):
    keys, store = await waved_store(ctx, client, waves=("15:00", "08:30", "15:00"))
    r = await client.get("/v1/nodes", headers=keys.h("admin"))
    assert next(n for n in r.json()["items"] if n["id"] == "ST-PARIS")["release_waves"] == ["08:30", "15:00"]
    for bad in (["25:00"], ["24:00"], ["8h"]):
        body = problem(await client.put("/v1/nodes", json=[{**store, "release_waves": bad}], headers=keys.h("admin")),
                       422, "invalid_input")
        assert "release_waves" in str(body)


@ASKED_FROM
async def test_a_promise_from_a_node_with_waves_starts_the_work_at_the_wave(ctx, client):
    keys = await network(ctx, client)
    store = calendars(next(n for n in NODES if n["id"] == "ST-PARIS"))
    r = await client.put("/v1/nodes", json=[{**store, "release_waves": ["16:00"]}], headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    wednesday = datetime(2026, 5, 20, 14, 0, tzinfo=PARIS)
    # Without the wave the mugs would be ready at 14:45 (45 minutes of work): now from 16:00, at 16:45.
    mugs = by_mode(await ask(client, keys, [("SKU-A", 2)], wednesday, lat=48.86, lng=2.35),
                   "click_and_collect", "ST-PARIS")
    assert mugs["nodes"] == ["ST-PARIS"] and mugs["earliest"] == paris(2026, 5, 20, 16, 45)
    # After the day's wave: tomorrow's, once the store is open.
    late = by_mode(await ask(client, keys, [("SKU-A", 2)], datetime(2026, 5, 20, 16, 1, tzinfo=PARIS),
                             lat=48.86, lng=2.35), "click_and_collect", "ST-PARIS")
    assert late["earliest"] == paris(2026, 5, 21, 16, 45)


async def test_work_waiting_for_a_later_wave_does_not_hold_back_another_nodes(ctx, client, monkeypatch):
    from oms.services.orders import waves
    monkeypatch.setattr(waves, "BATCH", 2)
    keys = await seed(ctx, client)
    now = ctx.clock.now()  # minutes added in UTC, then shown on Paris's clock (which may step back meanwhile)
    # Paris's wave has just passed (its next is tomorrow); Lyon's comes in ten minutes.
    late = {**next(n for n in NODES if n["id"] == "ST-PARIS"),
            "release_waves": [(now - timedelta(minutes=2)).astimezone(PARIS).strftime("%H:%M")]}
    soon = {**next(n for n in NODES if n["id"] == "ST-LYON"),
            "release_waves": [(now + timedelta(minutes=10)).astimezone(PARIS).strftime("%H:%M")]}
    assert (await client.put("/v1/nodes", json=[late, soon], headers=keys.h("admin"))).status_code == 200
    waiting = [await capture(client, keys, order(f"L-{i}", [("SKU-A", 1)])) for i in range(3)]  # Paris, first
    lyon = await capture(client, keys, order("Y-1", [("SKU-C", 3)]))  # only Lyon has three rugs
    assert {f["node_id"] for p in waiting for f in p["fulfillments"]} == {"ST-PARIS"}
    assert lyon["fulfillments"][0]["node_id"] == "ST-LYON"
    at = ctx.clock.now() + timedelta(minutes=12)
    assert [order_id for _, order_id in await waves.planned(ctx, at=at)] == [lyon["id"]]
    assert await waves.release_due(ctx, at=at) == 1


async def test_an_order_on_hold_waits_past_its_waves_and_after_its_release_goes_at_the_next(ctx, client):
    keys, _ = await waved_store(ctx, client)
    placed = await capture(client, keys, {**order("W-HOLD", [("SKU-A", 2)]), "hold": "payment"})
    [ful] = placed["fulfillments"]
    assert (ful["node_id"], ful["status"], placed["status"]) == ("ST-PARIS", "planned", "on_hold")
    wave = await wave_of(ctx, "ST-PARIS", ful["created_at"])
    assert await release_due(ctx, at=wave + timedelta(days=1)) == 0  # every wave passes it by
    r = await client.post(f"/v1/orders/{placed['id']}/release", headers=keys.h("web"))
    assert r.status_code == 200 and r.json()["status"] == "created"
    assert r.json()["fulfillments"][0]["status"] == "planned"  # its node has waves: the next one
    later = ctx.clock.now() + timedelta(days=1)
    next_wave = await wave_of(ctx, "ST-PARIS", ctx.clock.now().isoformat())
    assert await release_due(ctx, at=max(next_wave, later)) == 1
