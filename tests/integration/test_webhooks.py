"""Webhooks: every event reaches every partner that wants it, signed, in order per order, through a
partner that is down, then slow, then failing; dead deliveries can be replayed."""

import asyncio
import hashlib
import hmac
import json
import stat
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from aiohttp import web
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import text

from oms.api.app import create_app
from oms.bootstrap import build_context, prepare
from oms.config import Settings
from oms.db.engine import make_engine
from oms.db.migrate import alembic_config
from oms.services.partners import safe_http
from oms.services.partners.outbox import relay
from oms.services.partners.secret_box import SecretBox, SecretUnreadable
from oms.services.partners.webhook_sender import deliver_due
from tests.conftest import SECRET_KEY
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

    async def __aenter__(self) -> "Partner":
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

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
        if self.mode == "loud":  # an internal service that tells all about itself
            return web.Response(status=500, text="\x1b[31mTraceback\r\n" + "internal detail " * 400)
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
    try:
        assert await deliver_due(ctx, at=at, wait_s=0.3) == 0  # down: nothing listens
        await partner.start()
        for mode in ("slow", "failing"):
            partner.mode = mode
            at += timedelta(hours=1)
            assert await deliver_due(ctx, at=at, wait_s=0.3) == 0
        partner.mode = "ok"
        for _ in range(40):  # an order's events one after the other: a pass sends the next of each
            at += timedelta(hours=1)
            if not await deliver_due(ctx, at=at, wait_s=0.3):
                break
    finally:
        await partner.stop()

    got = partner.accepted()
    by_order: dict[str, list[str]] = {}
    for ev in got:
        by_order.setdefault(ev["order_id"], []).append(ev["id"])
    assert by_order == expected  # every event, once accepted, in its order's order
    for body, headers, _ in partner.got:  # retries and lost answers carry the same event, signed
        stamp = headers["X-OMS-Signature"].split(",")[0].removeprefix("t=")
        digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert headers["X-OMS-Signature"] == f"t={stamp},v1={digest}"
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
    async with Partner(port) as partner:
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
    ({"url": "https://example.com/x", "events": ["orders created"], "secret": SECRET}, "events.0"),
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
    from oms.services.partners import webhook_sender
    monkeypatch.setattr(webhook_sender, "SCAN", 2)
    keys = await seed(ctx, client)
    await subscribe(client, keys, "http://127.0.0.1:9/down")  # first: its deliveries come first in line
    port = free_port()
    async with Partner(port) as partner:
        await subscribe(client, keys, f"http://127.0.0.1:{port}/hook", events=["order.created"])
        placed = [await capture(client, keys, order(f"WH-P{i}", [("SKU-A", 1)])) for i in range(4)]
        await relay(ctx)
        at = ctx.clock.now()
        for _ in range(3):
            await deliver_due(ctx, at=at)
            at += timedelta(hours=1)
        assert sorted(e["order_id"] for e in partner.accepted()) == sorted(p["id"] for p in placed)


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


# --- Hostile subscriptions -------------------------------------------------------------------------------------

INSIDE = ["http://127.0.0.1/hook", "http://2130706433/hook", "http://0x7f.1/hook", "http://0.0.0.0:8080/",
          "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://localhost:8000/admin",
          "http://10.0.0.5/hook", "http://192.168.1.20/hook", "http://169.254.169.254/latest/meta-data/",
          "https://[fe80::1]/hook", "http://224.0.0.1/hook", "http://240.0.0.1/hook"]


@pytest.mark.parametrize("url", INSIDE)
async def test_a_url_that_reaches_inside_is_refused_naming_the_field(ctx, client, url):
    ctx.settings.webhook_allow_private = False
    keys = await seed(ctx, client)
    bad = problem(await client.post("/v1/webhooks", json={"url": url, "events": ["*"], "secret": SECRET},
                                    headers=keys.h("admin")), 422, "invalid_input")
    assert [e["field"] for e in bad["errors"]] == ["url"]
    assert (await client.get("/v1/webhooks", headers=keys.h("admin"))).json()["items"] == []


async def test_a_public_address_is_taken_and_an_operator_may_allow_inside_ones(ctx, client):
    ctx.settings.webhook_allow_private = False
    keys = await seed(ctx, client)
    await subscribe(client, keys, "http://93.184.215.14/hook")
    ctx.settings.webhook_allow_private = True  # OMS_WEBHOOK_ALLOW_PRIVATE=1: on-premise partners
    await subscribe(client, keys, "http://localhost:8000/hook")


