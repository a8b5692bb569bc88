"""How an order's nodes are chosen, per channel and delivery mode.

- ``cost_optimal`` (the default): the plan of least total cost (``costs``), found exactly (``cheapest``);
- ``priority``: ordered node groups, as many OMS do it: the first group that can send the whole order
  does (its cheapest plan), else the first two groups together, and so on;
- ``nearest``: one node with everything, the nearest such; else each line from the nearest node with it;
- ``fewest_shipments``: the fewest parcels, and among plans with as few, the cheapest.
Each may be narrowed by filters (a maximum distance, node groups, stores with fewer than N units of a
SKU left out for it) and a maximum number of shipments.
"""

from dataclasses import dataclass, replace
from typing import Any

from .cheapest import cheapest
from .costs import CostModel, Source
from .errors import OutOfStock
from .sourcing import Candidate, Need, Plan, named, plan_first_rule

KINDS = ("cost_optimal", "priority", "nearest", "fewest_shipments")
ANY = "*"
# Added to every shipment's cost to make the count of shipments decide first (``fewest_shipments``).
PER_PARCEL = 10**12


@dataclass(frozen=True)
class Strategy:
    kind: str = "cost_optimal"
    max_shipments: int = 0  # 0: no limit
    max_km: float | None = None
    node_groups: tuple[tuple[str, ...], ...] = ()  # node ids or node types; in priority order
    exclude_stores_below: int = 0  # a store with fewer units of a SKU is not asked for it
    split_lines: bool = False  # the channel accepts a line's units in several parcels
    offer_to: int = 1  # a store's ship-from-store work is offered to this many stores; the first to accept wins


@dataclass(frozen=True)
class Rule:
    channel: str  # or ANY
    mode: str  # or ANY
    strategy: Strategy


@dataclass(frozen=True)
class SourcingSettings:
    split_penalty: int = 0
    depletion_cost_per_unit: int = 0
    store_protection_units: int = 0  # units of each SKU a store keeps before taking them costs depletion
    rules: tuple[Rule, ...] = ()
    carbon_price_per_tonne: int = 0  # minor units a tonne of CO2e: each shipment's estimate is weighed at it

    def strategy(self, channel: str, mode: str) -> Strategy:
        """The most specific rule's: its channel and mode, then its channel, then its mode, then any."""
        for want in ((channel, mode), (channel, ANY), (ANY, mode), (ANY, ANY)):
            for r in self.rules:
                if (r.channel, r.mode) == want:
                    return r.strategy
        return DEFAULT

    def model(self, strategy: Strategy) -> CostModel:
        return CostModel(self.split_penalty, self.depletion_cost_per_unit, strategy.max_shipments,
                         strategy.split_lines, self.carbon_price_per_tonne)


DEFAULT = Strategy()
NO_SETTINGS = SourcingSettings()
SETTING = "sourcing"  # the settings document that holds them


def settings_from(document: dict[str, Any] | None) -> SourcingSettings:
    if not document:
        return NO_SETTINGS
    rules = tuple(Rule(r.get("channel", ANY), r.get("mode", ANY), strategy_from(r))
                  for r in document.get("strategies", ()))
    return SourcingSettings(document.get("split_penalty", 0), document.get("depletion_cost_per_unit", 0),
                            document.get("store_protection_units", 0), rules,
                            document.get("carbon_price_per_tonne", 0))


def strategy_from(r: dict[str, Any]) -> Strategy:
    """A strategy from its stored shape (see ``StrategyIn``)."""
    return Strategy(r.get("strategy", "cost_optimal"), r.get("max_shipments", 0), r.get("max_km"),
                    tuple(tuple(g) for g in r.get("node_groups", ())), r.get("exclude_stores_below", 0),
                    r.get("split_lines", False), r.get("offer_to", 1))


def allowed(strategy: Strategy, source: Source, node_type: str) -> bool:
    """Whether the strategy's filters let this node send anything."""
    if strategy.max_km is not None and source.km > strategy.max_km:
        return False
    return not strategy.node_groups or _group(strategy, source.node_id, node_type) is not None


def _group(strategy: Strategy, node_id: str, node_type: str) -> int | None:
    return next((i for i, g in enumerate(strategy.node_groups) if node_id in g or node_type in g), None)


def narrowed(strategy: Strategy, available: dict[tuple[str, str], int],
             node_types: dict[str, str]) -> dict[tuple[str, str], int]:
    """Available units, without a store's SKU it holds fewer than ``exclude_stores_below`` units of."""
    if not strategy.exclude_stores_below:
        return available
    return {(n, s): q for (n, s), q in available.items()
            if node_types.get(n) != "store" or q >= strategy.exclude_stores_below}


def choose(strategy: Strategy, needs: list[Need], sources: list[Source], available: dict[tuple[str, str], int],
           weight: dict[str, int], model: CostModel, node_types: dict[str, str],
           destination: tuple[float, float], where: dict[str, tuple[float, float]]) -> Plan:
    """The strategy's plan over ``sources`` (already filtered), or OutOfStock naming the lines it cannot serve.
    ``where``: each node's position (``nearest`` ranks by distance)."""
    available = narrowed(strategy, available, node_types)
    if strategy.kind == "nearest":
        plan = plan_first_rule(needs, [Candidate(s.node_id, *where[s.node_id]) for s in sources], available,
                               destination)
        if model.max_shipments and len(plan) > model.max_shipments:
            raise OutOfStock(named(needs))
        return plan
    if strategy.kind == "fewest_shipments":
        counted = [replace(s, handling_per_order=s.handling_per_order + PER_PARCEL) for s in sources]
        return cheapest(needs, counted, available, weight, model)
    if strategy.kind == "priority" and strategy.node_groups:
        short: OutOfStock | None = None
        for last in range(len(strategy.node_groups)):
            within = [s for s in sources  # (filtered by ``allowed``: each is in a group)
                      if (group := _group(strategy, s.node_id, node_types[s.node_id])) is not None and group <= last]
            try:
                return cheapest(needs, within, available, weight, model)
            except OutOfStock as exc:
                short = exc
        raise short or OutOfStock(named(needs))
    return cheapest(needs, sources, available, weight, model)
