"""On the demo retailer, every option states its emissions, worked out from the factors its carrier
services, vans, couriers and collection places are given (docs/api.md, "Carbon")."""

import json

import pytest

from oms.demo.generate import build_nodes
from oms.demo.source import DATA
from oms.domain.carbon import CAR_G_PER_KM, COLLECTION_CAR_SHARE, ROAD_KM
from oms.domain.geo import haversine_km
from tests.integration.test_demo_relay_points import PARIS, _demo, _small

DELIVERY = json.loads((DATA / "delivery.json").read_text(encoding="utf-8"))
SERVICES = {c["id"]: c["emissions"] for c in DELIVERY["carrier_services"]}
NODES = {n.id: n for n in build_nodes()}


def km(a: str, b: str | None = None) -> float:
    """From node ``a`` to node ``b``, or to the Paris address."""
    at = NODES[a].address
    to = (NODES[b].address.lat, NODES[b].address.lng) if b else (PARIS["lat"], PARIS["lng"])
    return haversine_km(at.lat, at.lng, *to)


def carried(service: str, grams: int, distance: float) -> float:
    e = SERVICES[service]
    return e["g_per_parcel"] + e["g_per_tonne_km"] * grams / 1e6 * distance * ROAD_KM


def trip(node_id: str) -> float:
    share = NODES[node_id].collection_car_share
    return (COLLECTION_CAR_SHARE if share is None else share) * 2 * km(node_id) * ROAD_KM * CAR_G_PER_KM


def expected(o: dict, grams: int) -> float:
    """An option's grams from the demo's factors: one product, one parcel."""
    [node] = o["nodes"]
    mode, pickup = o["mode"], o["pickup_node_id"]
    if mode in ("home_standard", "home_express"):
        return carried(o["services"][0], grams, km(node))
    if mode in ("locker", "pickup_point"):
        return carried(o["services"][0], grams, km(node, pickup)) + trip(pickup)
    if mode == "scheduled":
        [(rule, drops)] = {(s["g_per_km"], s["drops_per_round"]) for s in DELIVERY["capacity"]["slots"]
                           if s["node_id"] == node}
        return rule * 2 * km(node) * ROAD_KM / drops
    if mode == "one_hour":
        [rule] = [r["g_per_km"] for r in DELIVERY["capacity"]["one_hour"] if r["node_id"] == node]
        return rule * 2 * km(node) * ROAD_KM
    if node == pickup:  # collected from its own shelves
        return trip(pickup)
    return carried(o["services"][0], grams, km(node, pickup)) + trip(pickup)  # the shuttle from a DC


async def test_every_demo_option_states_the_grams_its_factors_give(ctx, client, tmp_path):
    keys, products = await _demo(ctx, tmp_path)
    candle = _small(products)
    r = await client.post("/v1/promise", headers=keys["channel"], json={
        "channel": "web", "lines": [{"sku": candle.sku, "quantity": 1}], "destination": PARIS})
    assert r.status_code == 200, r.text
    options = r.json()["options"]
    modes = {o["mode"] for o in options}
    assert {"home_standard", "pickup_point", "locker"} <= modes, modes
    for o in options:
        assert o["carbon_g"] == pytest.approx(expected(o, candle.weight_g), abs=1), o
    by_mode = {o["mode"]: o for o in options}
    if "home_express" in by_mode and by_mode["home_express"]["nodes"] == by_mode["home_standard"]["nodes"]:
        assert by_mode["home_express"]["carbon_g"] > by_mode["home_standard"]["carbon_g"]
