"""Mirakl, against a marketplace that answers as its seller API documents (tests/platforms.py): orders polled
by OR11, each line accepted only once its units are held and refused otherwise (OR21), the order released
when the customer is debited, shipped with its tracking (OR23, OR24), and nothing asked twice of Mirakl, which
takes no idempotency key.

The orders are the documented OR11 order of tests/fixtures/platforms/mirakl_order.json, dated now.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, timedelta

import pytest
from sqlalchemy import update

from oms.db import tables as t
from oms.services.connectors import calls, platforms
from oms.services.connectors.intake import capture_pending
from oms.services.connectors.polling import check, poll
from oms.services.connectors.reports import report_due
from oms.services.partners.outbox import relay
from tests.integration.test_connector_capture import dying_after_capture, inbox, orders_of, view
from tests.integration.test_connector_reports import reports_of, ship
from tests.integration.test_connectors import make
from tests.platforms import Mirakl
from tests.support import Keys, seed
from tests.unit.test_platform_orders import fixture

REF = "MKP-20261207-0042-A"
MUGS, RUGS = f"{REF}-1", f"{REF}-2"  # 2 mugs (SKU-A: 105 in stock), 6 rugs (SKU-C: 5 in stock)


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(calls, "BACKOFF_S", 0.01)


def waiting(ctx, ref: str = REF, minutes: int = 5, **more) -> dict:
    """The fixture's order, placed ``minutes`` ago and waiting for the shop's acceptance."""
    body = fixture("mirakl_order.json")
    at = (ctx.clock.now() - timedelta(minutes=minutes)).astimezone(UTC).isoformat(timespec="milliseconds")
    body.update(order_id=ref, created_date=at, last_updated_date=at, **more)
    for n, line in enumerate(body["order_lines"], 1):
        line["order_line_id"] = f"{ref}-{n}"
    return body


async def marketplace(client, keys, mirakl: Mirakl, key: str = Mirakl.KEY) -> dict:
    """A Mirakl connector of the marketplace channel, the shop's offers mapped to the OMS's SKUs."""
    made = await make(client, keys, kind="mirakl", channel="marketplace", base_url=mirakl.url, shipping_modes={},
                      credentials={"api_key": key})
    r = await client.put(f"/v1/connectors/{made['id']}/skus", headers=keys.h("admin"), json={"items": [
        {"platform_ref": "MUG-GRES-350", "sku": "SKU-A"}, {"platform_ref": "TAPIS-JUTE-160", "sku": "SKU-C"}]})
    assert r.status_code == 200, r.text
    return made


@asynccontextmanager
async def shop(ctx, client, *orders: dict) -> AsyncIterator[tuple[Keys, Mirakl, dict]]:
    """The seeded OMS, a marketplace holding ``orders`` (else the fixture's, waiting), and its connector."""
    keys = await seed(ctx, client)
    async with Mirakl(ctx.clock.now) as mirakl:
        made = await marketplace(client, keys, mirakl)
        mirakl.orders = list(orders) or [waiting(ctx)]
        yield keys, mirakl, made


async def polled(ctx, made: dict) -> None:
    got = await poll(ctx, made["id"])
    assert got["error"] is None, got
    await capture_pending(ctx)


async def debited(ctx, made: dict, mirakl: Mirakl) -> dict:
    """The fixture's order polled, decided, then debited on Mirakl and released: the OMS order."""
    await polled(ctx, made)
    await report_due(ctx)
    mirakl.move(REF, "SHIPPING", "SHIPPING")
    await polled(ctx, made)
    [order] = await orders_of(ctx, REF)
    return order


async def test_lines_are_accepted_once_their_units_are_held_then_released_when_debited_and_shipped(ctx, client):
    async with shop(ctx, client) as (keys, mirakl, made):
        await polled(ctx, made)
        [order] = await orders_of(ctx, REF)
        got = await view(client, keys, order["id"])
        # The mugs are held for it; the rugs, short of one, are left out.
        assert (got["status"], got["hold"], got["channel"]) == ("on_hold", "payment", "marketplace")
        assert [(ln["sku"], ln["quantity"], ln["unit_price"]["amount"]) for ln in got["lines"]] == [("SKU-A", 2, 1290)]
        assert mirakl.changes == []  # the decision is sent after, not inline
        assert await report_due(ctx) == 1
        assert mirakl.changes == [(REF, "accept", {"order_lines": [{"id": MUGS, "accepted": True},
                                                                   {"id": RUGS, "accepted": False}]})]
        assert mirakl.order(REF)["order_state"] == "WAITING_DEBIT"
        await polled(ctx, made)
        assert (await view(client, keys, order["id"]))["status"] == "on_hold"  # accepted, not debited yet

        mirakl.move(REF, "SHIPPING", "SHIPPING")  # the customer is debited
        await polled(ctx, made)
        got = await view(client, keys, order["id"])
        assert got["hold"] is None and got["status"] != "on_hold"

        [number] = await ship(client, keys, order["id"])
        await relay(ctx)
        assert await report_due(ctx) == 1
        assert [action for _, action, _ in mirakl.changes] == ["accept", "tracking", "ship"]
        told = mirakl.order(REF)
        assert (told["order_state"], told["shipping_tracking"], told["shipping_company"]) == (
            "SHIPPED", number, "colissimo")


async def test_mirakl_is_read_before_a_report_is_sent_again_and_not_asked_twice(ctx, client):
    async with shop(ctx, client) as (keys, mirakl, made):
        order = await debited(ctx, made, mirakl)
        await ship(client, keys, order["id"])
        await relay(ctx)
        await report_due(ctx)
        asked = len(mirakl.changes)
        # Both reports sent again, as after answers lost on the way back: Mirakl is read, nothing is asked.
        async with ctx.db.write() as conn:
            await conn.execute(update(t.connector_reports).values(status="pending", next_at=ctx.clock.now()))
        assert await report_due(ctx) == 2
        assert len(mirakl.changes) == asked
        assert sorted(x["error"] for x in await reports_of(ctx)) == [
            "Mirakl knew of it already: the order is SHIPPED", "decided already: the order is SHIPPED on Mirakl"]


async def test_an_order_none_of_whose_lines_can_be_held_is_refused_whole_and_never_captured(ctx, client):
    keys = await seed(ctx, client)
    async with Mirakl(ctx.clock.now) as mirakl:
        made = await marketplace(client, keys, mirakl)
        order = waiting(ctx)
        order["order_lines"][0]["quantity"] = 500
        mirakl.orders = [order]
        await polled(ctx, made)
        assert await orders_of(ctx, REF) == []
        assert [(x["status"], x["error"]) for x in await inbox(client, keys, made)] == [
            ("captured", "every line refused: none could be served")]
        assert await report_due(ctx) == 1
        assert mirakl.changes == [(REF, "accept", {"order_lines": [{"id": MUGS, "accepted": False},
                                                                   {"id": RUGS, "accepted": False}]})]
        assert mirakl.order(REF)["order_state"] == "REFUSED"
        await polled(ctx, made)  # the refused order read again: nothing more
        assert await orders_of(ctx, REF) == [] and len(await reports_of(ctx)) == 1


async def test_a_decision_whose_process_died_after_the_capture_is_made_once_with_the_lines_held(ctx, client,
                                                                                                 monkeypatch):
    async with shop(ctx, client) as (keys, mirakl, made):
        await poll(ctx, made["id"])
        await dying_after_capture(ctx, monkeypatch)
        assert len(await orders_of(ctx, REF)) == 1 and await reports_of(ctx) == []
        await capture_pending(ctx)  # the next pass finds the order it made, and what it accepted
        assert len(await orders_of(ctx, REF)) == 1
        [report] = await reports_of(ctx)
        assert (report["action"], report["data"]["accepted"]) == ("acceptance", [MUGS])
        await report_due(ctx)
        assert mirakl.changes[0][2]["order_lines"] == [{"id": MUGS, "accepted": True}, {"id": RUGS, "accepted": False}]


async def test_a_relay_point_chosen_on_mirakl_is_where_the_order_is_collected_or_a_dead_letter(ctx, client):
    keys = await seed(ctx, client)
    async with Mirakl(ctx.clock.now) as mirakl:
        made = await marketplace(client, keys, mirakl)
        known, unknown = waiting(ctx, shipping_pudo_id="LK-PARIS"), waiting(ctx, "MKP-2", shipping_pudo_id="PR-0991")
        store = waiting(ctx, "MKP-3", shipping_pudo_id="ST-PARIS")  # a store, not a relay point: never taken for one
        for order in (known, unknown, store):
            order["order_lines"] = order["order_lines"][:1]
        mirakl.orders = [known, unknown, store]
        await polled(ctx, made)
        [order] = await orders_of(ctx, REF)
        delivery = (await view(client, keys, order["id"]))["delivery"]
        assert (delivery["mode"], delivery["pickup_node_id"]) == ("locker", "LK-PARIS")
        dead = await inbox(client, keys, made, status="dead")
        assert sorted(x["error"] for x in dead) == [
            f"the relay point {point!r} the customer chose is not a relay point or locker bank of the OMS: load it "
            f"(PUT /v1/nodes) with the marketplace's id" for point in ("PR-0991", "ST-PARIS")]


async def test_an_order_cancelled_on_mirakl_after_acceptance_is_cancelled_in_the_oms(ctx, client):
    async with shop(ctx, client) as (keys, mirakl, made):
        await polled(ctx, made)
        await report_due(ctx)
        mirakl.move(REF, "CANCELED", "CANCELED")  # the debit failed
        await polled(ctx, made)
        [order] = await orders_of(ctx, REF)
        assert order["status"] == "cancelled"


async def test_mirakl_is_polled_page_by_page_and_its_key_checked(ctx, client, monkeypatch):
    monkeypatch.setattr(platforms, "MIRAKL_PAGE", 2)
    keys = await seed(ctx, client)
    async with Mirakl(ctx.clock.now) as mirakl:
        made = await marketplace(client, keys, mirakl)
        mirakl.orders = [waiting(ctx, f"MKP-{n}", minutes=30 - n) for n in range(5)]
        mirakl.orders.append(waiting(ctx, "MKP-OLD", minutes=3 * 24 * 60))  # before the first poll looks
        got = await poll(ctx, made["id"])
        assert (got["read"], got["kept"], got["error"]) == (5, 5, None)
        offsets = [r.query["offset"] for r in mirakl.got]
        assert offsets == ["0", "2", "4"]
        assert {r.query["order_state_codes"] for r in mirakl.got} == {
            "CANCELED,CLOSED,RECEIVED,REFUSED,SHIPPED,SHIPPING,TO_COLLECT,WAITING_ACCEPTANCE,WAITING_DEBIT,"
            "WAITING_DEBIT_PAYMENT"}
        assert [what for what, ok, _ in await check(ctx, made["id"])] == ["credentials", "orders"]
        wrong = await marketplace(client, keys, mirakl, key="not-the-key")
        [_, (what, ok, found)] = await check(ctx, wrong["id"])
        assert (what, ok) == ("orders", False) and found.startswith("401")


async def test_an_address_given_only_once_the_customer_is_debited_is_the_orders_before_it_is_released(ctx, client):
    hidden = waiting(ctx)
    del hidden["customer"]["shipping_address"]  # (the operator shows it once the customer is debited)
    async with shop(ctx, client, hidden) as (keys, mirakl, made):
        await polled(ctx, made)
        [order] = await orders_of(ctx, REF)
        got = await view(client, keys, order["id"])
        assert got["status"] == "on_hold" and got["delivery"]["address"]["line1"] == "not given by the marketplace yet"
        await report_due(ctx)
        debited = mirakl.move(REF, "SHIPPING", "SHIPPING")
        debited["customer"]["shipping_address"] = fixture("mirakl_order.json")["customer"]["shipping_address"]
        await polled(ctx, made)
        got = await view(client, keys, order["id"])
        address = got["delivery"]["address"]
        assert (address["line1"], address["postal_code"], address["country"], got["hold"]) == (
            "14 quai de la Fosse Appartement 3", "44000", "FR", None)
        assert [x["error"] for x in await inbox(client, keys, made)][-1] == "address given; paid: released"


async def test_an_order_refused_whole_then_asked_shipped_is_a_dead_letter_and_one_shipped_already_is_left(ctx, client):
    short = waiting(ctx)
    short["order_lines"][0]["quantity"] = 500
    shipped = waiting(ctx, "MKP-SENT", order_state="SHIPPED")  # sent before the OMS was connected
    async with shop(ctx, client, short, shipped) as (keys, mirakl, made):
        await polled(ctx, made)
        await report_due(ctx)
        for line in mirakl.order(REF)["order_lines"]:  # accepted by hand in Mirakl's back office
            line["order_line_state"] = "SHIPPING"
        mirakl.move(REF, "SHIPPING")
        await polled(ctx, made)
        assert await orders_of(ctx, REF) == [] and await orders_of(ctx, "MKP-SENT") == []
        [dead] = await inbox(client, keys, made, status="dead")
        assert dead["error"].startswith("every line was refused, yet mirakl asks the order to be sent")
        assert "sent already by mirakl's records when first read: not captured" in {
            x["error"] for x in await inbox(client, keys, made)}


async def test_lines_the_oms_cancels_are_cancelled_on_mirakl_once_and_the_rest_shipped(ctx, client):
    async with shop(ctx, client) as (keys, mirakl, made):
        order = await debited(ctx, made, mirakl)
        r = await client.post(f"/v1/orders/{order['id']}/cancel", headers=keys.h("admin"), json={
            "lines": [{"line_no": 1, "quantity": 1}], "reason": "one mug broken at the DC"})
        assert r.status_code == 200, r.text
        await relay(ctx)
        assert await report_due(ctx) == 0  # Mirakl needs a reason code: the report says so
        [report] = [x for x in await reports_of(ctx) if x["action"] == "cancellation"]
        assert report["status"] == "dead" and "set the connector's cancel_reason" in report["error"]
        seen = (await client.get(f"/v1/connectors/{made['id']}/status", headers=keys.h("admin"))).json()
        assert (seen["reports_dead"], seen["reports_failing"]) == (1, 0)
        assert seen["last_report_error"] == report["error"]
        listed = (await client.get(f"/v1/connectors/{made['id']}/reports", params={"status": "dead"},
                                   headers=keys.h("admin"))).json()["items"]
        assert [(x["id"], x["action"], x["data"]["lines"]) for x in listed] == [
            (report["id"], "cancellation", [{"line_no": 1, "quantity": 1}])]
        r = await client.patch(f"/v1/connectors/{made['id']}", headers=keys.h("admin"), json={"cancel_reason": "34"})
        assert r.status_code == 200 and r.json()["cancel_reason"] == "34"
        r = await client.post(f"/v1/connectors/{made['id']}/reports/{report['id']}/retry", headers=keys.h("admin"))
        assert r.json() == {"retried": 1}
        assert await report_due(ctx) == 1
        assert mirakl.changes[-1] == (REF, "cancel_lines", {"order_line_id": MUGS, "quantity": 1, "amount": 12.9,
                                                            "reason_code": "34"})
        asked = len(mirakl.changes)
        async with ctx.db.write() as conn:
            await conn.execute(update(t.connector_reports).values(status="pending", next_at=ctx.clock.now()))
        await report_due(ctx)
        assert len(mirakl.changes) == asked  # Mirakl has that unit cancelled: not asked again
        await ship(client, keys, order["id"])
        await relay(ctx)
        await report_due(ctx)
        assert [action for _, action, _ in mirakl.changes[asked:]] == ["tracking", "ship"]
        assert mirakl.order(REF)["order_state"] == "SHIPPED"


async def test_an_order_the_oms_cancels_is_refused_before_acceptance_and_cancelled_after(ctx, client):
    second = waiting(ctx, "MKP-2")
    async with shop(ctx, client, waiting(ctx), second) as (keys, mirakl, made):
        await polled(ctx, made)
        first, other = (await orders_of(ctx, REF))[0], (await orders_of(ctx, "MKP-2"))[0]
        r = await client.post(f"/v1/orders/{first['id']}/cancel", headers=keys.h("admin"),
                              json={"reason": "fraud check"})
        assert r.status_code == 200, r.text
        await relay(ctx)
        await report_due(ctx)
        decided = {ref: body for ref, action, body in mirakl.changes if action == "accept"}
        assert decided[REF]["order_lines"] == [{"id": MUGS, "accepted": False}, {"id": RUGS, "accepted": False}]
        assert mirakl.order(REF)["order_state"] == "REFUSED"
        mirakl.move("MKP-2", "SHIPPING", "SHIPPING")
        await polled(ctx, made)
        r = await client.post(f"/v1/orders/{other['id']}/cancel", headers=keys.h("admin"),
                              json={"reason": "the customer called"})
        assert r.status_code == 200, r.text
        await relay(ctx)
        await report_due(ctx)
        assert ("MKP-2", "cancel", {}) in mirakl.changes
        assert mirakl.order("MKP-2")["order_state"] == "CANCELED"
        await polled(ctx, made)  # Mirakl's cancellation read back: the OMS order is cancelled already
        assert {x["action"] for x in await reports_of(ctx)} == {"acceptance", "cancellation"}


async def test_an_order_paid_without_an_address_it_can_take_stays_on_hold_until_given_one(ctx, client):
    hidden = waiting(ctx)
    del hidden["customer"]["shipping_address"]
    async with shop(ctx, client, hidden) as (keys, mirakl, made):
        await polled(ctx, made)
        await report_due(ctx)
        debited = mirakl.move(REF, "SHIPPING", "SHIPPING")
        debited["customer"]["shipping_address"] = {**fixture("mirakl_order.json")["customer"]["shipping_address"],
                                                   "zip_code": "99999"}  # no such French postal code
        await polled(ctx, made)
        [order] = await orders_of(ctx, REF)
        assert (await view(client, keys, order["id"]))["status"] == "on_hold"  # never sent to nowhere
        [dead] = await inbox(client, keys, made, status="dead")
        assert dead["error"].startswith("paid, but the address mirakl gives cannot be taken (the shipping address "
                                        "has no coordinates and postal code '99999'")
        r = await client.put(f"/v1/orders/{order['id']}/address", headers=keys.h("admin"), json={"address": {
            "line1": "14 quai de la Fosse", "postal_code": "44000", "city": "Nantes", "country": "FR",
            "lat": 47.2107, "lng": -1.5633}, "reason": "the customer's address, by phone"})
        assert r.status_code == 200, r.text
        await client.post(f"/v1/connectors/{made['id']}/dead-letters/{dead['id']}/retry", headers=keys.h("admin"))
        await capture_pending(ctx)
        got = await view(client, keys, order["id"])
        assert got["hold"] is None and got["delivery"]["address"]["postal_code"] == "44000"


async def test_a_line_the_oms_cancels_before_the_decision_is_sent_is_refused(ctx, client):
    async with shop(ctx, client) as (keys, mirakl, made):
        second = waiting(ctx)["order_lines"][0]
        mirakl.orders[0]["order_lines"][1] = {**second, "order_line_id": RUGS, "offer_sku": "MUG-GRES-350",
                                              "quantity": 1}  # two lines of mugs, both held
        await polled(ctx, made)
        [order] = await orders_of(ctx, REF)
        r = await client.post(f"/v1/orders/{order['id']}/cancel", headers=keys.h("admin"),
                              json={"lines": [{"line_no": 2}], "reason": "a chipped mug"})
        assert r.status_code == 200, r.text
        await relay(ctx)
        await report_due(ctx)
        decided = [body for _, action, body in mirakl.changes if action == "accept"]
        assert decided == [{"order_lines": [{"id": MUGS, "accepted": True}, {"id": RUGS, "accepted": False}]}]
        assert not [action for _, action, _ in mirakl.changes if action == "cancel_lines"]  # refused: nothing to cancel


async def one_mug_cancelled(ctx, client, keys, made: dict, mirakl: Mirakl) -> dict:
    """The fixture's order debited and released, one of its two mugs then cancelled in the OMS (the connector
    given a reason code): the OMS order."""
    await client.patch(f"/v1/connectors/{made['id']}", headers=keys.h("admin"), json={"cancel_reason": "34"})
    order = await debited(ctx, made, mirakl)
    r = await client.post(f"/v1/orders/{order['id']}/cancel", headers=keys.h("admin"),
                          json={"lines": [{"line_no": 1, "quantity": 1}], "reason": "one mug broken"})
    assert r.status_code == 200, r.text
    return order


async def test_units_cancelled_are_told_before_the_order_is_shipped_whatever_report_goes_first(ctx, client):
    async with shop(ctx, client) as (keys, mirakl, made):
        order = await one_mug_cancelled(ctx, client, keys, made, mirakl)
        await ship(client, keys, order["id"])
        await relay(ctx)
        async with ctx.db.write() as conn:  # the cancellation's report delayed: the shipment's goes first
            await conn.execute(update(t.connector_reports).where(t.connector_reports.c.action == "cancellation")
                               .values(next_at=ctx.clock.now() + timedelta(hours=1)))
        await report_due(ctx)
        assert [action for _, action, _ in mirakl.changes][1:] == ["tracking", "cancel_lines", "ship"]
        ctx.clock.advance(timedelta(hours=2))
        await report_due(ctx)  # then the cancellation's: Mirakl has it all
        assert [action for _, action, _ in mirakl.changes][1:] == ["tracking", "cancel_lines", "ship"]
        assert {(x["action"], x["status"]) for x in await reports_of(ctx)} == {
            ("acceptance", "done"), ("cancellation", "done"), ("shipment", "done")}


async def test_a_cancellation_told_first_leaves_the_shipping_to_the_shipments_report_and_its_tracking(ctx, client):
    async with shop(ctx, client) as (keys, mirakl, made):
        order = await one_mug_cancelled(ctx, client, keys, made, mirakl)
        [number] = await ship(client, keys, order["id"])
        await relay(ctx)  # both reports due at once, the cancellation's first
        await report_due(ctx)
        assert [action for _, action, _ in mirakl.changes][1:] == ["cancel_lines", "tracking", "ship"]
        assert mirakl.order(REF)["shipping_tracking"] == number


async def test_an_order_the_oms_cancelled_while_mirakl_debits_is_cancelled_there_once_it_may(ctx, client):
    hidden = waiting(ctx, can_cancel=False)
    del hidden["customer"]["shipping_address"]
    async with shop(ctx, client, hidden) as (keys, mirakl, made):
        await polled(ctx, made)
        await report_due(ctx)
        [order] = await orders_of(ctx, REF)
        r = await client.post(f"/v1/orders/{order['id']}/cancel", headers=keys.h("admin"), json={"reason": "fraud"})
        assert r.status_code == 200, r.text
        await relay(ctx)
        assert await report_due(ctx) == 0  # WAITING_DEBIT: Mirakl does not let the shop cancel yet
        [report] = [x for x in await reports_of(ctx) if x["action"] == "cancellation"]
        assert report["status"] == "pending" and "once the customer is debited" in report["error"]
        debited = mirakl.move(REF, "SHIPPING", "SHIPPING")  # debited, its address shown, cancellable now
        debited.update(can_cancel=True)
        debited["customer"]["shipping_address"] = {**fixture("mirakl_order.json")["customer"]["shipping_address"],
                                                   "zip_code": "99999"}
        await polled(ctx, made)
        assert await inbox(client, keys, made, status="dead") == []  # a cancelled order wants no address
        got = await view(client, keys, order["id"])
        assert got["status"] == "cancelled" and got["hold"] == "payment"
        ctx.clock.advance(timedelta(minutes=5))
        assert await report_due(ctx) == 1
        assert (REF, "cancel", {}) in mirakl.changes and mirakl.order(REF)["order_state"] == "CANCELED"
