"""How a plan (which nodes send which lines) reaches the customer in each delivery mode, and when.

The promise asks it of the plans it tries; capture asks it of the plan it stores, so that the order's
window and the places it takes in nodes' daily capacity are those of what is really sent.
"""

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from ...domain.capacity import Capacity, P, around_busy, serves
from ...domain.carbon import collection_trip, total
from ...domain.couriers import SLOTS_OFFERED, slots, within_the_hour
from ...domain.geo import haversine_km
from ...domain.parcels import ANYTHING, Limits, placed, received
from ...domain.promise import DoesNotFit, Leg, NoRoom, NotOffered, Option, Units, delivered, prepared_at, transferred
from ...domain.reference import ProductRef
from ...domain.sourcing import Candidate, Need, Plan
from ...domain.vocabulary import DeliveryMode
from ..reference.cache import Snapshot

M = DeliveryMode
HOME_MODES = (M.HOME_STANDARD, M.HOME_EXPRESS)
DROP_OFF_MODES = (M.LOCKER, M.PICKUP_POINT)
COLLECT_MODES = (M.CLICK_AND_COLLECT, M.RESERVE_IN_STORE)
OWN_DELIVERY = (M.SCHEDULED, M.ONE_HOUR)  # the retailer's vans and couriers
CARRIED = (*HOME_MODES, *DROP_OFF_MODES)  # parcels a carrier takes from any node to the customer or a bank


def wanted(needs: list[Need]) -> dict[str, int]:
    """Units per SKU: a SKU named on several lines is taken once from a shelf, for all of them."""
    found: dict[str, int] = {}
    for n in needs:
        found[n.sku] = found.get(n.sku, 0) + n.quantity
    return found


def unfit(snap: Snapshot, mode: str, skus: list[str], pickup_node_id: str | None) -> str | None:
    """Why some product cannot go by ``mode`` at all, whatever the plan: a unit of it, alone, fits none of
    the mode's carrier services (nor the relay point or locker bank it goes to), or the store it is
    collected from does not hand it over. None when each could; the plan's option decides the rest."""
    products = [snap.products[sku] for sku in dict.fromkeys(skus)]
    pickup = snap.nodes[pickup_node_id] if pickup_node_id else None
    if mode in COLLECT_MODES and pickup is not None and pickup.takes is not None:
        return _first_refusal(pickup.takes, products, f"{pickup.id}'s counter")
    if mode not in CARRIED:
        return None
    takes = ANYTHING
    if mode in DROP_OFF_MODES and pickup is not None:
        takes = received(pickup.takes, pickup.compartments)
        if (why := _first_refusal(takes, products, pickup.id)) is not None:
            return why
    services = snap.derived(("taking", mode, pickup_node_id), lambda: [
        (c.id, c.takes.both(takes)) for c in snap.carriers if mode in c.modes])
    for p in products:
        reasons = [limits.refuses(p, service_id) for service_id, limits in services]
        if services and all(reasons):
            return "; ".join(r for r in reasons if r)
    return None


def _first_refusal(takes: Limits, products: list[ProductRef], who: str) -> str | None:
    for p in products:
        if (why := takes.refuses(p, who)) is not None:
            return why
    return None


