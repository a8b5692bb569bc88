"""Carbon estimates: carried parcels, the retailer's own trips, the customer's trip to collect, and grams
weighed at a price in a shipment's cost."""

import pytest

from oms.domain.carbon import (
    CAR_G_PER_KM,
    COLLECTION_CAR_SHARE,
    ROAD_KM,
    Emissions,
    collection_trip,
    driven,
    emissions_from,
    priced,
    total,
)
from oms.domain.costs import CostModel, Source, shipment_cost
from oms.domain.sourcing import Need


def test_a_carried_parcel_pays_its_last_mile_and_its_tonnes_over_the_road():
    truck = Emissions(g_per_tonne_km=100, g_per_parcel=150)
    # Two parcels of 1 kg and 3 kg, 100 km as the crow flies: 130 road km.
    assert truck.carried(100, [1000, 3000]) == pytest.approx(2 * 150 + 100 * 0.004 * 100 * ROAD_KM)
    assert truck.per_kg(100) == pytest.approx(0.1 * 130)
    assert Emissions().carried(500, [20_000]) == 0
    assert emissions_from(None) is None
    assert emissions_from({"g_per_parcel": 68}) == Emissions(0, 68)


def test_a_courier_rides_there_and_back_and_a_vans_round_shares_its_way_among_its_drops():
    assert driven(1, 3, 2) == pytest.approx(2 * 3 * ROAD_KM)
    assert driven(317, 10, 2 / 12) == pytest.approx(317 * 13 * 2 / 12)
    assert driven(None, 3, 2) is None  # not known is not nothing


def test_the_customers_trip_is_a_share_of_car_journeys_there_and_back():
    assert collection_trip(2, None) == pytest.approx(COLLECTION_CAR_SHARE * 2 * 2 * ROAD_KM * CAR_G_PER_KM)
    assert collection_trip(2, 0.1) == pytest.approx(0.1 * 4 * ROAD_KM * CAR_G_PER_KM)
    assert collection_trip(5, 0) == 0


def test_an_unknown_part_makes_the_sum_unknown():
    assert total([1.5, 2, 0]) == 3.5
    assert total([1.5, None, 2]) is None
    assert total([]) == 0


def test_grams_are_weighed_in_a_shipment_at_the_carbon_price():
    # 185 g a parcel, 3.9 g a started kg; €100 a tonne = 10,000 cents a tonne = 0.01 cent a gram.
    source = Source("DC", 100, 20, base=400, per_kg=40, km=30, carbon_g=185, carbon_g_per_kg=3.9,
                    carbon_price=priced(1, 10_000))
    cost = shipment_cost(source, [Need(1, "A", 2)], {"A": 1200}, {("DC", "A"): 5}, CostModel())
    grams = 185 + 3.9 * 3  # 2.4 kg: three started kilograms
    assert cost.carbon_g == pytest.approx(grams) and cost.carbon == pytest.approx(grams * 0.01)
    assert cost.total == pytest.approx(140 + 400 + 3 * 40 + grams * 0.01)
    assert source.fixed == pytest.approx(100 + 400 + 1.85) and source.kg_cost == pytest.approx(40 + 0.039)
    unpriced = Source("DC", 100, 20, base=400, per_kg=40, carbon_g=185, carbon_g_per_kg=3.9)
    assert shipment_cost(unpriced, [Need(1, "A", 2)], {"A": 1200}, {("DC", "A"): 5}, CostModel()).total == 660
    assert unpriced.fixed == 500 and unpriced.kg_cost == 40
