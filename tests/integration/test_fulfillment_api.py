"""Node confirmations through HTTP: the order's status, the stock and the timeline as a user checks them."""

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from oms.db import tables as t
from oms.services.reference.keys import create_key
from tests.support import (
    WHY,
    accepted_order,
    act,
    capture,
    confirm,
    ful_at,
    on_hand_reserved,
    order,
    problem,
    seed,
    stock_of,
)


async def order_status(client, keys, order_id) -> str:
    r = await client.get(f"/v1/orders/{order_id}", headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    return r.json()["status"]


async def dc_key(ctx) -> dict:
    key, _ = await create_key(ctx, role="node", scope="DC-PARIS", name="dc")
    return {"Authorization": f"Bearer {key}"}


# --- home delivery -----------------------------------------------------------------------------------------


async def test_accept_pick_ship_deliver_moves_the_order_and_takes_the_units_out_of_stock(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("H-1", [("SKU-A", 2)]))
    fid = ful_at(placed, "ST-PARIS")["id"]
    store = keys.h("store_paris")

    view = await confirm(client, store, fid, "accept")
    assert view["id"] == placed["id"] and view["status"] == "accepted"
    assert ful_at(view, "ST-PARIS")["status"] == "accepted"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 2)

    view = await confirm(client, store, fid, "pick")
    assert view["status"] == "picked"
    assert ful_at(view, "ST-PARIS")["lines"][0]["picked"] == 2
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 2)

    view = await confirm(client, store, fid, "ship", carrier="colissimo", tracking_number="6A123")
    assert view["status"] == "shipped"
    f = ful_at(view, "ST-PARIS")
    assert f["status"] == "shipped"
    assert f["details"]["carrier"] == "colissimo" and f["details"]["tracking_number"] == "6A123"
    assert f["lines"][0]["shipped"] == 2 and f["lines"][0]["reserved"] == 0
    inv = (await stock_of(client, keys, "SKU-A"))["ST-PARIS"]
    assert (inv["on_hand"], inv["reserved"], inv["available"]) == (3, 0, 3)

    view = await confirm(client, store, fid, "deliver")
    assert view["status"] == "delivered"
    assert await order_status(client, keys, placed["id"]) == "delivered"
    r = await client.get(f"/v1/fulfillments/{fid}", headers=store)
    assert r.status_code == 200 and r.json()["status"] == "delivered"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (3, 0)


async def test_a_warehouse_packs_into_weighed_parcels_before_shipping(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("PK-1", [("SKU-A", 2)]))
    fid = ful_at(placed, "ST-PARIS")["id"]
    store = keys.h("store_paris")
    await confirm(client, store, fid, "accept")
    await confirm(client, store, fid, "pick")
    bad = problem(await act(client, store, fid, "pack"), 422, "invalid_input")
    assert [e["field"] for e in bad["errors"]] == ["parcels"]
    bad = problem(await act(client, store, fid, "pack", parcels=[{"weight_g": 0}]), 422, "invalid_input")
    assert bad["errors"][0]["field"].startswith("parcels.0.weight_g")
    parcels = [{"weight_g": 420, "reference": "BOX-1"}, {"weight_g": 380}]
    view = await confirm(client, store, fid, "pack", parcels=parcels)
    assert view["status"] == "packed" and ful_at(view, "ST-PARIS")["details"]["parcels"] == parcels
    assert await confirm(client, store, fid, "pack", parcels=parcels) == view  # sent again: the same answer
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 2)  # still on the shelf's count
    problem(await act(client, store, fid, "pick"), 409, "illegal_transition")
    view = await confirm(client, store, fid, "ship", carrier="colissimo", tracking_number="6A124")
    assert view["status"] == "shipped" and ful_at(view, "ST-PARIS")["details"]["parcels"] == parcels
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (3, 0)


async def test_packed_work_can_still_be_cancelled(ctx, client):
    keys, placed, fid = await accepted_order(ctx, client, "PK-2", [("SKU-A", 2)])
    await confirm(client, keys.h("store_paris"), fid, "pack", parcels=[{"weight_g": 800}])
    r = await client.post(f"/v1/orders/{placed['id']}/cancel", json=WHY, headers=keys.h("web"))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 0)


