"""API keys: created once and shown once, stored as SHA-256 hashes, checked from a short-lived cache.

Keys are 32 random bytes, so a fast hash is enough (no password-stretching needed) and keeps the
check cheap on every request. A revoked key is refused once the cache entry expires.
"""

import hashlib
import secrets
import time

from sqlalchemy import insert, select

from ..db import tables as t
from ..db.engine import Database
from ..db.tables import now
from ..domain.access import Principal
from ..domain.errors import FieldError, InvalidInput, Unauthenticated
from ..domain.ids import new_id
from ..domain.vocabulary import SCOPED_ROLES, Role


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
    return parsed


async def create_key(db: Database, *, role: str, scope: str | None = None, name: str = "",
                     key: str | None = None) -> tuple[str, Principal]:
    """Store a new key (random unless ``key`` is given) and return it in clear, the only time it exists so."""
    parsed = check_role(role, scope)
    plain = key or "oms_" + secrets.token_urlsafe(32)
    key_id = new_id("key")
    c = t.api_keys.c
    async with db.write() as conn:
        stored = (await conn.execute(select(c.id, c.role, c.scope).where(c.key_hash == hash_key(plain)))).first()
        if stored is not None:  # a given key that exists already keeps what it was made with
            return plain, Principal(stored.id, Role(stored.role), stored.scope)
        await conn.execute(insert(t.api_keys).values(
            id=key_id, name=name or f"{role} key", role=parsed, scope=scope,
            key_hash=hash_key(plain), created_at=now()))
    return plain, Principal(key_id, parsed, scope)


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
