"""Webhooks: every event reaches every partner that wants it, signed, in order per order, through a
partner that is down, then slow, then failing; dead deliveries can be replayed."""

import asyncio
import hashlib
import hmac
import json
from datetime import timedelta

import httpx
import pytest
from aiohttp import web

from oms.services.outbox import relay
from oms.services.webhook_sender import deliver_due
from tests.support import capture, confirm, free_port, order, problem, seed

SECRET = "a-secret-of-some-length"


class Partner:
    """A real HTTP receiver: answers as told, keeps every request it read."""

    def __init__(self, port: int) -> None:
        self.port, self.mode, self.got, self._runner = port, "ok", [], None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._take)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _take(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.got.append((body, dict(request.headers), self.mode))
        if self.mode == "slow":
            await asyncio.sleep(1.0)  # longer than the sender waits: it never hears the answer
        if self.mode == "failing":
            return web.Response(status=500, text="database locked")
        return web.Response(status=204)

    def accepted(self) -> list[dict]:
        """The events it answered 2xx to, in the order it got them."""
        return [json.loads(body) for body, _, mode in self.got if mode == "ok"]


async def subscribe(client, keys, url: str, events=("*",)) -> str:
    r = await client.post("/v1/webhooks", json={"url": url, "events": list(events), "secret": SECRET},
                          headers=keys.h("admin"))
    assert r.status_code == 201, r.text
    assert "secret" not in r.json()
    return r.json()["id"]


async def timeline(client, keys, order_id: str) -> list[str]:
    return [e["id"] for e in (await client.get(f"/v1/orders/{order_id}/events", headers=keys.h("admin"))).json()]


async def test_every_event_reaches_a_partner_that_was_down_then_slow_then_failing(ctx, client):
    keys = await seed(ctx, client)
    port = free_port()
    hook = await subscribe(client, keys, f"http://127.0.0.1:{port}/hook")
    placed = [await capture(client, keys, order(f"WH-{i}", [("SKU-A", 1)])) for i in range(3)]
    for p in placed[:2]:  # more events per order: accepted, picked
        fid = p["fulfillments"][0]["id"]
        await confirm(client, keys.h("store_paris"), fid, "accept")
        await confirm(client, keys.h("store_paris"), fid, "pick")
    assert await relay(ctx) > 0
    expected = {p["id"]: await timeline(client, keys, p["id"]) for p in placed}

    partner = Partner(port)
    at = ctx.clock.now()
    quick = httpx.AsyncClient(timeout=0.3)
    try:
        assert await deliver_due(ctx, at=at, client=quick) == 0  # down: nothing listens
        await partner.start()
        for mode in ("slow", "failing"):
            partner.mode = mode
            at += timedelta(hours=1)
            assert await deliver_due(ctx, at=at, client=quick) == 0
        partner.mode = "ok"
        for _ in range(40):  # an order's events one after the other: a pass sends the next of each
            at += timedelta(hours=1)
            if not await deliver_due(ctx, at=at, client=quick):
                break
    finally:
        await quick.aclose()
        await partner.stop()

    got = partner.accepted()
    by_order: dict[str, list[str]] = {}
    for ev in got:
        by_order.setdefault(ev["order_id"], []).append(ev["id"])
    assert by_order == expected  # every event, once accepted, in its order's order
    for body, headers, _ in partner.got:  # retries and lost answers carry the same event, signed
        digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-OMS-Signature"] == f"sha256={digest}"
        assert headers["X-OMS-Event-Id"] == json.loads(body)["id"]
    first = next(json.loads(b) for b, _, mode in partner.got if mode == "slow")
    assert [json.loads(b) for b, _, mode in partner.got if mode == "ok" and json.loads(b)["id"] == first["id"]] \
        == [first]
    log = (await client.get(f"/v1/webhooks/{hook}/deliveries", params={"limit": 500},
                            headers=keys.h("admin"))).json()["items"]
    assert {x["status"] for x in log} == {"delivered"} and len(log) == len(got)
    assert max(x["attempts"] for x in log) == 4  # down, slow, failing, then delivered


async def test_dead_deliveries_are_replayed(ctx, client):
    keys = await seed(ctx, client)
    port = free_port()
    partner = Partner(port)
    await partner.start()
    try:
        hook = await subscribe(client, keys, f"http://127.0.0.1:{port}/hook", events=["order.created"])
        placed = await capture(client, keys, order("WH-D", [("SKU-A", 1)]))
        await relay(ctx)
        partner.mode, at = "failing", ctx.clock.now()
        for _ in range(12):
            at += timedelta(hours=2)
            await deliver_due(ctx, at=at)
        [dead] = (await client.get(f"/v1/webhooks/{hook}/deliveries", params={"status": "dead"},
                                   headers=keys.h("admin"))).json()["items"]
        assert (dead["type"], dead["order_id"], dead["attempts"], dead["last_status"]) == \
            ("order.created", placed["id"], 10, 500)
        assert dead["last_error"] == "database locked"
        assert await deliver_due(ctx, at=at + timedelta(days=1)) == 0  # dead: not sent any more

        r = await client.post(f"/v1/webhooks/{hook}/replay", json={}, headers=keys.h("admin"))
        assert r.json() == {"replayed": 1}
        partner.mode = "ok"
        assert await deliver_due(ctx) == 1
        assert [e["type"] for e in partner.accepted()] == ["order.created"]  # only the type it wants
        problem(await client.post(f"/v1/webhooks/{hook}/replay", json={"event_ids": ["evt_nope"]},
                                  headers=keys.h("admin")), 404, "not_found")
    finally:
        await partner.stop()


async def test_a_switched_off_subscription_gets_no_new_events(ctx, client):
    keys = await seed(ctx, client)
    hook = await subscribe(client, keys, "http://127.0.0.1:9/hook")
    r = await client.delete(f"/v1/webhooks/{hook}", headers=keys.h("admin"))
    assert r.json()["active"] is False
    await capture(client, keys, order("WH-O", [("SKU-A", 1)]))
    assert await relay(ctx) > 0
    log = (await client.get(f"/v1/webhooks/{hook}/deliveries", headers=keys.h("admin"))).json()
    assert log["items"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://example.com/x", "events": ["*"], "secret": SECRET}, "url"),
    ({"url": "https://example.com/x", "events": ["orders created"], "secret": SECRET}, "events"),
    ({"url": "https://example.com/x", "events": [], "secret": SECRET}, "events"),
    ({"url": "https://example.com/x", "events": ["*"], "secret": "short"}, "secret"),
])
async def test_a_bad_subscription_is_refused_naming_the_field(ctx, client, body, field):
    keys = await seed(ctx, client)
    bad = problem(await client.post("/v1/webhooks", json=body, headers=keys.h("admin")), 422, "invalid_input")
    assert [e["field"] for e in bad["errors"]] == [field]
    assert (await client.get("/v1/webhooks", headers=keys.h("admin"))).json()["items"] == []


