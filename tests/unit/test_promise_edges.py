"""Edges of calendars, lead times, options and promise ids: clock changes, midnight, same-day transit,
shuttles, closed nodes, malformed ids."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from oms.domain.calendar import Calendar, calendar_from, hours
from oms.domain.errors import InvalidInput
from oms.domain.lead_times import Band, CarrierService, NodeTimes, ship
from oms.domain.promise import Leg, NotOffered, best_shipment, prepared_at, transferred
from oms.services.promise.ids import sign, verify
from oms.services.reference.inputs import NodeIn
from oms.services.runtime.shapes import DeliveryIn

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def every_day(opens: str, closes: str, days=range(1, 8)) -> dict:
    return {d: (hours(opens, closes),) for d in days}


# A DC working round the clock, every day (a common shape for a distribution centre).
ROUND_THE_CLOCK = Calendar("Europe/Paris", every_day("00:00", "24:00"))


# --- daylight saving: working minutes are real minutes --------------------------------------------------------

def test_four_working_hours_across_the_spring_gap_take_four_real_hours():
    # Saturday 28 March 2026, 23:00 CET; the clocks go from 02:00 to 03:00 on Sunday. The DC works all night.
    start = paris(2026, 3, 28, 23, 0)
    ready = ROUND_THE_CLOCK.after_working(start, 240)
    assert ready - start.astimezone(UTC) == timedelta(hours=4)  # 04:00 CEST, not 03:00 CEST


def test_the_same_instant_given_in_another_offset_gives_the_same_ready_time():
    # Sunday 29 March 2026, 00:30 CET, as the API receives it (fixed offset) and as the calendar makes it.
    local = paris(2026, 3, 29, 0, 30)
    fixed = local.astimezone(UTC)
    assert ROUND_THE_CLOCK.after_working(local, 240) == ROUND_THE_CLOCK.after_working(fixed, 240)


def test_the_latest_start_before_a_pickup_after_the_spring_gap_counts_real_hours():
    pickup = paris(2026, 3, 29, 5, 0)  # 03:00 UTC
    order_by = ROUND_THE_CLOCK.before_working(pickup, 240)
    assert pickup - order_by.astimezone(UTC) == timedelta(hours=4)  # 00:00 CET, not 01:00 CET


def test_order_by_on_the_spring_change_night_still_makes_the_pickup():
    std = CarrierService("std", frozenset({"home_standard"}), (Band(800, 1, 2),))
    at = paris(2026, 3, 28, 22, 0)
    shipment = ship(ROUND_THE_CLOCK, at, 240, time(5), std, km=100)
    again = ship(ROUND_THE_CLOCK, shipment.order_by.astimezone(UTC), 240, time(5), std, km=100)
    assert again.shipped == shipment.shipped


# --- opening spans given out of order or overlapping ----------------------------------------------------------

def node_with(opening_hours: dict) -> dict:
    return {"id": "ST-X", "type": "store", "name": "store X", "timezone": "Europe/Paris",
            "address": {"line1": "1 rue", "postal_code": "75001", "city": "Paris", "country": "FR",
                        "lat": 48.86, "lng": 2.35},
            "opening_hours": opening_hours}


@pytest.mark.parametrize("spans, start, minutes, ready", [
    # Afternoon listed before morning: opening at 09:00, a 45-minute pick is ready at 09:45.
    ([["14:00", "19:00"], ["09:00", "12:00"]], (2026, 11, 25, 8, 0), 45, (2026, 11, 25, 9, 45)),
    # Overlapping spans: 11 working hours from 09:00 cannot end at 11:00 the same morning.
    ([["09:00", "19:00"], ["10:00", "12:00"]], (2026, 11, 25, 9, 0), 660, (2026, 11, 26, 10, 0)),
])
def test_opening_spans_out_of_order_or_overlapping_are_refused_or_understood(spans, start, minutes, ready):
    try:
        NodeIn.model_validate(node_with({"wed": spans, "thu": [["09:00", "19:00"]]}))
    except ValidationError:
        return  # refused at the door: fine
    calendar = calendar_from("Europe/Paris", {"wed": spans, "thu": [["09:00", "19:00"]]}, {})
    assert calendar.after_working(paris(*start), minutes) == paris(*ready)


# --- same-day transit ----------------------------------------------------------------------------------------

def test_a_same_day_band_never_promises_a_window_that_ends_before_the_parcel_leaves():
    dc = Calendar("Europe/Paris", every_day("06:00", "23:00", range(1, 7)))
    same_day = CarrierService("sameday", frozenset({"home_express"}), (Band(50, 0, 0),))  # delivers 08:00-20:00
    shipment = ship(dc, paris(2026, 5, 20, 10, 0), 60, time(23), same_day, km=10)
    assert shipment is None or shipment.latest >= shipment.shipped
    assert shipment is None or shipment.earliest >= shipment.shipped


# --- a transfer arrives within the carrier's hours, not at their start ---------------------------------------

def test_a_transferred_collection_is_not_promised_before_the_shuttle_can_have_arrived():
    dc = NodeTimes(Calendar("Europe/Paris", every_day("06:00", "23:00", range(1, 7))), 60, time(23))
    store = NodeTimes(Calendar("Europe/Paris", every_day("10:00", "20:00", range(1, 7))), 45, time(17))
    shuttle = CarrierService("shuttle", frozenset({"transfer"}), (Band(1000, 1, 2),))  # delivers 08:00-20:00
    leg = Leg("DC", dc, 20.0)
    at = paris(2026, 5, 20, 14, 0)
    shipment = best_shipment(leg, [shuttle], at).shipment
    option = transferred("click_and_collect", leg, [shuttle], "ST", store, at)
    # The shuttle may come as late as Friday 20:00: "ready Friday 10:45" is not a promise the store can keep.
    assert shipment.latest == paris(2026, 5, 22, 20, 0)
    assert option.earliest >= shipment.latest


# --- a store with no preparation time is still closed at night ----------------------------------------------

def test_a_reservation_with_no_preparation_is_ready_when_the_store_opens_not_while_it_is_shut():
    store = NodeTimes(Calendar("Europe/Paris", every_day("10:00", "20:00", range(1, 7))), 0, time(17))
    option = prepared_at("reserve_in_store", "ST", store, paris(2026, 5, 20, 22, 0))  # Wednesday night
    assert option.earliest >= paris(2026, 5, 21, 10, 0)  # the customer can collect from Thursday's opening


# --- reasons --------------------------------------------------------------------------------------------------

def test_a_node_that_never_opens_is_not_explained_as_out_of_the_carriers_reach():
    closed = NodeTimes(Calendar("Europe/Paris", {}), 60, time(17))  # NodeIn's default opening_hours: none
    std = CarrierService("std", frozenset({"home_standard"}), (Band(800, 1, 2),))
    with pytest.raises(NotOffered) as refused:
        best_shipment(Leg("DC", closed, 17.0), [std], paris(2026, 5, 20, 10, 0))
    assert "no carrier service goes" not in str(refused.value)


# --- promise ids ------------------------------------------------------------------------------------------------

def test_a_promise_id_with_a_non_ascii_signature_is_bad_input_not_a_crash():
    with pytest.raises(InvalidInput):
        verify(b"k" * 32, "prm_e30.\u00e9t\u00e9")


def test_a_promise_for_many_nodes_fits_the_field_capture_accepts():
    # A cart whose lines come from 20 nodes (ids may be 64 characters): the id the promise gives ...
    payload = {"mode": "home_standard", "nodes": [f"N{i:02d}" + "x" * 61 for i in range(20)], "pickup_node_id": None,
               "channel": "web", "at": "2026-05-20T10:00:00+02:00", "earliest": "2026-05-21T08:00:00+02:00",
               "latest": "2026-05-22T20:00:00+02:00", "expires_at": "2026-05-20T10:10:00+02:00"}
    promise_id = sign(b"k" * 32, payload)
    # ... must be one an order may carry.
    DeliveryIn.model_validate({"mode": "home_standard", "promise_id": promise_id,
                               "address": {"line1": "1 rue", "postal_code": "75001", "city": "Paris",
                                           "country": "FR", "lat": 48.86, "lng": 2.35}})



# --- options side by side: a dearer mode only when it is faster; one hour named by what it guarantees ----------

def _home(mode: str, earliest: datetime, latest: datetime):
    from oms.domain.promise import Option
    return Option(mode, ("DC-1",), earliest, latest, earliest - timedelta(days=1), 0)


@pytest.mark.parametrize(("express", "standard", "offered"), [
    ((8, 9), (9, 10), True),    # a day sooner, never later: worth paying for
    ((8, 9), (8, 9), False),    # the same days
    ((9, 10), (8, 10), False),  # guarantees the same day
    ((8, 9), (7, 10), False),   # guarantees sooner but may come later than standard's first day
    ((8, 8), (8, 9), True),     # the same first day, a sooner last
])
def test_express_is_offered_only_when_it_is_really_faster_than_standard(express, standard, offered):
    from oms.domain.promise import really_faster
    options = [_home("home_standard", paris(2026, 12, standard[0], 8), paris(2026, 12, standard[1], 20)),
               _home("home_express", paris(2026, 12, express[0], 8), paris(2026, 12, express[1], 20))]
    why = really_faster(options, "home_standard", "home_express")
    assert (why is None) == offered
    if not offered:
        assert why.startswith("no faster than home standard")
    assert really_faster(options[1:], "home_standard", "home_express") is None  # alone, nothing to weigh


def test_one_hour_states_the_minutes_it_really_takes_from_the_order():
    from oms.domain.capacity import NO_LIMITS
    from oms.domain.couriers import OneHour, within_the_hour
    store = NodeTimes(Calendar("Europe/Paris", every_day("09:00", "20:00")), 60, time(17))
    at = paris(2026, 12, 9, 15, 7, 30)
    option = within_the_hour("one_hour", "ST-1", store, OneHour("ST-1", 4, ride_minutes=45), at, NO_LIMITS, 2.0)
    assert option.latest - at == timedelta(minutes=105)  # an hour's picking, then the ride
    assert option.within_minutes == 105 and option.latest <= at + timedelta(minutes=option.within_minutes)