@pytest.mark.parametrize(("url", "reason"), [
    ("https://user:pw@partner.example/hook", "credentials"),
    ("https://token@partner.example/hook", "credentials"),
    ("file:///etc/passwd", "http"),
    ("gopher://partner.example/", "http"),
    ("http://partner.example:99999/", "port"),
])
async def test_credentials_and_other_schemes_are_refused(ctx, client, url, reason):
    keys = await seed(ctx, client)  # even where inside addresses are allowed
    bad = problem(await client.post("/v1/webhooks", json={"url": url, "events": ["*"], "secret": SECRET},
                                    headers=keys.h("admin")), 422, "invalid_input")
    assert [e["field"] for e in bad["errors"]] == ["url"] and reason in bad["errors"][0]["reason"]


async def test_unknown_event_types_are_refused_naming_each(ctx, client):
    keys = await seed(ctx, client)
    body = {"url": "https://93.184.215.14/x", "events": ["order.created", "bogus.event", "order.*", "nope.*"],
            "secret": SECRET}
    bad = problem(await client.post("/v1/webhooks", json=body, headers=keys.h("admin")), 422, "invalid_input")
    assert [e["field"] for e in bad["errors"]] == ["events.1", "events.3"]
    await subscribe(client, keys, "https://93.184.215.14/x", events=["*", "order.*", "inventory.low"])


async def test_an_address_refused_at_delivery_gets_no_request(ctx, client):
    """The name was checked when the subscription was made; at delivery it is checked again (DNS can change):
    a refused address is a failed attempt that says why, and nothing is sent."""
    keys = await seed(ctx, client)
    port = free_port()
    async with Partner(port) as partner:
        hook = await subscribe(client, keys, f"http://localhost:{port}/hook", events=["order.created"])
        await capture(client, keys, order("WH-IN", [("SKU-A", 1)]))
        await relay(ctx)
        ctx.settings.webhook_allow_private = False
        assert await deliver_due(ctx) == 0
        assert partner.got == []
        [log] = (await client.get(f"/v1/webhooks/{hook}/deliveries", headers=keys.h("admin"))).json()["items"]
        assert (log["status"], log["attempts"], log["last_status"]) == ("pending", 1, None)
        assert "localhost" in log["last_error"] and "loopback" in log["last_error"]


async def test_a_name_is_resolved_once_and_only_a_checked_address_is_connected_to(ctx, client, monkeypatch):
    answers = [["127.0.0.1"]]  # what the name resolves to, lookup after lookup
    asked = []

    async def resolve(host, port):
        asked.append(host)
        return answers[min(len(asked), len(answers)) - 1]

    monkeypatch.setattr(safe_http, "resolve", resolve)
    keys = await seed(ctx, client)
    port = free_port()
    async with Partner(port) as partner:
        hook = await subscribe(client, keys, f"http://partner.test:{port}/hook", events=["order.created"])
        await capture(client, keys, order("WH-DNS1", [("SKU-A", 1)]))
        await relay(ctx)
        assert await deliver_due(ctx) == 1
        assert asked == ["partner.test"]  # one lookup, then a connection to the address it gave
        [(_, headers, _)] = partner.got
        assert headers["Host"] == f"partner.test:{port}"  # the partner still sees its own name

        ctx.settings.webhook_allow_private = False
        answers.append(["93.184.215.14", "127.0.0.1"])  # the name now also leads inside: every address counts
        await capture(client, keys, order("WH-DNS2", [("SKU-A", 1)]))
        await relay(ctx)
        assert await deliver_due(ctx) == 0
        assert len(partner.got) == 1
        log = (await client.get(f"/v1/webhooks/{hook}/deliveries", headers=keys.h("admin"))).json()["items"]
        assert "127.0.0.1" in log[0]["last_error"] and log[0]["status"] == "pending"


async def test_a_partners_answer_is_kept_as_a_short_printable_excerpt(ctx, client):
    keys = await seed(ctx, client)
    port = free_port()
    async with Partner(port) as partner:
        hook = await subscribe(client, keys, f"http://127.0.0.1:{port}/hook", events=["order.created"])
        await capture(client, keys, order("WH-L", [("SKU-A", 1)]))
        await relay(ctx)
        partner.mode = "loud"
        await deliver_due(ctx)
    [log] = (await client.get(f"/v1/webhooks/{hook}/deliveries", headers=keys.h("admin"))).json()["items"]
    assert log["last_status"] == 500
    assert len(log["last_error"]) <= 200 and log["last_error"].isprintable()
    assert log["last_error"].startswith("[31mTraceback internal detail")


# --- Signatures and secrets ------------------------------------------------------------------------------------

