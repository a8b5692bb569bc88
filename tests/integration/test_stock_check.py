import asyncio

import pytest
from sqlalchemy import delete, event, func, select, text, tuple_, update
from sqlalchemy.util import await_only

from oms.db import tables as t
from oms.services.stock.check import repair_stock, stock_differences
from tests.integration.test_holds import held, hold
from tests.support import HOME, confirm, on_hand_reserved, order, seed, until_blocked_by


async def test_counters_agree_with_ledger_and_fulfillments_after_every_kind_of_change(ctx, client):
    keys = await seed(ctx, client)
    shipped = (await client.post("/v1/orders", json=order("CHK-1", [("SKU-A", 2)]), headers=keys.h("web"))).json()
    short = (await client.post("/v1/orders", json=order("CHK-2", [("SKU-A", 3)]), headers=keys.h("web"))).json()
    cancelled = (await client.post("/v1/orders", json=order("CHK-3", [("SKU-B", 1), ("SKU-C", 1)]),
                                   headers=keys.h("web"))).json()
    assert await stock_differences(ctx) == []

    f1 = shipped["fulfillments"][0]
    sender = keys.h("store_paris" if f1["node_id"] == "ST-PARIS" else "admin")
    await confirm(client, sender, f1["id"], "accept")
    await confirm(client, sender, f1["id"], "ship", carrier="colissimo", tracking_number="6A123")
    f2 = short["fulfillments"][0]
    await confirm(client, keys.h("admin"), f2["id"], "accept")
    await confirm(client, keys.h("admin"), f2["id"], "pick", lines=[{"sku": "SKU-A", "quantity": 1}])
    r = await client.post(f"/v1/orders/{cancelled['id']}/cancel", json={"reason": "test"}, headers=keys.h("web"))
    assert r.status_code == 200, r.text
    assert await stock_differences(ctx) == []


async def test_a_broken_counter_is_reported(ctx, client):
    keys = await seed(ctx, client)
    await client.post("/v1/orders", json=order("CHK-9", [("SKU-A", 1)]), headers=keys.h("web"))
    async with ctx.db.write() as conn:
        await conn.execute(update(t.inventory).where(t.inventory.c.sku == "SKU-A", t.inventory.c.node_id == "DC-PARIS")
                           .values(reserved=t.inventory.c.reserved + 3))
    assert await stock_differences(ctx) == [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 100,
                                             "ledger_on_hand": 100, "reserved": 3, "held_by_reservations": 0}]


def _rows(*keys):
    return select(t.inventory.c.node_id, t.inventory.c.sku, t.inventory.c.on_hand, t.inventory.c.reserved,
                  t.inventory.c.updated_at).where(tuple_(t.inventory.c.node_id, t.inventory.c.sku).in_(keys))


async def test_repair_sets_counters_from_the_ledger_and_the_reservations_and_then_finds_nothing(ctx, client):
    keys = await seed(ctx, client)
    r = await client.post("/v1/holds", json={"channel": "web", "lines": [{"sku": "SKU-B", "quantity": 3}],
                                             "delivery": {"mode": "home_standard", "address": HOME}},
                          headers=keys.h("web"))
    assert r.status_code == 201 and [x["node_id"] for x in r.json()["lines"]] == ["DC-PARIS"], r.text
    placed = (await client.post("/v1/orders", json=order("REP-1", [("SKU-A", 2)]), headers=keys.h("web"))).json()
    a_node = placed["fulfillments"][0]["node_id"]
    a_ledger = {"DC-PARIS": 100, "ST-PARIS": 5}[a_node]
    inv = t.inventory.c
    async with ctx.db.write() as conn:
        # on-hand changed without a movement, and the hold's units forgotten
        await conn.execute(update(t.inventory).where(inv.node_id == "DC-PARIS", inv.sku == "SKU-B")
                           .values(on_hand=inv.on_hand + 7, reserved=0))
        # reserved that no order or hold keeps
        await conn.execute(update(t.inventory).where(inv.node_id == "ST-LYON", inv.sku == "SKU-C")
                           .values(reserved=5))
        # a row gone, with its ledger and the order's reservation still there
        await conn.execute(delete(t.inventory).where(inv.node_id == a_node, inv.sku == "SKU-A"))
        movements = await conn.scalar(select(func.count()).select_from(t.movements))
    assert len(await stock_differences(ctx)) == 3
    before = ctx.clock.now()

    repaired = await repair_stock(ctx)

    assert repaired == sorted([
        {"node_id": "DC-PARIS", "sku": "SKU-B", "on_hand_was": 17, "on_hand": 10, "reserved_was": 0, "reserved": 3},
        {"node_id": "ST-LYON", "sku": "SKU-C", "on_hand_was": 3, "on_hand": 3, "reserved_was": 5, "reserved": 0},
        {"node_id": a_node, "sku": "SKU-A", "on_hand_was": None, "on_hand": a_ledger, "reserved_was": None,
         "reserved": 2},
    ], key=lambda d: (d["node_id"], d["sku"]))
    assert await stock_differences(ctx) == []
    async with ctx.db.read() as conn:
        rows = {(r.node_id, r.sku): r for r in await conn.execute(
            _rows(("DC-PARIS", "SKU-B"), ("ST-LYON", "SKU-C"), (a_node, "SKU-A")))}
        # the ledger already says what on-hand is: the repair records nothing in it
        assert await conn.scalar(select(func.count()).select_from(t.movements)) == movements
    assert {k: (r.on_hand, r.reserved) for k, r in rows.items()} == {
        ("DC-PARIS", "SKU-B"): (10, 3), ("ST-LYON", "SKU-C"): (3, 0), (a_node, "SKU-A"): (a_ledger, 2)}
    # stamped, so the in-memory stock behind availability reads them again
    assert all(r.updated_at >= before for r in rows.values())
    # the stock is sold from again as it should be: 10 + 4 units of SKU-B, 3 held
    stock = (await client.get("/v1/availability/SKU-B?channel=web", headers=keys.h("web"))).json()
    assert stock["available"] == 11, stock

    assert await repair_stock(ctx) == []


