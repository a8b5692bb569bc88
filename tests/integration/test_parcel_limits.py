"""Parcel limits over HTTP: what carrier services, couriers and nodes say they take is kept and shown; a
locker bank's compartments are taken smallest first and given back by a cancel."""

from tests.integration.test_capacity import LOCKERS, open_network, used
from tests.support import NODES, capture, order, problem

BANK = next(n for n in NODES if n["id"] == "LK-PARIS")
COMPARTMENTS = [{"size": "S", "length_mm": 100, "width_mm": 380, "height_mm": 640, "max_weight_g": 25000, "count": 1},
                {"size": "M", "length_mm": 190, "width_mm": 380, "height_mm": 640, "max_weight_g": 25000, "count": 1}]


async def test_what_services_and_couriers_take_is_kept_and_shown(ctx, client):
    keys = await open_network(ctx, client, {})
    takes = {"max_weight_g": 25000, "max_length_mm": None, "max_sides_mm": 1500, "max_girth_mm": None,
             "bulky": False, "hazardous": False}
    r = await client.put("/v1/carrier-services/lk", json={**LOCKERS, "takes": {"max_weight_g": 25000,
                                                                                "max_sides_mm": 1500}},
                         headers=keys.h("admin"))
    assert r.status_code == 200 and r.json()["takes"] == takes, r.text
    store = next(n for n in NODES if n["id"] == "ST-PARIS")
    r = await client.put("/v1/nodes", json=[{**store, "fulfills": [*store["fulfills"], "one_hour"]}],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    r = await client.get("/v1/carrier-services/lk", headers=keys.h("admin"))  # one stored without takes
    r = await client.put("/v1/carrier-services/lk", json={**r.json(), "takes": None}, headers=keys.h("admin"))
    assert r.status_code == 200 and r.json()["takes"] is None, r.text  # read back and written again as it was
    couriers = {"one_hour": [{"node_id": "ST-PARIS", "couriers_per_hour": 3, "takes": {"max_weight_g": 40000}}]}
    r = await client.put("/v1/delivery-capacity", json=couriers, headers=keys.h("admin"))
    assert r.status_code == 200 and r.json()["one_hour"][0]["takes"]["max_weight_g"] == 40000, r.text
    bad = [{**BANK, "id": "ST-X", "type": "store", "hands_over": [], "compartments": COMPARTMENTS},
           {**BANK, "takes": {"max_weight_g": 0}}]
    r = await client.put("/v1/nodes", json=bad, headers=keys.h("admin"))
    body = problem(r, 422, "invalid_input")
    assert {e["field"] for e in body["errors"]} == {"items.0.compartments", "items.1.takes.max_weight_g"}, body


async def test_parcels_take_the_smallest_free_compartment_and_a_cancel_gives_it_back(ctx, client):
    keys = await open_network(ctx, client, {})  # no daily limits anywhere: the compartments count all the same
    r = await client.put("/v1/nodes", json=[{**BANK, "daily_capacity": None, "compartments": COMPARTMENTS}],
                         headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    placed = []
    for ref in ("LK-1", "LK-2"):
        placed.append(await capture(client, keys, order(ref, [("SKU-B", 1)], "locker", pickup_node_id="LK-PARIS")))
    taken = [[resource for resource, _ in o["fulfillments"][0]["details"]["capacity"] if "#" in resource]
             for o in placed]
    assert taken == [["LK-PARIS#S"], ["LK-PARIS#M"]]  # the S is taken: the next parcel goes in the M
    assert all("LK-PARIS" not in [r for r, _ in o["fulfillments"][0]["details"]["capacity"]] for o in placed)
    r = await client.post("/v1/orders", json=order("LK-3", [("SKU-B", 1)], "locker", pickup_node_id="LK-PARIS"),
                          headers=keys.h("web"))
    assert "no free compartment" in problem(r, 409, "conflict")["detail"]

    r = await client.post(f"/v1/orders/{placed[0]['id']}/cancel", json={"reason": "changed mind"},
                          headers=keys.h("web"))
    assert r.status_code == 200, r.text
    assert sum((await used(ctx, "LK-PARIS#S")).values()) == 0 and sum((await used(ctx, "LK-PARIS#M")).values()) == 1
    again = await capture(client, keys, order("LK-4", [("SKU-B", 1)], "locker", pickup_node_id="LK-PARIS"))
    assert "LK-PARIS#S" in [resource for resource, _ in again["fulfillments"][0]["details"]["capacity"]]
