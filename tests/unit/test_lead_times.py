"""Calendars and lead times: time is an input, hours are local, holidays and clock changes count."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.calendar import Calendar, Hours, clock, hours
from oms.domain.lead_times import Band, CarrierService, NodeTimes, ship

PARIS = ZoneInfo("Europe/Paris")
WHIT_MONDAY = date(2026, 5, 25)  # a public holiday in France; the Saturday before is 23 May


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def every(days, spans: str) -> dict:
    return {d: tuple(hours(*x.split("-")) for x in spans.split(",")) for d in days}


# A DC working Monday to Saturday 06:00-23:00; the carrier collects at 23:00; an hour to pick and pack.
DC = Calendar("Europe/Paris", every(range(1, 7), "06:00-23:00"), {WHIT_MONDAY: ()})
STANDARD = CarrierService("std", frozenset({"home_standard"}), (Band(800, 1, 2), Band(2000, 3, 4)),
                          holidays=frozenset({WHIT_MONDAY}))


def test_an_order_a_minute_before_the_cutoff_leaves_tonight_one_after_waits_for_tuesday():
    before = ship(DC, paris(2026, 5, 23, 21, 59), 60, time(23), STANDARD, km=300)
    assert before.shipped == paris(2026, 5, 23, 23, 0)
    assert before.order_by == paris(2026, 5, 23, 22, 0)
    # Sunday no delivery, Monday a holiday: first delivery day Tuesday, at the latest Wednesday.
    assert before.earliest == paris(2026, 5, 26, 8, 0) and before.latest == paris(2026, 5, 27, 20, 0)

    after = ship(DC, paris(2026, 5, 23, 22, 1), 60, time(23), STANDARD, km=300)
    assert after.ready == paris(2026, 5, 26, 6, 1)  # 59 minutes on Saturday, the last one on Tuesday
    assert after.shipped == paris(2026, 5, 26, 23, 0)
    assert after.order_by == paris(2026, 5, 26, 22, 0)
    assert after.earliest == paris(2026, 5, 27, 8, 0) and after.latest == paris(2026, 5, 28, 20, 0)


def test_a_relay_point_receives_parcels_only_while_it_is_open():
    # A dry cleaner's taking parcels: Tuesday to Saturday, 09:00-12:30 and 14:00-19:00.
    shop = Calendar("Europe/Paris", every(range(2, 7), "09:00-12:30,14:00-19:00"))
    relay = CarrierService("relais", frozenset({"pickup_point"}), (Band(800, 1, 1),), window=(time(9), time(13)))
    to_shop = replace(relay, receiver=shop)
    # Shipped Friday night: the round comes Saturday 09:00-13:00, the shop takes parcels until 12:30.
    saturday = ship(DC, paris(2026, 5, 22, 10, 0), 60, time(23), to_shop, km=300)
    assert (saturday.earliest, saturday.latest) == (paris(2026, 5, 23, 9, 0), paris(2026, 5, 23, 12, 30))
    # Shipped Saturday night: the carrier delivers homes on Monday, but the shop is shut: Tuesday.
    assert ship(DC, paris(2026, 5, 23, 10, 0), 60, time(23), relay, km=300).earliest == paris(2026, 5, 25, 9, 0)
    tuesday = ship(DC, paris(2026, 5, 23, 10, 0), 60, time(23), to_shop, km=300)
    assert (tuesday.earliest, tuesday.latest) == (paris(2026, 5, 26, 9, 0), paris(2026, 5, 26, 12, 30))
    # Shut that Tuesday too (a closure): Wednesday.
    closed = replace(relay, receiver=Calendar("Europe/Paris", shop.weekly, {date(2026, 5, 26): ()}))
    assert ship(DC, paris(2026, 5, 23, 10, 0), 60, time(23), closed, km=300).earliest == paris(2026, 5, 27, 9, 0)
    # Transit runs on the carrier's days: two to three of them from Saturday night are Monday to Wednesday;
    # the shop, shut on Monday, has it from Tuesday's round (not Wednesday's) to Wednesday's.
    slower = replace(to_shop, bands=(Band(800, 2, 3),))
    two_three = ship(DC, paris(2026, 5, 23, 10, 0), 60, time(23), slower, km=300)
    assert (two_three.earliest, two_three.latest) == (paris(2026, 5, 26, 9, 0), paris(2026, 5, 27, 12, 30))
    # A shop open only in the afternoons never meets a morning round: no delivery there at all.
    afternoons = replace(relay, receiver=Calendar("Europe/Paris", every(range(1, 7), "14:00-19:00")))
    assert ship(DC, paris(2026, 5, 23, 10, 0), 60, time(23), afternoons, km=300) is None


def test_farther_destinations_take_their_band_and_beyond_the_last_band_there_is_no_option():
    far = ship(DC, paris(2026, 5, 19, 10, 0), 60, time(23), STANDARD, km=1500)
    assert far.earliest.date() == date(2026, 5, 22) and far.latest.date() == date(2026, 5, 23)
    assert ship(DC, paris(2026, 5, 19, 10, 0), 60, time(23), STANDARD, km=2500) is None


def test_working_minutes_count_local_hours_across_the_spring_clock_change():
    shop = Calendar("Europe/Paris", every(range(1, 8), "09:00-19:00"))
    # Saturday 28 March 2026, 18:00: one hour today; on Sunday the clocks go forward at 02:00.
    ready = shop.after_working(paris(2026, 3, 28, 18, 0), 120)
    assert ready.astimezone(PARIS).replace(tzinfo=None) == datetime(2026, 3, 29, 10, 0)
    assert ready == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # CEST, UTC+2 (a naive +1 h would say 09:00)


def test_the_autumn_clock_change_gives_a_long_night_not_a_shifted_opening():
    shop = Calendar("Europe/Paris", every(range(1, 8), "09:00-19:00"))
    ready = shop.after_working(paris(2026, 10, 24, 18, 30), 60)
    assert ready == datetime(2026, 10, 25, 8, 30, tzinfo=UTC)  # 09:30 CET on Sunday 25 October


def test_a_store_closing_in_thirty_minutes_cannot_have_a_45_minute_pick_ready_tonight():
    store = Calendar("Europe/Paris", every(range(1, 7), "10:00-20:00"))
    assert store.after_working(paris(2026, 5, 20, 19, 0), 45) == paris(2026, 5, 20, 19, 45)
    assert store.after_working(paris(2026, 5, 20, 19, 30), 45) == paris(2026, 5, 21, 10, 15)
    # Ordered on Saturday evening: ready on Monday (closed on Sunday).
    assert store.after_working(paris(2026, 5, 23, 19, 50), 45) == paris(2026, 5, 25, 10, 35)


def test_split_days_and_the_latest_start_for_work_due_at_a_time():
    lunch = Calendar("Europe/Paris", every(range(1, 6), "09:00-12:00,14:00-18:00"))
    assert lunch.after_working(paris(2026, 5, 20, 11, 30), 60) == paris(2026, 5, 20, 14, 30)
    assert lunch.before_working(paris(2026, 5, 20, 14, 30), 60) == paris(2026, 5, 20, 11, 30)
    assert lunch.before_working(paris(2026, 5, 18, 9, 30), 60) == paris(2026, 5, 15, 17, 30)  # over a weekend
    assert lunch.after_working(paris(2026, 5, 20, 3, 0), 0) == paris(2026, 5, 20, 9, 0)  # nothing to do: opening
    assert lunch.before_working(paris(2026, 5, 20, 13, 0), 0) == paris(2026, 5, 20, 12, 0)  # the last open moment


def test_a_node_never_open_has_no_promise():
    shut = Calendar("Europe/Paris", {})
    assert shut.after_working(paris(2026, 5, 20, 9, 0), 10) is None
    assert ship(shut, paris(2026, 5, 20, 9, 0), 10, time(17), STANDARD, km=10) is None


def test_a_cutoff_at_24_00_is_the_midnight_that_ends_the_day():
    dc = Calendar("Europe/Paris", every(range(1, 8), "06:00-24:00"))
    shipment = ship(dc, paris(2026, 5, 20, 22, 0), 60, clock("24:00"), STANDARD, km=300)
    assert shipment.shipped == paris(2026, 5, 21, 0, 0) and shipment.order_by == paris(2026, 5, 20, 23, 0)


def test_a_day_may_close_at_midnight():
    late = Calendar("Europe/Paris", every(range(1, 8), "18:00-24:00"))
    assert late.spans(date(2026, 5, 20))[0][1] == paris(2026, 5, 21, 0, 0)
    assert late.after_working(paris(2026, 5, 20, 23, 30), 60) == paris(2026, 5, 21, 18, 30)


@pytest.mark.parametrize("span", [("9h", "18h"), ("18:00", "09:00"), ("10:00", "10:00"), ("10:00", "24:01"),
                                  ("7:00", "09:00")])
def test_bad_hours_are_refused_by_name(span):
    with pytest.raises(ValueError, match="09:00|is not a HH:MM|closes at"):
        hours(*span)


# --- properties, over random calendars and order times (daylight-saving changes included) ---------------------

spans = st.lists(st.tuples(st.integers(0, 1439), st.integers(1, 720)), max_size=2).map(
    lambda xs: tuple(sorted({Hours(a, min(a + d, 1440)) for a, d in xs}, key=lambda h: h.opens)))
weekly = st.dictionaries(st.integers(1, 7), spans, min_size=1).filter(
    lambda w: any(w.values()) and all(a.closes <= b.opens for s in w.values() for a, b in pairwise(s)))
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=PARIS))
services = st.builds(
    lambda lo, extra, days, holidays: CarrierService("svc", frozenset({"home_standard"}), (Band(5000, lo, lo + extra),),
                                                     frozenset(days), frozenset(holidays)),
    st.integers(0, 4), st.integers(0, 3), st.sets(st.integers(1, 7), min_size=1),
    st.sets(st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 3, 1)), max_size=20))


@settings(max_examples=300, deadline=None)
@given(weekly=weekly, at=moments, minutes=st.integers(0, 900), cutoff=st.times(), service=services)
def test_a_window_never_starts_before_the_work_and_the_transit_it_needs(weekly, at, minutes, cutoff, service):
    node = Calendar("Europe/Paris", weekly)
    shipment = ship(node, at, minutes, cutoff, service, km=100)
    if shipment is None:
        return  # no opening or delivery day within the horizon: no option, never a wrong one
    assert shipment.ready >= at + timedelta(minutes=minutes)  # working minutes take at least that long
    assert shipment.shipped >= shipment.ready
    assert at <= shipment.order_by <= shipment.shipped
    first = node.local_date(shipment.earliest)
    assert (first - node.local_date(shipment.shipped)).days >= service.bands[0].transit_min
    assert service.delivers_on(first) and shipment.earliest <= shipment.latest
    # Ordering at the order-by time still makes the same pickup; a minute later, never an earlier one.
    assert ship(node, shipment.order_by, minutes, cutoff, service, km=100).shipped == shipment.shipped
    later = ship(node, shipment.order_by + timedelta(minutes=1), minutes, cutoff, service, km=100)
    assert later is None or later.shipped >= shipment.shipped


# --- release waves ------------------------------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")


def waved(*waves: str) -> NodeTimes:
    week = {d: (hours("09:00", "19:00"),) for d in range(1, 8)}
    return NodeTimes(Calendar("Europe/Paris", week), 60, time(17), tuple(clock(w) for w in waves))


@pytest.mark.parametrize(("planned", "released"), [
    (datetime(2026, 11, 27, 7, 0), datetime(2026, 11, 27, 10, 0)),  # before the first wave
    (datetime(2026, 11, 27, 10, 0), datetime(2026, 11, 27, 10, 0)),  # on a wave: that one
    (datetime(2026, 11, 27, 10, 1), datetime(2026, 11, 27, 15, 0)),
    (datetime(2026, 11, 27, 22, 30), datetime(2026, 11, 28, 10, 0)),  # after the last: tomorrow's first
    (datetime(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 10, 0)),  # the night summer time starts
])
def test_planned_work_reaches_the_node_at_its_next_release_wave(planned, released):
    at = planned.replace(tzinfo=PARIS)
    assert waved("10:00", "15:00").released(at) == released.replace(tzinfo=PARIS)


def test_on_the_night_the_clocks_go_back_a_wave_in_the_repeated_hour_comes_twice():
    times = waved("02:40")
    first = datetime(2027, 10, 31, 0, 40, tzinfo=UTC)  # 02:40 summer time
    second = datetime(2027, 10, 31, 1, 40, tzinfo=UTC)  # 02:40 again, winter time
    assert times.released(datetime(2027, 10, 31, 0, 30, tzinfo=UTC)) == first
    # Planned at 02:30 the second time round: the wall clock shows 02:40 in ten minutes, not tomorrow.
    assert times.released(datetime(2027, 10, 31, 1, 30, tzinfo=UTC)) == second
    assert times.last_wave(datetime(2027, 10, 31, 1, 45, tzinfo=UTC)) == second
    assert times.released(datetime(2027, 10, 31, 1, 41, tzinfo=UTC)) == datetime(2027, 11, 1, 1, 40, tzinfo=UTC)


def test_on_the_night_the_clocks_go_forward_a_wave_in_the_missing_hour_comes_when_the_clock_jumps():
    times = waved("02:30")
    jumped = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 summer time: 02:30 never shows that night
    assert times.released(datetime(2026, 3, 28, 23, 30, tzinfo=UTC)) == jumped  # planned at 00:30 winter time
    assert times.released(datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) == jumped  # never an hour before the wave
    assert times.last_wave(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)


def test_without_waves_work_reaches_the_node_at_once():
    at = datetime(2026, 11, 27, 22, 30, tzinfo=PARIS)
    assert waved().released(at) == at


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
       st.lists(st.times(), min_size=1, max_size=4, unique=True))
@settings(max_examples=200, deadline=None)
def test_the_release_is_the_first_wave_not_before_the_plan(at, waves):
    times = waved(*(f"{w:%H:%M}" for w in waves))
    released = times.released(at)
    assert at <= released <= at + timedelta(days=1, hours=2)
    local = released.astimezone(PARIS)
    # A wave time, or the instant a spring-forward gap moved it to.
    assert any(local.time().replace(second=0, microsecond=0) == w.replace(second=0, microsecond=0) or
               local.dst() != (local - timedelta(hours=1)).dst() for w in times.waves)


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
       st.integers(0, 3 * 24 * 60), st.lists(st.times(), min_size=1, max_size=4, unique=True))
@settings(max_examples=200, deadline=None)
def test_work_is_released_by_a_moment_exactly_when_it_was_planned_by_the_last_wave_before(at, minutes, waves):
    times = waved(*sorted({f"{w:%H:%M}" for w in waves}))
    planned = at - timedelta(minutes=minutes)
    assert (times.released(planned) <= at) == (planned <= times.last_wave(at))
