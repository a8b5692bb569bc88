"""What the reference writers accept: products, nodes and their hours, stock rules, sourcing settings, carrier
services, the retailer's own deliveries and the prices of delivery modes."""

import re
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ...domain.calendar import hours
from ...domain.vocabulary import PICKUP_MODES, STOCKLESS_NODE_TYPES, Channel, DeliveryMode, NodeType
from ..runtime.shapes import INT32, Address, Currency, Day, Money, NodeId, Sku, Strict, Timezone

_HHMM = re.compile(r"^([01]\d|2[0-4]):[0-5]\d$")


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


Millimetres = Annotated[StrictInt, Field(gt=0, le=100_000)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
Region = Annotated[str, Field(pattern=r"^[A-Z0-9 -]{1,10}$", description="As the holidays data names it, in "
                                                                         "capitals")]


class ParcelLimitsIn(Strict):
    """What one parcel (or unit handed over) may be; a limit left out is no limit. Girth as carriers count
    it: length + 2 × (width + height)."""

    max_weight_g: StrictInt | None = Field(default=None, gt=0, le=INT32, description="Grams, at most")
    max_length_mm: Millimetres | None = Field(default=None, description="The longest side, at most")
    max_sides_mm: Millimetres | None = Field(default=None, description="Length + width + height, at most")
    max_girth_mm: Millimetres | None = Field(default=None, description="Length + 2 × (width + height), at most")
    bulky: StrictBool = Field(default=False, description="Takes bulky goods (two-person handling)")
    hazardous: StrictBool = Field(default=False, description="Takes hazardous goods (aerosols, fuel, gas)")


class CompartmentIn(Strict):
    """One size of a locker bank's compartments."""

    size: str = Field(min_length=1, max_length=8, pattern=r"^[A-Za-z0-9]+$", description="S, M, L …")
    length_mm: Millimetres
    width_mm: Millimetres
    height_mm: Millimetres
    max_weight_g: StrictInt | None = Field(default=None, gt=0, le=INT32, description="What it bears, grams")
    count: StrictInt = Field(ge=0, le=10_000, description="Compartments of this size: parcels of it the bank "
                                                          "receives a day")


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
    timezone: Timezone = "Europe/Paris"
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
    region: Region | None = Field(
        default=None, description="The region whose public holidays it keeps besides its country's, as the "
                                  "holidays data names it (France: 57 Moselle, 6AE Alsace)")
    public_holidays: StrictBool = Field(
        default=True, description="Closed on its country's (and region's) public holidays, unless its exceptions "
                                  "give that date hours; false: open as its weekly hours say")
    takes: ParcelLimitsIn | None = Field(
        default=None, description="What it hands over (a store's counter: each unit) or receives (a relay point, "
                                  "a locker bank: each parcel); null: no limits of its own")
    compartments: list[CompartmentIn] = Field(
        default=[], max_length=20, description="A locker bank's compartments by size; none: any parcel the carrier "
                                               "brings, counted in daily_capacity only")
    collection_car_share: StrictFloat | None = Field(
        default=None, ge=0, le=1, description="The share of customers collecting here who drive for it, for carbon "
                                              "estimates (a station's locker bank: few; an out-of-town store: "
                                              "most); null: 0.3")
    active: StrictBool = True

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

    @field_validator("compartments")
    @classmethod
    def _compartments(cls, value: list[CompartmentIn], info: ValidationInfo) -> list[CompartmentIn]:
        kind = info.data.get("type")
        if value and kind != NodeType.LOCKER:
            raise ValueError(f"compartments are a locker bank's, not a {kind}'s")
        sizes = [c.size for c in value]
        if len(set(sizes)) != len(sizes):
            raise ValueError("compartments name a size twice")
        return value


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
    carbon_price_per_tonne: StrictInt = Field(
        default=0, ge=0, le=10**7, description="What a tonne of CO2e costs the retailer (minor units): each shipment's "
                                               "estimated emissions are weighed at it; 0: not weighed")
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


class EmissionsIn(Strict):
    """A carrier service's emission factors, grams CO2e well to wheel (cite where they come from)."""

    g_per_tonne_km: StrictFloat = Field(ge=0, le=10_000, description="Line haul: per tonne carried a road kilometre")
    g_per_parcel: StrictFloat = Field(ge=0, le=100_000,
                                      description="Last mile: per parcel delivered (its van's round shared by "
                                                  "its drops)")


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
    country: Country | None = Field(
        default=None, description="The country it delivers in: it does not deliver on that country's national "
                                  "public holidays (besides its own holidays); null: its own holidays only")
    public_holidays: StrictBool = Field(default=True, description="false: it delivers on its country's public "
                                                                  "holidays too")
    takes: ParcelLimitsIn | None = Field(
        default=None, description="What one parcel may be (bulky and hazardous goods only if it says so); null: "
                                  "anything")
    emissions: EmissionsIn | None = Field(
        default=None, description="Its emission factors, for the carbon of the options it delivers; null: not "
                                  "known (those options' carbon_g is null)")
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
    closed_days: StrictBool = Field(
        default=False, description="Offered on the dates the node is closed by an exception too (a public "
                                   "holiday, a closure); by default not")
    g_per_km: StrictFloat | None = Field(default=None, ge=0, le=10_000,
                                         description="The van's emissions a road km (grams CO2e); null: not known")
    drops_per_round: StrictInt = Field(default=12, ge=1, le=500,
                                       description="Addresses a van's round serves: they share its way there and "
                                                   "back in the carbon of each")

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
    takes: ParcelLimitsIn | None = Field(
        default=None, description="The one load a courier carries (what fits a cargo bike); null: anything")
    g_per_km: StrictFloat | None = Field(default=None, ge=0, le=10_000,
                                         description="The courier's vehicle's emissions a road km (grams CO2e; a "
                                                     "cargo bike's electricity); null: not known")


class DeliveryCapacityIn(Strict):
    """The retailer's own deliveries and their capacity: appointment slots and one-hour couriers."""

    slots: list[SlotIn] = Field(default=[], max_length=5000)
    one_hour: list[OneHourIn] = Field(default=[], max_length=5000)


class ModePriceIn(Strict):
    amount: StrictInt = Field(ge=0, le=10**9, description="Price to the customer, minor units")
    free_above: StrictInt | None = Field(default=None, ge=0, le=10**12,
                                   description="Free when the cart's lines total at least this")


class DeliveryPricesIn(Strict):
    """What each delivery mode costs the customer (a mode absent here is free)."""

    currency: Currency = "EUR"
    modes: dict[DeliveryMode, ModePriceIn] = {}


class HolidayIn(Strict):
    day: Day
    name: str = Field(min_length=1, max_length=200)


class PublicHolidaysIn(Strict):
    """A country's (or a region's) public holidays: they replace those stored for it."""

    country: Country
    region: Region | None = Field(default=None, description="A region's own holidays (France: 57, 6AE); null: "
                                                            "the whole country's")
    days: list[HolidayIn] = Field(max_length=2000)

    @model_validator(mode="after")
    def _once(self):
        days = [d.day for d in self.days]
        if len(set(days)) != len(days):
            raise ValueError("days names a date twice")
        return self

