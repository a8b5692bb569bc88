"""Parcels: what each carrier service, compartment, counter and courier takes, and how a shipment is packed."""

from datetime import date, datetime, time
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from oms.cells import parse_compartments, parse_takes
from oms.domain.calendar import Calendar
from oms.domain.capacity import NO_LIMITS, shared_out
from oms.domain.couriers import OneHour, within_the_hour
from oms.domain.lead_times import Band, CarrierService, NodeTimes, Rate
from oms.domain.parcels import (
    ANYTHING,
    FILL,
    MAX_PARCELS,
    Limits,
    compartments_from,
    pack,
    placed,
    received,
)
from oms.domain.promise import DoesNotFit, Leg, NotOffered, best_shipment, shipments
from oms.domain.reference import ProductRef
from tests.unit.test_promise_edges import every_day

PARIS = ZoneInfo("Europe/Paris")
SOFA = ProductRef("FUR-0002", "Canapé 3 places", 62_800, 129_900, "EUR", True, False, True, 2200, 950, 850)
CANDLE = ProductRef("DEC-0010", "Bougie parfumée", 400, 1_990, "EUR", False, False, True, 100, 100, 110)
OIL = ProductRef("LIG-0040", "Huile pour lampe", 900, 990, "EUR", False, True, True, 100, 100, 260)
CHAIR = ProductRef("FUR-0030", "Chaise", 7_000, 9_900, "EUR", False, False, True, 520, 480, 880)
POT = ProductRef("KIT-0020", "Cocotte 24 cm", 5_500, 12_900, "EUR", False, False, True, 320, 260, 180)
SHADE = ProductRef("LIG-0070", "Abat-jour", 300, 2_990, "EUR", False, False, True, 350, 350, 300)
TOWELS = ProductRef("TEX-0090", "Torchon (lot de 3)", 300, 1_490, "EUR", False, False, True, 270, 220, 50)
RUG = ProductRef("TEX-0050", "Tapis 200 x 290", 14_000, 29_900, "EUR", False, False, True, 2100, 380, 380)
COLIS = Limits(30_000, 1500, 2000, None, bulky=False, hazardous=True)
LOCKERS = compartments_from(parse_compartments("L 410x380x640 25kg 2; S 80x380x640 25kg 1; M 190x380x640 25kg 1"))


def test_each_refusal_names_the_product_and_the_limit():
    assert COLIS.refuses(SOFA, "colis") == "FUR-0002 (Canapé 3 places) is bulky, colis takes no bulky goods"
    assert Limits(hazardous=False).refuses(OIL, "express") == \
        "LIG-0040 (Huile pour lampe) is hazardous, express takes no hazardous goods"
    assert Limits(5000).refuses(CHAIR, "a bike") == "FUR-0030 (Chaise) weighs 7 kg, a bike takes at most 5 kg"
    assert COLIS.refuses(RUG, "colis") == "TEX-0050 (Tapis 200 x 290) is 210 cm long, colis takes at most 150 cm"
    assert Limits(max_sides_mm=1500).refuses(CHAIR, "relay") == \
        "FUR-0030 (Chaise) measures 188 cm in length, width and height together, relay takes at most 150 cm"
    assert Limits(max_girth_mm=2500).refuses(CHAIR, "ups") == \
        "FUR-0030 (Chaise) measures 288 cm in length plus girth, ups takes at most 250 cm"
    assert Limits(inner_mm=(640, 380, 190)).refuses(CHAIR, "M") == \
        "FUR-0030 (Chaise) measures 88 × 52 × 48 cm, M is 64 × 38 × 19 cm inside"
    assert COLIS.refuses(CANDLE) is None and ANYTHING.refuses(SOFA) is None


def test_the_largest_box_is_the_one_the_limits_allow():
    # By brute force over 2 cm steps: no box within the limits holds more than the one found.
    for limits in (Limits(max_length_mm=1500, max_sides_mm=2000), Limits(max_length_mm=1200, max_girth_mm=3000),
                   Limits(max_sides_mm=1500)):
        best = 0
        for a, b, c in product(range(20, 1520, 20), range(20, 1020, 20), range(20, 720, 20)):
            if c <= b <= a and (limits.max_length_mm is None or a <= limits.max_length_mm) and \
                    (limits.max_sides_mm is None or a + b + c <= limits.max_sides_mm) and \
                    (limits.max_girth_mm is None or a + 2 * (b + c) <= limits.max_girth_mm):
                best = max(best, a * b * c)
        assert best <= limits.volume_mm3 <= best * 1.1, limits
    assert ANYTHING.volume_mm3 == float("inf")
    assert Limits(inner_mm=(640, 380, 80)).volume_mm3 == 640 * 380 * 80


