"""Stock counts racing with each other and with captures: no deadlock, no error, the ledger still adds up."""

import asyncio

from oms.services.stock.check import stock_differences
from oms.services.stock.feeds import set_stock
from oms.services.stock.inputs import StockIn
from tests.support import order, seed


async def test_two_counts_of_a_new_row_at_once_leave_a_ledger_that_adds_up(ctx, client):
    await seed(ctx, client)
    for attempt in range(4):
        sku = ["SKU-A", "SKU-B", "SKU-C", "SKU-A"][attempt]
        node = ["LK-PARIS", "ST-PARIS", "DC-PARIS", "ST-LYON"][attempt]
        if node == "LK-PARIS":
            continue  # lockers hold no stock
        await asyncio.gather(
            set_stock(ctx, [StockIn(node_id=node, sku=sku, on_hand=10 + attempt)]),
            set_stock(ctx, [StockIn(node_id=node, sku=sku, on_hand=12 + attempt)]),
        )
    assert await stock_differences(ctx) == []


async def test_counts_racing_with_multi_line_orders_neither_fail_nor_lose_units(ctx, client):
    keys = await seed(ctx, client)
    rows = [("DC-PARIS", "SKU-A", 500), ("DC-PARIS", "SKU-B", 500), ("ST-LYON", "SKU-B", 50),
            ("ST-LYON", "SKU-C", 50), ("ST-PARIS", "SKU-A", 50), ("ST-PARIS", "SKU-C", 50)]

    async def count(reverse: bool):
        items = [{"node_id": n, "sku": s, "on_hand": q} for n, s, q in (reversed(rows) if reverse else rows)]
        return await client.put("/v1/inventory", json=items, headers=keys.h("admin"))

    async def buy(i: int):
        lines = [("SKU-C", 1), ("SKU-B", 1), ("SKU-A", 1)][: 1 + i % 3]
        return await client.post("/v1/orders", json=order(f"MIX-{i}", lines), headers=keys.h("web"))

    assert (await count(False)).status_code == 200  # enough of everything for every order below
    answers = await asyncio.gather(*(buy(i) for i in range(24)), *(count(i % 2 == 0) for i in range(6)))
    assert sorted({r.status_code for r in answers}) == [200, 201], [r.text for r in answers if r.status_code >= 300]
    assert await stock_differences(ctx) == []
