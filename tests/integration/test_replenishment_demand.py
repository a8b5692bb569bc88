"""A store's demand as its ledger shows it: till sales, online orders it handed over, returns, and the days
it had nothing to sell; read by the planners and the store itself, nobody else."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.support import capture, confirm, order, problem, seed

PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int = 12) -> str:
    return datetime(2026, 5, day, hour, tzinfo=PARIS).isoformat()


@pytest.mark.clock_at("2026-05-15T09:00:00+02:00")
async def test_a_stores_days_show_each_stream_and_its_stock_outs(ctx, client):
    keys = await seed(ctx, client)  # ST-PARIS counts 5 mugs (SKU-A) on the 15th
    ctx.clock.set(datetime(2026, 5, 20, 18, 0, tzinfo=PARIS))
    moves = [("m1", -2, "sale", at(16)), ("m2", -3, "sale", at(17)), ("m3", 4, "receipt", at(19, 8)),
             ("m4", 1, "return", at(19, 10)), ("m5", -1, "sale", at(19, 11))]
    r = await client.post("/v1/inventory/movements", headers=keys.h("store_paris"), json=[
        {"event_id": e, "node_id": "ST-PARIS", "sku": "SKU-A", "delta": d, "reason": why, "occurred_at": when}
        for e, d, why, when in moves])
    assert r.status_code == 200, r.text
    placed = await capture(client, keys, order("D-1", [("SKU-A", 2)], mode="click_and_collect",
                                               pickup_node_id="ST-PARIS"))
    [f] = placed["fulfillments"]
    store = keys.h("store_paris")
    await confirm(client, store, f["id"], "accept")
    view = await confirm(client, store, f["id"], "ready")
    code = next(x for x in view["fulfillments"] if x["id"] == f["id"])["details"]["pickup_code"]
    await confirm(client, store, f["id"], "collect", pickup_code=code)

    r = await client.get("/v1/replenishment/demand", params={"node_id": "ST-PARIS", "sku": "SKU-A", "days": 5},
                         headers=keys.h("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    days = {d["date"]: d for d in body["days"]}
    assert list(days) == [f"2026-05-{d:02d}" for d in range(16, 21)]  # (the store's count came on the 15th)
    assert body["on_hand"] == 2  # 5 − 2 − 3 + 4 + 1 − 1 − 2
    assert (days["2026-05-16"]["walk_in"], days["2026-05-16"]["opening_on_hand"]) == (2, 5)
    assert (days["2026-05-17"]["walk_in"], days["2026-05-17"]["out_of_stock"]) == (3, False)
    assert days["2026-05-18"]["opening_on_hand"] == 0 and days["2026-05-18"]["out_of_stock"]  # nothing to sell
    assert (days["2026-05-19"]["walk_in"], days["2026-05-19"]["returns"]) == (1, 1)
    assert (days["2026-05-20"]["online"], days["2026-05-20"]["walk_in"]) == (2, 0)
    assert body["totals"] == {"walk_in": 6, "online": 2, "returns": 1, "out_of_stock_days": 1}

    # The store reads its own; another store, a channel key, or a bad query are refused by name.
    assert (await client.get("/v1/replenishment/demand", params={"node_id": "ST-PARIS", "sku": "SKU-A"},
                             headers=store)).status_code == 200
    problem(await client.get("/v1/replenishment/demand", params={"node_id": "ST-PARIS", "sku": "SKU-A"},
                             headers=keys.h("store_lyon")), 403, "forbidden")
    problem(await client.get("/v1/replenishment/demand", params={"node_id": "ST-PARIS", "sku": "SKU-A"},
                             headers=keys.h("web")), 403, "forbidden")
    body = problem(await client.get("/v1/replenishment/demand", params={"node_id": "ST-PARIS", "sku": "SKU-A",
                                                                        "days": 400}, headers=keys.h("admin")),
                   422, "invalid_input")
    assert "days" in str(body)
    problem(await client.get("/v1/replenishment/demand", params={"node_id": "ST-NOWHERE", "sku": "SKU-A"},
                             headers=keys.h("admin")), 404, "not_found")
