"""inventory.low: told once when a SKU's available units at a node fall below the threshold, and
inventory.replenished when they are back; nothing without a threshold."""

from sqlalchemy import select

from oms.db import tables as t
from oms.services.stock.low_stock import tell_low_stock
from tests.support import capture, order, seed


async def told(ctx) -> list[tuple[str, str, str, int]]:
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(t.events.c.type, t.events.c.data).where(
            t.events.c.type.like("inventory.%")).order_by(t.events.c.id))).all()
    return [(r.type, r.data["node_id"], r.data["sku"], r.data["available"]) for r in rows]


async def test_low_stock_is_told_once_and_its_return_too(ctx, client):
    keys = await seed(ctx, client)
    assert await tell_low_stock(ctx) == 0  # no threshold: nothing, whatever the stock
    r = await client.put("/v1/stock-rules", json={"low_stock_below": 3}, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    ctx.batch.pop("low_stock_since", None)
    first = await tell_low_stock(ctx)
    # At the start: the rows already below 3 (ST-PARIS has 2 rugs; nothing else is below 3).
    assert await told(ctx) == [("inventory.low", "ST-PARIS", "SKU-C", 2)] and first == 1

    await capture(client, keys, order("LS-1", [("SKU-A", 3)]))  # ST-PARIS's mugs: 5 -> 2 available
    assert await tell_low_stock(ctx) == 1
    assert await tell_low_stock(ctx) == 0  # told once
    assert await told(ctx) == [("inventory.low", "ST-PARIS", "SKU-C", 2), ("inventory.low", "ST-PARIS", "SKU-A", 2)]

    r = await client.put("/v1/inventory", json=[{"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 20}],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    assert await tell_low_stock(ctx) == 1
    assert (await told(ctx))[-1] == ("inventory.replenished", "ST-PARIS", "SKU-A", 17)
