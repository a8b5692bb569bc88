"""Stock feeds: counts and movements from the nodes, sent twice, late or out of order."""

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from oms.db import tables as t
from oms.services.runtime.shapes import INT32
from oms.services.stock.check import stock_differences
from tests.support import now, problem, seed, stock_of, until_blocked_by

# Feed times sit in the past of the test run; the rows they touch were never counted by the seed, which
# counts at the time it runs (a count later than all of them would make them stale).
T0 = now() - timedelta(days=1)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def snapshot(node_id, minutes, **counts):
    return {"node_id": node_id, "counted_at": at(minutes),
            "items": [{"sku": sku.replace("_", "-"), "on_hand": q} for sku, q in counts.items()]}


def move(event_id, minutes, delta, node_id="ST-PARIS", sku="SKU-B", reason="sale"):
    return {"event_id": event_id, "node_id": node_id, "sku": sku, "delta": delta, "reason": reason,
            "occurred_at": at(minutes)}


async def on_hand(client, keys, node_id="ST-PARIS", sku="SKU-B") -> int:
    return (await stock_of(client, keys, sku))[node_id]["on_hand"]


async def post_moves(client, keys, items, who="admin"):
    r = await client.post("/v1/inventory/movements", json=items, headers=keys.h(who))
    assert r.status_code == 200, r.text
    return r.json()


async def post_snapshot(client, keys, body, who="admin"):
    r = await client.post("/v1/inventory/snapshots", json=body, headers=keys.h(who))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_count_then_sales_receipts_and_a_resend(ctx, client):
    keys = await seed(ctx, client)
    assert await post_snapshot(client, keys, snapshot("ST-PARIS", 0, SKU_B=10, SKU_C=4)) == {"applied": 1, "stale": 1}
    assert await on_hand(client, keys) == 10
    batch = [move("pos-1", 5, -2), move("pos-2", 6, -1), move("rcv-1", 7, 6, reason="receipt")]
    assert await post_moves(client, keys, batch) == {"applied": 3, "duplicates": 0, "stale": 0}
    assert await on_hand(client, keys) == 13
    # The same messages again, and one twice in the same call: nothing changes.
    assert await post_moves(client, keys, batch + [batch[0]]) == {"applied": 0, "duplicates": 4, "stale": 0}
    assert await on_hand(client, keys) == 13
    assert await stock_differences(ctx) == []


async def test_a_movement_older_than_the_count_is_already_in_it(ctx, client):
    keys = await seed(ctx, client)
    await post_snapshot(client, keys, snapshot("ST-PARIS", 10, SKU_B=7))
    assert await post_moves(client, keys, [move("pos-9", 9, -3)]) == {"applied": 0, "duplicates": 0, "stale": 1}
    assert await on_hand(client, keys) == 7
    assert await stock_differences(ctx) == []


async def test_a_count_arriving_after_newer_movements_keeps_them_on_top(ctx, client):
    keys = await seed(ctx, client)
    await post_moves(client, keys, [move("pos-1", 20, -2), move("pos-2", 5, -1)])
    # Counted at minute 10: the sale at minute 5 is in the count, the one at minute 20 is not.
    await post_snapshot(client, keys, snapshot("ST-PARIS", 10, SKU_B=9))
    assert await on_hand(client, keys) == 7
    # An older count, or the same one again, is stale and changes nothing.
    assert await post_snapshot(client, keys, snapshot("ST-PARIS", 3, SKU_B=50)) == {"applied": 0, "stale": 1}
    assert await post_snapshot(client, keys, snapshot("ST-PARIS", 10, SKU_B=9)) == {"applied": 0, "stale": 1}
    assert await on_hand(client, keys) == 7
    assert await stock_differences(ctx) == []


def _feed(rng: random.Random, node_id: str, sku: str) -> tuple[list[tuple[str, dict]], int]:
    """A feed of counts and movements at distinct minutes, and the stock it must end at."""
    minutes = rng.sample(range(1, 500), 14)
    messages, events = [], []
    for i, minute in enumerate(minutes):
        if i % 4 == 0:
            count = rng.randint(0, 40)
            messages.append(("count", {"node_id": node_id, "counted_at": at(minute),
                                       "items": [{"sku": sku, "on_hand": count}]}))
            events.append((minute, "count", count))
        else:
            delta = rng.choice([-3, -2, -1, 1, 2, 5])
            messages.append(("move", move(f"{node_id}-{sku}-{minute}", minute, delta, node_id, sku)))
            events.append((minute, "move", delta))
    last_count = max((e for e in events if e[1] == "count"), key=lambda e: e[0])
    expected = last_count[2] + sum(d for minute, kind, d in events if kind == "move" and minute > last_count[0])
    return messages, expected


