"""Re-sourcing: units a node rejects, lets lapse or does not find go to the other nodes; an order that
cannot be sent as promised is flagged at risk with its options."""

from datetime import timedelta

from oms.services.fulfillment.sla import expire_unaccepted
from oms.services.orders.resourcing import retry_waiting
from oms.services.reference.keys import create_key
from oms.services.stock.check import promise_differences, stock_differences
from oms.services.supply.backorders import release_backorders
from tests.integration.test_backorders import backorders_for
from tests.integration.test_sourcing import explained, priced, promised
from tests.integration.test_supply import po
from tests.support import HOME, NODES, WHY, capture, confirm, ful_at, on_hand_reserved, order, problem, seed, sent_from


async def get_order(client, keys, order_id: str) -> dict:
    r = await client.get(f"/v1/orders/{order_id}", headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    return r.json()


async def event_types(client, keys, order_id: str) -> list[str]:
    r = await client.get(f"/v1/orders/{order_id}/events", headers=keys.h("admin"))
    return [e["type"] for e in r.json()]


async def put(client, keys, path: str, body) -> None:
    r = await client.put(path, json=body, headers=keys.h("admin"))
    assert r.status_code == 200, r.text


def live(view: dict) -> dict[str, list[tuple[int, str, int]]]:
    """sent_from, for the fulfilment orders still meant to send something."""
    gone = ("rejected", "cancelled")
    return sent_from({"fulfillments": [f for f in view["fulfillments"] if f["status"] not in gone]})


async def test_a_rejection_is_sourced_again_on_the_other_nodes_and_explained(ctx, client):
    keys = await priced(ctx, client)
    dc = {**next(n for n in NODES if n["id"] == "DC-PARIS"), "handling_cost_per_order": 2000}
    await put(client, keys, "/v1/nodes", [dc])  # the store is the cheapest for a mug now
    placed = await capture(client, keys, order("R-1", [("SKU-A", 2)]))
    assert sent_from(placed) == {"ST-PARIS": [(1, "SKU-A", 2)]}
    await confirm(client, keys.h("store_paris"), placed["fulfillments"][0]["id"], "reject", reason="flooded")

    view = await get_order(client, keys, placed["id"])
    assert live(view) == {"DC-PARIS": [(1, "SKU-A", 2)]}
    assert (view["status"], view["at_risk"]) == ("created", None)
    assert await on_hand_reserved(client, keys, "SKU-A", "DC-PARIS") == (100, 2)
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 0)
    types = await event_types(client, keys, placed["id"])
    after = types[types.index("fulfillment.rejected"):]  # (the first release was the capture's)
    assert after.index("fulfillment.released") < after.index("order.resourced")

    why = await explained(client, keys, placed["id"])
    assert [s["node_id"] for s in why["shipments"]] == ["ST-PARIS"]  # the decision at capture stays as it was
    [again] = why["resourced"]
    assert again["reason"] == "ST-PARIS rejected them"
    assert [s["node_id"] for s in again["shipments"]] == ["DC-PARIS"]
    store = next(c for c in again["candidates"] if c["node_id"] == "ST-PARIS")
    assert store["rejected_because"] == "gave up this order's fulfilment: flooded"


async def test_a_node_that_gave_up_is_not_asked_again_and_the_order_is_flagged_at_risk(ctx, client):
    keys = await seed(ctx, client)
    dc_key, _ = await create_key(ctx, role="node", scope="DC-PARIS", name="dc")
    placed = await capture(client, keys, order("R-2", [("SKU-A", 2)]))
    await confirm(client, keys.h("store_paris"), ful_at(placed, "ST-PARIS")["id"], "reject", reason="none left")
    view = await get_order(client, keys, placed["id"])
    await confirm(client, {"Authorization": f"Bearer {dc_key}"}, ful_at(view, "DC-PARIS")["id"], "reject",
                  reason="none left")

    view = await get_order(client, keys, placed["id"])
    # The Paris store has the units but rejected this order: no other node is left.
    assert view["status"] == "awaiting_sourcing" and live(view) == {}
    risk = view["at_risk"]
    assert risk["reason"] == "no node the order may use has them now"
    assert risk["missing"] == [{"line_no": 1, "sku": "SKU-A", "quantity": 2}]
    assert risk["options"] == [{"option": "cancel_lines", "lines": risk["missing"]}]
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 0)
    assert await on_hand_reserved(client, keys, "SKU-A", "DC-PARIS") == (100, 0)
    r = await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))
    [flagged] = [e for e in r.json() if e["type"] == "order.at_risk"]
    assert flagged["data"]["options"] == risk["options"] and flagged["actor"] == "system:resourcing"

    # Tried again with nothing changed: no second event, nothing written.
    assert await retry_waiting(ctx) == 0
    assert (await event_types(client, keys, placed["id"])).count("order.at_risk") == 1
    assert (await get_order(client, keys, placed["id"]))["updated_at"] == view["updated_at"]


