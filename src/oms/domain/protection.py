"""Protection rules: how much of a node's stock a channel may promise.

- safety stock: per stock row, with a default per node type for rows created without one;
- walk-in units: a store keeps this many units of each SKU for customers in the shop, against every
  channel but the store's own tills;
- channel rules: a channel may be limited to some node types (a marketplace served from the DCs only)
  and to a share of each node's available units (a marketplace sees at most 30 %), and may let orders
  wait for expected supply when stock is short (backorders).
"""

from dataclasses import dataclass, field
from typing import Any

from .vocabulary import Channel, NodeType


@dataclass(frozen=True)
class ChannelRule:
    node_types: frozenset[str] | None = None  # None: every node type
    share_percent: int = 100
    backorder: bool = False  # an order may wait for expected supply (purchase orders, transfers)


@dataclass(frozen=True)
class Rules:
    safety_stock_by_node_type: dict[str, int] = field(default_factory=dict)
    walk_in_units: int = 0
    channels: dict[str, ChannelRule] = field(default_factory=dict)
    low_stock_below: int = 0  # fewer available units of a SKU at a node than this: inventory.low (0: never)

    def rule(self, channel: str) -> ChannelRule:
        return self.channels.get(channel, OPEN)

    def uses(self, channel: str, node_type: str) -> bool:
        allowed = self.rule(channel).node_types
        return allowed is None or node_type in allowed

    def guard(self, channel: str, node_type: str) -> tuple[int, int]:
        """(units to leave, share in percent) of a node's available units for this channel."""
        keep = self.walk_in_units if node_type == NodeType.STORE and channel != Channel.STORE else 0
        return keep, self.rule(channel).share_percent

    def promisable(self, channel: str, node_type: str, available: int) -> int:
        """What this channel may take of ``available`` units (already net of reservations and safety)."""
        return promisable(available, *self.guard(channel, node_type))

    def safety_for(self, node_type: str) -> int:
        return self.safety_stock_by_node_type.get(node_type, 0)


def promisable(available: int, keep: int, share: int) -> int:
    """What a channel may take of ``available`` units, leaving ``keep`` and taking ``share`` percent of the
    rest (``Rules.guard``)."""
    return max(0, available - keep) * share // 100


OPEN = ChannelRule()
NO_RULES = Rules()

SETTING = "stock_rules"  # the settings document that holds them


def rules_from(document: dict[str, Any] | None) -> Rules:
    if not document:
        return NO_RULES
    return Rules(
        safety_stock_by_node_type=dict(document.get("safety_stock_by_node_type", {})),
        walk_in_units=document.get("walk_in_units", 0),
        channels={channel: ChannelRule(frozenset(r["node_types"]) if r.get("node_types") is not None else None,
                                       r.get("share_percent", 100), r.get("backorder", False))
                  for channel, r in document.get("channels", {}).items()},
        low_stock_below=document.get("low_stock_below", 0),
    )