async def test_a_node_may_ship_without_confirming_the_pick(ctx, client):
    keys, _, fid = await accepted_order(ctx, client, "H-2", [("SKU-A", 1)])
    view = await confirm(client, keys.h("store_paris"), fid, "ship")
    assert view["status"] == "shipped"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (4, 0)


async def test_a_two_node_order_is_partially_shipped_until_both_parts_leave(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("S-1", [("SKU-A", 1), ("SKU-B", 2), ("SKU-C", 1)]))
    store, dc = ful_at(placed, "ST-PARIS")["id"], ful_at(placed, "DC-PARIS")["id"]
    dc_h = await dc_key(ctx)

    assert (await confirm(client, keys.h("store_paris"), store, "accept"))["status"] == "created"
    assert (await confirm(client, dc_h, dc, "accept"))["status"] == "accepted"
    assert (await confirm(client, keys.h("store_paris"), store, "ship", carrier="dpd"))["status"] == "partially_shipped"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (4, 0)
    assert await on_hand_reserved(client, keys, "SKU-C", "ST-PARIS") == (1, 0)
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (10, 2)

    assert (await confirm(client, dc_h, dc, "ship", carrier="ups"))["status"] == "shipped"
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (8, 0)
    assert (await confirm(client, dc_h, dc, "deliver"))["status"] == "partially_delivered"
    assert (await confirm(client, keys.h("store_paris"), store, "deliver"))["status"] == "delivered"


# --- pickup ------------------------------------------------------------------------------------------------


async def test_click_and_collect_ready_then_collected_with_the_pickup_code(ctx, client):
    keys, placed, fid = await accepted_order(
        ctx, client, "C-1", [("SKU-A", 2)], mode="click_and_collect", pickup_node_id="ST-PARIS"
    )
    store = keys.h("store_paris")
    view = await confirm(client, store, fid, "ready")
    assert view["status"] == "ready_for_pickup"
    code = ful_at(view, "ST-PARIS")["details"]["pickup_code"]
    assert re.fullmatch(r"\d{6}", code)
    # Still on the shelf for the customer: held, not gone.
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 2)

    wrong = "000000" if code != "000000" else "111111"
    body = problem(await act(client, store, fid, "collect", pickup_code=wrong), 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["pickup_code"]
    problem(await act(client, store, fid, "collect"), 422, "invalid_input")
    assert await order_status(client, keys, placed["id"]) == "ready_for_pickup"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 2)

    view = await confirm(client, store, fid, "collect", pickup_code=code)
    assert view["status"] == "collected"
    assert ful_at(view, "ST-PARIS")["lines"][0]["shipped"] == 2
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (3, 0)


async def test_the_node_may_set_its_own_pickup_code(ctx, client):
    keys, _, fid = await accepted_order(
        ctx, client, "C-2", [("SKU-C", 1)], mode="reserve_in_store", pickup_node_id="ST-PARIS"
    )
    view = await confirm(client, keys.h("store_paris"), fid, "ready", pickup_code="ADA-42")
    assert ful_at(view, "ST-PARIS")["details"]["pickup_code"] == "ADA-42"
    assert (await confirm(client, keys.h("store_paris"), fid, "collect", pickup_code="ADA-42"))["status"] == "collected"


async def test_click_and_collect_sent_from_the_dc_is_handed_over_by_the_store(ctx, client):
    keys = await seed(ctx, client)
    # ST-PARIS has no lamp: the DC sends it to the store, where the customer collects it.
    placed = await capture(
        client, keys, order("C-3", [("SKU-B", 1)], mode="click_and_collect", pickup_node_id="ST-PARIS")
    )
    fid = ful_at(placed, "DC-PARIS")["id"]
    dc_h = await dc_key(ctx)
    await confirm(client, dc_h, fid, "accept")
    assert (await confirm(client, dc_h, fid, "ship", carrier="internal"))["status"] == "shipped"
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (9, 0)
    # The store where the parcel arrives finds it in its queue, confirms it ready, then hands it over.
    r = await client.get("/v1/fulfillments", headers=keys.h("store_paris"))
    assert r.status_code == 200, r.text
    [arriving] = [f for f in r.json()["items"] if f["order_id"] == placed["id"]]
    view = await confirm(client, keys.h("store_paris"), arriving["id"], "ready")
    assert view["status"] == "ready_for_pickup"
    [code] = [f["details"]["pickup_code"] for f in view["fulfillments"] if "pickup_code" in f["details"]]
    view = await confirm(client, keys.h("store_paris"), arriving["id"], "collect", pickup_code=code)
    assert view["status"] == "collected"
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (9, 0)


