"""Promise ids: what was promised, signed, so that capture can trust it without a write per promise.

A promise is asked far more often than an order is placed (every cart view), so nothing is stored: the
id carries the option (mode, nodes, window, expiry) and an HMAC over it with a secret every server
process of the deployment shares (``db/promise_secret.py``).
"""

import base64
import hashlib
import hmac

import orjson

from ...domain.errors import FieldError, InvalidInput


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
