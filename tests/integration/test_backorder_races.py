"""Backorders under concurrency and at the edges: supply changed while orders are promised its units,
cancels beside captures, the sweep behind older backorders (PostgreSQL interleavings where they matter)."""

import asyncio

import httpx
import pytest
from sqlalchemy import select, text

from oms.api.app import create_app
from oms.db import tables as t
from oms.services.orders import capture as capture_service
from oms.services.supply.backorders import release_backorders
from tests.integration.test_backorders import PO, backorders_for
from tests.integration.test_supply import po
from tests.support import WHY, capture, order, seed


async def test_a_promised_supply_cannot_be_moved_to_another_sku(ctx, client):
    """A supply that promised its units to backorders cannot be cut or cancelled (409); moving it to another
    SKU or node takes those units away just the same, and leaves its promise counted against the other SKU."""
    keys = await seed(ctx, client)
    await backorders_for(client, keys)
    await capture(client, keys, order("B-3", [("SKU-B", 20)]))
    r = await client.put("/v1/supply", headers=keys.h("admin"), json=[{**PO, "sku": "SKU-C"}])
    assert r.status_code == 409, r.text


async def test_a_backorder_whose_units_are_there_is_released_behind_older_ones_still_waiting(ctx, client,
                                                                                           monkeypatch):
    """The sweep looks only at backorders whose node has their units: 200 older ones waiting for a late
    supply must not hide a newer one that can go (BATCH is made 1: one older backorder stands for 200)."""
    from oms.services.supply import backorders

    monkeypatch.setattr(backorders, "BATCH", 1)
    keys = await seed(ctx, client)
    lamps, rugs = po("PO-9", "DC-PARIS", "SKU-B", 30, 40), po("PO-C", "ST-PARIS", "SKU-C", 10, 8)
    await backorders_for(client, keys, supply=(lamps, rugs))
    older = await capture(client, keys, order("W-1", [("SKU-B", 20)]))  # waits for the lamps, due in 40 days
    newer = await capture(client, keys, order("W-2", [("SKU-C", 5)]))  # waits for the rugs at ST-PARIS
    assert older["status"] == newer["status"] == "backordered"
    # Rugs come back to the Paris store (a return) while the rugs' supply is still on its way.
    await client.put("/v1/inventory", headers=keys.h("admin"), json=[{"node_id": "ST-PARIS", "sku": "SKU-C",
                                                                      "on_hand": 12}])
    assert await release_backorders(ctx) == 1


def _pg_only(ctx):
    if ctx.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: these writes cannot interleave")


async def _waiting_for_a_lock(ctx) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                 "AND datname = current_database()")
    while True:
        async with ctx.db.read() as conn:
            if await conn.scalar(query):
                return
        assert asyncio.get_running_loop().time() < deadline, "nothing waited for a lock"
        await asyncio.sleep(0.01)


def _pause_after_promising(monkeypatch) -> tuple[asyncio.Event, asyncio.Event]:
    """Hold a backordering capture right after it promised supply units (its transaction still open)."""
    reached, go_on = asyncio.Event(), asyncio.Event()
    bump = capture_service.bump_reference

    async def paused(conn, dialect):
        await bump(conn, dialect)
        reached.set()
        await go_on.wait()

    monkeypatch.setattr(capture_service, "bump_reference", paused)
    return reached, go_on


async def test_a_supply_cut_racing_a_backorder_cannot_go_below_its_promises(ctx, client, monkeypatch):
    """_keep_promises locks only the supply rows that had promises when it read them. A capture promising
    25 units and committing meanwhile is not seen: the supply is cut to 10 with 25 promised."""
    _pg_only(ctx)
    keys = await seed(ctx, client)
    await backorders_for(client, keys)
    reached, go_on = _pause_after_promising(monkeypatch)
    placing = asyncio.create_task(client.post("/v1/orders", json=order("B-4", [("SKU-B", 25)]),
                                              headers=keys.h("web")))
    await asyncio.wait_for(reached.wait(), 10)
    cutting = asyncio.create_task(client.put("/v1/supply", headers=keys.h("admin"), json=[{**PO, "quantity": 10}]))
    await _waiting_for_a_lock(ctx)  # the cut waits for the capture's row lock on the supply
    go_on.set()
    placed, cut = await placing, await cutting
    assert placed.status_code == 201, placed.text
    async with ctx.db.read() as conn:
        row = (await conn.execute(select(t.supply.c.quantity, t.supply.c.allocated)
                                  .where(t.supply.c.id == PO["id"]))).one()
    assert row.allocated <= row.quantity, (cut.status_code, tuple(row))


async def test_cancelling_a_backorder_beside_a_backordering_capture_is_not_a_500(ctx, client, monkeypatch):
    """A backordering capture locks the supply row and the reference counter, then the stock rows; a cancel
    locks the stock rows, then the supply row and the counter. Concurrently they deadlock, and when
    PostgreSQL aborts the cancel the client gets a 500 for a valid request."""
    _pg_only(ctx)
    keys = await seed(ctx, client)
    await backorders_for(client, keys, supply=(po("PO-9", "DC-PARIS", "SKU-B", 40, 8),))
    first = await capture(client, keys, order("C-1", [("SKU-A", 1), ("SKU-B", 20)]))
    assert first["status"] == "backordered"
    reached, go_on = _pause_after_promising(monkeypatch)
    placing = asyncio.create_task(client.post("/v1/orders", json=order("C-2", [("SKU-A", 1), ("SKU-B", 11)]),
                                              headers=keys.h("web")))
    await asyncio.wait_for(reached.wait(), 10)
    # A client that answers what a server answers (500) instead of raising the app's exception.
    as_served = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(ctx), raise_app_exceptions=False),
                                  base_url="http://oms")
    cancelling = asyncio.create_task(as_served.post(f"/v1/orders/{first['id']}/cancel", json=WHY,
                                                    headers=keys.h("web")))
    await _waiting_for_a_lock(ctx)  # the cancel released SKU-A and waits for the supply row
    go_on.set()
    placed, cancelled = await placing, await cancelling
    await as_served.aclose()
    assert placed.status_code == 201, placed.text
    assert cancelled.status_code == 200, cancelled.text
