"""What the services accept: validated shapes shared by the API (JSON bodies) and the CLI (CSV rows)."""

import re
from datetime import date, datetime
from itertools import pairwise
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..domain.calendar import hours
from ..domain.tracking import Tracking
from ..domain.vocabulary import PICKUP_MODES, STOCKLESS_NODE_TYPES, Channel, DeliveryMode, FeedReason, NodeType
from ..domain.webhooks import known

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]
NodeId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
_TIMEZONES = frozenset(available_timezones())
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HHMM = re.compile(r"^([01]\d|2[0-4]):[0-5]\d$")


INT32 = 2**31 - 1  # the largest count an Integer column holds


def _written(value):
    """A date or time comes as ISO 8601 text: a number is not read as seconds since 1970."""
    if isinstance(value, int | float):
        raise ValueError("write a date or time as ISO 8601 text (2026-12-24, 2026-12-24T18:30:00+01:00)")
    return value


Day = Annotated[date, BeforeValidator(_written)]
Instant = Annotated[AwareDatetime, BeforeValidator(_written)]


class Strict(BaseModel):
    """What every input shape shares: no unknown fields, no control characters, and numbers that are numbers:
    fields are ``StrictInt`` and ``StrictFloat``, so ``false`` or ``"1"`` is refused, not read as 0 or 1
    (times and the vocabulary's words are still read from JSON strings). Text sources (CSV files, the
    console's forms) validate with ``strict=False``: their numbers can only be written as text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value):
        # Control characters (a NUL above all) cannot be stored by PostgreSQL and never belong in these fields.
        if isinstance(value, str) and _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value


class Money(Strict):
    # Bounded so that 200 lines x 10,000 units x the amount still fit in a 64-bit total.
    amount: StrictInt = Field(ge=0, le=10**12, description="Minor units (cents)")
    currency: Currency


class ProductIn(Strict):
    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    weight_g: StrictInt = Field(gt=0, le=INT32)
    length_mm: StrictInt = Field(gt=0, le=INT32)
    width_mm: StrictInt = Field(gt=0, le=INT32)
    height_mm: StrictInt = Field(gt=0, le=INT32)
    price: Money
    bulky: StrictBool = False
    hazardous: StrictBool = False
    active: StrictBool = Field(default=True, description="false: switched off (a recall): not sold, not promised")


class Address(Strict):
    line1: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    lat: StrictFloat = Field(ge=-90, le=90)
    lng: StrictFloat = Field(ge=-180, le=180)


def _spans(spans: list[tuple[str, str]]) -> list[tuple[str, str]]:
    ordered = sorted(spans)
    for start, end in ordered:
        hours(start, end)  # ValueError naming what is wrong
    for (start, end), (later, last) in pairwise(ordered):
        if later < end:
            raise ValueError(f"spans {start}-{end} and {later}-{last} overlap")
    return ordered


Spans = Annotated[list[tuple[str, str]], AfterValidator(_spans)]


def _clock(value: str) -> str:
    if not _HHMM.match(value) or value > "24:00":
        raise ValueError(f"{value!r} is not a HH:MM time between 00:00 and 24:00")
    return value


Clock = Annotated[str, AfterValidator(_clock)]


class OpeningHours(Strict):
    """Per weekday (``mon`` … ``sun``) a list of ``[open, close]`` local times, e.g. ``[["09:00", "19:30"]]``."""

    mon: Spans = []
    tue: Spans = []
    wed: Spans = []
    thu: Spans = []
    fri: Spans = []
    sat: Spans = []
    sun: Spans = []


class NodeIn(Strict):
    id: NodeId
    type: NodeType
    name: str = Field(min_length=1, max_length=200)
    address: Address
    timezone: str = "Europe/Paris"
    fulfills: list[DeliveryMode] = Field(default=[], description="Delivery modes this node sends stock for")
    hands_over: list[DeliveryMode] = Field(default=[], description="Delivery modes customers collect here")
    opening_hours: OpeningHours = OpeningHours()
    exceptions: dict[Day, Spans] = Field(
        default={}, description="A date's own opening spans instead of its weekday's: [] closed (a holiday)")
    processing_minutes: StrictInt = Field(default=60, ge=0, le=10080,
                                    description="Minutes of opening time to pick and pack an order")
    carrier_cutoff: Clock = Field(default="17:00", description="When carriers collect parcels (local HH:MM)")
    daily_capacity: StrictInt | None = Field(
        default=None, ge=0, le=INT32,
        description="Orders a day the node can take: fulfilment orders it prepares, parcels a locker bank or "
                    "relay point receives (by local date); null: no limit")
    handling_cost_per_order: StrictInt = Field(default=0, ge=0, le=INT32,
                                         description="What preparing one shipment here costs, minor units")
    handling_cost_per_unit: StrictInt = Field(default=0, ge=0, le=INT32,
                                              description="… plus this per unit, minor units")
    accept_within_minutes: StrictInt | None = Field(
        default=None, ge=1, le=10080,
        description="Minutes the node has to accept a released fulfilment order before it is sourced "
                    "elsewhere; null: no limit")
    release_waves: list[Clock] = Field(
        default=[], max_length=48,
        description="Local times (HH:MM) at which the work planned for the node is released to it, e.g. "
                    "[\"08:00\", \"14:00\"]; none: released at once")
    confirms_cancel: StrictBool = Field(
        default=False, description="A cancel of work already released here waits for the node to confirm it "
                                   "(its WMS may have picked or packed the units)")
    collect_within_days: StrictInt | None = Field(
        default=None, ge=1, le=365,
        description="Days a customer has to collect a parcel ready here (a locker, a relay point, a store's "
                    "counter) before it is sent back; null: no limit")
    returns_to: NodeId | None = Field(
        default=None, description="Where parcels not collected here go back to; the sending node when null")
    active: StrictBool = True

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        if value not in _TIMEZONES:
            raise ValueError(f"unknown IANA timezone {value!r}")
        return value

    @field_validator("release_waves")
    @classmethod
    def _waves(cls, value: list[str]) -> list[str]:
        if "24:00" in value:
            raise ValueError("a release wave is a time of day: 00:00 to 23:59")
        return sorted(set(value))

    @model_validator(mode="after")
    def _modes(self):
        wrong = [m for m in self.hands_over if m not in PICKUP_MODES]
        if wrong:
            raise ValueError(f"hands_over takes pickup modes only, not {', '.join(wrong)}")
        if self.fulfills and self.type in STOCKLESS_NODE_TYPES:
            raise ValueError(f"a {self.type} holds no stock, so it fulfills no mode")
        return self


class StockIn(Strict):
    node_id: NodeId
    sku: Sku
    on_hand: StrictInt = Field(ge=0, le=INT32)
    safety_stock: StrictInt | None = Field(default=None, ge=0, le=INT32)


def _not_ancient(value: datetime) -> datetime:
    if value.year < 2000:
        raise ValueError("is before the year 2000")
    return value


# A time a node reports, with its UTC offset. That it is not ahead of the service's clock is checked by the
# service that takes it (``validation.not_ahead``): the clock is the service's, not the model's.
NodeTime = Annotated[Instant, AfterValidator(_not_ancient)]


class CountIn(Strict):
    sku: Sku
    on_hand: StrictInt = Field(ge=0, le=INT32)


class SnapshotIn(Strict):
    """A node's full count: absolute on-hand per SKU, as counted at ``counted_at``."""

    node_id: NodeId
    counted_at: NodeTime = Field(description="When the count was taken (with its UTC offset)")
    # Empty: nothing counted, a no-op (SKUs not listed keep their on-hand), like every empty bulk call.
    items: list[CountIn] = Field(max_length=5000)


