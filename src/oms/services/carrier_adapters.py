"""Carrier adapters: how a shipment is booked with a carrier (a tracking number and a label).

A node that ships with a carrier the OMS has an adapter for may leave the tracking number out: the OMS
books the shipment and keeps the number and the label reference. ``simulated`` is built in, for the demo
and the tests: it books at once, numbering parcels from the fulfilment order, with no network.
"""

import hashlib
from typing import Protocol


class CarrierAdapter(Protocol):
    name: str

    async def book(self, fulfillment_id: str, parcels: list[dict], address: dict | None) -> tuple[str, str]:
        """Book the shipment: its tracking number and label reference."""


class SimulatedCarrier:
    name = "simulated"

    async def book(self, fulfillment_id: str, parcels: list[dict], address: dict | None) -> tuple[str, str]:
        digest = hashlib.sha256(fulfillment_id.encode()).hexdigest()[:12].upper()
        return f"SIM{digest}", f"sim-label://{fulfillment_id}/{len(parcels) or 1}"


ADAPTERS: dict[str, CarrierAdapter] = {a.name: a for a in (SimulatedCarrier(),)}
