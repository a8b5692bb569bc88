"""Polling, the reconciliation of what webhooks missed, against shops that answer as the platforms document
(tests/platforms.py): orders changed since the mark come into the inbox once, whatever the overlap and the
webhooks that brought them already; the platform's 429 and failures are waited out or leave the mark where it
was.
"""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from oms.cli import app
from oms.db import tables as t
from oms.services.connectors import calls, platforms
from oms.services.connectors.intake import capture_pending
from oms.services.connectors.polling import OVERLAP, check, poll, poll_due
from tests.conftest import SECRET_KEY
from tests.integration.test_connector_capture import MAPPED, SHOP, WOO, inbox, orders_of, push
from tests.integration.test_connectors import SHOP_SECRET, WOO_SECRET, make
from tests.integration.test_import import on_a_context
from tests.platforms import Shopify, WooCommerce
from tests.support import seed


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(calls, "BACKOFF_S", 0.01)  # (the platforms' own waits are kept: Retry-After)


def shop_order(n: int, updated: datetime, **more) -> dict:
    return {**SHOP, "id": 6120448900000 + n, "name": f"#{3000 + n}",
            "updated_at": updated.astimezone(UTC).isoformat(), **more}


def changed_lately(now: datetime) -> list[dict]:
    """Five orders changed a minute apart, the last 46 minutes ago."""
    return [shop_order(n, now - timedelta(minutes=50 - n)) for n in range(5)]


async def shopify_connector(client, keys, platform: Shopify, token: str = Shopify.TOKEN) -> dict:
    made = await make(client, keys, base_url=platform.url,
                      credentials={"api_token": token, "webhook_secret": SHOP_SECRET})
    await client.put(f"/v1/connectors/{made['id']}/skus", json={"items": MAPPED}, headers=keys.h("admin"))
    return made


async def woo_connector(client, keys, woo: WooCommerce) -> dict:
    """A WooCommerce connector polling ``woo``, its lamps mapped by their platform SKU."""
    made = await make(client, keys, kind="woocommerce", base_url=woo.url, shipping_modes={},
                      credentials={"consumer_key": woo.KEY, "consumer_secret": woo.SECRET,
                                   "webhook_secret": WOO_SECRET})
    await client.put(f"/v1/connectors/{made['id']}/skus",
                     json={"items": [{"platform_ref": "LAMPE-ZINC", "sku": "SKU-B"}]}, headers=keys.h("admin"))
    return made


def near(a: datetime, b: datetime) -> bool:
    """The same instant, but for the seconds the test took (the service's clock runs on)."""
    return abs(a - b) < timedelta(seconds=10)


async def mark_of(ctx, connector_id: str) -> tuple[datetime | None, str | None]:
    async with ctx.db.read() as conn:
        row = (await conn.execute(select(t.connectors.c.poll_mark, t.connectors.c.poll_error)
                                  .where(t.connectors.c.id == connector_id))).one()
    return row.poll_mark, row.poll_error


async def test_a_poll_brings_what_webhooks_missed_page_by_page_and_once(ctx, client, monkeypatch):
    monkeypatch.setattr(platforms, "SHOPIFY_PAGE", 2)
    keys = await seed(ctx, client)
    now = ctx.clock.now()
    async with Shopify() as shopify:
        made = await shopify_connector(client, keys, shopify)
        shopify.orders = changed_lately(now)
        shopify.orders.append(shop_order(9, now - timedelta(days=3)))  # changed before the first poll looks
        await push(client, made, shopify.orders[0], "pushed-as-well")  # this one the webhook brought
        polled = await poll(ctx, made["id"])
        assert (polled["read"], polled["kept"], polled["error"]) == (5, 5, None)
        # Every page read: every change up to the moment the poll asked is kept.
        assert near(datetime.fromisoformat(polled["mark"]), ctx.clock.now())
        assert len(shopify.got) == 3  # pages of two, by the Link header's cursor
        first = shopify.got[0].query
        assert first["order"] == "updated_at asc" and first["status"] == "any"
        assert near(datetime.fromisoformat(first["updated_at_min"]), now - timedelta(days=1) - OVERLAP)
        # Polled again: the overlap reads them again, nothing is kept twice.
        again = await poll(ctx, made["id"])
        assert again["kept"] == 0 and again["mark"] >= polled["mark"]
        assert datetime.fromisoformat(shopify.got[3].query["updated_at_min"]) == \
            datetime.fromisoformat(polled["mark"]) - OVERLAP
    assert await capture_pending(ctx) == 6
    for n in range(5):
        assert len(await orders_of(ctx, str(6120448900000 + n))) == 1
    assert await orders_of(ctx, "6120448900009") == []
    statuses = [x["status"] for x in await inbox(client, keys, made)]
    assert statuses.count("captured") == 5 and statuses.count("ignored") == 1


