"""The door every request passes before anything reads its body: a caller refused for its guesses (429), a
body larger than allowed (413), a call to the API without a valid key (401) — each answered without reading
or parsing the body. The console's pages leave with the browser's protections on.

A plain ASGI middleware: no per-request task or body copy (unlike Starlette's BaseHTTPMiddleware).
"""

import re

from ..domain.errors import Unauthenticated
from ..services.runtime.context import Context
from .problems import problem

# Bulk writes of reference data and stock feeds: thousands of rows in one call.
BULK_POSTS = frozenset({"/v1/inventory/snapshots", "/v1/inventory/movements"})
# Under /v1 but authenticated otherwise: carriers sign their tracking updates with their own secret, shops and
# marketplaces their webhooks with the connector's.
OWN_AUTH = re.compile(r"^/v1/(carriers/|connectors/[^/]+/webhooks$)")
# Neither slowed nor counted as failures: platforms push from addresses shared by all their shops, and a
# connector whose secret changed must not shut out the deliveries of every other (an HMAC is not guessed).
UNTHROTTLED = re.compile(r"^/v1/connectors/[^/]+/webhooks$")
CONSOLE_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                 b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
                                 b"object-src 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
]


class _TooLarge(Exception):
    pass


class Gate:
    def __init__(self, app, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx, path = self.ctx, scope["path"]
        address = scope["client"][0] if scope.get("client") else "unknown"
        counted = not UNTHROTTLED.match(path)
        if counted and (wait := ctx.throttle.wait(address)):
            await _answer(scope, receive, send, problem(
                429, "too_many_failures", "Too many failed attempts",
                f"too many failed authentications from this address: try again in {wait} s", path,
                headers={"Retry-After": str(wait)}))
            return
        limit = self._limit(scope["method"], path)
        length = _content_length(scope)
        if length is not None and length > limit:
            await _answer(scope, receive, send, _too_large(limit, path))
            return
        if path.startswith("/v1/") and not OWN_AUTH.match(path):
            try:
                principal = await ctx.keys.authenticate(ctx.db, _bearer(scope))
            except Unauthenticated as exc:
                ctx.throttle.failed(address)
                await _answer(scope, receive, send, problem(401, exc.code, exc.title, exc.detail, path))
                return
            scope.setdefault("state", {})["principal"] = principal
        await self._pass(scope, receive, send, limit, address if counted else None,
                         console=path.startswith("/console"))

    def _limit(self, method: str, path: str) -> int:
        settings = self.ctx.settings
        bulk = path.startswith("/v1/") and (method == "PUT" or (method == "POST" and path in BULK_POSTS))
        return settings.max_bulk_body_bytes if bulk else settings.max_body_bytes

    async def _pass(self, scope, receive, send, limit: int, address: str | None, *, console: bool) -> None:
        """Hand the request on, counting the body as it comes (a body sent in chunks has no length to check
        first); past the limit the app's answer is replaced by a 413. A 401 the app gives (a wrong console
        key, a carrier's bad signature) counts as a failure of this address (``address`` None: not counted)."""
        received, started, too_large = 0, False, False

        async def counting_receive():
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLarge
            return message

        async def watching_send(message):
            nonlocal started
            if too_large:
                return  # the app's answer to a body it could not read whole: the 413 goes instead
            if message["type"] == "http.response.start":
                started = True
                if message["status"] == 401 and address is not None:
                    self.ctx.throttle.failed(address)
                if console:
                    message = {**message, "headers": [*message.get("headers", []), *CONSOLE_HEADERS]}
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _TooLarge:
            pass
        if too_large and not started:
            await _too_large(limit, scope["path"])(scope, receive, send)


def _content_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _bearer(scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, key = value.decode("latin-1").partition(" ")
            return key.strip() if scheme.lower() == "bearer" else None
    return None


def _too_large(limit: int, path: str):
    return problem(413, "body_too_large", "Body too large", f"the request body is larger than {limit} bytes", path)


async def _answer(scope, receive, send, response) -> None:
    await response(scope, receive, send)
