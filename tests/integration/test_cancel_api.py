"""Cancelling whole orders and some of their units, through HTTP: statuses and released stock."""

from oms.services.reference.keys import create_key
from tests.support import (
    WHY,
    accepted_order,
    act,
    all_stock,
    capture,
    confirm,
    ful_at,
    on_hand_reserved,
    order,
    problem,
    seed,
)

SPLIT = [("SKU-A", 1), ("SKU-B", 2), ("SKU-C", 1)]  # ST-PARIS sends lines 1 and 3, DC-PARIS line 2


async def cancel(client, keys, order_id, body=None, who="web"):
    return await client.post(f"/v1/orders/{order_id}/cancel", json={**WHY, **(body or {})}, headers=keys.h(who))


async def cancel_ok(client, keys, order_id, body=None) -> dict:
    """Cancel as the web channel, assert 200 and answer the order view."""
    r = await cancel(client, keys, order_id, body)
    assert r.status_code == 200, r.text
    return r.json()


async def test_cancelling_the_whole_order_releases_every_reservation(ctx, client):
    keys = await seed(ctx, client)
    before = await all_stock(client, keys)
    placed = await capture(client, keys, order("X-1", SPLIT))
    assert await all_stock(client, keys) != before

    view = await cancel_ok(client, keys, placed["id"], {"reason": "customer changed their mind"})
    assert view["status"] == "cancelled"
    assert [ln["cancelled"] for ln in view["lines"]] == [1, 2, 1]
    assert {f["status"] for f in view["fulfillments"]} == {"cancelled"}
    assert all(fl["reserved"] == 0 for f in view["fulfillments"] for fl in f["lines"])
    assert await all_stock(client, keys) == before
    got = await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("web"))
    assert got.json() == view

    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("web"))).json()
    [cancelled] = [e for e in events if e["type"] == "order.cancelled"]
    assert cancelled["actor"] == "channel:web" and cancelled["reason"] == "customer changed their mind"

    again = problem(await cancel(client, keys, placed["id"]), 409, "illegal_transition")
    assert again["current_status"] == "cancelled"
    assert await all_stock(client, keys) == before


async def test_a_cancelled_fulfillment_cannot_be_confirmed_any_more(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("X-2", [("SKU-A", 1)]))
    assert (await cancel(client, keys, placed["id"])).status_code == 200
    fid = placed["fulfillments"][0]["id"]
    body = problem(await act(client, keys.h("store_paris"), fid, "accept"), 409, "illegal_transition")
    assert (body["current_status"], body["requested_status"]) == ("cancelled", "accepted")


async def test_cancelling_some_units_of_a_line_by_sku_releases_only_those(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("X-3", [("SKU-A", 3)]))
    view = await cancel_ok(client, keys, placed["id"], {"lines": [{"sku": "SKU-A", "quantity": 1}]})
    assert view["status"] == "created"
    assert view["lines"][0]["quantity"] == 3 and view["lines"][0]["cancelled"] == 1
    f = ful_at(view, "ST-PARIS")
    assert f["status"] == "released"
    assert (f["lines"][0]["cancelled"], f["lines"][0]["reserved"]) == (1, 2)
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 2)
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("web"))).json()
    assert "order.lines_cancelled" in [e["type"] for e in events]


async def test_cancelling_a_line_by_number_leaves_the_other_nodes_work_alone(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("X-4", SPLIT))
    before = await all_stock(client, keys)
    view = await cancel_ok(client, keys, placed["id"], {"lines": [{"line_no": 2}]})
    assert view["status"] == "created"
    assert [ln["cancelled"] for ln in view["lines"]] == [0, 2, 0]
    assert ful_at(view, "DC-PARIS")["status"] == "cancelled"
    assert ful_at(view, "ST-PARIS")["status"] == "released"
    after = await all_stock(client, keys)
    changed = {k: (v["on_hand"], v["reserved"]) for k, v in after.items() if v != before[k]}
    assert changed == {("DC-PARIS", "SKU-B"): (10, 0)}


async def test_cancelling_every_remaining_unit_line_by_line_cancels_the_order(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("X-5", [("SKU-A", 2)]))
    await cancel(client, keys, placed["id"], {"lines": [{"sku": "SKU-A", "quantity": 1}]})
    view = await cancel_ok(client, keys, placed["id"], {"lines": [{"line_no": 1, "quantity": 1}]})
    assert view["status"] == "cancelled"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 0)