def documented_verify():
    """The verification snippet of the API guide, run as a partner would."""
    guide = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    code = "# Verify an OMS webhook" + guide.split("```python\n# Verify an OMS webhook")[1].split("```")[0]
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - our own documentation's example
    return scope["verify"]


async def test_a_delivery_verifies_with_the_guides_snippet_which_refuses_replays(ctx, client):
    keys = await seed(ctx, client)
    port = free_port()
    async with Partner(port) as partner:
        await subscribe(client, keys, f"http://127.0.0.1:{port}/hook", events=["order.created"])
        await capture(client, keys, order("WH-S", [("SKU-A", 1)]))
        await relay(ctx)
        before = int(ctx.clock.now().timestamp())
        assert await deliver_due(ctx) == 1
        after = ctx.clock.now().timestamp()
    [(body, headers, _)] = partner.got
    signed = headers["X-OMS-Signature"]
    stamp = int(signed.split(",")[0].removeprefix("t="))
    assert before <= stamp <= after  # signed when sent, by the service's clock
    verify = documented_verify()
    assert verify(SECRET, body, signed, now=stamp + 10)
    assert not verify(SECRET, body + b" ", signed, now=stamp + 10)  # another body
    assert not verify("another-secret-of-length", body, signed, now=stamp + 10)
    assert not verify(SECRET, body, signed, now=stamp + 301)  # a replay, more than 5 minutes later
    assert not verify(SECRET, body, signed.replace(f"t={stamp}", f"t={stamp + 60}"), now=stamp + 60)


async def test_a_copy_of_the_database_alone_holds_no_secret(ctx, client):
    keys = await seed(ctx, client)
    await subscribe(client, keys, "http://127.0.0.1:9/hook")
    async with ctx.db.read() as conn:
        [row] = (await conn.execute(text("SELECT * FROM webhooks"))).all()
    assert not any(SECRET in str(value) for value in row)


async def test_secrets_kept_in_plain_before_are_sealed_at_start_and_still_sign(tmp_path):
    url = f"sqlite:///{tmp_path / 'oms.db'}"
    engine = make_engine(url)
    async with engine.begin() as conn:  # a database of the version before secrets were sealed
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0018"))
    port = free_port()
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO webhooks (id, url, events, secret, active, created_at) VALUES "
            "('whk_old', :url, '[\"order.created\"]', :secret, 1, '2026-11-28 00:00:00')"),
            {"url": f"http://127.0.0.1:{port}/hook", "secret": SECRET})
    await engine.dispose()

    ctx = build_context(Settings(database_url=url, key_cache_seconds=0, reference_refresh_seconds=0,
                                 availability_max_age_seconds=0, webhook_allow_private=True, secret_key=SECRET_KEY))
    await prepare(ctx)
    async with Partner(port) as partner:
        async with ctx.db.read() as conn:
            [row] = (await conn.execute(text("SELECT * FROM webhooks"))).all()
        assert not any(SECRET in str(value) for value in row)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(ctx)),
                                     base_url="http://oms") as client:
            keys = await seed(ctx, client)
            await capture(client, keys, order("WH-OLD", [("SKU-A", 1)]))
        await relay(ctx)
        assert await deliver_due(ctx) == 1
        await ctx.db.dispose()
    [(body, headers, _)] = partner.got
    stamp = int(headers["X-OMS-Signature"].split(",")[0].removeprefix("t="))
    assert documented_verify()(SECRET, body, headers["X-OMS-Signature"], now=stamp)


def test_without_a_key_sqlite_makes_one_only_its_owner_reads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'oms.db'}")
    sealed = SecretBox(settings).seal(SECRET)
    key = tmp_path / "var" / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    row = SimpleNamespace(secret="", sealed_secret=sealed)
    assert SecretBox(settings).open(row) == SECRET  # the next start reads the same key
    other = Settings(database_url=settings.database_url, secret_key=Fernet.generate_key().decode())
    with pytest.raises(SecretUnreadable):
        SecretBox(other).open(row)


async def test_without_a_key_postgresql_makes_no_webhook(ctx, client):
    """Several servers share a PostgreSQL database: a key each made for itself would not open the others'."""
    keys = await seed(ctx, client)
    ctx.secrets = SecretBox(Settings(database_url="postgresql://db.example/oms"))
    bad = problem(await client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"],
                                                          "secret": SECRET}, headers=keys.h("admin")),
                  409, "secret_key_missing")
    assert "OMS_SECRET_KEY" in bad["detail"]


def test_a_key_that_is_not_a_fernet_key_is_refused_at_start():
    with pytest.raises(ValueError, match="OMS_SECRET_KEY must be a Fernet key"):
        Settings(secret_key="correct horse battery staple")
