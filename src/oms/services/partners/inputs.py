"""What the webhook endpoints accept: a subscription and a replay."""

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Field,
    field_validator,
)

from ...domain.webhooks import known
from ..runtime.shapes import NodeId, Strict


def _event_type(value: str) -> str:
    if not known(value):
        raise ValueError(f"not an event type the OMS sends: {value!r} (e.g. \"order.created\", \"order.*\", \"*\")")
    return value


class WebhookIn(Strict):
    url: str = Field(min_length=8, max_length=2000, description="Where each event is POSTed (http or https, to a "
                                                                "public address, with no credentials in it)")
    events: list[Annotated[str, AfterValidator(_event_type)]] = Field(
        min_length=1, max_length=100, description='Event types ("order.created"), families ("order.*") or "*"')
    secret: str = Field(min_length=16, max_length=200, description="Signs each delivery (X-OMS-Signature)")
    node_id: NodeId | None = Field(default=None, description="Only events about this node's work (its WMS's "
                                                             "subscription): those whose data names it")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if parsed.username is not None or parsed.password is not None:
            raise ValueError("must not carry credentials (user:password@): the secret signs each delivery")
        try:
            parsed.port  # noqa: B018 - raises on a port out of range
        except ValueError:
            raise ValueError("has a port that is not a number from 0 to 65535") from None
        return value

    @field_validator("events")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class ReplayIn(Strict):
    event_ids: list[str] | None = Field(default=None, min_length=1, max_length=1000,
                                        description="These deliveries (any status); omit for every dead one")
