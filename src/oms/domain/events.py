"""The event catalogue: every event type the service emits, the fields its ``data`` always carries and when
it is emitted.

One list serves all that names events: what a webhook subscription may name (``webhooks.known``), what the
outbox writes (``services.partners.events.event`` refuses another type, or data without its fields) and the
API guide's table of events (a test keeps the two the same). A fulfilment order's every status is an event,
and so is every tracking status a carrier reports.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .lifecycle import FStatus, TStatus
from .tracking import Tracking


@dataclass(frozen=True)
class EventType:
    name: str  # "<family>.<what happened>"
    fields: tuple[str, ...]  # the keys every such event's data carries (some carry more)
    when: str  # when it is emitted, in one sentence

    @property
    def family(self) -> str:
        return self.name.split(".")[0]

    def missing(self, data: Mapping[str, Any]) -> list[str]:
        """The fields this type's events carry that ``data`` lacks."""
        return [f for f in self.fields if f not in data]


# Payloads shared by several types: a fulfilment order as the API shows it; the work as its node receives it
# (with the order); an order as the API shows it; a carrier's news; a return; a stock row's level.
FULFILLMENT = ("id", "order_id", "node_id", "handover_node_id", "status", "details", "lines", "created_at",
               "updated_at")
RELEASE = (*FULFILLMENT, "order")
ORDER = ("id", "channel", "external_ref", "status", "hold", "customer", "delivery", "total", "lines", "fulfillments",
         "dates", "at_risk", "created_at", "updated_at")
SHIPMENT = ("fulfillment_id", "tracking_number", "status", "occurred_at")
RETURN = ("order_id", "return_id", "channel", "kind", "method", "node_id", "exchange_order_id", "lines")
RETURN_JUDGED = ("order_id", "return_id", "node_id", "status", "lines")
ASKED = ("fulfillment_id", "node_id", "order_id", "lines")  # a cancel asked of a node, and its answer
STOCK_LEVEL = ("node_id", "sku", "available", "threshold")
TRANSFER = ("id", "source_node_id", "node_id", "run_id", "status", "expected_on", "details", "lines", "created_at",
            "updated_at")

# When each status of a fulfilment order is an event (a new status needs its sentence here).
_FULFILLMENT_WHEN: dict[FStatus, str] = {
    FStatus.BACKORDERED: "Units sourced again wait for expected supply at a node, in a new fulfilment order "
                         "(at capture, order.created carries it).",
    FStatus.PLANNED: "Units sourced again, or re-planned by the batch, are planned at a node with release waves "
                     "until its next wave (at capture, order.created carries them).",
    FStatus.RELEASED: "The work goes to its node (at capture, at the node's release wave, when backordered units "
                      "arrive, when units are sourced again): the fulfilment order and the order it is for.",
    FStatus.ACCEPTED: "The node accepts the work, or a store offered it claims it.",
    FStatus.REJECTED: "The node rejects the work or does not accept it in time; its units are sourced again.",
    FStatus.PICKED: "The node confirms the pick.",
    FStatus.PACKED: "The node confirms the work packed in parcels.",
    FStatus.SHIPPED: "The node ships the parcels (the units leave its stock).",
    FStatus.DELIVERED: "The parcels reach the customer, as the node or the carrier says.",
    FStatus.READY_FOR_PICKUP: "The parcel is ready where the customer collects it: the store says so, or the "
                              "carrier delivered it to a locker or a relay point.",
    FStatus.COLLECTED: "The customer collects the parcel.",
    FStatus.CANCELLED: "The work ends: its units are cancelled, none was found when picking, the batch plans it "
                       "anew, or its parcel is not collected in time or comes back to the sender.",
}
# When each tracking status a carrier reports is an event (each piece of news once).
_SHIPMENT_WHEN: dict[Tracking, str] = {
    Tracking.IN_TRANSIT: "The carrier reports the parcel in transit.",
    Tracking.OUT_FOR_DELIVERY: "The carrier reports the parcel out for delivery.",
    Tracking.DELIVERED: "The carrier reports the parcel delivered (the shipped fulfilment order is delivered, or "
                        "ready for pickup at a locker or a relay point).",
    Tracking.FAILED_ATTEMPT: "The carrier reports a failed delivery attempt.",
    Tracking.AT_PICKUP_POINT: "The carrier reports the parcel waiting for the customer at a post office or relay "
                              "point (after a missed delivery).",
    Tracking.RETURNED_TO_SENDER: "The carrier reports the parcel sent back (its units are cancelled on the order "
                                 "and a return is expected at the sending node).",
}

