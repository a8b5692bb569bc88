"""Every lifecycle and its table: fulfilment orders, orders, cart holds, returns, transfers, webhook deliveries.

A fulfilment order is the part of an order released to one node. Its status moves only through
``FULFILLMENT_TRANSITIONS``; the order's own status is never set by hand, it is ``derive_order_status``
of its fulfilment orders and of the units no node holds yet. Holds, returns and webhook deliveries move
through their own tables (``HOLD_TRANSITIONS``, ``RETURN_TRANSITIONS``, ``TRANSFER_TRANSITIONS``,
``DELIVERY_TRANSITIONS``): the
services check each move there, and a move a table lacks is an ``IllegalTransition``. The groups of
statuses the services ask about are named here too, once each.
"""

from collections.abc import Iterable, Mapping
from typing import TypeVar

from .errors import IllegalTransition
from .vocabulary import Word


class FStatus(Word):
    BACKORDERED = "backordered"  # waits for expected supply at its node; released when the units are there
    PLANNED = "planned"  # units reserved at its node, released to it at the node's next release wave
    RELEASED = "released"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PICKED = "picked"
    PACKED = "packed"  # in parcels, weighed: ready for the carrier (or the counter)
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    READY_FOR_PICKUP = "ready_for_pickup"
    COLLECTED = "collected"
    CANCELLED = "cancelled"


F = FStatus
FULFILLMENT_TRANSITIONS: dict[FStatus, frozenset[FStatus]] = {
    # (planned: its units came while its order is on hold)
    F.BACKORDERED: frozenset({F.RELEASED, F.PLANNED, F.CANCELLED}),
    F.PLANNED: frozenset({F.RELEASED, F.CANCELLED}),
    F.RELEASED: frozenset({F.ACCEPTED, F.REJECTED, F.CANCELLED}),
    # A node may skip the pick and pack confirmations: shipping or readying an accepted order means all
    # was picked (and packed).
    F.ACCEPTED: frozenset({F.PICKED, F.PACKED, F.SHIPPED, F.READY_FOR_PICKUP, F.CANCELLED}),
    F.PICKED: frozenset({F.PACKED, F.SHIPPED, F.READY_FOR_PICKUP, F.CANCELLED}),
    F.PACKED: frozenset({F.SHIPPED, F.READY_FOR_PICKUP, F.CANCELLED}),
    # Shipped to a pickup node (a transfer for Click & Collect), it then becomes ready there.
    # ... or it comes back undelivered (the carrier returned it): its units are a return then.
    F.SHIPPED: frozenset({F.DELIVERED, F.READY_FOR_PICKUP, F.CANCELLED}),
    F.READY_FOR_PICKUP: frozenset({F.COLLECTED, F.CANCELLED}),
    F.DELIVERED: frozenset(),
    F.COLLECTED: frozenset(),
    F.REJECTED: frozenset(),
    F.CANCELLED: frozenset(),
}
# Moves that only make sense for one kind of delivery.
HOME_ONLY = frozenset({F.DELIVERED})
PICKUP_ONLY = frozenset({F.READY_FOR_PICKUP, F.COLLECTED})

# What a node says (``POST /v1/fulfillments/{id}/{action}``) and the status it asks for.
ACTIONS: dict[str, FStatus] = {
    "accept": F.ACCEPTED,
    "reject": F.REJECTED,
    "pick": F.PICKED,
    "pack": F.PACKED,
    "ship": F.SHIPPED,
    "deliver": F.DELIVERED,
    "ready": F.READY_FOR_PICKUP,
    "collect": F.COLLECTED,
}

