"""What the stock writers accept: stock rows, a node's counts (snapshots) and its movements (deltas)."""

from typing import NamedTuple

from pydantic import (
    Field,
    StrictInt,
    field_validator,
)

from ...domain.vocabulary import FeedReason
from ..runtime.shapes import INT32, NodeId, NodeTime, Sku, Strict


class StockIn(Strict):
    node_id: NodeId
    sku: Sku
    on_hand: StrictInt = Field(ge=0, le=INT32)
    safety_stock: StrictInt | None = Field(default=None, ge=0, le=INT32)


class StockLine(NamedTuple):
    """A stock row already checked against ``StockIn``'s rules, for bulk loads: a tuple costs a fraction of a
    model, and millions of them stream from a file or the generator."""

    node_id: str
    sku: str
    on_hand: int
    safety_stock: int | None = None  # None keeps the row's own (the node's default for a new row)


class CountIn(Strict):
    sku: Sku
    on_hand: StrictInt = Field(ge=0, le=INT32)


class SnapshotIn(Strict):
    """A node's full count: absolute on-hand per SKU, as counted at ``counted_at``."""

    node_id: NodeId
    counted_at: NodeTime = Field(description="When the count was taken (with its UTC offset)")
    # Empty: nothing counted, a no-op (SKUs not listed keep their on-hand), like every empty bulk call.
    items: list[CountIn] = Field(max_length=5000)


class DeltaIn(Strict):
    """One movement reported by a node: a till sale, a receipt, an adjustment, a damage, a return."""

    event_id: str = Field(min_length=1, max_length=200,
                          description="The sending node's id for the message, unique per node: a resend is a no-op")
    node_id: NodeId
    sku: Sku
    delta: StrictInt = Field(ge=-INT32, le=INT32, description="Units in (+) or out (-)")
    reason: FeedReason
    occurred_at: NodeTime = Field(description="When it happened at the node (with its UTC offset)")

    @field_validator("delta")
    @classmethod
    def _moves(cls, value: int) -> int:
        if value == 0:
            raise ValueError("a movement moves at least one unit")
        return value
