"""Carrier services: the transit times and delivery days that turn a shipment into a delivery window."""

from collections.abc import Sequence

from ..db import tables as t
from ..db.tables import now
from ..domain.access import Principal
from .context import Context
from .inputs import CarrierServiceIn
from .reference import keyed_page, upsert_reference
from .validation import no_duplicates


async def upsert_carrier_services(ctx: Context, items: Sequence[CarrierServiceIn], *, principal: Principal) -> int:
    """Create or replace carrier services by id, all or nothing; promises use them within a second."""
    principal.require_admin()
    no_duplicates(items, lambda x: x.id, "carrier service")
    stamp = now()
    rows = [{**x.model_dump(mode="json"), "updated_at": stamp} for x in items]
    return await upsert_reference(ctx, t.carrier_services, "id", rows, None)


def carrier_view(r) -> dict:
    return {"id": r.id, "name": r.name, "mode": r.mode, "bands": r.bands, "delivery_weekdays": r.delivery_weekdays,
            "holidays": r.holidays, "window": r.window, "active": r.active}


async def list_carrier_services(ctx: Context, *, cursor: str | None, limit: int) -> dict:
    return await keyed_page(ctx, t.carrier_services, "id", carrier_view, cursor=cursor, limit=limit)
