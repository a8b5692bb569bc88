"""Calls to a platform's API, each connector within the platform's rate: a token bucket per connector (in the
process: the platform counts per shop), retries with backoff on failures and 5xx, ``429`` waited out as
``Retry-After`` says, and the platform's own call-limit header read (Shopify's
``X-Shopify-Shop-Api-Call-Limit: 32/40``: nearly full, the next call waits for the bucket to drain).

Waits are real time, not the service's clock: they are the platform's, which tests do not set.
"""

import asyncio
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

from ...domain.connectors import Kind
from ..runtime.context import Context

TRIES = 4
BACKOFF_S = 0.5  # doubled at each try
WAIT_MAX_S = 30.0  # a platform asking to wait longer is tried at the next poll instead
ANSWER_MAX = 20_000_000  # bytes of one answer
CALL_MAX_S = 60.0  # one call, its answer read whole, however slowly the platform sends it
# (calls a second, burst) each platform allows a shop: Shopify's REST bucket leaks 2 a second from 40; the
# others publish none, and a shop's own server is spared.
RATES: dict[Kind, tuple[float, float]] = {Kind.SHOPIFY: (2.0, 40.0), Kind.WOOCOMMERCE: (5.0, 10.0),
                                          Kind.PRESTASHOP: (5.0, 10.0), Kind.MIRAKL: (1.0, 5.0)}
NEARLY_FULL = 0.9  # of the platform's own call limit: wait before the next call


class PlatformError(Exception):
    """The platform could not be asked, or answered an error: the reason says which."""


class Refused(Exception):
    """The platform refused what it was told for a reason trying again does not change (its words)."""


def expect_ok(answer: httpx.Response, doing: str, missing: str = "") -> None:
    """A call that changes something answered: refused credentials are the platform's failure (tried again
    once mended), any other error its refusal. ``missing`` says what a 404 may mean."""
    if answer.status_code in (401, 403):
        raise PlatformError(f"{answer.status_code} {doing}: the credentials are refused")
    if answer.status_code == 404:
        raise Refused(f"404 {doing}: {answer.text[:200]}{f' ({missing})' if missing else ''}")
    if answer.status_code >= 300:
        raise Refused(f"{answer.status_code} {doing}: {answer.text[:200]}")


@dataclass
class Bucket:
    rate: float
    burst: float
    tokens: float = field(init=False)
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    async def take(self) -> None:
        while True:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)

    def empty(self, for_s: float = 0.0) -> None:
        """No call before the bucket has a token again, and ``for_s`` seconds have passed."""
        self.tokens = min(self.tokens, -for_s * self.rate)


def bucket(ctx: Context, connector_id: str, kind: Kind) -> Bucket:
    found = ctx.calls.get(connector_id)
    if found is None:
        found = ctx.calls[connector_id] = Bucket(*RATES[kind])
    return found


async def call(ctx: Context, http: httpx.AsyncClient, connector_id: str, kind: Kind, method: str, url: str,
               *, changes: bool = False, **kwargs) -> httpx.Response:
    """The platform's answer to one call (any status but 429 and 5xx, which are tried again), or
    PlatformError. A call that ``changes`` something (a fulfillment made) is tried again only after a 429 (not
    done): after a failure or a 5xx the platform may have done it, so it is the caller's to find out first."""
    tokens = bucket(ctx, connector_id, kind)
    reason = "not tried"
    for attempt in range(TRIES):
        await tokens.take()
        try:
            async with asyncio.timeout(CALL_MAX_S):
                answer = await _bounded(http, method, url, **kwargs)
        except (httpx.HTTPError, TimeoutError) as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else f"no answer within {CALL_MAX_S:.0f} s"
            if changes:
                raise PlatformError(f"unclear whether it was done: {reason}") from None
            wait = BACKOFF_S * 2 ** attempt
        else:
            _limits(tokens, answer)
            if answer.status_code != 429 and answer.status_code < 500:
                return answer
            reason = f"{answer.status_code} {answer.text[:200]}"
            if changes and answer.status_code != 429:
                raise PlatformError(f"unclear whether it was done: {reason}")
            wait = _retry_after(ctx, answer) if answer.status_code == 429 else None
            wait = BACKOFF_S * 2 ** attempt if wait is None else wait
            if wait > WAIT_MAX_S:
                raise PlatformError(f"{reason}: asked to wait {wait:.0f} s")
            tokens.empty(wait)
            wait = 0.0  # (the bucket waits)
        if attempt < TRIES - 1:
            await asyncio.sleep(wait)
    raise PlatformError(f"failed {TRIES} times, last: {reason}")


async def _bounded(http: httpx.AsyncClient, method: str, url: str, **kwargs) -> httpx.Response:
    """The answer, read as it streams in and refused past ``ANSWER_MAX`` bytes (a platform sending without
    end is cut off rather than read whole into memory)."""
    async with http.stream(method, url, **kwargs) as streamed:
        body = bytearray()
        async for chunk in streamed.aiter_bytes():
            body += chunk
            if len(body) > ANSWER_MAX:
                raise PlatformError(f"the answer is over {ANSWER_MAX} bytes")
        # (the body is decoded already: the headers that say how it was sent no longer apply)
        headers = [(k, v) for k, v in streamed.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(streamed.status_code, headers=headers, content=bytes(body), request=streamed.request)


def _limits(tokens: Bucket, answer: httpx.Response) -> None:
    used, _, limit = answer.headers.get("x-shopify-shop-api-call-limit", "").partition("/")
    if used.isdigit() and limit.isdigit() and int(limit) > 0 and int(used) >= NEARLY_FULL * int(limit):
        tokens.empty()


def _retry_after(ctx: Context, answer: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (it may be a number of seconds or an HTTP date)."""
    given = answer.headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(given))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(given) - ctx.clock.now()).total_seconds())
    except (TypeError, ValueError):
        return None
