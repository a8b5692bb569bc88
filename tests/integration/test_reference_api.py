"""Reference data and stock counts through HTTP: bulk upserts all or nothing, the ledger, health."""

import re

import pytest
from sqlalchemy import func, select

from oms.db import tables as t
from oms.db.migrate import head_revision
from tests.support import NODES, PRODUCTS, STOCK, all_stock, confirm, node, order, problem, seed, stock_of


def names_item(errors: list[dict], index: int, field: str | None = None) -> bool:
    """Whether some error names item ``index`` of the bulk call (``items.N…`` or ``N…``), and the field if given."""
    pattern = rf"(items\.)?{index}" + (rf"\.{re.escape(field)}" if field else r"(\..+)?")
    return any(re.fullmatch(pattern, e["field"]) for e in errors)


async def ledger(ctx) -> list[tuple[str, str, int, str, str | None]]:
    m = t.movements.c
    async with ctx.db.read() as conn:
        rows = await conn.execute(select(m.node_id, m.sku, m.delta, m.reason, m.ref).order_by(m.id))
        return [tuple(r) for r in rows]


async def ledger_sums(ctx) -> dict[tuple[str, str], int]:
    m = t.movements.c
    async with ctx.db.read() as conn:
        rows = await conn.execute(select(m.node_id, m.sku, func.sum(m.delta)).group_by(m.node_id, m.sku))
        return {(n, s): int(total) for n, s, total in rows}


# --- bulk upserts ------------------------------------------------------------------------------------------


async def test_bulk_upserts_answer_the_count_and_the_listings_show_the_data(ctx, client):
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    for path, items in (("/v1/products", PRODUCTS), ("/v1/nodes", NODES), ("/v1/inventory", STOCK)):
        r = await client.put(path, json=items, headers=admin)
        assert r.status_code == 200, r.text
        stale = {"stale": 0} if path == "/v1/inventory" else {}  # stock counts also say what was left as it was
        assert r.json() == {"upserted": len(items), **stale}

    products = (await client.get("/v1/products", headers=admin)).json()
    assert [p["sku"] for p in products["items"]] == ["SKU-A", "SKU-B", "SKU-C"]
    assert products["items"][1]["price"] == {"amount": 4999, "currency": "EUR"}
    stores = (await client.get("/v1/nodes", params={"type": "store"}, headers=admin)).json()["items"]
    assert [n["id"] for n in stores] == ["ST-LYON", "ST-PARIS"]
    assert stores[1]["hands_over"] == ["click_and_collect", "reserve_in_store", "store_carry_out"]
    assert {k: v["on_hand"] for k, v in (await all_stock(client, keys)).items()} == {
        (s["node_id"], s["sku"]): s["on_hand"] for s in STOCK
    }


async def test_an_upsert_replaces_what_was_there(ctx, client):
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    lamp = {**PRODUCTS[1], "name": "Desk lamp", "price": {"amount": 3999, "currency": "EUR"}}
    rug = {**PRODUCTS[2], "sku": "SKU-D", "name": "Runner"}
    r = await client.put("/v1/products", json=[lamp, rug], headers=admin)
    assert r.json() == {"upserted": 2}
    products = {p["sku"]: p for p in (await client.get("/v1/products", headers=admin)).json()["items"]}
    assert set(products) == {"SKU-A", "SKU-B", "SKU-C", "SKU-D"}
    assert products["SKU-B"]["name"] == "Desk lamp" and products["SKU-B"]["price"]["amount"] == 3999
    # A new product can be stocked and sold at once.
    r = await client.put("/v1/inventory", json=[{"node_id": "DC-PARIS", "sku": "SKU-D", "on_hand": 4}], headers=admin)
    assert r.status_code == 200, r.text
    r = await client.post("/v1/orders", json=order("NEW-1", [("SKU-D", 4)]), headers=keys.h("web"))
    assert r.status_code == 201, r.text
    assert [f["node_id"] for f in r.json()["fulfillments"]] == ["DC-PARIS"]


