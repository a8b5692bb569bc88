"""What the promise accepts: a cart and where it goes."""


from pydantic import (
    Field,
    StrictFloat,
    StrictInt,
    model_validator,
)

from ...domain.vocabulary import Channel
from ..runtime.shapes import Address, Instant, Sku, Strict


class PointIn(Strict):
    lat: StrictFloat = Field(ge=-90, le=90)
    lng: StrictFloat = Field(ge=-180, le=180)


class DestinationIn(Strict):
    """Where the cart goes: an address with coordinates, or a point ("near me")."""

    address: Address | None = None
    lat: StrictFloat | None = Field(default=None, ge=-90, le=90)
    lng: StrictFloat | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _one(self):
        has_point = self.lat is not None and self.lng is not None
        if (self.address is None) == (not has_point) or (self.lat is None) != (self.lng is None):
            raise ValueError("give an address with lat and lng, or lat and lng alone")
        return self

    @property
    def point(self) -> tuple[float, float]:
        if self.address:
            return (self.address.lat, self.address.lng)
        assert self.lat is not None and self.lng is not None  # (``_one``: an address, or both)
        return (self.lat, self.lng)


class PromiseLineIn(Strict):
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=10_000)


class PromiseIn(Strict):
    channel: Channel
    lines: list[PromiseLineIn] = Field(min_length=1, max_length=200)
    destination: DestinationIn
    at: Instant | None = Field(
        default=None, description="When the order would be placed (default: now); a time other than now "
                                  "answers what would be offered then, without promise ids")
