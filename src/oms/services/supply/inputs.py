"""What the supply writer accepts: purchase orders and transfers expected at nodes."""

from typing import Literal

from pydantic import (
    Field,
    StrictInt,
)

from ..runtime.shapes import INT32, Day, NodeId, Sku, Strict

SupplyStatus = Literal["expected", "received", "cancelled"]


class SupplyIn(Strict):
    """Units on their way to a node: a purchase order line or a transfer, expected on a date."""

    id: str = Field(min_length=1, max_length=100, description="The sender's reference; sending it again updates it")
    kind: Literal["purchase_order", "transfer"]
    node_id: NodeId
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=INT32)
    expected_on: Day
    status: SupplyStatus = "expected"