async def test_a_node_made_inactive_is_no_longer_used(ctx, client):
    keys = await seed(ctx, client)
    paris = {**next(n for n in NODES if n["id"] == "ST-PARIS"), "active": False}
    r = await client.put("/v1/nodes", json=[paris], headers=keys.h("admin"))
    assert r.json() == {"upserted": 1}
    r = await client.post("/v1/orders", json=order("IN-1", [("SKU-A", 1)]), headers=keys.h("web"))
    assert r.status_code == 201, r.text
    assert [f["node_id"] for f in r.json()["fulfillments"]] == ["DC-PARIS"]
    r = await client.post(
        "/v1/orders", json=order("IN-2", mode="click_and_collect", pickup_node_id="ST-PARIS"), headers=keys.h("web")
    )
    body = problem(r, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["delivery.pickup_node_id"]


@pytest.mark.parametrize(
    ("path", "bad", "field"),
    [
        ("/v1/inventory", {"node_id": "ST-LYON", "sku": "SKU-A", "on_hand": -1}, "on_hand"),
        ("/v1/inventory", {"node_id": "ST-NOWHERE", "sku": "SKU-A", "on_hand": 3}, "node_id"),
        ("/v1/inventory", {"node_id": "ST-LYON", "sku": "SKU-NOPE", "on_hand": 3}, "sku"),
        ("/v1/inventory", {"node_id": "LK-PARIS", "sku": "SKU-A", "on_hand": 3}, "node_id"),
        ("/v1/inventory", {"node_id": "ST-LYON", "sku": "SKU-A", "on_hand": 3, "safety_stock": -1}, "safety_stock"),
        ("/v1/products", {**PRODUCTS[0], "sku": "SKU-Z", "weight_g": 0}, "weight_g"),
        ("/v1/products", {**PRODUCTS[0], "sku": "SKU-Z", "price": {"amount": -5, "currency": "EUR"}}, "price"),
        ("/v1/products", {**PRODUCTS[0], "sku": "SKU Z"}, "sku"),
        ("/v1/nodes", {**NODES[0], "id": "DC-2", "type": "castle"}, "type"),
        ("/v1/nodes", {**NODES[0], "id": "DC-2", "timezone": "Mars/Olympus"}, "timezone"),
    ],
)
async def test_one_bad_item_rejects_the_whole_call_naming_its_index(ctx, client, path, bad, field):
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    good = {
        "/v1/inventory": {"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 50},
        "/v1/products": {**PRODUCTS[0], "price": {"amount": 1, "currency": "EUR"}},
        "/v1/nodes": {**NODES[1], "active": False},
    }[path]
    before = (await client.get(path, params={"limit": 500}, headers=admin)).json()
    ledger_before = await ledger(ctx)

    r = await client.put(path, json=[good, bad], headers=admin)
    body = problem(r, 422, "invalid_input")
    assert names_item(body["errors"], 1, None), body["errors"]
    assert any(field in e["field"] for e in body["errors"]), body["errors"]
    assert not names_item(body["errors"], 0), body["errors"]

    assert (await client.get(path, params={"limit": 500}, headers=admin)).json() == before
    assert await ledger(ctx) == ledger_before


async def test_items_given_twice_in_one_call_are_refused(ctx, client):
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    before = await all_stock(client, keys)
    r = await client.put(
        "/v1/inventory",
        headers=admin,
        json=[
            {"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 7},
            {"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 8},
        ],
    )
    body = problem(r, 422, "invalid_input")
    assert names_item(body["errors"], 1), body["errors"]
    assert await all_stock(client, keys) == before
    r = await client.put("/v1/products", json=[PRODUCTS[0], PRODUCTS[0]], headers=admin)
    assert names_item(problem(r, 422, "invalid_input")["errors"], 1)


async def test_a_node_handing_over_home_deliveries_is_refused(ctx, client):
    keys = await seed(ctx, client)
    bad = node("ST-X", "store", 48.0, 2.0, "X", ["home_standard"], ["home_standard"])
    body = problem(await client.put("/v1/nodes", json=[NODES[0], bad], headers=keys.h("admin")), 422, "invalid_input")
    assert names_item(body["errors"], 1), body["errors"]
    nodes = (await client.get("/v1/nodes", headers=keys.h("admin"))).json()["items"]
    assert "ST-X" not in {n["id"] for n in nodes}


# --- stock and the ledger ----------------------------------------------------------------------------------


async def test_setting_stock_writes_each_change_to_the_ledger(ctx, client):
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    # Seeding wrote one movement per stock row, from zero to its count.
    assert sorted(await ledger(ctx)) == sorted((s["node_id"], s["sku"], s["on_hand"], "count", "api") for s in STOCK)
    seeded = len(STOCK)

    r = await client.put(
        "/v1/inventory",
        headers=admin,
        json=[
            {"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 8},  # +3
            {"node_id": "DC-PARIS", "sku": "SKU-B", "on_hand": 4},  # -6
            {"node_id": "ST-LYON", "sku": "SKU-C", "on_hand": 3},  # unchanged: no movement
            {"node_id": "DC-PARIS", "sku": "SKU-C", "on_hand": 0},  # a new row at zero: no movement
        ],
    )
    assert r.json() == {"upserted": 4, "stale": 0}
    assert sorted((await ledger(ctx))[seeded:]) == sorted([
        ("ST-PARIS", "SKU-A", 3, "count", "api"),
        ("DC-PARIS", "SKU-B", -6, "count", "api"),
    ])
    stock = await all_stock(client, keys)
    assert stock[("ST-PARIS", "SKU-A")]["on_hand"] == 8 and stock[("DC-PARIS", "SKU-B")]["on_hand"] == 4
    new = stock[("DC-PARIS", "SKU-C")]
    assert (new["on_hand"], new["reserved"], new["safety_stock"]) == (0, 0, 0)


async def test_the_ledger_always_adds_up_to_on_hand(ctx, client):
    keys = await seed(ctx, client)
    web, store = keys.h("web"), keys.h("store_paris")
    shipped = (await client.post("/v1/orders", json=order("L-1", [("SKU-A", 2)]), headers=web)).json()
    short = (await client.post("/v1/orders", json=order("L-2", [("SKU-A", 3)]), headers=web)).json()
    for f, steps in (
        (shipped["fulfillments"][0]["id"], [("accept", {}), ("ship", {})]),
        (short["fulfillments"][0]["id"], [("accept", {}), ("pick", {"lines": [{"sku": "SKU-A", "quantity": 1}]})]),
    ):
        for action, body in steps:
            await confirm(client, store, f, action, **body)
    await client.put(
        "/v1/inventory", json=[{"node_id": "DC-PARIS", "sku": "SKU-B", "on_hand": 12}], headers=keys.h("admin")
    )

    stock = await all_stock(client, keys)
    # ST-PARIS mugs: 5, two shipped, two not found when picking.
    mugs = stock[("ST-PARIS", "SKU-A")]
    assert (mugs["on_hand"], mugs["reserved"]) == (1, 1)
    sums = await ledger_sums(ctx)
    assert {k: v["on_hand"] for k, v in stock.items() if v["on_hand"] or k in sums} == sums


async def test_a_new_count_keeps_the_units_reserved_for_orders(ctx, client):
    keys = await seed(ctx, client)
    r = await client.post("/v1/orders", json=order("K-1", [("SKU-A", 2)]), headers=keys.h("web"))
    assert r.status_code == 201
    r = await client.put(
        "/v1/inventory",
        headers=keys.h("admin"),
        json=[{"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 10, "safety_stock": 3}],
    )
    assert r.status_code == 200, r.text
    row = (await stock_of(client, keys, "SKU-A"))["ST-PARIS"]
    assert (row["on_hand"], row["reserved"], row["safety_stock"], row["available"]) == (10, 2, 3, 5)
    # Leaving safety_stock out keeps the one set before.
    await client.put(
        "/v1/inventory", headers=keys.h("admin"), json=[{"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 4}]
    )
    row = (await stock_of(client, keys, "SKU-A"))["ST-PARIS"]
    assert (row["on_hand"], row["reserved"], row["safety_stock"], row["available"]) == (4, 2, 3, 0)


async def test_inventory_listing_filters_and_pages(ctx, client):
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    r = await client.get("/v1/inventory", params={"node_id": "ST-LYON"}, headers=admin)
    assert {(i["sku"], i["on_hand"]) for i in r.json()["items"]} == {("SKU-B", 4), ("SKU-C", 3)}
    seen, cursor = [], None
    while True:
        page = (
            await client.get(
                "/v1/inventory", params={"limit": 4, **({"cursor": cursor} if cursor else {})}, headers=admin
            )
        ).json()
        seen += [(i["node_id"], i["sku"]) for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == len(set(seen)) == len(STOCK)
    assert set(seen) == {(s["node_id"], s["sku"]) for s in STOCK}


# --- health ------------------------------------------------------------------------------------------------


async def test_health_and_readiness(ctx, client):
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "migration": head_revision()}
    assert head_revision() is not None
