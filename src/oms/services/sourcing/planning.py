"""What capture and holds share before touching stock: the checked request, the needs, the eligible nodes."""

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ...domain.errors import FieldError, InvalidInput
from ...domain.ordering import check_order, senders
from ...domain.protection import Rules
from ...domain.sourcing import Candidate, Need
from ..promise.ways import unfit
from ..reference.cache import Snapshot
from ..runtime.context import Context
from ..runtime.shapes import DeliveryIn


@dataclass(frozen=True)
class Request:
    needs: list[Need]
    candidates: list[Candidate]
    destination: tuple[float, float]
    channel: str
    rules: Rules
    node_types: dict[str, str]
    snap: Snapshot  # the reference data it was checked against
    pickup_node_id: str | None = None  # where the customer collects, for pickup modes
    mode: str = ""  # the delivery mode

    def promisable(self, available: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
        """What the channel's rules leave it of each node's available units."""
        return {(n, s): self.rules.promisable(self.channel, self.node_types[n], q)
                for (n, s), q in available.items() if n in self.node_types}

    @property
    def collected_at(self) -> frozenset[str]:
        """The store the customer collects from, if any: never passed over for a full day (its own shelves
        on its next day with room beat a transfer)."""
        return frozenset(() if self.pickup_node_id is None else (self.pickup_node_id,))

    @property
    def backorder(self) -> bool:
        """Lines stock cannot serve may wait for expected supply."""
        return self.rules.rule(self.channel).backorder

    def guard(self, node_id: str) -> tuple[int, int]:
        return self.rules.guard(self.channel, self.node_types[node_id])


async def prepare(ctx: Context, channel: str, lines: Sequence, delivery: DeliveryIn, *,
                  priced: bool = False) -> Request:
    """Lines (``sku``, ``quantity``, with ``priced`` their ``unit_price`` too) and a delivery checked against
    the reference data (InvalidInput: also a product the mode cannot take); the nodes the channel's rules let
    it use."""
    skus = [line.sku for line in lines]
    pickup_ids = {delivery.pickup_node_id} if delivery.pickup_node_id else set()
    snap = await ctx.reference.knowing(ctx.db, set(skus), pickup_ids)
    point = (delivery.address.lat, delivery.address.lng) if delivery.address else None
    mode = delivery.mode
    sending = snap.derived(("senders", mode), lambda: senders(mode, snap.nodes))
    candidates, destination = check_order(skus, mode, delivery.pickup_node_id, point, snap.products, snap.nodes,
                                          [line.unit_price.currency for line in lines] if priced else None, sending)
    if (why := unfit(snap, mode, skus, delivery.pickup_node_id)) is not None:
        raise InvalidInput([FieldError("delivery.mode", f"{mode} cannot take it: {why}")])
    needs = [Need(i + 1, line.sku, line.quantity) for i, line in enumerate(lines)]
    # The same for every order of the channel and mode on this snapshot (shared: never changed after).
    candidates, node_types = snap.derived(("usable", channel, mode), lambda: _usable(snap, channel, sending)) \
        if candidates is sending else _usable(snap, channel, candidates)
    return Request(needs, candidates, destination, channel, snap.rules, node_types, snap, delivery.pickup_node_id,
                   mode)


def _usable(snap: Snapshot, channel: str, candidates: list[Candidate]) -> tuple[list[Candidate], dict[str, str]]:
    """The candidates the channel's rules let it use, and their node types."""
    used = [c for c in candidates if snap.rules.uses(channel, snap.nodes[c.node_id].type)]
    return used, {c.node_id: snap.nodes[c.node_id].type for c in used}


async def prepare_stored(ctx: Context, order: dict, needs: list[Need]) -> Request:
    """The request of a stored order's ``needs`` (numbered as its lines), its delivery checked against the
    reference data of now (InvalidInput when it no longer checks out: a store closed, a SKU switched off)."""
    delivery = {k: v for k, v in order["delivery"].items() if k != "promised"}  # the window kept, not asked
    request = await prepare(ctx, order["channel"], needs, DeliveryIn.model_validate(delivery))
    return replace(request, needs=needs)
