"""La Poste's parcels followed where La Poste does not push: asked of its Suivi v2 API (a local server answering
as documented: tests/platforms.py, tests/fixtures/platforms/laposte_suivi.json) until final, each news once,
less often while nothing is new."""

import copy
from datetime import timedelta

from sqlalchemy import select

from oms.db import tables as t
from oms.services.fulfillment.laposte import poll_parcels
from tests.platforms import LaPoste
from tests.support import capture, confirm, order, seed
from tests.unit.test_platform_orders import fixture

NUMBER = "6A27118033519"


async def shipped(ctx, client, keys, number: str = NUMBER) -> dict:
    placed = await capture(client, keys, order("WEB-LP", [("SKU-A", 1)]))
    fid = placed["fulfillments"][0]["id"]
    await confirm(client, keys.h("admin"), fid, "accept")
    return await confirm(client, keys.h("admin"), fid, "ship", carrier="colissimo", tracking_number=number)


async def parcel(ctx, number: str = NUMBER) -> dict:
    async with ctx.db.read() as conn:
        return dict((await conn.execute(select(t.shipments).where(t.shipments.c.tracking_number == number)))
                    .mappings().one())


async def timeline(client, keys, order_id: str) -> list[str]:
    events = (await client.get(f"/v1/orders/{order_id}/events", headers=keys.h("admin"))).json()
    return [e["type"] for e in events if e["type"].startswith("shipment.")]


async def test_a_colissimo_parcel_is_followed_until_it_is_delivered(ctx, client):
    keys = await seed(ctx, client)
    view = await shipped(ctx, client, keys)
    async with LaPoste() as laposte:
        ctx.settings.laposte_url, ctx.settings.laposte_okapi_key = f"{laposte.url}/suivi/v2", LaPoste.KEY
        answer = fixture("laposte_suivi.json")
        laposte.parcels[NUMBER] = answer
        assert await poll_parcels(ctx) == 3  # taken in, in transit, out for delivery
        assert await timeline(client, keys, view["id"]) == [
            "shipment.in_transit", "shipment.in_transit", "shipment.out_for_delivery"]
        assert laposte.got[0].headers["X-Okapi-Key"] == LaPoste.KEY
        first = await parcel(ctx)
        assert abs(first["next_poll_at"] - ctx.clock.now() - timedelta(minutes=30)) < timedelta(seconds=5)
        assert await poll_parcels(ctx) == 0 and len(laposte.got) == 1  # not asked before its time
        ctx.clock.advance(timedelta(minutes=31))
        assert await poll_parcels(ctx) == 0  # nothing new: asked again after twice as long
        quiet = await parcel(ctx)
        assert quiet["quiet_polls"] == 1
        assert timedelta(minutes=59) < quiet["next_poll_at"] - ctx.clock.now() <= timedelta(minutes=60)
        delivered = copy.deepcopy(answer)
        delivered["shipment"]["isFinal"] = True
        delivered["shipment"]["event"].insert(0, {"order": 4, "label": "Votre colis est livré.", "code": "DI1",
                                                  "date": (ctx.clock.now() - timedelta(minutes=5)).isoformat()})
        laposte.parcels[NUMBER] = delivered
        ctx.clock.advance(timedelta(hours=1))
        assert await poll_parcels(ctx) == 1
        got = (await client.get(f"/v1/orders/{view['id']}", headers=keys.h("admin"))).json()
        assert got["status"] == "delivered"
        assert (await parcel(ctx))["final"] is True
        ctx.clock.advance(timedelta(days=1))
        asked = len(laposte.got)
        assert await poll_parcels(ctx) == 0 and len(laposte.got) == asked  # its story is over


async def test_parcels_are_asked_ten_at_a_time_and_an_unknown_one_is_asked_later(ctx, client):
    keys = await seed(ctx, client)
    numbers = [f"6A2711803{n:04d}" for n in range(12)]
    for n, number in enumerate(numbers):
        placed = await capture(client, keys, order(f"WEB-LP-{n}", [("SKU-A", 1)]))
        fid = placed["fulfillments"][0]["id"]
        await confirm(client, keys.h("admin"), fid, "accept")
        await confirm(client, keys.h("admin"), fid, "ship", carrier="colissimo", tracking_number=number)
    async with LaPoste() as laposte:
        ctx.settings.laposte_url, ctx.settings.laposte_okapi_key = f"{laposte.url}/suivi/v2", LaPoste.KEY
        known = fixture("laposte_suivi.json")
        known["shipment"]["idShip"] = numbers[0]
        laposte.parcels[numbers[0]] = known
        assert await poll_parcels(ctx) == 3
        assert sorted(len(r.match_info["ids"].split(",")) for r in laposte.got) == [2, 10]
        unknown = await parcel(ctx, numbers[5])
        assert unknown["quiet_polls"] == 1 and unknown["final"] is False  # La Poste does not know it yet


async def test_without_a_key_or_with_a_refused_one_nothing_is_recorded(ctx, client):
    keys = await seed(ctx, client)
    await shipped(ctx, client, keys)
    async with LaPoste() as laposte:
        laposte.parcels[NUMBER] = fixture("laposte_suivi.json")
        ctx.settings.laposte_url = f"{laposte.url}/suivi/v2"
        assert await poll_parcels(ctx) == 0 and laposte.got == []  # no key: not asked
        ctx.settings.laposte_okapi_key = "a-revoked-key"
        assert await poll_parcels(ctx) == 0 and len(laposte.got) == 1
        assert (await parcel(ctx))["quiet_polls"] == 1  # asked again later