# When each status of a transfer is an event.
_TRANSFER_WHEN: dict[TStatus, str] = {
    TStatus.RELEASED: "An approved replenishment proposal becomes a transfer: its units are reserved at the DC, "
                      "the work goes to it and the store expects them.",
    TStatus.ACCEPTED: "The DC accepts the transfer.",
    TStatus.PICKED: "The DC confirms the pick (a line may be short: the units not found leave its stock).",
    TStatus.SHIPPED: "The DC ships the transfer: its units leave the DC's stock and are in transit to the store.",
    TStatus.RECEIVED: "The store counts what arrived: those units are on its shelves, a shortage or damage is "
                      "recorded.",
    TStatus.CANCELLED: "The transfer is called off before it ships: its units are free at the DC again.",
}

_TYPES = [
    EventType("order.created", ORDER, "An order is captured; the data is the order as the API shows it."),
    EventType("order.status_changed", ("order_id", "from", "to"),
              "The order's status, derived from its fulfilment orders, changes."),
    EventType("order.cancelled", ("order_id", "lines"), "The whole order is cancelled (the units cancelled now)."),
    EventType("order.lines_cancelled", ("order_id", "lines"),
              "Some units of the order are cancelled, at once or once the node confirms it will not send them."),
    EventType("order.address_changed", ("order_id", "from", "to"),
              "The delivery address changes before any unit has left a node."),
    EventType("order.resourced", ("order_id", "fulfillments", "nodes", "lines", "later_than_promised"),
              "Units a node will not send, or that no node could send yet, are sourced again."),
    EventType("order.at_risk", ("order_id", "reason", "since", "missing", "options"),
              "No node can send the order's missing units as promised: the reason and the options left (again "
              "when they change)."),
    EventType("order.replanned", ("order_id", "from", "to", "cost_before", "cost_after"),
              "The batch re-optimisation gives the order's planned work a cheaper plan."),
    *(EventType(f"fulfillment.{status}", RELEASE if status == FStatus.RELEASED else FULFILLMENT,
                _FULFILLMENT_WHEN[status]) for status in FStatus),
    EventType("fulfillment.short_picked", ("fulfillment_id", "lines"),
              "The node picks fewer units than asked; those not found are sourced again."),
    EventType("fulfillment.cancel_requested", (*ASKED, "cancel_request"),
              "Units of work released to a node that confirms cancels are asked to be cancelled."),
    EventType("fulfillment.cancel_confirmed", ASKED,
              "The node confirms a cancel it was asked for, or will not send those units anyway."),
    EventType("fulfillment.cancel_refused", ASKED,
              "The node refuses a cancel it was asked for, or ships or hands over the units before answering."),
    EventType("fulfillment.claimed", ("fulfillment_id", "order_id", "node_id", "from"),
              "A store offered another's work accepts it first and takes it over."),
    EventType("fulfillment.offers_withdrawn", ("fulfillment_id", "order_id", "taken_by", "withdrawn_from"),
              "Work offered to several stores is taken by one: the other offers end."),
    EventType("fulfillment.offer_declined", ("fulfillment_id", "order_id", "node_id"),
              "A store offered the work rejects it: its offer ends."),
    *(EventType(f"shipment.{status}", SHIPMENT, _SHIPMENT_WHEN[status]) for status in Tracking),
    EventType("return.created", RETURN,
              "A return is started, or a parcel comes back undelivered."),
    EventType("return.received", RETURN_JUDGED, "Returned units are received at a node."),
    EventType("return.inspected", RETURN_JUDGED, "Returned units awaiting inspection are judged."),
    EventType("return.cancelled", RETURN, "A return nothing of which was received is called off."),
    EventType("refund.requested", ("order_id", "amount", "exchange_credit_used", "lines"),
              "Units are to be refunded: returned ones are received, or a parcel not collected is put back on "
              "its store's shelves."),
    EventType("refund.covered_by_exchange", ("order_id", "return_id", "amount", "exchange_credit_used",
                                             "exchange_order_id", "lines"),
              "Returned units are received whose value the exchange order takes in full: nothing is refunded."),
    EventType("replenishment.proposed", ("run_id", "date", "summary", "unfilled"),
              "A replenishment run proposes what stores should receive (on demand, or on their order days); "
              "its unfilled field lists the first 100 lines a short DC could not fill."),
    *(EventType(f"transfer.{status}", TRANSFER, _TRANSFER_WHEN[status]) for status in TStatus),
    EventType("inventory.low", STOCK_LEVEL,
              "A node's available units of a SKU fall below the low-stock threshold (once, until they are back)."),
    EventType("inventory.replenished", STOCK_LEVEL,
              "A node's available units of a SKU that were low are back at or above the threshold."),
]

CATALOGUE: dict[str, EventType] = {t.name: t for t in _TYPES}
EVENT_TYPES: frozenset[str] = frozenset(CATALOGUE)
FAMILIES: frozenset[str] = frozenset(t.family for t in _TYPES)
