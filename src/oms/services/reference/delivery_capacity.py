"""The retailer's own deliveries (appointment slots, one-hour couriers) and their capacity, stored as one
settings document."""

from collections.abc import Sequence

from ...domain.access import Principal
from ...domain.errors import FieldError, InvalidInput
from ...domain.vocabulary import DeliveryMode
from ..runtime.context import Context
from ..runtime.validation import no_duplicates
from .cache import COURIERS
from .documents import get_document, put_document
from .inputs import DeliveryCapacityIn, OneHourIn, SlotIn


async def get_delivery_capacity(ctx: Context) -> dict:
    return await get_document(ctx, COURIERS, DeliveryCapacityIn)


async def put_delivery_capacity(ctx: Context, body: DeliveryCapacityIn, *, principal: Principal) -> dict:
    """Replace the slots and couriers; each names a known node that sends the mode (InvalidInput naming
    every one that does not)."""
    principal.require_admin()
    no_duplicates(body.slots, lambda s: f"{s.node_id} {s.start}", "slot of", path="slots")
    no_duplicates(body.one_hour, lambda r: r.node_id, "node", path="one_hour")
    kinds: tuple[tuple[str, Sequence[SlotIn | OneHourIn], DeliveryMode], ...] = (
        ("slots", body.slots, DeliveryMode.SCHEDULED), ("one_hour", body.one_hour, DeliveryMode.ONE_HOUR))
    snap = await ctx.reference.knowing(ctx.db, set(), {x.node_id for _, items, _ in kinds for x in items})
    errors = []
    for path, items, mode in kinds:
        for i, item in enumerate(items):
            node = snap.nodes.get(item.node_id)
            if node is None:
                errors.append(FieldError(f"{path}.{i}.node_id", f"unknown node {item.node_id!r}"))
            elif mode not in node.fulfills:
                errors.append(FieldError(f"{path}.{i}.node_id", f"node {node.id} does not send {mode} orders"))
    if errors:
        raise InvalidInput(errors)
    return await put_document(ctx, COURIERS, body, principal=principal)
