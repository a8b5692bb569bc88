"""What the returns API accepts: a return announced, its receipt at a node, the inspection of kept units."""

from typing import Literal

from pydantic import Field, StrictInt, field_validator

from ...domain.returns import JUDGEMENTS, Disposition
from ...domain.vocabulary import Channel
from ..runtime.shapes import DeliveryIn, NodeId, Sku, Strict


class ReturnLineIn(Strict):
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=10_000)
    reason: str = Field(min_length=1, max_length=200, description="Why the customer returns it: damaged, "
                                                                   "wrong_size, changed_mind …")
    line_no: StrictInt | None = Field(default=None, ge=1, description="The order line, when the SKU is on several")


class ExchangeLineIn(Strict):
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=10_000)


class ExchangeIn(Strict):
    """A new order sent in exchange, paid with the returned units' value (catalogue prices)."""

    lines: list[ExchangeLineIn] = Field(min_length=1, max_length=200)
    delivery: DeliveryIn | None = Field(default=None, description="Where it goes; the returned order's "
                                                                  "delivery when absent")


class ReturnIn(Strict):
    order_id: str = Field(min_length=1, max_length=40)
    channel: Channel = Field(description="Where the customer starts the return; any channel, also another "
                                         "than the order's")
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    method: Literal["mail", "in_store"] = "mail"
    node_id: NodeId | None = Field(default=None, description="Where the units are expected (the store, the "
                                                             "returns centre), if known")
    exchange: ExchangeIn | None = None


class ReceivedLineIn(Strict):
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=10_000)
    disposition: Disposition = Field(description="restock, damaged, or inspect (also said to_inspect)")

    @field_validator("disposition", mode="before")
    @classmethod
    def _also(cls, value):
        return Disposition.INSPECT if value == "to_inspect" else value


class ReceiveIn(Strict):
    node_id: NodeId = Field(description="The node where the units arrived")
    lines: list[ReceivedLineIn] = Field(min_length=1, max_length=200)


class InspectedLineIn(Strict):
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=10_000)
    disposition: Disposition

    @field_validator("disposition")
    @classmethod
    def _judged(cls, value: Disposition) -> Disposition:
        if value not in JUDGEMENTS:
            raise ValueError("an inspection concludes restock or damaged")
        return value


class InspectIn(Strict):
    lines: list[InspectedLineIn] = Field(min_length=1, max_length=200)


class ReturnCancelIn(Strict):
    reason: str | None = Field(default=None, max_length=500)
