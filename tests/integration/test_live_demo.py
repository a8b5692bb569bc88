"""The demo retailer at work: the live flow places orders as the service's clock moves on, and nodes answer
them; on a database that is not the demo's it places nothing."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oms.db import tables as t
from oms.demo.load import is_demo, load_demo
from oms.simulation import live, run


async def _orders(ctx) -> tuple[int, int]:
    async with ctx.db.read() as conn:
        placed = await conn.scalar(select(func.count()).where(t.orders.c.external_ref.like("LIVE-%")))
        accepted = await conn.scalar(select(func.count()).select_from(t.events)
                                     .where(t.events.c.type == "fulfillment.accepted"))
    return placed, accepted


@pytest.mark.clock_at("2027-03-09T17:00:00+01:00")  # a Tuesday's busy evening: the DCs and stores still open
async def test_the_live_flow_orders_and_answers_as_time_goes_by(ctx, tmp_path, monkeypatch):
    await load_demo(ctx, if_empty=False, keys_file=tmp_path / "keys.txt")
    assert await is_demo(ctx)
    monkeypatch.setattr(run, "LIVE_NAP", 0.02)  # the test moves the clock: look at it often
    monkeypatch.setattr(live, "LIVE_SCALE", 0.5)  # about 10,000 orders a day: a few a minute in the evening
    flow = asyncio.create_task(live.live_loop(ctx, seed=11))
    try:
        for _ in range(600):  # up to ten hours, a minute at a time, until orders came and nodes answered
            ctx.clock.advance(timedelta(minutes=1))
            await asyncio.sleep(0.05)
            placed, accepted = await _orders(ctx)
            if placed >= 20 and accepted >= 5:
                break
        assert not flow.done()  # still running: it goes on until the server stops
    finally:
        flow.cancel()
        await asyncio.gather(flow, return_exceptions=True)
    assert placed >= 20 and accepted >= 5


async def test_the_live_flow_leaves_another_retailer_alone(ctx):
    await asyncio.wait_for(live.live_loop(ctx), timeout=5)  # returns at once: not the demo's database
    assert await _orders(ctx) == (0, 0)
