"""Calendars that know the year: public holidays close nodes and stop carriers unless they say otherwise;
slots skip holidays and the hour the clocks skip, and come once in the hour they repeat."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from oms.domain.calendar import calendar_from
from oms.domain.capacity import NO_LIMITS
from oms.domain.couriers import Slot, slots
from oms.domain.lead_times import NodeTimes, service_from
from oms.services.reference.holidays import from_package

PARIS = ZoneInfo("Europe/Paris")
WEEK = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
CHRISTMAS, BOXING_DAY = date(2026, 12, 25), date(2026, 12, 26)


def test_a_node_is_closed_on_the_holidays_it_keeps_unless_its_own_exceptions_open_it():
    calendar = calendar_from("Europe/Paris", WEEK, {"2026-05-08": [["10:00", "18:00"]]},
                             [CHRISTMAS, date(2026, 5, 8)])
    assert not calendar.is_open_day(CHRISTMAS) and calendar.closed_by_exception(CHRISTMAS)
    assert calendar.spans(date(2026, 5, 8))[0][0] == datetime(2026, 5, 8, 10, tzinfo=PARIS)  # its own hours win
    assert calendar.is_open_day(BOXING_DAY) and not calendar.closed_by_exception(date(2026, 12, 27))  # a Sunday


def test_a_carrier_does_not_deliver_on_its_own_holidays_nor_on_its_country_s():
    row = {"id": "std", "modes": ["home_standard"], "bands": [{"max_km": 100, "transit_min": 1, "transit_max": 2}],
           "rate_bands": [], "delivery_weekdays": [1, 2, 3, 4, 5, 6], "holidays": ["2026-12-31"],
           "window": ["08:00", "20:00"]}
    service = service_from(row, [CHRISTMAS])
    assert not service.delivers_on(CHRISTMAS) and not service.delivers_on(date(2026, 12, 31))
    assert service.delivers_on(BOXING_DAY)
    assert service.after_delivery_days(date(2026, 12, 24), 1) == BOXING_DAY


def test_the_holidays_package_gives_france_s_and_alsace_moselle_s_own_in_french():
    national = {d.day: d.name for d in from_package("FR", None, [2026]).days}
    assert national[CHRISTMAS] == "Noël" and date(2026, 7, 14) in national and len(national) == 11
    moselle = {d.day: d.name for d in from_package("FR", "57", [2026]).days}
    assert moselle == {date(2026, 4, 3): "Vendredi saint", BOXING_DAY: "Saint-Étienne"}  # beyond the country's


def _slots(at: datetime, offered: tuple[Slot, ...], calendar) -> list[datetime]:
    times = NodeTimes(calendar, 0, time(17))
    return [o.earliest for o in slots("scheduled", "DC", times, offered, at, NO_LIMITS, 5.0, most=50)]


def test_slots_are_not_offered_on_a_holiday_unless_the_slot_says_so():
    calendar = calendar_from("Europe/Paris", WEEK, {}, [CHRISTMAS])
    morning = Slot("DC", frozenset({1, 2, 3, 4, 5, 6}), time(8), time(10), 10, lead_minutes=0, days_ahead=3)
    at = datetime(2026, 12, 24, 6, tzinfo=PARIS)
    assert [s.date() for s in _slots(at, (morning,), calendar)] == [date(2026, 12, 24), BOXING_DAY]
    always = Slot("DC", frozenset({1, 2, 3, 4, 5, 6}), time(8), time(10), 10, lead_minutes=0, days_ahead=3,
                  closed_days=True)
    assert CHRISTMAS in [s.date() for s in _slots(at, (always,), calendar)]


def test_no_slot_in_the_hour_the_clocks_skip_and_one_in_the_hour_they_repeat():
    every_day = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    calendar = calendar_from("Europe/Paris", every_day, {})
    night = Slot("DC", frozenset(range(1, 8)), time(2, 30), time(3), 10, lead_minutes=0, days_ahead=2)
    spring = _slots(datetime(2027, 3, 27, 12, tzinfo=PARIS), (night,), calendar)
    assert [s.date() for s in spring] == [date(2027, 3, 29)]  # 02:30 never shows on 28 March
    autumn = _slots(datetime(2026, 10, 24, 12, tzinfo=PARIS), (night,), calendar)
    assert [s.date() for s in autumn] == [date(2026, 10, 25), date(2026, 10, 26)]  # once on the 25th
    assert not calendar.exists(date(2027, 3, 28), time(2, 30)) and calendar.exists(date(2026, 10, 25), time(2, 30))