# Groups of fulfilment order statuses.
# Statuses in which units may still be reserved at the sending node, least work done first. (A transfer
# that is ready for pickup holds nothing any more: its units left when it was shipped.)
HOLDING = (F.PLANNED, F.RELEASED, F.ACCEPTED, F.PICKED, F.PACKED, F.READY_FOR_PICKUP)
# Final statuses: no move leaves them.
CLOSED = frozenset({F.DELIVERED, F.COLLECTED, F.REJECTED, F.CANCELLED})
# Parts that count for nothing any more: the node refused them, or they were cancelled.
DROPPED = (F.REJECTED, F.CANCELLED)
# Parts whose units can still be cancelled, least work done first.
CANCELLABLE = (F.BACKORDERED, *HOLDING)
# The node has not done the work its day's place was for.
UNWORKED = (F.PLANNED, F.RELEASED, F.ACCEPTED)
# Work the node has: where it confirms cancels, they wait for its word.
CANCEL_ASKED = (F.RELEASED, F.ACCEPTED, F.PICKED, F.PACKED)
# The units leave the node: a cancel still waiting for the node's word can no longer be.
LEAVING = (F.SHIPPED, F.COLLECTED)
# The customer has the units: delivered or collected.
REACHED = (F.DELIVERED, F.COLLECTED)
# Moves whose time the fulfilment order keeps (``details.shipped_at`` …).
STAMPED = frozenset({F.SHIPPED, F.READY_FOR_PICKUP, F.DELIVERED, F.COLLECTED})
# What the node where the customer collects does with a parcel another node sent.
HANDOVER_STEPS = frozenset({F.READY_FOR_PICKUP, F.COLLECTED})


def check_transition(current: str, requested: str, *, pickup: bool, transfer: bool = False) -> FStatus:
    """The requested status if the table allows it for this kind of delivery, else IllegalTransition.

    ``transfer``: a pickup order sent from another node than the one where the customer collects; it
    is shipped there first and only then ready. Without a transfer nothing is shipped for a pickup.
    """
    cur, req = FStatus(current), FStatus(requested)
    allowed = req in FULFILLMENT_TRANSITIONS[cur]
    if (pickup and req in HOME_ONLY) or (not pickup and req in PICKUP_ONLY):
        allowed = False
    if pickup and transfer and req == F.READY_FOR_PICKUP and cur != F.SHIPPED:
        allowed = False
    if pickup and not transfer and req == F.SHIPPED:
        allowed = False
    if not allowed:
        raise IllegalTransition("fulfillment", cur, req)
    return req


class OStatus(Word):
    BACKORDERED = "backordered"
    CREATED = "created"
    ACCEPTED = "accepted"
    PICKED = "picked"
    PACKED = "packed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    PARTIALLY_DELIVERED = "partially_delivered"
    DELIVERED = "delivered"
    PARTIALLY_READY = "partially_ready_for_pickup"
    READY_FOR_PICKUP = "ready_for_pickup"
    PARTIALLY_COLLECTED = "partially_collected"
    COLLECTED = "collected"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"
    AWAITING_SOURCING = "awaiting_sourcing"
    ON_HOLD = "on_hold"  # its units reserved, its nodes not given the work until the hold is released (payment)
    CANCELLED = "cancelled"


# How far a fulfilment order has gone; the order is as far as its least advanced part.
_PROGRESS: dict[str, float] = {
    F.BACKORDERED: -1, F.PLANNED: 0, F.RELEASED: 0, F.ACCEPTED: 1, F.PICKED: 2, F.PACKED: 2.5, F.SHIPPED: 3,
    F.READY_FOR_PICKUP: 4, F.DELIVERED: 5, F.COLLECTED: 5}
_WHOLE: dict[float, OStatus] = {-1: OStatus.BACKORDERED, 0: OStatus.CREATED, 1: OStatus.ACCEPTED, 2: OStatus.PICKED,
                                2.5: OStatus.PACKED, 3: OStatus.SHIPPED, 4: OStatus.READY_FOR_PICKUP}
_PARTIAL: dict[float, OStatus] = {3: OStatus.PARTIALLY_SHIPPED, 4: OStatus.PARTIALLY_READY}