class DeltaIn(Strict):
    """One movement reported by a node: a till sale, a receipt, an adjustment, a damage, a return."""

    event_id: str = Field(min_length=1, max_length=200,
                          description="The sending node's id for the message, unique per node: a resend is a no-op")
    node_id: NodeId
    sku: Sku
    delta: StrictInt = Field(ge=-INT32, le=INT32, description="Units in (+) or out (-)")
    reason: FeedReason
    occurred_at: NodeTime = Field(description="When it happened at the node (with its UTC offset)")

    @field_validator("delta")
    @classmethod
    def _moves(cls, value: int) -> int:
        if value == 0:
            raise ValueError("a movement moves at least one unit")
        return value


class Customer(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


class OrderLineIn(Strict):
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=10_000)
    unit_price: Money


class DeliveryIn(Strict):
    mode: DeliveryMode
    # Checked even when absent, so a missing one is reported on its own field.
    address: Address | None = Field(default=None, validate_default=True)
    pickup_node_id: NodeId | None = Field(default=None, validate_default=True)
    promise_id: str | None = Field(default=None, min_length=1, max_length=4000,
                                   description="The promise (POST /v1/promise) this order keeps")
    slot_start: Instant | None = Field(
        default=None, description="scheduled: the start of the slot chosen (else the promise's slot)")

    @model_validator(mode="after")
    def _slot_for_scheduled(self):
        if self.mode == DeliveryMode.SCHEDULED and self.slot_start is None and self.promise_id is None:
            raise ValueError("a scheduled delivery needs slot_start or the promise_id of a slot")
        if self.mode != DeliveryMode.SCHEDULED and self.slot_start is not None:
            raise ValueError(f"mode {self.mode} has no slots; slot_start is for scheduled deliveries")
        return self

    @field_validator("address")
    @classmethod
    def _address_for_home(cls, value: Address | None, info: ValidationInfo):
        mode = info.data.get("mode")
        if value is None and mode is not None and mode not in PICKUP_MODES:
            raise ValueError(f"mode {mode} needs an address with lat and lng")
        return value

    @field_validator("pickup_node_id")
    @classmethod
    def _node_for_pickup(cls, value: str | None, info: ValidationInfo):
        mode = info.data.get("mode")
        if value is None and mode in PICKUP_MODES:
            raise ValueError(f"mode {mode} needs the node where the customer collects")
        if value is not None and mode is not None and mode not in PICKUP_MODES:
            raise ValueError(f"mode {mode} is delivered to an address; pickup_node_id is for pickup modes")
        return value


