"""Carrier services: the transit times and delivery days that turn a shipment into a delivery window."""

from collections.abc import Sequence

from sqlalchemy import select

from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import FieldError, InvalidInput, NotFound
from ..runtime.context import Context
from ..runtime.validation import no_duplicates
from .inputs import CarrierServiceIn
from .records import keyed_page, upsert_reference


async def upsert_carrier_services(ctx: Context, items: Sequence[CarrierServiceIn], *, principal: Principal) -> int:
    """Create or replace carrier services by id, all or nothing; promises use them within a second."""
    principal.require_admin()
    no_duplicates(items, lambda x: x.id, "carrier service")
    stamp = ctx.clock.now()
    rows = [{**x.model_dump(mode="json"), "updated_at": stamp} for x in items]
    for row in rows:  # prices live in the rate bands; on transit bands they were only a shorthand for them
        row["bands"] = [{k: b[k] for k in ("max_km", "transit_min", "transit_max")} for b in row["bands"]]
    return await upsert_reference(ctx, t.carrier_services, "id", rows, None)


async def put_carrier_service(ctx: Context, service_id: str, body: CarrierServiceIn, *,
                              principal: Principal) -> dict:
    """Create or replace one carrier service; the body's ``id``, when given, must be the path's."""
    if body.id != service_id:
        raise InvalidInput([FieldError("id", f"is {body.id!r} but the path names {service_id!r}")])
    await upsert_carrier_services(ctx, [body], principal=principal)
    return await get_carrier_service(ctx, service_id)


async def get_carrier_service(ctx: Context, service_id: str) -> dict:
    async with ctx.db.read() as conn:
        row = (await conn.execute(select(t.carrier_services).where(t.carrier_services.c.id == service_id))).first()
    if row is None:
        raise NotFound(f"no carrier service {service_id!r}")
    return carrier_view(row)


def carrier_view(r) -> dict:
    return {"id": r.id, "name": r.name, "modes": r.modes, "bands": r.bands, "rate_bands": r.rate_bands,
            "delivery_weekdays": r.delivery_weekdays,
            "holidays": r.holidays, "window": r.window, "takes": r.takes, "country": r.country,
            "public_holidays": r.public_holidays, "emissions": r.emissions, "active": r.active}


async def list_carrier_services(ctx: Context, *, cursor: str | None, limit: int) -> dict:
    return await keyed_page(ctx, t.carrier_services, "id", carrier_view, cursor=cursor, limit=limit)
