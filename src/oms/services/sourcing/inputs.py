"""What a sourcing simulation accepts: a draft strategy and sample orders."""


from pydantic import (
    Field,
    StrictInt,
)

from ...domain.vocabulary import Channel
from ..promise.inputs import PromiseLineIn
from ..reference.inputs import StrategyIn
from ..runtime.shapes import INT32, DeliveryIn, Strict


class SampleOrderIn(Strict):
    """An order to source in a simulation: nothing is reserved or stored."""

    channel: Channel
    lines: list[PromiseLineIn] = Field(min_length=1, max_length=200)
    delivery: DeliveryIn


class SimulateIn(Strict):
    """A draft strategy tried on sample orders, beside the live one."""

    strategy: StrategyIn = Field(description="The draft; its channel and mode are not used")
    split_penalty: StrictInt | None = Field(default=None, ge=0, le=10**9, description="Draft value (default: live)")
    depletion_cost_per_unit: StrictInt | None = Field(default=None, ge=0, le=10**9, description="Draft value")
    store_protection_units: StrictInt | None = Field(default=None, ge=0, le=INT32, description="Draft value")
    orders: list[SampleOrderIn] = Field(min_length=1, max_length=1000)