class OrderIn(Strict):
    channel: Channel
    external_ref: str = Field(min_length=1, max_length=100)
    customer: Customer
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)
    delivery: DeliveryIn
    hold_id: str | None = Field(default=None, max_length=40, description="A hold whose units this order takes")

    @field_validator("lines")
    @classmethod
    def _one_currency(cls, lines: list[OrderLineIn]):
        currencies = {line.unit_price.currency for line in lines}
        if len(currencies) > 1:
            raise ValueError(f"all lines must be in one currency, got {', '.join(sorted(currencies))}")
        return lines


class ChannelRuleIn(Strict):
    node_types: list[NodeType] | None = Field(default=None, description="Only these node types (all if absent)")
    share_percent: StrictInt = Field(default=100, ge=0, le=100, description="At most this share of each node's units")
    backorder: StrictBool = Field(default=False, description="Orders may wait for expected supply when stock is short")


class StockRulesIn(Strict):
    """How much of each node's stock the channels may promise (see docs/api.md)."""

    safety_stock_by_node_type: dict[NodeType, Annotated[StrictInt, Field(ge=0, le=INT32)]] = Field(
        default={}, description="Safety stock given to stock rows created without one")
    walk_in_units: StrictInt = Field(default=0, ge=0, le=INT32,
                               description="Units of each SKU a store keeps for walk-in customers")
    channels: dict[Channel, ChannelRuleIn] = {}
    low_stock_below: StrictInt = Field(default=0, ge=0, le=INT32,
                                 description="An inventory.low event when a SKU's available units at a node fall "
                                             "below this (inventory.replenished when back); 0: none")


class StrategyIn(Strict):
    """How orders of a channel and delivery mode are sourced ("*": any)."""

    channel: Channel | Literal["*"] = "*"
    mode: DeliveryMode | Literal["*"] = "*"
    strategy: Literal["cost_optimal", "priority", "nearest", "fewest_shipments"] = "cost_optimal"
    max_shipments: StrictInt = Field(default=0, ge=0, le=20, description="At most this many shipments; 0: no limit")
    max_km: StrictFloat | None = Field(default=None, gt=0, le=20000,
                                       description="Only nodes this close to the destination")
    node_groups: list[list[Annotated[str, Field(min_length=1, max_length=64)]]] = Field(
        default=[], max_length=20,
        description="Node ids or node types, in groups: `priority` tries them in this order; for the other "
                    "strategies, only nodes in a group are used")
    exclude_stores_below: StrictInt = Field(default=0, ge=0, le=INT32,
                                      description="A store with fewer units of a SKU is not asked for it")
    split_lines: StrictBool = Field(default=False, description="A line's units may come from several nodes (else each "
                                                         "line comes whole from one node)")
    offer_to: StrictInt = Field(default=1, ge=1, le=10,
                          description="A store's ship-from-store work is offered to this many stores that can send "
                                      "it whole (the chosen one and the nearest others); the first to accept "
                                      "takes it. 1: no competition")

    @model_validator(mode="after")
    def _groups(self):
        if self.strategy == "priority" and not self.node_groups:
            raise ValueError("the priority strategy needs node_groups, in priority order")
        return self


