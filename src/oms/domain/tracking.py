"""What carriers say about a parcel, and what it does to its fulfilment order."""

from .vocabulary import Word


class Tracking(Word):
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    FAILED_ATTEMPT = "failed_attempt"
    AT_PICKUP_POINT = "at_pickup_point"  # waiting at a post office or a relay point for the customer to fetch
    RETURNED_TO_SENDER = "returned_to_sender"


# The carrier's word that moves the fulfilment order; the others are recorded in its timeline only.
MOVES = {Tracking.DELIVERED: "delivered"}


# La Poste's Suivi v2 event codes (Colissimo, Chronopost, tracked letters), by what they mean here. Codes not
# named are the parcel moving on (taken in, sorted, through customs): in transit.
LAPOSTE: dict[str, Tracking] = {
    "MD2": Tracking.OUT_FOR_DELIVERY,  # mis en distribution
    "DI1": Tracking.DELIVERED,  # distribué
    "DI2": Tracking.RETURNED_TO_SENDER,  # distribué à l'expéditeur
    "RE1": Tracking.RETURNED_TO_SENDER,  # retourné à l'expéditeur
    "AG1": Tracking.AT_PICKUP_POINT,  # en attente d'être retiré au guichet
    "ND1": Tracking.FAILED_ATTEMPT,  # non distribuable
    "PB1": Tracking.FAILED_ATTEMPT,  # problème en cours
}
