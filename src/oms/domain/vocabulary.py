"""The words of the domain: node types, channels, delivery modes, roles."""

from enum import StrEnum


class Word(StrEnum):
    """A word of the domain: prints as its value everywhere, ``!r`` included, so that an error message says
    ``'app'``, never Python's ``<Channel.APP: 'app'>``."""

    def __repr__(self) -> str:
        return repr(self.value)


class NodeType(Word):
    WAREHOUSE = "warehouse"
    STORE = "store"
    DARK_STORE = "dark_store"
    SUPPLIER = "supplier"
    LOCKER = "locker"
    PICKUP_POINT = "pickup_point"


class Channel(Word):
    WEB = "web"
    APP = "app"
    STORE = "store"
    CALL_CENTER = "call_center"
    MARKETPLACE = "marketplace"


class DeliveryMode(Word):
    HOME_STANDARD = "home_standard"
    HOME_EXPRESS = "home_express"
    ONE_HOUR = "one_hour"
    SCHEDULED = "scheduled"
    CLICK_AND_COLLECT = "click_and_collect"
    LOCKER = "locker"
    PICKUP_POINT = "pickup_point"
    RESERVE_IN_STORE = "reserve_in_store"
    STORE_CARRY_OUT = "store_carry_out"


# Modes where the customer collects at a node (the order names it as ``pickup_node_id``).
PICKUP_MODES = frozenset(
    {
        DeliveryMode.CLICK_AND_COLLECT,
        DeliveryMode.LOCKER,
        DeliveryMode.PICKUP_POINT,
        DeliveryMode.RESERVE_IN_STORE,
        DeliveryMode.STORE_CARRY_OUT,
    }
)
# Modes served only from the stock of the pickup node itself (nothing is transferred in).
SAME_NODE_MODES = frozenset({DeliveryMode.RESERVE_IN_STORE, DeliveryMode.STORE_CARRY_OUT})
# Node types that never hold sellable stock.
STOCKLESS_NODE_TYPES = frozenset({NodeType.LOCKER, NodeType.PICKUP_POINT})


class FeedReason(Word):
    """Why a node says its stock moved."""

    SALE = "sale"
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    DAMAGE = "damage"
    RETURN = "return"


class Role(Word):
    ADMIN = "admin"
    CHANNEL = "channel"  # scope: one channel
    NODE = "node"  # scope: one node id
    VIEWER = "viewer"


SCOPED_ROLES = frozenset({Role.CHANNEL, Role.NODE})
