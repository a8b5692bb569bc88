"""Promise ids: what was promised, signed, so that capture can trust it without a write per promise.

A promise is asked far more often than an order is placed (every cart view), so nothing is stored: the
id carries the option (mode, nodes, window, expiry) and an HMAC over it with a secret every server
process of the deployment shares (kept in the settings table, created on first start).
"""

import base64
import hashlib
import hmac
import secrets

import orjson
from sqlalchemy import select

from ..db import tables as t
from ..db.statements import insert_unless_exists
from ..domain.errors import FieldError, InvalidInput

SECRET = "promise_secret"


async def ensure_secret(ctx) -> None:
    async with ctx.db.write() as conn:
        await conn.execute(insert_unless_exists(ctx.db.dialect, t.settings).values(
            name=SECRET, value={"key": secrets.token_hex(32)}, updated_at=ctx.clock.now()))


async def read_secret(conn) -> bytes:
    value = await conn.scalar(select(t.settings.c.value).where(t.settings.c.name == SECRET))
    return bytes.fromhex(value["key"]) if value else b""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(secret: bytes, payload: dict) -> str:
    if not secret:  # never sign with an empty key: anybody could forge such ids
        raise RuntimeError("no promise secret: the database was not prepared (oms db upgrade)")
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return f"prm_{_b64(body)}.{_b64(hmac.new(secret, body, hashlib.sha256).digest()[:16])}"


def verify(secret: bytes, promise_id: str, field: str = "delivery.promise_id") -> dict:
    """The promise's payload; InvalidInput naming ``field`` if it is not one this deployment signed."""
    try:
        if not secret:
            raise ValueError("no secret")
        head, signature = promise_id.removeprefix("prm_").split(".")
        body = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        good = hmac.compare_digest(_b64(hmac.new(secret, body, hashlib.sha256).digest()[:16]), signature)
        if good:
            return orjson.loads(body)
    except (ValueError, TypeError, orjson.JSONDecodeError):  # not base64, not ASCII, not JSON: not ours
        pass
    raise InvalidInput([FieldError(field, "not a promise id given by this OMS")])
