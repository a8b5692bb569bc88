"""Booking shipments with a carrier over HTTP: the number and label come back, the request is signed and
carries the address; a carrier down or refusing leaves the work as it was (502)."""

import json

from aiohttp import web

from oms.domain.webhooks import signature
from tests.support import HOME, accepted_order, confirm, free_port, ful_at, problem

SECRET = "the-acme-carriers-secret"


class Carrier:
    """A real HTTP booking endpoint: answers as told, keeps what it read."""

    def __init__(self) -> None:
        self.port, self.answer, self.got, self._runner = free_port(), "ok", [], None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/book"

    async def __aenter__(self):
        app = web.Application()
        app.router.add_post("/book", self._book)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *_):
        await self._runner.cleanup()

    async def _book(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.got.append((json.loads(body), request.headers.get("X-OMS-Signature") == signature(SECRET, body)))
        if self.answer == "refuse":
            return web.Response(status=422, text="postcode not served")
        return web.json_response({"tracking_number": f"ACME-{len(self.got)}", "label": "https://acme/l/1.pdf"})


async def test_a_shipment_is_booked_with_the_carriers_endpoint(ctx, client):
    keys, placed, fid = await accepted_order(ctx, client, "HC-1", [("SKU-A", 1)])
    async with Carrier() as acme:
        ctx.settings.carrier_endpoints = {"acme": acme.url}
        ctx.settings.carrier_secrets = {"acme": SECRET}
        store = keys.h("store_paris")
        await confirm(client, store, fid, "pack", parcels=[{"weight_g": 400}])
        acme.answer = "refuse"
        body = problem(await client.post(f"/v1/fulfillments/{fid}/ship", json={"carrier": "acme"}, headers=store),
                       502, "carrier_unavailable")
        assert "postcode not served" in body["detail"]
        view = (await client.get(f"/v1/orders/{placed['id']}", headers=keys.h("admin"))).json()
        assert ful_at(view, "ST-PARIS")["status"] == "packed"  # nothing recorded
        acme.answer = "ok"
        view = await confirm(client, store, fid, "ship", carrier="acme")
        details = ful_at(view, "ST-PARIS")["details"]
        assert (details["tracking_number"], details["label"]) == ("ACME-2", "https://acme/l/1.pdf")
        sent, signed = acme.got[-1]
        assert signed and sent["reference"] == fid and sent["address"] == HOME
        assert sent["parcels"] == [{"weight_g": 400}]
        again = await confirm(client, store, fid, "ship", carrier="acme")  # a repeat books nothing
        assert len(acme.got) == 2 and ful_at(again, "ST-PARIS")["details"]["tracking_number"] == "ACME-2"


async def test_a_carrier_that_cannot_be_reached_is_a_502(ctx, client):
    keys, placed, fid = await accepted_order(ctx, client, "HC-2", [("SKU-A", 1)])
    ctx.settings.carrier_endpoints = {"acme": f"http://127.0.0.1:{free_port()}/book"}
    problem(await client.post(f"/v1/fulfillments/{fid}/ship", json={"carrier": "acme"},
                              headers=keys.h("store_paris")), 502, "carrier_unavailable")
    # The node can still ship with the number it has.
    view = await confirm(client, keys.h("store_paris"), fid, "ship", carrier="acme", tracking_number="OWN-1")
    assert ful_at(view, "ST-PARIS")["details"]["tracking_number"] == "OWN-1"
