"""The world outside the OMS, as the simulation plays it: what is really on the shelves (not always what the
OMS believes), how long nodes take to answer and to pick, whether they refuse, when carriers collect and
deliver, when customers come for their parcels. Plain computation on the node calendars and carrier services
the service itself knows, drawn from a seeded generator."""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ..domain.geo import haversine_km
from ..domain.lead_times import CarrierService, NodeTimes, next_pickup
from ..domain.reference import NodeRef, ProductRef
from .scenario import Incident, Scenario

MINUTE = timedelta(minutes=1)
SPREAD = 0.35  # the spread (sigma of the log) of answer and picking times around their medians


def matches(node: NodeRef, patterns: list[str]) -> bool:
    """A node named by id, by type, or by an id prefix ending with ``*``."""
    return any(node.id == p or node.type == p or (p.endswith("*") and node.id.startswith(p[:-1])) for p in patterns)


@dataclass
class World:
    scenario: Scenario
    nodes: dict[str, NodeRef]
    times: dict[str, NodeTimes]
    carriers: tuple[CarrierService, ...]
    rng: np.random.Generator
    first_day: date
    shelves: dict[tuple[str, str], int] = field(default_factory=dict)  # units really there
    free_at: dict[str, datetime] = field(default_factory=dict)  # when each node's pickers are free next
    closed_from: dict[str, datetime] = field(default_factory=dict)
    carrier_off: set[tuple[str, date]] = field(default_factory=set)
    phantom: int = 0  # units the OMS believes are on store shelves but are not

    def stock(self, rows: list[tuple[str, str, int]]) -> None:
        """The shelves from the OMS's stock rows: a store's row is wrong (fewer units there) one time in
        ``1 - store_accuracy``."""
        accuracy = self.scenario.nodes.store_accuracy
        for node_id, sku, on_hand in rows:
            units = on_hand
            node = self.nodes.get(node_id)
            if node is not None and node.type == "store" and on_hand > 0 and self.rng.random() > accuracy:
                units = on_hand - 1 - int(self.rng.binomial(on_hand - 1, 0.3))
                self.phantom += on_hand - units
            self.shelves[(node_id, sku)] = units

    def incidents(self, local: "LocalTime") -> None:
        for incident in self.scenario.incidents:
            start = local.at(self.first_day + timedelta(days=incident.day - 1), incident.at)
            if incident.kind == "node_closed":
                for node in self.nodes.values():
                    if matches(node, incident.nodes):
                        self.closed_from[node.id] = min(start, self.closed_from.get(node.id, start))
            elif incident.kind == "carrier_off" and incident.carrier:
                self.carrier_off.add((incident.carrier, self.first_day + timedelta(days=incident.day - 1)))

    def emptied(self, incident: Incident) -> list[tuple[str, str, int]]:
        """An out-of-stock incident: the rows its nodes lose (node, SKU, units the OMS is told they lost)."""
        gone = []
        for (node_id, sku), units in self.shelves.items():
            if units > 0 and matches(self.nodes[node_id], incident.nodes):
                gone.append((node_id, sku, units))
                self.shelves[(node_id, sku)] = 0
        return gone

    def answer(self, node_id: str, released: datetime) -> tuple[str, datetime] | None:
        """What the node does with work released to it, and when: ``accept``, ``reject`` (and why), or nothing
        (None: it never answers, and its SLA passes)."""
        node, times = self.nodes[node_id], self.times[node_id]
        closed = self.closed_from.get(node_id)
        if closed is not None and released >= closed:
            return "closed", released + 5 * MINUTE
        rule = self.scenario.nodes
        draw = self.rng.random()
        if draw < rule.silent_share:
            return None
        when = times.calendar.after_working(released, self._minutes(rule.accept_minutes)) or released
        if closed is not None and when >= closed:
            return "closed", max(closed, released) + 5 * MINUTE
        if draw < rule.silent_share + rule.reject_share.get(node.type, 0.0):
            return "refused", when
        return "accept", when

    def picked_by(self, node_id: str, accepted: datetime) -> datetime:
        """When the node has picked and packed an order it accepted: after those before it (its pickers work
        through its daily capacity over its opening hours), in its opening time."""
        node, times = self.nodes[node_id], self.times[node_id]
        calendar = times.calendar
        start = calendar.after_working(max(accepted, self.free_at.get(node_id, accepted)), 0) or accepted
        open_minutes = sum((b - a).total_seconds() / 60 for a, b in calendar.spans(calendar.local_date(start)))
        spacing = open_minutes / node.daily_capacity if node.daily_capacity else 0.0
        self.free_at[node_id] = start + timedelta(minutes=spacing)
        minutes = self._minutes(max(1.0, times.processing_minutes * self.scenario.nodes.work_factor))
        return calendar.after_working(start, minutes) or start

    def found(self, node_id: str, lines: list[tuple[str, int]]) -> dict[str, int]:
        """What the picker finds on the shelves (taking it): per SKU, at most what is there."""
        found: Counter[str] = Counter()
        for sku, wanted in lines:
            there = self.shelves.get((node_id, sku), 0)
            took = min(wanted, there)
            self.shelves[(node_id, sku)] = there - took
            found[sku] += took
        return dict(found)

    def collected(self, node_id: str, ready: datetime) -> datetime:
        """When the carrier collects a parcel ready then: the node's next cut-off, on a day the carrier works."""
        times = self.times[node_id]
        pickup = next_pickup(times.calendar, ready, times.cutoff) or ready
        return pickup

    def carrier_for(self, mode: str, products: list[ProductRef], node: NodeRef,
                    to: tuple[float, float]) -> tuple[CarrierService, int, bool] | None:
        """The service that carries the parcels (the quickest that takes them all that far; when none does, as
        for a sofa and a candle, the one taking most of them), the carrier delivery days the parcels take, and
        whether they are beyond its band's slowest."""
        km = haversine_km(node.lat, node.lng, to[0], to[1])
        usable = [c for c in self.carriers if mode in c.modes and c.band(km) is not None]
        if not usable:
            return None

        def refused(c: CarrierService) -> int:
            return sum(c.takes.refuses(p, c.id) is not None for p in products)

        usable.sort(key=lambda c: (refused(c), c.band(km).transit_max))  # type: ignore[union-attr]
        service = usable[0]
        band = service.band(km)
        assert band is not None
        days = band.transit_min + int(self.rng.binomial(band.transit_max - band.transit_min, 0.5))
        if self.rng.random() < self.scenario.carriers.late_share:
            days = max(days, band.transit_max) + 1 + int(self.rng.poisson(self.scenario.carriers.late_days - 1)
                                                          if self.scenario.carriers.late_days > 1 else 0)
        return service, days, days > band.transit_max

    def delivered(self, service: CarrierService, shipped: datetime, days: int, local: "LocalTime") -> datetime:
        """When the parcel reaches the customer: that many of the carrier's delivery days after it left (its days
        off skipped), at a time within its delivery hours."""
        day = local.date(shipped)
        count = 0
        for _ in range(days + 60):
            day += timedelta(days=1)
            if service.delivers_on(day) and (service.id, day) not in self.carrier_off:
                count += 1
                if count >= days:
                    break
        opens, closes = local.at(day, service.window[0].strftime("%H:%M")), local.at(day, _end(service.window[1]))
        return opens + (closes - opens) * float(self.rng.uniform(0.05, 0.95))

    def pickup_day_off(self, service: CarrierService, at: datetime, local: "LocalTime") -> bool:
        return (service.id, local.date(at)) in self.carrier_off

    def collect_after(self) -> timedelta | None:
        """How long after a parcel is ready the customer comes (None: never, it is sent back in time)."""
        rule = self.scenario.customers
        if self.rng.random() < rule.uncollected_share:
            return None
        return timedelta(hours=float(self.rng.exponential(rule.collect_hours)))

    def _minutes(self, median: float) -> int:
        return max(1, round(median * math.exp(float(self.rng.normal(0, SPREAD)))))


def _end(t: time) -> str:
    return "23:59" if t == time(0) else t.strftime("%H:%M")


@dataclass(frozen=True)
class LocalTime:
    """The retailer's local time (its nodes' timezone): local dates and clock times as instants."""
    zone: ZoneInfo

    def at(self, day: date, clock: str) -> datetime:
        return datetime.combine(day, time.fromisoformat(clock), self.zone)

    def date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()
