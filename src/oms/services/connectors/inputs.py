"""What the connector endpoints accept: a connector, a change to one, its product references."""

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, StrictBool, StrictInt, StringConstraints, field_validator

from ...domain.connectors import CREDENTIALS, Kind
from ...domain.vocabulary import Channel, DeliveryMode
from ..runtime.shapes import Sku, Strict, Timezone

POLL_MIN_S, POLL_MAX_S = 30, 86_400
MAPPED_MAX = 10_000  # product references in one call
Secret = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Method = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Credentials = dict[str, Secret]
Modes = dict[Method, DeliveryMode]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=64)]
CANCEL_REASON = ("Mirakl: the operator's reason code the lines the OMS cancels are told with (OR30); without it "
                 "they are not told")


def _base_url(value: str) -> str:
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("must be an http:// or https:// URL with a host (the shop's or the marketplace's API)")
    if parsed.username is not None or parsed.password is not None:
        raise ValueError("must not carry credentials (user:password@): give them in credentials")
    if parsed.query or parsed.fragment:
        raise ValueError("must have no query nor fragment")
    try:
        parsed.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    return value.rstrip("/")


def _credential_names(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - CREDENTIALS)
    if unknown:
        raise ValueError(f"unknown credential {', '.join(map(repr, unknown))}: a connector takes "
                         f"{', '.join(sorted(CREDENTIALS))}")
    return value


class ConnectorIn(Strict):
    kind: Kind
    channel: Channel = Field(description="The OMS channel its orders are captured in")
    base_url: str = Field(min_length=8, max_length=2000, description="The platform's address (the shop's URL, "
                                                                     "the marketplace's API)")
    credentials: Credentials = Field(description="Write-only: api_token, webhook_secret (shopify); consumer_key, "
                                                 "consumer_secret, webhook_secret (woocommerce); api_key "
                                                 "(prestashop, mirakl)", max_length=8)
    shipping_modes: Modes = Field(default_factory=dict, max_length=200,
                                  description="The platform's shipping method → the OMS delivery mode")
    poll_seconds: StrictInt = Field(default=300, ge=POLL_MIN_S, le=POLL_MAX_S,
                                    description="How often its orders are polled (the reconciliation of what "
                                                "webhooks missed)")
    timezone: Timezone = Field(default="Europe/Paris", description="The shop's time zone, where the platform "
                                                                   "writes local times (PrestaShop)")
    cancel_reason: Reason | None = Field(default=None, description=CANCEL_REASON)
    active: StrictBool = True

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _base_url(value)

    @field_validator("credentials")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        return _credential_names(value)


class ConnectorPatch(Strict):
    channel: Channel | None = None
    base_url: str | None = Field(default=None, min_length=8, max_length=2000)
    credentials: Credentials | None = Field(default=None, max_length=8,
                                            description="These credentials replace those of the same names")
    shipping_modes: Modes | None = Field(default=None, max_length=200, description="Replaces the mapping")
    poll_seconds: StrictInt | None = Field(default=None, ge=POLL_MIN_S, le=POLL_MAX_S)
    timezone: Timezone | None = None
    cancel_reason: Reason | None = Field(default=None, description=CANCEL_REASON)
    active: StrictBool | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _base_url(value)

    @field_validator("credentials")
    @classmethod
    def _names(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else _credential_names(value)


class MappedSku(Strict):
    platform_ref: str = Field(min_length=1, max_length=200, description="The platform's SKU or variant id")
    sku: Sku


class ConnectorSkuIn(MappedSku):
    """A row of a mapping file (``oms import connector-skus``): the connector it maps for."""
    connector_id: str = Field(min_length=1, max_length=40)


class MappedSkus(Strict):
    items: list[MappedSku] = Field(max_length=MAPPED_MAX, description="Replaces the connector's mapping")
