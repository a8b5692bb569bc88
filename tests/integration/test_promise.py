"""The delivery promise over HTTP: options per mode, with windows, cut-offs, prices and signed ids."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from oms.domain.errors import InvalidInput
from oms.services.promise.ids import sign, verify
from tests.support import ASKED_FROM, HOME, NODES, order, problem, seed

PARIS = ZoneInfo("Europe/Paris")
WHIT_MONDAY = "2026-05-25"  # a public holiday; Saturday 23 May comes before it
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat")


def calendars(node: dict) -> dict:
    if node["type"] == "warehouse":  # Monday to Saturday 06:00-23:00; the carriers collect at 23:00
        return {**node, "opening_hours": {d: [["06:00", "23:00"]] for d in WEEK}, "exceptions": {WHIT_MONDAY: []},
                "processing_minutes": 60, "carrier_cutoff": "23:00"}
    return {**node, "opening_hours": {d: [["10:00", "20:00"]] for d in WEEK}, "exceptions": {WHIT_MONDAY: []},
            "processing_minutes": 45, "carrier_cutoff": "17:00"}


CARRIERS = [
    {"id": "std", "name": "Standard", "mode": "home_standard", "holidays": [WHIT_MONDAY],
     "bands": [{"max_km": 800, "transit_min": 1, "transit_max": 2, "base": 500, "per_kg": 50}]},
    {"id": "exp", "name": "Express", "mode": "home_express", "holidays": [WHIT_MONDAY],
     "bands": [{"max_km": 800, "transit_min": 1, "transit_max": 1, "base": 1200}]},
    {"id": "shuttle", "name": "DC to store shuttle", "mode": "transfer", "holidays": [WHIT_MONDAY],
     "bands": [{"max_km": 1000, "transit_min": 1, "transit_max": 2, "base": 300}]},
]
PRICES = {"currency": "EUR", "modes": {"home_standard": {"amount": 499, "free_above": 5000},
                                       "home_express": {"amount": 999}}}


async def network(ctx, client, carriers=CARRIERS):
    keys = await seed(ctx, client)
    for path, body in (("/v1/nodes", [calendars(n) for n in NODES]), ("/v1/carrier-services", carriers),
                       ("/v1/delivery-prices", PRICES)):
        r = await client.put(path, json=body, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
    return keys


async def ask(client, keys, lines, at, explain=False, who="web", **destination):
    body = {"channel": "web", "lines": [{"sku": s, "quantity": q} for s, q in lines],
            "destination": destination or {"address": HOME}, "at": at.isoformat()}
    r = await client.post("/v1/promise", params={"explain": explain}, json=body, headers=keys.h(who))
    assert r.status_code == 200, r.text
    return r.json()


def by_mode(answer, mode, pickup=None) -> dict:
    [found] = [o for o in answer["options"] if o["mode"] == mode and (pickup is None or o["pickup_node_id"] == pickup)]
    return found


def paris(*args) -> str:
    return datetime(*args, tzinfo=PARIS).isoformat()


@ASKED_FROM
async def test_a_minute_before_the_saturday_cutoff_and_a_minute_after_before_a_holiday(ctx, client):
    keys = await network(ctx, client)
    before = by_mode(await ask(client, keys, [("SKU-B", 2)], datetime(2026, 5, 23, 21, 59, tzinfo=PARIS)),
                     "home_standard")
    assert before["nodes"] == ["DC-PARIS"] and before["services"] == ["std"]
    assert before["cutoff"] == paris(2026, 5, 23, 22, 0)  # order within a minute
    assert (before["earliest"], before["latest"]) == (paris(2026, 5, 26, 8, 0), paris(2026, 5, 27, 20, 0))
    after = by_mode(await ask(client, keys, [("SKU-B", 2)], datetime(2026, 5, 23, 22, 1, tzinfo=PARIS)),
                    "home_standard")
    assert after["cutoff"] == paris(2026, 5, 26, 22, 0)  # Sunday closed, Monday a holiday
    assert (after["earliest"], after["latest"]) == (paris(2026, 5, 27, 8, 0), paris(2026, 5, 28, 20, 0))


@ASKED_FROM
async def test_prices_follow_the_rules_and_costs_the_carrier_bands(ctx, client):
    keys = await network(ctx, client)
    answer = await ask(client, keys, [("SKU-B", 2)], datetime(2026, 5, 20, 10, 0, tzinfo=PARIS))
    standard, express = by_mode(answer, "home_standard"), by_mode(answer, "home_express")
    assert standard["price"] == {"amount": 0, "currency": "EUR"}  # 2 lamps: 99.98 EUR, above 50 EUR
    assert express["price"] == {"amount": 999, "currency": "EUR"}
    assert standard["cost"] == 500 + 50 * 4  # 3.6 kg: four started kilograms
    assert express["earliest"] == paris(2026, 5, 21, 8, 0) and express["latest"] == paris(2026, 5, 21, 20, 0)
    cheap = by_mode(await ask(client, keys, [("SKU-A", 1)], datetime(2026, 5, 20, 10, 0, tzinfo=PARIS)),
                    "home_standard")
    assert cheap["price"]["amount"] == 499


@ASKED_FROM
async def test_collect_in_store_from_its_shelves_or_through_a_transfer(ctx, client):
    keys = await network(ctx, client)
    wednesday = datetime(2026, 5, 20, 14, 0, tzinfo=PARIS)
    mugs = by_mode(await ask(client, keys, [("SKU-A", 2)], wednesday, lat=48.86, lng=2.35),
                   "click_and_collect", "ST-PARIS")
    assert mugs["nodes"] == ["ST-PARIS"] and mugs["earliest"] == paris(2026, 5, 20, 14, 45)
    assert mugs["cutoff"] == paris(2026, 5, 20, 19, 15)  # the last order the store can ready today
    # Ordered when the store closes in 30 minutes: ready tomorrow morning.
    late = by_mode(await ask(client, keys, [("SKU-A", 2)], datetime(2026, 5, 20, 19, 30, tzinfo=PARIS),
                             lat=48.86, lng=2.35), "click_and_collect", "ST-PARIS")
    assert late["earliest"] == paris(2026, 5, 21, 10, 15)  # 30 minutes tonight, 15 tomorrow at opening
    # Lamps are not on the store's shelves: sent by the DC shuttle (1-2 days, by Friday 20:00 at the latest),
    # then received and readied in the store: Saturday morning.
    lamps = by_mode(await ask(client, keys, [("SKU-B", 1)], wednesday, lat=48.86, lng=2.35),
                    "click_and_collect", "ST-PARIS")
    assert lamps["nodes"] == ["DC-PARIS"] and lamps["services"] == ["shuttle"]
    assert lamps["earliest"] == paris(2026, 5, 23, 10, 45) and lamps["cutoff"] == paris(2026, 5, 20, 22, 0)
    reserve = by_mode(await ask(client, keys, [("SKU-A", 2)], wednesday, lat=48.86, lng=2.35),
                      "reserve_in_store", "ST-PARIS")
    assert reserve["earliest"] == paris(2026, 5, 20, 14, 45)


@ASKED_FROM
async def test_absent_modes_say_why_when_asked(ctx, client):
    keys = await network(ctx, client, carriers=CARRIERS[:1])
    answer = await ask(client, keys, [("SKU-B", 1)], datetime(2026, 5, 20, 10, 0, tzinfo=PARIS), explain=True,
                       lat=48.86, lng=2.35)
    modes = {o["mode"] for o in answer["options"]}
    reasons = {x["mode"]: x["reason"] for x in answer["absent"]}
    assert "home_standard" in modes and "home_express" not in modes
    assert reasons["home_express"] == "no active carrier service for home_express"
    assert "no active transfer service" in reasons["click_and_collect"]
    assert "lacks some of the lines" in reasons["reserve_in_store"]
    assert set(reasons) >= {"one_hour", "scheduled", "locker", "pickup_point"}
    assert "absent" not in await ask(client, keys, [("SKU-B", 1)], datetime(2026, 5, 20, 10, 0, tzinfo=PARIS))
    gone = await ask(client, keys, [("SKU-B", 50)], datetime(2026, 5, 20, 10, 0, tzinfo=PARIS), explain=True)
    assert gone["options"] == [] and "not enough stock" in {x["mode"]: x["reason"] for x in gone["absent"]}[
        "home_standard"]


async def test_a_promise_id_is_signed_and_tampering_shows(ctx, client):
    keys = await network(ctx, client)
    before = ctx.clock.now()  # times compared in UTC: local arithmetic slips on the nights the clocks change
    option = await promised_now(client, keys)
    snap = await ctx.reference.get(ctx.db, now=True)
    payload = verify(snap.promise_secret, option["promise_id"])
    assert payload["mode"] == "home_standard" and payload["latest"] == option["latest"]
    expires = datetime.fromisoformat(option["expires_at"])
    assert before + timedelta(minutes=10) <= expires <= ctx.clock.now() + timedelta(minutes=10)
    head, signature = option["promise_id"].split(".")
    with pytest.raises(InvalidInput):
        verify(snap.promise_secret, head[:-2] + "xx." + signature)


@ASKED_FROM
async def test_bad_requests_are_named(ctx, client):
    keys = await network(ctx, client)
    at = datetime(2026, 5, 20, 10, 0, tzinfo=PARIS).isoformat()
    r = await client.post("/v1/promise", headers=keys.h("web"), json={
        "channel": "web", "lines": [{"sku": "NOPE", "quantity": 1}], "destination": {"lat": 48.8, "lng": 2.3},
        "at": at})
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "lines.0.sku"
    r = await client.post("/v1/promise", headers=keys.h("web"), json={
        "channel": "web", "lines": [{"sku": "SKU-A", "quantity": 1}], "destination": {"lat": 48.8}, "at": at})
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "destination"
    r = await client.post("/v1/promise", params={"explain": "maybe"}, headers=keys.h("web"), json={
        "channel": "web", "lines": [{"sku": "SKU-A", "quantity": 1}], "destination": {"lat": 48.8, "lng": 2.3}})
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "explain"
    r = await client.post("/v1/promise", headers=keys.h("store_paris"), json={
        "channel": "web", "lines": [{"sku": "SKU-A", "quantity": 1}], "destination": {"lat": 48.8, "lng": 2.3}})
    problem(r, 403, "forbidden")
    bad_node = {**calendars(NODES[0]), "exceptions": {"2026-12-25": [["10:00", "09:00"]]}, "carrier_cutoff": "25:00"}
    r = await client.put("/v1/nodes", json=[bad_node], headers=keys.h("admin"))
    fields = {e["field"] for e in problem(r, 422, "invalid_input")["errors"]}
    assert any(f.startswith("items.0.exceptions") for f in fields) and "items.0.carrier_cutoff" in fields
    r = await client.put("/v1/carrier-services", json=[{**CARRIERS[0], "bands": [
        {"max_km": 800, "transit_min": 3, "transit_max": 1}]}], headers=keys.h("admin"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"].startswith("items.0.bands.0")


def placed(promise_id: str, mode="home_standard", ref="P-1", lines=(("SKU-B", 1),), **delivery) -> dict:
    body = order(ref, lines, mode=mode, **delivery)
    body["delivery"]["promise_id"] = promise_id
    return body


async def promised_now(client, keys, lines=(("SKU-B", 1),), mode="home_standard", **destination) -> dict:
    body = {"channel": "web", "lines": [{"sku": s, "quantity": q} for s, q in lines],
            "destination": destination or {"address": HOME}}
    r = await client.post("/v1/promise", json=body, headers=keys.h("web"))
    assert r.status_code == 200, r.text
    return next(o for o in r.json()["options"] if o["mode"] == mode)


async def test_an_order_keeps_its_promise_and_carries_the_promised_window(ctx, client):
    keys = await network(ctx, client)
    option = await promised_now(client, keys)
    r = await client.post("/v1/orders", json=placed(option["promise_id"]), headers=keys.h("web"))
    assert r.status_code == 201, r.text
    assert r.json()["delivery"]["promised"] == {"promise_id": option["promise_id"], "earliest": option["earliest"],
                                                "latest": option["latest"]}
    collect = await promised_now(client, keys, lines=(("SKU-A", 1),), mode="click_and_collect", lat=48.86, lng=2.35)
    assert collect["pickup_node_id"] == "ST-PARIS"
    r = await client.post("/v1/orders", json=placed(collect["promise_id"], "click_and_collect", "P-2", (("SKU-A", 1),),
                                                    pickup_node_id="ST-PARIS"), headers=keys.h("web"))
    assert r.status_code == 201, r.text


async def test_a_promise_that_does_not_fit_the_order_is_bad_input(ctx, client):
    keys = await network(ctx, client)
    option = await promised_now(client, keys)
    head, signature = option["promise_id"].split(".")
    for promise_id in (head + "." + signature[::-1], "prm_nonsense"):
        r = await client.post("/v1/orders", json=placed(promise_id), headers=keys.h("web"))
        assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "delivery.promise_id"
    r = await client.post("/v1/orders", json=placed(option["promise_id"], "home_express"), headers=keys.h("web"))
    reasons = problem(r, 422, "invalid_input")["errors"]
    assert reasons[0]["field"] == "delivery.promise_id" and "home_standard" in reasons[0]["reason"]


async def test_a_promise_that_can_no_longer_be_kept_is_refused_with_the_options_of_now(ctx, client):
    keys = await network(ctx, client)
    option = await promised_now(client, keys)
    slower = {**CARRIERS[0], "bands": [{"max_km": 800, "transit_min": 4, "transit_max": 6, "base": 500}]}
    assert (await client.put("/v1/carrier-services", json=[slower], headers=keys.h("admin"))).status_code == 200
    await ctx.reference.get(ctx.db, now=True)
    r = await client.post("/v1/orders", json=placed(option["promise_id"]), headers=keys.h("web"))
    body = problem(r, 409, "promise_not_kept")
    assert "can no longer be delivered by" in body["detail"]
    now_standard = next(o for o in body["options"] if o["mode"] == "home_standard")
    assert now_standard["latest"] > option["latest"]
    assert (await client.get("/v1/orders", headers=keys.h("web"))).json()["items"] == []  # nothing stored


NEAR_OR_FAR = [{**CARRIERS[0], "bands": [{"max_km": 100, "transit_min": 1, "transit_max": 1, "base": 500},
                                         {"max_km": 800, "transit_min": 3, "transit_max": 4, "base": 700}]},
               *CARRIERS[1:]]
LYON = {"line1": "45 rue de la République", "postal_code": "69002", "city": "Lyon", "country": "FR",
        "lat": 45.7625, "lng": 4.836}


async def test_a_promise_used_for_another_address_is_planned_for_it(ctx, client):
    keys = await network(ctx, client, NEAR_OR_FAR)
    rug = await promised_now(client, keys, lines=(("SKU-C", 1),))  # from the Paris store to Paris, next day
    assert rug["nodes"] == ["ST-PARIS"]
    r = await client.post("/v1/orders", json=placed(rug["promise_id"], lines=(("SKU-C", 1),), address=LYON),
                          headers=keys.h("web"))
    assert r.status_code == 201, r.text  # Lyon's store keeps the window Paris's would miss to Lyon
    assert [f["node_id"] for f in r.json()["fulfillments"]] == ["ST-LYON"]
    assert r.json()["delivery"]["promised"]["latest"] == rug["latest"]

    mug = await promised_now(client, keys, lines=(("SKU-A", 1),))  # only Paris has mugs: none can keep it in Lyon
    r = await client.post("/v1/orders", json=placed(mug["promise_id"], ref="P-2", lines=(("SKU-A", 1),),
                                                    address=LYON), headers=keys.h("web"))
    body = problem(r, 409, "promise_not_kept")
    assert all(o["latest"] > mug["latest"] for o in body["options"] if o["mode"] == "home_standard"), body


async def test_an_expired_promise_is_refused(ctx, client):
    keys = await network(ctx, client)
    option = await promised_now(client, keys)
    snap = await ctx.reference.get(ctx.db, now=True)
    an_hour_ago = (ctx.clock.now() - timedelta(hours=1)).astimezone(PARIS)
    payload = {**verify(snap.promise_secret, option["promise_id"]), "at": an_hour_ago.isoformat(),
               "expires_at": (an_hour_ago + timedelta(minutes=10)).isoformat()}
    r = await client.post("/v1/orders", json=placed(sign(snap.promise_secret, payload)), headers=keys.h("web"))
    assert "expired" in problem(r, 409, "promise_not_kept")["detail"]


async def test_the_product_page_says_when_each_mode_can_be_had_near_a_point(ctx, client):
    keys = await network(ctx, client)
    params = {"channel": "web", "lat": 48.86, "lng": 2.35}
    r = await client.get("/v1/promise/SKU-A", params=params, headers=keys.h("web"))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["sku"] == "SKU-A" and page["available"] == 105  # 100 at the DC, 5 in the Paris store
    modes = {m["mode"]: m for m in page["modes"]}
    assert {"home_standard", "home_express", "click_and_collect", "reserve_in_store"} <= set(modes)
    assert modes["click_and_collect"]["pickup_node_id"] == "ST-PARIS"
    assert [m["earliest"] for m in page["modes"]] == sorted(m["earliest"] for m in page["modes"])
    again = await client.get("/v1/promise/SKU-A", params=params, headers=keys.h("web"))
    assert again.json() == page
    # Sold out in Paris: the shelf options go, the rest stays (and the page shows it at once).
    await client.put("/v1/inventory", headers=keys.h("admin"), json=[{"node_id": "ST-PARIS", "sku": "SKU-A",
                                                                      "on_hand": 0}])
    after = (await client.get("/v1/promise/SKU-A", params=params, headers=keys.h("web"))).json()
    modes = {m["mode"]: m for m in after["modes"]}
    assert after["available"] == 100 and "reserve_in_store" not in modes
    assert modes["click_and_collect"]["earliest"] > page["modes"][0]["earliest"]  # now through the shuttle

    problem(await client.get("/v1/promise/NOPE", params=params, headers=keys.h("web")), 404, "not_found")
    r = await client.get("/v1/promise/SKU-A", params={"channel": "web"}, headers=keys.h("web"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "lat"
    problem(await client.get("/v1/promise/SKU-A", params=params, headers=keys.h("store_paris")), 403, "forbidden")


@ASKED_FROM
async def test_a_cart_can_go_to_a_nearby_locker_bank(ctx, client):
    lockers = {"id": "lk", "name": "To locker banks", "mode": "locker", "holidays": [WHIT_MONDAY],
               "bands": [{"max_km": 100, "transit_min": 1, "transit_max": 1, "base": 300}],
               "window": ["07:00", "12:00"]}
    keys = await network(ctx, client, carriers=[*CARRIERS, lockers])
    answer = await ask(client, keys, [("SKU-B", 1)], datetime(2026, 5, 20, 10, 0, tzinfo=PARIS), explain=True,
                       lat=48.871, lng=2.331)
    locker = by_mode(answer, "locker")
    assert locker["pickup_node_id"] == "LK-PARIS" and locker["nodes"] == ["DC-PARIS"] and locker["services"] == ["lk"]
    # The carrier's round (07:00-12:00) meets the bank's hours (10:00-20:00 here) at 10:00.
    assert (locker["earliest"], locker["latest"]) == (paris(2026, 5, 21, 10, 0), paris(2026, 5, 21, 12, 0))
    reasons = {x["mode"]: x["reason"] for x in answer["absent"]}
    assert reasons["pickup_point"] == "no pickup point within 10 km takes orders"
    far = await ask(client, keys, [("SKU-B", 1)], datetime(2026, 5, 20, 10, 0, tzinfo=PARIS), explain=True,
                    lat=45.76, lng=4.84)
    assert "locker" in {x["mode"] for x in far["absent"]}
