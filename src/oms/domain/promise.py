"""Delivery options a retailer can keep: for each mode, when, from where, at what internal cost.

Built from the first sourcing rule (which nodes send the cart), each node's working time and the
carriers' transit (``lead_times``). A mode that cannot be offered is absent, with the reason why.
"""

from dataclasses import dataclass
from datetime import datetime

from .calendar import Calendar
from .capacity import NO_LIMITS, Capacity, Claim
from .lead_times import CarrierService, NodeTimes, Shipment, ship


@dataclass(frozen=True)
class Leg:
    """One parcel of a plan: the node that sends it, its lead times, how far it goes, what it weighs."""
    node_id: str
    times: NodeTimes
    km: float
    weight_g: int


@dataclass(frozen=True)
class Option:
    mode: str
    nodes: tuple[str, ...]
    earliest: datetime
    latest: datetime
    order_by: datetime
    cost: int  # internal: carriers, minor units
    services: tuple[str, ...] = ()
    pickup_node_id: str | None = None
    # The places in nodes' daily capacity it takes: (node, local date the node does its work).
    claims: tuple[Claim, ...] = ()
    # What a delivery counted from the order guarantees (one hour): at the door within these minutes of it.
    within_minutes: int | None = None


def really_faster(options: list[Option], standard: str, express: str) -> str | None:
    """Why the ``express`` mode's option must not be offered beside ``standard``'s, if it must not: a dearer
    mode is worth offering only if it guarantees an earlier delivery (its latest before standard's) and
    never comes later (its earliest not after standard's). Otherwise the customer pays more for nothing."""
    by_mode = {o.mode: o for o in options if o.mode in (standard, express)}
    if len(by_mode) < 2:
        return None
    fast, slow = by_mode[express], by_mode[standard]
    if fast.latest < slow.latest and fast.earliest <= slow.earliest:
        return None
    return (f"no faster than {standard.replace('_', ' ')}: delivered {fast.earliest.isoformat()} to "
            f"{fast.latest.isoformat()}, against {slow.earliest.isoformat()} to {slow.latest.isoformat()}")


class NotOffered(Exception):
    """This mode cannot be promised; the message says why (for ``?explain=true``)."""


class NoRoom(NotOffered):
    """A node's daily capacity has no room for the order on the day it would need it."""


def best_shipment(leg: Leg, services: list[CarrierService], at: datetime,
                  capacity: Capacity = NO_LIMITS) -> tuple[Shipment, CarrierService, int]:
    """The service that delivers this leg soonest (then the cheapest): its shipment, itself, its cost.
    The node starts the work once its daily capacity has room for it."""
    calendar = leg.times.calendar
    if calendar.after_working(at, leg.times.processing_minutes) is None:
        raise NotOffered(f"{leg.node_id} does not open in the coming weeks")
    start = _start(capacity, leg.node_id, leg.times, at)
    found = []
    for service in services:
        shipment = ship(leg.times.calendar, start, leg.times.processing_minutes, leg.times.cutoff, service, leg.km)
        if shipment is not None:
            found.append((shipment.latest, service.rate(leg.km).cost(leg.weight_g), shipment, service))
    if not found:
        raise NotOffered(f"no carrier service goes the {leg.km:.0f} km from {leg.node_id}")
    _, cost, shipment, service = min(found, key=lambda x: (x[0], x[1], x[3].id))
    return shipment, service, cost


def delivered(mode: str, legs: list[Leg], services: list[CarrierService], at: datetime,
              capacity: Capacity = NO_LIMITS) -> Option:
    """Home delivery of every leg of the plan: the order's window is its slowest parcel's."""
    if not services:
        raise NotOffered(f"no active carrier service for {mode}")
    best = [best_shipment(leg, services, at, capacity) for leg in legs]
    return Option(mode, tuple(leg.node_id for leg in legs),
                  max(s.earliest for s, _, _ in best), max(s.latest for s, _, _ in best),
                  min(s.order_by for s, _, _ in best), sum(cost for _, _, cost in best),
                  tuple(service.id for _, service, _ in best),
                  claims=tuple((leg.node_id, leg.times.calendar.local_date(s.ready)) for leg, (s, _, _)
                               in zip(legs, best, strict=True)))


def prepared_at(mode: str, store_id: str, times: NodeTimes, at: datetime, capacity: Capacity = NO_LIMITS) -> Option:
    """Picked from the store's own shelves: ready once its staff had the processing time, in its hours
    and on a day its capacity has room. The order-by is the last moment that still makes it ready on
    that day."""
    calendar = times.calendar
    start = _start(capacity, store_id, times, at)
    ready = calendar.after_working(start, times.processing_minutes)
    if ready is None:
        raise NotOffered("does not open in the coming weeks")
    order_by = _same_day_order_by(calendar, ready, times.processing_minutes) or start
    return Option(mode, (store_id,), ready, ready, max(order_by, at), 0, (), store_id,
                  claims=((store_id, calendar.local_date(ready)),))


def transferred(mode: str, leg: Leg, transfers: list[CarrierService], store_id: str, store: NodeTimes,
                at: datetime, capacity: Capacity = NO_LIMITS) -> Option:
    """Sent from a DC to the store by a transfer service, then received and readied there."""
    if not transfers:
        raise NotOffered("no active transfer service brings stock to stores")
    shipment, service, cost = best_shipment(leg, transfers, at, capacity)
    # Received when it has surely arrived (the end of its window), then readied in the store's hours.
    ready = store.calendar.after_working(_start(capacity, store_id, store, shipment.latest), store.processing_minutes)
    if ready is None:
        raise NotOffered("does not open in the weeks after the transfer arrives")
    claims = ((leg.node_id, leg.times.calendar.local_date(shipment.ready)),
              (store_id, store.calendar.local_date(ready)))
    return Option(mode, (leg.node_id,), ready, ready, shipment.order_by, cost, (service.id,), store_id, claims)


def _start(capacity: Capacity, node_id: str, times: NodeTimes, at: datetime) -> datetime:
    start = capacity.start(node_id, times, at)
    if start is None:
        raise NoRoom(f"{node_id} has no room in its daily capacity in the coming weeks")
    return start


def _same_day_order_by(calendar: Calendar, ready: datetime, minutes: int) -> datetime | None:
    spans = calendar.spans(calendar.local_date(ready))
    return calendar.before_working(spans[-1][1], minutes) if spans else None
