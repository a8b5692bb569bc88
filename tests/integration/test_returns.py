"""Returns (RMA): started by any channel, received at a node with a disposition per unit, refunded; the
order's status follows; exchanges as a linked order paid with the returned units' value."""

from oms.services.reference.keys import create_key
from tests.support import capture, confirm, on_hand_reserved, order, problem, seed


async def delivered(ctx, client, ref: str, lines, **order_args):
    """Seed, add a key of the store channel, capture a web order and take it to the customer's door."""
    keys = await seed(ctx, client)
    store_key, _ = await create_key(ctx, role="channel", scope="store", name="store till")
    placed = await capture(client, keys, order(ref, lines, **order_args))
    for f in placed["fulfillments"]:
        for action, body in (("accept", {}), ("ship", {"carrier": "c", "tracking_number": f"T-{f['id']}"}),
                             ("deliver", {})):
            view = await confirm(client, keys.h("admin"), f["id"], action, **body)
    assert view["status"] == "delivered"
    return keys, {"Authorization": f"Bearer {store_key}"}, view


def rma(order_id: str, lines, channel="store", **more) -> dict:
    return {"order_id": order_id, "channel": channel,
            "lines": [{"sku": s, "quantity": q, "reason": "wrong_size"} for s, q in lines], **more}


async def events_of(client, keys, order_id: str, type: str) -> list[dict]:
    events = (await client.get(f"/v1/orders/{order_id}/events", headers=keys.h("admin"))).json()
    return [e for e in events if e["type"] == type]


async def test_a_web_order_returned_in_store_is_restocked_refunded_and_shown(ctx, client):
    keys, store, placed = await delivered(ctx, client, "RT-1", [("SKU-A", 2)])
    oid = placed["id"]
    r = await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1)], method="in_store", node_id="ST-PARIS"),
                          headers=store)
    assert r.status_code == 201, r.text
    ret = r.json()
    assert ret["status"] == "requested" and ret["order_channel"] == "web" and ret["channel"] == "store"
    assert ret["lines"] == [{"line_no": 1, "sku": "SKU-A", "quantity": 1, "reason": "wrong_size", "received": 0,
                             "restocked": 0, "damaged": 0, "to_inspect": 0}]
    [created] = await events_of(client, keys, oid, "return.created")
    assert created["data"]["return_id"] == ret["id"] and created["actor"] == "channel:store"

    before = await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS")
    r = await client.post(f"/v1/returns/{ret['id']}/receive", headers=keys.h("store_paris"),
                          json={"node_id": "ST-PARIS", "lines": [{"sku": "SKU-A", "quantity": 1,
                                                                  "disposition": "restock"}]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "received" and r.json()["refunded"] == {"amount": 1000, "currency": "EUR"}
    after = await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS")
    assert after == (before[0] + 1, before[1])  # sellable again where it was brought back
    [refund] = await events_of(client, keys, oid, "refund.requested")
    assert refund["data"]["amount"] == {"amount": 1000, "currency": "EUR"}
    assert refund["data"]["lines"] == [{"line_no": 1, "sku": "SKU-A", "quantity": 1, "amount": 1000}]
    view = (await client.get(f"/v1/orders/{oid}", headers=keys.h("web"))).json()
    assert view["status"] == "partially_returned" and view["lines"][0]["returned"] == 1

    # The second unit comes back broken: written off, refunded, and the whole order is returned.
    second = (await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1)], channel="web"),
                                headers=keys.h("web"))).json()
    r = await client.post(f"/v1/returns/{second['id']}/receive", headers=keys.h("admin"),
                          json={"node_id": "DC-PARIS", "lines": [{"sku": "SKU-A", "quantity": 1,
                                                                  "disposition": "damaged"}]})
    assert r.status_code == 200, r.text
    assert r.json()["lines"][0]["damaged"] == 1 and r.json()["node_id"] == "DC-PARIS"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == after
    view = (await client.get(f"/v1/orders/{oid}", headers=keys.h("web"))).json()
    assert view["status"] == "returned" and view["lines"][0]["returned"] == 2
    assert len(await events_of(client, keys, oid, "refund.requested")) == 2
    listed = (await client.get("/v1/returns", params={"order_id": oid}, headers=keys.h("web"))).json()
    assert [x["id"] for x in listed["items"]] == [second["id"], ret["id"]]
    # Nothing is left to return.
    problem(await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1)]), headers=store), 409, "conflict")