class Ways:
    """The options of plans, on one snapshot of reference data and capacity, for an order placed at ``at``."""

    def __init__(self, snap: Snapshot, capacity: Capacity, at: datetime) -> None:
        self.snap, self.capacity, self.at = snap, capacity, at
        self._services: dict[str, list] = {}

    def services(self, mode: str) -> list:
        found = self._services.get(mode)
        if found is None:
            found = self._services[mode] = [c for c in self.snap.carriers if mode in c.modes]
        return found

    def plan(self, make: Callable[[list[Candidate]], P], candidates: list[Candidate],
             keep: frozenset[str] = frozenset(), prefer: tuple[str, ...] = ()) -> P:
        """``make(candidates)`` (a plan, or a plan and the needs it leaves): over the ``prefer`` nodes alone
        first (those a promise was made from), then over the nodes whose daily capacity has room, then over
        all. ``keep``: nodes never passed over for being full (the store the customer collects from: its own
        shelves on its next day with room beat a transfer)."""
        if prefer:
            chosen = [c for c in candidates if c.node_id in prefer]
            if chosen:
                found = serves(make, chosen)
                if found is not None:
                    return found
        busy = self.capacity.busy([c.node_id for c in candidates if c.node_id not in keep], self.snap.times, self.at)
        return around_busy(make, candidates, busy)

    def in_time(self, mode: str, candidates: list[Candidate], needs: list[Need], point: tuple[float, float],
                pickup_node_id: str | None, latest: datetime, available: dict[tuple[str, str], int],
                late: dict[str, str]) -> list[Candidate]:
        """The candidates holding some of the order whose own parcel (of the lines they hold) would arrive by
        ``latest``: a plan is in time when each of its parcels is, whatever the others carry. Notes the others
        in ``late``."""
        found = []
        for c in candidates:
            held = [n for n in needs if available.get((c.node_id, n.sku), 0) > 0]
            if not held:
                continue
            try:
                if mode in DROP_OFF_MODES and pickup_node_id:  # (handed over in the point's hours)
                    option = self.dropped_off(mode, {c.node_id: held}, pickup_node_id)
                else:
                    option = self.delivered(mode, {c.node_id: held}, point)
            except NotOffered as exc:
                late[c.node_id] = str(exc)
                continue
            if option.latest <= latest:
                found.append(c)
            else:
                late[c.node_id] = f"too far for the promise: delivered by {option.latest.isoformat()}"
        return found

    def own(self, mode: str, node_ids: Iterable[str], available: dict[tuple[str, str], int], cart: dict[str, int],
            point: tuple[float, float], slot: datetime | None = None, most: int = SLOTS_OFFERED) -> list[Option]:
        """Delivered by the retailer's own vans (``scheduled``) or couriers (``one_hour``): the options of
        the nearest of ``node_ids`` that has the whole cart and can deliver it; NotOffered saying why
        none can."""
        couriers = self.snap.couriers
        configured = couriers.slots if mode == M.SCHEDULED else couriers.one_hour
        nodes = sorted((self._km(n, point), n) for n in node_ids if n in configured)
        if not nodes:
            raise NotOffered(f"no node the channel may use has {mode.replace('_', ' ')} deliveries")
        reasons, unfit = [], True
        for _, node_id in nodes:
            if not all(available.get((node_id, sku), 0) >= q for sku, q in cart.items()):
                reasons.append(f"{node_id}: lacks some of the lines")
                unfit = False
                continue
            try:
                if mode == M.SCHEDULED:
                    return self.slots(mode, node_id, point, slot, most)
                return [self.within_the_hour(mode, node_id, point, self.units(cart))]
            except NotOffered as exc:
                reasons.append(f"{node_id}: {exc}")
                unfit = unfit and isinstance(exc, DoesNotFit)
        raise (DoesNotFit if unfit else NotOffered)("; ".join(reasons))

    def option(self, mode: str, plan: Plan, point: tuple[float, float], pickup_node_id: str | None,
               slot: datetime | None = None) -> Option:
        """The option of this plan in ``mode`` (NotOffered when the mode cannot take it); ``slot``: the start
        of the appointment slot chosen (``scheduled``)."""
        if mode == M.SCHEDULED:
            if slot is None:
                raise NotOffered("a scheduled delivery needs the slot chosen")
            return self.slots(mode, self._one_node(mode, plan), point, slot)[0]
        if mode == M.ONE_HOUR:
            node_id = self._one_node(mode, plan)
            return self.within_the_hour(mode, node_id, point, self.units(wanted(plan[node_id])))
        if mode in HOME_MODES:
            return self.delivered(mode, plan, point)
        if mode in DROP_OFF_MODES or mode in COLLECT_MODES:
            assert pickup_node_id is not None  # these modes name it (``ordering.candidates`` checks it)
            if mode in DROP_OFF_MODES:
                return self.dropped_off(mode, plan, pickup_node_id)
            return self.collected(mode, plan, pickup_node_id)
        return self.worked(mode, plan, pickup_node_id)

    def delivered(self, mode: str, plan: Plan, point: tuple[float, float]) -> Option:
        return delivered(mode, self._legs(plan, point), self.services(mode), self.at, self.capacity)

    def dropped_off(self, mode: str, plan: Plan, bank_id: str) -> Option:
        """Carried to a locker bank or relay point in parcels within its limits (a bank's: its largest
        compartment's), delivered while it is open, where each parcel takes a place on its delivery day (in a
        bank, in the smallest compartment it fits that has room)."""
        bank = self.snap.nodes[bank_id]
        takes = self._received(bank_id)
        # Carriers hand parcels over there only while it is open (a relay point's shop hours).
        services = self.snap.derived(("delivering to", mode, bank_id), lambda: [
            replace(c, receiver=self.snap.times[bank_id].calendar) for c in self.services(mode)])
        option = delivered(mode, self._legs(plan, (bank.lat, bank.lng), takes, bank_id), services, self.at,
                           self.capacity)
        day = self.snap.times[bank_id].calendar.local_date(option.earliest)
        parcels = option.parcels
        if not self.capacity.has_room(bank_id, day, len(parcels)):
            raise NoRoom(f"{bank_id} is full on {day.isoformat()}")
        owned = tuple((p.sender, (bank_id, day)) for p in parcels)
        if bank.compartments:
            where = placed(list(parcels), bank.compartments,
                           lambda c, taken: self.capacity.has_room(c.resource(bank_id), day, taken + 1))
            if isinstance(where, str):
                raise NoRoom(f"{bank_id} on {day.isoformat()}: {where}")
            owned += tuple((p.sender, (c.resource(bank_id), day)) for p, c in zip(parcels, where, strict=True))
        return replace(option, pickup_node_id=bank_id, owned=owned)

    def receives(self, bank_id: str, skus: Iterable[str]) -> None:
        """DoesNotFit when the locker bank or relay point receives no parcel holding some of these products:
        known before any plan is made for it."""
        takes = self._received(bank_id)
        for sku in skus:
            if (why := takes.refuses(self.snap.products[sku], bank_id)) is not None:
                raise DoesNotFit(why)

    def _received(self, bank_id: str) -> Limits:
        bank = self.snap.nodes[bank_id]
        return self.snap.derived(("received", bank_id), lambda: received(bank.takes, bank.compartments))

    def collected(self, mode: str, plan: Plan, store_id: str) -> Option:
        """Ready at the store: picked from its own shelves, or sent there from other nodes (the last
        transfer to arrive sets the time)."""
        times = self.snap.times[store_id]
        self.handed_over(store_id, plan)
        if set(plan) == {store_id}:
            return prepared_at(mode, store_id, times, self.at, self.capacity)
        store = self.snap.nodes[store_id]
        legs = self._legs({n: needs for n, needs in plan.items() if n != store_id}, (store.lat, store.lng))
        each = [transferred(mode, leg, self.services("transfer"), store_id, times, self.at, self.capacity)
                for leg in legs]
        if store_id in plan:  # its own part is ready before the transfers arrive
            each.append(prepared_at(mode, store_id, times, self.at, self.capacity))
        last = max(each, key=lambda o: o.latest)
        claims = tuple(c for o in each for c in o.claims if c[0] != store_id) + \
            tuple(c for c in last.claims if c[0] == store_id)
        return Option(mode, tuple(sorted(plan)), last.earliest, last.latest, min(o.order_by for o in each),
                      sum(o.cost for o in each), tuple(s for o in each for s in o.services), store_id, claims,
                      parcels=tuple(p for o in each for p in o.parcels), carbon_g=total(o.carbon_g for o in each))

    def collecting(self, option: Option, point: tuple[float, float]) -> Option:
        """The option with the customer's trip from ``point`` to collect it added to its carbon."""
        assert option.pickup_node_id is not None  # (a mode collected somewhere)
        node = self.snap.nodes[option.pickup_node_id]
        trip = collection_trip(self._km(node.id, point), node.collection_car_share)
        return replace(option, carbon_g=total((option.carbon_g, trip)))

    def handed_over(self, store_id: str, plan: Plan) -> None:
        """DoesNotFit when the store does not hand over some unit of the plan (a sofa at a city counter)."""
        takes = self.snap.nodes[store_id].takes
        if takes is None:
            return
        for p, _ in self.units(wanted([n for needs in plan.values() for n in needs])):
            if (why := takes.refuses(p, f"{store_id}'s counter")) is not None:
                raise DoesNotFit(why)

    def worked(self, mode: str, plan: Plan, pickup_node_id: str | None) -> Option:
        """A mode with no lead times of its own yet: each node does the work in its hours, on a day it
        has room for it."""
        each = [prepared_at(mode, node_id, self.snap.times[node_id], self.at, self.capacity) for node_id in plan]
        return Option(mode, tuple(sorted(plan)), max(o.earliest for o in each), max(o.latest for o in each),
                      min(o.order_by for o in each), 0, (), pickup_node_id, tuple(c for o in each for c in o.claims))

    def slots(self, mode: str, node_id: str, point: tuple[float, float], only: datetime | None = None,
              most: int = SLOTS_OFFERED) -> list[Option]:
        """The node's appointment slots to ``point`` with room, soonest first (``only``: the one starting then)."""
        offered = self.snap.couriers.slots.get(node_id)
        if not offered:
            raise NotOffered(f"{node_id} has no delivery slots")
        return slots(mode, node_id, self.snap.times[node_id], offered, self.at, self.capacity,
                     self._km(node_id, point), only, most)

    def within_the_hour(self, mode: str, node_id: str, point: tuple[float, float], units: Units) -> Option:
        rule = self.snap.couriers.one_hour.get(node_id)
        if rule is None:
            raise NotOffered(f"{node_id} has no one-hour couriers")
        return within_the_hour(mode, node_id, self.snap.times[node_id], rule, self.at, self.capacity,
                               self._km(node_id, point), units)

    def units(self, wanted: dict[str, int]) -> Units:
        """The products and their units."""
        products = self.snap.products
        return tuple((products[sku], units) for sku, units in wanted.items())

    @staticmethod
    def _one_node(mode: str, plan: Plan) -> str:
        if len(plan) != 1:
            raise NotOffered(f"{mode} comes from one node with the whole cart")
        [node_id] = plan
        return node_id

    def _km(self, node_id: str, point: tuple[float, float]) -> float:
        node = self.snap.nodes[node_id]
        return haversine_km(node.lat, node.lng, *point)

    def _legs(self, plan: Plan, near: tuple[float, float], takes: Limits = ANYTHING, to: str = "") -> list[Leg]:
        return [Leg(node_id, self.snap.times[node_id], self._km(node_id, near), self.units(wanted(needs)), takes, to)
                for node_id, needs in plan.items()]