def derive_order_status(fulfillment_statuses: Iterable[str], *, unallocated_units: int, pickup: bool,
                        held: bool = False) -> OStatus:
    """The order status from its fulfilment orders and the units that no live fulfilment order holds.

    Units are unallocated when a node rejected them and nothing else was found yet: the order then
    waits for sourcing until they are re-sourced or cancelled. An order ``held`` (its payment awaited) is on
    hold until it is cancelled: no node has its work yet.
    """
    live = [FStatus(s) for s in fulfillment_statuses if s not in DROPPED]
    if unallocated_units > 0:
        return OStatus.AWAITING_SOURCING
    if not live:
        return OStatus.CANCELLED
    if held:
        return OStatus.ON_HOLD
    levels = [_PROGRESS[s] for s in live]
    low, high = min(levels), max(levels)
    if low == 5:
        return OStatus.COLLECTED if pickup else OStatus.DELIVERED
    if high == 5:
        return OStatus.PARTIALLY_COLLECTED if pickup else OStatus.PARTIALLY_DELIVERED
    if high >= 3 and low < high:
        return _PARTIAL[high]
    return _WHOLE[low]


# Groups of order statuses.
# Orders that are over for the promise: it was kept or not, or there is nothing left to send.
SETTLED = (OStatus.DELIVERED, OStatus.COLLECTED, OStatus.PARTIALLY_RETURNED, OStatus.RETURNED, OStatus.CANCELLED)
# Orders that reached the customer, wholly (True) or in part: only they show returns in their status.
_REACHED = {OStatus.DELIVERED: True, OStatus.COLLECTED: True,
            OStatus.PARTIALLY_DELIVERED: False, OStatus.PARTIALLY_COLLECTED: False}


def with_returns(status: OStatus, *, returned_units: int, sent_units: int) -> OStatus:
    """The status once returns are received: ``returned`` when every unit sent to the customer came back,
    ``partially_returned`` when some did. An order still on its way keeps showing its progress."""
    if returned_units <= 0 or status not in _REACHED:
        return status
    return OStatus.RETURNED if _REACHED[status] and returned_units >= sent_units else OStatus.PARTIALLY_RETURNED


_Status = TypeVar("_Status", bound=Word)


def _check(entity: str, table: Mapping[_Status, frozenset[_Status]], kind: type[_Status], current: str,
           requested: str) -> _Status:
    """The requested status if ``table`` has the move, else IllegalTransition naming both statuses."""
    cur, req = kind(current), kind(requested)
    if req not in table[cur]:
        raise IllegalTransition(entity, cur, req)
    return req


# A cart or checkout hold (``reservations.holds``).
class HStatus(Word):
    ACTIVE = "active"  # its units are reserved for the shopper until it expires
    RELEASED = "released"  # the shopper let them go
    EXPIRED = "expired"  # ended by the sweeper, or by a sale short of its SKUs, once past its expiry
    CONVERTED = "converted"  # an order took its units


H = HStatus
# A hold ends once, and an ended hold is final: releasing it again changes nothing, and an order that
# names it competes for stock like any other.
HOLD_TRANSITIONS: dict[HStatus, frozenset[HStatus]] = {
    H.ACTIVE: frozenset({H.RELEASED, H.EXPIRED, H.CONVERTED}),
    H.RELEASED: frozenset(),
    H.EXPIRED: frozenset(),
    H.CONVERTED: frozenset(),
}


def check_hold_transition(current: str, requested: str) -> HStatus:
    """The requested status if a hold may move there from ``current``, else IllegalTransition."""
    return _check("hold", HOLD_TRANSITIONS, HStatus, current, requested)


# A return: its status follows the units received and judged (``returns.status_of``).
class RStatus(Word):
    REQUESTED = "requested"  # announced; nothing received yet
    PARTIALLY_RECEIVED = "partially_received"
    AWAITING_INSPECTION = "awaiting_inspection"  # all received, some units still to judge
    RECEIVED = "received"  # all received and judged: refunded
    CANCELLED = "cancelled"


