"""The day sums a replenishment run reads: summed by PostgreSQL (copied out in binary, read by numpy) exactly as
the movements themselves say, read and summed one by one, across a change of the clocks, late-evening movements
and stores in two timezones."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from oms.services.replenishment import series
from tests.support import NODES, capture, confirm, ful_at, order, seed

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 4, 3, 12, 0, tzinfo=PARIS)  # the clocks went forward on the 29th of March
COUNTED = NOW - timedelta(days=20)  # (movements before a count are in it: recorded, but they move nothing)
SERIES = [("ST-LYON", "SKU-A"), ("ST-LYON", "SKU-C"), ("ST-PARIS", "SKU-A"), ("ST-PARIS", "SKU-B")]


def _feed(event_id: str, node_id: str, delta: int, reason: str, at: datetime, sku: str) -> dict:
    return {"event_id": event_id, "node_id": node_id, "sku": sku, "delta": delta, "reason": reason,
            "occurred_at": at.isoformat()}


async def _history(ctx, client, keys) -> None:
    """Twelve days of sales at noon, a receipt every other evening at 23:30 and a return the other nights at
    01:00 (Paris time), for three series; an online order shipped; a fourth series without any stock."""
    moves = []
    for day in range(12):
        when = NOW - timedelta(days=12 - day)
        for node_id, sku in SERIES[:3]:
            moves.append(_feed(f"{node_id}-{sku}-{day}-s", node_id, -(day % 3 + 1), "sale", when, sku))
            if day % 2:
                moves.append(_feed(f"{node_id}-{sku}-{day}-r", node_id, 4, "receipt", when.replace(hour=23,
                                                                                                   minute=30), sku))
            else:
                moves.append(_feed(f"{node_id}-{sku}-{day}-b", node_id, 1, "return", when.replace(hour=1), sku))
    r = await client.post("/v1/inventory/movements", headers=keys.h("admin"), json=moves)
    assert r.status_code == 200, r.text
    placed = await capture(client, keys, order("D-1", [("SKU-A", 1)]))
    store = keys.h("store_paris")
    fid = ful_at(placed, "ST-PARIS")["id"]
    for action in ("accept", "pick", "ship"):
        await confirm(client, store, fid, action)


async def _both(ctx, first, days, skus=None) -> tuple[series.DaySums, series.DaySums]:
    snap = await ctx.reference.get(ctx.db)
    async with ctx.db.read() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        kept = await series.day_sums(conn, "postgresql", snap, SERIES, first, days, skus)
    async with ctx.db.read() as conn:
        here = await series.day_sums(conn, "sqlite", snap, SERIES, first, days, skus)  # (the movements read here)
    return kept, here


def _same(a: series.DaySums, b: series.DaySums) -> None:
    for name in ("walk_in", "online", "net", "on_hand"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert getattr(a, name).dtype == getattr(b, name).dtype == np.float64


@pytest.mark.clock_at(COUNTED.isoformat())
async def test_the_databases_day_sums_are_the_movements_own_in_one_timezone_and_in_two(ctx, client):
    if ctx.db.dialect != "postgresql":
        pytest.skip("the database sums the ledger on PostgreSQL (elsewhere the movements are summed here)")
    keys = await seed(ctx, client)
    ctx.clock.set(NOW)
    await _history(ctx, client, keys)
    first = NOW.date() - timedelta(days=10)
    kept, here = await _both(ctx, first, 12)
    _same(kept, here)
    # (what there is to agree on: the Paris store sold on each of the days and shipped online on the last; a
    # day's receipt at 23:30 and its return at 01:00 are both that day's)
    paris, nothing = SERIES.index(("ST-PARIS", "SKU-A")), SERIES.index(("ST-PARIS", "SKU-B"))
    assert (kept.walk_in[paris, :10] > 0).all() and kept.online[paris, 10] == 1
    assert kept.net[paris, 1] == -1 + 4 and kept.net[paris, 2] == -2 + 1
    assert kept.on_hand[paris] == 5 - 24 + 24 + 6 - 1 and kept.on_hand[nothing] == 0
    # A series without a movement nor a stock row: nothing copied out, nothing summed.
    snap = await ctx.reference.get(ctx.db)
    async with ctx.db.read() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        none = await series.day_sums(conn, "postgresql", snap, [("ST-PARIS", "SKU-B")], first, 12)
    assert none.net.shape == (1, 12) and not none.net.any() and none.on_hand.tolist() == [0]
    assert none.walk_in.dtype == none.on_hand.dtype == np.float64
    # Fewer days: the later ones are added into the last column, their net only counted.
    kept, here = await _both(ctx, first, 5, skus={"SKU-A", "SKU-C"})
    _same(kept, here)
    assert kept.net[paris, 4] == sum(-(d % 3 + 1) + (4 if d % 2 else 1) for d in range(6, 12)) - 1

    # The Lyon store on New York's time: its days are cut by that clock (the run's statement joins the nodes).
    lyon = next(n for n in NODES if n["id"] == "ST-LYON")
    r = await client.put("/v1/nodes", headers=keys.h("admin"), json=[{**lyon, "timezone": "America/New_York"}])
    assert r.status_code == 200, r.text
    kept, here = await _both(ctx, first, 12)
    _same(kept, here)
    # The return at 01:00 in Paris on the 26th of March is 20:00 the evening before in New York; the receipt at
    # 23:30 and the noon sale stay on their day.
    lyon = SERIES.index(("ST-LYON", "SKU-A"))
    assert kept.net[lyon, 1] == -1 + 4 + 1 and kept.net[lyon, 2] == -2