def test_parcels_fill_up_to_the_weight_and_to_a_share_of_the_largest_box():
    pots = pack([(POT, 12)], COLIS)
    assert [p.units for p in pots] == [{"KIT-0020": 5}, {"KIT-0020": 5}, {"KIT-0020": 2}]  # 27.5 kg at most
    assert len(pack([(CHAIR, 3)], COLIS)) == 3  # a chair fills most of the largest box: one a parcel
    shades = pack([(SHADE, 40)], COLIS)  # light and large: the box fills before the weight
    per_box = int(FILL * COLIS.volume_mm3 // (350 * 350 * 300))
    assert isinstance(shades, list) and shades[0].units == {"LIG-0070": per_box} and per_box == 6
    assert sum(p.count for p in shades) == 40 and len(shades) == -(-40 // per_box)
    mixed = pack([(CANDLE, 3), (POT, 4), (OIL, 1)], COLIS)  # heaviest first, the small ones in the gaps
    assert isinstance(mixed, list) and len(mixed) == 1 and mixed[0].weight_g == 4 * 5500 + 3 * 400 + 900
    assert pack([], COLIS) == []
    assert pack([(SOFA, 2), (CANDLE, 1)], COLIS).startswith("FUR-0002")  # type: ignore[union-attr]
    assert len(pack([(SOFA, 5)], ANYTHING)) == 1  # no limits: one consignment


def test_a_shipment_of_too_many_parcels_is_freight():
    refused = pack([(POT, 5 * MAX_PARCELS + 1)], COLIS)
    assert isinstance(refused, str) and f"more than {MAX_PARCELS} parcels of at most 30 kg" in refused
    assert len(pack([(POT, 5 * MAX_PARCELS)], COLIS)) == MAX_PARCELS  # type: ignore[arg-type]


def test_limits_together_keep_the_lower_of_each():
    relay = Limits(30_000, None, 1500, bulky=False, hazardous=False)
    both = COLIS.both(relay)
    assert (both.max_weight_g, both.max_length_mm, both.max_sides_mm) == (30_000, 1500, 1500)
    assert not both.bulky and not both.hazardous
    bank = received(None, LOCKERS)  # the most any compartment takes, side by side
    assert bank.inner_mm == (640, 410, 380) and bank.max_weight_g == 25_000 and bank.bulky
    odd = compartments_from(parse_compartments("S 900x300x100 30kg 1; L 600x400x400 20kg 1"))
    assert received(Limits(bulky=False), odd) == Limits(30_000, inner_mm=(900, 400, 400), bulky=False)


def test_each_parcel_goes_in_the_smallest_compartment_it_fits_that_has_room():
    assert [c.size for c in LOCKERS] == ["S", "M", "L"]  # smallest first, whatever the order given
    small, medium = pack([(TOWELS, 1)], received(None, LOCKERS)), pack([(CANDLE, 1)], received(None, LOCKERS))
    assert isinstance(small, list) and isinstance(medium, list)
    taken: dict[str, int] = {}

    def room(c, already):
        return already + taken.get(c.size, 0) < c.count

    assert [c.size for c in placed(small, LOCKERS, room)] == ["S"]  # type: ignore[union-attr]
    assert [c.size for c in placed(medium * 2, LOCKERS, room)] == ["M", "L"]  # type: ignore[union-attr]  # one M
    taken["S"] = 1
    assert [c.size for c in placed(small, LOCKERS, room)] == ["M"]  # type: ignore[union-attr]
    taken.update(M=1, L=2)
    assert placed(small, LOCKERS, room) == "no free compartment fits a parcel of 0.3 kg"


DC = NodeTimes(Calendar("Europe/Paris", every_day("06:00", "22:00", range(1, 7))), 60, time(17))
AT = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)  # a Wednesday
DAY = date(2026, 12, 3)
PARCEL = CarrierService("colis", frozenset({"home_standard"}), (Band(800, 1, 2),), rates=(Rate(800, 500, 50),),
                        takes=COLIS)
TWO_MEN = CarrierService("two-men", frozenset({"home_standard"}), (Band(800, 3, 5),), rates=(Rate(800, 5900, 25),),
                         takes=Limits(150_000, bulky=True, hazardous=False))


def test_each_leg_goes_by_a_service_that_takes_all_of_it_each_parcel_paid_for():
    pots = best_shipment(Leg("DC", DC, 30.0, ((POT, 6),)), [PARCEL, TWO_MEN], AT)
    assert pots.service.id == "colis" and len(pots.parcels) == 2
    assert pots.cost == (500 + 50 * 28) + (500 + 50 * 6)  # two parcels, each its started kilos
    sofa = best_shipment(Leg("DC", DC, 30.0, ((SOFA, 1), (CANDLE, 2))), [PARCEL, TWO_MEN], AT)
    assert sofa.service.id == "two-men" and len(sofa.parcels) == 1  # the candles come with the sofa
    with pytest.raises(DoesNotFit, match="FUR-0002 .* colis takes no bulky goods"):
        best_shipment(Leg("DC", DC, 30.0, ((SOFA, 1),)), [PARCEL], AT)
    with pytest.raises(DoesNotFit, match="FUR-0030 .* relay-1 takes at most 5 kg"):  # the place's own limit
        best_shipment(Leg("DC", DC, 30.0, ((CHAIR, 3),), Limits(5_000), "relay-1"), [PARCEL], AT)


def test_goods_no_one_service_takes_together_go_by_the_services_that_take_each():
    sent = shipments(Leg("DC", DC, 30.0, ((SOFA, 1), (OIL, 2), (CANDLE, 1))), [PARCEL, TWO_MEN], AT)
    assert sorted((s.service.id, sorted(p.units.items())) for s in sent for p in s.parcels) == [
        ("colis", [("DEC-0010", 1), ("LIG-0040", 2)]), ("two-men", [("FUR-0002", 1)])]  # each its soonest
    with pytest.raises(DoesNotFit, match="FUR-0002 .* colis takes no bulky goods"):
        shipments(Leg("DC", DC, 30.0, ((SOFA, 1), (OIL, 2))), [PARCEL], AT)


def test_goods_no_service_that_goes_that_far_takes_do_not_fit():
    near_two_men = CarrierService("two-men", frozenset({"home_standard"}), (Band(300, 3, 5),),
                                  takes=Limits(150_000, bulky=True, hazardous=False))
    with pytest.raises(DoesNotFit, match="FUR-0002 .* colis takes no bulky goods"):  # the only one going 500 km
        best_shipment(Leg("DC", DC, 500.0, ((SOFA, 1),)), [PARCEL, near_two_men], AT)
    with pytest.raises(NotOffered, match="no carrier service goes the 900 km") as far:
        best_shipment(Leg("DC", DC, 900.0, ((SOFA, 1),)), [PARCEL, near_two_men], AT)
    assert not isinstance(far.value, DoesNotFit)


def test_a_bank_s_places_go_to_the_fulfilment_whose_parcels_take_them():
    owned = [("DC-A", ("LK", DAY)), ("DC-A", ("LK#L", DAY)), ("DC-A", ("LK", DAY)), ("DC-A", ("LK#L", DAY)),
             ("ST-B", ("LK", DAY)), ("ST-B", ("LK#S", DAY))]
    places = shared_out([("DC-A", DAY), ("ST-B", DAY)], ["DC-A", "ST-B"], {"LK": 9, "LK#S": 9, "LK#L": 9}, owned)
    assert sorted(places["DC-A"]) == [("LK", DAY)] * 2 + [("LK#L", DAY)] * 2
    assert sorted(places["ST-B"]) == [("LK", DAY), ("LK#S", DAY)]


def test_a_courier_carries_the_cart_in_one_load_or_not_at_all():
    store = NodeTimes(Calendar("Europe/Paris", every_day("09:00", "20:00", range(1, 8))), 20, time(17))
    bike = OneHour("ST", 4, takes=Limits(40_000, 1000, 2200, hazardous=True, bulky=False))
    option = within_the_hour("one_hour", "ST", store, bike, AT, NO_LIMITS, 2.0, ((POT, 6), (OIL, 2)))
    assert len(option.parcels) == 1
    with pytest.raises(DoesNotFit, match="the cart makes 2 loads, a courier of ST carries one of at most 40 kg"):
        within_the_hour("one_hour", "ST", store, bike, AT, NO_LIMITS, 2.0, ((POT, 8),))
    with pytest.raises(DoesNotFit, match="TEX-0050 .* is 210 cm long, a courier of ST takes at most 100 cm"):
        within_the_hour("one_hour", "ST", store, bike, AT, NO_LIMITS, 2.0, ((RUG, 1),))


def test_csv_cells_give_limits_and_compartments():
    assert parse_takes("max 30 kg; length 1.2 m; sides 150 cm; girth 3000 mm; hazardous") == {
        "max_weight_g": 30_000, "max_length_mm": 1200, "max_sides_mm": 1500, "max_girth_mm": 3000, "hazardous": True}
    assert parse_takes('{"bulky": true}') == {"bulky": True}
    assert parse_compartments("S 80x380x640 25kg 60; XL 600x600x700 4") == [
        {"size": "S", "length_mm": 80, "width_mm": 380, "height_mm": 640, "count": 60, "max_weight_g": 25_000},
        {"size": "XL", "length_mm": 600, "width_mm": 600, "height_mm": 700, "count": 4}]
    for bad, says in (("max 30 lb", "is not a limit"), ("max 3 kg; max 4 kg", "max is given twice"),
                      ("length 3 kg", "is not a limit")):
        with pytest.raises(ValueError, match=says):
            parse_takes(bad)
    with pytest.raises(ValueError, match="is not a compartment"):
        parse_compartments("S 80x380 10")
