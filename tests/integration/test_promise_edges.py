"""Edges of the promise over HTTP: replays and holds keeping a promise, what-if times, bad times and ids,
a SKU named twice, stores that hand over other modes, closed DCs, carts from many nodes."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from oms.api.app import create_app
from tests.integration.test_promise import CARRIERS, calendars, network
from tests.support import ASKED_FROM, HOME, NODES, PRODUCTS, order, problem, seed

PARIS = ZoneInfo("Europe/Paris")
WEDNESDAY = datetime(2026, 5, 20, 14, 0, tzinfo=PARIS)


async def ask(client, keys, lines, at=None, explain=False, **destination) -> dict:
    body = {"channel": "web", "lines": [{"sku": s, "quantity": q} for s, q in lines],
            "destination": destination or {"address": HOME}}
    if at is not None:
        body["at"] = at.isoformat()
    r = await client.post("/v1/promise", params={"explain": explain}, json=body, headers=keys.h("web"))
    assert r.status_code == 200, r.text
    return r.json()


def with_promise(ref, lines, promise_id, **delivery) -> dict:
    body = order(ref, lines, **delivery)
    body["delivery"]["promise_id"] = promise_id
    return body


def served(ctx) -> httpx.AsyncClient:
    """A client that sees what a real server answers when the app raises (a 500), instead of the exception."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(ctx), raise_app_exceptions=False),
                             base_url="http://oms")


# --- capture: a replay must answer the stored order ------------------------------------------------------------

async def test_resending_an_order_that_kept_a_promise_answers_the_stored_order(ctx, client):
    keys = await network(ctx, client)
    [option] = [o for o in (await ask(client, keys, [("SKU-B", 10)]))["options"] if o["mode"] == "home_standard"]
    body = with_promise("P-REPLAY", [("SKU-B", 10)], option["promise_id"])
    headers = {**keys.h("web"), "Idempotency-Key": "replay-1"}
    first = await client.post("/v1/orders", json=body, headers=headers)
    assert first.status_code == 201, first.text
    # The network drops the answer; the channel sends the same order again. The order itself took the DC's
    # last lamps, so the promise is no longer feasible for a *new* order, but this is not a new order.
    again = await client.post("/v1/orders", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]


# --- capture: an order converting a hold keeps the promise the hold's units make good ----------------------------

async def test_an_order_taking_a_hold_keeps_the_promise_its_held_units_make(ctx, client):
    keys = await network(ctx, client)
    [option] = [o for o in (await ask(client, keys, [("SKU-B", 10)]))["options"] if o["mode"] == "home_standard"]
    hold = {"channel": "web", "ref": "cart-1", "lines": [{"sku": "SKU-B", "quantity": 10}],
            "delivery": {"mode": "home_standard", "address": HOME}}
    r = await client.post("/v1/holds", json=hold, headers=keys.h("web"))
    assert r.status_code == 201, r.text
    body = {**with_promise("P-HOLD", [("SKU-B", 10)], option["promise_id"]), "hold_id": r.json()["id"]}
    r = await client.post("/v1/orders", json=body, headers=keys.h("web"))
    assert r.status_code == 201, r.text  # the held lamps are at the DC: the promised window is kept
    assert r.json()["delivery"]["promised"]["latest"] == option["latest"]


# --- promise ids: the time a promise is made is the server's, not the caller's ---------------------------------

