"""Captures racing for the last places of a store's day, on PostgreSQL (Hypothesis picks how many places
and how many orders, some keeping a promise made before the race, some not).

Whatever the interleaving: no day is overbooked, every place taken belongs to a stored order and every
stored order took one, an order without a promise is never refused (it waits for a day with room),
and an order with a promise is stored only on the promised day.
"""

import asyncio

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from oms.api.app import create_app
from oms.bootstrap import build_context, prepare
from oms.config import Settings
from oms.db.tables import metadata
from tests.integration.test_capacity import open_network, promise, promised, set_capacities, used
from tests.integration.test_promise import by_mode
from tests.support import order


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(places=st.integers(1, 4), keeps=st.lists(st.booleans(), min_size=2, max_size=12))
def test_captures_racing_for_the_last_places_never_overbook(postgres_schema, places, keeps):
    if not postgres_schema:
        pytest.skip("captures racing for one row need PostgreSQL (OMS_TEST_POSTGRES_URL)")
    asyncio.run(_race(postgres_schema, places, keeps))


async def _race(url: str, places: int, keeps: list[bool]) -> None:
    ctx = build_context(Settings(database_url=url, key_cache_seconds=0, reference_refresh_seconds=0,
                                 availability_max_age_seconds=0))
    async with ctx.db.write() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)} CASCADE"))
    await prepare(ctx)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(ctx)),
                                     base_url="http://oms") as client:
            await _orders(ctx, client, places, keeps)
    finally:
        await ctx.db.dispose()


async def _orders(ctx, client, places: int, keeps: list[bool]) -> None:
    keys = await open_network(ctx, client, {"ST-PARIS": places})
    r = await client.put("/v1/inventory", json=[{"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 100}],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    offer = by_mode(await promise(client, keys, [("SKU-A", 1)]), "click_and_collect", "ST-PARIS")
    promised_day = offer["earliest"][:10]

    async def place(i: int, keep: bool) -> httpx.Response:
        body = promised(f"R-{i}", [("SKU-A", 1)], offer, pickup_node_id="ST-PARIS") if keep else \
            order(f"R-{i}", [("SKU-A", 1)], "click_and_collect", pickup_node_id="ST-PARIS")
        return await client.post("/v1/orders", json=body, headers=keys.h("web"))

    answers = await asyncio.gather(*(place(i, keep) for i, keep in enumerate(keeps)))
    taken: dict[str, int] = {}
    for r, keep in zip(answers, keeps, strict=True):
        if r.status_code == 201:
            [[node_id, day]] = r.json()["fulfillments"][0]["details"]["capacity"]
            assert node_id == "ST-PARIS" and (not keep or day == promised_day), r.text
            taken[day] = taken.get(day, 0) + 1
        else:  # only a promise can be refused: an order without one waits for a day with room
            assert keep and r.status_code == 409 and r.json()["code"] == "promise_not_kept", r.text
    stored = {d.isoformat(): u for d, u in (await used(ctx, "ST-PARIS")).items()}
    assert stored == taken and max(taken.values()) <= places
    assert taken.get(promised_day, 0) == places or all(r.status_code == 201 for r in answers)
    await set_capacities(client, keys, {})  # what the next example starts from
