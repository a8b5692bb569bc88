"""From an order time to a delivery window: processing at the node, the carrier's pickup, transit.

    ready    = ``at`` + the node's processing minutes, counted in its opening hours;
    shipped  = the first carrier pickup at the node (its cut-off time, on a day the node is open) that
               is not before ``ready``;
    delivered on the carrier's delivery days after ``shipped``: between ``transit_min`` and
               ``transit_max`` of them, within the carrier's delivery hours;
    order-by = the latest order time that still makes the same pickup (what "order within 2 h 13 min"
               counts down to).
Everything is computed in the node's timezone; nothing here reads the clock.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from .calendar import DAY, HORIZON_DAYS, Calendar, clock
from .carbon import Emissions, emissions_from
from .costs import kilos
from .parcels import ANYTHING, Limits, limits_from


@dataclass(frozen=True)
class Band:
    """Transit for destinations up to ``max_km`` away (straight line), in carrier delivery days."""
    max_km: float
    transit_min: int
    transit_max: int


@dataclass(frozen=True)
class Rate:
    """What a parcel costs for destinations up to ``max_km`` away, minor units."""
    max_km: float
    base: int
    per_kg: int = 0  # per started kilogram

    def cost(self, weight_g: int) -> int:
        return self.base + self.per_kg * kilos(weight_g)


FREE = Rate(float("inf"), 0)


@dataclass(frozen=True)
class CarrierService:
    id: str
    modes: frozenset[str]  # the delivery modes it serves: home_standard, home_express, …
    bands: tuple[Band, ...]  # by increasing max_km
    delivery_weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5, 6})  # ISO weekdays it delivers
    holidays: frozenset[date] = frozenset()  # dates it does not deliver
    window: tuple[time, time] = (time(8), time(20))  # hours of delivery on the day
    rates: tuple[Rate, ...] = ()  # by increasing max_km, as far as the bands go
    takes: Limits = ANYTHING  # what one of its parcels may be
    emissions: Emissions | None = None  # its emission factors (None: not known)
    # The relay point or locker bank it delivers to, if any: it hands parcels over there only while it is open.
    receiver: Calendar | None = None

    def band(self, km: float) -> Band | None:
        return next((b for b in self.bands if km <= b.max_km), None)

    def rate(self, km: float) -> Rate:
        """The rate for a distance the service carries (checked on input: the rates reach as far as the bands;
        a service given no rates costs nothing)."""
        return next((r for r in self.rates if km <= r.max_km), self.rates[-1] if self.rates else FREE)

    def delivers_on(self, day: date) -> bool:
        """A day of its rounds: one of its weekdays, not one of its holidays."""
        return day.isoweekday() in self.delivery_weekdays and day not in self.holidays

    def hands_over_on(self, day: date) -> bool:
        """A day it can deliver: one of its rounds, and the receiver (if any) open during them."""
        return self.delivers_on(day) and (self.receiver is None or self._met(self.receiver, day) is not None)

    def hours_on(self, calendar: Calendar, day: date) -> tuple[datetime, datetime]:
        """When it delivers on a day it hands parcels over, as instants: its window (in ``calendar``'s time
        zone), within the receiver's opening spans that day when it has one."""
        if self.receiver is None:
            return calendar.at(day, self.window[0]), calendar.at(day, self.window[1])
        met = self._met(self.receiver, day)
        assert met is not None  # a day it hands over (``hands_over_on``)
        return met

    def _met(self, receiver: Calendar, day: date) -> tuple[datetime, datetime] | None:
        start, end = receiver.at(day, self.window[0]), receiver.at(day, self.window[1])
        met = [(max(opens, start), min(closes, end)) for opens, closes in receiver.spans(day)
               if opens < end and closes > start]
        return (met[0][0], met[-1][1]) if met else None

    def after_delivery_days(self, day: date, count: int) -> date | None:
        """The day a parcel is handed over after ``count`` of its delivery days from ``day`` (0: ``day`` itself
        if it is one, else the next): transit runs on the carrier's own days; a receiver shut that day (a
        relay point's closing day) has it on the next round it is open for."""
        found = 0
        for _ in range(HORIZON_DAYS):
            if found >= count and self.hands_over_on(day):
                return day
            day += DAY
            if self.delivers_on(day):
                found += 1
        return None


