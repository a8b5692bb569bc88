"""PrestaShop, against a shop that answers as its webservice documents (tests/platforms.py): orders polled in
the shop's local time, page by id, each with the address, customer, currency and carrier the webservice keeps
apart; captured once, on hold until valid, cancelled with the shop; each shipment's tracking given to the
order's carrier and the order moved to "Shipped" once, however often the report is sent.

The orders are the documented order of tests/fixtures/platforms/prestashop_order.json, dated now.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from oms.db import tables as t
from oms.services.connectors import calls, platforms
from oms.services.connectors.intake import capture_pending
from oms.services.connectors.polling import check, poll
from oms.services.connectors.reports import report_due
from oms.services.partners.outbox import relay
from tests.integration.test_connector_capture import inbox, orders_of, view
from tests.integration.test_connector_reports import reports_of, ship
from tests.integration.test_connectors import make
from tests.platforms import PrestaShop
from tests.support import Keys, seed
from tests.unit.test_platform_orders import fixture

REF = "1842"
# What the shop keeps apart from its orders, by id, as its webservice lists them.
KEPT = {
    "addresses": {"3310": {"id": 3310, "id_customer": "2207", "id_country": "8", "alias": "Maison",
                           "firstname": "Camille", "lastname": "Roux", "address1": "3 rue Paul Bert",
                           "address2": "", "postcode": "69003", "city": "Lyon", "phone": "0478000000"}},
    "countries": {"8": {"id": 8, "iso_code": "FR", "call_prefix": "33", "contains_states": "0"}},
    "customers": {"2207": {"id": 2207, "email": "camille.roux@example.fr", "firstname": "Camille",
                           "lastname": "Roux", "active": "1"}},
    "currencies": {"1": {"id": 1, "iso_code": "EUR", "conversion_rate": "1.000000"}},
    "carriers": {"12": {"id": 12, "name": "Colissimo domicile", "active": "1"}},
    "order_carriers": {"977": {"id": 977, "id_order": "1842", "id_carrier": "12", "id_order_invoice": "0",
                               "weight": "1.200000", "shipping_cost_tax_excl": "4.170000",
                               "shipping_cost_tax_incl": "5.000000", "tracking_number": "",
                               "date_add": "2026-12-07 09:41:05"}},
}


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(calls, "BACKOFF_S", 0.01)


def placed(ctx, presta: PrestaShop, ref: str = REF, minutes: int = 5, **more) -> dict:
    """The fixture's order, changed ``minutes`` ago in the shop's local time."""
    body = fixture("prestashop_order.json")
    body.update({"id": int(ref), "date_upd": presta.local(ctx.clock.now() - timedelta(minutes=minutes)), **more})
    return body


@asynccontextmanager
async def shop(ctx, client, key: str = PrestaShop.KEY) -> AsyncIterator[tuple[Keys, PrestaShop, dict]]:
    keys = await seed(ctx, client)
    async with PrestaShop() as presta:
        presta.resources = {name: {k: dict(v) for k, v in rows.items()} for name, rows in KEPT.items()}
        made = await make(client, keys, kind="prestashop", base_url=presta.url, credentials={"api_key": key},
                          shipping_modes={"Colissimo domicile": "home_standard"})
        r = await client.put(f"/v1/connectors/{made['id']}/skus", headers=keys.h("admin"), json={"items": [
            {"platform_ref": "MUG-GRES-350", "sku": "SKU-A"}, {"platform_ref": "LAMPE-ZINC", "sku": "SKU-B"}]})
        assert r.status_code == 200, r.text
        yield keys, presta, made


async def polled(ctx, made: dict) -> dict:
    got = await poll(ctx, made["id"])
    assert got["error"] is None, got
    await capture_pending(ctx)
    return got


async def test_an_order_is_read_with_what_the_webservice_keeps_apart_and_captured_once(ctx, client):
    async with shop(ctx, client) as (keys, presta, made):
        presta.orders = [placed(ctx, presta)]
        await polled(ctx, made)
        await polled(ctx, made)  # read again within the overlap: the same snapshot, nothing new
        [order] = await orders_of(ctx, REF)
        got = await view(client, keys, order["id"])
        assert (got["status"], got["hold"], got["delivery"]["mode"]) == ("created", None, "home_standard")
        assert [(ln["sku"], ln["quantity"], ln["unit_price"]["amount"]) for ln in got["lines"]] == [
            ("SKU-A", 2, 1290), ("SKU-B", 1, 2760)]
        assert got["customer"] == {"name": "Camille Roux", "email": "camille.roux@example.fr"}
        address = got["delivery"]["address"]
        assert (address["city"], address["country"], round(address["lat"]), round(address["lng"])) == (
            "Lyon", "FR", 46, 5)  # (placed by its postal code: the webservice gives no coordinates)
        asked = [r for r in presta.got if r.match_info["resource"] == "orders"][0].query
        assert asked["date"] == "1" and asked["sort"] == "[id_ASC]" and asked["filter[id]"].startswith("[1,")
        low, high = (datetime.strptime(x, "%Y-%m-%d %H:%M:%S") for x in asked["filter[date_upd]"][1:-1].split(","))
        # The window is written in the shop's local time, as its dates are.
        assert abs(high - datetime.strptime(presta.local(ctx.clock.now()), "%Y-%m-%d %H:%M:%S")) < timedelta(
            seconds=10)
        assert len(await inbox(client, keys, made)) == 1


async def test_orders_are_read_page_by_id_so_that_none_is_skipped(ctx, client, monkeypatch):
    monkeypatch.setattr(platforms, "PRESTA_PAGE", 2)
    async with shop(ctx, client) as (keys, presta, made):
        presta.orders = [placed(ctx, presta, str(1900 + n), minutes=30 - n) for n in range(5)]
        presta.orders.append(placed(ctx, presta, "1800", minutes=3 * 24 * 60))  # before the first poll looks
        got = await poll(ctx, made["id"])
        assert (got["read"], got["kept"], got["error"]) == (5, 5, None)
        pages = [r.query["filter[id]"] for r in presta.got if r.match_info["resource"] == "orders"]
        assert [p.split(",")[0] for p in pages] == ["[1", "[1902", "[1904"]
        assert {r.match_info["resource"] for r in presta.got} == {
            "orders", "addresses", "countries", "customers", "currencies", "carriers"}
        assert [what for what, ok, _ in await check(ctx, made["id"]) if ok] == ["credentials", "orders"]


async def test_a_wrong_key_is_said_and_the_mark_stays(ctx, client):
    async with shop(ctx, client, key="NOT-THE-KEY") as (keys, presta, made):
        presta.orders = [placed(ctx, presta)]
        got = await poll(ctx, made["id"])
        assert got["mark"] is None and got["error"].startswith("401")


async def test_an_order_not_valid_yet_waits_on_hold_and_one_cancelled_in_the_shop_is_cancelled(ctx, client):
    async with shop(ctx, client) as (keys, presta, made):
        presta.orders = [placed(ctx, presta, minutes=9, valid="0", current_state="10")]  # awaiting bank wire
        await polled(ctx, made)
        [order] = await orders_of(ctx, REF)
        assert (await view(client, keys, order["id"]))["status"] == "on_hold"
        presta.orders = [placed(ctx, presta, minutes=4)]  # the transfer came: valid, "Payment accepted"
        await polled(ctx, made)
        got = await view(client, keys, order["id"])
        assert got["hold"] is None and got["status"] != "on_hold"
        presta.orders = [placed(ctx, presta, minutes=1, current_state="6")]  # "Canceled"
        await polled(ctx, made)
        assert (await view(client, keys, order["id"]))["status"] == "cancelled"


async def test_a_shipment_gives_the_carrier_its_tracking_and_ships_the_order_once(ctx, client):
    async with shop(ctx, client) as (keys, presta, made):
        presta.orders = [placed(ctx, presta)]
        await polled(ctx, made)
        [order] = await orders_of(ctx, REF)
        numbers = await ship(client, keys, order["id"])
        await relay(ctx)
        assert await report_due(ctx) == len(numbers)
        assert presta.resources["order_carriers"]["977"]["tracking_number"] == numbers[-1]
        assert presta.resources["order_carriers"]["977"]["shipping_cost_tax_incl"] == "5.000000"  # (kept whole)
        assert presta.histories == [{"id_order": REF, "id_order_state": "4", "sendemail": "1"}]
        assert presta.orders[0]["current_state"] == "4"
        # Sent again, as after answers lost on the way back: the shop is read, nothing is made twice.
        async with ctx.db.write() as conn:
            await conn.execute(update(t.connector_reports).values(status="pending", next_at=ctx.clock.now()))
        assert await report_due(ctx) == len(numbers)
        assert len(presta.histories) == 1
        assert {x["status"] for x in await reports_of(ctx)} == {"done"}


async def test_an_order_the_oms_cancels_is_cancelled_in_the_shop_unless_it_left(ctx, client):
    async with shop(ctx, client) as (keys, presta, made):
        presta.orders = [placed(ctx, presta), placed(ctx, presta, "1843")]
        await polled(ctx, made)
        for ref in (REF, "1843"):
            [order] = await orders_of(ctx, ref)
            r = await client.post(f"/v1/orders/{order['id']}/cancel", headers=keys.h("admin"), json={"reason": "fraud"})
            assert r.status_code == 200, r.text
        presta.orders[1]["current_state"] = "4"  # shipped from the shop's own stock meanwhile
        await relay(ctx)
        await report_due(ctx)
        assert presta.histories == [{"id_order": REF, "id_order_state": "6", "sendemail": "1"}]
        assert sorted((x["platform_ref"], x["status"], x["error"]) for x in await reports_of(ctx)) == [
            (REF, "done", None),
            ("1843", "dead", "the order is shipped in PrestaShop (state 4): not cancelled there")]


@pytest.mark.clock_at("2026-10-25T01:03:00+00:00")
async def test_an_order_changed_in_the_hour_the_shops_clocks_go_back_is_read(ctx, client):
    async with shop(ctx, client) as (keys, presta, made):
        async with ctx.db.write() as conn:  # polled last at 02:58 summer time, five minutes ago
            await conn.execute(update(t.connectors).values(poll_mark=ctx.clock.now() - timedelta(minutes=5)))
        presta.orders = [placed(ctx, presta, date_upd="2026-10-25 02:50:00")]  # summer time: 00:50 UTC
        got = await poll(ctx, made["id"])
        assert (got["read"], got["error"]) == (1, None)
        asked = [r for r in presta.got if r.match_info["resource"] == "orders"][0].query
        assert asked["filter[date_upd]"] == "[2026-10-25 01:48:00,2026-10-25 03:03:00]"  # (a wall clock's hour more)