async def test_only_an_admin_manages_webhooks(ctx, client):
    keys = await seed(ctx, client)
    body = {"url": "https://example.com/x", "events": ["*"], "secret": SECRET}
    for who in ("web", "store_paris", "viewer"):
        problem(await client.post("/v1/webhooks", json=body, headers=keys.h(who)), 403, "forbidden")
    problem(await client.get("/v1/webhooks/whk_nope/deliveries", headers=keys.h("admin")), 404, "not_found")


async def test_a_partner_that_is_down_holds_back_no_other(ctx, client, monkeypatch):
    from oms.services import webhook_sender
    monkeypatch.setattr(webhook_sender, "SCAN", 2)
    keys = await seed(ctx, client)
    await subscribe(client, keys, "http://127.0.0.1:9/down")  # first: its deliveries come first in line
    port = free_port()
    partner = Partner(port)
    await partner.start()
    try:
        await subscribe(client, keys, f"http://127.0.0.1:{port}/hook", events=["order.created"])
        placed = [await capture(client, keys, order(f"WH-P{i}", [("SKU-A", 1)])) for i in range(4)]
        await relay(ctx)
        at = ctx.clock.now()
        for _ in range(3):
            await deliver_due(ctx, at=at)
            at += timedelta(hours=1)
        assert sorted(e["order_id"] for e in partner.accepted()) == sorted(p["id"] for p in placed)
    finally:
        await partner.stop()


async def test_a_subscription_for_one_node_gets_only_the_events_about_its_work(ctx, client):
    keys = await seed(ctx, client)
    hooks = {}
    for name, node in (("all", None), ("paris", "ST-PARIS"), ("dc", "DC-PARIS")):
        r = await client.post("/v1/webhooks", headers=keys.h("admin"),
                              json={"url": f"http://127.0.0.1:1/{name}", "events": ["fulfillment.*"],
                                    "secret": "s" * 16, **({"node_id": node} if node else {})})
        assert r.status_code == 201 and r.json()["node_id"] == node, r.text
        hooks[name] = r.json()["id"]
    placed = await capture(client, keys, order("WH-NODE", [("SKU-A", 1)]))
    assert placed["fulfillments"][0]["node_id"] == "ST-PARIS"
    await confirm(client, keys.h("store_paris"), placed["fulfillments"][0]["id"], "accept")
    await relay(ctx)

    async def logged(name):
        r = await client.get(f"/v1/webhooks/{hooks[name]}/deliveries", headers=keys.h("admin"))
        return sorted(x["type"] for x in r.json()["items"])

    assert await logged("all") == await logged("paris") == ["fulfillment.accepted", "fulfillment.released"]
    assert await logged("dc") == []
