"""Where an order's units come from: the channel and mode's strategy over the nodes it may use, each node
priced for this destination (handling, carrier rate band, depletion), and the explanation kept with the
order (``GET /v1/orders/{id}/sourcing``)."""

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from heapq import nsmallest
from typing import Literal, overload

from ...domain.carbon import Emissions, priced
from ...domain.cheapest import alone, whole
from ...domain.costs import CostModel, Source
from ...domain.errors import NoCarrierService, OutOfStock
from ...domain.geo import km_between, on_sphere, place
from ...domain.sourcing import Candidate, Need, Plan, plan_what_is_there
from ...domain.strategy import SourcingSettings, Strategy, allowed, choose, narrowed
from ...domain.vocabulary import DeliveryMode, NodeType
from ..reference.cache import Snapshot
from . import explanation

M = DeliveryMode
OWN = (M.SCHEDULED, M.ONE_HOUR, M.STORE_CARRY_OUT)  # the retailer's vans, couriers, or the customer's hands
COLLECTED = (M.CLICK_AND_COLLECT, M.RESERVE_IN_STORE)
BY_COST = ("cost_optimal",)  # the strategy that never uses a node dearer than a plan in hand


class Unreached(str):
    """Why a node cannot send an order: no carrier service of the mode reaches the destination from it."""


