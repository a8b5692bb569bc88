"""The sourcing explanation kept with an order (``GET /v1/orders/{id}/sourcing``): the plan's cost term by
term, the few other nodes an integrator asks about, and the rest of the network counted by reason.

It stays a few kilobytes and a few pricings on any network: only the listed nodes are priced here (the
cheapest are the ones the plan's search priced already), the others are one pass over the stock read."""

from collections.abc import Callable, Set
from heapq import nsmallest
from typing import TYPE_CHECKING

from ...domain.cheapest import Whole, alone, whole
from ...domain.costs import ShipmentCost, Source, cost_of
from ...domain.sourcing import Candidate, Need, Plan
from ...domain.vocabulary import NodeType
from ..promise.ways import wanted as units_wanted

if TYPE_CHECKING:
    from .sourcer import Sourcer

LISTED = 5  # other nodes named beside the plan's
CHEAPEST = 2  # of them, at most this many holding the whole order (the cheapest priced, else the nearest) …
PASSED_OVER = 2  # … and for a reason they were not weighed at all (a full day, a promise): then the nearest
NO_STOCK = "no stock of these SKUs"


def explain(sourcer: "Sourcer", plan: Plan, needs: list[Need], candidates: list[Candidate],
            available: dict[tuple[str, str], int], currency: str, passed_over: dict[str, str]) -> dict:
    """Why this plan: its cost term by term; the plan's nodes and a few others holding some of the order
    (the cheapest for the whole order alone, those passed over before the strategy chose, the nearest),
    each with its units, distance, cost alone where it has it all and why it was not used; and how many of
    the other candidates were left for each reason. ``passed_over``: nodes left out before the strategy
    chose (a full day, the promise), with the reason."""
    priced = {n: sourcer.price_of(n) for n in plan}
    costed = cost_of(plan, priced, sourcer.weight, available, sourcer.model)
    wanted = units_wanted(needs)
    eligible = {c.node_id for c in candidates}
    holding = _held(available, wanted, eligible)
    others, order = holding.keys() - set(plan), whole(needs, sourcer.weight)
    has_all = {n for n in others if holding[n][0] == len(wanted)}
    chosen = _alternatives(sourcer, order, others, has_all, available, passed_over)
    money = lambda amount: {"amount": amount, "currency": currency}  # noqa: E731
    entry = lambda node_id: _entry(sourcer, node_id, plan, order, available, passed_over, money)  # noqa: E731
    # Cheapest for the whole order alone first, then nearest (the store next to the customer comes early).
    listed = sorted((entry(n) for n in chosen), key=lambda e: (
        "cost_alone" not in e, e.get("cost_alone", {}).get("amount", 0), sourcer.km(e["node_id"]), e["node_id"]))
    costs = {node_id: _rounded(s) for node_id, s in costed.shipments.items()}
    shipments = [{"node_id": node_id, "lines": [{"line_no": n.line_no, "sku": n.sku, "quantity": n.quantity}
                                                for n in lines],
                  "cost": costs[node_id], "carbon_g": round(s.carbon_g) if priced[node_id].carbon_known else None,
                  "distance_km": priced[node_id].km}
                 for node_id, lines in plan.items() if (s := costed.shipments.get(node_id))]
    return {
        "strategy": sourcer.strategy.kind,
        # (the sum of the parts as shown: carbon is rounded once, in each shipment)
        "total_cost": money(sum(c["total"] for c in costs.values()) + costed.split_penalty),
        "shipments": shipments,
        "split_penalty": costed.split_penalty,
        "carbon_price_per_tonne": sourcer.model.carbon_price_per_tonne,
        "candidates": [entry(n) for n in plan if n in eligible] + listed,
        "others": _counted(sourcer, holding, others.difference(chosen), len(wanted), passed_over,
                           len(eligible) - len(holding) - sum(n in eligible and n not in holding for n in plan)),
    }


def _rounded(s: ShipmentCost) -> dict[str, int]:
    carbon = round(s.carbon)
    return {"handling": s.handling, "carrier": s.carrier, "depletion": s.depletion, "carbon": carbon,
            "total": s.handling + s.carrier + s.depletion + carbon}