# --- short pick and reject ---------------------------------------------------------------------------------


async def test_a_short_pick_writes_off_the_missing_units_and_sources_them_again(ctx, client):
    keys, placed, fid = await accepted_order(ctx, client, "SP-1", [("SKU-A", 3)])
    store = keys.h("store_paris")
    view = await confirm(client, store, fid, "pick", lines=[{"sku": "SKU-A", "quantity": 1}], reason="shelf empty")
    assert [f["node_id"] for f in view["fulfillments"]] == ["ST-PARIS"]  # the store's key sees its own only
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    # The two units not found come from the DC, the only other node with the SKU.
    again = ful_at(view, "DC-PARIS")
    assert (again["status"], again["lines"][0]["quantity"], again["lines"][0]["reserved"]) == ("released", 2, 2)
    assert view["status"] == "created" and view["at_risk"] is None
    assert await on_hand_reserved(client, keys, "SKU-A", "DC-PARIS") == (100, 2)
    line = ful_at(view, "ST-PARIS")["lines"][0]
    assert (line["picked"], line["short"], line["reserved"]) == (1, 2, 1)
    # The two units not found are gone from on-hand; the one found is still held.
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (3, 1)
    async with ctx.db.read() as conn:
        moves = (
            await conn.execute(
                select(t.movements.c.delta, t.movements.c.reason).where(
                    t.movements.c.node_id == "ST-PARIS",
                    t.movements.c.sku == "SKU-A",
                    t.movements.c.reason == "short_pick",
                )
            )
        ).all()
    assert [tuple(m) for m in moves] == [(-2, "short_pick")]
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    [short] = [e for e in events if e["type"] == "fulfillment.short_picked"]
    assert short["reason"] == "shelf empty" and short["actor"] == "node:ST-PARIS"


async def test_nothing_found_cancels_the_fulfillment_and_the_units_are_sourced_again(ctx, client):
    keys, placed, fid = await accepted_order(ctx, client, "SP-2", [("SKU-A", 2)])
    await confirm(client, keys.h("store_paris"), fid, "pick", lines=[{"sku": "SKU-A", "quantity": 0}])
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    assert view["status"] == "created"
    assert ful_at(view, "ST-PARIS")["status"] == "cancelled"
    assert ful_at(view, "DC-PARIS")["lines"][0]["reserved"] == 2
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (3, 0)


async def test_picking_more_than_ordered_or_another_sku_is_refused(ctx, client):
    keys, placed, fid = await accepted_order(ctx, client, "SP-3", [("SKU-A", 2)])
    store = keys.h("store_paris")
    problem(await act(client, store, fid, "pick", lines=[{"sku": "SKU-A", "quantity": 3}]), 422, "invalid_input")
    body = problem(
        await act(client, store, fid, "pick", lines=[{"sku": "SKU-C", "quantity": 1}]), 422, "invalid_input"
    )
    assert "lines.0.sku" in [e["field"] for e in body["errors"]]
    assert await order_status(client, keys, placed["id"]) == "accepted"
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (5, 2)


async def test_a_rejection_releases_the_reservation_and_the_units_are_sourced_again(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("RJ-1", [("SKU-A", 2)]))
    fid = placed["fulfillments"][0]["id"]
    await confirm(client, keys.h("store_paris"), fid, "reject", reason="flooded stock room")
    view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    assert view["status"] == "created"
    assert ful_at(view, "DC-PARIS")["details"]["resourced"] == "ST-PARIS rejected them"
    f = ful_at(view, "ST-PARIS")
    assert f["status"] == "rejected" and f["details"]["reject_reason"] == "flooded stock room"
    assert f["lines"][0]["reserved"] == 0
    inv = (await stock_of(client, keys, "SKU-A"))["ST-PARIS"]
    assert (inv["on_hand"], inv["reserved"], inv["available"]) == (5, 0, 5)
    # Rejected is final: the node cannot change its mind.
    body = problem(await act(client, keys.h("store_paris"), fid, "accept"), 409, "illegal_transition")
    assert (body["current_status"], body["requested_status"]) == ("rejected", "accepted")


