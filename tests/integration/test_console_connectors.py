"""Connectors in the console: an admin sees how each is doing and its dead letters with their reasons, retries
one after fixing the mapping, retries the rest or dismisses one; sees what a platform could not be told, and
has it told again."""

import re

from oms.services.connectors.intake import capture_pending
from oms.services.connectors.reports import report_due
from oms.services.partners.outbox import relay
from tests.integration.test_connector_capture import MAPPED, SHOP, orders_of, push, shop
from tests.integration.test_connector_mirakl import debited
from tests.integration.test_connector_mirakl import shop as mirakl_shop
from tests.integration.test_console import form_token, signed_in
from tests.support import seed


def dead_shown(html: str) -> list[str]:
    return re.findall(r'data-dead="([^"]+)"', html)


async def test_an_admin_retries_and_dismisses_dead_letters_from_the_console(ctx, client):
    keys = await seed(ctx, client)
    made = await shop(client, keys, mapped=MAPPED[:1])
    for n in range(3):  # each with the candle no SKU maps to
        await push(client, made, {**SHOP, "id": 6120448812371 + n}, f"dead-{n}")
    await capture_pending(ctx)
    await signed_in(client, keys.admin)
    page = await client.get("/console/connectors")
    assert page.status_code == 200 and 'href="/console/connectors" aria-current="page"' in page.text
    dead = dead_shown(page.text)
    assert len(dead) == 3 and "no OMS SKU for line 2" in page.text
    assert re.search(r'data-kpi="dead">3<', page.text)
    csrf = form_token(page.text)
    await client.put(f"/v1/connectors/{made['id']}/skus", json={"items": MAPPED}, headers=keys.h("admin"))
    r = await client.post(f"/console/connectors/{made['id']}/dead-letters/retry",
                          data={"csrf": csrf, "record": dead[0]})
    assert r.status_code == 303
    r = await client.post(f"/console/connectors/{made['id']}/dead-letters/dismiss",
                          data={"csrf": csrf, "record": dead[1]})
    assert r.status_code == 303
    assert sorted(dead_shown((await client.get("/console/connectors")).text)) == [dead[2]]
    await client.post(f"/console/connectors/{made['id']}/dead-letters/retry", data={"csrf": csrf})
    await capture_pending(ctx)
    page = await client.get("/console/connectors")
    assert dead_shown(page.text) == [] and re.search(r'data-kpi="orders">2<', page.text)
    assert len(await orders_of(ctx, "6120448812371")) == 1 and await orders_of(ctx, "6120448812372") == []
    # A form with a forged token changes nothing; other roles have no such page.
    await push(client, made, {**SHOP, "id": 6120448812390, "line_items": [{**SHOP["line_items"][1], "quantity": 900}]},
               "out-of-stock")
    await capture_pending(ctx)
    [left] = dead_shown((await client.get("/console/connectors")).text)
    r = await client.post(f"/console/connectors/{made['id']}/dead-letters/dismiss", data={"csrf": "forged",
                                                                                        "record": left})
    assert r.status_code == 403 and dead_shown((await client.get("/console/connectors")).text) == [left]
    await signed_in(client, keys.viewer)
    assert 'href="/console/connectors"' not in (await client.get("/console/orders")).text
    assert (await client.get("/console/connectors")).status_code == 403


async def test_an_admin_sees_what_a_platform_could_not_be_told_and_has_it_told_again(ctx, client):
    async with mirakl_shop(ctx, client) as (keys, mirakl, made):
        order = await debited(ctx, made, mirakl)
        await client.post(f"/v1/orders/{order['id']}/cancel", headers=keys.h("admin"),
                          json={"lines": [{"line_no": 1, "quantity": 1}], "reason": "broken"})
        await relay(ctx)
        await report_due(ctx)  # Mirakl needs a reason code: dead
        metrics = (await client.get("/metrics")).text
        assert f'oms_connector_reports_dead{{connector="{made["id"]}",kind="mirakl"}} 1.0' in metrics
        await signed_in(client, keys.admin)
        page = await client.get("/console/connectors")
        assert re.search(r'data-kpi="reports-dead">1<', page.text)
        assert "set the connector&#39;s cancel_reason" in page.text
        await client.patch(f"/v1/connectors/{made['id']}", headers=keys.h("admin"), json={"cancel_reason": "34"})
        r = await client.post(f"/console/connectors/{made['id']}/reports/retry", data={"csrf": form_token(page.text)})
        assert r.status_code == 303
        assert await report_due(ctx) == 1
        page = await client.get("/console/connectors")
        assert re.search(r'data-kpi="reports-dead">0<', page.text) and "Telling the platform failed" not in page.text
