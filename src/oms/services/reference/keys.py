"""API keys: created once and shown once, stored as SHA-256 hashes, checked from a short-lived cache.

Keys are 32 random bytes, so a fast hash is enough (no password-stretching needed) and keeps the
check cheap on every request. A revoked key is refused once the cache entry expires.
"""

import hashlib
import secrets
import time
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from ...db import tables as t
from ...db.engine import Database
from ...domain.access import Principal
from ...domain.errors import FieldError, InvalidInput, NotFound, Unauthenticated
from ...domain.ids import new_id
from ...domain.vocabulary import SCOPED_ROLES, Channel, Role

if TYPE_CHECKING:  # the context holds the key cache defined here
    from ..runtime.context import Context


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_role(role: str, scope: str | None) -> Role:
    try:
        parsed = Role(role)
    except ValueError:
        raise InvalidInput([FieldError("role", f"must be one of {', '.join(Role)}")]) from None
    if parsed in SCOPED_ROLES and not scope:
        raise InvalidInput([FieldError("scope", f"role {role} needs a scope (a channel or a node id)")])
    if parsed not in SCOPED_ROLES and scope:
        raise InvalidInput([FieldError("scope", f"role {role} takes no scope")])
    if parsed == Role.CHANNEL and scope not in set(Channel):
        raise InvalidInput([FieldError("scope", f"a channel key's scope is one of {', '.join(Channel)}")])
    return parsed


async def create_key(ctx: "Context", *, role: str, scope: str | None = None, name: str = "",
                     key: str | None = None) -> tuple[str, Principal]:
    """Store a new key (random unless ``key`` is given) and return it in clear, the only time it exists so."""
    parsed = check_role(role, scope)
    plain = key or "oms_" + secrets.token_urlsafe(32)
    key_id = new_id("key")
    c = t.api_keys.c
    async with ctx.db.write() as conn:
        stored = (await conn.execute(select(c.id, c.role, c.scope).where(c.key_hash == hash_key(plain)))).first()
        if stored is not None:  # a given key that exists already keeps what it was made with
            return plain, Principal(stored.id, Role(stored.role), stored.scope)
        if parsed == Role.NODE and await conn.scalar(select(t.nodes.c.id).where(t.nodes.c.id == scope)) is None:
            # A key for a node that is not there would see nothing, silently: a typo is said at once.
            raise InvalidInput([FieldError("scope", f"no node {scope!r}; load the nodes first "
                                                    "(PUT /v1/nodes or oms import nodes)")])
        await conn.execute(insert(t.api_keys).values(
            id=key_id, name=name or f"{role} key", role=parsed, scope=scope,
            key_hash=hash_key(plain), created_at=ctx.clock.now()))
    return plain, Principal(key_id, parsed, scope)


async def list_keys(db: Database) -> list[dict]:
    c = t.api_keys.c
    async with db.read() as conn:
        rows = await conn.execute(select(c.id, c.name, c.role, c.scope, c.created_at, c.revoked_at).order_by(c.id))
        return [dict(r._mapping) for r in rows]


async def revoke_key(ctx: "Context", key_id: str) -> None:
    """Refuse the key from now on (a server that verified it lately trusts it for its cache delay more)."""
    c = t.api_keys.c
    async with ctx.db.write() as conn:
        done = await conn.execute(update(t.api_keys).where(c.id == key_id, c.revoked_at.is_(None))
                                  .values(revoked_at=ctx.clock.now()))
        if done.rowcount == 0:
            raise NotFound(f"no active key {key_id!r}")


class KeyCache:
    def __init__(self, ttl_seconds: float = 10.0) -> None:
        self.ttl = ttl_seconds
        self._known: dict[str, tuple[Principal, float]] = {}

    async def authenticate(self, db: Database, key: str | None) -> Principal:
        if not key:
            raise Unauthenticated("send an API key as `Authorization: Bearer <key>`")
        digest = hash_key(key)
        hit = self._known.get(digest)
        if hit and hit[1] > time.monotonic():
            return hit[0]
        c = t.api_keys.c
        async with db.read() as conn:
            row = (await conn.execute(
                select(c.id, c.role, c.scope).where(c.key_hash == digest, c.revoked_at.is_(None))
            )).first()
        if row is None:
            self._known.pop(digest, None)
            raise Unauthenticated("unknown or revoked API key")
        principal = Principal(row.id, Role(row.role), row.scope)
        self._known[digest] = (principal, time.monotonic() + self.ttl)
        return principal