@pytest.mark.parametrize("seed_value", [1, 2, 3])
async def test_the_same_feed_shuffled_and_with_duplicates_ends_at_the_same_stock(ctx, client, seed_value):
    keys = await seed(ctx, client)
    rng = random.Random(seed_value)
    for node_id, sku in [("ST-PARIS", "SKU-B"), ("ST-LYON", "SKU-A"), ("DC-PARIS", "SKU-C")]:
        messages, expected = _feed(rng, node_id, sku)
        replay = messages + rng.sample(messages, 5)  # some sent twice
        rng.shuffle(replay)
        for kind, body in replay:
            if kind == "count":
                await post_snapshot(client, keys, body)
            else:
                await post_moves(client, keys, [body])
        assert await on_hand(client, keys, node_id, sku) == expected
    assert await stock_differences(ctx) == []


async def test_a_bad_row_rejects_the_whole_call_by_name(ctx, client):
    keys = await seed(ctx, client)
    before = await stock_of(client, keys, "SKU-B")
    future = (ctx.clock.now() + timedelta(hours=1)).isoformat()
    r = await client.post("/v1/inventory/movements", headers=keys.h("admin"), json=[
        move("ok-1", 5, -1), move("bad-1", 5, -1, node_id="NOPE"), move("bad-2", 5, -1, sku="NOPE"),
        move("bad-3", 5, -1, node_id="LK-PARIS")])
    assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == [
        "items.1.node_id", "items.2.sku", "items.3.node_id"]
    r = await client.post("/v1/inventory/movements", headers=keys.h("admin"),
                          json=[move("ok-1", 5, -1), move("bad-4", 5, 0)])
    assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == ["items.1.delta"]
    r = await client.post("/v1/inventory/movements", headers=keys.h("admin"),
                          json=[move("ok-1", 5, -1), {**move("bad-5", 5, -1), "occurred_at": future}])
    assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == ["items.1.occurred_at"]
    r = await client.post("/v1/inventory/snapshots", headers=keys.h("admin"),
                          json={"node_id": "ST-PARIS", "counted_at": "2026-11-20T08:00:00", "items": [
                              {"sku": "SKU-A", "on_hand": -1}]})
    assert {e["field"] for e in problem(r, 422, "invalid_input")["errors"]} == {"counted_at", "items.0.on_hand"}
    assert await stock_of(client, keys, "SKU-B") == before


async def test_a_store_reports_its_own_stock_only(ctx, client):
    keys = await seed(ctx, client)
    assert (await post_moves(client, keys, [move("st-1", 5, -1)], who="store_paris"))["applied"] == 1
    r = await client.post("/v1/inventory/movements", headers=keys.h("store_paris"),
                          json=[move("st-2", 5, -1, node_id="ST-LYON")])
    problem(r, 403, "forbidden")
    r = await client.post("/v1/inventory/snapshots", headers=keys.h("web"), json=snapshot("ST-PARIS", 1, SKU_B=1))
    problem(r, 403, "forbidden")


async def test_a_sale_at_the_till_is_no_longer_available_online(ctx, client):
    keys = await seed(ctx, client)
    # ST-PARIS sells its 5 mugs at the till, after the seed counted them.
    sold = {**move("till-1", 0, -5, sku="SKU-A"), "occurred_at": ctx.clock.now().isoformat()}
    assert (await post_moves(client, keys, [sold]))["applied"] == 1
    inv = await stock_of(client, keys, "SKU-A")
    assert inv["ST-PARIS"]["available"] == 0
    r = await client.post("/v1/orders", headers=keys.h("web"), json={
        "channel": "web", "external_ref": "AFTER-TILL", "customer": {"name": "Ada", "email": "ada@example.com"},
        "lines": [{"sku": "SKU-A", "quantity": 1, "unit_price": {"amount": 1299, "currency": "EUR"}}],
        "delivery": {"mode": "reserve_in_store", "pickup_node_id": "ST-PARIS"}})
    problem(r, 409, "out_of_stock")


