"""Shipping with the simulated carrier, and carriers' signed tracking updates."""

import json
from datetime import timedelta

from oms.domain.webhooks import signature
from tests.support import accepted_order, act, capture, confirm, ful_at, order, problem

SECRET = "the-simulated-carriers-secret"


def signed(update: dict, secret: str = SECRET) -> tuple[bytes, dict]:
    body = json.dumps(update).encode()
    return body, {"X-Carrier-Signature": signature(secret, body), "Content-Type": "application/json"}


async def test_a_shipment_booked_with_the_carrier_is_followed_to_the_door(ctx, client):
    ctx.settings.carrier_secrets = {"simulated": SECRET}
    keys, placed, fid = await accepted_order(ctx, client, "TR-1", [("SKU-A", 1)])
    store = keys.h("store_paris")
    view = await confirm(client, store, fid, "ship", carrier="simulated")  # no number: the OMS books it
    details = ful_at(view, "ST-PARIS")["details"]
    number = details["tracking_number"]
    assert number.startswith("SIM") and details["label"].startswith("sim-label://")

    url = "/v1/carriers/simulated/tracking"
    for status in ("in_transit", "out_for_delivery", "failed_attempt"):
        body, headers = signed({"tracking_number": number, "status": status, "description": f"{status} at the hub"})
        r = await client.post(url, content=body, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "shipped"
    body, headers = signed({"tracking_number": number, "status": "delivered",
                            "occurred_at": "2026-11-30T10:12:00+01:00"})
    r = await client.post(url, content=body, headers=headers)
    assert r.json()["status"] == "delivered"
    # The actual dates beside the promised window: delivered when the carrier says it was.
    assert r.json()["dates"]["delivered"] == "2026-11-30T10:12:00+01:00"
    assert r.json()["dates"]["first_shipped"] == ful_at(view, "ST-PARIS")["details"]["shipped_at"]
    again = await client.post(url, content=body, headers=headers)  # sent again: nothing changes
    assert again.json()["updated_at"] == r.json()["updated_at"]
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    shipment = [e for e in events if e["type"].startswith("shipment.")]
    assert [e["type"] for e in shipment] == ["shipment.in_transit", "shipment.out_for_delivery",
                                             "shipment.failed_attempt", "shipment.delivered"]
    assert {e["actor"] for e in shipment} == {"carrier:simulated"}
    [delivered] = [e for e in events if e["type"] == "fulfillment.delivered"]
    assert delivered["actor"] == "carrier:simulated"


async def test_an_update_not_signed_by_the_carrier_changes_nothing(ctx, client):
    ctx.settings.carrier_secrets = {"simulated": SECRET}
    keys, placed, fid = await accepted_order(ctx, client, "TR-2", [("SKU-A", 1)])
    view = await confirm(client, keys.h("store_paris"), fid, "ship", carrier="simulated")
    number = ful_at(view, "ST-PARIS")["details"]["tracking_number"]
    url = "/v1/carriers/simulated/tracking"
    update = {"tracking_number": number, "status": "delivered"}
    body, _ = signed(update, "someone-else")
    problem(await client.post(url, content=body, headers={"X-Carrier-Signature": signature("x", body)}),
            401, "unauthenticated")
    problem(await client.post(url, content=json.dumps(update).encode()), 401, "unauthenticated")
    problem(await client.post("/v1/carriers/dhl/tracking", content=body,
                              headers={"X-Carrier-Signature": signature(SECRET, body)}), 401, "unauthenticated")
    body, headers = signed({"tracking_number": "SIMNOPE", "status": "delivered"})
    problem(await client.post(url, content=body, headers=headers), 404, "not_found")
    body, headers = signed({"tracking_number": number, "status": "lost"})
    bad = problem(await client.post(url, content=body, headers=headers), 422, "invalid_input")
    assert bad["errors"][0]["field"] == "status"
    got = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    assert got["status"] == "shipped"


async def test_a_tracking_number_belongs_to_one_shipment(ctx, client):
    keys, first, fid = await accepted_order(ctx, client, "TR-3", [("SKU-A", 1)])
    await confirm(client, keys.h("store_paris"), fid, "ship", carrier="dpd", tracking_number="DPD-1")
    other = await capture(client, keys, order("TR-4", [("SKU-A", 1)]))
    ofid = other["fulfillments"][0]["id"]
    await confirm(client, keys.h("store_paris"), ofid, "accept")
    problem(await act(client, keys.h("store_paris"), ofid, "ship", carrier="dpd", tracking_number="DPD-1"),
            409, "conflict")
    assert (await client.get(f"/v1/orders/{other['id']}", headers=keys.h("admin"))).json()["status"] == "accepted"


async def test_a_parcel_returned_to_sender_is_a_return_to_its_node(ctx, client):
    ctx.settings.carrier_secrets = {"simulated": SECRET}
    keys, placed, fid = await accepted_order(ctx, client, "TR-RTS", [("SKU-A", 2)])
    view = await confirm(client, keys.h("store_paris"), fid, "ship", carrier="simulated")
    number = ful_at(view, "ST-PARIS")["details"]["tracking_number"]
    body, headers = signed({"tracking_number": number, "status": "returned_to_sender",
                            "description": "address unknown"})
    r = await client.post("/v1/carriers/simulated/tracking", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and ful_at(r.json(), "ST-PARIS")["status"] == "cancelled"
    again = await client.post("/v1/carriers/simulated/tracking", content=body, headers=headers)
    assert again.json()["updated_at"] == r.json()["updated_at"]
    [ret] = (await client.get("/v1/returns", params={"order_id": placed["id"]}, headers=keys.h("admin"))
             ).json()["items"]
    assert (ret["kind"], ret["node_id"], ret["lines"][0]["quantity"]) == ("undelivered", "ST-PARIS", 2)
    assert ret["lines"][0]["reason"] == "returned to sender by simulated"


async def test_news_dated_in_the_future_is_refused_and_changes_nothing(ctx, client):
    ctx.settings.carrier_secrets = {"simulated": SECRET}
    keys, placed, fid = await accepted_order(ctx, client, "TR-9", [("SKU-A", 1)])
    view = await confirm(client, keys.h("store_paris"), fid, "ship", carrier="simulated")
    number = ful_at(view, "ST-PARIS")["details"]["tracking_number"]
    ahead = (ctx.clock.now() + timedelta(minutes=30)).isoformat()
    for when in ("2030-01-01T10:00:00+00:00", ahead):
        body, headers = signed({"tracking_number": number, "status": "delivered", "occurred_at": when})
        bad = problem(await client.post("/v1/carriers/simulated/tracking", content=body, headers=headers),
                      422, "invalid_input")
        assert [e["field"] for e in bad["errors"]] == ["occurred_at"]
    got = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
    assert got["status"] == "shipped" and got["dates"].get("delivered") is None