# --- illegal moves -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "before", "action", "current", "requested"),
    [
        ("home_standard", [], "ship", "released", "shipped"),
        ("home_standard", [], "pick", "released", "picked"),
        ("home_standard", ["accept", "ship", "deliver"], "ship", "delivered", "shipped"),
        ("home_standard", ["accept", "pick"], "accept", "picked", "accepted"),
        ("home_standard", ["accept"], "ready", "accepted", "ready_for_pickup"),
        ("home_standard", ["accept", "ship"], "collect", "shipped", "collected"),
        # Collected where it is kept: nothing is shipped.
        ("click_and_collect", ["accept"], "ship", "accepted", "shipped"),
        ("click_and_collect", ["accept", "ready"], "deliver", "ready_for_pickup", "delivered"),
        ("click_and_collect", ["accept"], "reject", "accepted", "rejected"),
    ],
)
async def test_an_illegal_move_is_409_naming_both_statuses_and_changes_nothing(
    ctx, client, mode, before, action, current, requested
):
    keys = await seed(ctx, client)
    where = {"pickup_node_id": "ST-PARIS"} if mode != "home_standard" else {}
    placed = await capture(client, keys, order("IL-1", [("SKU-A", 1)], mode=mode, **where))
    fid = placed["fulfillments"][0]["id"]
    for step in before:
        await confirm(client, keys.h("store_paris"), fid, step)
    order_before = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    stock_before = await stock_of(client, keys, "SKU-A")

    body = problem(await act(client, keys.h("store_paris"), fid, action, reason="none left"), 409,
                   "illegal_transition")
    assert body["current_status"] == current and body["requested_status"] == requested
    assert current in body["detail"] and requested in body["detail"]
    assert (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json() == order_before
    assert await stock_of(client, keys, "SKU-A") == stock_before


async def test_an_unknown_action_is_422_and_an_unknown_fulfillment_404(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("U-1", [("SKU-A", 1)]))
    fid = placed["fulfillments"][0]["id"]
    body = problem(await act(client, keys.h("admin"), fid, "teleport"), 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["action"]
    problem(await act(client, keys.h("admin"), "ful_nope", "accept"), 404, "not_found")
    problem(await client.get("/v1/fulfillments/ful_nope", headers=keys.h("admin")), 404, "not_found")
    assert await order_status(client, keys, placed["id"]) == "created"


# --- queue and timeline ------------------------------------------------------------------------------------


async def test_a_nodes_queue_lists_its_work_by_status(ctx, client):
    keys = await seed(ctx, client)
    a = await capture(client, keys, order("Q-1", [("SKU-A", 1)]))
    b = await capture(client, keys, order("Q-2", [("SKU-A", 1)]))
    await confirm(client, keys.h("store_paris"), a["fulfillments"][0]["id"], "accept")

    async def queue(**params):
        r = await client.get("/v1/fulfillments", params=params, headers=keys.h("store_paris"))
        assert r.status_code == 200, r.text
        return [f["order_id"] for f in r.json()["items"]]

    assert await queue() == [a["id"], b["id"]]  # oldest first
    assert await queue(status="released") == [b["id"]]
    assert await queue(status="accepted") == [a["id"]]
    first = (await client.get("/v1/fulfillments", params={"limit": 1}, headers=keys.h("store_paris"))).json()
    assert [f["order_id"] for f in first["items"]] == [a["id"]]
    second = (
        await client.get(
            "/v1/fulfillments", params={"limit": 1, "cursor": first["next_cursor"]}, headers=keys.h("store_paris")
        )
    ).json()
    assert [f["order_id"] for f in second["items"]] == [b["id"]] and second["next_cursor"] is None


async def _delivered_order(client, keys, ref="TL-1", tracking="T1"):
    placed = await capture(client, keys, order(ref, [("SKU-A", 1)]))
    fid = placed["fulfillments"][0]["id"]
    store = keys.h("store_paris")
    await confirm(client, store, fid, "accept", reason="on it")
    await confirm(client, store, fid, "pick")
    await confirm(client, store, fid, "ship", carrier="dpd", tracking_number=tracking)
    await confirm(client, store, fid, "deliver")
    r = await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("web"))
    assert r.status_code == 200, r.text
    return fid, r.json()


async def test_the_timeline_gives_every_change_with_time_actor_and_reason(ctx, client):
    keys = await seed(ctx, client)
    fid, events = await _delivered_order(client, keys)
    assert sorted(e["type"] for e in events) == sorted(
        ["order.created", "fulfillment.released", "fulfillment.accepted", "fulfillment.picked", "fulfillment.shipped",
         "fulfillment.delivered"] + ["order.status_changed"] * 4
    )
    changes = sorted(
        (e["occurred_at"], e["data"]["from"], e["data"]["to"]) for e in events if e["type"] == "order.status_changed"
    )
    assert [c[1:] for c in changes] == [
        ("created", "accepted"),
        ("accepted", "picked"),
        ("picked", "shipped"),
        ("shipped", "delivered"),
    ]
    by_type = {e["type"]: e for e in events}
    assert by_type["order.created"]["actor"] == "channel:web"
    assert by_type["fulfillment.released"]["actor"] == "channel:web"  # released to the node at capture
    assert {e["actor"] for e in events if e["occurred_at"] != by_type["order.created"]["occurred_at"]} \
        == {"node:ST-PARIS"}
    assert by_type["fulfillment.accepted"]["reason"] == "on it"
    assert by_type["fulfillment.picked"]["reason"] is None
    times = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert all(ts.utcoffset() is not None for ts in times)
    assert times == sorted(times)


async def test_the_timeline_lists_changes_in_the_order_they_happened(ctx, client):
    # Within one confirmation the fulfilment moves first, then the order's status follows from it.
    keys = await seed(ctx, client)
    for ref in ("TL-1", "TL-2", "TL-3"):
        _, events = await _delivered_order(client, keys, ref, tracking=f"T-{ref}")  # a carrier's own each
        assert [e["type"] for e in events] == [
            "order.created",
            "fulfillment.released",
            "fulfillment.accepted",
            "order.status_changed",
            "fulfillment.picked",
            "order.status_changed",
            "fulfillment.shipped",
            "order.status_changed",
            "fulfillment.delivered",
            "order.status_changed",
        ], ref


async def test_the_shipped_event_tells_the_carrier_tracking_number_and_shipped_units(ctx, client):
    keys = await seed(ctx, client)
    fid, events = await _delivered_order(client, keys)
    [shipped] = [e for e in events if e["type"] == "fulfillment.shipped"]
    assert shipped["data"]["id"] == fid and shipped["data"]["status"] == "shipped"
    assert {k: shipped["data"]["details"][k] for k in ("carrier", "tracking_number")} == \
        {"carrier": "dpd", "tracking_number": "T1"}
    assert shipped["data"]["lines"][0]["shipped"] == 1


async def test_the_ready_event_tells_the_pickup_code(ctx, client):
    keys, placed, fid = await accepted_order(
        ctx, client, "TL-2", [("SKU-A", 1)], mode="click_and_collect", pickup_node_id="ST-PARIS"
    )
    view = await confirm(client, keys.h("store_paris"), fid, "ready")
    code = ful_at(view, "ST-PARIS")["details"]["pickup_code"]
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("web"))).json()
    [ready] = [e for e in events if e["type"] == "fulfillment.ready_for_pickup"]
    # The channel learns the code from this event to pass it on to the customer.
    assert ready["data"]["details"]["pickup_code"] == code


@pytest.mark.parametrize("steps", [["accept"], ["accept", "pick"], ["accept", "ship"], ["accept", "ship", "deliver"]])
async def test_a_confirmation_sent_again_answers_the_same_and_changes_nothing(ctx, client, steps):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("AGAIN-1", [("SKU-A", 2)]))
    fid = placed["fulfillments"][0]["id"]
    for step in steps:
        first = await confirm(client, keys.h("store_paris"), fid, step, carrier="dpd", tracking_number="T1")
    timeline = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    stock = await stock_of(client, keys, "SKU-A")

    again = await confirm(client, keys.h("store_paris"), fid, steps[-1], carrier="dpd", tracking_number="T1")
    assert again == first
    assert (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json() == timeline
    assert await stock_of(client, keys, "SKU-A") == stock
