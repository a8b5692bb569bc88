"""Replenishment in the console: the planner sees the latest run the most urgent first, changes a quantity and
approves; the DC sends from its queue (a unit short); the store receives from its own (one damaged)."""

import re

import pytest

from tests.integration.test_console import form_token, signed_in
from tests.integration.test_replenishment_runs import START, month_of_sales, run
from tests.support import create_key, seed, stock_of


def lines_shown(html: str) -> list[str]:
    return re.findall(r'data-line="([^"]+)"', html)


def under(html: str, section: str) -> list[str]:
    part = html.split(f'id="h-{section}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'aria-label="(trf_[^"]+)"', part)


@pytest.mark.clock_at(START.isoformat())
async def test_a_run_approved_from_the_console_is_sent_and_received_from_the_queues(ctx, client):
    keys = await seed(ctx, client)
    await client.post("/v1/inventory/snapshots", headers=keys.h("admin"), json={
        "node_id": "ST-PARIS", "counted_at": START.isoformat(), "items": [{"sku": "SKU-A", "on_hand": 5}]})
    await month_of_sales(ctx, client, keys, dc_units=100)
    await signed_in(client, keys.viewer)
    assert "No replenishment run yet" in (await client.get("/console/replenishment")).text
    got = await run(client, keys, date="2026-04-30")
    page = await client.get("/console/replenishment")
    # A viewer reads the latest run, without the means to change it.
    assert page.status_code == 200 and got["id"] in page.text and 'name="q-' not in page.text
    assert sorted(lines_shown(page.text)) == ["ST-LYON|SKU-A", "ST-PARIS|SKU-A"]
    assert lines_shown((await client.get("/console/replenishment", params={"node_id": "ST-LYON"})).text) == [
        "ST-LYON|SKU-A"]
    await signed_in(client, keys.admin)
    page = await client.get("/console/replenishment", params={"sort": "store"})
    assert lines_shown(page.text) == ["ST-LYON|SKU-A", "ST-PARIS|SKU-A"]
    csrf = form_token(page.text)
    approve = f"/console/replenishment/runs/{got['id']}/approve"
    wrong = await client.post(approve, data={"csrf": csrf, "q-ST-LYON|SKU-A": "lots", "was-ST-LYON|SKU-A": "6"})
    assert wrong.status_code == 422
    done = await client.post(approve, data={"csrf": csrf, "q-ST-LYON|SKU-A": "8", "was-ST-LYON|SKU-A": "6",
                                            "q-ST-PARIS|SKU-A": "6", "was-ST-PARIS|SKU-A": "6"})
    assert done.status_code == 303
    page = (await client.get(done.headers["location"])).text
    assert "Approved" in page and 'name="q-' not in page and page.count("trf_") == 2
    # The DC accepts, finds 7 of Lyon's 8 and ships; Lyon receives 6 and one damaged.
    lyon = (await client.get("/v1/transfers", params={"node_id": "ST-LYON"}, headers=keys.h("admin"))).json()
    [transfer] = lyon["items"]
    dc, _ = await create_key(ctx, role="node", scope="DC-PARIS", name="dc")
    await signed_in(client, dc)
    page = (await client.get("/console/store")).text
    assert sorted(under(page, "to_send")) == sorted(lyon_and_paris := [x["id"] for x in (
        await client.get("/v1/transfers", headers=keys.h("admin"))).json()["items"]]) and len(lyon_and_paris) == 2
    step = f"/console/store/transfers/{transfer['id']}"
    assert (await client.post(f"{step}/accept", data={"csrf": form_token(page)})).status_code == 303
    page = (await client.get("/console/store")).text
    # A count that is not a number, or a carrier name too long, is the form's error; nothing is said of it.
    for wrong in ({"found-SKU-A": "²"}, {"found-SKU-A": "7", "carrier": "x" * 65}):
        refused = await client.post(f"{step}/ship", data={"csrf": form_token(page), **wrong})
        assert refused.status_code == 422, refused.text
    assert (await client.get(f"/v1/transfers/{transfer['id']}", headers=keys.h("admin"))).json()["status"] == \
        "accepted"
    assert (await client.post(f"{step}/ship", data={"csrf": form_token(page), "found-SKU-A": "7",
                                                      "carrier": "fleet"})).status_code == 303
    assert transfer["id"] not in under((await client.get("/console/store")).text, "to_send")
    await signed_in(client, keys.store_lyon)
    page = (await client.get("/console/store")).text
    assert under(page, "inbound") == [transfer["id"]]
    bad = await client.post(f"{step}/receive", data={"csrf": form_token(page), "got-SKU-A": "7", "damaged-SKU-A": "1"})
    assert bad.status_code == 422 and "7 shipped" in bad.text
    before = (await stock_of(client, keys, "SKU-A"))["ST-LYON"]["on_hand"]
    assert (await client.post(f"{step}/receive", data={"csrf": form_token(page), "got-SKU-A": "6",
                                                         "damaged-SKU-A": "1"})).status_code == 303
    assert (await stock_of(client, keys, "SKU-A"))["ST-LYON"]["on_hand"] == before + 6
    assert under((await client.get("/console/store")).text, "inbound") == []
    got = (await client.get(f"/v1/transfers/{transfer['id']}", headers=keys.h("admin"))).json()
    assert (got["status"], got["lines"][0]["picked"], got["lines"][0]["damaged"]) == ("received", 7, 1)


@pytest.mark.clock_at(START.isoformat())
async def test_only_planners_see_the_page_and_only_admins_change_anything(ctx, client):
    keys = await seed(ctx, client)
    await signed_in(client, keys.store_paris)
    assert (await client.get("/console/replenishment")).status_code == 403
    page = (await client.get("/console/store")).text
    refused = await client.post("/console/store/transfers/trf_nope/accept", data={"csrf": form_token(page)})
    assert refused.status_code == 404
    await signed_in(client, keys.viewer)
    page = (await client.get("/console/replenishment")).text
    assert "Propose now" not in page
    refused = await client.post("/console/replenishment/runs", data={"csrf": form_token(page)})
    assert refused.status_code == 403
    await signed_in(client, keys.admin)
    page = (await client.get("/console/replenishment")).text
    made = await client.post("/console/replenishment/runs", data={"csrf": form_token(page), "node_id": "ST-NOPE"})
    assert made.status_code == 422 and "ST-NOPE has no replenishment settings" in made.text
