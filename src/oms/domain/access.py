"""Who may do what: the one place where roles and scopes are checked."""

from dataclasses import dataclass

from .errors import Forbidden
from .vocabulary import Role


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    scope: str | None = None  # the channel of a ``channel`` key, the node id of a ``node`` key

    @property
    def actor(self) -> str:
        """How the timeline names who did something."""
        return f"{self.role}:{self.scope}" if self.scope else f"{self.role}:{self.key_id}"

    def require_admin(self) -> None:
        if self.role != Role.ADMIN:
            raise Forbidden(f"role {self.role} cannot change reference data; an admin key is needed")

    def require_order_read(self, channel: str | None = None) -> None:
        if self.role == Role.NODE:
            raise Forbidden("node keys see orders through their node's fulfillments")
        if self.role == Role.CHANNEL and channel is not None and channel != self.scope:
            raise Forbidden(f"this key is scoped to channel {self.scope!r}, not {channel!r}")

    def require_order_write(self, channel: str) -> None:
        if self.role in (Role.VIEWER, Role.NODE):
            raise Forbidden(f"role {self.role} cannot create or change orders")
        self.require_order_read(channel)

    def require_fulfillment_read(self, node_id: str) -> None:
        if self.role == Role.CHANNEL:
            raise Forbidden("channel keys see fulfillments inside their orders")
        if self.role == Role.NODE and node_id != self.scope:
            raise Forbidden(f"this key is scoped to node {self.scope!r}, not {node_id!r}")

    def require_fulfillment_action(self, node_id: str) -> None:
        if self.role == Role.VIEWER:
            raise Forbidden("viewer keys cannot confirm fulfillments")
        self.require_fulfillment_read(node_id)

    def channel_filter(self) -> str | None:
        """The channel a listing must be limited to, if any."""
        return self.scope if self.role == Role.CHANNEL else None

    def node_filter(self) -> str | None:
        return self.scope if self.role == Role.NODE else None
