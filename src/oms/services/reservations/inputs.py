"""What a hold accepts: a cart's lines and how it will be delivered."""


from pydantic import (
    Field,
    StrictInt,
)

from ...domain.vocabulary import Channel
from ..runtime.shapes import DeliveryIn, Sku, Strict


class HoldLineIn(Strict):
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=10_000)


class HoldIn(Strict):
    """Units kept for a shopper's cart or checkout until ``ttl_seconds`` pass, or the order converts them."""

    channel: Channel
    ref: str | None = Field(default=None, max_length=100, description="The cart or checkout it is for")
    lines: list[HoldLineIn] = Field(min_length=1, max_length=200)
    delivery: DeliveryIn
    ttl_seconds: StrictInt = Field(default=900, ge=30, le=3600)
