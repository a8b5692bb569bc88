"""A retailer's own deliveries: appointment slots from a node's vans, and delivery within the hour by
couriers from a store. Both have a capacity, counted per local date like a node's day: a slot takes
``capacity`` orders (its resource is ``NODE@HH:MM``), a store's couriers take ``couriers_per_hour``
orders leaving in each clock hour (``NODE@HHh``).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from .calendar import clock
from .capacity import Capacity, Claim
from .carbon import driven
from .lead_times import NodeTimes
from .parcels import ANYTHING, Limits, describe, limits_from, pack
from .promise import DoesNotFit, NoRoom, NotOffered, Option, Units


@dataclass(frozen=True)
class Slot:
    """A window offered every week on ``weekdays`` for orders the node has ready ``lead_minutes`` before it."""
    node_id: str
    weekdays: frozenset[int]
    start: time
    end: time
    capacity: int
    lead_minutes: int = 120
    max_km: float = 30.0
    days_ahead: int = 7
    closed_days: bool = False  # offered on the dates the node is closed by an exception too
    g_per_km: float | None = None  # the van's emissions (None: not known)
    drops_per_round: int = 12  # the addresses a van's round serves, sharing its way there and back
    resource: str = field(init=False, repr=False, compare=False)  # its name in the capacity counts

    def __post_init__(self) -> None:
        object.__setattr__(self, "resource", f"{self.node_id}@{self.start:%H:%M}")  # asked for every slot offered


@dataclass(frozen=True)
class OneHour:
    """Couriers at a store: orders leaving per clock hour, how far they ride, how long the ride takes."""
    node_id: str
    couriers_per_hour: int
    max_km: float = 5.0
    ride_minutes: int = 45
    takes: Limits = ANYTHING  # the one load a courier carries (what fits a cargo bike)
    g_per_km: float | None = None  # the courier's vehicle's emissions (None: not known)

    def resource(self, hour: int) -> str:
        return f"{self.node_id}@{hour:02d}h"


@dataclass(frozen=True)
class Couriers:
    slots: dict[str, tuple[Slot, ...]]  # per node, by start time
    one_hour: dict[str, OneHour]

    def limits(self) -> dict[str, int]:
        """The capacity of every slot and courier hour, by resource."""
        found = {s.resource: s.capacity for slots in self.slots.values() for s in slots}
        for rule in self.one_hour.values():
            found.update({rule.resource(h): rule.couriers_per_hour for h in range(24)})
        return found


NO_COURIERS = Couriers({}, {})


def couriers_from(document: dict[str, Any]) -> Couriers:
    """The slots and couriers from their stored shape (see ``DeliveryCapacityIn``)."""
    by_node: dict[str, list[Slot]] = {}
    for s in document.get("slots", ()):
        by_node.setdefault(s["node_id"], []).append(Slot(
            s["node_id"], frozenset(s.get("weekdays", (1, 2, 3, 4, 5, 6))), clock(s["start"]), clock(s["end"]),
            s["capacity"], s.get("lead_minutes", 120), s.get("max_km", 30.0), s.get("days_ahead", 7),
            s.get("closed_days", False), s.get("g_per_km"), s.get("drops_per_round", 12)))
    one_hour = {r["node_id"]: OneHour(r["node_id"], r["couriers_per_hour"], r.get("max_km", 5.0),
                                      r.get("ride_minutes", 45), limits_from(r.get("takes")), r.get("g_per_km"))
                for r in document.get("one_hour", ())}
    return Couriers({n: tuple(sorted(slots, key=lambda s: s.start)) for n, slots in by_node.items()}, one_hour)
SLOTS_OFFERED = 12  # the soonest slots with room


def slots(mode: str, node_id: str, times: NodeTimes, offered: tuple[Slot, ...], at: datetime, capacity: Capacity,
          km: float, only: datetime | None = None, most: int = SLOTS_OFFERED) -> list[Option]:
    """The node's slots the cart can have, soonest first, at most ``most``: ready (processing in the node's
    hours, on a day its capacity has room) ``lead_minutes`` before the slot starts, the slot not full,
    the destination within its reach, not on a date the node is closed by an exception (a public holiday)
    unless the slot says so, and never at a time the clocks skip (in the hour they repeat, once: its first).
    ``only``: just the slot starting then (capture of a chosen slot)."""
    calendar = times.calendar
    start = capacity.start(node_id, times, at)
    ready = calendar.after_working(start, times.processing_minutes) if start is not None else None
    if ready is None:
        raise NoRoom(f"{node_id} has no room in its daily capacity in the coming weeks") if start is None \
            else NotOffered(f"{node_id} does not open in the coming weeks")
    work: tuple[Claim, ...] = ((node_id, calendar.local_date(ready)),)
    found, full = [], []
    first = calendar.local_date(at)
    for day in (first + timedelta(days=i) for i in range(max((s.days_ahead for s in offered), default=0) + 1)):
        for slot in offered:
            if km > slot.max_km or day.isoweekday() not in slot.weekdays or (day - first).days > slot.days_ahead \
                    or (calendar.closed_by_exception(day) and not slot.closed_days):
                continue
            if not calendar.exists(day, slot.start):  # the hour the clocks skip: no such slot that night
                continue
            begins = calendar.at(day, slot.start)
            if (only is not None and begins != only) or ready + timedelta(minutes=slot.lead_minutes) > begins:
                continue
            if not capacity.has_room(slot.resource, day):
                full.append(f"{slot.start:%H:%M} on {day.isoformat()}")
                continue
            order_by = calendar.before_working(begins - timedelta(minutes=slot.lead_minutes), times.processing_minutes)
            found.append(Option(mode, (node_id,), begins, calendar.at(day, slot.end), max(order_by or at, at), 0,
                                (), None, ((slot.resource, day), *work),
                                carbon_g=driven(slot.g_per_km, km, 2 / slot.drops_per_round)))
        if len(found) >= most:
            break
    if not found:
        if full:
            raise NoRoom(f"the slots of {node_id} are full: " + ", ".join(full[:3]))
        raise NotOffered(f"{node_id} has no slot within reach" if only is None else
                         f"{node_id} has no slot starting {only.isoformat()} within reach")
    return found[:most]


def within_the_hour(mode: str, node_id: str, times: NodeTimes, rule: OneHour, at: datetime,
                    capacity: Capacity, km: float, units: Units = ()) -> Option:
    """Picked at the store now (it must stay open for all of its processing time), then ridden by one
    of its couriers of that hour to a destination within their reach, the whole cart in one load."""
    load = pack(list(units), rule.takes, f"a courier of {node_id}")
    if isinstance(load, str):
        raise DoesNotFit(load)
    if len(load) > 1:
        raise DoesNotFit(f"the cart makes {len(load)} loads, a courier of {node_id} carries one of at most "
                         f"{describe(rule.takes)}")
    if km > rule.max_km:
        raise NotOffered(f"{km:.1f} km from {node_id}, its couriers ride {rule.max_km:g} km")
    calendar = times.calendar
    at = calendar.instant(at)
    ready = calendar.after_working(at, times.processing_minutes)
    if ready is None or ready - at > timedelta(minutes=times.processing_minutes):
        raise NotOffered(f"{node_id} is not open for the next {times.processing_minutes} minutes")
    day: date = calendar.local_date(ready)
    leaving = rule.resource(ready.hour)
    if not capacity.has_room(leaving, day):
        raise NoRoom(f"the couriers of {node_id} are all booked for {ready:%H}:00")
    if not capacity.has_room(node_id, day):
        raise NoRoom(f"{node_id} has no room in its daily capacity today")
    # Open now and for all the work: the span under way ends when the last such order can be taken.
    closing = next((end for begin, end in calendar.spans(calendar.local_date(at)) if begin <= at <= end), ready)
    order_by = calendar.before_working(closing, times.processing_minutes) or at
    latest = ready + timedelta(minutes=rule.ride_minutes)
    # Named by what it guarantees from the order, the picking included: not "an hour" when it takes more.
    within = -(-(latest - at) // timedelta(minutes=1))
    return Option(mode, (node_id,), ready, latest, max(order_by, at), 0, (), None, ((leaving, day), (node_id, day)),
                  within, tuple(load), carbon_g=driven(rule.g_per_km, km, 2))  # there and back
