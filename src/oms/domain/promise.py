"""Delivery options a retailer can keep: for each mode, when, from where, at what internal cost.

Built from the first sourcing rule (which nodes send the cart), each node's working time and the
carriers' transit (``lead_times``). A mode that cannot be offered is absent, with the reason why.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime

from .calendar import Calendar
from .capacity import NO_LIMITS, Capacity, Claim
from .carbon import total
from .lead_times import CarrierService, NodeTimes, Shipment, ship
from .parcels import ANYTHING, Limits, Parcel, pack
from .reference import ProductRef

Units = tuple[tuple[ProductRef, int], ...]  # what a shipment carries: each product and its units


@dataclass(frozen=True)
class Leg:
    """One shipment of a plan: the node that sends it, its lead times, how far it goes, what it carries
    and what the place it goes to receives (a relay point's limits)."""
    node_id: str
    times: NodeTimes
    km: float
    units: Units = ()
    takes: Limits = ANYTHING
    to: str = "the destination"  # what ``takes`` are, for reasons


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
    parcels: tuple[Parcel, ...] = ()  # the parcels carriers take (none: handed over from the shelves)
    # Places taken for one node's parcels (at a locker bank or relay point, in its compartments): the node's
    # fulfilment order holds them, and gives them back.
    owned: tuple[tuple[str, Claim], ...] = ()
    # Some lines wait for expected supply (a channel that allows backorders): delivered once it is received.
    available_from: date | None = None
    carbon_g: float | None = None  # its estimated emissions (``carbon``); None: some factor is not known


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


class DoesNotFit(NotOffered):
    """Some of the cart cannot go this way at all: too heavy, too large, bulky or hazardous for it. The
    message names the product and the limit."""


@dataclass(frozen=True)
class Sent:
    """How one leg goes: its shipment, by which service, in which parcels, at what cost."""
    shipment: Shipment
    service: CarrierService
    parcels: tuple[Parcel, ...]
    cost: int
    carbon_g: float | None = None


def best_shipment(leg: Leg, services: list[CarrierService], at: datetime, capacity: Capacity = NO_LIMITS) -> Sent:
    """The service that takes the leg's parcels and delivers them soonest (then the cheapest). The node
    starts the work once its daily capacity has room for it. DoesNotFit when no service takes them."""
    calendar = leg.times.calendar
    if calendar.after_working(at, leg.times.processing_minutes) is None:
        raise NotOffered(f"{leg.node_id} does not open in the coming weeks")
    start = _start(capacity, leg.node_id, leg.times, at)
    if leg.takes is not ANYTHING:
        for p, _ in leg.units:
            if (why := leg.takes.refuses(p, leg.to)) is not None:
                raise DoesNotFit(why)
    found, unfit, reaching = [], [], 0
    for service in services:
        if service.band(leg.km) is None:
            continue
        reaching += 1
        parcels = pack(list(leg.units), service.takes if leg.takes is ANYTHING else service.takes.both(leg.takes),
                       service.id)
        if isinstance(parcels, str):
            unfit.append(parcels)
            continue
        shipment = ship(leg.times.calendar, start, leg.times.processing_minutes, leg.times.cutoff, service, leg.km)
        if shipment is not None:
            for parcel in parcels:
                parcel.sender = leg.node_id
            rate, emits = service.rate(leg.km), service.emissions
            found.append(Sent(shipment, service, tuple(parcels), sum(rate.cost(p.weight_g) for p in parcels),
                              emits.carried(leg.km, (p.weight_g for p in parcels)) if emits else None))
    if not found:
        if unfit and len(unfit) == reaching:  # every service that goes that far refuses the goods
            raise DoesNotFit("; ".join(unfit))
        raise NotOffered(f"no carrier service goes the {leg.km:.0f} km from {leg.node_id}")
    return min(found, key=lambda s: (s.shipment.latest, s.cost, s.service.id))


def shipments(leg: Leg, services: list[CarrierService], at: datetime, capacity: Capacity = NO_LIMITS) -> list[Sent]:
    """The leg's parcels by one service when one takes them all; else each product by the service that takes
    it soonest (then the cheapest), the products going by the same service packed together: a sofa by two
    people, the lamp oil ordered with it by a parcel service. DoesNotFit when some product fits no service."""
    try:
        return [best_shipment(leg, services, at, capacity)]
    except DoesNotFit:
        if len(leg.units) < 2:
            raise
    by_service: dict[str, tuple[CarrierService, list[tuple[ProductRef, int]]]] = {}
    for unit in leg.units:
        service = best_shipment(replace(leg, units=(unit,)), services, at, capacity).service
        by_service.setdefault(service.id, (service, []))[1].append(unit)
    return [best_shipment(replace(leg, units=tuple(units)), [service], at, capacity)
            for service, units in by_service.values()]


def delivered(mode: str, legs: list[Leg], services: list[CarrierService], at: datetime,
              capacity: Capacity = NO_LIMITS) -> Option:
    """Home delivery of every leg of the plan: the order's window is its slowest parcel's."""
    if not services:
        raise NotOffered(f"no active carrier service for {mode}")
    each = [shipments(leg, services, at, capacity) for leg in legs]
    best = [s for sent in each for s in sent]
    return Option(mode, tuple(leg.node_id for leg in legs),
                  max(s.shipment.earliest for s in best), max(s.shipment.latest for s in best),
                  min(s.shipment.order_by for s in best), sum(s.cost for s in best),
                  tuple(s.service.id for s in best),
                  claims=tuple((leg.node_id, leg.times.calendar.local_date(sent[0].shipment.ready)) for leg, sent
                               in zip(legs, each, strict=True)),
                  parcels=tuple(p for s in best for p in s.parcels), carbon_g=total(s.carbon_g for s in best))


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
                  claims=((store_id, calendar.local_date(ready)),), carbon_g=0.0)  # (nothing carried)


def transferred(mode: str, leg: Leg, transfers: list[CarrierService], store_id: str, store: NodeTimes,
                at: datetime, capacity: Capacity = NO_LIMITS) -> Option:
    """Sent from a DC to the store by a transfer service, then received and readied there."""
    if not transfers:
        raise NotOffered("no active transfer service brings stock to stores")
    sent = best_shipment(leg, transfers, at, capacity)
    shipment = sent.shipment
    # Received when it has surely arrived (the end of its window), then readied in the store's hours.
    ready = store.calendar.after_working(_start(capacity, store_id, store, shipment.latest), store.processing_minutes)
    if ready is None:
        raise NotOffered("does not open in the weeks after the transfer arrives")
    claims = ((leg.node_id, leg.times.calendar.local_date(shipment.ready)),
              (store_id, store.calendar.local_date(ready)))
    return Option(mode, (leg.node_id,), ready, ready, shipment.order_by, sent.cost, (sent.service.id,), store_id,
                  claims, parcels=sent.parcels, carbon_g=sent.carbon_g)


def _start(capacity: Capacity, node_id: str, times: NodeTimes, at: datetime) -> datetime:
    start = capacity.start(node_id, times, at)
    if start is None:
        raise NoRoom(f"{node_id} has no room in its daily capacity in the coming weeks")
    return start


def _same_day_order_by(calendar: Calendar, ready: datetime, minutes: int) -> datetime | None:
    spans = calendar.spans(calendar.local_date(ready))
    return calendar.before_working(spans[-1][1], minutes) if spans else None
