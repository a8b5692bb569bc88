"""The secret promise ids are signed with: made on the first start, kept in the settings table, so that every
server process of the deployment shares it."""

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from . import tables as t
from .engine import Database
from .statements import insert_unless_exists

SECRET = "promise_secret"


async def ensure_secret(db: Database, at: datetime) -> None:
    async with db.write() as conn:
        await conn.execute(insert_unless_exists(db.dialect, t.settings).values(
            name=SECRET, value={"key": secrets.token_hex(32)}, updated_at=at))


async def read_secret(conn: AsyncConnection) -> bytes:
    value = await conn.scalar(select(t.settings.c.value).where(t.settings.c.name == SECRET))
    return bytes.fromhex(value["key"]) if value else b""
