"""What capture and holds share before touching stock: the checked request, the needs, the eligible nodes."""

from collections.abc import Sequence
from dataclasses import dataclass

from ..domain.ordering import check_order
from ..domain.sourcing import Candidate, Need
from .context import Context
from .inputs import DeliveryIn


@dataclass(frozen=True)
class Request:
    needs: list[Need]
    candidates: list[Candidate]
    destination: tuple[float, float]


async def prepare(ctx: Context, lines: Sequence, delivery: DeliveryIn) -> Request:
    """Lines (``sku``, ``quantity``) and a delivery checked against the reference data (InvalidInput)."""
    skus = [line.sku for line in lines]
    pickup_ids = {delivery.pickup_node_id} if delivery.pickup_node_id else set()
    snap = await ctx.reference.knowing(ctx.db, set(skus), pickup_ids)
    point = (delivery.address.lat, delivery.address.lng) if delivery.address else None
    candidates, destination = check_order(skus, delivery.mode, delivery.pickup_node_id, point,
                                          snap.products, snap.nodes)
    needs = [Need(i + 1, line.sku, line.quantity) for i, line in enumerate(lines)]
    return Request(needs, candidates, destination)
