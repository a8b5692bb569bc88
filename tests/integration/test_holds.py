"""Cart and checkout holds: keep units for a while, give them back, let an order take them."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from oms.db import tables as t
from oms.services.reservations.expiry import release_expired
from oms.services.stock.check import stock_differences
from tests.support import HOME, NODES, capture, on_hand_reserved, order, problem, seed, stock_of

# All 14 units of SKU-B: 10 at the DC, 4 in Lyon (a line goes whole to one node).
EVERY_SKU_B = [("SKU-B", 10), ("SKU-B", 4)]


def hold(lines, ttl=900, channel="web"):
    return {"channel": channel, "ref": "cart-1", "lines": [{"sku": s, "quantity": q} for s, q in lines],
            "delivery": {"mode": "home_standard", "address": HOME}, "ttl_seconds": ttl}


async def held(client, keys, body, who="web") -> dict:
    r = await client.post("/v1/holds", json=body, headers=keys.h(who))
    assert r.status_code == 201, r.text
    return r.json()


async def free(client, keys, sku) -> int:
    return sum(row["available"] for row in (await stock_of(client, keys, sku)).values())


async def test_a_hold_keeps_units_until_released(ctx, client):
    keys = await seed(ctx, client)
    h = await held(client, keys, hold([("SKU-B", 3)]))
    assert h["status"] == "active" and [(x["node_id"], x["reserved"]) for x in h["lines"]] == [("DC-PARIS", 3)]
    assert await free(client, keys, "SKU-B") == 11
    assert await stock_differences(ctx) == []
    r = await client.delete(f"/v1/holds/{h['id']}", headers=keys.h("web"))
    assert r.json()["status"] == "released" and await free(client, keys, "SKU-B") == 14
    again = await client.delete(f"/v1/holds/{h['id']}", headers=keys.h("web"))
    assert again.json()["status"] == "released" and await free(client, keys, "SKU-B") == 14
    assert await stock_differences(ctx) == []


async def test_holds_expire_by_themselves(ctx, client):
    keys = await seed(ctx, client)
    h = await held(client, keys, hold([("SKU-B", 5)], ttl=60))
    assert await release_expired(ctx, at=ctx.clock.now() + timedelta(seconds=59)) == 0
    assert await release_expired(ctx, at=ctx.clock.now() + timedelta(seconds=61)) == 1
    got = (await client.get(f"/v1/holds/{h['id']}", headers=keys.h("web"))).json()
    assert got["status"] == "expired" and await free(client, keys, "SKU-B") == 14
    assert await stock_differences(ctx) == []


async def test_an_expired_hold_never_blocks_a_sale(ctx, client):
    keys = await seed(ctx, client)
    await held(client, keys, hold(EVERY_SKU_B, ttl=60))
    r = await client.post("/v1/orders", json=order("H-1", [("SKU-B", 1)]), headers=keys.h("web"))
    problem(r, 409, "out_of_stock")
    # Time passes (the sweeper has not run yet): the hold is past its expiry.
    async with ctx.db.write() as conn:
        await conn.execute(update(t.holds).values(expires_at=ctx.clock.now() - timedelta(seconds=1)))
    r = await client.post("/v1/orders", json=order("H-2", [("SKU-B", 1)]), headers=keys.h("web"))
    assert r.status_code == 201, r.text
    assert await stock_differences(ctx) == []


async def test_an_order_takes_its_own_hold_instead_of_competing_with_it(ctx, client):
    keys = await seed(ctx, client)
    h = await held(client, keys, hold(EVERY_SKU_B))
    body = {**order("H-3", EVERY_SKU_B), "hold_id": h["id"]}
    r = await client.post("/v1/orders", json=body, headers=keys.h("web"))
    assert r.status_code == 201, r.text
    inv = await stock_of(client, keys, "SKU-B")
    assert sum(row["reserved"] for row in inv.values()) == 14
    assert (await client.get(f"/v1/holds/{h['id']}", headers=keys.h("web"))).json()["status"] == "converted"
    problem(await client.post("/v1/orders", json=order("H-4", [("SKU-B", 1)]), headers=keys.h("web")),
            409, "out_of_stock")
    assert await stock_differences(ctx) == []


async def test_a_hold_is_used_by_its_own_channel_only(ctx, client):
    keys = await seed(ctx, client)
    h = await held(client, keys, hold([("SKU-A", 1)]))
    body = {**order("M-1", [("SKU-A", 1)], channel="marketplace"), "hold_id": h["id"]}
    r = await client.post("/v1/orders", json=body, headers=keys.h("marketplace"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "hold_id"
    problem(await client.get(f"/v1/holds/{h['id']}", headers=keys.h("marketplace")), 404, "not_found")
    problem(await client.get("/v1/holds/nope", headers=keys.h("web")), 404, "not_found")
    r = await client.post("/v1/orders", json={**order("W-9", [("SKU-A", 1)]), "hold_id": "hld_nope"},
                          headers=keys.h("web"))
    assert problem(r, 422, "invalid_input")["errors"][0]["field"] == "hold_id"


async def test_32_shoppers_holding_the_last_20_units_hold_exactly_20(ctx, client):
    keys = await seed(ctx, client)
    await client.put("/v1/inventory", headers=keys.h("admin"), json=[
        {"node_id": "ST-PARIS", "sku": "SKU-C", "on_hand": 12}, {"node_id": "ST-LYON", "sku": "SKU-C", "on_hand": 8}])
    answers = await asyncio.gather(*(client.post("/v1/holds", json=hold([("SKU-C", 1)]), headers=keys.h("web"))
                                     for _ in range(32)))
    codes = [r.status_code for r in answers]
    assert codes.count(201) == 20 and codes.count(409) == 12
    assert await free(client, keys, "SKU-C") == 0
    assert await stock_differences(ctx) == []


async def test_a_converted_hold_keeps_its_units_even_past_its_channel_share(ctx, client):
    """Marketplace may promise half of what is free. It held 5 of 10; the web then took 4. Taking the hold
    back and reserving again would ask 5 of 6 free (more than half): the units must pass over as they are."""
    keys = await seed(ctx, client)
    r = await client.put("/v1/stock-rules", headers=keys.h("admin"),
                         json={"channels": {"marketplace": {"node_types": ["warehouse"], "share_percent": 50}}})
    assert r.status_code == 200, r.text
    h = await held(client, keys, hold([("SKU-B", 5)], channel="marketplace"), who="marketplace")
    await capture(client, keys, order("W-1", [("SKU-B", 4)]))
    body = {**order("M-1", [("SKU-B", 5)], channel="marketplace"), "hold_id": h["id"]}
    view = await capture(client, keys, body, who="marketplace")
    assert [(f["node_id"], [ln["quantity"] for ln in f["lines"]]) for f in view["fulfillments"]] == [("DC-PARIS", [5])]
    assert (await on_hand_reserved(client, keys, "SKU-B", "DC-PARIS")) == (10, 9)
    assert await stock_differences(ctx) == []


async def test_a_converted_hold_is_sourced_as_an_order_without_one_its_units_its_own(ctx, client):
    keys = await seed(ctx, client)
    h = await held(client, keys, hold([("SKU-A", 8)]))  # only the DC has 8
    assert [x["node_id"] for x in h["lines"]] == ["DC-PARIS"]
    # Paris store, nearer the customer, now has plenty: the order goes from there, as it would without the
    # hold, and the units held at the DC go back to stock.
    await client.put("/v1/inventory", headers=keys.h("admin"), json=[{"node_id": "ST-PARIS", "sku": "SKU-A",
                                                                      "on_hand": 50}])
    view = await capture(client, keys, {**order("H-5", [("SKU-A", 8)]), "hold_id": h["id"]})
    assert [f["node_id"] for f in view["fulfillments"]] == ["ST-PARIS"]
    assert await on_hand_reserved(client, keys, "SKU-A", "ST-PARIS") == (50, 8)
    assert await on_hand_reserved(client, keys, "SKU-A", "DC-PARIS") == (100, 0)
    assert await stock_differences(ctx) == []

    # Held where nothing is cheaper, the order takes the very units held for it.
    h = await held(client, keys, hold([("SKU-B", 3)]))
    [line] = h["lines"]
    view = await capture(client, keys, {**order("H-5B", [("SKU-B", 3)]), "hold_id": h["id"]})
    assert [f["node_id"] for f in view["fulfillments"]] == [line["node_id"]]
    assert await on_hand_reserved(client, keys, "SKU-B", line["node_id"]) == (10 if line["node_id"] == "DC-PARIS"
                                                                              else 4, 3)
    assert await stock_differences(ctx) == []


async def test_a_hold_is_placed_where_capture_would_source_and_converting_it_costs_no_more(ctx, client):
    keys = await seed(ctx, client)
    # The Paris store is nearer, but preparing an order there costs more than the DC's parcel: an order of
    # mugs is cheapest from the DC, and so is the hold.
    costly = [{**n, "handling_cost_per_order": 2000 if n["id"] == "ST-PARIS" else 100} for n in NODES]
    assert (await client.put("/v1/nodes", json=costly, headers=keys.h("admin"))).status_code == 200
    await ctx.reference.get(ctx.db, now=True)
    h = await held(client, keys, hold([("SKU-A", 2)]))
    assert [x["node_id"] for x in h["lines"]] == ["DC-PARIS"]
    with_hold = await capture(client, keys, {**order("H-C1", [("SKU-A", 3)]), "hold_id": h["id"]})
    without = await capture(client, keys, order("H-C2", [("SKU-A", 3)]))
    assert [f["node_id"] for f in with_hold["fulfillments"]] == [f["node_id"] for f in without["fulfillments"]] \
        == ["DC-PARIS"]  # one parcel, as without a hold: not two from where the hold happened to be
    assert await on_hand_reserved(client, keys, "SKU-A", "DC-PARIS") == (100, 6)
    assert await stock_differences(ctx) == []


async def test_an_order_for_more_or_other_than_held_plans_the_rest_and_gives_back_the_surplus(ctx, client):
    keys = await seed(ctx, client)
    h = await held(client, keys, hold([("SKU-A", 2), ("SKU-B", 3)]))
    view = await capture(client, keys, {**order("H-6", [("SKU-A", 5)]), "hold_id": h["id"]})
    reserved = {(f["node_id"], ln["sku"]): ln["quantity"] for f in view["fulfillments"] for ln in f["lines"]}
    assert sum(reserved.values()) == 5 and {sku for _, sku in reserved} == {"SKU-A"}
    assert sum(row["reserved"] for row in (await stock_of(client, keys, "SKU-A")).values()) == 5
    assert await free(client, keys, "SKU-B") == 14  # the lamps held but not ordered are free again
    assert (await client.get(f"/v1/holds/{h['id']}", headers=keys.h("web"))).json()["status"] == "converted"
    assert await stock_differences(ctx) == []


async def test_an_order_that_fails_leaves_its_hold_as_it_was(ctx, client):
    keys = await seed(ctx, client)
    h = await held(client, keys, hold([("SKU-B", 2)]))
    r = await client.post("/v1/orders", json={**order("H-7", [("SKU-B", 2), ("SKU-C", 50)]), "hold_id": h["id"]},
                          headers=keys.h("web"))
    problem(r, 409, "out_of_stock")
    got = (await client.get(f"/v1/holds/{h['id']}", headers=keys.h("web"))).json()
    assert got["status"] == "active" and [x["reserved"] for x in got["lines"]] == [2]
    assert await free(client, keys, "SKU-B") == 12
    assert await stock_differences(ctx) == []


async def test_a_hold_sent_again_with_its_idempotency_key_holds_nothing_more(ctx, client):
    keys = await seed(ctx, client)
    headers = {**keys.h("web"), "Idempotency-Key": "cart-77-checkout"}
    answers = await asyncio.gather(*(client.post("/v1/holds", json=hold([("SKU-B", 3)]), headers=headers)
                                     for _ in range(5)))
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in answers}) == 1
    assert await free(client, keys, "SKU-B") == 11
    # The key belongs to the channel's request: another channel's key of the same name is its own.
    other = await client.post("/v1/holds", json=hold([("SKU-B", 1)], channel="marketplace"),
                              headers={**keys.h("marketplace"), "Idempotency-Key": "cart-77-checkout"})
    assert other.status_code == 201 and await free(client, keys, "SKU-B") == 10
    assert await stock_differences(ctx) == []


async def test_a_hold_key_sent_again_with_another_cart_is_refused_naming_the_first_hold(ctx, client):
    keys = await seed(ctx, client)
    headers = {**keys.h("web"), "Idempotency-Key": "cart-78-checkout"}
    r = await client.post("/v1/holds", json=hold([("SKU-B", 3)]), headers=headers)
    assert r.status_code == 201, r.text
    first = r.json()
    for changed in (hold([("SKU-B", 5)]), hold([("SKU-B", 3)], ttl=1800)):
        body = problem(await client.post("/v1/holds", json=changed, headers=headers), 409, "idempotency_conflict")
        assert body["hold_id"] == first["id"] and first["id"] in body["detail"]
    assert await free(client, keys, "SKU-B") == 11
    again = await client.post("/v1/holds", json=hold([("SKU-B", 3)]), headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first["id"]


async def test_concurrent_holds_of_one_row_are_combined_and_never_oversell(ctx, client, monkeypatch):
    """On PostgreSQL, reservations of one stock row that arrive together go as one statement; when that
    statement cannot have units for all of them, each goes alone and gets its own answer."""
    if ctx.db.dialect != "postgresql":
        pytest.skip("the combined statement is PostgreSQL's capture path")
    from oms.db.capture_tx import PgCapture
    from oms.db.combiner import Combiner

    # Whether requests meet at the row depends on how fast each gets there. So that the test does not
    # hang on the machine's speed, the first statement waits until two more requests have reached the
    # row: they must then go together, after it.
    batches: list[int] = []
    arrived: list[object] = []
    two_more = asyncio.Event()
    store_batch, submit = PgCapture._store_batch, Combiner.submit

    async def counting(self, stmt, batch):
        if not batches:
            await asyncio.wait_for(two_more.wait(), timeout=30)
        batches.append(len(batch))
        return await store_batch(self, stmt, batch)

    async def arriving(self, key, item, run):
        arrived.append(key)
        if len(arrived) >= 3:
            two_more.set()
        return await submit(self, key, item, run)

    monkeypatch.setattr(PgCapture, "_store_batch", counting)
    monkeypatch.setattr(Combiner, "submit", arriving)
    keys = await seed(ctx, client)
    answers = await asyncio.gather(*(client.post("/v1/holds", json=hold([("SKU-A", 1)]), headers=keys.h("web"))
                                     for _ in range(40)))
    assert [r.status_code for r in answers] == [201] * 40
    assert max(batches) > 1 and sum(batches) >= 40  # a plan refused on a row is made again, and counted again
    # 105 units of SKU-A in all (100 at the DC, 5 in Paris): 80 more shoppers for the 65 left.
    answers = await asyncio.gather(*(client.post("/v1/holds", json=hold([("SKU-A", 1)]), headers=keys.h("web"))
                                     for _ in range(80)))
    codes = [r.status_code for r in answers]
    assert codes.count(201) == 65 and codes.count(409) == 15
    assert await free(client, keys, "SKU-A") == 0
    assert await stock_differences(ctx) == []
