"""The operations dashboard: the day's figures from the orders, their fulfilment and their events; the
part the page refreshes in place; a channel key's own figures; none for a node key."""


from sqlalchemy import update

from oms.db import tables as t
from oms.domain.access import Principal
from oms.domain.vocabulary import Role
from oms.services.reads.dashboard import _kept, figures
from tests.integration.test_console import signed_in
from tests.support import WHY, capture, confirm, order, seed


async def test_the_days_figures(ctx, client):
    keys = await seed(ctx, client)
    placed = [await capture(client, keys, order("DB-1", [("SKU-A", 1)])),
              await capture(client, keys, order("DB-2", [("SKU-B", 1), ("SKU-C", 1)])),
              await capture(client, keys, order("DB-3", [("SKU-A", 1)], mode="click_and_collect",
                                                pickup_node_id="ST-PARIS")),
              await capture(client, keys, order("DB-4", [("SKU-B", 1)], channel="marketplace"), who="marketplace")]
    await confirm(client, keys.h("store_paris"), placed[0]["fulfillments"][0]["id"], "reject", reason="broken")
    today = ctx.clock.now().date()
    await signed_in(client, keys.admin)
    shown = await client.get("/console/dashboard")
    assert shown.status_code == 200 and "<svg" in shown.text and 'src="/console/static/console.js"' in shown.text

    d = await figures(ctx, today, principal=Principal("k", Role.ADMIN))
    assert d["orders"] == 4 and d["by_channel"] == {"web": 3, "marketplace": 1}
    assert d["by_mode"] == {"home_standard": 3, "click_and_collect": 1}
    assert d["rejections"] == 1 and d["resourcings"] == 1
    views = [(await client.get(f"/v1/orders/{p['id']}", headers=keys.h("admin"))).json() for p in placed]
    live = [len([f for f in v["fulfillments"] if f["status"] not in ("rejected", "cancelled")]) for v in views]
    assert d["split_rate"] == round(sum(1 for n in live if n > 1) / len(live), 4)
    why = [(await client.get(f"/v1/orders/{p['id']}/sourcing", headers=keys.h("admin"))).json() for p in placed]
    costs = [w["total_cost"]["amount"] for w in why]
    assert d["average_cost"] == round(sum(costs) / len(costs))
    assert sum(d["funnel"].values()) == 4

    mine = await figures(ctx, today, principal=Principal("k", Role.CHANNEL, "marketplace"))
    assert mine["orders"] == 1 and mine["rejections"] == 0  # events and webhooks are the operations' own

    fragment = await client.get("/console/dashboard", params={"fragment": 1})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'data-kpi="orders">4<' in fragment.text
    await signed_in(client, keys.store_paris)
    assert (await client.get("/console/dashboard")).status_code == 403


def test_a_promise_is_kept_when_the_part_arrives_by_its_latest_time():
    promised = {"promised": {"latest": "2026-11-30T18:00:00+01:00"}}
    assert _kept({"delivered_at": "2026-11-30T16:59:00+00:00"}, promised) is True
    assert _kept({"collected_at": "2026-11-30T17:01:00+00:00"}, promised) is False
    assert _kept({"delivered_at": "2026-11-30T10:00:00+00:00"}, {}) is None


async def test_open_orders_past_their_promise_are_listed_as_late(ctx, client):
    keys = await seed(ctx, client)
    placed = [await capture(client, keys, order(f"LT-{i}", [("SKU-A", 1)])) for i in range(3)]
    past = {"promised": {"earliest": "2026-01-01T08:00:00+00:00", "latest": "2026-01-02T18:00:00+00:00"}}
    async with ctx.db.write() as conn:
        for p in placed[:2]:
            await conn.execute(update(t.orders).where(t.orders.c.id == p["id"]).values(
                delivery={**p["delivery"], **past}))
    await client.post(f"/v1/orders/{placed[1]['id']}/cancel", json=WHY, headers=keys.h("web"))
    d = await figures(ctx, ctx.clock.now().date(), principal=Principal("k", Role.ADMIN))
    assert [x["external_ref"] for x in d["late"]] == ["LT-0"]  # the cancelled one is over