async def test_the_platform_asking_to_slow_down_is_waited_out(ctx, client):
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made = await shopify_connector(client, keys, shopify)
        shopify.orders = [shop_order(1, ctx.clock.now() - timedelta(minutes=5))]
        shopify.throttle, shopify.failing = 1, 1  # a 429, then a 503, then the answer
        started = datetime.now(UTC)
        polled = await poll(ctx, made["id"])
        assert (polled["kept"], polled["error"]) == (1, None)
        assert len(shopify.got) == 3
        assert datetime.now(UTC) - started >= timedelta(seconds=1)  # Retry-After: 1.0 was kept


async def test_a_page_that_keeps_failing_leaves_the_mark_after_the_last_page_kept(ctx, client, monkeypatch):
    monkeypatch.setattr(platforms, "SHOPIFY_PAGE", 2)
    keys = await seed(ctx, client)
    now = ctx.clock.now()
    async with Shopify() as shopify:
        made = await shopify_connector(client, keys, shopify)
        shopify.orders = changed_lately(now)
        shopify.failing_page = 2
        polled = await poll(ctx, made["id"])
        assert polled["kept"] == 2 and polled["error"].startswith("failed 4 times, last: 503")
        assert await mark_of(ctx, made["id"]) == (datetime.fromisoformat(shopify.orders[1]["updated_at"]),
                                                  polled["error"])
        shopify.failing_page = None
        polled = await poll(ctx, made["id"])  # from the mark: the rest
        assert (polled["kept"], polled["error"]) == (3, None)
        assert (await mark_of(ctx, made["id"]))[1] is None


async def test_woocommerce_is_polled_in_gmt_and_its_mark_waits_for_every_page(ctx, client, monkeypatch):
    monkeypatch.setattr(platforms, "WOO_PAGE", 1)
    keys = await seed(ctx, client)
    now = ctx.clock.now().astimezone(UTC).replace(tzinfo=None, microsecond=0)
    async with WooCommerce() as woo:
        made = await woo_connector(client, keys, woo)
        # Created in one order, changed in another: pages come by creation.
        woo.orders = [{**WOO, "id": 10500 + n, "date_created_gmt": (now - timedelta(hours=5 - n)).isoformat(),
                       "date_modified_gmt": (now - timedelta(minutes=m)).isoformat()}
                      for n, m in enumerate((5, 40, 20))]
        woo.failing_page = 3
        failed = await poll(ctx, made["id"])
        assert failed["kept"] == 2 and failed["mark"] is None  # not every page read: the mark stays
        woo.failing_page = None
        polled = await poll(ctx, made["id"])
        assert (polled["kept"], polled["error"]) == (1, None)
        assert near(datetime.fromisoformat(polled["mark"]), ctx.clock.now())
        asked = woo.got[-1].query
        assert near(datetime.fromisoformat(asked["modified_before"]).replace(tzinfo=UTC), ctx.clock.now())
        assert asked["dates_are_gmt"] == "true" and near(datetime.fromisoformat(asked["modified_after"]),
                                                         now - timedelta(days=1) - OVERLAP)
    assert await capture_pending(ctx) == 3
    assert len(await orders_of(ctx, "10501")) == 1


async def test_woocommerce_without_page_counts_reads_until_a_page_is_not_full(ctx, client, monkeypatch):
    monkeypatch.setattr(platforms, "WOO_PAGE", 2)
    keys = await seed(ctx, client)
    now = ctx.clock.now().astimezone(UTC).replace(tzinfo=None, microsecond=0)
    async with WooCommerce() as woo:
        woo.counts = False  # (a proxy stripped X-WP-TotalPages)
        made = await woo_connector(client, keys, woo)
        woo.orders = [{**WOO, "id": 10600 + n, "date_created_gmt": (now - timedelta(hours=9 - n)).isoformat(),
                       "date_modified_gmt": (now - timedelta(minutes=30 - n)).isoformat()} for n in range(5)]
        polled = await poll(ctx, made["id"])
        assert (polled["read"], polled["kept"], polled["error"]) == (5, 5, None) and len(woo.got) == 3


