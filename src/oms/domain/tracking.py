"""What carriers say about a parcel, and what it does to its fulfilment order."""

from .vocabulary import Word


class Tracking(Word):
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    FAILED_ATTEMPT = "failed_attempt"
    RETURNED_TO_SENDER = "returned_to_sender"


# The carrier's word that moves the fulfilment order; the others are recorded in its timeline only.
MOVES = {Tracking.DELIVERED: "delivered"}
