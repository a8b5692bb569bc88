"""Connectors to the shops and marketplaces a retailer already runs: what each kind of platform needs, how the
platforms that push sign what they send, and which of their deliveries are kept.

    shopify       pushes orders/create, orders/updated (X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw
                  body with the app's secret; X-Shopify-Webhook-Id names a delivery, sent again with it)
    woocommerce   pushes order.created, order.updated (X-WC-Webhook-Signature, the same scheme with the
                  webhook's secret; X-WC-Webhook-Delivery-ID). A webhook made in WooCommerce is first tried
                  with an unsigned ping, ``webhook_id=<n>``, which must be answered 200 (nothing is kept)
    prestashop    polled only (its webservice key)
    mirakl        polled only (its shop API key)
"""

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .vocabulary import Word


class Kind(Word):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    PRESTASHOP = "prestashop"
    MIRAKL = "mirakl"


# The credentials each kind needs to be made, and those it may be given besides.
NEEDED: dict[Kind, frozenset[str]] = {
    Kind.SHOPIFY: frozenset({"api_token", "webhook_secret"}),
    Kind.WOOCOMMERCE: frozenset({"consumer_key", "consumer_secret", "webhook_secret"}),
    Kind.PRESTASHOP: frozenset({"api_key"}),
    Kind.MIRAKL: frozenset({"api_key"}),
}
CREDENTIALS = frozenset().union(*NEEDED.values())


@dataclass(frozen=True)
class Push:
    """How a platform pushes: its headers (lower case) and the topics kept."""
    signature: str
    topic: str
    delivery: str
    topics: frozenset[str]
    kept: tuple[str, ...]  # headers kept with a delivery besides those (the platform's own ids and times)


PUSHES: dict[Kind, Push] = {
    Kind.SHOPIFY: Push("x-shopify-hmac-sha256", "x-shopify-topic", "x-shopify-webhook-id",
                       frozenset({"orders/create", "orders/updated"}),
                       ("x-shopify-event-id", "x-shopify-triggered-at", "x-shopify-shop-domain",
                        "x-shopify-api-version")),
    Kind.WOOCOMMERCE: Push("x-wc-webhook-signature", "x-wc-webhook-topic", "x-wc-webhook-delivery-id",
                           frozenset({"order.created", "order.updated"}),
                           ("x-wc-webhook-id", "x-wc-webhook-source", "x-wc-webhook-resource",
                            "x-wc-webhook-event")),
}
_PING = re.compile(rb"^webhook_id=[0-9]{1,20}$")
HEADER_MAX = 200  # characters kept of a header's value


def signed(secret: str, body: bytes) -> str:
    """A pushed body's signature as Shopify and WooCommerce write it: base64 of its HMAC-SHA256."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def authentic(secret: str, body: bytes, given: str | None) -> bool:
    if given is None:
        return False
    # (compared as bytes: a header may hold any latin-1 character, which a str comparison would refuse)
    return hmac.compare_digest(signed(secret, body).encode(), given.strip().encode("latin-1", "replace"))


def ping(body: bytes, headers: Mapping[str, str]) -> bool:
    """WooCommerce's first try of a new webhook: unsigned, ``webhook_id=<n>``, to be answered 200."""
    return PUSHES[Kind.WOOCOMMERCE].signature not in headers and bool(_PING.match(body))


def delivery_of(push: Push, body: bytes, headers: Mapping[str, str]) -> str:
    """The delivery's id, which the platform sends again with a delivery it retries; a body without one is
    known by its digest (the same body twice is one delivery)."""
    given = headers.get(push.delivery, "").strip()
    return given[:HEADER_MAX] if given else "sha256:" + hashlib.sha256(body).hexdigest()


def kept_headers(push: Push, headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name][:HEADER_MAX] for name in push.kept if name in headers}