async def test_a_promise_asked_for_a_time_before_the_cutoff_after_it_passed_is_not_kept(ctx, client):
    keys = await seed(ctx, client)
    now = ctx.clock.now().astimezone(PARIS)
    cutoff = (now - timedelta(minutes=5)).strftime("%H:%M")  # the DC's carrier left five minutes ago
    dc = {**calendars(NODES[0]), "opening_hours": {d: [["00:00", "24:00"]] for d in
                                                   ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
          "exceptions": {}, "processing_minutes": 0, "carrier_cutoff": cutoff}
    daily = {**CARRIERS[0], "holidays": [], "delivery_weekdays": [1, 2, 3, 4, 5, 6, 7]}
    for path, body in (("/v1/nodes", [dc]), ("/v1/carrier-services", [daily])):
        assert (await client.put(path, json=body, headers=keys.h("admin"))).status_code == 200
    honest = [o for o in (await ask(client, keys, [("SKU-B", 1)]))["options"] if o["mode"] == "home_standard"]
    backdated = [o for o in (await ask(client, keys, [("SKU-B", 1)], at=now - timedelta(minutes=9)))["options"]
                 if o["mode"] == "home_standard"]
    assert backdated[0]["latest"] < honest[0]["latest"]  # the window of a parcel that left before the ask
    # A time other than now is a what-if answer: no promise id an order could be held to.
    assert backdated[0]["promise_id"] is None and backdated[0]["expires_at"] is None
    assert honest[0]["promise_id"] is not None


async def test_a_promise_asked_for_a_far_future_time_does_not_stay_valid_for_years(ctx, client):
    keys = await network(ctx, client)
    later = (ctx.clock.now() + timedelta(days=365)).astimezone(PARIS)
    [option] = [o for o in (await ask(client, keys, [("SKU-B", 1)], at=later))["options"]
                if o["mode"] == "home_standard"]
    # A promise for a year from now is a what-if answer: nothing an order could be held to for years.
    assert option["promise_id"] is None and option["expires_at"] is None


# --- bad input is a 422, never a 500 ------------------------------------------------------------------------------

@pytest.mark.parametrize("at", ["9999-12-31T23:00:00+00:00", "0001-01-01T00:30:00+05:00"])
async def test_an_order_time_at_the_ends_of_the_calendar_is_bad_input(ctx, client, at):
    keys = await network(ctx, client)
    async with served(ctx) as c:
        r = await c.post("/v1/promise", headers=keys.h("web"), json={
            "channel": "web", "lines": [{"sku": "SKU-B", "quantity": 1}], "destination": {"address": HOME}, "at": at})
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "at"


async def test_a_promise_id_with_non_ascii_characters_is_bad_input(ctx, client):
    keys = await network(ctx, client)
    async with served(ctx) as c:
        r = await c.post("/v1/orders", json=with_promise("P-UTF", [("SKU-B", 1)], "prm_e30.\u00e9t\u00e9"),
                         headers=keys.h("web"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "delivery.promise_id"


# --- options: the shelves of one store are counted once per SKU ----------------------------------------------------

async def test_a_cart_naming_a_sku_twice_is_not_promised_from_shelves_that_lack_the_sum(ctx, client):
    keys = await network(ctx, client)
    r = await client.post("/v1/promise", headers=keys.h("web"), json={
        "channel": "web", "lines": [{"sku": "SKU-A", "quantity": 3}, {"sku": "SKU-A", "quantity": 3}],
        "destination": {"lat": 48.86, "lng": 2.35}, "at": WEDNESDAY.isoformat()})
    if r.status_code == 422:
        return  # refusing a SKU named twice is an answer too
    assert r.status_code == 200, r.text
    from_shelves = [o for o in r.json()["options"] if o["nodes"] == ["ST-PARIS"]]
    assert from_shelves == []  # ST-PARIS has 5 mugs, the cart wants 6
    # ... and capture agrees: the store cannot reserve them.
    r = await client.post("/v1/orders", json=order("P-DUP", [("SKU-A", 3), ("SKU-A", 3)], mode="reserve_in_store",
                                                   pickup_node_id="ST-PARIS"), headers=keys.h("web"))
    problem(r, 409, "out_of_stock")


# --- options: collection at up to 3 stores within 25 km *that hand it over* -----------------------------------------

@ASKED_FROM
async def test_collection_is_offered_at_a_near_store_that_hands_it_over_behind_nearer_ones_that_do_not(ctx, client):
    keys = await network(ctx, client)
    reserve_only = [{**calendars(NODES[1]), "id": f"ST-R{i}", "hands_over": ["reserve_in_store"],
                     "fulfills": ["reserve_in_store"],
                     "address": {**NODES[1]["address"], "lat": 48.86, "lng": 2.35 + i / 1000}} for i in range(3)]
    assert (await client.put("/v1/nodes", json=reserve_only, headers=keys.h("admin"))).status_code == 200
    answer = await ask(client, keys, [("SKU-A", 1)], WEDNESDAY, explain=True, lat=48.86, lng=2.35)
    collect = [o for o in answer["options"] if o["mode"] == "click_and_collect"]
    # ST-PARIS, half a kilometre away, hands over click and collect and has the mugs.
    assert [o["pickup_node_id"] for o in collect] == ["ST-PARIS"], answer.get("absent")


# --- options: a reason that names the real cause ------------------------------------------------------------------

@ASKED_FROM
async def test_a_dc_without_opening_hours_is_not_explained_as_too_far_for_the_carriers(ctx, client):
    keys = await network(ctx, client)
    shut = {**calendars(NODES[0]), "opening_hours": {}}  # as nodes created before calendars existed
    assert (await client.put("/v1/nodes", json=[shut], headers=keys.h("admin"))).status_code == 200
    answer = await ask(client, keys, [("SKU-B", 1)], WEDNESDAY, explain=True)
    reasons = {x["mode"]: x["reason"] for x in answer["absent"]}
    assert "no carrier service goes" not in reasons["home_standard"], reasons["home_standard"]


# --- a promise a cart of many nodes is given must be one its order can carry ----------------------------------------

async def test_a_promise_over_many_nodes_can_be_carried_by_the_order(ctx, client):
    keys = await seed(ctx, client)
    week = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    ids = [f"DC-{i:02d}-" + "x" * 58 for i in range(20)]  # node ids may be 64 characters long
    dcs = [{**calendars(NODES[0]), "id": node_id, "opening_hours": week, "exceptions": {}} for node_id in ids]
    products = [{**PRODUCTS[0], "sku": f"SKU-M{i:02d}"} for i in range(20)]
    stock = [{"node_id": node_id, "sku": p["sku"], "on_hand": 5} for node_id, p in zip(ids, products, strict=True)]
    for path, body in (("/v1/products", products), ("/v1/nodes", dcs), ("/v1/inventory", stock),
                       ("/v1/carrier-services", [{**CARRIERS[0], "delivery_weekdays": [1, 2, 3, 4, 5, 6, 7]}])):
        assert (await client.put(path, json=body, headers=keys.h("admin"))).status_code == 200, path
    lines = [(p["sku"], 1) for p in products]
    [option] = [o for o in (await ask(client, keys, lines))["options"] if o["mode"] == "home_standard"]
    assert len(option["nodes"]) == 20
    r = await client.post("/v1/orders", json=with_promise("P-MANY", lines, option["promise_id"]), headers=keys.h("web"))
    assert r.status_code == 201, r.text
