"""Random interleavings of feeds, holds, orders, backorders, cancels, rejections, short picks and shipments
(Hypothesis).

After every step the stock must add up: on-hand equals the sum of the movement ledger, reserved equals
the units the open fulfilment lines and holds keep, and each expected supply has promised exactly what
its backorders wait for; and a capture only ever takes units that were free (or its own hold's).
"""

import asyncio
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms.api.app import create_app
from oms.bootstrap import build_context, prepare
from oms.config import Settings
from oms.services.reservations.expiry import release_expired
from oms.services.stock.check import promise_differences, stock_differences
from oms.services.supply.backorders import release_backorders
from tests.support import WHY, order, seed

NODES = ["DC-PARIS", "ST-PARIS", "ST-LYON"]
SKUS = ["SKU-A", "SKU-B", "SKU-C"]

count = st.tuples(st.just("count"), st.sampled_from(NODES), st.sampled_from(SKUS), st.integers(0, 8),
                  st.integers(0, 240))
move = st.tuples(st.just("move"), st.sampled_from(NODES), st.sampled_from(SKUS), st.sampled_from([-3, -1, 1, 4]),
                 st.integers(0, 240), st.integers(0, 6))
buy = st.tuples(st.just("buy"), st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1,
                                         max_size=3))
act = st.tuples(st.sampled_from(["cancel", "reject", "short", "ship"]), st.integers(0, 20))
hold = st.tuples(st.just("hold"), st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1,
                                           max_size=2))
about_hold = st.tuples(st.sampled_from(["unhold", "expire", "buy_held"]), st.integers(0, 20))
release = st.just(("release",))
steps = st.lists(st.one_of(count, move, buy, buy, act, act, hold, about_hold, release), min_size=5, max_size=25)


async def _run(template: Path, plan: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "oms.db"
        shutil.copy(template, db)
        ctx = build_context(Settings(database_url=f"sqlite:///{db}", key_cache_seconds=0,
                                     reference_refresh_seconds=0, availability_max_age_seconds=0))
        await prepare(ctx)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(ctx)),
                                         base_url="http://oms") as client:
                await _steps(ctx, client, plan)
        finally:
            await ctx.db.dispose()


async def _steps(ctx, client, plan: list) -> None:
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    # Little stock everywhere, so that orders often wait for supply.
    await client.put("/v1/inventory", headers=admin, json=[{"node_id": node, "sku": sku, "on_hand": 2}
                                                           for node in NODES for sku in SKUS])
    start = ctx.clock.now()  # feed times come after these counts, within the allowed clock skew
    orders: list[dict] = []
    holds: list[tuple[dict, list]] = []
    # The web may wait for supply: a few units of each SKU are expected at the DC.
    await client.put("/v1/stock-rules", json={"channels": {"web": {"backorder": True}}}, headers=admin)
    expected = (start + timedelta(days=5)).date().isoformat()
    await client.put("/v1/supply", headers=admin, json=[
        {"id": f"PO-{sku}", "kind": "purchase_order", "node_id": "DC-PARIS", "sku": sku, "quantity": 6,
         "expected_on": expected} for sku in SKUS])
    for n, step in enumerate(plan):
        kind = step[0]
        if kind == "count":
            _, node, sku, qty, second = step
            body = {"node_id": node, "counted_at": (start + timedelta(seconds=second)).isoformat(),
                    "items": [{"sku": sku, "on_hand": qty}]}
            assert (await client.post("/v1/inventory/snapshots", json=body, headers=admin)).status_code == 200
        elif kind == "move":
            _, node, sku, delta, second, event = step
            body = [{"event_id": f"e{event}", "node_id": node, "sku": sku, "delta": delta, "reason": "adjustment",
                     "occurred_at": (start + timedelta(seconds=second)).isoformat()}]
            r = await client.post("/v1/inventory/movements", json=body, headers=admin)
            assert r.status_code == 200, r.text
        elif kind == "buy":
            before = {(r["node_id"], r["sku"]): r for r in await _rows(client, admin)}
            r = await client.post("/v1/orders", json=order(f"P-{n}", step[1]), headers=keys.h("web"))
            assert r.status_code in (201, 409), r.text
            if r.status_code == 201:
                orders.append(r.json())
                for f in r.json()["fulfillments"]:
                    for line in f["lines"] if f["status"] != "backordered" else []:
                        row = before[(f["node_id"], line["sku"])]
                        assert row["available"] >= line["quantity"]  # only free units were taken
        elif kind == "hold":
            body = {"channel": "web", "lines": [{"sku": s, "quantity": q} for s, q in step[1]],
                    "delivery": order()["delivery"], "ttl_seconds": 600}
            r = await client.post("/v1/holds", json=body, headers=keys.h("web"))
            assert r.status_code in (201, 409), r.text
            if r.status_code == 201:
                holds.append((r.json(), step[1]))
        elif kind == "release":
            await release_backorders(ctx)
        elif kind == "expire":
            await release_expired(ctx, at=ctx.clock.now() + timedelta(hours=1))
        elif kind in ("unhold", "buy_held") and holds:
            held, lines = holds[step[1] % len(holds)]
            if kind == "unhold":
                assert (await client.delete(f"/v1/holds/{held['id']}", headers=keys.h("web"))).status_code == 200
            else:
                body = {**order(f"P-{n}", lines), "hold_id": held["id"]}
                r = await client.post("/v1/orders", json=body, headers=keys.h("web"))
                assert r.status_code in (201, 409), r.text
                if r.status_code == 201:
                    orders.append(r.json())
        elif kind in ("cancel", "reject", "short", "ship") and orders:
            target = orders[step[1] % len(orders)]
            await _act(client, admin, kind, target)
        assert await stock_differences(ctx) == [], f"after step {n}: {step}"
        assert await promise_differences(ctx) == [], f"after step {n}: {step}"
        assert all(r["available"] >= 0 for r in await _rows(client, admin))


async def _rows(client, admin) -> list[dict]:
    return (await client.get("/v1/inventory", params={"limit": 500}, headers=admin)).json()["items"]


async def _act(client, admin, kind: str, target: dict) -> None:
    if kind == "cancel":
        r = await client.post(f"/v1/orders/{target['id']}/cancel", json=WHY, headers=admin)
        assert r.status_code in (200, 409), r.text
        return
    f = target["fulfillments"][0]
    if kind == "reject":
        r = await client.post(f"/v1/fulfillments/{f['id']}/reject", json={"reason": "no"}, headers=admin)
        assert r.status_code in (200, 409), r.text
        return
    await client.post(f"/v1/fulfillments/{f['id']}/accept", headers=admin)
    if kind == "short":
        picked = [{"sku": line["sku"], "quantity": line["quantity"] // 2} for line in f["lines"]]
        r = await client.post(f"/v1/fulfillments/{f['id']}/pick", json={"lines": picked}, headers=admin)
    else:
        r = await client.post(f"/v1/fulfillments/{f['id']}/ship", json={"carrier": "x"}, headers=admin)
    assert r.status_code in (200, 409), r.text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=steps)
def test_stock_always_adds_up_whatever_happens_in_whatever_order(sqlite_template, plan):
    asyncio.run(_run(sqlite_template, plan))
