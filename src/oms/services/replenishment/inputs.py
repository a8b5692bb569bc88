"""What the replenishment settings accept: each store's supply, and the rules for its SKUs."""

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt, field_validator, model_validator

from ..runtime.shapes import NodeId, Sku, Strict

Weekday = Annotated[StrictInt, Field(ge=1, le=7)]
# A SKU, a class of SKUs by their common start ("DEC-*"), or all ("*").
SkuPattern = Annotated[str, Field(min_length=1, max_length=65, pattern=r"^(\*|[A-Za-z0-9][A-Za-z0-9._\-]*\*?)$")]


class ReplenishmentStoreIn(Strict):
    """How a store is supplied."""

    node_id: NodeId = Field(description="The store")
    source_node_id: NodeId = Field(description="The DC that supplies it")
    order_weekdays: list[Weekday] = Field(min_length=1, max_length=7,
                                          description="ISO weekdays it orders (1 = Monday): an order must "
                                                      "last until the next one")
    lead_days: StrictFloat = Field(ge=0, le=60, description="Days from an order to its delivery at the store")
    lead_sigma_days: StrictFloat = Field(default=0, ge=0, le=30, description="How much that varies (standard "
                                                                              "deviation, days)")

    @field_validator("order_weekdays")
    @classmethod
    def _once(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("names a weekday twice")
        return sorted(value)


class ReplenishmentRuleIn(Strict):
    """How a store (or every store, ``*``) replenishes a SKU, a class of SKUs (``DEC-*``) or all (``*``);
    a field left out is the next less specific rule's."""

    node_id: NodeId | Literal["*"] = "*"
    sku: SkuPattern = "*"
    policy: Literal["order_up_to", "min_max", "days_of_supply"] | None = None
    service_level: StrictFloat | None = Field(default=None, ge=0.5, le=0.999,
                                              description="The chance the shelf does not run out before the next "
                                                          "delivery (cycle service level)")
    presentation_min: StrictInt | None = Field(default=None, ge=0, le=100_000,
                                               description="Units the shelf shows (facings × depth)")
    shelf_capacity: StrictInt | None = Field(default=None, ge=0, le=1_000_000, description="0: no limit")
    case_pack: StrictInt | None = Field(default=None, ge=1, le=10_000)
    rounding_threshold: StrictFloat | None = Field(default=None, ge=0, le=1,
                                                   description="The part of a pack that makes a whole one")
    min_order: StrictInt | None = Field(default=None, ge=0, le=100_000)
    days_of_supply: StrictInt | None = Field(default=None, ge=1, le=365)

    @model_validator(mode="after")
    def _shelf(self):
        if self.presentation_min and self.shelf_capacity and self.presentation_min > self.shelf_capacity:
            raise ValueError(f"presentation_min {self.presentation_min} is more than the shelf's "
                             f"{self.shelf_capacity}")
        return self


class RunIn(Strict):
    """A replenishment run: for the stores named (else those ordering that day), the SKUs named (else all they
    range)."""

    date: dt.date | None = Field(default=None, description="The order day (default: today)")
    nodes: list[NodeId] | None = Field(default=None, min_length=1, max_length=5000)
    skus: list[Sku] | None = Field(default=None, min_length=1, max_length=5000)


class ApprovedLine(Strict):
    """A proposal approved at another quantity than the run's (0: not sent)."""

    node_id: NodeId
    sku: Sku
    quantity: StrictInt = Field(ge=0, le=100_000)


class ApproveIn(Strict):
    """A run approved: every line as proposed, but those named here at their quantity."""

    lines: list[ApprovedLine] = Field(default_factory=list, max_length=5000)
    moves: bool = Field(default=True, description="Send the run's store-to-store moves too")


class TransferLineIn(Strict):
    """What the DC found of a SKU (pick), or what the store counted of it (receive)."""

    sku: Sku
    quantity: StrictInt = Field(ge=0, le=100_000, description="Picked: units found; received: units put on the "
                                                              "shelves")
    damaged: StrictInt = Field(default=0, ge=0, le=100_000, description="Received: units that came damaged")


class TransferActionIn(Strict):
    """A DC's or a store's word on a transfer; lines not named went as planned (all picked, all received)."""

    lines: list[TransferLineIn] = Field(default_factory=list, max_length=5000)
    carrier: str | None = Field(default=None, min_length=1, max_length=64)
    tracking_number: str | None = Field(default=None, min_length=1, max_length=100)
    reason: str | None = Field(default=None, min_length=1, max_length=500)
