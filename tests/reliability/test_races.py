"""Concurrent clients racing for the same units and replaying the same order."""

import asyncio

from sqlalchemy import func, select

from oms.db import tables as t
from oms.services.stock.check import stock_differences
from tests.support import order, seed, stock_of

CLIENTS = 32


async def test_32_clients_racing_for_the_last_20_units_sell_exactly_20(ctx, client):
    keys = await seed(ctx, client)
    # The last 20 units of SKU-C sit in three stores; every client wants one.
    await client.put("/v1/inventory", headers=keys.h("admin"), json=[
        {"node_id": "ST-PARIS", "sku": "SKU-C", "on_hand": 7},
        {"node_id": "ST-LYON", "sku": "SKU-C", "on_hand": 8},
        {"node_id": "DC-PARIS", "sku": "SKU-C", "on_hand": 5},
    ])

    async def buy(i: int):
        return await client.post("/v1/orders", json=order(f"RACE-{i}", [("SKU-C", 1)]), headers=keys.h("web"))

    answers = await asyncio.gather(*(buy(i) for i in range(CLIENTS)))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(201) == 20
    assert codes.count(409) == CLIENTS - 20
    assert all(r.json()["code"] == "out_of_stock" for r in answers if r.status_code == 409)

    inv = await stock_of(client, keys, "SKU-C")
    assert sum(row["reserved"] for row in inv.values()) == 20
    assert all(row["available"] == 0 and row["reserved"] <= row["on_hand"] for row in inv.values())
    async with ctx.db.read() as conn:
        held = await conn.scalar(select(func.sum(t.fulfillment_lines.c.reserved)))
        orders = await conn.scalar(select(func.count()).select_from(t.orders))
    assert held == 20 and orders == 20
    assert await stock_differences(ctx) == []


async def test_the_same_order_sent_twice_at_once_is_captured_once(ctx, client):
    keys = await seed(ctx, client)
    body = order("DUP-1", [("SKU-A", 2)])
    headers = {**keys.h("web"), "Idempotency-Key": "k-123"}
    first, second = await asyncio.gather(
        client.post("/v1/orders", json=body, headers=headers),
        client.post("/v1/orders", json=body, headers=headers),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 201]
    assert first.json()["id"] == second.json()["id"]

    # The same channel reference under another key is the same order too.
    again = await client.post("/v1/orders", json=body, headers={**keys.h("web"), "Idempotency-Key": "k-456"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]

    inv = await stock_of(client, keys, "SKU-A")
    assert sum(row["reserved"] for row in inv.values()) == 2
    async with ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(t.orders)) == 1
        assert await conn.scalar(select(func.count()).select_from(t.events).where(
            t.events.c.type == "order.created")) == 1
    assert await stock_differences(ctx) == []