async def test_a_woocommerce_window_too_full_for_one_poll_is_narrowed(ctx, client, monkeypatch):
    monkeypatch.setattr(platforms, "WOO_PAGE", 1)
    monkeypatch.setattr(platforms, "PAGES_MAX", 2)
    keys = await seed(ctx, client)
    now = ctx.clock.now().astimezone(UTC).replace(tzinfo=None, microsecond=0)
    async with WooCommerce() as woo:
        made = await woo_connector(client, keys, woo)
        woo.orders = [{**WOO, "id": 10700 + n, "date_created_gmt": (now - timedelta(hours=23 - n)).isoformat(),
                       "date_modified_gmt": (now - timedelta(hours=23 - 4 * n)).isoformat()} for n in range(6)]
        for _ in range(8):  # each poll takes what fits, the mark moving to its window's end
            polled = await poll(ctx, made["id"])
            assert polled["error"] is None and polled["read"] <= 2
            if polled["mark"] and near(datetime.fromisoformat(polled["mark"]), ctx.clock.now()):
                break
        assert near(datetime.fromisoformat(polled["mark"]), ctx.clock.now())
    async with ctx.db.read() as conn:
        kept = (await conn.execute(select(t.connector_inbox.c.platform_ref))).scalars().all()
    assert sorted(set(kept)) == [str(10700 + n) for n in range(6)]  # none left behind


async def test_refused_credentials_and_records_that_are_no_orders_are_said(ctx, client):
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made = await shopify_connector(client, keys, shopify, token="shpat_revoked")
        polled = await poll(ctx, made["id"])
        assert polled["error"].startswith("401: the credentials are refused") and polled["mark"] is None
        assert [what for what, ok, _ in await check(ctx, made["id"]) if not ok] == ["orders"]
        await client.patch(f"/v1/connectors/{made['id']}", json={"credentials": {"api_token": Shopify.TOKEN}},
                           headers=keys.h("admin"))
        assert all(ok for _, ok, _ in await check(ctx, made["id"]))
        shopify.orders = [shop_order(1, ctx.clock.now()),
                          {"note": "not an order", "updated_at": ctx.clock.now().isoformat()}]
        r = await client.post(f"/v1/connectors/{made['id']}/poll", headers=keys.h("admin"))
        assert r.status_code == 200 and r.json()["kept"] == 2 and r.json()["error"] is None
    await capture_pending(ctx)
    [dead] = (await client.get(f"/v1/connectors/{made['id']}/dead-letters", headers=keys.h("admin"))).json()["items"]
    assert dead["error"] == "the record cannot be read: id: missing, or not a number nor a text"


async def test_a_connector_is_polled_when_its_time_has_come_by_one_process(ctx, client):
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made = await shopify_connector(client, keys, shopify)
        assert await poll_due(ctx) == 1
        assert await poll_due(ctx) == 0  # its 300 s have not passed
        ctx.clock.advance(timedelta(seconds=301))
        assert await poll_due(ctx) == 1
        await client.patch(f"/v1/connectors/{made['id']}", json={"active": False}, headers=keys.h("admin"))
        ctx.clock.advance(timedelta(seconds=301))
        assert await poll_due(ctx) == 0
        assert len(shopify.got) == 2


def test_the_command_says_what_works(database_url):
    async def setup(ctx):
        from oms.demo.load import SYSTEM
        from oms.services.connectors import settings
        from oms.services.connectors.inputs import ConnectorIn

        body = ConnectorIn(kind="shopify", channel="web", base_url="http://127.0.0.1:9",  # (nobody listens)
                           credentials={"api_token": "t", "webhook_secret": "s"})
        return (await settings.create(ctx, body, principal=SYSTEM))["id"]

    env = {"OMS_DATABASE_URL": database_url, "OMS_SECRET_KEY": SECRET_KEY, "OMS_WEBHOOK_ALLOW_PRIVATE": "1",
           "COLUMNS": "250"}
    CliRunner().invoke(app, ["connectors", "list"], env=env)  # (the schema made)
    connector_id = on_a_context(database_url, setup, secret_key=SECRET_KEY, webhook_allow_private=True)
    result = CliRunner().invoke(app, ["connectors", "test", connector_id], env=env)
    assert result.exit_code == 1, result.output
    assert "ok  credentials" in result.output and "fails  orders: failed 4 times, last: ConnectError" in result.output
    assert f"/v1/connectors/{connector_id}/webhooks" in result.output
    another_key = {**env, "OMS_SECRET_KEY": Fernet.generate_key().decode()}
    result = CliRunner().invoke(app, ["connectors", "test", connector_id], env=another_key)
    assert result.exit_code == 1 and "fails  credentials" in result.output


async def test_an_answer_past_the_size_a_call_reads_is_cut_off(ctx, client, monkeypatch):
    monkeypatch.setattr(calls, "ANSWER_MAX", 10_000)
    keys = await seed(ctx, client)
    async with Shopify() as shopify:
        made = await shopify_connector(client, keys, shopify)
        shopify.orders = [shop_order(n, ctx.clock.now() - timedelta(minutes=n)) for n in range(20)]
        polled = await poll(ctx, made["id"])
        assert polled["error"] == "the answer is over 10000 bytes" and polled["kept"] == 0
        assert polled["mark"] is None
