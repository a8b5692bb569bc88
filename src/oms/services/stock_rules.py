"""The stock protection rules, stored as one settings document and read from the reference cache."""

from sqlalchemy import select

from ..db import tables as t
from ..db.statements import upsert
from ..db.tables import now
from ..domain.access import Principal
from ..domain.protection import SETTING
from .context import Context
from .inputs import StockRulesIn
from .reference import bump_reference


async def get_rules(ctx: Context, *, principal: Principal) -> dict:
    async with ctx.db.read() as conn:
        c = t.settings.c
        document = await conn.scalar(select(c.value).where(c.name == SETTING))
    return StockRulesIn.model_validate(document or {}).model_dump(mode="json")


async def put_rules(ctx: Context, body: StockRulesIn, *, principal: Principal) -> dict:
    """Replace the rules; every process picks them up with the reference data (within a second)."""
    principal.require_admin()
    document = body.model_dump(mode="json")
    async with ctx.db.write() as conn:
        await conn.execute(upsert(ctx.db.dialect, t.settings, ["name"], ["value", "updated_at"]),
                           {"name": SETTING, "value": document, "updated_at": now()})
        await bump_reference(conn, ctx.db.dialect)
    return document
