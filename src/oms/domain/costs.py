"""What a sourcing plan costs the retailer, in integer minor units.

For each shipment (one per node used):
    handling  = the node's handling per order + its handling per unit × units;
    carrier   = base + per_kg × started kilograms of the shipment, from the rate band of the carrier
                service for the straight-line distance from the node to the destination;
    depletion = per unit taken from a store beyond what it has above its protection level (it keeps
                those units for walk-in customers and avoids markdowns);
    carbon    = the carrier's estimated grams (last mile per parcel, line haul per started kilogram: see
                ``carbon``) at the carbon price per tonne (0 by default: not weighed);
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
    carbon_g: float = 0.0  # carrier, grams CO2e per shipment (its last mile)
    carbon_g_per_kg: float = 0.0  # … plus these per started kilogram (its line haul over this distance)
    carbon_price: float = 0.0  # minor units a gram (the price per tonne / 1e6)
    carbon_known: bool = False  # whether its carrier's emission factors are known (else its grams are 0)

    @property
    def fixed(self) -> float:
        """What opening a shipment from here costs before any unit."""
        if self.carbon_price:
            return self.handling_per_order + self.base + self.carbon_g * self.carbon_price
        return self.handling_per_order + self.base

    @property
    def kg_cost(self) -> float:
        """What each started kilogram shipped from here costs: carriage, and its line haul's carbon."""
        if self.carbon_price:
            return self.per_kg + self.carbon_g_per_kg * self.carbon_price
        return self.per_kg


@dataclass(frozen=True)
class CostModel:
    split_penalty: int = 0  # per shipment beyond the first
    depletion_per_unit: int = 0
    max_shipments: int = 0  # 0: no limit
    split_lines: bool = False  # a line's units may come from several nodes (else each line whole from one)
    carbon_price_per_tonne: int = 0  # minor units; 0: carbon is not weighed


@dataclass(frozen=True)
class ShipmentCost:
    handling: int
    carrier: int
    depletion: int
    # The carbon grams and their price, not rounded: the optimisers weigh them exactly (answers round them).
    carbon: float = 0.0
    carbon_g: float = 0.0

    @property
    def total(self) -> float:
        return self.handling + self.carrier + self.depletion + self.carbon


@dataclass(frozen=True)
class Costed:
    """A plan with its cost, term by term."""
    plan: Plan
    shipments: dict[str, ShipmentCost] = field(default_factory=dict)
    split_penalty: int = 0

    @property
    def total(self) -> float:
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
    carbon_g = source.carbon_g + source.carbon_g_per_kg * kilos(grams)
    return ShipmentCost(source.handling_per_order + source.handling_per_unit * sum(units.values()),
                        source.base + source.per_kg * kilos(grams), model.depletion_per_unit * depleted,
                        carbon_g * source.carbon_price, carbon_g)


def cost_of(plan: Plan, sources: Mapping[str, Source], weight: Mapping[str, int],
            available: Mapping[tuple[str, str], int], model: CostModel) -> Costed:
    shipments = {node_id: shipment_cost(sources[node_id], needs, weight, available, model)
                 for node_id, needs in plan.items() if needs}
    return Costed(plan, shipments, model.split_penalty * max(0, len(shipments) - 1))
