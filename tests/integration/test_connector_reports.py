"""The platforms hear what happened to their orders: a shipment with its carrier and tracking number, told from
the outbox, once, whatever the retries, the platform's throttling and a sender that died mid-call; against
shops that answer as the platforms document (tests/platforms.py)."""

import asyncio
import copy
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from oms.bootstrap import build_context
from oms.db import tables as t
from oms.services.connectors import calls, reports
from oms.services.connectors.intake import capture_pending
from oms.services.connectors.reports import LEASE, report_due
from oms.services.partners.outbox import relay
from tests.integration.test_connector_capture import MAPPED, SHOP, WOO, orders_of, push
from tests.integration.test_connector_polling import woo_connector
from tests.integration.test_connectors import SHOP_SECRET, make
from tests.platforms import Shopify, WooCommerce
from tests.support import confirm, seed


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(calls, "BACKOFF_S", 0.01)


async def shopify_order(ctx, client, keys, shopify: Shopify) -> tuple[dict, dict]:
    """A Shopify order captured: (the connector, the OMS order)."""
    made = await make(client, keys, base_url=shopify.url,
                      credentials={"api_token": Shopify.TOKEN, "webhook_secret": SHOP_SECRET})
    await client.put(f"/v1/connectors/{made['id']}/skus", json={"items": MAPPED}, headers=keys.h("admin"))
    shopify.orders = [copy.deepcopy(SHOP)]  # (the platform changes its own)
    await push(client, made, SHOP, "create")
    await capture_pending(ctx)
    [order] = await orders_of(ctx, str(SHOP["id"]))
    return made, order