async def test_an_order_waiting_for_units_is_sourced_when_stock_comes_back(ctx, client):
    keys = await seed(ctx, client)
    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 0}])
    placed = await capture(client, keys, order("R-3", [("SKU-A", 2)]))
    await confirm(client, keys.h("store_paris"), placed["fulfillments"][0]["id"], "reject", reason="none left")
    assert (await get_order(client, keys, placed["id"]))["at_risk"] is not None

    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 3}])
    assert await retry_waiting(ctx) == 1
    view = await get_order(client, keys, placed["id"])
    assert (view["status"], view["at_risk"]) == ("created", None)
    assert live(view) == {"DC-PARIS": [(1, "SKU-A", 2)]}
    assert await on_hand_reserved(client, keys, "SKU-A", "DC-PARIS") == (3, 2)
    assert await retry_waiting(ctx) == 0


async def test_an_order_awaiting_sourcing_is_tried_again_when_its_stock_moves_or_an_hour_passed(ctx, client,
                                                                                                 monkeypatch):
    from oms.services.orders import resourcing
    keys = await seed(ctx, client)
    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 0}])
    placed = await capture(client, keys, order("R-9", [("SKU-A", 2)]))
    await confirm(client, keys.h("store_paris"), placed["fulfillments"][0]["id"], "reject", reason="none left")
    planned = []
    real = resourcing.resource_order

    async def counted(ctx, order_id, **kwargs):
        planned.append(order_id)
        return await real(ctx, order_id, **kwargs)

    monkeypatch.setattr(resourcing, "resource_order", counted)
    ctx.clock.advance(2 * resourcing.OVERLAP)  # (a stock row stamped just before a try is looked at again)
    assert await retry_waiting(ctx) == 0 and planned == [placed["id"]]  # first seen: tried
    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-B", "on_hand": 7}])
    assert await retry_waiting(ctx) == 0 and len(planned) == 1  # another SKU moved: not tried
    ctx.clock.advance(resourcing.QUIET)
    assert await retry_waiting(ctx) == 0 and len(planned) == 2  # an hour on: tried all the same
    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 1}])
    assert await retry_waiting(ctx) == 0 and len(planned) == 3  # its SKU moved: tried (one unit is not two)
    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 2}])
    assert await retry_waiting(ctx) == 1 and len(planned) == 4
    assert (await get_order(client, keys, placed["id"]))["status"] == "created"


async def test_a_promise_no_node_can_keep_lists_the_options_and_each_can_be_taken(ctx, client):
    keys = await priced(ctx, client)
    # The Paris store has a mug and a rug; the DC has mugs, only Lyon has other rugs (a day slower).
    standard = await promised(client, keys, [("SKU-A", 1), ("SKU-C", 1)])
    placed = await capture(client, keys, order("R-4", [("SKU-A", 1), ("SKU-C", 1)],
                                               promise_id=standard["promise_id"], address=HOME))
    assert sent_from(placed) == {"ST-PARIS": [(1, "SKU-A", 1), (2, "SKU-C", 1)]}
    await confirm(client, keys.h("store_paris"), placed["fulfillments"][0]["id"], "reject", reason="none left")

    view = await get_order(client, keys, placed["id"])
    assert view["status"] == "awaiting_sourcing" and live(view) == {}
    risk = view["at_risk"]
    assert risk["reason"] == "no node the order may use can send them in time"
    later, partial, cancel = risk["options"]
    assert later["option"] == "later_date" and later["nodes"] == ["DC-PARIS", "ST-LYON"]
    assert later["delivered_by"] > standard["latest"]
    assert partial == {"option": "partial", "lines": [{"line_no": 1, "sku": "SKU-A", "quantity": 1}],
                       "cancel": [{"line_no": 2, "sku": "SKU-C", "quantity": 1}]}
    assert cancel["option"] == "cancel_lines" and len(cancel["lines"]) == 2

    # Asked again without accepting a later date: still at risk, said as it is.
    r = await client.post(f"/v1/orders/{placed['id']}/resource", json={}, headers=keys.h("web"))
    assert r.status_code == 200 and r.json()["at_risk"] == risk

    # The partial option: the rug's line is cancelled, the mug goes from the DC in time.
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json={**WHY, "lines": [{"line_no": 2}]},
                          headers=keys.h("web"))
    assert r.status_code == 200, r.text
    view = await get_order(client, keys, placed["id"])
    assert (view["status"], view["at_risk"]) == ("created", None)
    assert live(view) == {"DC-PARIS": [(1, "SKU-A", 1)]}


