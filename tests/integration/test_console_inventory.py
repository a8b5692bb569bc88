"""A SKU across the network in the console: per node, per delivery mode for a channel, the latest
movements; an unknown SKU named."""

from tests.integration.test_console import signed_in
from tests.support import capture, confirm, order, seed


async def test_a_skus_units_per_node_and_mode_with_its_movements(ctx, client):
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order("IN-1", [("SKU-A", 2)]))
    fid = placed["fulfillments"][0]["id"]
    await confirm(client, keys.h("store_paris"), fid, "accept")
    await confirm(client, keys.h("store_paris"), fid, "ship", carrier="c", tracking_number="IN-1")
    await signed_in(client, keys.web)
    empty = await client.get("/console/inventory")
    assert empty.status_code == 200 and "Give a SKU" in empty.text
    page = await client.get("/console/inventory", params={"sku": "SKU-A"})
    assert page.status_code == 200
    api = (await client.get("/v1/availability/SKU-A", params={"channel": "web"}, headers=keys.h("web"))).json()
    assert f'data-kpi="available">{api["available"]}<' in page.text
    assert "<td>ST-PARIS</td><td>3</td><td>0</td>" in page.text  # 5 on hand, 2 shipped
    assert "<td>-2</td><td>ship</td>" in page.text
    assert "home_standard" in page.text
    unknown = await client.get("/console/inventory", params={"sku": "NOPE"})
    assert unknown.status_code == 422 and "unknown sku" in unknown.text
    await signed_in(client, keys.store_paris)
    assert (await client.get("/console/inventory", params={"sku": "SKU-A"})).status_code == 403
