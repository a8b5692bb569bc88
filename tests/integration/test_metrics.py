"""/metrics: what Prometheus reads, the same from every server process (kept in the database)."""

from prometheus_client.parser import text_string_to_metric_families

from oms.services.partners.outbox import relay
from oms.services.partners.webhook_sender import deliver_due
from tests.support import capture, confirm, order, problem, seed


async def scraped(client, **headers) -> dict[tuple[str, tuple], float]:
    r = await client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


async def test_orders_events_webhooks_and_the_outbox_are_counted(ctx, client):
    keys = await seed(ctx, client)
    r = await client.post("/v1/webhooks", headers=keys.h("admin"), json={
        "url": "http://127.0.0.1:9/down", "events": ["order.created"], "secret": "a-secret-of-some-length"})
    hook = r.json()["id"]
    placed = [await capture(client, keys, order(f"M-{i}", [("SKU-A", 1)])) for i in range(2)]
    await capture(client, keys, order("M-C", [("SKU-A", 1)], mode="click_and_collect", pickup_node_id="ST-PARIS"))
    await confirm(client, keys.h("store_paris"), placed[0]["fulfillments"][0]["id"], "reject", reason="none left")
    before = await scraped(client)
    assert before[("oms_outbox_backlog", ())] > 0
    assert ("oms_orders_captured_total", (("channel", "web"), ("mode", "home_standard"))) not in before

    await relay(ctx)
    await deliver_due(ctx)  # nothing listens: three failed attempts
    got = await scraped(client)
    assert got[("oms_orders_captured_total", (("channel", "web"), ("mode", "home_standard")))] == 2
    assert got[("oms_orders_captured_total", (("channel", "web"), ("mode", "click_and_collect")))] == 1
    assert got[("oms_events_total", (("type", "fulfillment.rejected"),))] == 1
    assert got[("oms_events_total", (("type", "order.resourced"),))] == 1
    assert got[("oms_outbox_backlog", ())] == 0
    assert got[("oms_webhook_failures_total", (("webhook", hook),))] == 3
    assert got[("oms_webhook_deliveries", (("status", "pending"),))] == 3
    assert got[("oms_webhook_lag_seconds", ())] >= 0
    assert got[("oms_orders", (("status", "created"),))] == 3


async def test_a_metrics_token_is_asked_for_when_set(ctx, client):
    ctx.settings.metrics_token = "scrape-me"
    problem(await client.get("/metrics"), 401, "unauthenticated")
    problem(await client.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "unauthenticated")
    assert ("oms_outbox_backlog", ()) in await scraped(client, Authorization="Bearer scrape-me")