async def test_only_units_that_left_a_node_can_be_returned_and_bad_lines_are_named(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("RT-2", [("SKU-A", 1), ("SKU-B", 1)]))
    oid = placed["id"]
    body = problem(await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1)], channel="web"),
                                     headers=keys.h("web")), 409, "conflict")
    assert body["errors"][0]["field"] == "lines.0.quantity" and "0 units" in body["errors"][0]["reason"]
    body = problem(await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1), ("SKU-C", 1)], channel="web"),
                                     headers=keys.h("web")), 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["lines.1.sku"]
    body = problem(await client.post("/v1/returns", json=rma("ord_nope", [("SKU-A", 1)], channel="web"),
                                     headers=keys.h("web")), 422, "invalid_input")
    assert body["errors"][0]["field"] == "order_id"
    body = problem(await client.post("/v1/returns", json={**rma(oid, [("SKU-A", 0)]), "channel": "fax"},
                                     headers=keys.h("admin")), 422, "invalid_input")
    assert {e["field"] for e in body["errors"]} == {"channel", "lines.0.quantity"}


async def test_who_may_start_read_receive_and_cancel_returns(ctx, client):
    keys, store, placed = await delivered(ctx, client, "RT-3", [("SKU-A", 1)])
    oid = placed["id"]
    problem(await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1)], channel="web"), headers=store),
            403, "forbidden")  # a store key starts returns in its own channel only
    problem(await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1)]), headers=keys.h("viewer")),
            403, "forbidden")
    problem(await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1)]), headers=keys.h("store_paris")),
            403, "forbidden")
    ret = (await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1)], node_id="ST-PARIS"),
                             headers=store)).json()
    path = f"/v1/returns/{ret['id']}"
    for who in ("web", "admin", "viewer", "store_paris"):
        assert (await client.get(path, headers=keys.h(who))).status_code == 200, who
    assert (await client.get(path, headers=store)).status_code == 200
    for who in ("marketplace", "store_lyon"):
        problem(await client.get(path, headers=keys.h(who)), 404, "not_found")
    assert (await client.get("/v1/returns", headers=keys.h("marketplace"))).json()["items"] == []
    receipt = {"node_id": "ST-PARIS", "lines": [{"sku": "SKU-A", "quantity": 1, "disposition": "restock"}]}
    problem(await client.post(f"{path}/receive", json=receipt, headers=keys.h("store_lyon")), 403, "forbidden")
    problem(await client.post(f"{path}/receive", json=receipt, headers=keys.h("web")), 403, "forbidden")
    problem(await client.post(f"{path}/cancel", json={}, headers=keys.h("marketplace")), 404, "not_found")
    problem(await client.post(f"{path}/cancel", json={}, headers=keys.h("store_paris")), 403, "forbidden")
    r = await client.post(f"{path}/cancel", json={"reason": "kept it"}, headers=keys.h("web"))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    problem(await client.post(f"{path}/receive", json=receipt, headers=keys.h("store_paris")), 409,
            "illegal_transition")
    # The units of a cancelled return can be returned again.
    r = await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1)]), headers=store)
    assert r.status_code == 201, r.text


async def test_a_receipt_checks_what_is_expected_and_where(ctx, client):
    keys, store, placed = await delivered(ctx, client, "RT-4", [("SKU-A", 3)])
    ret = (await client.post("/v1/returns", json=rma(placed["id"], [("SKU-A", 3)]), headers=store)).json()
    path = f"/v1/returns/{ret['id']}/receive"

    def receipt(node, *lines):
        return {"node_id": node, "lines": [{"sku": s, "quantity": q, "disposition": d} for s, q, d in lines]}

    body = problem(await client.post(path, json=receipt("ST-PARIS", ("SKU-A", 4, "restock"), ("SKU-B", 1, "damaged")),
                                     headers=keys.h("admin")), 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["lines.0.quantity", "lines.1.sku"]
    body = problem(await client.post(path, json=receipt("LK-PARIS", ("SKU-A", 1, "restock")),
                                     headers=keys.h("admin")), 422, "invalid_input")
    assert body["errors"][0]["field"] == "lines.0.disposition"
    problem(await client.post(path, json=receipt("NOPE", ("SKU-A", 1, "restock")), headers=keys.h("admin")),
            422, "invalid_input")
    r = await client.post(path, json=receipt("ST-PARIS", ("SKU-A", 1, "restock")), headers=keys.h("store_paris"))
    assert r.status_code == 200 and r.json()["status"] == "partially_received"
    problem(await client.post(path, json=receipt("ST-LYON", ("SKU-A", 1, "restock")), headers=keys.h("admin")),
            409, "conflict")  # the rest of the return goes where it started to be received
    problem(await client.post(f"/v1/returns/{ret['id']}/cancel", json={}, headers=store), 409, "illegal_transition")
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("web"))).json()
    assert view["status"] == "partially_returned"