class SourcingSettingsIn(Strict):
    """The cost settings of sourcing and the strategy of each channel and delivery mode."""

    split_penalty: StrictInt = Field(default=0, ge=0, le=10**9,
                               description="Cost of each shipment beyond the first (minor units)")
    depletion_cost_per_unit: StrictInt = Field(default=0, ge=0, le=10**9,
                                         description="Cost of each unit taken from a store below its protection level")
    store_protection_units: StrictInt = Field(default=0, ge=0, le=INT32,
                                        description="Units of each SKU a store keeps before depletion costs apply")
    strategies: list[StrategyIn] = Field(default=[], max_length=200,
                                         description="The most specific entry applies; the default is cost_optimal")

    @model_validator(mode="after")
    def _once(self):
        seen = set()
        for i, s in enumerate(self.strategies):
            if (s.channel, s.mode) in seen:
                raise ValueError(f"strategies.{i}: channel {s.channel} and mode {s.mode} are given twice")
            seen.add((s.channel, s.mode))
        return self


class BandIn(Strict):
    """Transit for destinations up to ``max_km`` away (straight line); ``base`` and ``per_kg`` here are a
    shorthand for a rate band of the same reach, used when the service gives no ``rate_bands``."""

    max_km: StrictFloat = Field(gt=0, le=20000)
    transit_min: StrictInt = Field(ge=0, le=60, description="Carrier delivery days after pickup, at the soonest")
    transit_max: StrictInt = Field(ge=0, le=60, description="… and at the latest")
    base: StrictInt = Field(default=0, ge=0, le=10**9, description="Carrier cost per parcel, minor units")
    per_kg: StrictInt = Field(default=0, ge=0, le=10**9, description="… plus this per started kilogram")

    @model_validator(mode="after")
    def _order(self):
        if self.transit_max < self.transit_min:
            raise ValueError(f"transit_max {self.transit_max} is below transit_min {self.transit_min}")
        return self


class RateBandIn(Strict):
    """What a parcel costs the retailer for destinations up to ``max_km`` away (straight line)."""

    max_km: StrictFloat = Field(gt=0, le=20000)
    base: StrictInt = Field(ge=0, le=10**9, description="Per parcel, minor units")
    per_kg: StrictInt = Field(default=0, ge=0, le=10**9, description="… plus this per started kilogram")


CarrierMode = Literal["home_standard", "home_express", "locker", "pickup_point", "transfer"]


class CarrierServiceIn(Strict):
    """A carrier's service: the modes it serves, how long it takes and what it costs by distance, when it
    delivers."""

    id: NodeId
    name: str = Field(min_length=1, max_length=200)
    modes: list[CarrierMode] = Field(
        min_length=1, max_length=5, description="The delivery modes it serves (to homes, locker banks or relay "
                                                "points); `transfer` carries stock from a DC to a store. A single "
                                                "`mode` is accepted too")
    bands: list[BandIn] = Field(min_length=1, max_length=50, description="Transit by increasing max_km")
    rate_bands: list[RateBandIn] | None = Field(
        default=None, max_length=50, description="Cost by increasing max_km; by default the bands' base and per_kg")
    delivery_weekdays: list[Annotated[StrictInt, Field(ge=1, le=7)]] = Field(
        default=[1, 2, 3, 4, 5, 6], min_length=1, max_length=7, description="ISO weekdays it delivers (1 = Monday)")
    holidays: list[Day] = Field(default=[], max_length=400, description="Dates it does not deliver")
    window: tuple[Clock, Clock] = Field(default=("08:00", "20:00"), description="Delivery hours on the day")
    active: StrictBool = True

    @model_validator(mode="before")
    @classmethod
    def _one_mode(cls, data):
        if isinstance(data, dict) and "mode" in data:
            if "modes" in data:
                raise ValueError("give modes or mode, not both")
            data = {**data, "modes": [data["mode"]]}
            del data["mode"]
        return data

    @model_validator(mode="after")
    def _consistent(self):
        if len(set(self.modes)) != len(self.modes):
            raise ValueError("modes names a mode twice")
        for name, bands in (("bands", self.bands), ("rate_bands", self.rate_bands or [])):
            limits = [b.max_km for b in bands]
            if limits != sorted(set(limits)):
                raise ValueError(f"{name} must be in increasing max_km, each limit once")
        if self.rate_bands is None:
            self.rate_bands = [RateBandIn(max_km=b.max_km, base=b.base, per_kg=b.per_kg) for b in self.bands]
        elif not self.rate_bands or self.rate_bands[-1].max_km < self.bands[-1].max_km:
            raise ValueError(f"rate_bands must reach as far as bands ({self.bands[-1].max_km:g} km): a parcel the "
                             f"service carries must have a cost")
        hours(*self.window)
        return self