R = RStatus
RETURN_TRANSITIONS: dict[RStatus, frozenset[RStatus]] = {
    # A first receipt brings some units, or all of them (some kept to inspect, or all judged at once);
    # a return nothing of which came back may be called off.
    R.REQUESTED: frozenset({R.PARTIALLY_RECEIVED, R.AWAITING_INSPECTION, R.RECEIVED, R.CANCELLED}),
    # More units arrive, or units kept to inspect are judged while others are still on their way.
    R.PARTIALLY_RECEIVED: frozenset({R.PARTIALLY_RECEIVED, R.AWAITING_INSPECTION, R.RECEIVED}),
    # Kept units are judged: some of them, or the last ones.
    R.AWAITING_INSPECTION: frozenset({R.AWAITING_INSPECTION, R.RECEIVED}),
    R.RECEIVED: frozenset(),
    R.CANCELLED: frozenset(),
}


def check_return_transition(current: str, requested: str) -> RStatus:
    """The requested status if a return may move there from ``current``, else IllegalTransition."""
    return _check("return", RETURN_TRANSITIONS, RStatus, current, requested)


# A transfer: units a DC sends a store (``replenishment.transfers``).
class TStatus(Word):
    RELEASED = "released"  # its units reserved at the DC, the work sent to it
    ACCEPTED = "accepted"
    PICKED = "picked"  # what the DC found (a line may be short)
    SHIPPED = "shipped"  # on its way: gone from the DC, expected at the store
    RECEIVED = "received"  # counted at the store: on its shelves, a shortage or damage recorded
    CANCELLED = "cancelled"


T = TStatus
TRANSFER_TRANSITIONS: dict[TStatus, frozenset[TStatus]] = {
    # The DC may skip the pick confirmation: shipping an accepted transfer means all was found. Once shipped,
    # the units are on the road: only the store's count ends it.
    T.RELEASED: frozenset({T.ACCEPTED, T.CANCELLED}),
    T.ACCEPTED: frozenset({T.PICKED, T.SHIPPED, T.CANCELLED}),
    T.PICKED: frozenset({T.SHIPPED, T.CANCELLED}),
    T.SHIPPED: frozenset({T.RECEIVED}),
    T.RECEIVED: frozenset(),
    T.CANCELLED: frozenset(),
}
# What the DC and the store say (``POST /v1/transfers/{id}/{action}``), and the status each asks for.
TRANSFER_ACTIONS: dict[str, TStatus] = {"accept": T.ACCEPTED, "pick": T.PICKED, "ship": T.SHIPPED,
                                        "receive": T.RECEIVED, "cancel": T.CANCELLED}
# Statuses whose units are still reserved at the DC.
TRANSFER_HOLDING = (T.RELEASED, T.ACCEPTED, T.PICKED)


def check_transfer_transition(current: str, requested: str) -> TStatus:
    """The requested status if a transfer may move there from ``current``, else IllegalTransition."""
    return _check("transfer", TRANSFER_TRANSITIONS, TStatus, current, requested)


# A webhook delivery: one event sent to one subscription (``partners.webhook_sender``).
class DStatus(Word):
    PENDING = "pending"  # to send, or to send again after a failed attempt
    DELIVERED = "delivered"  # the partner answered 2xx
    DEAD = "dead"  # every attempt failed; sent again only when replayed


D = DStatus
# No delivery is final: an admin may replay any of them (the ones named, delivered ones too, or every
# dead one), and it starts again from a first attempt.
DELIVERY_TRANSITIONS: dict[DStatus, frozenset[DStatus]] = {
    # A failed attempt leaves it pending, to be tried again later, until the last one; a replay of a
    # pending one starts it again.
    D.PENDING: frozenset({D.PENDING, D.DELIVERED, D.DEAD}),
    D.DELIVERED: frozenset({D.PENDING}),
    D.DEAD: frozenset({D.PENDING}),
}


def check_delivery_transition(current: str, requested: str) -> DStatus:
    """The requested status if a webhook delivery may move there from ``current``, else IllegalTransition."""
    return _check("webhook delivery", DELIVERY_TRANSITIONS, DStatus, current, requested)
