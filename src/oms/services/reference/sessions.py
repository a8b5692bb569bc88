"""Console sessions: an API key exchanged for a session. The browser keeps a random token (the console's
HTTP-only, SameSite=Strict cookie); the database keeps only its hash, the key it stands for and a form token
that every change made through the console must send back. A revoked key ends its sessions at once."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, insert, select

from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import Unauthenticated
from ...domain.vocabulary import Role
from ..runtime.context import Context

LASTS = timedelta(hours=12)  # a working day; signing in again after that


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def sign_in(ctx: Context, key: str) -> str:
    """A new session for this API key (Unauthenticated when it is unknown or revoked): its cookie token."""
    principal = await ctx.keys.authenticate(ctx.db, key.strip() or None)
    token, at = secrets.token_urlsafe(32), ctx.clock.now()
    async with ctx.db.write() as conn:
        await conn.execute(delete(t.console_sessions).where(t.console_sessions.c.expires_at < at))
        await conn.execute(insert(t.console_sessions).values(
            token_hash=_hash(token), key_id=principal.key_id, csrf=secrets.token_urlsafe(24), created_at=at,
            expires_at=at + LASTS))
    return token


async def signed_in(ctx: Context, token: str | None) -> tuple[Principal, str]:
    """The key a session stands for and its form token; Unauthenticated when there is none, it expired or
    the key was revoked."""
    if not token:
        raise Unauthenticated("sign in with an API key")
    s, k = t.console_sessions.c, t.api_keys.c
    async with ctx.db.read() as conn:
        row = (await conn.execute(
            select(k.id, k.role, k.scope, s.csrf).join(t.api_keys, k.id == s.key_id)
            .where(s.token_hash == _hash(token), s.expires_at > ctx.clock.now(), k.revoked_at.is_(None)))).first()
    if row is None:
        raise Unauthenticated("the session ended; sign in again")
    return Principal(row.id, Role(row.role), row.scope), row.csrf


async def sign_out(ctx: Context, token: str | None) -> None:
    if token:
        async with ctx.db.write() as conn:
            await conn.execute(delete(t.console_sessions).where(t.console_sessions.c.token_hash == _hash(token)))