# --- event ids are each node's own -------------------------------------------------------------------------


async def test_two_nodes_may_send_the_same_event_id_but_one_node_only_once(ctx, client):
    keys = await seed(ctx, client)
    # Two till systems both number their messages from 1 (on rows the seed did not count).
    paris, lyon = move("till-1", 5, -1, "ST-PARIS", "SKU-B"), move("till-1", 5, -2, "ST-LYON", "SKU-A")
    assert await post_moves(client, keys, [paris, lyon, paris]) == {"applied": 2, "duplicates": 1, "stale": 0}
    assert await tills(client, keys) == {("ST-PARIS", "SKU-B"): -1, ("ST-LYON", "SKU-A"): -2}
    # Each sent again, in one call and then in two: nothing changes.
    assert await post_moves(client, keys, [lyon, paris]) == {"applied": 0, "duplicates": 2, "stale": 0}
    assert await post_moves(client, keys, [paris]) == {"applied": 0, "duplicates": 1, "stale": 0}
    assert await post_moves(client, keys, [{**lyon, "sku": "SKU-C"}]) == {"applied": 0, "duplicates": 1, "stale": 0}
    # A third node's till-1 is new again.
    dc = move("till-1", 5, 4, node_id="DC-PARIS", sku="SKU-C")
    assert await post_moves(client, keys, [dc]) == {"applied": 1, "duplicates": 0, "stale": 0}
    assert await tills(client, keys) == {("ST-PARIS", "SKU-B"): -1, ("ST-LYON", "SKU-A"): -2, ("DC-PARIS", "SKU-C"): 4}
    async with ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).where(t.movements.c.source_event_id == "till-1")) == 3
    assert await stock_differences(ctx) == []


async def tills(client, keys) -> dict[tuple[str, str], int]:
    """On-hand of the rows the seed did not count (those the feeds above move)."""
    unseeded = {("ST-PARIS", "SKU-B"), ("ST-LYON", "SKU-A"), ("DC-PARIS", "SKU-C")}
    return {k: q for k, q in (await all_on_hand(client, keys)).items() if k in unseeded}


async def test_an_event_id_written_by_a_concurrent_call_is_a_duplicate_not_an_error(ctx, client):
    """Another call writes the same node's event id while this one is under way (for another SKU, so no
    row lock keeps them apart): when it commits, this call finds the id taken and applies nothing of it."""
    if ctx.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: two feed calls cannot overlap")
    keys = await seed(ctx, client)
    async with ctx.db.engine.connect() as other, other.begin():
        inv = t.inventory.c
        await other.execute(t.inventory.update().where(inv.node_id == "ST-PARIS", inv.sku == "SKU-A")
                            .values(on_hand=inv.on_hand - 1))
        await other.execute(t.movements.insert().values(node_id="ST-PARIS", sku="SKU-A", delta=-1, reason="sale",
                                                        source_event_id="till-7", occurred_at=ctx.clock.now()))
        other_pid = await other.scalar(text("SELECT pg_backend_pid()"))
        late = asyncio.create_task(client.post("/v1/inventory/movements", headers=keys.h("admin"), json=[
            move("till-7", 5, -3, sku="SKU-B"), move("till-8", 5, -2, sku="SKU-B")]))
        await until_blocked_by(ctx, other_pid, late)
    r = await late
    assert r.status_code == 200, r.text
    assert r.json() == {"applied": 1, "duplicates": 1, "stale": 0}
    assert await on_hand(client, keys, "ST-PARIS", "SKU-B") == -2
    assert await on_hand(client, keys, "ST-PARIS", "SKU-A") == 4
    assert await stock_differences(ctx) == []


# --- on-hand stays within its column -----------------------------------------------------------------------


def now_move(event_id, delta, node_id="ST-PARIS", sku="SKU-A", ahead=timedelta(0)):
    """A movement that happened now (after the seed's count), or ``ahead`` of now within the clock skew."""
    return {**move(event_id, 0, delta, node_id, sku), "occurred_at": (now() + ahead).isoformat()}