Weekday = Annotated[StrictInt, Field(ge=1, le=7)]


class SlotIn(Strict):
    """An appointment slot a node's own vans deliver every week (``scheduled``)."""

    node_id: NodeId
    weekdays: list[Weekday] = Field(default=[1, 2, 3, 4, 5, 6], min_length=1, max_length=7,
                                    description="ISO weekdays it is offered (1 = Monday)")
    start: Clock
    end: Clock
    capacity: StrictInt = Field(ge=0, le=INT32, description="Orders the slot takes on each date")
    lead_minutes: StrictInt = Field(default=120, ge=0, le=10080,
                              description="Minutes between an order being ready and the slot's start (loading, "
                                          "the round)")
    max_km: StrictFloat = Field(default=30.0, gt=0, le=1000, description="How far from the node its vans go")
    days_ahead: StrictInt = Field(default=7, ge=0, le=60, description="How many days ahead the slot is offered")

    @model_validator(mode="after")
    def _window(self):
        hours(self.start, self.end)  # start before end, on one day
        return self


class OneHourIn(Strict):
    """Delivery within the hour by couriers from a store (``one_hour``)."""

    node_id: NodeId
    couriers_per_hour: StrictInt = Field(ge=0, le=10_000, description="Orders its couriers can take leaving in each "
                                                                "clock hour")
    max_km: StrictFloat = Field(default=5.0, gt=0, le=100, description="How far the couriers ride")
    ride_minutes: StrictInt = Field(default=45, ge=1, le=240, description="The ride, at most")


class DeliveryCapacityIn(Strict):
    """The retailer's own deliveries and their capacity: appointment slots and one-hour couriers."""

    slots: list[SlotIn] = Field(default=[], max_length=5000)
    one_hour: list[OneHourIn] = Field(default=[], max_length=5000)


class PointIn(Strict):
    lat: StrictFloat = Field(ge=-90, le=90)
    lng: StrictFloat = Field(ge=-180, le=180)


class DestinationIn(Strict):
    """Where the cart goes: an address with coordinates, or a point ("near me")."""

    address: Address | None = None
    lat: StrictFloat | None = Field(default=None, ge=-90, le=90)
    lng: StrictFloat | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _one(self):
        has_point = self.lat is not None and self.lng is not None
        if (self.address is None) == (not has_point) or (self.lat is None) != (self.lng is None):
            raise ValueError("give an address with lat and lng, or lat and lng alone")
        return self

    @property
    def point(self) -> tuple[float, float]:
        return (self.address.lat, self.address.lng) if self.address else (self.lat, self.lng)


class PromiseLineIn(Strict):
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=10_000)


class PromiseIn(Strict):
    channel: Channel
    lines: list[PromiseLineIn] = Field(min_length=1, max_length=200)
    destination: DestinationIn
    at: Instant | None = Field(
        default=None, description="When the order would be placed (default: now); a time other than now "
                                  "answers what would be offered then, without promise ids")



class ModePriceIn(Strict):
    amount: StrictInt = Field(ge=0, le=10**9, description="Price to the customer, minor units")
    free_above: StrictInt | None = Field(default=None, ge=0, le=10**12,
                                   description="Free when the cart's lines total at least this")


class DeliveryPricesIn(Strict):
    """What each delivery mode costs the customer (a mode absent here is free)."""

    currency: Currency = "EUR"
    modes: dict[DeliveryMode, ModePriceIn] = {}


SupplyStatus = Literal["expected", "received", "cancelled"]


class SupplyIn(Strict):
    """Units on their way to a node: a purchase order line or a transfer, expected on a date."""

    id: str = Field(min_length=1, max_length=100, description="The sender's reference; sending it again updates it")
    kind: Literal["purchase_order", "transfer"]
    node_id: NodeId
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=INT32)
    expected_on: Day
    status: SupplyStatus = "expected"


