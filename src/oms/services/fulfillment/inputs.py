"""What the nodes and carriers send about their work: actions, picks, parcels, cancel answers, tracking."""


from pydantic import (
    Field,
    StrictInt,
)

from ...domain.tracking import Tracking
from ..runtime.shapes import INT32, NodeTime, Sku, Strict


class CancelAnswerIn(Strict):
    """A node's answer to a cancel it was asked to confirm."""

    reason: str | None = Field(default=None, max_length=500, description="refuse: why the units will be sent")


class TrackingIn(Strict):
    tracking_number: str = Field(min_length=1, max_length=100)
    status: Tracking
    # A carrier's clock, like a node's: its news cannot come from the future (a "delivered" dated years
    # ahead would set the order's delivered date).
    occurred_at: NodeTime | None = None
    description: str | None = Field(default=None, max_length=500)


class PickedLine(Strict):
    sku: Sku
    quantity: StrictInt = Field(ge=0, le=INT32)


class ParcelIn(Strict):
    weight_g: StrictInt = Field(gt=0, le=INT32, description="What the parcel weighs, grams")
    reference: str | None = Field(default=None, max_length=100, description="The node's label for it")


class ActionIn(Strict):
    """Details of a node's confirmation; which fields apply depends on the action."""

    reason: str | None = Field(default=None, max_length=500, description="reject: why (required)")
    lines: list[PickedLine] | None = Field(default=None, description="pick: quantities found (short picks)")
    carrier: str | None = Field(default=None, max_length=100, description="ship")
    tracking_number: str | None = Field(default=None, max_length=100, description="ship")
    pickup_code: str | None = Field(default=None, max_length=20, description="ready: set; collect: check")
    parcels: list[ParcelIn] | None = Field(default=None, min_length=1, max_length=100,
                                           description="pack: the parcels made, each weighed")
