"""Carrier adapters: how a shipment is booked with a carrier (a tracking number and a label).

A node that ships with a carrier the OMS has an adapter for may leave the tracking number out: the OMS
books the shipment and keeps the number and the label reference. ``simulated`` is built in, for the demo
and the tests: it books at once, numbering parcels from the fulfilment order, with no network. A carrier
(or a TMS) with an HTTP booking endpoint is reached by ``HttpCarrier`` (``OMS_CARRIER_ENDPOINTS``).
"""

import hashlib
import json
from typing import Protocol

import httpx

from ...domain.errors import OmsError
from ...domain.webhooks import signature

TIMEOUT_S = 10.0


class CarrierUnavailable(OmsError):
    """The carrier did not book the shipment (down, slow, or it refused): nothing is recorded."""

    code = "carrier_unavailable"
    title = "Carrier unavailable"


class CarrierAdapter(Protocol):
    name: str

    async def book(self, fulfillment_id: str, parcels: list[dict], address: dict | None) -> tuple[str, str | None]:
        """Book the shipment: its tracking number and label reference (None: the carrier gave none)."""


class SimulatedCarrier:
    name = "simulated"

    async def book(self, fulfillment_id: str, parcels: list[dict], address: dict | None) -> tuple[str, str | None]:
        digest = hashlib.sha256(fulfillment_id.encode()).hexdigest()[:12].upper()
        return f"SIM{digest}", f"sim-label://{fulfillment_id}/{len(parcels) or 1}"


class HttpCarrier:
    """Books by POSTing ``{"reference", "parcels", "address"}`` (signed as carriers sign their tracking
    updates, ``X-OMS-Signature: sha256=…``, with the carrier's secret when it has one) and reading
    ``{"tracking_number", "label"}`` from a 2xx answer. The reference is the fulfilment order's id: a carrier
    that keys bookings on it books a retry once."""

    def __init__(self, name: str, url: str, secret: str | None = None) -> None:
        self.name, self.url, self.secret = name, url, secret

    async def book(self, fulfillment_id: str, parcels: list[dict], address: dict | None) -> tuple[str, str | None]:
        body = json.dumps({"reference": fulfillment_id, "parcels": parcels, "address": address}).encode()
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers["X-OMS-Signature"] = signature(self.secret, body)
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
                answer = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise CarrierUnavailable(f"{self.name} could not be reached to book the shipment: {exc!r}") from None
        if not answer.is_success:
            raise CarrierUnavailable(f"{self.name} refused the booking: HTTP {answer.status_code} "
                                     f"{answer.text[:200]}")
        try:
            found = answer.json()
            number, label = str(found["tracking_number"]), found.get("label")
        except (ValueError, KeyError, TypeError):
            raise CarrierUnavailable(f"{self.name} answered without a tracking_number") from None
        if not number or len(number) > 100:
            raise CarrierUnavailable(f"{self.name} answered an unusable tracking number {number!r}")
        return number, str(label)[:500] if label else None


BUILT_IN: dict[str, CarrierAdapter] = {a.name: a for a in (SimulatedCarrier(),)}


def adapters(endpoints: dict[str, str], secrets: dict[str, str]) -> dict[str, CarrierAdapter]:
    """The carriers the OMS books with: the built-in ones and those with an HTTP endpoint."""
    return {**BUILT_IN, **{name: HttpCarrier(name, url, secrets.get(name)) for name, url in endpoints.items()}}