def service_from(row: dict[str, Any], public: Iterable[date] = ()) -> CarrierService:
    """A carrier service from its stored shape (see ``CarrierServiceIn``), not delivering on its own holidays
    nor on the ``public`` holidays it keeps (its country's)."""
    start, end = (clock(x) for x in row["window"])
    holidays = frozenset(date.fromisoformat(d) for d in row["holidays"]) | frozenset(public)
    return CarrierService(row["id"], frozenset(row["modes"]),
                          tuple(Band(b["max_km"], b["transit_min"], b["transit_max"]) for b in row["bands"]),
                          frozenset(row["delivery_weekdays"]), holidays, (start, end),
                          tuple(Rate(r["max_km"], r["base"], r.get("per_kg", 0)) for r in row["rate_bands"]),
                          # A service stored before services said what they take takes anything, as it did.
                          limits_from(row.get("takes")), emissions_from(row.get("emissions")))


@dataclass(frozen=True)
class NodeTimes:
    """What a node's lead times need: its calendar, minutes to prepare an order, the carriers' pickup, and
    the local times at which the work planned for it is released to it (none: at once)."""
    calendar: Calendar
    processing_minutes: int
    cutoff: time
    waves: tuple[time, ...] = ()

    def released(self, at: datetime) -> datetime:
        """When work planned at ``at`` reaches the node: its next release wave, ``at`` itself without waves. On
        the night the clocks go back, a wave in the repeated hour comes at both of its times."""
        if not self.waves:
            return at
        day = self.calendar.local_date(at)
        for ahead in range(2):
            coming = [m for wave in self.waves for m in self.calendar.occurrences(day + timedelta(days=ahead), wave)
                      if m >= at]
            if coming:
                return min(coming)
        return at  # not reached: a wave comes every day

    def last_wave(self, at: datetime) -> datetime | None:
        """The latest release wave at or before ``at`` (None without waves): work planned at or before it
        has been released by ``at``."""
        if not self.waves:
            return None
        day = self.calendar.local_date(at)
        for back in range(2):
            past = [m for wave in self.waves for m in self.calendar.occurrences(day - timedelta(days=back), wave)
                    if m <= at]
            if past:
                return max(past)
        return None  # not reached: a wave comes every day


@dataclass(frozen=True)
class Shipment:
    ready: datetime
    shipped: datetime
    order_by: datetime
    earliest: datetime
    latest: datetime


def ready_at(calendar: Calendar, at: datetime, processing_minutes: int) -> datetime | None:
    return calendar.after_working(at, processing_minutes)


def next_pickup(calendar: Calendar, ready: datetime, cutoff: time) -> datetime | None:
    """The first carrier pickup at the node not before ``ready``: the cut-off time of an open day."""
    for day in calendar.next_open_days(calendar.local_date(ready)):
        pickup = calendar.at(day, cutoff)
        if pickup >= ready:
            return pickup
    return None


def ship(calendar: Calendar, at: datetime, processing_minutes: int, cutoff: time, service: CarrierService,
         km: float) -> Shipment | None:
    """When a parcel ordered at ``at`` leaves the node and reaches a destination ``km`` away; None when
    the service does not go that far or the node has no opening within the horizon."""
    band = service.band(km)
    ready = ready_at(calendar, at, processing_minutes)
    if band is None or ready is None:
        return None
    shipped = next_pickup(calendar, ready, cutoff)
    if shipped is None:
        return None
    order_by = calendar.before_working(shipped, processing_minutes)
    ship_day = calendar.local_date(shipped)
    first = service.after_delivery_days(ship_day, band.transit_min)
    if first is not None and service.hours_on(calendar, first)[1] <= shipped:
        first = service.after_delivery_days(first, 1)  # same-day transit, but it leaves after the day's rounds
    last = service.after_delivery_days(ship_day, band.transit_max)
    if first is None or last is None or order_by is None:
        return None
    last = max(first, last)
    earliest = max(service.hours_on(calendar, first)[0], shipped)  # never delivered before it leaves
    return Shipment(ready, shipped, max(order_by, calendar.instant(at)), earliest, service.hours_on(calendar, last)[1])
