"""Cost-optimal sourcing at capture: the plan, its explanation, the cost data and the strategies."""

import pytest

from oms.services.reference.keys import create_key
from tests.support import HOME, NODES, capture, confirm, order, problem, seed, sent_from, stock_of

# Home deliveries: 4.00 € + 0.40 € per started kg within 50 km, 6.00 € + 0.60 € beyond.
STANDARD = {"id": "std", "name": "Standard", "modes": ["home_standard"],
            "bands": [{"max_km": 50, "transit_min": 1, "transit_max": 2},
                      {"max_km": 1000, "transit_min": 2, "transit_max": 3}],
            "rate_bands": [{"max_km": 50, "base": 400, "per_kg": 40}, {"max_km": 1000, "base": 600, "per_kg": 60}]}
HANDLING = {"DC-PARIS": (100, 20), "ST-PARIS": (500, 100), "ST-LYON": (300, 50)}


async def priced(ctx, client, **settings):
    """The test network with handling costs, the standard carrier and these sourcing settings."""
    keys = await seed(ctx, client)
    nodes = [{**n, "handling_cost_per_order": HANDLING[n["id"]][0], "handling_cost_per_unit": HANDLING[n["id"]][1]}
             for n in NODES if n["id"] in HANDLING]
    for method, path, body in (("put", "/v1/nodes", nodes), ("put", "/v1/carrier-services/std", STANDARD),
                               ("put", "/v1/sourcing/settings", settings)):
        r = await client.request(method, path, json=body, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
    return keys


async def explained(client, keys, order_id: str) -> dict:
    r = await client.get(f"/v1/orders/{order_id}/sourcing", headers=keys.h("web"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_cheapest_node_sends_the_order_and_the_plan_is_explained(ctx, client):
    keys = await priced(ctx, client)
    # Two mugs (700 g: one started kg). The Paris store is nearest, but the DC handles orders for less:
    # DC 100 + 2 × 20 handling, 400 + 40 carrier = 580; the store 500 + 2 × 100 + 440 = 1,140.
    body = await capture(client, keys, order("W-1", [("SKU-A", 2)]))
    assert sent_from(body) == {"DC-PARIS": [(1, "SKU-A", 2)]}
    why = await explained(client, keys, body["id"])
    assert why["strategy"] == "cost_optimal"
    assert why["total_cost"] == {"amount": 580, "currency": "EUR"}
    [shipment] = why["shipments"]
    assert shipment["node_id"] == "DC-PARIS" and shipment["lines"] == [{"line_no": 1, "sku": "SKU-A", "quantity": 2}]
    assert shipment["cost"] == {"handling": 140, "carrier": 440, "depletion": 0, "carbon": 0, "total": 580}
    assert 15 < shipment["distance_km"] < 25 and why["split_penalty"] == 0
    # The plan's node first, then the others holding mugs; Lyon, which has none, is counted.
    assert [c["node_id"] for c in why["candidates"]] == ["DC-PARIS", "ST-PARIS"]
    dc, paris = why["candidates"]
    assert paris["cost_alone"] == {"amount": 1140, "currency": "EUR"}
    assert paris["rejected_because"] == "a plan using it costs more"
    assert "rejected_because" not in dc and dc["cost_alone"] == {"amount": 580, "currency": "EUR"}
    assert why["others"] == [{"rejected_because": "no stock of these SKUs", "nodes": 1}]


async def test_the_nearest_strategy_sends_from_the_nearest_node_and_says_what_it_costs(ctx, client):
    keys = await priced(ctx, client, strategies=[{"channel": "web", "mode": "home_standard", "strategy": "nearest"}])
    body = await capture(client, keys, order("W-1", [("SKU-A", 2)]))
    assert sent_from(body) == {"ST-PARIS": [(1, "SKU-A", 2)]}
    why = await explained(client, keys, body["id"])
    assert why["strategy"] == "nearest" and why["total_cost"]["amount"] == 1140


async def test_split_penalty_and_depletion_weigh_in(ctx, client):
    # A lamp (DC or Lyon) and a rug (Paris store or Lyon): two parcels from the DC and the Paris store,
    # or one from Lyon.
    # DC: 100 + 20 + 400 + 2 × 40 = 600; Paris store: 500 + 100 + 400 + 6 × 40 = 1,240: 1,840 in two parcels.
    # Lyon: 300 + 2 × 50 + 600 + 8 × 60 = 1,480 in one.
    keys = await priced(ctx, client)
    body = await capture(client, keys, order("W-1", [("SKU-B", 1), ("SKU-C", 1)]))
    assert set(sent_from(body)) == {"ST-LYON"}
    assert (await explained(client, keys, body["id"]))["total_cost"]["amount"] == 1480


async def test_depletion_cost_sends_the_unit_from_where_it_is_spared(ctx, client):
    # A rug from Paris (2 on the shelf) or Lyon (3). Lyon costs more (350 + 960 = 1,310 against 1,240),
    # but each store keeps 2 rugs for its shop: only Lyon can spare one without a depletion cost.
    keys = await priced(ctx, client, depletion_cost_per_unit=5000, store_protection_units=2)
    body = await capture(client, keys, order("W-1", [("SKU-C", 1)]))
    assert sent_from(body) == {"ST-LYON": [(1, "SKU-C", 1)]}
    why = await explained(client, keys, body["id"])
    assert why["shipments"][0]["cost"]["depletion"] == 0
    paris = next(c for c in why["candidates"] if c["node_id"] == "ST-PARIS")
    # Paris alone: 500 + 100 handling, 400 + 6 × 40 carrier, one unit below its protection level.
    assert paris["cost_alone"]["amount"] == 600 + 640 + 5000


async def test_fewest_shipments_and_a_shipment_limit(ctx, client):
    # A lamp and a rug: Lyon has both, in one parcel (the fewest, even where two parcels would cost less).
    # A mug, a lamp and a rug: no node has all three, so with at most one shipment the order cannot be sent.
    keys = await priced(ctx, client, split_penalty=0, strategies=[
        {"channel": "*", "mode": "home_standard", "strategy": "fewest_shipments"}])
    body = await capture(client, keys, order("W-1", [("SKU-B", 1), ("SKU-C", 1)]))
    assert set(sent_from(body)) == {"ST-LYON"}
    r = await client.put("/v1/sourcing/settings", json={"strategies": [{"mode": "home_standard", "max_shipments": 1}]},
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    three = [("SKU-A", 1), ("SKU-B", 1), ("SKU-C", 1)]
    problem(await client.post("/v1/orders", json=order("W-2", three), headers=keys.h("web")), 409, "out_of_stock")
    r = await client.put("/v1/sourcing/settings", json={}, headers=keys.h("admin"))
    body = await capture(client, keys, order("W-3", three))
    assert len(sent_from(body)) == 2


async def test_priority_groups_and_filters(ctx, client):
    # Stores first (as some retailers do to clear shop stock), then the DC.
    keys = await priced(ctx, client, strategies=[
        {"channel": "web", "strategy": "priority", "node_groups": [["store"], ["DC-PARIS"]]}])
    body = await capture(client, keys, order("W-1", [("SKU-A", 2)]))
    assert sent_from(body) == {"ST-PARIS": [(1, "SKU-A", 2)]}
    assert (await explained(client, keys, body["id"]))["strategy"] == "priority"
    # Six mugs: the stores have five: the DC's group comes in, and the cheapest plan over both is the DC.
    body = await capture(client, keys, order("W-2", [("SKU-A", 6)]))
    assert sent_from(body) == {"DC-PARIS": [(1, "SKU-A", 6)]}
    # Stores with fewer than 5 units of a SKU are left out for it; within 100 km only.
    r = await client.put("/v1/sourcing/settings", headers=keys.h("admin"), json={"strategies": [
        {"channel": "web", "strategy": "cost_optimal", "exclude_stores_below": 5, "max_km": 100}]})
    assert r.status_code == 200, r.text
    body = await capture(client, keys, order("W-3", [("SKU-B", 1)]))
    why = await explained(client, keys, body["id"])
    assert sent_from(body) == {"DC-PARIS": [(1, "SKU-B", 1)]}
    lyon = next(c for c in why["candidates"] if c["node_id"] == "ST-LYON")
    assert "filters" in lyon["rejected_because"]
    r = await client.post("/v1/orders", json=order("W-4", [("SKU-C", 1)]), headers=keys.h("web"))
    problem(r, 409, "out_of_stock")  # Paris has 2 rugs, fewer than 5; Lyon is too far


async def test_a_line_may_be_split_only_where_the_channel_accepts_it(ctx, client):
    keys = await priced(ctx, client)
    r = await client.post("/v1/orders", json=order("W-1", [("SKU-C", 4)]), headers=keys.h("web"))
    problem(r, 409, "out_of_stock")  # 2 in Paris, 3 in Lyon: no node has 4
    r = await client.put("/v1/sourcing/settings", headers=keys.h("admin"),
                         json={"strategies": [{"channel": "web", "split_lines": True}]})
    assert r.status_code == 200, r.text
    body = await capture(client, keys, order("W-2", [("SKU-C", 4)]))
    sent = sent_from(body)
    assert set(sent) == {"ST-PARIS", "ST-LYON"} and sum(q for lines in sent.values() for _, _, q in lines) == 4


async def test_carrier_services_one_by_one(ctx, client):
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    r = await client.put("/v1/carrier-services/std", json=STANDARD, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["modes"] == ["home_standard"] and r.json()["rate_bands"] == STANDARD["rate_bands"]
    # The id may be left out of the body; a single mode and band prices are a shorthand.
    short = {"name": "Express", "mode": "home_express", "bands": [{"max_km": 800, "transit_min": 1, "transit_max": 1,
                                                                   "base": 1200, "per_kg": 90}]}
    r = await client.put("/v1/carrier-services/exp", json=short, headers=admin)
    assert r.status_code == 200, r.text
    got = (await client.get("/v1/carrier-services/exp", headers=keys.h("viewer"))).json()
    assert got["modes"] == ["home_express"] and got["rate_bands"] == [{"max_km": 800, "base": 1200, "per_kg": 90}]
    problem(await client.get("/v1/carrier-services/nope", headers=admin), 404, "not_found")
    bad = problem(await client.put("/v1/carrier-services/exp", json={**short, "id": "other"}, headers=admin),
                  422, "invalid_input")
    assert "id" in str(bad)
    bad = problem(await client.put("/v1/carrier-services/std", headers=admin, json={
        **STANDARD, "rate_bands": [{"max_km": 50, "base": 400}]}), 422, "invalid_input")
    assert "rate_bands must reach" in str(bad)
    problem(await client.put("/v1/carrier-services/std", json=STANDARD, headers=keys.h("web")), 403, "forbidden")


@pytest.mark.parametrize("settings, field", [
    ({"split_penalty": -1}, "split_penalty"),
    ({"strategies": [{"strategy": "priority"}]}, "node_groups"),
    ({"strategies": [{"strategy": "cheapest"}]}, "strategy"),
    ({"strategies": [{"channel": "web"}, {"channel": "web", "mode": "*"}]}, "given twice"),
])
async def test_sourcing_settings_are_checked(ctx, client, settings, field):
    keys = await seed(ctx, client)
    bad = problem(await client.put("/v1/sourcing/settings", json=settings, headers=keys.h("admin")),
                  422, "invalid_input")
    assert field in str(bad)
    got = await client.get("/v1/sourcing/settings", headers=keys.h("admin"))
    assert got.json()["strategies"] == [] and got.json()["split_penalty"] == 0  # nothing half-written


async def promised(client, keys, lines) -> dict:
    r = await client.post("/v1/promise", headers=keys.h("web"), json={
        "channel": "web", "lines": [{"sku": s, "quantity": q} for s, q in lines], "destination": {"address": HOME}})
    assert r.status_code == 200, r.text
    [standard] = [o for o in r.json()["options"] if o["mode"] == "home_standard"]
    return standard


async def test_a_promise_is_kept_by_the_cheapest_nodes_quick_enough(ctx, client):
    keys = await priced(ctx, client)
    # The promise gives the soonest window (from the nearest node); the DC, as quick and cheaper, keeps it.
    standard = await promised(client, keys, [("SKU-A", 2)])
    assert standard["nodes"] == ["ST-PARIS"]
    body = await capture(client, keys, order("W-1", [("SKU-A", 2)], promise_id=standard["promise_id"], address=HOME))
    assert sent_from(body) == {"DC-PARIS": [(1, "SKU-A", 2)]}
    assert body["delivery"]["promised"]["latest"] == standard["latest"]


async def test_a_cheaper_node_too_slow_for_the_promise_is_not_used(ctx, client):
    keys = await priced(ctx, client)
    # Lyon sends a rug for 960 (no handling cost there), Paris for 1,240; but Lyon's parcel takes a day
    # longer (its distance band) than the window promised from Paris.
    lyon = {**next(n for n in NODES if n["id"] == "ST-LYON"), "handling_cost_per_order": 0,
            "handling_cost_per_unit": 0}
    assert (await client.put("/v1/nodes", json=[lyon], headers=keys.h("admin"))).status_code == 200
    assert sent_from(await capture(client, keys, order("W-0", [("SKU-C", 1)]))) == {"ST-LYON": [(1, "SKU-C", 1)]}
    standard = await promised(client, keys, [("SKU-C", 1)])
    body = await capture(client, keys, order("W-1", [("SKU-C", 1)], promise_id=standard["promise_id"], address=HOME))
    assert sent_from(body) == {"ST-PARIS": [(1, "SKU-C", 1)]}
    why = await explained(client, keys, body["id"])
    lyon_why = next(c for c in why["candidates"] if c["node_id"] == "ST-LYON")
    assert lyon_why["rejected_because"].startswith("too far for the promise")


async def test_the_explanation_is_the_order_channels_to_read(ctx, client):
    keys = await priced(ctx, client)
    body = await capture(client, keys, order("W-1", [("SKU-A", 1)]))
    problem(await client.get(f"/v1/orders/{body['id']}/sourcing", headers=keys.h("marketplace")), 404, "not_found")
    problem(await client.get("/v1/orders/ord_nope/sourcing", headers=keys.h("admin")), 404, "not_found")
    assert (await client.get(f"/v1/orders/{body['id']}/sourcing", headers=keys.h("viewer"))).status_code == 200


async def test_stores_left_out_by_the_strategy_do_not_set_the_plan_to_beat(ctx, client):
    # The Paris store would send a mug for almost nothing, but the strategy leaves out stores with fewer
    # than 6 of a SKU (it has 5): the dear DC sends it, rather than nobody.
    keys = await priced(ctx, client, strategies=[{"channel": "web", "exclude_stores_below": 6}])
    paris = {**next(n for n in NODES if n["id"] == "ST-PARIS"), "handling_cost_per_order": 0,
             "handling_cost_per_unit": 0}
    dc = {**next(n for n in NODES if n["id"] == "DC-PARIS"), "handling_cost_per_order": 5000}
    assert (await client.put("/v1/nodes", json=[paris, dc], headers=keys.h("admin"))).status_code == 200
    body = await capture(client, keys, order("W-1", [("SKU-A", 1)]))
    assert sent_from(body) == {"DC-PARIS": [(1, "SKU-A", 1)]}


async def test_held_units_at_a_node_the_strategy_leaves_out_go_back_and_are_explained(ctx, client):
    keys = await priced(ctx, client, depletion_cost_per_unit=300, store_protection_units=2)
    r = await client.post("/v1/holds", headers=keys.h("web"), json={
        "channel": "web", "ref": "cart-1", "lines": [{"sku": "SKU-B", "quantity": 1}],
        "delivery": {"mode": "home_standard", "address": HOME}, "ttl_seconds": 900})
    assert r.status_code == 201, r.text
    hold_id = r.json()["id"]
    r = await client.put("/v1/sourcing/settings", headers=keys.h("admin"), json={
        "depletion_cost_per_unit": 300, "store_protection_units": 2,
        "strategies": [{"channel": "web", "node_groups": [["store"]]}]})
    assert r.status_code == 200, r.text
    body = await capture(client, keys, {**order("W-1", [("SKU-B", 1)]), "hold_id": hold_id})
    # Sourced as it would be without the hold, by the strategy of now (stores only): the unit held at the DC
    # goes back to stock.
    assert sent_from(body) == {"ST-LYON": [(1, "SKU-B", 1)]}
    assert (await stock_of(client, keys, "SKU-B"))["DC-PARIS"]["reserved"] == 0
    why = await explained(client, keys, body["id"])
    dc = next(c for c in why["candidates"] if c["node_id"] == "DC-PARIS")
    assert dc["available"]["SKU-B"] == 10  # its 9 free units and the one held for this order, all left out
    assert dc["rejected_because"] == "left out by the cost_optimal strategy's filters"


async def test_a_draft_strategy_is_tried_on_sample_orders_without_reserving(ctx, client):
    keys = await priced(ctx, client, split_penalty=0)
    before = (await client.get("/v1/inventory", headers=keys.h("admin"))).json()["items"]
    samples = [{"channel": "web", "lines": [{"sku": sku, "quantity": 2}],
                "delivery": {"mode": "home_standard", "address": HOME}} for sku in ("SKU-A", "SKU-C", "SKU-C")]
    r = await client.post("/v1/sourcing/simulate", headers=keys.h("admin"),
                          json={"strategy": {"strategy": "nearest"}, "orders": samples})
    assert r.status_code == 200, r.text
    got = r.json()
    live, draft = got["live"], got["draft"]
    # Live (cost_optimal): mugs from the DC (580); the first 2 rugs from Paris (500 + 200 + 400 + 12 × 40),
    # the next 2 from Lyon (300 + 100 + 600 + 12 × 60): each side takes what it sources.
    assert [o["live"]["plan"][0]["node_id"] for o in got["orders"]] == ["DC-PARIS", "ST-PARIS", "ST-LYON"]
    assert live["total_cost"]["amount"] == 580 + 1580 + 1720 and live["unserved"] == 0
    # Draft (nearest): the mugs from the Paris store (1,140), then the same rugs.
    assert [o["draft"]["plan"][0]["node_id"] for o in got["orders"]] == ["ST-PARIS", "ST-PARIS", "ST-LYON"]
    assert draft["total_cost"]["amount"] == 1140 + 1580 + 1720
    assert live["shipments"] == draft["shipments"] == 3 and live["split_orders"] == 0
    # The Lyon rugs arrive a day after the window the Paris store could promise: one miss on each side.
    assert live["promise_misses"] == draft["promise_misses"] == 1
    assert (await client.get("/v1/inventory", headers=keys.h("admin"))).json()["items"] == before  # nothing taken
    bad = problem(await client.post("/v1/sourcing/simulate", headers=keys.h("admin"), json={
        "strategy": {}, "orders": [{**samples[0], "lines": [{"sku": "NOPE", "quantity": 1}]}]}), 422, "invalid_input")
    assert "orders.0" in str(bad)
    problem(await client.post("/v1/sourcing/simulate", headers=keys.h("web"),
                              json={"strategy": {}, "orders": samples}), 403, "forbidden")


async def test_a_drop_ship_supplier_is_a_node_like_the_others_with_its_own_costs_and_lead_time(ctx, client):
    keys = await priced(ctx, client)
    # A supplier near Paris that handles orders for nothing but needs two working days to send them.
    supplier = {**next(n for n in NODES if n["id"] == "DC-PARIS"), "id": "SUP-1", "type": "supplier",
                "name": "Supplier", "fulfills": ["home_standard"], "hands_over": [], "processing_minutes": 1080,
                "opening_hours": {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
                "handling_cost_per_order": 0, "handling_cost_per_unit": 0}
    for path, body in (("/v1/nodes", [supplier]), ("/v1/inventory", [{"node_id": "SUP-1", "sku": "SKU-A",
                                                                       "on_hand": 50}])):
        r = await client.put(path, json=body, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
    # Without a promise the cheapest sends it: the supplier (carriage only), asked by a purchase request.
    dropped = await capture(client, keys, order("W-1", [("SKU-A", 1)]))
    assert sent_from(dropped) == {"SUP-1": [(1, "SKU-A", 1)]}
    assert dropped["fulfillments"][0]["details"]["purchase_request"] is True
    events = (await client.get(f"/v1/orders/{dropped['id']}/events", headers=keys.h("admin"))).json()
    [request] = [e for e in events if e["type"] == "fulfillment.released"]
    assert request["data"]["details"]["purchase_request"] and request["data"]["order"]["delivery"]["address"] == HOME
    # The supplier confirms with its own key, and its shipment goes to the customer.
    supplier_key, _ = await create_key(ctx, role="node", scope="SUP-1", name="supplier")
    fid, h = dropped["fulfillments"][0]["id"], {"Authorization": f"Bearer {supplier_key}"}
    await confirm(client, h, fid, "accept")
    shipped = await confirm(client, h, fid, "ship", carrier="dhl", tracking_number="SUP-T-1")
    assert shipped["status"] == "shipped"
    # With the soonest promise, its lead time leaves it out: the DC keeps the promise.
    standard = await promised(client, keys, [("SKU-A", 1)])
    body = await capture(client, keys, order("W-2", [("SKU-A", 1)], promise_id=standard["promise_id"], address=HOME))
    assert sent_from(body) == {"DC-PARIS": [(1, "SKU-A", 1)]}
    why = next(c for c in (await explained(client, keys, body["id"]))["candidates"] if c["node_id"] == "SUP-1")
    assert why["rejected_because"].startswith("too far for the promise: delivered by")
