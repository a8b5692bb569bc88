"""The in-memory stock mirror: each look reads what changed since the last, including what committed late."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from oms.db import tables as t
from oms.services.stock import mirror as mirror_module
from oms.services.stock.mirror import OVERLAP, StockMirror
from tests.support import seed

i = t.inventory.c
LYON_B = (i.node_id == "ST-LYON", i.sku == "SKU-B")


async def rows(ctx) -> int:
    async with ctx.db.read() as conn:
        return await conn.scalar(select(func.count()).select_from(t.inventory))


async def test_a_look_reads_only_what_changed_since_the_last(ctx, client):
    await seed(ctx, client)
    mirror = StockMirror(max_age_seconds=0, clock=ctx.clock)
    await mirror.current(ctx.db)
    assert mirror.rows_read == await rows(ctx)
    ctx.clock.advance(2 * OVERLAP)
    await mirror.current(ctx.db)  # still reads the seed again: its stamps are within OVERLAP of the first look
    await mirror.current(ctx.db)
    assert mirror.rows_read == 0  # rows written together, with one stamp, are not read at every look
    async with ctx.db.write() as conn:
        await conn.execute(update(t.inventory).where(*LYON_B).values(on_hand=9, updated_at=ctx.clock.now()))
    units, _ = await mirror.current(ctx.db)
    assert mirror.rows_read == 1 and units.of("SKU-B")["ST-LYON"] == 9


async def test_a_change_stamped_just_before_a_look_and_committed_after_it_is_read(ctx, client):
    await seed(ctx, client)
    mirror = StockMirror(max_age_seconds=0, clock=ctx.clock)
    units, as_of = await mirror.current(ctx.db)
    assert units.of("SKU-B")["ST-LYON"] == 4
    async with ctx.db.write() as conn:
        await conn.execute(update(t.inventory).where(*LYON_B).values(on_hand=9, updated_at=as_of - OVERLAP / 2))
    units, _ = await mirror.current(ctx.db)
    assert units.of("SKU-B")["ST-LYON"] == 9


async def test_a_long_transaction_is_read_once_it_commits(ctx, client, monkeypatch):
    """A writer stamps its rows, then takes longer than OVERLAP to commit (a large import): looks made
    meanwhile cannot see the rows, and the first look after the commit must still read them."""
    if ctx.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time and no view of the transactions under way")
    monkeypatch.setattr(mirror_module, "OVERLAP", timedelta(seconds=0.2))
    await seed(ctx, client)
    mirror = StockMirror(max_age_seconds=0, clock=ctx.clock)
    await mirror.current(ctx.db)
    async with ctx.db.write() as conn:
        await conn.execute(update(t.inventory).where(*LYON_B).values(on_hand=9, updated_at=ctx.clock.now()))
        await asyncio.sleep(0.5)
        units, _ = await mirror.current(ctx.db)
        assert units.of("SKU-B")["ST-LYON"] == 4  # not committed yet
    units, _ = await mirror.current(ctx.db)
    assert units.of("SKU-B")["ST-LYON"] == 9


async def test_the_whole_table_is_read_again_for_a_row_stamped_by_a_clock_apart(ctx, client):
    await seed(ctx, client)
    mirror = StockMirror(max_age_seconds=0, clock=ctx.clock, full_every_seconds=3600)
    await mirror.current(ctx.db)
    async with ctx.db.write() as conn:  # a host whose clock is an hour behind
        await conn.execute(update(t.inventory).where(*LYON_B)
                           .values(on_hand=9, updated_at=ctx.clock.now() - timedelta(hours=1)))
    units, _ = await mirror.current(ctx.db)
    assert units.of("SKU-B")["ST-LYON"] == 4
    version = mirror.version
    mirror.full_every = 0
    units, _ = await mirror.current(ctx.db)
    assert units.of("SKU-B")["ST-LYON"] == 9 and mirror.rows_read == await rows(ctx)
    assert mirror.version > version  # answers kept on the old numbers are dropped