async def test_units_kept_to_inspect_are_refunded_once_judged(ctx, client):
    keys, store, placed = await delivered(ctx, client, "RT-5", [("SKU-A", 2)])
    oid = placed["id"]
    ret = (await client.post("/v1/returns", json=rma(oid, [("SKU-A", 2)]), headers=store)).json()
    path = f"/v1/returns/{ret['id']}"
    problem(await client.post(f"{path}/inspect", json={"lines": [{"sku": "SKU-A", "quantity": 1,
                                                                  "disposition": "restock"}]},
                              headers=keys.h("admin")), 409, "conflict")  # nothing received yet
    r = await client.post(f"{path}/receive", headers=keys.h("store_paris"),
                          json={"node_id": "ST-PARIS", "lines": [{"sku": "SKU-A", "quantity": 2,
                                                                  "disposition": "to_inspect"}]})
    assert r.status_code == 200 and r.json()["status"] == "awaiting_inspection"
    assert r.json()["refunded"]["amount"] == 0 and not await events_of(client, keys, oid, "refund.requested")
    before = await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS")
    judged = {"lines": [{"sku": "SKU-A", "quantity": 1, "disposition": "restock"},
                        {"sku": "SKU-A", "quantity": 1, "disposition": "damaged"}]}
    body = problem(await client.post(f"{path}/inspect", json={"lines": [{"sku": "SKU-A", "quantity": 1,
                                                                        "disposition": "inspect"}]},
                                     headers=keys.h("admin")), 422, "invalid_input")
    assert body["errors"][0]["field"] == "lines.0.disposition"
    problem(await client.post(f"{path}/inspect", json=judged, headers=keys.h("store_lyon")), 404, "not_found")
    r = await client.post(f"{path}/inspect", json=judged, headers=keys.h("store_paris"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "received" and r.json()["refunded"]["amount"] == 2000
    assert r.json()["lines"][0] | {} == {**r.json()["lines"][0], "restocked": 1, "damaged": 1, "to_inspect": 0}
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (before[0] + 1, before[1])
    problem(await client.post(f"{path}/inspect", json=judged, headers=keys.h("admin")), 422, "invalid_input")
    assert [e["type"] for e in await events_of(client, keys, oid, "return.inspected")] == ["return.inspected"]


async def test_an_exchange_is_a_linked_order_paid_by_the_returned_units(ctx, client):
    keys, _, placed = await delivered(ctx, client, "RT-6", [("SKU-A", 2)])
    oid, web = placed["id"], keys.h("web")
    too_dear = rma(oid, [("SKU-A", 1)], channel="web", exchange={"lines": [{"sku": "SKU-A", "quantity": 1}]})
    body = problem(await client.post("/v1/returns", json=too_dear, headers=web), 422, "invalid_input")
    assert body["errors"][0]["field"] == "exchange.lines"  # 12.99 € of mug for a 10.00 € one
    body = rma(oid, [("SKU-A", 2)], channel="web", exchange={"lines": [{"sku": "SKU-A", "quantity": 1}]})
    r = await client.post("/v1/returns", json=body, headers={**web, "Idempotency-Key": "rt-6"})
    assert r.status_code == 201, r.text
    ret = r.json()
    assert ret["exchange_credit"] == {"amount": 1299, "currency": "EUR"}
    again = await client.post("/v1/returns", json=body, headers={**web, "Idempotency-Key": "rt-6"})
    assert again.status_code == 200 and again.json()["id"] == ret["id"]
    new = (await client.get(f"/v1/orders/{ret['exchange_order_id']}", headers=keys.h("admin"))).json()
    assert new["channel"] == "web" and new["customer"] == placed["customer"]
    assert new["delivery"]["address"] == placed["delivery"]["address"] and new["status"] == "created"
    assert [(ln["sku"], ln["quantity"], ln["unit_price"]["amount"]) for ln in new["lines"]] == [("SKU-A", 1, 1299)]

    r = await client.post(f"/v1/returns/{ret['id']}/receive", headers=keys.h("admin"),
                          json={"node_id": "DC-PARIS", "lines": [{"sku": "SKU-A", "quantity": 2,
                                                                  "disposition": "restock"}]})
    assert r.status_code == 200, r.text
    assert r.json()["refunded"]["amount"] == 2000 - 1299 and r.json()["exchange_credit"]["amount"] == 0
    [refund] = await events_of(client, keys, oid, "refund.requested")
    assert refund["data"]["exchange_credit_used"] == 1299 and refund["data"]["amount"]["amount"] == 701


async def test_units_whose_value_the_exchange_takes_in_full_are_not_refunded(ctx, client):
    keys, _, placed = await delivered(ctx, client, "RT-6X", [("SKU-A", 2)])
    oid = placed["id"]
    body = rma(oid, [("SKU-A", 2)], channel="web", exchange={"lines": [{"sku": "SKU-A", "quantity": 1}]})
    r = await client.post("/v1/returns", json=body, headers=keys.h("web"))
    assert r.status_code == 201, r.text
    ret = r.json()
    one = {"node_id": "DC-PARIS", "lines": [{"sku": "SKU-A", "quantity": 1, "disposition": "restock"}]}

    # The first unit (10.00 €) goes to the exchange (12.99 €): nothing is refunded.
    r = await client.post(f"/v1/returns/{ret['id']}/receive", json=one, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["refunded"]["amount"] == 0 and r.json()["exchange_credit"]["amount"] == 1299 - 1000
    [covered] = await events_of(client, keys, oid, "refund.covered_by_exchange")
    assert covered["data"] == {"order_id": oid, "return_id": ret["id"], "amount": {"amount": 0, "currency": "EUR"},
                               "exchange_credit_used": 1000, "exchange_order_id": ret["exchange_order_id"],
                               "lines": [{"line_no": 1, "sku": "SKU-A", "quantity": 1, "amount": 1000}]}
    assert not await events_of(client, keys, oid, "refund.requested")

    # The second pays what the exchange still asks; the rest is refunded.
    r = await client.post(f"/v1/returns/{ret['id']}/receive", json=one, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["refunded"]["amount"] == 2000 - 1299 and r.json()["exchange_credit"]["amount"] == 0
    [refund] = await events_of(client, keys, oid, "refund.requested")
    assert refund["data"]["exchange_credit_used"] == 1299 - 1000 and refund["data"]["amount"]["amount"] == 701
    assert len(await events_of(client, keys, oid, "refund.covered_by_exchange")) == 1


# What a customer of the web shop gave it: no other channel reads it through a return.
WEB_CUSTOMER = ("Ada", "ada@example.com", "Rivoli")


async def test_only_the_orders_own_channel_asks_for_an_exchange_and_others_read_no_customer(ctx, client):
    keys, store, placed = await delivered(ctx, client, "RT-X", [("SKU-A", 3)])
    oid = placed["id"]
    app_key, _ = await create_key(ctx, role="channel", scope="app", name="app")
    app = {"Authorization": f"Bearer {app_key}"}
    exchange = {"lines": [{"sku": "SKU-A", "quantity": 1}]}
    body = problem(await client.post("/v1/returns", json=rma(oid, [("SKU-A", 2)], channel="app", exchange=exchange),
                                     headers=app), 403, "forbidden")
    assert not any(word in str(body) for word in (*WEB_CUSTOMER, "SKU-A", "1000", "1299"))
    assert (await client.get("/v1/returns", headers=keys.h("admin"))).json()["items"] == []
    listed = (await client.get("/v1/orders", headers=keys.h("admin"))).json()["items"]
    assert [o["id"] for o in listed] == [oid]  # no exchange order either

    # A return without exchange is the app's to start; what it reads of it names no customer.
    r = await client.post("/v1/returns", json=rma(oid, [("SKU-A", 1)], channel="app"), headers=app)
    assert r.status_code == 201, r.text
    read = await client.get(f"/v1/returns/{r.json()['id']}", headers=app)
    listed = await client.get("/v1/returns", headers=app)
    for answer in (r, read, listed):
        assert answer.status_code == 200 or answer is r
        assert not any(word in answer.text for word in WEB_CUSTOMER)
    assert r.json()["exchange_order_id"] is None

    # An admin starting the return at the store: the exchange is the web shop's order, not the store's.
    r = await client.post("/v1/returns", json=rma(oid, [("SKU-A", 2)], exchange=exchange), headers=keys.h("admin"))
    assert r.status_code == 201, r.text
    exchange_id = r.json()["exchange_order_id"]
    assert (await client.get(f"/v1/orders/{exchange_id}", headers=keys.h("web"))).json()["channel"] == "web"
    problem(await client.get(f"/v1/orders/{exchange_id}", headers=store), 404, "not_found")


async def test_a_return_from_another_channel_learns_nothing_of_the_orders_lines(ctx, client):
    keys, store, placed = await delivered(ctx, client, "RT-Y", [("SKU-A", 2)])
    oid = placed["id"]
    not_on_it = problem(await client.post("/v1/returns", json=rma(oid, [("SKU-B", 1)]), headers=store),
                        409, "conflict")
    too_many = problem(await client.post("/v1/returns", json=rma(oid, [("SKU-A", 3)]), headers=store),
                       409, "conflict")
    both = problem(await client.post("/v1/returns", json=rma(oid, [("SKU-B", 1), ("SKU-A", 3)]), headers=store),
                   409, "conflict")
    assert not_on_it["errors"] == too_many["errors"]
    assert [e["field"] for e in not_on_it["errors"]] == ["lines.0"]
    assert [e["field"] for e in both["errors"]] == ["lines.0", "lines.1"]
    assert not_on_it["detail"] == too_many["detail"]
    for body in (not_on_it, too_many, both):
        assert not any(word in str(body) for word in ("line 1", "2 units", "1000", *WEB_CUSTOMER))
    # The order's own channel is told why.
    body = problem(await client.post("/v1/returns", json=rma(oid, [("SKU-A", 3)], channel="web"),
                                     headers=keys.h("web")), 409, "conflict")
    assert "line 1 (SKU-A) has 2 units" in body["errors"][0]["reason"]
    body = problem(await client.post("/v1/returns", json=rma(oid, [("SKU-B", 1)], channel="web"),
                                     headers=keys.h("web")), 422, "invalid_input")
    assert body["errors"][0]["field"] == "lines.0.sku"


async def test_an_exchange_without_stock_stores_nothing(ctx, client):
    keys, store, placed = await delivered(ctx, client, "RT-7", [("SKU-C", 2)])
    r = await client.put("/v1/inventory", headers=keys.h("admin"),
                         json=[{"node_id": n, "sku": "SKU-A", "on_hand": 0} for n in ("DC-PARIS", "ST-PARIS")])
    assert r.status_code == 200, r.text
    body = rma(placed["id"], [("SKU-C", 2)], channel="web", exchange={"lines": [{"sku": "SKU-A", "quantity": 1}]})
    problem(await client.post("/v1/returns", json=body, headers=keys.h("web")), 409, "out_of_stock")
    assert (await client.get("/v1/returns", headers=keys.h("admin"))).json()["items"] == []
    assert not await events_of(client, keys, placed["id"], "return.created")


async def test_a_cancelled_exchange_leaves_the_whole_value_to_refund(ctx, client):
    keys, _, placed = await delivered(ctx, client, "RT-8", [("SKU-A", 2)])
    body = rma(placed["id"], [("SKU-A", 2)], channel="web", exchange={"lines": [{"sku": "SKU-A", "quantity": 1}]})
    ret = (await client.post("/v1/returns", json=body, headers=keys.h("web"))).json()
    r = await client.post(f"/v1/orders/{ret['exchange_order_id']}/cancel", json={"reason": "changed mind"},
                          headers=keys.h("web"))
    assert r.status_code == 200, r.text
    r = await client.post(f"/v1/returns/{ret['id']}/receive", headers=keys.h("admin"),
                          json={"node_id": "DC-PARIS", "lines": [{"sku": "SKU-A", "quantity": 2,
                                                                  "disposition": "restock"}]})
    assert r.json()["refunded"]["amount"] == 2000 and r.json()["exchange_credit"]["amount"] == 0


async def test_units_on_their_way_cannot_be_returned_and_a_parcel_back_is_not_returned_twice(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("RT-9", [("SKU-A", 1)]))
    fid = placed["fulfillments"][0]["id"]
    await confirm(client, keys.h("admin"), fid, "accept")
    await confirm(client, keys.h("admin"), fid, "ship", carrier="c", tracking_number="RT-9")
    problem(await client.post("/v1/returns", json=rma(placed["id"], [("SKU-A", 1)], channel="web"),
                              headers=keys.h("web")), 409, "conflict")  # not with the customer yet


async def test_an_idempotency_key_is_the_channels_own(ctx, client):
    keys, store, placed = await delivered(ctx, client, "RT-10", [("SKU-A", 2)])
    first = await client.post("/v1/returns", json=rma(placed["id"], [("SKU-A", 1)]),
                              headers={**store, "Idempotency-Key": "k-1"})
    other = await client.post("/v1/returns", json=rma(placed["id"], [("SKU-A", 1)], channel="web"),
                              headers={**keys.h("web"), "Idempotency-Key": "k-1"})
    assert first.status_code == other.status_code == 201 and first.json()["id"] != other.json()["id"]
