"""Stock counts in bulk (``oms import stock``, ``oms demo --scale``): the same stock and ledger as the row-by-row
path, all or none, stale rows left alone, and a ledger the stock check finds consistent."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from oms.db import tables as t
from oms.demo.large import Scale, build_large
from oms.domain.errors import InvalidInput
from oms.importer import Kind, import_file, read_file
from oms.services.reference import records
from oms.services.stock import bulk, feeds
from oms.services.stock.check import stock_differences
from oms.services.stock.inputs import CountIn, SnapshotIn, StockIn, StockLine

SMALL = Scale(stores=50, dcs=3, skus=120, store_share=0.25)


async def network(ctx) -> list[StockLine]:
    products, nodes, chunks = build_large(SMALL)
    await records.upsert_products(ctx, products)
    await records.upsert_nodes(ctx, nodes)
    return [row for chunk in chunks for row in chunk]


async def state(ctx, since: datetime | None = None) -> tuple[dict, list]:
    """The stock rows and the ledger; with ``since``, each time as the minutes from it (the service's clock
    runs on, and the imports are a minute apart)."""
    def when(at: datetime | None):
        return at if since is None or at is None else round((at - since).total_seconds() / 60)

    m = t.movements.c
    async with ctx.db.read() as conn:
        rows = {(r.node_id, r.sku): (r.on_hand, r.reserved, r.safety_stock, when(r.counted_at), when(r.updated_at))
                for r in await conn.execute(select(t.inventory))}
        moves = sorted((r.node_id, r.sku, r.delta, r.reason, r.ref, when(r.occurred_at), when(r.recorded_at))
                       for r in await conn.execute(select(m.node_id, m.sku, m.delta, m.reason, m.ref, m.occurred_at,
                                                          m.recorded_at)))
    return rows, moves


async def forget_stock(ctx) -> None:
    async with ctx.db.write() as conn:
        await conn.execute(delete(t.movements))
        await conn.execute(delete(t.inventory))


def recount(lines: list[StockLine]) -> list[StockLine]:
    """A second count: some rows changed, some the same, some with a safety stock, a few new."""
    return [StockLine(x.node_id, x.sku, x.on_hand + (k % 3) - 1, k if k % 7 == 0 else None)
            for k, x in enumerate(lines)]


def csv_text(lines: list[StockLine]) -> str:
    return "node_id,sku,on_hand,safety_stock\n" + "".join(
        f"{x.node_id},{x.sku},{x.on_hand},{'' if x.safety_stock is None else x.safety_stock}\n" for x in lines)


async def test_bulk_counts_leave_the_stock_and_ledger_the_row_by_row_path_leaves(ctx):
    lines = await network(ctx)
    assert len(lines) > 1500
    first, second = lines[: len(lines) * 2 // 3], recount(lines)

    async def old_path():
        await feeds.set_stock(ctx, [StockIn(**x._asdict()) for x in first], ref="r")
        ctx.clock.advance(timedelta(minutes=1))
        return await feeds.set_stock(ctx, [StockIn(**x._asdict()) for x in second], ref="r")

    async def new_path():
        await bulk.import_counts(ctx, [first[:500], first[500:]], ref="r")
        ctx.clock.advance(timedelta(minutes=1))
        return await bulk.import_counts(ctx, [second[i : i + 700] for i in range(0, len(second), 700)], ref="r")

    start = ctx.clock.now()
    assert await old_path() == (len(second), 0)
    expected = await state(ctx, since=start)
    await forget_stock(ctx)
    ctx.clock.advance(timedelta(minutes=1))
    start = ctx.clock.now()
    assert await new_path() == (len(second), 0)
    found = await state(ctx, since=start)
    assert found == expected
    assert {row[3] for row in found[0].values()} == {1}  # every row rests on the second count
    assert len(found[1]) > len(second)  # both counts moved stock
    assert await stock_differences(ctx) == []


async def test_a_stale_row_is_left_alone(ctx):
    lines = await network(ctx)
    await bulk.import_counts(ctx, [lines])
    store_row = next(x for x in lines if x.node_id.startswith("ST-"))
    # The store counted a moment ahead of the service's clock (its clock is a little fast).
    later = ctx.clock.now() + timedelta(minutes=2)
    await feeds.apply_snapshot(ctx, SnapshotIn(node_id=store_row.node_id, counted_at=later,
                                               items=[CountIn(sku=store_row.sku, on_hand=3)]))
    ctx.clock.advance(timedelta(seconds=30))
    applied, stale = await bulk.import_counts(ctx, [[StockLine(x.node_id, x.sku, x.on_hand + 1) for x in lines]])
    assert (applied, stale) == (len(lines) - 1, 1)
    rows, _ = await state(ctx)
    assert rows[(store_row.node_id, store_row.sku)][0] == 3
    assert rows[(lines[0].node_id, lines[0].sku)][0] == lines[0].on_hand + 1
    assert await stock_differences(ctx) == []


@pytest.mark.parametrize("bad, expected", [
    ("{node},NOPE-1,4,", "line {line}, column sku: unknown sku 'NOPE-1'"),
    ("{node},{sku},4,", "line {line}: node and sku ('{node}', '{sku}') already given at line 2"),
    ("{node},{sku},-4,", "line {line}, column on_hand: Input should be greater than or equal to 0"),
    ("{node},{sku},4,2.5", "line {line}, column safety_stock: Input should be a valid integer, unable to parse "
                           "string as an integer"),
])
async def test_one_bad_row_anywhere_refuses_the_whole_file(ctx, tmp_path, bad, expected):
    lines = await network(ctx)
    text = csv_text(lines)
    first = lines[0]
    bad_row = bad.format(node=first.node_id, sku=first.sku)
    # The bad row near the end of a file of thousands: the rows before it were already streamed.
    head, *rest = text.splitlines(keepends=True)
    rows = [*rest[:-3], bad_row + "\n", *rest[-3:]]
    path = tmp_path / "stock.csv"
    path.write_text(head + "".join(rows), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        await import_file(ctx, Kind.STOCK, path)
    line = len(rows) - 2
    assert [f"{e.field}: {e.reason}" for e in caught.value.errors] == [
        "stock.csv " + expected.format(line=line, node=first.node_id, sku=first.sku)]
    assert caught.value.detail.startswith("stock.csv: 1 bad line, nothing imported")
    assert await state(ctx) == ({}, [])


async def test_the_streaming_reader_words_errors_as_the_whole_file_reader(ctx, tmp_path):
    await network(ctx)
    path = tmp_path / "stock.csv"
    path.write_text("node_id,sku,on_hand,safety_stock\n"
                    "DC-PARIS-NORD,FUR-0001,10,\n"
                    "DC-PARIS-NORD,FUR 2,+3,\n"
                    "DC-PARIS-NORD,FUR-0003,99999999999,x\n"
                    ",FUR-0004,,\n"
                    "DC-PARIS-NORD,FUR-0005,1\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as whole:
        read_file(Kind.STOCK, path)
    with pytest.raises(InvalidInput) as streamed:
        await import_file(ctx, Kind.STOCK, path)
    assert streamed.value.detail == whole.value.detail
    assert len(whole.value.errors) == 6


async def test_movements_after_the_count_stay_on_top_and_out_of_range_is_refused_by_line(ctx, tmp_path):
    lines = await network(ctx)
    await bulk.import_counts(ctx, [lines])
    row = lines[5]
    soon = ctx.clock.now() + timedelta(minutes=3)  # a node's clock a little ahead
    await feeds.apply_deltas(ctx, [feeds.DeltaIn(event_id="e1", node_id=row.node_id, sku=row.sku, delta=7,
                                                 reason="receipt", occurred_at=soon)])
    path = tmp_path / "stock.csv"
    path.write_text(csv_text([StockLine(row.node_id, row.sku, 100), lines[6]]), encoding="utf-8")
    assert await import_file(ctx, Kind.STOCK, path) == 2
    assert (await state(ctx))[0][(row.node_id, row.sku)][0] == 107

    path.write_text(csv_text([lines[6], StockLine(row.node_id, row.sku, 2**31 - 3)]), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        await import_file(ctx, Kind.STOCK, path)
    assert [e.field for e in caught.value.errors] == ["stock.csv line 3, column on_hand"]
    assert "would take on-hand of" in caught.value.errors[0].reason
    assert (await state(ctx))[0][(row.node_id, row.sku)][0] == 107
    assert await stock_differences(ctx) == []


async def test_the_stock_check_finds_a_difference_planted_after_a_bulk_import(ctx):
    lines = await network(ctx)
    await bulk.import_counts(ctx, [lines])
    assert await stock_differences(ctx) == []
    i = t.inventory.c
    async with ctx.db.write() as conn:
        await conn.execute(update(t.inventory).where(i.node_id == lines[9].node_id, i.sku == lines[9].sku)
                           .values(on_hand=i.on_hand + 2))
    assert [(d["node_id"], d["sku"], d["on_hand"] - d["ledger_on_hand"]) for d in await stock_differences(ctx)] == [
        (lines[9].node_id, lines[9].sku, 2)]
