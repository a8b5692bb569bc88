"""The event stream: every event published to NATS JetStream, for systems that consume a stream.

Subject ``<OMS_NATS_SUBJECT>.<type>`` (``oms.events.order.created`` …), body the webhook body (JSON ``id``,
``type``, ``occurred_at``, ``order_id``, ``data``), header ``Nats-Msg-Id`` the event id: the stream keeps
one copy of an event the relay publishes twice (a crash between publishing and marking it published).
The stream (``OMS_NATS_STREAM``) is created on first use if it does not exist.
"""

import json

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import BadRequestError


class NatsStream:
    def __init__(self, url: str, name: str = "OMS_EVENTS", subject: str = "oms.events") -> None:
        self.url, self.name, self.subject = url, name, subject
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    async def _ready(self) -> JetStreamContext:
        if self._js is None or self._nc is None or self._nc.is_closed:
            self._nc = await nats.connect(self.url, connect_timeout=2, max_reconnect_attempts=2,
                                          allow_reconnect=True)
            self._js = self._nc.jetstream(timeout=5)
            try:
                await self._js.add_stream(name=self.name, subjects=[f"{self.subject}.>"])
            except BadRequestError:
                pass  # it exists already (with its own settings, which are kept)
        return self._js

    async def publish(self, events: list[dict]) -> None:
        """Publish in order, each acknowledged by the stream; an error leaves the rest unpublished."""
        js = await self._ready()
        for ev in events:
            body = json.dumps(ev, separators=(",", ":"), default=str).encode()
            await js.publish(f"{self.subject}.{ev['type']}", body, headers={"Nats-Msg-Id": ev["id"]})

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