async def test_a_later_date_is_accepted_through_the_api(ctx, client):
    keys = await priced(ctx, client)
    standard = await promised(client, keys, [("SKU-C", 1)])
    placed = await capture(client, keys, order("R-5", [("SKU-C", 1)], promise_id=standard["promise_id"],
                                               address=HOME))
    await confirm(client, keys.h("store_paris"), placed["fulfillments"][0]["id"], "reject", reason="none left")
    assert (await get_order(client, keys, placed["id"]))["at_risk"]["options"][0]["option"] == "later_date"

    for who, status, code in (("store_paris", 403, "forbidden"), ("marketplace", 404, "not_found"),
                              ("viewer", 403, "forbidden")):
        problem(await client.post(f"/v1/orders/{placed['id']}/resource", json={"late": True},
                                  headers=keys.h(who)), status, code)
    bad = problem(await client.post(f"/v1/orders/{placed['id']}/resource", json={"late": "soon"},
                                    headers=keys.h("web")), 422, "invalid_input")
    assert "late" in str(bad)
    problem(await client.post("/v1/orders/ord_nope/resource", json={}, headers=keys.h("web")), 404, "not_found")

    r = await client.post(f"/v1/orders/{placed['id']}/resource", json={"late": True, "reason": "customer agreed"},
                          headers=keys.h("web"))
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["at_risk"]) == ("created", None)
    assert live(r.json()) == {"ST-LYON": [(1, "SKU-C", 1)]}
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    [done] = [e for e in events if e["type"] == "order.resourced"]
    assert done["data"]["later_than_promised"] is True
    assert (done["reason"], done["actor"]) == ("customer agreed", "channel:web")


async def test_nothing_to_send_at_all_is_a_conflict_when_a_later_date_is_asked(ctx, client):
    keys = await seed(ctx, client)
    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 0}])
    placed = await capture(client, keys, order("R-6", [("SKU-A", 2)]))
    await confirm(client, keys.h("store_paris"), placed["fulfillments"][0]["id"], "reject", reason="none left")
    body = problem(await client.post(f"/v1/orders/{placed['id']}/resource", json={"late": True},
                                     headers=keys.h("web")), 409, "conflict")
    assert body["at_risk"]["missing"] == [{"line_no": 1, "sku": "SKU-A", "quantity": 2}]


async def test_a_node_that_does_not_accept_in_time_loses_the_order(ctx, client):
    keys = await seed(ctx, client)
    store = {**next(n for n in NODES if n["id"] == "ST-PARIS"), "accept_within_minutes": 30}
    await put(client, keys, "/v1/nodes", [store])
    r = await client.get("/v1/nodes", headers=keys.h("admin"))
    assert next(n for n in r.json()["items"] if n["id"] == "ST-PARIS")["accept_within_minutes"] == 30
    waiting = await capture(client, keys, order("S-1", [("SKU-A", 2)]))
    accepted = await capture(client, keys, order("S-2", [("SKU-A", 1)]))
    assert set(sent_from(waiting)) == set(sent_from(accepted)) == {"ST-PARIS"}
    await confirm(client, keys.h("store_paris"), accepted["fulfillments"][0]["id"], "accept")

    start = ctx.clock.now()
    assert await expire_unaccepted(ctx, at=start + timedelta(minutes=29)) == 0
    assert await expire_unaccepted(ctx, at=start + timedelta(minutes=31)) == 1
    view = await get_order(client, keys, waiting["id"])
    lapsed = ful_at(view, "ST-PARIS")
    assert (lapsed["status"], lapsed["details"]["reject_reason"]) == ("rejected", "not accepted within 30 minutes")
    assert live(view) == {"DC-PARIS": [(1, "SKU-A", 2)]}
    assert ful_at(view, "DC-PARIS")["details"]["resourced"] == "ST-PARIS did not accept them within 30 minutes"
    events = (await client.get(f"/v1/orders/{waiting['id']}/events", headers=keys.h("admin"))).json()
    [gone] = [e for e in events if e["type"] == "fulfillment.rejected"]
    assert gone["actor"] == "system:sla"
    # The accepted one stays; the store's stock holds only its unit now.
    assert ful_at(await get_order(client, keys, accepted["id"]), "ST-PARIS")["status"] == "accepted"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 1)
    assert await expire_unaccepted(ctx, at=start + timedelta(minutes=90)) == 0


