"""A replenishment run on a month of known demand: each store's proposal from its forecast, settings and
position, every input kept; a DC short of what two stores ask shares it by days of supply and says so."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support import problem, seed

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 4, 1, 9, 0, tzinfo=PARIS)
RUN = datetime(2026, 5, 1, 10, 0, tzinfo=PARIS)


async def month_of_sales(ctx, client, keys, dc_units: int):
    """Both stores sell 2 mugs a day for 29 days (and receive 2 each morning: 5 on hand throughout)."""
    admin = keys.h("admin")
    r = await client.post("/v1/inventory/snapshots", headers=admin, json={
        "node_id": "ST-LYON", "counted_at": START.isoformat(), "items": [{"sku": "SKU-A", "on_hand": 5}]})
    assert r.status_code == 200, r.text
    ctx.clock.set(RUN)
    moves = []
    for day in range(1, 30):  # the 2nd to the 30th of April
        when = START + timedelta(days=day)
        for store in ("ST-PARIS", "ST-LYON"):
            moves += [{"event_id": f"{store}-r{day}", "node_id": store, "sku": "SKU-A", "delta": 2, "reason": "receipt",
                       "occurred_at": (when - timedelta(hours=1)).isoformat()},
                      {"event_id": f"{store}-s{day}", "node_id": store, "sku": "SKU-A", "delta": -2, "reason": "sale",
                       "occurred_at": (when + timedelta(hours=6)).isoformat()}]
    if dc_units != 100:
        moves.append({"event_id": "dc-1", "node_id": "DC-PARIS", "sku": "SKU-A", "delta": dc_units - 100,
                      "reason": "adjustment", "occurred_at": (RUN - timedelta(hours=1)).isoformat()})
    r = await client.post("/v1/inventory/movements", headers=admin, json=moves)
    assert r.status_code == 200, r.text
    stores = [{"node_id": n, "source_node_id": "DC-PARIS", "order_weekdays": [1, 4], "lead_days": 1}
              for n in ("ST-PARIS", "ST-LYON")]
    for path, body in (("/v1/replenishment/stores", stores),
                       ("/v1/replenishment/rules", [{"sku": "*", "service_level": 0.95},
                                                    {"sku": "SKU-A", "case_pack": 2}])):
        r = await client.put(path, json=body, headers=admin)
        assert r.status_code == 200, r.text


async def run(client, keys, **body):
    r = await client.post("/v1/replenishment/runs", headers=keys.h("admin"), json=body)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.clock_at(START.isoformat())
async def test_a_store_gets_what_brings_it_up_to_its_level_with_every_input_kept(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=100)
    got = await run(client, keys, date="2026-05-01", nodes=["ST-PARIS"])
    [line] = got["lines"]  # the store ranges SKU-A and SKU-C; it sold only SKU-A
    # 2 a day, steady (the 60 days before its first count were not learnt as no demand): up to 2 × (3 days from
    # Friday to its next order on Monday + 1 day's lead) = 8; it has 5: 3, rounded to two packs of 2.
    assert (line["node_id"], line["sku"], line["method"]) == ("ST-PARIS", "SKU-A", "ses")
    assert line["forecast_daily"] == pytest.approx(2) and line["sigma"] == pytest.approx(0)
    assert (line["order_up_to"], line["position"], line["asked"], line["quantity"]) == (8, 5, 4, 4)
    assert "8.0 expected over 4 days (3 to the next order + 1 lead; 2.00 a day)" in line["why"]
    assert "packs of 2" in line["why"] and got["next_offset"] is None
    assert got["unfilled"] == [] and got["summary"] == {"stores": 1, "proposed": 1, "units": 4, "unfilled": 0,
                                                        "moves": 0}
    again = await client.get(f"/v1/replenishment/runs/{got['id']}", headers=keys.h("viewer"))
    assert again.status_code == 200 and again.json() == got


@pytest.mark.clock_at(START.isoformat())
async def test_a_short_dc_is_shared_by_days_of_supply_and_the_run_says_what_it_could_not_send(ctx, client):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=3)
    got = await run(client, keys, date="2026-05-01")  # a Friday: nobody orders
    assert got["lines"] == [] and got["summary"]["stores"] == 0
    got = await run(client, keys, date="2026-04-30")  # a Thursday: both stores order
    by_store = {x["node_id"]: x for x in got["lines"]}
    # Both ask 6 (up to 2 × (4 days to Monday + 1) = 10, from 5: 2.5 packs, 3 of them); the DC has 3: both at
    # 2.5 days, each would reach 3.25 days with 1.5 units: no whole pack of 2 each; the one pack there is goes
    # to the first of equals.
    assert {n: (x["asked"], x["quantity"]) for n, x in by_store.items()} == {"ST-LYON": (6, 2), "ST-PARIS": (6, 0)}
    assert sorted((u["node_id"], u["asked"], u["given"]) for u in got["unfilled"]) == [("ST-LYON", 6, 2),
                                                                                       ("ST-PARIS", 6, 0)]
    assert "DC-PARIS short: 0 sent" in by_store["ST-PARIS"]["why"]


@pytest.mark.clock_at(START.isoformat())
async def test_runs_are_started_by_an_admin_for_stores_with_settings(ctx, client):
    keys = await seed(ctx, client)
    body = problem(await client.post("/v1/replenishment/runs", headers=keys.h("admin"),
                                     json={"nodes": ["ST-PARIS"]}), 422, "invalid_input")
    assert body["errors"][0]["field"] == "nodes.0"
    problem(await client.post("/v1/replenishment/runs", headers=keys.h("viewer"), json={}), 403, "forbidden")
    problem(await client.get("/v1/replenishment/runs/rpl_nope", headers=keys.h("admin")), 404, "not_found")
    problem(await client.get("/v1/replenishment/runs/rpl_nope", headers=keys.h("store_paris")), 403, "forbidden")
    # A run is for a date within the last year or the next two weeks; a list given is never empty.
    for bad, field in (({"date": "2027-06-01"}, "date"), ({"date": "2025-01-01"}, "date"), ({"nodes": []}, "nodes"),
                       ({"skus": []}, "skus")):
        body = problem(await client.post("/v1/replenishment/runs", headers=keys.h("admin"), json=bad), 422,
                       "invalid_input")
        assert field in str(body), body