def _alternatives(sourcer: "Sourcer", order: Whole, others: Set[str], has_all: Set[str],
                  available: dict[tuple[str, str], int], passed_over: dict[str, str]) -> list[str]:
    """The other nodes worth naming: the cheapest for the whole order alone of those the plan's search
    priced (the nearest of equals), or else the nearest of those ``has_all`` (holding the whole order);
    the nearest of those passed over before the search; then the nearest."""
    costs = [(cost, s.km, n) for n, s in sourcer.prices.items() if n in others and isinstance(s, Source)
             if (cost := alone(order, s, available, sourcer.model)) is not None]
    chosen = [n for _, _, n in nsmallest(CHEAPEST, costs)]
    chosen += sourcer.nearest((n for n in has_all if n not in chosen), CHEAPEST - len(chosen))
    chosen += sourcer.nearest((n for n in passed_over if n in others and n not in chosen), PASSED_OVER)
    return chosen + sourcer.nearest((n for n in others if n not in chosen), LISTED - len(chosen))


def _entry(sourcer: "Sourcer", node_id: str, plan: Plan, order: Whole, available: dict[tuple[str, str], int],
           passed_over: dict[str, str], money: Callable[[int], dict]) -> dict:
    """A listed node: its units, distance, cost of the whole order alone where it has it all, and why it
    was not used (absent: it was)."""
    units = {sku: available.get((node_id, sku), 0) for sku, _ in order.wanted}
    has_all = all(units[sku] >= q for sku, q in order.wanted)
    source = sourcer.source(node_id)
    entry: dict = {"node_id": node_id, "available": units}
    if isinstance(source, Source):
        entry["distance_km"] = source.km
        if (cost := alone(order, source, available, sourcer.model)) is not None:
            entry["cost_alone"] = money(round(cost))
    if node_id not in plan:
        entry["rejected_because"] = _why_not(sourcer, node_id, source, has_all, max(units.values()), passed_over)
    return entry


def _held(available: dict[tuple[str, str], int], wanted: dict[str, int],
          eligible: set[str]) -> dict[str, tuple[int, int]]:
    """The eligible nodes holding some of the order: of how many SKUs each has all the units wanted, and
    its most units of one (one pass over the stock read)."""
    held: dict[str, tuple[int, int]] = {}
    for (node_id, sku), units in available.items():
        q = wanted.get(sku)
        if q is not None and units > 0 and node_id in eligible:
            whole_skus, most = held.get(node_id, (0, 0))
            held[node_id] = (whole_skus + (units >= q), max(most, units))
    return held


def _counted(sourcer: "Sourcer", holding: dict[str, tuple[int, int]], left: Set[str], skus: int,
             passed_over: dict[str, str], none: int) -> list[dict]:
    """The ``left`` nodes holding some of the order, and the ``none`` that hold none of it, counted by
    reason, most first. Not priced here: a node the plan's search did not price costs more in any plan."""
    counts: dict[str, int] = {NO_STOCK: none} if none else {}
    prices = sourcer.prices
    for node_id, (whole_skus, most) in holding.items():
        if node_id in left:
            reason = _why_not(sourcer, node_id, prices.get(node_id), whole_skus == skus, most, passed_over)
            counts[reason] = counts.get(reason, 0) + 1
    return [{"rejected_because": reason, "nodes": count}
            for reason, count in sorted(counts.items(), key=lambda rc: (-rc[1], rc[0]))]


def _why_not(sourcer: "Sourcer", node_id: str, source: Source | str | None, has_all: bool, most: int,
             passed_over: dict[str, str]) -> str:
    """Why a node holding some of the order (all of it: ``has_all``; at most ``most`` units of a SKU) was
    not used; ``source`` None: not priced."""
    if isinstance(source, str):
        return source
    if node_id in passed_over:
        return passed_over[node_id]
    below = sourcer.strategy.exclude_stores_below
    if below and most < below and sourcer.snap.nodes[node_id].type == NodeType.STORE:
        return f"fewer than {below} units of each SKU (left to the shop)"
    return "a plan using it costs more" if has_all else "has only part of the order; a plan using it costs more"
