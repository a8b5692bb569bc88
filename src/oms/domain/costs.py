"""What a sourcing plan costs the retailer, in integer minor units.

For each shipment (one per node used):
    handling  = the node's handling per order + its handling per unit × units;
    carrier   = base + per_kg × started kilograms of the shipment, from the rate band of the carrier
                service for the straight-line distance from the node to the destination;
    depletion = per unit taken from a store beyond what it has above its protection level (it keeps
                those units for walk-in customers and avoids markdowns);
and for the plan, a split penalty per shipment beyond the first (the customer's cost of receiving
several parcels). Every optimiser and every explanation computes costs here.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .sourcing import Need, Plan


@dataclass(frozen=True)
class Source:
    """A node that could send part of an order to its destination, with what each shipment from it costs."""
    node_id: str
    handling_per_order: int = 0
    handling_per_unit: int = 0
    base: int = 0  # carrier, per parcel, for this distance
    per_kg: int = 0  # carrier, per started kilogram
    km: float = 0.0
    protected: int = 0  # units of each SKU kept for the shop: those taken below them cost depletion

    @property
    def fixed(self) -> int:
        """What opening a shipment from here costs before any unit."""
        return self.handling_per_order + self.base


@dataclass(frozen=True)
class CostModel:
    split_penalty: int = 0  # per shipment beyond the first
    depletion_per_unit: int = 0
    max_shipments: int = 0  # 0: no limit
    split_lines: bool = False  # a line's units may come from several nodes (else each line whole from one)


@dataclass(frozen=True)
class ShipmentCost:
    handling: int
    carrier: int
    depletion: int

    @property
    def total(self) -> int:
        return self.handling + self.carrier + self.depletion


@dataclass(frozen=True)
class Costed:
    """A plan with its cost, term by term."""
    plan: Plan
    shipments: dict[str, ShipmentCost] = field(default_factory=dict)
    split_penalty: int = 0

    @property
    def total(self) -> int:
        return sum(s.total for s in self.shipments.values()) + self.split_penalty


def kilos(weight_g: int) -> int:
    """Started kilograms: what carriers bill."""
    return -(-weight_g // 1000)


def above_protection(source: Source, available: int) -> int:
    """Units of a SKU that can leave this node without depleting it."""
    return max(0, available - source.protected)


def shipment_cost(source: Source, needs: Iterable[Need], weight: Mapping[str, int],
                  available: Mapping[tuple[str, str], int], model: CostModel) -> ShipmentCost:
    units: dict[str, int] = {}
    for n in needs:
        units[n.sku] = units.get(n.sku, 0) + n.quantity
    grams = sum(weight[sku] * q for sku, q in units.items())
    depleted = sum(max(0, q - above_protection(source, available.get((source.node_id, sku), 0)))
                   for sku, q in units.items()) if source.protected else 0
    return ShipmentCost(source.handling_per_order + source.handling_per_unit * sum(units.values()),
                        source.base + source.per_kg * kilos(grams), model.depletion_per_unit * depleted)


def cost_of(plan: Plan, sources: Mapping[str, Source], weight: Mapping[str, int],
            available: Mapping[tuple[str, str], int], model: CostModel) -> Costed:
    shipments = {node_id: shipment_cost(sources[node_id], needs, weight, available, model)
                 for node_id, needs in plan.items() if needs}
    return Costed(plan, shipments, model.split_penalty * max(0, len(shipments) - 1))