async def test_cancelling_a_picked_order_puts_the_units_back(ctx, client):
    keys, placed, fid = await accepted_order(ctx, client, "X-6", [("SKU-A", 2)])
    await confirm(client, keys.h("store_paris"), fid, "pick")
    assert (await cancel_ok(client, keys, placed["id"]))["status"] == "cancelled"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 0)


async def test_an_order_awaiting_sourcing_after_a_short_pick_can_be_cancelled(ctx, client):
    keys, placed, fid = await accepted_order(ctx, client, "X-7", [("SKU-A", 3)])
    # No other node has the SKU: the units not found cannot be sourced again.
    r = await client.put("/v1/inventory", json=[{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 0}],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    picked = await confirm(client, keys.h("store_paris"), fid, "pick", lines=[{"sku": "SKU-A", "quantity": 1}])
    assert picked["status"] == "awaiting_sourcing"
    assert picked["at_risk"]["missing"] == [{"line_no": 1, "sku": "SKU-A", "quantity": 2}]
    view = await cancel_ok(client, keys, placed["id"])
    assert view["status"] == "cancelled"
    assert view["lines"][0]["cancelled"] == 3
    assert view["at_risk"] is None
    # The two units not found stay written off; the one found is free again.
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (3, 0)


async def test_nothing_can_be_cancelled_once_it_has_left_the_node(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("X-8", SPLIT))
    store_ful = ful_at(placed, "ST-PARIS")["id"]
    await confirm(client, keys.h("store_paris"), store_ful, "accept")
    await confirm(client, keys.h("store_paris"), store_ful, "ship")
    before = await all_stock(client, keys)

    problem(await cancel(client, keys, placed["id"]), 409, "conflict")
    body = problem(await cancel(client, keys, placed["id"], {"lines": [{"sku": "SKU-A"}]}), 409, "conflict")
    assert [e["field"] for e in body["errors"]] == ["lines.0.quantity"]
    problem(await cancel(client, keys, placed["id"], {"lines": [{"line_no": 3, "quantity": 1}]}), 409, "conflict")
    assert await all_stock(client, keys) == before
    got = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("web"))).json()
    assert got["status"] == "partially_shipped"
    assert [ln["cancelled"] for ln in got["lines"]] == [0, 0, 0]

    # The part still at the DC can be cancelled; the order is then wholly shipped.
    assert (await cancel_ok(client, keys, placed["id"], {"lines": [{"line_no": 2}]}))["status"] == "shipped"
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (10, 0)


async def test_cancelling_more_units_than_are_left_is_409_and_changes_nothing(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("X-9", [("SKU-A", 2), ("SKU-B", 1)]))
    before = await all_stock(client, keys)
    body = problem(
        await cancel(client, keys, placed["id"], {"lines": [{"sku": "SKU-A", "quantity": 3}]}), 409, "conflict"
    )
    assert [e["field"] for e in body["errors"]] == ["lines.0.quantity"]
    # Two requests for the same line add up: 2 + 1 is more than the 2 on the line.
    body = problem(
        await cancel(
            client, keys, placed["id"], {"lines": [{"line_no": 1, "quantity": 2}, {"sku": "SKU-A", "quantity": 1}]}
        ),
        409,
        "conflict",
    )
    assert [e["field"] for e in body["errors"]] == ["lines.1.quantity"]
    assert await all_stock(client, keys) == before
    got = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("web"))).json()
    assert [ln["cancelled"] for ln in got["lines"]] == [0, 0]


async def test_a_cancel_naming_no_line_of_the_order_is_refused(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("X-10", [("SKU-A", 1)]))
    r = await cancel(client, keys, placed["id"], {"lines": [{"sku": "SKU-C", "quantity": 1}]})
    assert r.status_code in (409, 422), r.text
    assert [e["field"] for e in r.json()["errors"]] == ["lines.0"]
    body = problem(
        await cancel(client, keys, placed["id"], {"lines": [{"sku": "SKU-A", "line_no": 1}]}), 422, "invalid_input"
    )
    assert body["errors"][0]["field"].startswith("lines.0")


async def test_only_the_orders_channel_or_an_admin_may_cancel(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("X-11", [("SKU-A", 1)]))
    for who, status, code in (("marketplace", 404, "not_found"), ("viewer", 403, "forbidden"),
                              ("store_paris", 403, "forbidden")):
        problem(await cancel(client, keys, placed["id"], who=who), status, code)
    assert (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("web"))).json()["status"] == "created"
    second_web, _ = await create_key(ctx, role="channel", scope="web", name="web 2")
    r = await client.post(
        f"/v1/orders/{placed['id']}/cancel", json=WHY, headers={"Authorization": f"Bearer {second_web}"}
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