async def test_repair_of_sound_stock_changes_nothing(ctx, client):
    keys = await seed(ctx, client)
    await client.post("/v1/orders", json=order("REP-2", [("SKU-A", 1)]), headers=keys.h("web"))
    async with ctx.db.read() as conn:
        before = (await conn.execute(select(t.inventory).order_by(t.inventory.c.node_id, t.inventory.c.sku))).all()
    assert await repair_stock(ctx) == []
    async with ctx.db.read() as conn:
        assert (await conn.execute(select(t.inventory).order_by(t.inventory.c.node_id, t.inventory.c.sku))).all() \
            == before


async def test_repair_derives_the_numbers_under_its_row_locks_not_from_an_earlier_read(ctx, client):
    """A receipt being written the right way while the repair starts: the repair reads the differences,
    waits for the row, and must then count the receipt rather than set on-hand from its first read."""
    if ctx.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: a repair cannot start beside another write")
    await seed(ctx, client)
    inv = t.inventory.c
    key = (inv.node_id == "DC-PARIS", inv.sku == "SKU-A")
    async with ctx.db.write() as conn:
        await conn.execute(update(t.inventory).where(*key).values(reserved=inv.reserved + 3))
    async with ctx.db.engine.connect() as writer, writer.begin():
        # a feed's write, as the feeds do it: the row locked first, then on-hand and the ledger
        await writer.execute(select(inv.on_hand).where(*key).with_for_update())
        writer_pid = await writer.scalar(text("SELECT pg_backend_pid()"))
        repair = asyncio.create_task(repair_stock(ctx))
        await until_blocked_by(ctx, writer_pid, repair)
        await writer.execute(update(t.inventory).where(*key).values(on_hand=inv.on_hand + 5))
        await writer.execute(t.movements.insert().values(node_id="DC-PARIS", sku="SKU-A", delta=5, reason="receipt",
                                                         occurred_at=ctx.clock.now()))
    repaired = await repair

    assert repaired == [{"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand_was": 105, "on_hand": 105,
                         "reserved_was": 3, "reserved": 0}]
    assert await stock_differences(ctx) == []


async def test_a_repair_beside_a_hold_conversion_keeps_the_converted_units_reserved(ctx, client):
    """The repair re-derives reserved under the stock row's lock, but an order converting a hold moves the
    units from hold_lines to fulfillment_lines without touching the stock row. Read in two statements (two
    snapshots under READ COMMITTED), the converted units are in neither, and reserved is set too low."""
    if ctx.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: a repair cannot run beside another write")
    keys = await seed(ctx, client)
    h = await held(client, keys, hold([("SKU-B", 3)]))
    assert [(x["node_id"], x["reserved"]) for x in h["lines"]] == [("DC-PARIS", 3)]
    inv = t.inventory.c
    async with ctx.db.write() as conn:  # an on-hand counter out of step: the repair has work on this row
        await conn.execute(update(t.inventory).where(inv.node_id == "DC-PARIS", inv.sku == "SKU-B")
                           .values(on_hand=inv.on_hand + 1))

    seen = {"holds_sums": 0, "converted": None}

    async def convert():
        r = await client.post("/v1/orders", json={**order("H-9", [("SKU-B", 3)]), "hold_id": h["id"]},
                              headers=keys.h("web"))
        seen["converted"] = r

    def before(conn, cursor, statement, parameters, context, executemany):
        if "UNION ALL" in statement:
            seen["holds_sums"] += 1
            if seen["holds_sums"] == 2:  # the repair's second read, under the row lock
                await_only(convert())

    event.listen(ctx.db.engine.sync_engine, "before_cursor_execute", before)
    try:
        await repair_stock(ctx)
    finally:
        event.remove(ctx.db.engine.sync_engine, "before_cursor_execute", before)
    assert seen["converted"] is not None and seen["converted"].status_code == 201, seen["converted"]
    assert await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS") == (10, 3)
    assert await stock_differences(ctx) == []
