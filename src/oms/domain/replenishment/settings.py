"""How each store is replenished: its own settings (the DC it is supplied from, the weekdays it orders, the
lead time) and the rules for its SKUs, set for a store or every store (``*``), for a SKU, a class of SKUs
named by their common start (``DEC-*``) or all of them (``*``).

A SKU at a store follows, field by field, the most specific rule that sets that field: an exact SKU before a
class (the longest start first) before ``*``; for the same SKUs, the store's own rule before every store's.
A field no rule sets is ``DEFAULT``'s.
"""

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date

ALL = "*"


@dataclass(frozen=True)
class Rule:
    policy: str | None = None  # order_up_to, min_max, days_of_supply
    service_level: float | None = None  # the chance the shelf does not run out before the next delivery
    presentation_min: int | None = None  # units the shelf shows: the level never goes below them
    shelf_capacity: int | None = None  # units the shelf holds (0: no limit)
    case_pack: int | None = None  # units a DC sends together
    rounding_threshold: float | None = None  # part of a pack that makes a whole one (0..1)
    min_order: int | None = None  # units at least, when any are sent
    days_of_supply: int | None = None  # days_of_supply's target


DEFAULT = Rule("order_up_to", 0.95, 0, 0, 1, 0.5, 0, 14)


@dataclass(frozen=True)
class Store:
    node_id: str
    source_node_id: str  # the DC it is supplied from
    order_weekdays: tuple[int, ...]  # ISO weekdays it orders (and is delivered after ``lead_days``)
    lead_days: float
    lead_sigma_days: float = 0.0

    def review_days(self, ordered_on: date) -> int:
        """The days from an order placed on ``ordered_on`` to the store's next order: what the delivery it
        brings must last (a Monday and Thursday store: 3 days from Monday, 4 from Thursday)."""
        weekday = ordered_on.isoweekday()
        return min((d - weekday) % 7 or 7 for d in set(self.order_weekdays))


def matches(pattern: str, sku: str) -> bool:
    return pattern in (ALL, sku) or (pattern.endswith("*") and sku.startswith(pattern[:-1]))


def _rank(node_id: str, pattern: str) -> tuple[int, int, int]:
    """How specific a rule is: its SKUs (exact, a class by the length of its start, all), then its store."""
    what = (2, len(pattern)) if not pattern.endswith("*") else (1, len(pattern) - 1) if pattern != ALL else (0, 0)
    return (*what, node_id != ALL)


def settled(rules: Iterable[tuple[str, str, Rule]], store: str, sku: str) -> Rule:
    """The rule a store's SKU follows, each field from the most specific rule that sets it. ``rules``:
    (node id or ``*``, SKU pattern, rule)."""
    found = sorted(((_rank(n, p), r) for n, p, r in rules if n in (store, ALL) and matches(p, sku)),
                   key=lambda x: x[0], reverse=True)
    chosen = {}
    for f in fields(Rule):
        chosen[f.name] = next((getattr(r, f.name) for _, r in found if getattr(r, f.name) is not None),
                              getattr(DEFAULT, f.name))
    return replace(DEFAULT, **chosen)


class RuleBook:
    """``settled`` for a whole network's store-SKUs: the rules indexed by exact SKU and by class, and each
    combination of matching rules settled once (a network has millions of store-SKUs and a few dozen rules)."""

    def __init__(self, rules: Iterable[tuple[str, str, Rule]]) -> None:
        self.rules = list(rules)
        self.exact: dict[str, list[int]] = {}
        self.classes: list[tuple[str, int]] = []  # (the start of the SKUs, rule)
        self.every: list[int] = []
        for i, (_, pattern, _) in enumerate(self.rules):
            if pattern == ALL:
                self.every.append(i)
            elif pattern.endswith("*"):
                self.classes.append((pattern[:-1], i))
            else:
                self.exact.setdefault(pattern, []).append(i)
        self.own = {n for n, _, _ in self.rules if n != ALL}  # stores with rules of their own
        self._settled: dict[tuple[str, tuple[int, ...]], Rule] = {}

    def rule(self, store: str, sku: str) -> Rule:
        matched = [*self.exact.get(sku, ()), *(i for start, i in self.classes if sku.startswith(start)), *self.every]
        scope = store if store in self.own else ALL
        key = (scope, tuple(sorted(i for i in matched if self.rules[i][0] in (scope, ALL))))
        found = self._settled.get(key)
        if found is None:
            found = self._settled[key] = settled([self.rules[i] for i in key[1]], store, sku)
        return found