async def test_a_lifted_time_limit_withdraws_nothing(ctx, client):
    keys = await seed(ctx, client)
    store = {**next(n for n in NODES if n["id"] == "ST-PARIS"), "accept_within_minutes": 30}
    await put(client, keys, "/v1/nodes", [store])
    placed = await capture(client, keys, order("S-3", [("SKU-A", 2)]))
    await put(client, keys, "/v1/nodes", [{**store, "accept_within_minutes": None}])
    assert await expire_unaccepted(ctx, at=ctx.clock.now() + timedelta(hours=5)) == 0
    assert (await get_order(client, keys, placed["id"]))["fulfillments"][0]["status"] == "released"
    bad = problem(await client.put("/v1/nodes", json=[{**store, "accept_within_minutes": 0}],
                                   headers=keys.h("admin")), 422, "invalid_input")
    assert "accept_within_minutes" in str(bad)


async def test_lines_no_node_has_wait_for_supply_where_the_channel_allows_it(ctx, client):
    keys = await seed(ctx, client)
    await put(client, keys, "/v1/inventory", [{"node_id": "ST-LYON", "sku": "SKU-C", "on_hand": 0}])
    await backorders_for(client, keys, supply=(po("PO-C", "DC-PARIS", "SKU-C", 5, 6),))
    placed = await capture(client, keys, order("R-7", [("SKU-A", 2), ("SKU-C", 1)]))
    assert sent_from(placed) == {"ST-PARIS": [(1, "SKU-A", 2), (2, "SKU-C", 1)]}
    await confirm(client, keys.h("store_paris"), placed["fulfillments"][0]["id"], "reject", reason="none left")

    view = await get_order(client, keys, placed["id"])
    # The mugs go from the DC now; the rug waits there for the supply expected in six days.
    live_fuls = {(f["node_id"], f["status"]): [(x["sku"], x["quantity"], x["reserved"], x["supply_id"])
                                               for x in f["lines"]]
                 for f in view["fulfillments"] if f["status"] not in ("rejected", "cancelled")}
    assert live_fuls == {("DC-PARIS", "released"): [("SKU-A", 2, 2, None)],
                         ("DC-PARIS", "backordered"): [("SKU-C", 1, 0, "PO-C")]}
    assert (view["status"], view["at_risk"]) == ("backordered", None)
    supply = (await client.get("/v1/supply", params={"sku": "SKU-C"}, headers=keys.h("viewer"))).json()["items"]
    assert [x["promised"] for x in supply] == [1]
    assert await stock_differences(ctx) == [] and await promise_differences(ctx) == []
    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-C", "on_hand": 1}])
    assert await release_backorders(ctx) == 1
    assert (await get_order(client, keys, placed["id"]))["status"] == "created"


async def test_each_sweep_tries_the_next_orders_awaiting_sourcing(ctx, client, monkeypatch):
    from oms.services.orders import resourcing
    monkeypatch.setattr(resourcing, "BATCH", 1)
    keys = await seed(ctx, client)
    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 0}])
    placed = [await capture(client, keys, order(f"RR-{i}", [("SKU-A", 1)])) for i in range(2)]
    for p in placed:
        await confirm(client, keys.h("store_paris"), p["fulfillments"][0]["id"], "reject", reason="none left")
    first, second = sorted(p["id"] for p in placed)
    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 1}])
    assert await retry_waiting(ctx) == 1  # the first in id order takes the unit
    assert await retry_waiting(ctx) == 0  # the next one: nothing left for it
    await put(client, keys, "/v1/inventory", [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 2}])
    assert await retry_waiting(ctx) == 1  # from the start again: the second, still waiting
    assert (await get_order(client, keys, second))["status"] == "created"
    assert (await get_order(client, keys, first))["status"] == "created"
