"""Who may do what: the one place where roles and scopes are checked.

Two answers, never mixed up: a role that may not use an endpoint at all (a viewer placing an order, a
node key reading orders) is ``403``, whatever the id; a resource named by its id that the key's scope
does not cover (another channel's order, another node's fulfilment order) is ``404``, in the very words
said of an id that does not exist, so that a key cannot learn which ids exist. Roles are checked before
anything is looked up, so that their ``403`` does not depend on the id either.
"""

from dataclasses import dataclass

from .errors import Forbidden, missing
from .lifecycle import HANDOVER_STEPS
from .vocabulary import Channel, Role

# Who may make a kind of call at all, whatever its body names, and what the others are told. Checked before
# the body is read (a key outside these roles learns nothing of what the body should hold); the checks
# below then judge the scope a body names.
CALLERS: dict[str, tuple[frozenset[Role], str]] = {
    "order_write": (frozenset({Role.ADMIN, Role.CHANNEL}), "create or change orders"),
    "availability": (frozenset({Role.ADMIN, Role.VIEWER, Role.CHANNEL}), "read network availability"),
    "admin": (frozenset({Role.ADMIN}), "change reference data or settings; an admin key is needed"),
    "fulfillment_action": (frozenset({Role.ADMIN, Role.NODE}), "confirm fulfillments"),
    "stock_feed": (frozenset({Role.ADMIN, Role.NODE}), "report stock; admin or node keys can"),
    "return_start": (frozenset({Role.ADMIN, Role.CHANNEL}), "start or change returns; admin or channel keys can"),
    "return_receipt": (frozenset({Role.ADMIN, Role.NODE}), "receive returned units; admin or node keys can"),
    "replenishment": (frozenset({Role.ADMIN, Role.VIEWER, Role.NODE}),
                      "read stores' demand and replenishment; admin, viewer or node keys can"),
}


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    scope: str | None = None  # the channel of a ``channel`` key, the node id of a ``node`` key

    @property
    def actor(self) -> str:
        """How the timeline names who did something."""
        return f"{self.role}:{self.scope}" if self.scope else f"{self.role}:{self.key_id}"

    def require_caller(self, kind: str) -> None:
        """This key's role may make calls of this ``kind`` (``CALLERS``) at all."""
        roles, what = CALLERS[kind]
        if self.role not in roles:
            raise Forbidden(f"role {self.role.value} cannot {what}")

    def may(self, kind: str) -> bool:
        """Whether this key's role may make calls of this ``kind`` (what a page offers it to do)."""
        return self.role in CALLERS[kind][0]

    def require_admin(self) -> None:
        self.require_caller("admin")

    def require_order_read(self, channel: str | None = None) -> None:
        """Reading orders (and holds): any role but node; ``channel``, the channel a listing or a body
        names, must be the key's own for a channel key."""
        if self.role == Role.NODE:
            raise Forbidden("node keys see orders through their node's fulfillments")
        if self.role == Role.CHANNEL and channel is not None and channel != self.scope:
            raise Forbidden(f"this key is scoped to channel {self.scope!r}, not {channel!r}")

    def require_order_write(self, channel: str | None = None) -> None:
        self.require_caller("order_write")
        self.require_order_read(channel)

    def sees_order(self, channel: str) -> bool:
        return self.role != Role.NODE and (self.role != Role.CHANNEL or channel == self.scope)

    def require_in_channel(self, kind: str, ident: str, channel: str) -> None:
        """An order (or a hold) named by its id, after the role was checked: one of another channel is one
        this key is told does not exist."""
        if not self.sees_order(channel):
            raise missing(kind, ident)

    def require_fulfillment_read(self, node_id: str | None = None) -> None:
        """Reading fulfilment orders: any role but channel; ``node_id``, the node a listing names, must be
        the key's own for a node key."""
        if self.role == Role.CHANNEL:
            raise Forbidden("channel keys see fulfillments inside their orders")
        if self.role == Role.NODE and node_id is not None and node_id != self.scope:
            raise Forbidden(f"this key is scoped to node {self.scope!r}, not {node_id!r}")

    def require_fulfillment_worker(self) -> None:
        """Confirming fulfilment orders: admin and node keys."""
        if self.role in (Role.VIEWER, Role.CHANNEL):
            raise Forbidden(f"{self.role} keys cannot confirm fulfillments")

    def require_fulfillment(self, fulfillment_id: str, node_id: str, handover_node_id: str | None = None,
                            offered_to: tuple[str, ...] | list[str] = ()) -> None:
        """A fulfilment order named by its id, after the role was checked. A node sees the work it sends,
        the parcels it hands over to customers, and the work offered to it (competitive claiming); any
        other is one it is told does not exist."""
        if self.role == Role.NODE and self.scope not in (node_id, handover_node_id, *offered_to):
            raise missing("fulfillment", fulfillment_id)

    def require_fulfillment_action(self, fulfillment_id: str, node_id: str, requested: str,
                                   handover_node_id: str | None = None) -> None:
        """The sending node does the work; on a transfer, the collecting node alone readies and hands over."""
        self.require_fulfillment_worker()
        self.require_fulfillment(fulfillment_id, node_id, handover_node_id)
        if self.role != Role.NODE or handover_node_id in (None, node_id):
            return
        actor_node = handover_node_id if requested in HANDOVER_STEPS else node_id
        if self.scope != actor_node:
            raise Forbidden(f"on a transfer from {node_id} to {handover_node_id}, {requested} is done by "
                            f"{actor_node}, not {self.scope}")

    def sees_fulfillment(self, node_id: str, handover_node_id: str | None) -> bool:
        """Whether an order's answer may show this fulfilment order to this key."""
        return self.role != Role.NODE or self.scope in (node_id, handover_node_id)

    def require_availability(self, channel: str) -> None:
        """Availability is read for a channel: a channel key for its own, admin and viewer keys for any."""
        if self.role == Role.NODE:
            raise Forbidden("node keys do not read network availability")
        self.require_order_read(channel)

    def require_stock_read(self, node_id: str | None) -> None:
        """Stock rows: every node's for admin, viewer and channel keys; a node key reads its own node's only
        (``node_id``, a filter naming another node, is refused as for fulfilment orders)."""
        if self.role == Role.NODE and node_id is not None and node_id != self.scope:
            raise Forbidden(f"this key reads the stock of node {self.scope!r} only, not {node_id!r}")

    def require_store_demand(self, node_id: str) -> None:
        """A store's demand and replenishment: admin and viewer keys for any node, a node key for its own."""
        self.require_caller("replenishment")
        if self.role == Role.NODE and node_id != self.scope:
            raise Forbidden(f"this key reads node {self.scope!r}'s demand only, not {node_id!r}")

    def require_planner(self) -> None:
        """Replenishment across stores (settings, runs): admin and viewer keys."""
        if self.role not in (Role.ADMIN, Role.VIEWER):
            raise Forbidden(f"role {self.role} cannot read replenishment across stores; admin or viewer keys can")

    def require_stock_feed(self, node_ids: set[str]) -> None:
        """Stock counts and movements come from an admin, or from a node about itself only."""
        if self.role == Role.ADMIN:
            return
        if self.role != Role.NODE:
            raise Forbidden(f"role {self.role} cannot report stock; admin or node keys can")
        others = sorted(node_ids - {self.scope})
        if others:
            raise Forbidden(f"this key reports for node {self.scope!r} only, not {', '.join(others)}")

    def require_return_start(self, channel: str) -> None:
        """A return is started by an admin, or by a channel key in its own channel, for an order of any
        channel (a web order brought back to a store)."""
        if self.role not in (Role.ADMIN, Role.CHANNEL):
            raise Forbidden(f"role {self.role} cannot start returns; admin or channel keys can")
        if self.role == Role.CHANNEL and channel != self.scope:
            raise Forbidden(f"this key is scoped to channel {self.scope!r}, not {channel!r}")

    def require_exchange(self, order_channel: str) -> None:
        """An exchange is a new order for the returned order's customer, to their address: only the order's
        own channel (or an admin) asks for it, so that no other channel comes to read that customer."""
        if self.role == Role.CHANNEL and order_channel != self.scope:
            raise Forbidden("an exchange is asked for by the order's own channel; this key may start a return "
                            "without one")

    def sees_return(self, channels: tuple[str, str], node_id: str | None) -> bool:
        """A channel key sees the returns it started and those of its orders; a node key those it is to
        receive or received."""
        if self.role == Role.CHANNEL:
            return self.scope in channels
        if self.role == Role.NODE:
            return self.scope == node_id
        return True

    def require_return(self, return_id: str, channels: tuple[str, str], node_id: str | None) -> None:
        """A return named by its id: one this key may not see is one it is told does not exist."""
        if not self.sees_return(channels, node_id):
            raise missing("return", return_id)

    def require_return_change(self) -> None:
        """Cancelling a return: an admin, or a channel key (of the return's or the order's channel: a key
        of another sees no such return)."""
        if self.role not in (Role.ADMIN, Role.CHANNEL):
            raise Forbidden("only an admin key or a key of the return's or the order's channel can change it")

    def require_return_receipt(self, node_id: str | None = None) -> None:
        """Returned units are received (and inspected) by an admin or by the node where they are; ``node_id``
        is the node a receipt names (checked without it: the role only)."""
        if self.role == Role.ADMIN:
            return
        if self.role != Role.NODE:
            raise Forbidden("returned units are received by a node key or an admin key")
        if node_id is not None and self.scope != node_id:
            raise Forbidden(f"units at {node_id} are received by its own node key or an admin key")

    def channel_filter(self) -> str | None:
        """The channel a listing must be limited to, if any."""
        return self.scope if self.role == Role.CHANNEL else None

    def node_filter(self) -> str | None:
        return self.scope if self.role == Role.NODE else None

    def channels_seen(self) -> list[str]:
        """The channels whose orders and availability this key sees: its own for a channel key, else all."""
        if self.role != Role.CHANNEL:
            return list(Channel)
        return [self.scope] if self.scope else []  # (a channel key always has one: ``keys.check_role``)
