"""Refuse control characters in a request's path and query before anything reads them.

PostgreSQL cannot store or compare a NUL byte; SQLite can. Refusing them at the door keeps the two
databases answering alike, with a clear problem instead of a database error.
"""

import re
from urllib.parse import unquote

from .problems import problem

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RejectControlCharacters:
    """A plain ASGI middleware (no per-request task or body copy, unlike Starlette's BaseHTTPMiddleware)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            query = unquote(scope["query_string"].decode("latin-1"))
            if _CONTROL.search(scope["path"]) or _CONTROL.search(query):
                answer = problem(422, "invalid_input", "Invalid input",
                                 "the path or query string contains control characters", scope["path"])
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)