async def test_movements_that_would_take_on_hand_out_of_range_are_refused_by_name(ctx, client):
    keys = await seed(ctx, client)
    before = await all_on_hand(client, keys)
    # ST-PARIS holds 5 of SKU-A, ST-LYON 3 of SKU-C.
    r = await client.post("/v1/inventory/movements", headers=keys.h("admin"), json=[
        now_move("ok-1", -1, sku="SKU-C"),
        now_move("big-1", INT32 - 5),  # exactly the most a row holds: fine on its own
        now_move("low-1", -INT32, node_id="ST-LYON", sku="SKU-C"),
        now_move("big-2", 1),  # one more
        now_move("low-2", -4, node_id="ST-LYON", sku="SKU-C"),
    ])
    errors = problem(r, 422, "invalid_input")["errors"]
    assert [e["field"] for e in errors] == ["items.3.delta", "items.4.delta"]
    assert "2,147,483,648" in errors[0]["reason"] and "SKU-A at ST-PARIS" in errors[0]["reason"]
    # Nothing of the call was written: its messages are new when sent again.
    assert await all_on_hand(client, keys) == before
    assert await post_moves(client, keys, [now_move("ok-1", -1, sku="SKU-C"), now_move("big-1", INT32 - 5)]) == {
        "applied": 2, "duplicates": 0, "stale": 0}
    assert await on_hand(client, keys, sku="SKU-A") == INT32
    # Across calls too: the row already at the top takes no more.
    r = await client.post("/v1/inventory/movements", headers=keys.h("admin"), json=[now_move("big-3", 1)])
    assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == ["items.0.delta"]
    assert await post_moves(client, keys, [now_move("down-1", -INT32)]) == {"applied": 1, "duplicates": 0, "stale": 0}
    assert await on_hand(client, keys, sku="SKU-A") == 0
    assert await stock_differences(ctx) == []


async def test_counts_that_would_take_on_hand_out_of_range_are_refused_by_name(ctx, client):
    keys = await seed(ctx, client)
    # A receipt of 1,000 at minute 20 stays on top of a count taken at minute 10.
    await post_moves(client, keys, [move("rcv-1", 20, 1000, reason="receipt")])
    r = await client.post("/v1/inventory/snapshots", headers=keys.h("admin"),
                          json=snapshot("ST-PARIS", 10, SKU_B=INT32))
    [error] = problem(r, 422, "invalid_input")["errors"]
    assert error["field"] == "items.0.on_hand" and "2,147,484,647" in error["reason"]
    # A count taken now, with a receipt the node dates a little ahead of this server's clock.
    await post_moves(client, keys, [now_move("rcv-2", 1000, sku="SKU-C", ahead=timedelta(minutes=2))])
    before = await all_on_hand(client, keys)
    r = await client.put("/v1/inventory", headers=keys.h("admin"), json=[
        {"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 9},
        {"node_id": "ST-PARIS", "sku": "SKU-C", "on_hand": INT32},
    ])
    assert [e["field"] for e in problem(r, 422, "invalid_input")["errors"]] == ["items.1.on_hand"]
    assert await all_on_hand(client, keys) == before  # not even the good row
    assert await stock_differences(ctx) == []


async def all_on_hand(client, keys) -> dict[tuple[str, str], int]:
    r = await client.get("/v1/inventory", params={"limit": 500}, headers=keys.h("admin"))
    return {(i["node_id"], i["sku"]): i["on_hand"] for i in r.json()["items"]}


# --- a count taken now says which rows it left as they were ------------------------------------------------


async def test_setting_stock_answers_the_rows_a_later_count_made_stale(ctx, client):
    keys = await seed(ctx, client)
    # The store's count is dated a little ahead of this server's clock (within the allowed skew).
    ahead = (ctx.clock.now() + timedelta(minutes=3)).isoformat()
    body = {"node_id": "ST-PARIS", "counted_at": ahead, "items": [{"sku": "SKU-A", "on_hand": 7}]}
    assert await post_snapshot(client, keys, body) == {"applied": 1, "stale": 0}
    r = await client.put("/v1/inventory", headers=keys.h("admin"), json=[
        {"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 50},
        {"node_id": "ST-PARIS", "sku": "SKU-C", "on_hand": 9},
    ])
    assert r.status_code == 200, r.text
    assert r.json() == {"upserted": 1, "stale": 1}
    assert await on_hand(client, keys, sku="SKU-A") == 7 and await on_hand(client, keys, sku="SKU-C") == 9
    assert await stock_differences(ctx) == []