async def woo_order(ctx, client, keys, woo: WooCommerce) -> tuple[dict, dict]:
    """A WooCommerce order changed an hour ago, polled and captured: (the connector, the OMS order)."""
    made = await woo_connector(client, keys, woo)
    changed = (ctx.clock.now() - timedelta(hours=1)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    woo.orders = [{**WOO, "date_modified_gmt": changed.isoformat()}]
    await client.post(f"/v1/connectors/{made['id']}/poll", headers=keys.h("admin"))
    await capture_pending(ctx)
    [order] = await orders_of(ctx, str(WOO["id"]))
    return made, order


async def ship(client, keys, order_id: str, tracking: str = "6A12345678901") -> list[str]:
    view = (await client.get(f"/v1/orders/{order_id}", headers=keys.h("admin"))).json()
    shipped = []
    for n, f in enumerate(view["fulfillments"]):
        await confirm(client, keys.h("admin"), f["id"], "accept")
        await confirm(client, keys.h("admin"), f["id"], "ship", carrier="colissimo", tracking_number=f"{tracking}{n}")
        shipped.append(f"{tracking}{n}")
    return shipped


async def reports_of(ctx) -> list[dict]:
    async with ctx.db.read() as conn:
        return [dict(r) for r in (await conn.execute(select(t.connector_reports).order_by(t.connector_reports.c.id)))
                .mappings()]


async def test_a_shipment_is_told_to_shopify_once_with_its_tracking(ctx, client):
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made, order = await shopify_order(ctx, client, keys, shopify)
        numbers = await ship(client, keys, order["id"])
        assert await reports_of(ctx) == []  # never inline: from the outbox
        await relay(ctx)
        await relay(ctx)  # (handed on once)
        assert [(x["status"], x["action"]) for x in await reports_of(ctx)] == [("pending", "shipment")] * len(numbers)
        assert await report_due(ctx) == len(numbers)
        told = shopify.fulfillments[str(SHOP["id"])]
        assert sorted(f["trackingInfo"]["number"] for f in told) == numbers
        assert {f["trackingInfo"]["company"] for f in told} == {"colissimo"}
        # Every unit of both lines, by their Shopify line item ids.
        fulfilled = {}
        for f in told:
            for item, n in f["lines"].items():
                fulfilled[item] = fulfilled.get(item, 0) + n
        assert fulfilled == {"15222010": 3, "15222011": 1}
        assert await report_due(ctx) == 0
        assert {x["status"] for x in await reports_of(ctx)} == {"done"}


async def test_a_sender_that_died_mid_call_does_not_make_the_platform_fulfil_twice(ctx, client):
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made, order = await shopify_order(ctx, client, keys, shopify)
        await ship(client, keys, order["id"])
        await relay(ctx)
        shopify.slow = 1.0  # Shopify made the fulfillment; the answer is on its way when the sender dies
        [first, *_] = await reports_of(ctx)
        sending = asyncio.create_task(reports.send(ctx, first["id"]))
        await asyncio.sleep(0.5)
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        shopify.slow = 0.0
        made_before = len(shopify.fulfillments[str(SHOP["id"])])
        restarted = build_context(ctx.settings)  # another process, before the lease ran out: nothing
        try:
            assert await reports.send(restarted, first["id"]) is False
            ctx.clock.advance(LEASE + timedelta(seconds=1))
            restarted.clock.set(ctx.clock.now())
            assert await report_due(restarted) >= 1
        finally:
            await restarted.db.dispose()
        assert len(shopify.fulfillments[str(SHOP["id"])]) == made_before  # asked first, not made again
        [again] = [x for x in await reports_of(ctx) if x["id"] == first["id"]]
        assert (again["status"], again["error"]) == ("done", "Shopify knew of it already")


async def test_a_platform_down_is_tried_again_later_and_its_throttling_waited_out(ctx, client):
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made, order = await shopify_order(ctx, client, keys, shopify)
        numbers = await ship(client, keys, order["id"])
        await relay(ctx)
        shopify.failing = 1000  # down
        assert await report_due(ctx) == 0
        waiting = await reports_of(ctx)
        assert {(x["status"], x["attempts"]) for x in waiting} == {("pending", 1)}
        assert all(x["error"].startswith("failed 4 times, last: 503") and x["next_at"] > ctx.clock.now()
                   for x in waiting)
        shopify.failing = 0
        assert await report_due(ctx) == 0  # not before its time
        ctx.clock.advance(timedelta(seconds=31))
        shopify.throttle = 1  # a 429 with Retry-After, then the answer: waited out within the call
        assert await report_due(ctx) == len(numbers)
        assert len(shopify.fulfillments[str(SHOP["id"])]) == len(numbers)


async def test_a_report_the_platform_refuses_is_dead_with_its_words(ctx, client):
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made, order = await shopify_order(ctx, client, keys, shopify)
        await ship(client, keys, order["id"])
        shopify.fulfillments[str(SHOP["id"])] = [{"lines": {"15222010": 3, "15222011": 1},
                                                  "trackingInfo": {"company": "other", "number": "X"}}]
        await relay(ctx)
        assert await report_due(ctx) == 0
        assert {x["status"] for x in await reports_of(ctx)} == {"dead"}
        assert {x["error"] for x in await reports_of(ctx)} == {"Shopify has none of these lines left to fulfil"}


async def test_woocommerce_hears_the_tracking_and_the_order_is_completed_once_all_left(ctx, client):
    keys = await seed(ctx, client)
    async with WooCommerce() as woo:
        made, order = await woo_order(ctx, client, keys, woo)
        numbers = await ship(client, keys, order["id"], tracking="8R0001")
        await relay(ctx)
        assert await report_due(ctx) == len(numbers)
        assert sorted(x["tracking_number"] for x in woo.trackings[str(WOO["id"])]) == numbers
        assert woo.statuses[str(WOO["id"])] == "completed"
        # Sent again (a report made pending by hand): the tracking is not added twice.
        async with ctx.db.write() as conn:
            await conn.execute(t.connector_reports.update().values(status="pending"))
        assert await report_due(ctx) == len(numbers)
        assert len(woo.trackings[str(WOO["id"])]) == len(numbers)


async def test_a_fulfillment_whose_answer_was_lost_is_not_made_again(ctx, client):
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made, order = await shopify_order(ctx, client, keys, shopify)
        numbers = await ship(client, keys, order["id"])
        await relay(ctx)
        shopify.lose_answers = len(numbers)  # Shopify made them; a gateway answered 502
        assert await report_due(ctx) == 0
        waiting = await reports_of(ctx)
        assert all(x["status"] == "pending" and x["error"].startswith("unclear whether it was done: 502")
                   for x in waiting)
        assert len(shopify.fulfillments[str(SHOP["id"])]) == len(numbers)  # (each asked once: not again)
        ctx.clock.advance(timedelta(seconds=31))
        assert await report_due(ctx) == len(numbers)
        assert len(shopify.fulfillments[str(SHOP["id"])]) == len(numbers)
        assert {x["error"] for x in await reports_of(ctx)} == {"Shopify knew of it already"}


async def test_a_shipment_of_an_order_whose_capture_was_not_recorded_is_told_all_the_same(ctx, client):
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made, order = await shopify_order(ctx, client, keys, shopify)
        async with ctx.db.write() as conn:  # as after a crash between the capture and its record
            await conn.execute(t.connector_orders.update().values(order_id=None, lines=None))
        await ship(client, keys, order["id"])
        await relay(ctx)
        reports = await reports_of(ctx)
        assert reports and {x["platform_ref"] for x in reports} == {str(SHOP["id"])}
        assert await report_due(ctx) == 0  # its lines' Shopify ids not known yet: later, not dead
        assert {x["status"] for x in await reports_of(ctx)} == {"pending"}
        async with ctx.db.write() as conn:  # the record worked on again
            await conn.execute(t.connector_orders.update().values(order_id=order["id"],
                                                                  lines=["15222010", "15222011"]))
        ctx.clock.advance(timedelta(seconds=31))
        assert await report_due(ctx) == len(reports)


async def test_an_order_the_oms_cancels_is_cancelled_on_shopify_once_and_a_line_cancelled_alone_not_told(ctx, client):
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made, order = await shopify_order(ctx, client, keys, shopify)
        r = await client.post(f"/v1/orders/{order['id']}/cancel", headers=keys.h("admin"),
                              json={"lines": [{"line_no": 2}], "reason": "the lamp is damaged"})
        assert r.status_code == 200, r.text
        await relay(ctx)
        assert await report_due(ctx) == 1
        [line] = await reports_of(ctx)
        assert line["error"] == "Shopify is not told of lines cancelled alone (a part refund is the shop's decision)"
        assert shopify.orders[0].get("cancelled_at") is None
        r = await client.post(f"/v1/orders/{order['id']}/cancel", headers=keys.h("admin"),
                              json={"reason": "the customer called"})
        assert r.status_code == 200, r.text
        await relay(ctx)
        assert await report_due(ctx) == 1
        assert shopify.orders[0]["cancelled_at"] is not None
        assert " ".join(shopify.orders[0]["cancel_asked"].split()) == (
            "orderCancel(orderId: $orderId, reason: INVENTORY, refundMethod: {originalPaymentMethodsRefund: true}, "
            "restock: false, notifyCustomer: true")
        cancelled_at = shopify.orders[0]["cancelled_at"]
        async with ctx.db.write() as conn:
            await conn.execute(t.connector_reports.update().values(status="pending"))
        assert await report_due(ctx) == 2  # read first: Shopify has it cancelled, nothing is asked again
        assert shopify.orders[0]["cancelled_at"] == cancelled_at
        assert {x["error"] for x in await reports_of(ctx)} == {"Shopify knew of it already"}


async def test_a_cancellation_the_platform_made_is_not_told_back_to_it(ctx, client):
    keys = await seed(ctx, client)
    async with WooCommerce() as woo:
        made, _ = await woo_order(ctx, client, keys, woo)
        later = (ctx.clock.now() - timedelta(minutes=2)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
        woo.orders = [{**WOO, "status": "cancelled", "date_modified_gmt": later.isoformat()}]
        await client.post(f"/v1/connectors/{made['id']}/poll", headers=keys.h("admin"))
        await capture_pending(ctx)
        [order] = await orders_of(ctx, str(WOO["id"]))
        assert order["status"] == "cancelled"
        await relay(ctx)
        assert await reports_of(ctx) == []  # WooCommerce cancelled it: nothing to tell


async def test_an_order_the_oms_cancels_is_cancelled_on_woocommerce(ctx, client):
    keys = await seed(ctx, client)
    async with WooCommerce() as woo:
        made, order = await woo_order(ctx, client, keys, woo)
        r = await client.post(f"/v1/orders/{order['id']}/cancel", headers=keys.h("admin"), json={"reason": "fraud"})
        assert r.status_code == 200, r.text
        await relay(ctx)
        assert await report_due(ctx) == 1
        assert woo.statuses[str(WOO["id"])] == "cancelled"