class Sourcer:
    """The strategy and the priced nodes for one order's channel, mode and destination."""

    def __init__(self, snap: Snapshot, channel: str, mode: str, destination: tuple[float, float],
                 weight: dict[str, int], pickup_node_id: str | None = None,
                 draft: tuple[SourcingSettings, Strategy] | None = None) -> None:
        """``draft``: settings and a strategy to try instead of the live ones (a simulation)."""
        self.snap, self.mode, self.destination, self.weight = snap, mode, destination, weight
        self.pickup_node_id = pickup_node_id
        settings = draft[0] if draft else snap.sourcing
        self.strategy = draft[1] if draft else settings.strategy(channel, mode)
        self.model: CostModel = settings.model(self.strategy)
        self._protected = settings.store_protection_units
        self._priced: dict[str, Source | str] = {}
        self._places = snap.derived("places", lambda: {n.id: place(n.lat, n.lng) for n in snap.nodes.values()})
        self._here = place(*destination)
        self._filtered = self.strategy.max_km is not None or bool(self.strategy.node_groups)
        # From every node but the store the customer collects from (its own shelves: no carrier).
        self._carrier = None if mode in OWN else "transfer" if mode in COLLECTED else mode

    def source(self, node_id: str) -> Source | str:
        """The node priced for this order, or why it cannot send it."""
        found = self._priced.get(node_id)
        if found is None:
            found = self._priced[node_id] = self._price(node_id)
        return found

    def price_of(self, node_id: str) -> Source:
        """The node priced for this order even where the strategy would not use it (units held there stay
        where they are held; a simulation's live and draft plans are costed alike)."""
        found = self.source(node_id)
        return found if isinstance(found, Source) else self._price(node_id, filtered=False)

    @overload
    def _price(self, node_id: str) -> Source | str: ...

    @overload
    def _price(self, node_id: str, filtered: Literal[False]) -> Source: ...

    def _price(self, node_id: str, filtered: bool = True) -> Source | str:
        """The node priced for this order, or why it cannot send it; unless ``filtered``, always a Source
        (a carrier reaching no further costs nothing here)."""
        node = self.snap.nodes[node_id]
        km = km_between(self._places[node_id], self._here)
        base = per_kg = 0
        emits: Emissions | None = None
        carried = self._carried_by(node_id)
        if carried is not None:
            bounds, rates = self.snap.derived(("rates", carried), lambda: _rate_steps(self.snap.carriers, carried))
            if bounds:  # with no service set up for the mode at all, carriers cost nothing here: nearest first
                i = bisect_left(bounds, km)
                if i < len(bounds) and (step := rates[i]) is not None:
                    base, per_kg, emits = step
                elif filtered:
                    return Unreached(f"no {carried.replace('_', ' ')} carrier service reaches {km:.0f} km")
        # The carrier's carbon, at the price set (a service whose emissions are not known weighs none).
        source = Source(node_id, node.handling_cost_per_order, node.handling_cost_per_unit, base, per_kg, round(km, 1),
                        self._protected if node.type == NodeType.STORE else 0,
                        emits.g_per_parcel if emits else 0.0, emits.per_kg(km) if emits else 0.0,
                        priced(1, self.model.carbon_price_per_tonne), emits is not None)
        if filtered and self._filtered and not allowed(self.strategy, source, node.type):
            return f"left out by the {self.strategy.kind} strategy's filters"
        return source

    def _carried_by(self, node_id: str) -> str | None:
        """The carrier mode that takes a parcel from this node to the destination (None: no carrier)."""
        return None if self.mode in COLLECTED and node_id == self.pickup_node_id else self._carrier

    def maker(self, needs: list[Need], available: dict[tuple[str, str], int]) -> Callable[[list[Candidate]], Plan]:
        """``make(candidates)``: the strategy's plan over these candidates (see ``Ways.plan``)."""
        skus = {n.sku for n in needs}
        types = {n: self.snap.nodes[n].type for (n, sku) in available if sku in skus}
        available = narrowed(self.strategy, available, types)  # what the strategy leaves it to weigh and price
        holding = {n for (n, sku), units in available.items() if units > 0 and sku in skus}

        def make(candidates: list[Candidate]) -> Plan:
            # Only the nodes that hold some of it are weighed, and of those only the ones that could be in a
            # plan as cheap as the best found so far are priced.
            holders = [c for c in candidates if c.node_id in holding]
            sources = self._worth_pricing(needs, holders, available) if self.strategy.kind in BY_COST else \
                [s for c in holders if isinstance(s := self.source(c.node_id), Source)]
            where = {c.node_id: (c.lat, c.lng) for c in holders}
            try:
                return choose(self.strategy, needs, sources, available, self.weight, self.model, types,
                              self.destination, where)
            except OutOfStock as short:
                raise self._why_short(short, needs, holders, sources, available, types, where) from None
        return make

    def _why_short(self, short: OutOfStock, needs: list[Need], holders: list[Candidate], sources: list[Source],
                   available: dict[tuple[str, str], int], types: dict[str, str],
                   where: dict[str, tuple[float, float]]) -> OutOfStock:
        """NoCarrierService when the nodes no carrier reaches the destination from would have made the plan:
        the stock is there, the address is what cannot be served. Else the shortage as it was. (Only on
        the way to a refusal: the plans that work never come here.)"""
        unreached = [self._price(c.node_id, filtered=False) for c in holders
                     if isinstance(self.source(c.node_id), Unreached)]
        unreached = [s for s in unreached
                     if not self._filtered or allowed(self.strategy, s, self.snap.nodes[s.node_id].type)]
        if not unreached:
            return short
        try:
            choose(self.strategy, needs, sources + unreached, available, self.weight, self.model, types,
                   self.destination, where)
        except OutOfStock:
            return short
        return NoCarrierService(short.extra["lines"], (self._carried_by(unreached[0].node_id) or "").replace("_", " "))

    def _worth_pricing(self, needs: list[Need], holders: list[Candidate],
                       available: dict[tuple[str, str], int]) -> list[Source]:
        """The holders priced, least costly to use first, until the next one's least possible shipment
        costs more than the cheapest whole order from one node priced; a node without the whole order is
        passed over when its shipment, the split penalty and another shipment cost more. Exact: a plan
        using a node left out costs more than the plan in hand."""
        floors, pickup = self._floors(), self.pickup_node_id
        ranked = sorted((floors[c.node_id] if c.node_id != pickup else self._least(pickup, self._carried_by(pickup)),
                         c.node_id) for c in holders)
        best, found, order = float("inf"), [], whole(needs, self.weight)
        least = [floor for floor, _ in ranked[:2]] + [0, 0]  # the two least floors (0: none)
        for rank, (floor, node_id) in enumerate(ranked):
            if floor > best:
                break
            # A node without the whole order is only in plans of two shipments or more: its own, the split
            # penalty and the least another node's shipment can cost.
            other = least[1] if rank == 0 else least[0]
            if floor + self.model.split_penalty + other > best and \
                    any(available.get((node_id, sku), 0) < q for sku, q in order.wanted):
                continue
            source = self.source(node_id)
            if not isinstance(source, Source):
                continue
            found.append(source)
            cost = alone(order, source, available, self.model)
            if cost is not None and cost < best:
                best = cost
        return found

    def _floors(self) -> dict[str, int]:
        """Each node's least shipment cost by the mode's carrier: the same for every order, worked out once
        per snapshot (the store the customer collects from has its own, see ``_carried_by``)."""
        return self.snap.derived(("floors", self._carrier),
                                 lambda: {n: self._least(n, self._carrier) for n in self.snap.nodes})

    def _least(self, node_id: str, carried: str | None) -> int:
        """The least any shipment from this node can cost, ``carried`` by that carrier mode: its handling of
        one unit, the cheapest carriage."""
        node = self.snap.nodes[node_id]
        least = 0 if carried is None else self.snap.derived(("least", carried), lambda: min(
            (r[0] for r in _rate_steps(self.snap.carriers, carried)[1] if r is not None), default=0))
        return node.handling_cost_per_order + node.handling_cost_per_unit + least

    def partial(self, needs: list[Need],
                available: dict[tuple[str, str], int]) -> Callable[[list[Candidate]], tuple[Plan, list[Need]]]:
        """``make(candidates)``: the strategy's plan for the lines these candidates can serve, and the lines
        they cannot (they may wait for expected supply)."""
        def make(candidates: list[Candidate]) -> tuple[Plan, list[Need]]:
            rest = needs
            missing: list[Need] = []
            while rest:
                try:
                    return self.maker(rest, available)(candidates), missing
                except OutOfStock as exc:
                    short = {x["line_no"] for x in exc.extra["lines"]} & {n.line_no for n in rest}
                    if not short:
                        raise
                    if len(short) == len(rest) > 1:
                        # Named all together (lines sharing a SKU, a shipment limit): the lines the first
                        # rule cannot serve wait, the others are planned.
                        _, first_missing = plan_what_is_there(rest, candidates, available, self.destination)
                        short = {n.line_no for n in first_missing} or {rest[-1].line_no}
                    missing += [n for n in rest if n.line_no in short]
                    rest = [n for n in rest if n.line_no not in short]
            return {}, missing
        return make

    def explain(self, plan: Plan, needs: list[Need], candidates: list[Candidate],
                available: dict[tuple[str, str], int], currency: str, passed_over: dict[str, str]) -> dict:
        """Why this plan, kept with the order (see ``explanation.explain``)."""
        return explanation.explain(self, plan, needs, candidates, available, currency, passed_over)

    @property
    def prices(self) -> Mapping[str, Source | str]:
        """The nodes priced so far (by the plan's search), each with its price or why it cannot send."""
        return self._priced

    def km(self, node_id: str) -> float:
        """The straight-line distance from the node to the destination."""
        return km_between(self._places[node_id], self._here)

    def nearest(self, node_ids: Iterable[str], most: int) -> list[str]:
        """The ``most`` of these nodes nearest to the destination, nearest first."""
        points = self.snap.derived("on sphere", lambda: {n: on_sphere(p) for n, p in self._places.items()})
        x, y, z = on_sphere(self._here)

        def chord(node_id: str) -> tuple[float, str]:
            a, b, c = points[node_id]
            return (a - x) ** 2 + (b - y) ** 2 + (c - z) ** 2, node_id
        return nsmallest(most, node_ids, key=chord)


Step = tuple[int, int, Emissions | None]  # a rate's base and per_kg, and its service's emission factors


def _rate_steps(carriers: tuple, mode: str) -> tuple[list[float], list[Step | None]]:
    """The cheapest rate (base, per_kg) of the mode's services, with that service's emission factors, as steps
    by distance: up to ``bounds[i]`` km (and beyond ``bounds[i - 1]``), ``rates[i]``; None where no service
    carries that far."""
    services = [c for c in carriers if mode in c.modes]
    bounds = sorted({b.max_km for c in services for b in c.bands} | {r.max_km for c in services for r in c.rates})
    rates: list[Step | None] = []
    for km in bounds:  # every band of every service is the same over each step
        found = [(r.base, r.per_kg, c.emissions) for c in services if c.band(km) is not None for r in (c.rate(km),)]
        rates.append(min(found, key=lambda step: step[:2]) if found else None)
    return bounds, rates

