"""What the order use cases accept: an order, a cancel, a new address, a re-sourcing, a batch re-optimisation."""


from typing import Literal

from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from ...domain.vocabulary import Channel
from ..runtime.shapes import INT32, Address, Customer, DeliveryIn, OrderLineIn, Sku, Strict


class OrderIn(Strict):
    channel: Channel
    external_ref: str = Field(min_length=1, max_length=100)
    customer: Customer
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)
    delivery: DeliveryIn
    hold_id: str | None = Field(default=None, max_length=40, description="A hold whose units this order takes")
    hold: Literal["payment"] | None = Field(
        default=None, description="payment: not paid yet. The order is on hold, its units reserved, and no node "
                                  "gets its work until it is released (POST /v1/orders/{id}/release) or cancelled")

    @field_validator("lines")
    @classmethod
    def _one_currency(cls, lines: list[OrderLineIn]):
        currencies = {line.unit_price.currency for line in lines}
        if len(currencies) > 1:
            raise ValueError(f"all lines must be in one currency, got {', '.join(sorted(currencies))}")
        return lines


class CancelLine(Strict):
    sku: Sku | None = None
    line_no: StrictInt | None = Field(default=None, ge=1, le=INT32)
    quantity: StrictInt | None = Field(default=None, gt=0, le=INT32,
                                       description="Default: all that is left on the line")

    @model_validator(mode="after")
    def _which(self):
        if (self.sku is None) == (self.line_no is None):
            raise ValueError("give exactly one of sku or line_no")
        return self


class CancelIn(Strict):
    lines: list[CancelLine] | None = Field(default=None, min_length=1, description="Omit to cancel the whole order")
    # Required: the timeline tells customer service and the channel why the units were cancelled.
    reason: str = Field(min_length=1, max_length=500, description="Why (the customer's words, a fraud check …)")


class ResourceIn(Strict):
    late: StrictBool = Field(default=False, description="Accept a later delivery than promised (the customer agreed)")
    reason: str | None = Field(default=None, max_length=500)


class ReleaseIn(Strict):
    reason: str | None = Field(default=None, max_length=500, description="Why (the payment received …)")


class AddressChangeIn(Strict):
    address: Address
    reason: str | None = Field(default=None, max_length=500)


class ReoptimiseIn(Strict):
    apply: StrictBool = Field(default=True, description="false: answer what would change, store nothing")
