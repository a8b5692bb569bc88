"""Replenishment settings as data: each store's supply and the rules for its SKUs, set all or nothing by an
admin, read by planners, every bad item named."""

from oms.demo.load import load_demo
from tests.support import problem, seed

STORES = [{"node_id": "ST-PARIS", "source_node_id": "DC-PARIS", "order_weekdays": [4, 1], "lead_days": 1.5,
           "lead_sigma_days": 0.5},
          {"node_id": "ST-LYON", "source_node_id": "DC-PARIS", "order_weekdays": [2], "lead_days": 2}]
RULES = [{"sku": "*", "service_level": 0.95, "case_pack": 6},
         {"node_id": "ST-PARIS", "sku": "SKU-*", "presentation_min": 4, "shelf_capacity": 30},
         {"node_id": "ST-PARIS", "sku": "SKU-A", "policy": "min_max", "case_pack": 12, "rounding_threshold": 0.3}]


async def test_stores_and_rules_are_set_whole_and_read_back(ctx, client):
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    r = await client.put("/v1/replenishment/stores", json=STORES, headers=admin)
    assert r.status_code == 200 and r.json() == {"upserted": 2}, r.text
    r = await client.put("/v1/replenishment/rules", json=RULES, headers=admin)
    assert r.status_code == 200 and r.json() == {"upserted": 3}, r.text
    stores = (await client.get("/v1/replenishment/stores", headers=keys.h("viewer"))).json()["items"]
    assert [(s["node_id"], s["order_weekdays"], s["lead_days"]) for s in stores] == [
        ("ST-LYON", [2], 2.0), ("ST-PARIS", [1, 4], 1.5)]
    rules = (await client.get("/v1/replenishment/rules", params={"node_id": "ST-PARIS"}, headers=admin)).json()
    assert [(x["sku"], x["policy"], x["case_pack"], x["presentation_min"]) for x in rules["items"]] == [
        ("SKU-*", None, None, 4), ("SKU-A", "min_max", 12, None)]
    # Replaced, not merged: a rule sent again is that rule.
    r = await client.put("/v1/replenishment/rules", json=[{"node_id": "ST-PARIS", "sku": "SKU-A", "case_pack": 4}],
                         headers=admin)
    assert r.status_code == 200
    rules = (await client.get("/v1/replenishment/rules", params={"node_id": "ST-PARIS"}, headers=admin)).json()
    assert [(x["sku"], x["policy"], x["case_pack"]) for x in rules["items"]][1] == ("SKU-A", None, 4)


async def test_bad_settings_are_refused_whole_naming_each_item(ctx, client):
    keys = await seed(ctx, client)
    admin = keys.h("admin")
    bad = [{**STORES[0], "node_id": "DC-PARIS"}, {**STORES[1], "source_node_id": "ST-PARIS"},
           {**STORES[1], "node_id": "ST-NOWHERE"}]
    body = problem(await client.put("/v1/replenishment/stores", json=bad, headers=admin), 422, "invalid_input")
    assert {(e["field"], e["reason"]) for e in body["errors"]} == {
        ("items.0.node_id", "DC-PARIS is a warehouse, not a store"),
        ("items.1.source_node_id", "ST-PARIS is a store, not a DC"),
        ("items.2.node_id", "no node 'ST-NOWHERE'")}
    body = problem(await client.put("/v1/replenishment/stores", json=[{**STORES[0], "order_weekdays": [1, 1]}],
                                    headers=admin), 422, "invalid_input")
    assert "order_weekdays" in str(body)
    bad = [{"sku": "SKU-NOPE", "case_pack": 6}, {"node_id": "DC-PARIS", "sku": "*"},
           {"sku": "SKU-B", "presentation_min": 40, "shelf_capacity": 20}, {"sku": "*", "service_level": 1.2}]
    for item in bad:
        problem(await client.put("/v1/replenishment/rules", json=[item], headers=admin), 422, "invalid_input")
    body = problem(await client.put("/v1/replenishment/rules", json=[RULES[0], RULES[0]], headers=admin), 422,
                   "invalid_input")
    assert "items.1" in str(body)
    assert (await client.get("/v1/replenishment/rules", headers=admin)).json()["items"] == []  # nothing written
    assert (await client.get("/v1/replenishment/stores", headers=admin)).json()["items"] == []
    # Only an admin sets them; planners read them; a store's or a channel's key does not.
    problem(await client.put("/v1/replenishment/stores", json=STORES, headers=keys.h("viewer")), 403, "forbidden")
    for who in ("store_paris", "web"):
        problem(await client.get("/v1/replenishment/rules", headers=keys.h(who)), 403, "forbidden")


async def test_the_demo_supplies_each_store_from_its_nearest_dc(ctx, client, tmp_path):
    summary = await load_demo(ctx, if_empty=False, keys_file=tmp_path / "demo-keys.txt")
    admin = {"Authorization": f"Bearer {next(k.key for k in summary.keys if k.role == 'admin')}"}
    stores = {s["node_id"]: s for s in (await client.get("/v1/replenishment/stores", params={"limit": 500},
                                                         headers=admin)).json()["items"]}
    assert len(stores) == summary.nodes["store"]
    assert stores["ST-PARIS-RIVOLI"]["source_node_id"] == "DC-PARIS-NORD"
    assert stores["ST-PARIS-RIVOLI"]["order_weekdays"] == [1, 3, 5] and stores["ST-PARIS-RIVOLI"]["lead_days"] == 1
    assert stores["ST-MARSEILLE"]["source_node_id"] == "DC-LYON-EST" and stores["ST-MARSEILLE"]["lead_days"] == 2
    rules = {r["sku"]: r for r in (await client.get("/v1/replenishment/rules", headers=admin)).json()["items"]}
    assert rules["DEC-*"]["case_pack"] == 6 and rules["*"]["service_level"] == 0.95
