"""Settings kept as one JSON document each (protection rules, delivery prices): read, or replaced whole."""

from pydantic import BaseModel
from sqlalchemy import select

from ...db import tables as t
from ...db.statements import upsert
from ...domain.access import Principal
from ..runtime.context import Context
from .records import bump_reference


async def get_document(ctx: Context, name: str, model: type[BaseModel]) -> dict:
    async with ctx.db.read() as conn:
        c = t.settings.c
        document = await conn.scalar(select(c.value).where(c.name == name))
    return model.model_validate(document or {}).model_dump(mode="json")


async def has_document(ctx: Context, name: str) -> bool:
    async with ctx.db.read() as conn:
        return await conn.scalar(select(t.settings.c.name).where(t.settings.c.name == name)) is not None


async def put_document(ctx: Context, name: str, body: BaseModel, *, principal: Principal) -> dict:
    """Replace the document; every process picks it up with the reference data (within a second)."""
    principal.require_admin()
    document = body.model_dump(mode="json")
    async with ctx.db.write() as conn:
        await conn.execute(upsert(ctx.db.dialect, t.settings, ["name"], ["value", "updated_at"]),
                           {"name": name, "value": document, "updated_at": ctx.clock.now()})
        await bump_reference(conn, ctx.db.dialect)
    return document
