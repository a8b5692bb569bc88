"""Capture from the connectors' inboxes: what the platforms pushed becomes one order each, whatever the order
and the number of times it came, waits on hold until paid, is cancelled when the platform cancels it, and what
cannot be captured waits as a dead letter without holding back the others.

The records are the documented orders of tests/fixtures/platforms (see its README), pushed signed as the
platforms push them.
"""

import json
from datetime import timedelta

from sqlalchemy import select, update

from oms.bootstrap import build_context
from oms.db import tables as t
from oms.domain.connectors import signed
from oms.services.connectors import intake
from oms.services.connectors.intake import LEASE, capture_pending
from oms.services.orders.waves import release_due
from tests.integration.test_connectors import WOO_SECRET, make, shopify
from tests.support import problem, seed, stock_of
from tests.unit.test_platform_orders import fixture

SHOP = fixture("shopify_order.json")
WOO = fixture("woocommerce_order.json")
MAPPED = [{"platform_ref": "45510001", "sku": "SKU-A"}, {"platform_ref": "45510077", "sku": "SKU-B"}]


async def shop(client, keys, mapped=MAPPED) -> dict:
    made = await make(client, keys)
    r = await client.put(f"/v1/connectors/{made['id']}/skus", json={"items": mapped}, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    return made


async def push(client, made: dict, body: dict, delivery: str, topic: str = "orders/create") -> None:
    url, raw, headers = shopify(made, body, delivery=delivery, topic=topic)
    r = await client.post(url, content=raw, headers=headers)
    assert r.status_code == 200 and r.json()["kept"] is True, r.text


async def orders_of(ctx, ref: str) -> list[dict]:
    async with ctx.db.read() as conn:
        return [dict(r) for r in (await conn.execute(select(t.orders).where(t.orders.c.external_ref == ref)))
                .mappings()]


async def inbox(client, keys, made: dict, **params) -> list[dict]:
    r = await client.get(f"/v1/connectors/{made['id']}/inbox", params=params, headers=keys.h("admin"))
    return sorted(r.json()["items"], key=lambda x: x["id"])


async def dying_after_capture(ctx, monkeypatch) -> None:
    """A pass whose process dies once its orders are captured, before their records are marked."""
    async def dies(*args, **kwargs):
        raise ConnectionError("the process died")

    with monkeypatch.context() as patched:
        patched.setattr(intake, "_settle", dies)
        try:
            await capture_pending(ctx)
        except ConnectionError:
            pass


async def view(client, keys, order_id: str) -> dict:
    return (await client.get(f"/v1/orders/{order_id}", headers=keys.h("admin"))).json()


async def test_a_delivery_sent_twice_and_the_same_order_polled_make_one_order(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    await push(client, made, SHOP, "delivery-1")
    await push(client, made, SHOP, "delivery-1")  # the platform's retry: kept once
    await push(client, made, SHOP, "poll:6120448812371")  # the same snapshot, brought by a poll
    assert await capture_pending(ctx) == 2
    [order] = await orders_of(ctx, "6120448812371")
    got = await view(client, keys, order["id"])
    assert got["channel"] == "web" and got["status"] == "created" and got["hold"] is None
    assert [(ln["sku"], ln["quantity"], ln["unit_price"]["amount"]) for ln in got["lines"]] == [
        ("SKU-A", 3, 1083), ("SKU-B", 1, 2400)]
    assert got["customer"] == {"name": "Léa Dubois", "email": "lea.dubois@example.fr"}
    address = got["delivery"]["address"]
    assert (address["postal_code"], address["lat"], address["lng"]) == ("44000", 47.2115, -1.5663)
    assert [(x["status"], x["error"]) for x in await inbox(client, keys, made)] == [
        ("captured", None), ("ignored", "not newer than the snapshot taken (updated_at 2026-12-05T20:47:12+00:00, "
                                        "2026-12-05T20:47:12+00:00 taken, captured)")]
    assert await capture_pending(ctx) == 0


async def test_an_update_that_overtook_its_creation_is_not_undone_by_it(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    later = {**SHOP, "updated_at": "2026-12-05T21:58:00+01:00", "financial_status": "paid"}
    earlier = {**SHOP, "financial_status": "pending"}
    await push(client, made, later, "update-first", "orders/updated")
    await push(client, made, earlier, "create-after")
    await capture_pending(ctx)
    [order] = await orders_of(ctx, "6120448812371")
    assert order["status"] == "created" and order["hold"] is None  # the newer snapshot, paid, won
    assert [x["status"] for x in await inbox(client, keys, made)] == ["captured", "ignored"]


async def test_an_unpaid_order_waits_on_hold_with_its_units_and_is_released_once_paid(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    before = {n: row["reserved"] for n, row in (await stock_of(client, keys, "SKU-A")).items()}
    await push(client, made, {**SHOP, "financial_status": "pending"}, "create")
    await capture_pending(ctx)
    [order] = await orders_of(ctx, "6120448812371")
    held = await view(client, keys, order["id"])
    assert held["status"] == "on_hold" and held["hold"] == "payment"
    assert {f["status"] for f in held["fulfillments"]} == {"planned"}
    after = {n: row["reserved"] for n, row in (await stock_of(client, keys, "SKU-A")).items()}
    assert sum(after.values()) - sum(before.values()) == 3  # its units are held for it meanwhile
    assert await release_due(ctx, at=ctx.clock.now() + timedelta(days=2)) == 0  # no wave gives it to a node
    # The payment comes: orders/updated says so.
    await push(client, made, {**SHOP, "updated_at": "2026-12-05T22:30:00+01:00"}, "paid", "orders/updated")
    await capture_pending(ctx)
    got = await view(client, keys, order["id"])
    assert got["status"] == "created" and got["hold"] is None
    assert {f["status"] for f in got["fulfillments"]} == {"released"}
    events = (await client.get(f"/v1/orders/{order['id']}/events", headers=keys.h("admin"))).json()
    assert "fulfillment.released" in [e["type"] for e in events]
    assert [x["error"] for x in await inbox(client, keys, made)] == [None, "paid: released"]


async def test_an_order_cancelled_on_the_platform_is_cancelled_and_its_units_freed(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    before = {n: row["reserved"] for n, row in (await stock_of(client, keys, "SKU-A")).items()}
    await push(client, made, SHOP, "create")
    await capture_pending(ctx)
    cancelled = {**SHOP, "updated_at": "2026-12-06T09:00:00+01:00", "cancelled_at": "2026-12-06T09:00:00+01:00"}
    await push(client, made, cancelled, "cancel", "orders/updated")
    await push(client, made, SHOP, "late-retry-of-create")  # an older snapshot after: changes nothing
    await capture_pending(ctx)
    [order] = await orders_of(ctx, "6120448812371")
    assert order["status"] == "cancelled"
    assert {n: row["reserved"] for n, row in (await stock_of(client, keys, "SKU-A")).items()} == before
    # A cancelled order never captured is only noted.
    await push(client, made, {**cancelled, "id": 6120448812999}, "cancel-unseen", "orders/updated")
    await capture_pending(ctx)
    assert await orders_of(ctx, "6120448812999") == []
    assert (await inbox(client, keys, made))[-1]["error"] == "cancelled on shopify before it was captured"


async def test_an_unknown_product_is_a_dead_letter_the_others_go_on_and_it_is_retried_once_mapped(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys, mapped=MAPPED[:1])
    await push(client, made, SHOP, "unknown-product")  # its candle is not mapped
    await push(client, made, {**SHOP, "id": 6120448812400, "line_items": SHOP["line_items"][:1]}, "next")
    assert await capture_pending(ctx) == 2
    assert await orders_of(ctx, "6120448812371") == [] and len(await orders_of(ctx, "6120448812400")) == 1
    r = await client.get(f"/v1/connectors/{made['id']}/dead-letters", headers=keys.h("admin"))
    [dead] = r.json()["items"]
    assert dead["platform_ref"] == "6120448812371"
    assert dead["error"] == (f"no OMS SKU for line 2 (id 45510077, id 8800177): map it "
                             f"(PUT /v1/connectors/{made['id']}/skus)")
    # Mapped now: retried, captured.
    await client.put(f"/v1/connectors/{made['id']}/skus", json={"items": MAPPED}, headers=keys.h("admin"))
    r = await client.post(f"/v1/connectors/{made['id']}/dead-letters/{dead['id']}/retry", headers=keys.h("admin"))
    assert r.json() == {"retried": 1}
    assert await capture_pending(ctx) == 1
    assert len(await orders_of(ctx, "6120448812371")) == 1
    problem(await client.post(f"/v1/connectors/{made['id']}/dead-letters/{dead['id']}/dismiss",
                              headers=keys.h("admin")), 404, "not_found")  # no longer a dead letter
    # One that cannot be sold at all (more than the network has) is put aside.
    await push(client, made, {**SHOP, "id": 6120448812500,
                              "line_items": [{**SHOP["line_items"][1], "quantity": 500}]}, "too-many")
    await capture_pending(ctx)
    [dead] = (await client.get(f"/v1/connectors/{made['id']}/dead-letters", headers=keys.h("admin"))).json()["items"]
    assert dead["error"].startswith("OutOfStock:")
    r = await client.post(f"/v1/connectors/{made['id']}/dead-letters/{dead['id']}/dismiss", headers=keys.h("admin"))
    assert r.json() == {"dismissed": 1}
    assert (await client.post(f"/v1/connectors/{made['id']}/dead-letters/retry", headers=keys.h("admin"))).json() \
        == {"retried": 0}
    problem(await client.post(f"/v1/connectors/{made['id']}/dead-letters/retry", headers=keys.h("web")),
            403, "forbidden")


async def test_a_woocommerce_order_without_coordinates_is_placed_by_its_postal_code(ctx, client):
    keys = await seed(ctx, client)
    made = await make(client, keys, kind="woocommerce", base_url="https://atelier-lumiere.fr",
                      credentials={"consumer_key": "ck_1f2e", "consumer_secret": "cs_9a8b",
                                   "webhook_secret": WOO_SECRET}, shipping_modes={"flat_rate": "home_standard"})
    await client.put(f"/v1/connectors/{made['id']}/skus", json={"items": [{"platform_ref": "LAMPE-ZINC",
                                                                            "sku": "SKU-B"}]},
                     headers=keys.h("admin"))
    for n, body in enumerate((WOO, {**WOO, "id": 10433, "shipping": {**WOO["shipping"], "postcode": "00000"}})):
        raw = json.dumps(body).encode()
        r = await client.post(made["webhook_url"], content=raw, headers={
            "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": signed(WOO_SECRET, raw),
            "X-WC-Webhook-Delivery-ID": f"woo-{n}"})
        assert r.status_code == 200, r.text
    await capture_pending(ctx)
    [order] = await orders_of(ctx, "10432")
    address = order["delivery"]["address"]
    assert abs(address["lat"] - 44.84) < 0.05 and abs(address["lng"] + 0.58) < 0.05  # Bordeaux
    assert order["total_amount"] == 2 * 4995
    [dead] = await inbox(client, keys, made, status="dead")
    assert dead["error"] == ("the shipping address has no coordinates and postal code '00000' (FR) is not in "
                             "the postal code table")


async def test_what_was_kept_before_a_crash_is_captured_after_the_restart(ctx, client, monkeypatch):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    await push(client, made, SHOP, "before-the-crash")
    # The server dies after answering the platform, before capturing: another process starts.
    restarted = build_context(ctx.settings)
    try:
        assert await capture_pending(restarted) == 1
    finally:
        await restarted.db.dispose()
    assert len(await orders_of(ctx, "6120448812371")) == 1
    # A crash after capture, before the record was marked: the next pass finds the order, makes no other.
    await push(client, made, {**SHOP, "id": 6120448812600}, "mid-capture")
    await dying_after_capture(ctx, monkeypatch)
    assert len(await orders_of(ctx, "6120448812600")) == 1
    assert await capture_pending(ctx) == 1
    assert len(await orders_of(ctx, "6120448812600")) == 1
    assert (await inbox(client, keys, made))[-1]["status"] == "captured"


async def test_an_order_another_process_works_on_waits_and_is_free_again_when_its_lease_runs_out(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    await push(client, made, SHOP, "leased")
    async with ctx.db.write() as conn:
        await conn.execute(t.connector_orders.insert().values(
            connector_id=made["id"], platform_ref="6120448812371", version=None, order_id=None, state="new",
            busy_until=ctx.clock.now() + LEASE, updated_at=ctx.clock.now()))
    assert await capture_pending(ctx) == 0
    assert await orders_of(ctx, "6120448812371") == []
    ctx.clock.advance(LEASE + timedelta(seconds=1))  # that process died
    assert await capture_pending(ctx) == 1
    assert len(await orders_of(ctx, "6120448812371")) == 1


async def test_records_of_a_connector_switched_off_wait_for_it(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    await push(client, made, SHOP, "while-off")
    async with ctx.db.write() as conn:
        await conn.execute(update(t.connectors).values(active=False))
    assert await capture_pending(ctx) == 0
    await client.patch(f"/v1/connectors/{made['id']}", json={"active": True}, headers=keys.h("admin"))
    assert await capture_pending(ctx) == 1


async def test_an_order_taken_on_hold_through_the_api_is_released_or_cancelled(ctx, client):
    keys = await seed(ctx, client)
    from tests.support import order
    r = await client.post("/v1/orders", json={**order("WEB-HOLD"), "hold": "payment"}, headers=keys.h("web"))
    assert r.status_code == 201, r.text
    held = r.json()
    assert held["status"] == "on_hold" and {f["status"] for f in held["fulfillments"]} == {"planned"}
    r = await client.post(f"/v1/orders/{held['id']}/release", json={"reason": "bank transfer received"},
                          headers=keys.h("web"))
    assert r.status_code == 200 and r.json()["status"] == "created" and r.json()["hold"] is None
    problem(await client.post(f"/v1/orders/{held['id']}/release", headers=keys.h("web")), 409, "conflict")
    problem(await client.post(f"/v1/orders/{held['id']}/release", headers=keys.h("marketplace")), 404, "not_found")
    r = await client.post("/v1/orders", json={**order("WEB-HOLD-2"), "hold": "payment"}, headers=keys.h("web"))
    r = await client.post(f"/v1/orders/{r.json()['id']}/cancel", json={"reason": "payment failed"},
                          headers=keys.h("web"))
    assert r.json()["status"] == "cancelled"
    r = await client.post("/v1/orders", json={**order("WEB-HOLD-3"), "hold": "fraud"}, headers=keys.h("web"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "hold"


async def test_a_connectors_status_and_metrics_say_what_waits_what_died_and_what_came_in(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys, mapped=MAPPED[:1])
    url = f"/v1/connectors/{made['id']}/status"
    quiet = (await client.get(url, headers=keys.h("admin"))).json()
    assert (quiet["last_webhook_at"], quiet["pending"], quiet["dead_letters"], quiet["orders_last_24h"]) == (
        None, 0, 0, 0)
    await push(client, made, SHOP, "unknown-product")
    await push(client, made, {**SHOP, "id": 6120448812400, "line_items": SHOP["line_items"][:1]}, "fine")
    ctx.clock.advance(timedelta(seconds=30))
    waiting = (await client.get(url, headers=keys.h("admin"))).json()
    assert waiting["pending"] == 2 and 30 <= waiting["inbox_lag_seconds"] < 60
    assert waiting["last_webhook_at"] is not None and waiting["last_poll_at"] is None
    metrics = (await client.get("/metrics")).text
    assert f'oms_connector_pending{{connector="{made["id"]}",kind="shopify"}} 2.0' in metrics
    await capture_pending(ctx)
    done = (await client.get(url, headers=keys.h("admin"))).json()
    assert (done["pending"], done["dead_letters"], done["orders_last_24h"], done["inbox_lag_seconds"]) == (
        0, 1, 1, None)
    metrics = (await client.get("/metrics")).text
    assert f'oms_connector_dead_letters{{connector="{made["id"]}",kind="shopify"}} 1.0' in metrics
    problem(await client.get(url, headers=keys.h("viewer")), 403, "forbidden")
    problem(await client.get("/v1/connectors/con_nothing/status", headers=keys.h("admin")), 404, "not_found")


async def test_an_order_of_the_channel_the_connector_did_not_bring_is_never_taken_over(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    from tests.support import order
    r = await client.post("/v1/orders", json=order(str(SHOP["id"])), headers=keys.h("web"))  # an API client's
    assert r.status_code == 201
    await push(client, made, SHOP, "same-reference")
    await push(client, made, {**SHOP, "updated_at": "2026-12-06T09:00:00+01:00",
                              "cancelled_at": "2026-12-06T09:00:00+01:00"}, "then-cancelled", "orders/updated")
    await capture_pending(ctx)
    [dead, cancelled] = await inbox(client, keys, made)
    assert dead["status"] == "dead" and "that this connector did not bring" in dead["error"]
    assert cancelled["error"] == "cancelled on shopify before it was captured"
    assert (await view(client, keys, r.json()["id"]))["status"] == "created"  # untouched


async def test_a_payment_in_the_same_second_as_the_order_still_releases_it(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    await push(client, made, {**SHOP, "financial_status": "pending"}, "unpaid")
    await push(client, made, SHOP, "paid-same-second", "orders/updated")  # (the same updated_at)
    await push(client, made, {**SHOP, "financial_status": "pending"}, "unpaid-again")  # a retry of the first
    await capture_pending(ctx)
    [order] = await orders_of(ctx, str(SHOP["id"]))
    assert order["status"] == "created" and order["hold"] is None
    assert [x["status"] for x in await inbox(client, keys, made)] == ["captured", "captured", "ignored"]


async def test_a_record_no_reader_expects_is_a_dead_letter_and_the_others_go_on(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    broken = {**SHOP, "id": 6120448812700, "line_items": [{**SHOP["line_items"][0], "discount_allocations": 5}]}
    await push(client, made, broken, "broken")
    await push(client, made, SHOP, "fine")
    await capture_pending(ctx)
    [dead, fine] = await inbox(client, keys, made)
    assert dead["status"] == "dead" and "line_items.0.discount_allocations: not a list" in dead["error"]
    assert fine["status"] == "captured"


async def test_an_order_captured_before_a_crash_is_found_again_and_cancelled_with_its_platform(ctx, client,
                                                                                                monkeypatch):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    await push(client, made, SHOP, "create")
    await dying_after_capture(ctx, monkeypatch)
    # Meanwhile the mapping changed (a capture again would fail), and the platform cancelled the order.
    await client.put(f"/v1/connectors/{made['id']}/skus", json={"items": MAPPED[:1]}, headers=keys.h("admin"))
    await push(client, made, {**SHOP, "updated_at": "2026-12-06T09:00:00+01:00",
                              "cancelled_at": "2026-12-06T09:00:00+01:00"}, "cancel", "orders/updated")
    await capture_pending(ctx)
    [order] = await orders_of(ctx, str(SHOP["id"]))
    assert order["status"] == "cancelled"


async def test_a_process_that_outlived_its_lease_writes_nothing(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys)
    await push(client, made, SHOP, "slow")
    [slow, _] = await intake._lease(ctx, made["id"], str(SHOP["id"]))
    ctx.clock.advance(LEASE + timedelta(seconds=1))
    [fast, _] = await intake._lease(ctx, made["id"], str(SHOP["id"]))  # another process, once it ran out
    assert slow != fast
    [row] = await inbox(client, keys, made)
    async with ctx.db.read() as conn:
        record = (await conn.execute(select(t.connector_inbox))).mappings().one()
    assert await intake._settle(ctx, record, "captured", None, lease=slow) is False
    await intake._unlease(ctx, made["id"], str(SHOP["id"]), slow)  # gives nothing up: it holds nothing
    assert await intake._lease(ctx, made["id"], str(SHOP["id"])) is None
    assert (await inbox(client, keys, made))[0]["status"] == "pending"
