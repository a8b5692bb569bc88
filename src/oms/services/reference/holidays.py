"""Public holidays by country and region, as data: written through the API or taken from the ``holidays``
package (``oms holidays``, the demo); nodes and carrier services keep them unless they say otherwise
(see ``cache._load``)."""

from datetime import date

from pydantic import ValidationError
from sqlalchemy import delete, insert, select

from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import FieldError, InvalidInput
from ..runtime.context import Context
from .inputs import HolidayIn, PublicHolidaysIn
from .records import bump_reference


async def put_public_holidays(ctx: Context, body: PublicHolidaysIn, *, principal: Principal) -> dict:
    """Replace the holidays of the body's country (and region), in one transaction; promises use them within
    a second."""
    principal.require_admin()
    h, region = t.public_holidays.c, body.region or ""
    async with ctx.db.write() as conn:
        await conn.execute(delete(t.public_holidays).where(h.country == body.country, h.region == region))
        if body.days:
            await conn.execute(insert(t.public_holidays), [
                {"country": body.country, "region": region, "day": d.day, "name": d.name} for d in body.days])
        await bump_reference(conn, ctx.db.dialect)
    return await list_public_holidays(ctx, country=body.country, region=body.region)


async def list_public_holidays(ctx: Context, *, country: str, region: str | None = None,
                               year: int | None = None) -> dict:
    """A country's holidays (or only a region's own), by date; ``year``: that year's only."""
    h = t.public_holidays.c
    query = select(h.day, h.name).where(h.country == country, h.region == (region or "")).order_by(h.day)
    if year is not None:
        query = query.where(h.day >= date(year, 1, 1), h.day <= date(year, 12, 31))
    async with ctx.db.read() as conn:
        days = [{"day": day.isoformat(), "name": name} for day, name in await conn.execute(query)]
    return {"country": country, "region": region, "days": days}


def from_package(country: str, region: str | None, years: list[int]) -> PublicHolidaysIn:
    """The holidays of ``years`` as the ``holidays`` package knows them, in the country's own language: the
    whole country's, or (with ``region``) only the region's days beyond those."""
    import holidays  # (only the command and the demo need it)

    def days(subdivision: str | None) -> dict[date, str]:
        try:
            found = holidays.country_holidays(country, subdiv=subdivision, years=years)
            return dict(holidays.country_holidays(country, subdiv=subdivision, years=years,
                                                  language=found.default_language).items())
        except NotImplementedError as exc:  # an unknown country or region: the package's words name it
            field = "region" if subdivision else "country"
            raise InvalidInput([FieldError(field, str(exc))]) from None

    national = days(None)
    chosen = {d: name for d, name in days(region).items() if d not in national} if region else national
    try:
        return PublicHolidaysIn(country=country, region=region,
                                days=[HolidayIn(day=d, name=name) for d, name in sorted(chosen.items())])
    except ValidationError as exc:  # a region the package knows in a shape the API does not take ("Zone A")
        raise InvalidInput([FieldError(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None
