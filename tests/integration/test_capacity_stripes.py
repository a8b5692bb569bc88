"""A day's places on stripes, on each database: concurrent orders at one DC never take more than the
limit, on any stripe; a limit lowered after places were taken is kept, the orders
beyond it waiting for the next day; a cancel gives a place back whatever stripe it was on; the table
refuses a place while a stripe holds more than its share of the taker's limit."""

import asyncio
from collections import Counter
from datetime import date

from sqlalchemy import select

from oms.db import capacity
from oms.db import tables as t
from oms.db.capture_tx import CapacityFull
from oms.domain.capacity import STRIPES, Take, share
from tests.integration.test_capacity import open_network, set_capacities, used
from tests.support import capture, order

DAY = date(2026, 12, 4)


async def stripes(ctx, resource: str) -> dict[date, list[int]]:
    """Places per stripe of each of the resource's days, as stored."""
    c = t.capacity_use.c
    async with ctx.db.read() as conn:
        rows = await conn.execute(select(c.day, c.stripe, c.used).where(c.resource == resource))
        found: dict[date, list[int]] = {}
        for day, stripe, u in rows:
            found.setdefault(day, [0] * STRIPES)[stripe] = u
    return found


async def stock(client, keys, rows: list[tuple[str, str, int]]) -> None:
    r = await client.put("/v1/inventory", json=[{"node_id": n, "sku": s, "on_hand": q} for n, s, q in rows],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text


def collected(ref: str) -> dict:
    return order(ref, [("SKU-A", 1)], "click_and_collect", pickup_node_id="ST-PARIS")


def day_of(view: dict) -> str:
    [[_, day]] = view["fulfillments"][0]["details"]["capacity"]
    return day


async def test_concurrent_orders_at_one_dc_take_places_on_several_stripes_never_past_the_limit(ctx, client):
    keys = await open_network(ctx, client, {"DC-PARIS": 6})
    await stock(client, keys, [("DC-PARIS", "SKU-A", 100), ("DC-PARIS", "SKU-B", 100), ("ST-PARIS", "SKU-A", 0),
                               ("ST-LYON", "SKU-B", 0)])  # the DC alone has them
    lines = [[("SKU-A", 1)], [("SKU-B", 1)], [("SKU-A", 1), ("SKU-B", 1)]]
    answers = await asyncio.gather(*(client.post("/v1/orders", json=order(f"S-{i}", lines[i % 3]),
                                                 headers=keys.h("web")) for i in range(16)))
    assert [r.status_code for r in answers] == [201] * 16, [r.text for r in answers if r.status_code != 201]
    taken = Counter(day_of(r.json()) for r in answers)
    by_day = await stripes(ctx, "DC-PARIS")
    assert {d.isoformat(): sum(u) for d, u in by_day.items() if sum(u)} == taken  # each place is a stored order's
    assert all(sum(u) <= 6 and all(n <= share(6, s) for s, n in enumerate(u)) for u in by_day.values())


async def test_a_limit_lowered_after_places_were_taken_is_never_passed(ctx, client):
    keys = await open_network(ctx, client, {"ST-PARIS": 8})
    await stock(client, keys, [("ST-PARIS", "SKU-A", 100)])
    day = {day_of(await capture(client, keys, collected(f"L-{i}"))) for i in range(2)}.pop()
    [before] = (await stripes(ctx, "ST-PARIS")).values()
    assert sorted(before) == [0, 0, 0, 2]  # one stock row's orders prefer one stripe: it holds 2 of its 2
    await set_capacities(client, keys, {"ST-PARIS": 3})  # that stripe's share is 1 now, or none
    answers = await asyncio.gather(*(client.post("/v1/orders", json=collected(f"M-{i}"), headers=keys.h("web"))
                                     for i in range(4)))
    assert [r.status_code for r in answers] == [201] * 4, [r.text for r in answers if r.status_code != 201]
    days = sorted(day_of(r.json()) for r in answers)
    assert days[0] == day and days[1] > day and days[1:] == [days[1]] * 3  # one more place; the others wait
    assert await used(ctx, "ST-PARIS") == {date.fromisoformat(day): 3, date.fromisoformat(days[1]): 3}


async def test_a_cancel_gives_a_place_back_whatever_stripe_it_was_on(ctx, client):
    keys = await open_network(ctx, client, {"ST-PARIS": 8})
    await stock(client, keys, [("ST-PARIS", "SKU-A", 100)])
    placed = [await capture(client, keys, collected(f"C-{i}")) for i in range(5)]
    day = date.fromisoformat(day_of(placed[0]))
    for left, view in zip(range(4, -1, -1), placed, strict=True):
        r = await client.post(f"/v1/orders/{view['id']}/cancel", json={"reason": "changed mind"},
                              headers=keys.h("web"))
        assert r.status_code == 200, r.text
        now = (await stripes(ctx, "ST-PARIS"))[day]
        assert sum(now) == left and min(now) >= 0


async def took(ctx, *takes: Take) -> bool:
    """Whether the table lets these places be taken (a refusal rolls its transaction back, as capture's)."""
    try:
        async with ctx.db.write() as conn:
            if not await capacity.take(conn, list(takes)):
                raise CapacityFull
    except CapacityFull:
        return False
    return True


async def test_no_place_is_taken_while_a_stripe_holds_more_than_its_share_until_the_day_is_laid_out(ctx):
    assert await took(ctx, Take("LK", DAY, 3, 2, 8))  # under a limit of 8, stripe 3's share is 2
    # The limit is 3 now: stripes 0 to 2 have a place each, but with stripe 3's two the day would hold 5.
    assert not await took(ctx, Take("LK", DAY, 0, 1, 3))
    async with ctx.db.write() as conn:
        assert await capacity.lay_out(conn, "LK", DAY, 3)
    assert (await stripes(ctx, "LK"))[DAY] == [1, 1, 0, 0]
    assert not await took(ctx, Take("LK", DAY, 0, 1, 3))  # its share is held
    assert await took(ctx, Take("LK", DAY, 2, 1, 3))
    assert not await took(ctx, Take("LK", DAY, 3, 1, 3))  # the day is full
    async with ctx.db.write() as conn:
        assert not await capacity.take_locked(conn, [("LK", DAY, 1, 3)])
    assert sum((await stripes(ctx, "LK"))[DAY]) == 3


async def test_places_given_back_together_come_off_several_stripes_never_below_zero(ctx):
    assert await took(ctx, Take("LK", DAY, 0, 1, 8), Take("LK", DAY, 1, 1, 8))
    async with ctx.db.write() as conn:
        await capacity.give_back(conn, [("LK", DAY, 1), ("LK", DAY, 1)])  # no one stripe holds both
    assert (await stripes(ctx, "LK"))[DAY] == [0] * STRIPES
    async with ctx.db.write() as conn:
        await capacity.give_back(conn, [("LK", DAY, 1)])  # nothing left to give back
    assert (await stripes(ctx, "LK"))[DAY] == [0] * STRIPES


async def test_a_limit_as_large_as_the_api_takes_still_gives_places(ctx):
    # The shares are worked out in the database too: near the largest integer, without overflowing.
    most = 2**31 - 1
    assert await took(ctx, Take("LK", DAY, 0, 1, most), Take("LK", DAY, 3, 2, most))
    assert not await took(ctx, Take("LK", DAY, 1, 1, 3), Take("LK", DAY, 2, 1, most))  # stripe 3 holds 2 of 0
    assert (await stripes(ctx, "LK"))[DAY] == [1, 0, 0, 2]
