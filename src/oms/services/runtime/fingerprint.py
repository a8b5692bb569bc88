"""A request's fingerprint: how a replay is told from another request sent under the same key."""

import hashlib

import orjson
from pydantic import BaseModel


def fingerprint(body: BaseModel) -> str:
    """The SHA-256 (hex) of the request as validated, not as sent: spacing, key order, stripped text and
    fields left at their default do not make two requests different; any value that is stored does.
    Computed in memory and stored with the row in the same insert: no round trip of its own."""
    canonical = orjson.dumps(body.model_dump(mode="json", exclude_defaults=True), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()