class HoldLineIn(Strict):
    sku: Sku
    quantity: StrictInt = Field(gt=0, le=10_000)


class HoldIn(Strict):
    """Units kept for a shopper's cart or checkout until ``ttl_seconds`` pass, or the order converts them."""

    channel: Channel
    ref: str | None = Field(default=None, max_length=100, description="The cart or checkout it is for")
    lines: list[HoldLineIn] = Field(min_length=1, max_length=200)
    delivery: DeliveryIn
    ttl_seconds: StrictInt = Field(default=900, ge=30, le=3600)


class CancelLine(Strict):
    sku: Sku | None = None
    line_no: StrictInt | None = Field(default=None, ge=1, le=INT32)
    quantity: StrictInt | None = Field(default=None, gt=0, le=INT32,
                                       description="Default: all that is left on the line")

    @model_validator(mode="after")
    def _which(self):
        if (self.sku is None) == (self.line_no is None):
            raise ValueError("give exactly one of sku or line_no")
        return self


class CancelIn(Strict):
    lines: list[CancelLine] | None = Field(default=None, min_length=1, description="Omit to cancel the whole order")
    # Required: the timeline tells customer service and the channel why the units were cancelled.
    reason: str = Field(min_length=1, max_length=500, description="Why (the customer's words, a fraud check …)")


class CancelAnswerIn(Strict):
    """A node's answer to a cancel it was asked to confirm."""

    reason: str | None = Field(default=None, max_length=500, description="refuse: why the units will be sent")


class ResourceIn(Strict):
    late: StrictBool = Field(default=False, description="Accept a later delivery than promised (the customer agreed)")
    reason: str | None = Field(default=None, max_length=500)


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


class AddressChangeIn(Strict):
    address: Address
    reason: str | None = Field(default=None, max_length=500)


class TrackingIn(Strict):
    tracking_number: str = Field(min_length=1, max_length=100)
    status: Tracking
    # A carrier's clock, like a node's: its news cannot come from the future (a "delivered" dated years
    # ahead would set the order's delivered date).
    occurred_at: NodeTime | None = None
    description: str | None = Field(default=None, max_length=500)


class ReplayIn(Strict):
    event_ids: list[str] | None = Field(default=None, min_length=1, max_length=1000,
                                        description="These deliveries (any status); omit for every dead one")


class ReoptimiseIn(Strict):
    apply: StrictBool = Field(default=True, description="false: answer what would change, store nothing")


class PickedLine(Strict):
    sku: Sku
    quantity: StrictInt = Field(ge=0, le=INT32)


class ParcelIn(Strict):
    weight_g: StrictInt = Field(gt=0, le=INT32, description="What the parcel weighs, grams")
    reference: str | None = Field(default=None, max_length=100, description="The node's label for it")


class ActionIn(Strict):
    """Details of a node's confirmation; which fields apply depends on the action."""

    reason: str | None = Field(default=None, max_length=500, description="reject: why (required)")
    lines: list[PickedLine] | None = Field(default=None, description="pick: quantities found (short picks)")
    carrier: str | None = Field(default=None, max_length=100, description="ship")
    tracking_number: str | None = Field(default=None, max_length=100, description="ship")
    pickup_code: str | None = Field(default=None, max_length=20, description="ready: set; collect: check")
    parcels: list[ParcelIn] | None = Field(default=None, min_length=1, max_length=100,
                                           description="pack: the parcels made, each weighed")


class SampleOrderIn(Strict):
    """An order to source in a simulation: nothing is reserved or stored."""

    channel: Channel
    lines: list[PromiseLineIn] = Field(min_length=1, max_length=200)
    delivery: DeliveryIn


class SimulateIn(Strict):
    """A draft strategy tried on sample orders, beside the live one."""

    strategy: StrategyIn = Field(description="The draft; its channel and mode are not used")
    split_penalty: StrictInt | None = Field(default=None, ge=0, le=10**9, description="Draft value (default: live)")
    depletion_cost_per_unit: StrictInt | None = Field(default=None, ge=0, le=10**9, description="Draft value")
    store_protection_units: StrictInt | None = Field(default=None, ge=0, le=INT32, description="Draft value")
    orders: list[SampleOrderIn] = Field(min_length=1, max_length=1000)
