"""Order capture, idempotent replays and order listings, through HTTP, as a channel would use them."""

import pytest
from sqlalchemy import select, update

from oms.db import tables as t
from tests.support import HOME, WHY, all_stock, capture, order, problem, seed, sent_from, stock_of

LYON_HOME = {**HOME, "city": "Lyon", "postal_code": "69002", "lat": 45.7578, "lng": 4.8320}


# --- capture -----------------------------------------------------------------------------------------------


async def test_capture_answers_201_with_the_stored_order_and_reserves_its_units(ctx, client):
    keys = await seed(ctx, client)
    r = await client.post("/v1/orders", json=order("WEB-1", [("SKU-A", 2)]), headers=keys.h("web"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"].startswith("ord_")
    assert r.headers["location"] == f"/v1/orders/{body['id']}"
    assert body["status"] == "created"
    assert body["channel"] == "web" and body["external_ref"] == "WEB-1"
    assert body["customer"] == {"name": "Ada", "email": "ada@example.com"}
    assert body["total"] == {"amount": 2000, "currency": "EUR"}
    assert body["lines"] == [
        {"line_no": 1, "sku": "SKU-A", "quantity": 2, "cancelled": 0, "returned": 0,
         "unit_price": {"amount": 1000, "currency": "EUR"}}
    ]
    [ful] = body["fulfillments"]
    assert ful["id"].startswith("ful_") and ful["order_id"] == body["id"]
    assert ful["node_id"] == "ST-PARIS" and ful["status"] == "released"
    assert ful["lines"] == [
        {
            "line_no": 1,
            "sku": "SKU-A",
            "quantity": 2,
            "picked": None,
            "shipped": 0,
            "cancelled": 0,
            "short": 0,
            "reserved": 2,
            "supply_id": None,
        }
    ]
    got = await client.get(f"/v1/orders/{body['id']}", headers=keys.h("web"))
    assert got.status_code == 200 and got.json() == body
    inv = await stock_of(client, keys, "SKU-A")
    assert (inv["ST-PARIS"]["on_hand"], inv["ST-PARIS"]["reserved"], inv["ST-PARIS"]["available"]) == (5, 2, 3)
    assert inv["DC-PARIS"]["reserved"] == 0


@pytest.mark.parametrize(
    ("lines", "address", "node"),
    [
        # ST-PARIS is nearest to the Paris home and has 5 mugs.
        ([("SKU-A", 1)], HOME, "ST-PARIS"),
        # Six mugs: ST-PARIS has too few, the DC has them.
        ([("SKU-A", 6)], HOME, "DC-PARIS"),
        # A lamp to Lyon: ST-LYON is nearer than the DC.
        ([("SKU-B", 1)], LYON_HOME, "ST-LYON"),
        # Mug and lamp: ST-PARIS is nearer but has no lamp; one parcel from the DC beats a split.
        ([("SKU-A", 1), ("SKU-B", 1)], HOME, "DC-PARIS"),
        # Lamp and rug to Paris: only ST-LYON holds both, so it sends everything although far away.
        ([("SKU-B", 1), ("SKU-C", 1)], HOME, "ST-LYON"),
    ],
)
async def test_one_node_sending_everything_is_chosen_the_nearest_such(ctx, client, lines, address, node):
    keys = await seed(ctx, client)
    body = await capture(client, keys, order(lines=lines, address=address))
    assert sent_from(body) == {node: [(i + 1, sku, q) for i, (sku, q) in enumerate(lines)]}
    for sku, q in lines:
        inv = await stock_of(client, keys, sku)
        assert {n: row["reserved"] for n, row in inv.items() if row["reserved"]} == {node: q}


async def test_when_no_node_has_everything_each_line_goes_to_the_nearest_node_with_enough(ctx, client):
    keys = await seed(ctx, client)
    before = await all_stock(client, keys)
    body = await capture(client, keys, order(lines=[("SKU-A", 1), ("SKU-B", 2), ("SKU-C", 1)]))
    assert body["status"] == "created"
    assert sent_from(body) == {
        "ST-PARIS": [(1, "SKU-A", 1), (3, "SKU-C", 1)],
        "DC-PARIS": [(2, "SKU-B", 2)],
    }
    assert len({f["id"] for f in body["fulfillments"]}) == 2
    assert all(f["status"] == "released" for f in body["fulfillments"])
    after = await all_stock(client, keys)
    changed = {k: (v["on_hand"], v["reserved"]) for k, v in after.items() if v != before[k]}
    assert changed == {("ST-PARIS", "SKU-A"): (5, 1), ("ST-PARIS", "SKU-C"): (2, 1), ("DC-PARIS", "SKU-B"): (10, 2)}


async def test_a_line_is_never_split_between_nodes(ctx, client):
    keys = await seed(ctx, client)
    # Five rugs exist (2 in Paris, 3 in Lyon) but no node has four: the line cannot be served whole.
    r = await client.post("/v1/orders", json=order(lines=[("SKU-C", 4)]), headers=keys.h("web"))
    problem(r, 409, "out_of_stock")


async def test_click_and_collect_is_sent_to_the_store_from_the_nearest_node_with_the_goods(ctx, client):
    keys = await seed(ctx, client)
    body = await capture(
        client, keys, order("CC-1", [("SKU-A", 1)], mode="click_and_collect", pickup_node_id="ST-PARIS")
    )
    assert body["delivery"]["mode"] == "click_and_collect"
    assert body["delivery"]["pickup_node_id"] == "ST-PARIS"
    assert sent_from(body) == {"ST-PARIS": [(1, "SKU-A", 1)]}
    # The store has no lamp: the DC, nearest to the store with one, sends it there.
    body = await capture(
        client, keys, order("CC-2", [("SKU-B", 1)], mode="click_and_collect", pickup_node_id="ST-PARIS")
    )
    assert sent_from(body) == {"DC-PARIS": [(1, "SKU-B", 1)]}


async def test_locker_orders_come_from_a_node_serving_lockers(ctx, client):
    keys = await seed(ctx, client)
    # ST-PARIS is nearer the locker and has mugs, but only the DC sends locker orders.
    body = await capture(client, keys, order("LK-1", [("SKU-A", 1)], mode="locker", pickup_node_id="LK-PARIS"))
    assert body["delivery"]["pickup_node_id"] == "LK-PARIS"
    assert sent_from(body) == {"DC-PARIS": [(1, "SKU-A", 1)]}
    inv = await stock_of(client, keys, "SKU-A")
    assert inv["DC-PARIS"]["reserved"] == 1 and inv["ST-PARIS"]["reserved"] == 0


async def test_reserve_in_store_uses_the_stores_own_stock_only(ctx, client):
    keys = await seed(ctx, client)
    body = await capture(
        client, keys, order("RIS-1", [("SKU-C", 2)], mode="reserve_in_store", pickup_node_id="ST-PARIS")
    )
    assert sent_from(body) == {"ST-PARIS": [(1, "SKU-C", 2)]}
    before = await all_stock(client, keys)
    # ST-PARIS has no lamp; the DC has ten, but a reservation in store cannot be served from elsewhere.
    r = await client.post(
        "/v1/orders",
        json=order("RIS-2", [("SKU-B", 1)], mode="reserve_in_store", pickup_node_id="ST-PARIS"),
        headers=keys.h("web"),
    )
    problem(r, 409, "out_of_stock")
    assert await all_stock(client, keys) == before


def _mixed_currencies():
    body = order(lines=[("SKU-A", 1), ("SKU-B", 1)])
    body["lines"][1]["unit_price"]["currency"] = "USD"
    return body


def _without_address():
    body = order()
    del body["delivery"]["address"]
    return body


@pytest.mark.parametrize(
    ("body", "field", "reason_says"),
    [
        (order(lines=[("SKU-NOPE", 1)]), "lines.0.sku", "SKU-NOPE"),
        (order(lines=[("SKU-A", 1), ("SKU-NOPE", 1)]), "lines.1.sku", "SKU-NOPE"),
        (order(lines=[("SKU-A", 0)]), "lines.0.quantity", ""),
        (order(lines=[("SKU-A", -2)]), "lines.0.quantity", ""),
        (order(mode="locker", pickup_node_id="ST-PARIS"), "delivery.mode", "locker"),
        (order(mode="reserve_in_store", pickup_node_id="LK-PARIS"), "delivery.mode", "reserve_in_store"),
        (order(mode="click_and_collect", pickup_node_id="ST-NOWHERE"), "delivery.pickup_node_id", "ST-NOWHERE"),
        (_without_address(), "delivery", "address"),
        (_mixed_currencies(), "lines", "currency"),
    ],
    ids=[
        "unknown-sku",
        "unknown-sku-line-2",
        "zero-qty",
        "negative-qty",
        "locker-at-store",
        "reserve-at-locker",
        "unknown-pickup-node",
        "no-address",
        "mixed-currencies",
    ],
)
async def test_bad_orders_answer_422_naming_the_field_and_store_nothing(ctx, client, body, field, reason_says):
    keys = await seed(ctx, client)
    before = await all_stock(client, keys)
    r = await client.post("/v1/orders", json=body, headers=keys.h("web"))
    problem_body = problem(r, 422, "invalid_input")
    errors = problem_body["errors"]
    assert errors and all(set(e) == {"field", "reason"} for e in errors)
    # The field the client must fix (a more precise path below it is fine too).
    named = [e for e in errors if e["field"] == field or e["field"].startswith(field + ".")]
    assert named, errors
    assert any(reason_says in e["reason"] for e in named), errors
    listing = await client.get("/v1/orders", headers=keys.h("admin"))
    assert listing.json()["items"] == []
    assert await all_stock(client, keys) == before


async def test_out_of_stock_answers_409_naming_the_line_and_reserves_nothing(ctx, client):
    keys = await seed(ctx, client)
    before = await all_stock(client, keys)
    # The mug could be served, the ten rugs cannot: nothing at all is held.
    r = await client.post("/v1/orders", json=order(lines=[("SKU-A", 1), ("SKU-C", 10)]), headers=keys.h("web"))
    body = problem(r, 409, "out_of_stock")
    assert body["lines"] == [{"line_no": 2, "sku": "SKU-C", "quantity": 10}]
    assert await all_stock(client, keys) == before
    assert (await client.get("/v1/orders", headers=keys.h("admin"))).json()["items"] == []


async def test_safety_stock_and_earlier_reservations_limit_what_can_be_promised(ctx, client):
    keys = await seed(ctx, client)
    await capture(client, keys, order("R-1", [("SKU-C", 2)]))  # both Paris rugs
    body = await capture(client, keys, order("R-2", [("SKU-C", 1)]))
    assert sent_from(body) == {"ST-LYON": [(1, "SKU-C", 1)]}
    r = await client.put(
        "/v1/inventory",
        headers=keys.h("admin"),
        json=[{"node_id": "ST-LYON", "sku": "SKU-C", "on_hand": 3, "safety_stock": 2}],
    )
    assert r.status_code == 200, r.text
    # Lyon: 3 on hand, 1 reserved, 2 kept as safety stock: nothing left to promise.
    r = await client.post("/v1/orders", json=order("R-3", [("SKU-C", 1)]), headers=keys.h("web"))
    problem(r, 409, "out_of_stock")


# --- idempotency -------------------------------------------------------------------------------------------


async def test_the_same_idempotency_key_answers_200_with_the_first_order(ctx, client):
    keys = await seed(ctx, client)
    headers = {**keys.h("web"), "Idempotency-Key": "idem-1"}
    first = await client.post("/v1/orders", json=order("IK-1", [("SKU-A", 2)]), headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post("/v1/orders", json=order("IK-1", [("SKU-A", 2)]), headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["lines"] == first.json()["lines"]
    inv = await stock_of(client, keys, "SKU-A")
    assert sum(row["reserved"] for row in inv.values()) == 2
    listing = await client.get("/v1/orders", headers=keys.h("web"))
    assert [o["id"] for o in listing.json()["items"]] == [first.json()["id"]]


async def test_the_same_channel_reference_answers_200_and_reserves_nothing_more(ctx, client):
    keys = await seed(ctx, client)
    first = await capture(client, keys, order("EXT-9", [("SKU-A", 1), ("SKU-B", 1)]))
    before = await all_stock(client, keys)
    again = await client.post("/v1/orders", json=order("EXT-9", [("SKU-A", 1), ("SKU-B", 1)]), headers=keys.h("web"))
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"]
    assert again.headers["location"] == f"/v1/orders/{first['id']}"
    assert await all_stock(client, keys) == before
    # The same reference from another channel is another order.
    other = await capture(client, keys, order("EXT-9", [("SKU-A", 1)], channel="marketplace"), who="marketplace")
    assert other["id"] != first["id"] and other["channel"] == "marketplace"


async def test_a_replay_answers_the_first_order_even_when_its_stock_is_gone(ctx, client):
    keys = await seed(ctx, client)
    first = await capture(client, keys, order("LAST-3", [("SKU-C", 3)]))  # all of Lyon's rugs
    again = await client.post("/v1/orders", json=order("LAST-3", [("SKU-C", 3)]), headers=keys.h("web"))
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"]
    inv = await stock_of(client, keys, "SKU-C")
    assert inv["ST-LYON"]["reserved"] == 3 and inv["ST-PARIS"]["reserved"] == 0


async def test_the_same_channel_reference_with_another_body_is_refused_naming_the_first_order(ctx, client):
    keys = await seed(ctx, client)
    first = await capture(client, keys, order("EXT-10", [("SKU-A", 1)]))
    before = await all_stock(client, keys)
    for changed in (order("EXT-10", [("SKU-A", 1), ("SKU-B", 2)]),  # another line
                    {**order("EXT-10", [("SKU-A", 1)]), "customer": {"name": "Bob", "email": "bob@example.com"}},
                    order("EXT-10", [("SKU-A", 1)], address={**HOME, "line1": "3 rue du Bac"})):
        r = await client.post("/v1/orders", json=changed, headers=keys.h("web"))
        body = problem(r, 409, "idempotency_conflict")
        assert body["order_id"] == first["id"] and first["id"] in body["detail"]
    assert await all_stock(client, keys) == before
    stored = (await client.get(f"/v1/orders/{first['id']}", headers=keys.h("web"))).json()
    assert stored["customer"]["name"] == "Ada" and [x["sku"] for x in stored["lines"]] == ["SKU-A"]
    # The same request again, written differently (spacing, a default spelled out), is the same order.
    same = order("EXT-10", [("SKU-A", 1)])
    same["customer"]["name"] = "  Ada "
    same["hold_id"] = None
    again = await client.post("/v1/orders", json=same, headers=keys.h("web"))
    assert again.status_code == 200 and again.json()["id"] == first["id"], again.text


async def test_the_same_idempotency_key_with_another_body_is_refused(ctx, client):
    keys = await seed(ctx, client)
    headers = {**keys.h("web"), "Idempotency-Key": "idem-2"}
    first = await client.post("/v1/orders", json=order("IK-2", [("SKU-A", 2)]), headers=headers)
    assert first.status_code == 201, first.text
    r = await client.post("/v1/orders", json=order("IK-2", [("SKU-A", 3)]), headers=headers)
    assert problem(r, 409, "idempotency_conflict")["order_id"] == first.json()["id"]
    assert sum(row["reserved"] for row in (await stock_of(client, keys, "SKU-A")).values()) == 2


async def test_a_cancelled_order_answers_only_its_own_replay(ctx, client):
    keys = await seed(ctx, client)
    first = await capture(client, keys, order("EXT-11", [("SKU-A", 1)]))
    r = await client.post(f"/v1/orders/{first['id']}/cancel", json={"reason": "customer called"},
                          headers=keys.h("web"))
    assert r.status_code == 200, r.text
    r = await client.post("/v1/orders", json=order("EXT-11", [("SKU-B", 1)]), headers=keys.h("web"))
    assert problem(r, 409, "idempotency_conflict")["order_id"] == first["id"]
    again = await client.post("/v1/orders", json=order("EXT-11", [("SKU-A", 1)]), headers=keys.h("web"))
    assert again.status_code == 200 and again.json()["status"] == "cancelled", again.text


async def test_orders_captured_before_fingerprints_are_answered_by_reference_as_before(ctx, client):
    keys = await seed(ctx, client)
    first = await capture(client, keys, order("EXT-12", [("SKU-A", 1)]))
    async with ctx.db.write() as conn:  # as stored before the fingerprint was kept
        await conn.execute(update(t.orders).where(t.orders.c.id == first["id"]).values(request_hash=None))
    r = await client.post("/v1/orders", json=order("EXT-12", [("SKU-A", 2)]), headers=keys.h("web"))
    assert r.status_code == 200 and r.json()["id"] == first["id"], r.text


# --- events ------------------------------------------------------------------------------------------------


async def test_capture_writes_order_created_to_the_timeline_and_the_outbox(ctx, client):
    keys = await seed(ctx, client)
    body = await capture(client, keys, order("EV-1", [("SKU-A", 1)]))
    r = await client.get(f"/v1/orders/{body['id']}/events", headers=keys.h("web"))
    assert r.status_code == 200, r.text
    created, released = r.json()
    assert created["type"] == "order.created"
    assert created["actor"] == "channel:web"
    # The node's work goes out with it: the lines, the customer and where it goes (a WMS works from it).
    assert released["type"] == "fulfillment.released"
    assert released["data"]["id"] == body["fulfillments"][0]["id"] and released["data"]["node_id"] == "ST-PARIS"
    assert released["data"]["order"]["delivery"]["address"] == body["delivery"]["address"]
    assert released["data"]["order"]["customer"] == body["customer"]
    assert [(x["sku"], x["quantity"]) for x in released["data"]["lines"]] == [("SKU-A", 1)]
    assert created["occurred_at"] == body["created_at"]
    assert created["data"]["id"] == body["id"]
    assert created["data"]["fulfillments"][0]["node_id"] == "ST-PARIS"
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(t.events).where(t.events.c.order_id == body["id"]))).all()
    # Waiting in the outbox for the relay to publish it.
    assert [(row.type, row.published_at) for row in rows] == [("order.created", None), ("fulfillment.released", None)]


# --- listing -----------------------------------------------------------------------------------------------


async def test_orders_are_listed_newest_first_in_pages_that_cover_everything_once(ctx, client):
    keys = await seed(ctx, client)
    made = [(await capture(client, keys, order(f"P-{i}", [("SKU-A", 1)])))["id"] for i in range(5)]
    seen, pages, cursor = [], 0, None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/v1/orders", params=params, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 2
        seen += [o["id"] for o in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(made))


async def test_orders_can_be_filtered_by_channel_status_and_customer(ctx, client):
    keys = await seed(ctx, client)
    web1 = await capture(client, keys, order("F-1", [("SKU-A", 1)]))
    web2 = order("F-2", [("SKU-A", 1)])
    web2["customer"] = {"name": "Grace", "email": "grace@example.com"}
    web2 = await capture(client, keys, web2)
    mkt = await capture(client, keys, order("F-3", [("SKU-A", 1)], channel="marketplace"), who="marketplace")
    r = await client.post(f"/v1/orders/{web1['id']}/cancel", json=WHY, headers=keys.h("web"))
    assert r.status_code == 200, r.text

    async def ids(**params):
        r = await client.get("/v1/orders", params=params, headers=keys.h("admin"))
        assert r.status_code == 200, r.text
        return {o["id"] for o in r.json()["items"]}

    assert await ids() == {web1["id"], web2["id"], mkt["id"]}
    assert await ids(channel="web") == {web1["id"], web2["id"]}
    assert await ids(channel="marketplace") == {mkt["id"]}
    assert await ids(status="cancelled") == {web1["id"]}
    assert await ids(status="created") == {web2["id"], mkt["id"]}
    assert await ids(customer_email="grace@example.com") == {web2["id"]}
    assert await ids(channel="web", status="created", customer_email="ada@example.com") == set()


async def test_a_made_up_cursor_is_refused_with_422(ctx, client):
    keys = await seed(ctx, client)
    r = await client.get("/v1/orders", params={"cursor": "not-a-cursor!"}, headers=keys.h("admin"))
    body = problem(r, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["cursor"]


async def test_an_unknown_order_is_404(ctx, client):
    keys = await seed(ctx, client)
    for path in ("/v1/orders/ord_nope", "/v1/orders/ord_nope/events"):
        problem(await client.get(path, headers=keys.h("admin")), 404, "not_found")
    problem(await client.post("/v1/orders/ord_nope/cancel", json=WHY, headers=keys.h("admin")), 404, "not_found")
