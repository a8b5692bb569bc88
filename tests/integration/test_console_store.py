"""The store associate's queue in the console: the store's work by step, each step's action, and only
that store's work."""

import re

from tests.integration.test_console import form_token, signed_in
from tests.support import capture, order, seed


def ids_under(html: str, step: str) -> list[str]:
    """The fulfilment orders listed under a step's heading."""
    section = html.split(f'id="h-{step}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'aria-label="(ord_[^"]+)"', section)


async def test_a_click_and_collect_order_from_accept_to_hand_over(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("ST-1", [("SKU-A", 2)], mode="click_and_collect",
                                               pickup_node_id="ST-PARIS"))
    fid, oid = placed["fulfillments"][0]["id"], placed["id"]
    await signed_in(client, keys.store_paris)
    assert (await client.get("/console")).headers["location"] == "/console/store"
    page = await client.get("/console/store")
    assert page.status_code == 200 and ids_under(page.text, "to_accept") == [oid]
    csrf = form_token(page.text)

    async def step(action: str, **fields):
        r = await client.post(f"/console/store/{fid}/{action}", data={"csrf": csrf, **fields})
        return r

    assert (await step("reject", reason=" ")).status_code == 422  # a rejection says why
    assert (await step("accept")).status_code == 303
    assert ids_under((await client.get("/console/store")).text, "to_pick") == [oid]
    assert (await step("pick", **{"found-SKU-A": "two"})).status_code == 422
    assert (await step("pick", **{"found-SKU-A": "2"})).status_code == 303
    assert ids_under((await client.get("/console/store")).text, "to_ready") == [oid]
    assert (await step("ready")).status_code == 303
    page = (await client.get("/console/store")).text
    assert ids_under(page, "to_hand_over") == [oid]
    wrong = await step("collect", pickup_code="000000x")
    assert wrong.status_code == 422 and "does not match" in wrong.text
    code = (await client.get(f"/v1/orders/{oid}", headers=keys.h("admin"))).json()["fulfillments"][0]["details"][
        "pickup_code"]
    assert (await step("collect", pickup_code=code)).status_code == 303
    assert (await client.get(f"/v1/orders/{oid}", headers=keys.h("admin"))).json()["status"] == "collected"
    page = (await client.get("/console/store")).text
    assert all(not ids_under(page, s) for s in ("to_accept", "to_pick", "to_ready", "to_hand_over"))


async def test_a_store_sees_and_acts_on_its_own_work_only(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("ST-2", [("SKU-A", 1)]))
    fid = placed["fulfillments"][0]["id"]
    await signed_in(client, keys.store_lyon)
    page = await client.get("/console/store")
    assert placed["id"] not in page.text
    refused = await client.post(f"/console/store/{fid}/accept", data={"csrf": form_token(page.text)})
    assert refused.status_code == 404  # not its work: none it is told of
    await signed_in(client, keys.admin)
    assert (await client.get("/console/store")).status_code == 422  # an admin names the store
    page = await client.get("/console/store", params={"node_id": "ST-PARIS"})
    assert ids_under(page.text, "to_accept") == [placed["id"]]
    r = await client.post(f"/console/store/{fid}/reject?node_id=ST-PARIS",
                          data={"csrf": form_token(page.text), "reason": "shelf empty"})
    assert r.status_code == 303 and r.headers["location"] == "/console/store?node_id=ST-PARIS&done=1"
    events = (await client.get(f"/v1/orders/{placed['id']}/events", headers=keys.h("admin"))).json()
    assert any(e["type"] == "fulfillment.rejected" and e["reason"] == "shelf empty" for e in events)
