"""Shapes of the API's answers, for the OpenAPI document. Services build the same shapes as dicts."""

from typing import Any

from pydantic import BaseModel, Field

from ..services.runtime.shapes import Money
from ..services.sourcing.explanation import LISTED


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None


class Customer(BaseModel):
    name: str
    email: str


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int
    cancelled: int
    returned: int = Field(description="Units received back on returns")
    unit_price: Money


class FulfillmentLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int
    picked: int | None
    shipped: int
    cancelled: int
    short: int
    reserved: int
    supply_id: str | None = None  # a backordered line: the expected supply it waits for


class OrderBrief(BaseModel):
    id: str
    status: str
    channel: str
    customer: Customer
    delivery: dict[str, Any]


class FulfillmentOut(BaseModel):
    id: str
    order_id: str
    node_id: str
    handover_node_id: str | None
    status: str
    details: dict[str, Any]
    lines: list[FulfillmentLineOut]
    created_at: str
    updated_at: str


class FulfillmentWork(FulfillmentOut):
    """A fulfilment order as its node reads it: with the customer and the delivery it serves."""

    order: OrderBrief


class AtRisk(BaseModel):
    """Units no node holds and no node can send in time: why, since when, and what can be done."""
    reason: str
    since: str
    missing: list[dict[str, Any]] = Field(description="[{line_no, sku, quantity}] waiting for a node")
    options: list[dict[str, Any]] = Field(
        description="later_date {delivered_by, nodes}, partial {lines, cancel}, cancel_lines {lines}")


class OrderOut(BaseModel):
    id: str
    channel: str
    external_ref: str
    status: str
    hold: str | None = Field(default=None, description="Why it waits before its nodes get the work (payment: "
                                                       "not paid yet), its units reserved; null when it does not")
    customer: Customer
    delivery: dict[str, Any]
    total: Money
    lines: list[OrderLineOut]
    fulfillments: list[FulfillmentOut]
    dates: dict[str, Any] = Field(description="promised (the window kept), first_shipped, delivered (or "
                                                "collected: once every part has)")
    at_risk: AtRisk | None = None
    created_at: str
    updated_at: str


class OrderPage(Page):
    items: list[OrderOut]


class FulfillmentPage(Page):
    items: list[FulfillmentWork]


class EventOut(BaseModel):
    id: str
    type: str
    occurred_at: str
    actor: str
    reason: str | None
    data: dict[str, Any]


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str
    errors: list[dict[str, str]] | None = None


class BulkResult(BaseModel):
    upserted: int


class StockCountResult(BaseModel):
    upserted: int  # rows whose count was applied
    stale: int  # rows left as they were: they rest on a count dated later than this one


# Every route may answer these (413 and 429 come from the door, before any route: ``gate.Gate``).
PROBLEMS: dict[int | str, dict[str, Any]] = {
    s: {"model": Problem, "content": {"application/problem+json": {}}} for s in (401, 403, 404, 409, 413, 422, 429)}


class ReturnLineOut(BaseModel):
    line_no: int = Field(description="The order line")
    sku: str
    quantity: int
    reason: str
    received: int
    restocked: int
    damaged: int
    to_inspect: int


class ReturnOut(BaseModel):
    id: str
    order_id: str
    order_channel: str
    channel: str
    kind: str = Field(description="customer, or undelivered (not collected, returned by the carrier)")
    method: str
    node_id: str | None
    status: str
    lines: list[ReturnLineOut]
    refunded: Money
    exchange_order_id: str | None
    exchange_credit: Money = Field(description="The exchange order's value still to be paid by returned units")
    created_at: str
    updated_at: str


class ReturnPage(Page):
    items: list[ReturnOut]


# Health


class Health(BaseModel):
    status: str = Field(description="ok")


class Readiness(BaseModel):
    status: str = Field(description="ok, or unavailable (answered 503)")
    migration: str | None = Field(default=None, description="The schema's migration (absent: the database is "
                                                            "unreachable)")
    expected: str | None = Field(default=None, description="The newest migration, when the schema is behind it")
    database: str | None = Field(default=None, description="unreachable, when it is")


# Availability


class NodeAvailable(BaseModel):
    node_id: str
    available: int


class Incoming(BaseModel):
    date: str
    quantity: int


class StoreNear(BaseModel):
    node_id: str
    distance_km: float
    available: int


class SkuAvailability(BaseModel):
    sku: str
    available: int = Field(description="Units over the network the channel may promise")
    nodes: list[NodeAvailable] = Field(description="Nodes with units, by node id")
    modes: dict[str, int] = Field(description="Units per delivery mode: those of the nodes that send it")
    incoming: list[Incoming] = Field(description="Supply expected at the channel's nodes from today on, by date")
    near: list[StoreNear] | None = Field(default=None, description="With a point: the stores within the radius, "
                                                                   "nearest first")


class AvailabilityOut(BaseModel):
    channel: str
    as_of: str = Field(description="The numbers are those of this time (served from memory)")
    items: list[SkuAvailability]


class ProductAvailability(SkuAvailability):
    """One SKU's availability, for a product page."""

    channel: str
    as_of: str = Field(description="The numbers are those of this time (served from memory)")


# Delivery promise


class PromiseOption(BaseModel):
    mode: str
    price: Money = Field(description="What the customer pays for delivery")
    earliest: str
    latest: str
    cutoff: str = Field(description="Order by then to keep this window")
    nodes: list[str] = Field(description="Where the units come from")
    pickup_node_id: str | None = Field(description="Where the customer collects (collection modes)")
    services: list[str] = Field(description="The carrier services that deliver it")
    cost: int = Field(description="Internal: what delivering it costs the retailer, minor units")
    parcels: int = Field(default=0, description="The parcels it makes (one-hour: the courier's one load; none: "
                                                "handed over from a store's shelves or brought in a slot by the "
                                                "retailer's vans)")
    promise_id: str | None = Field(description="Give it to the order that keeps this promise; null for a promise "
                                               "asked for another time than now")
    expires_at: str | None
    within_minutes: int | None = Field(default=None, description="One hour: at the door within this many minutes "
                                                                 "of the order, picking included")
    carbon_g: int | None = Field(default=None, description="Estimated emissions, grams CO2e: carriers' line haul and "
                                                           "last mile, the retailer's vans or couriers, the "
                                                           "customer's trip to collect; null when a factor is not "
                                                           "known")
    available_from: str | None = Field(default=None, description="Some lines wait for expected supply: the date it "
                                                                 "is due; the window counts from its arrival, and "
                                                                 "no promise_id is given (the date is a supplier's)")


class AbsentMode(BaseModel):
    mode: str
    reason: str


class PromiseOut(BaseModel):
    at: str
    options: list[PromiseOption]
    absent: list[AbsentMode] | None = Field(default=None, description="With explain=true: why each mode not "
                                                                      "offered is absent")


class PageMode(BaseModel):
    mode: str
    earliest: str
    latest: str
    cutoff: str = Field(description="Order by then to keep this window")
    pickup_node_id: str | None = Field(description="For collection: the store that has it soonest")


class PromisePage(BaseModel):
    sku: str
    channel: str
    at: str = Field(description="The minute the answer is for")
    available: int
    modes: list[PageMode] = Field(description="The soonest window of each mode, soonest first")


# Sourcing


class PlannedLine(BaseModel):
    line_no: int
    sku: str
    quantity: int


class ShipmentCost(BaseModel):
    handling: int
    carrier: int
    depletion: int
    carbon: int = Field(default=0, description="Its estimated emissions at the carbon price per tonne")
    total: int


class SourcedShipment(BaseModel):
    node_id: str
    lines: list[PlannedLine]
    cost: ShipmentCost
    carbon_g: int | None = Field(default=None, description="The carrier's estimated emissions, grams CO2e (null when "
                                                           "its factors are not known: it weighs nothing then)")
    distance_km: float


class SourcingCandidate(BaseModel):
    node_id: str
    available: dict[str, int] | None = Field(default=None, description="Its units of each SKU (absent: none)")
    distance_km: float | None = None
    cost_alone: Money | None = Field(default=None, description="The whole order from it alone, where it has "
                                                               "everything")
    rejected_because: str | None = Field(default=None, description="Why it was not used (absent: it was)")


class SourcingOthers(BaseModel):
    rejected_because: str
    nodes: int = Field(description="How many of the candidates not listed were left for this reason")


class SourcingDecision(BaseModel):
    strategy: str
    total_cost: Money
    shipments: list[SourcedShipment]
    split_penalty: int
    carbon_price_per_tonne: int = Field(default=0, description="What a tonne of CO2e was weighed at")
    candidates: list[SourcingCandidate] = Field(description=f"The plan's nodes, then at most {LISTED} others holding "
                                                            "some of the order")
    others: list[SourcingOthers] = Field(default=[], description="The rest of the candidates, counted by reason "
                                                                 "(absent from decisions kept before it was)")


class LaterDecision(SourcingDecision):
    at: str
    reason: str


class SourcingExplanation(BaseModel):
    """The decision made at capture and every later one. An order captured before decisions were kept has
    only its later ones (the fields of the capture's decision are then absent)."""

    strategy: str | None = None
    total_cost: Money | None = None
    shipments: list[SourcedShipment] | None = None
    split_penalty: int | None = None
    candidates: list[SourcingCandidate] | None = None
    others: list[SourcingOthers] | None = None
    resourced: list[LaterDecision] | None = Field(default=None, description="Each re-sourcing, oldest first")
    replanned: list[LaterDecision] | None = Field(default=None, description="Each batch re-optimisation that "
                                                                            "moved it, oldest first")


class SimulatedShipment(BaseModel):
    node_id: str
    lines: list[PlannedLine]


class SimulatedPlan(BaseModel):
    plan: list[SimulatedShipment] | None = Field(description="null: the side could not serve the order")
    cost: int | None = None
    misses_promise: bool | None = None


class SimulatedOrder(BaseModel):
    index: int = Field(description="The sample order's place in orders")
    live: SimulatedPlan
    draft: SimulatedPlan


class SimulatedTotals(BaseModel):
    total_cost: Money
    shipments: int
    split_orders: int
    promise_misses: int
    unserved: int


class Simulation(BaseModel):
    strategy: str
    live: SimulatedTotals
    draft: SimulatedTotals
    orders: list[SimulatedOrder]


class ReoptimisePhases(BaseModel):
    load: float
    plan: float
    store: float


class Reoptimisation(BaseModel):
    orders: int = Field(description="Orders weighed")
    competing: int
    method: str
    moved: int
    cost_before: int
    cost_after: int
    gain: int
    lower_bound: int
    optimal: bool
    applied: bool
    stale: str | None = Field(default=None, description="Why nothing was stored: orders or stock moved meanwhile")
    seconds: float
    phases: ReoptimisePhases


# Holds


class HoldLine(BaseModel):
    line_no: int
    sku: str
    quantity: int
    node_id: str
    reserved: int = Field(description="Units the hold still keeps there")


class HoldOut(BaseModel):
    id: str
    channel: str
    ref: str | None
    status: str
    expires_at: str
    created_at: str
    lines: list[HoldLine]


# Settings documents: answered whole, every field given.


class ChannelRule(BaseModel):
    node_types: list[str] | None
    share_percent: int
    backorder: bool


class StockRules(BaseModel):
    safety_stock_by_node_type: dict[str, int]
    walk_in_units: int
    channels: dict[str, ChannelRule]
    low_stock_below: int


class Strategy(BaseModel):
    channel: str
    mode: str
    strategy: str
    max_shipments: int
    max_km: float | None
    node_groups: list[list[str]]
    exclude_stores_below: int
    split_lines: bool
    offer_to: int


class SourcingSettings(BaseModel):
    split_penalty: int
    depletion_cost_per_unit: int
    store_protection_units: int
    carbon_price_per_tonne: int = 0
    strategies: list[Strategy]


class ModePrice(BaseModel):
    amount: int
    free_above: int | None


class DeliveryPrices(BaseModel):
    currency: str
    modes: dict[str, ModePrice]


class ParcelLimits(BaseModel):
    """What one parcel may be (null: no limit); bulky and hazardous goods taken or not."""
    max_weight_g: int | None = None
    max_length_mm: int | None = None
    max_sides_mm: int | None = None
    max_girth_mm: int | None = None
    bulky: bool = False
    hazardous: bool = False


class PointAddress(BaseModel):
    line1: str
    postal_code: str
    city: str
    country: str
    lat: float
    lng: float


class PickupPoint(BaseModel):
    id: str
    name: str
    type: str = Field(description="pickup_point or locker")
    distance_km: float = Field(description="Straight-line distance from the point asked about")
    address: PointAddress
    opening_hours: dict[str, list[list[str]]] = Field(description="Local opening spans by weekday")
    next_open: str | None = Field(description="Now if open, else when it next opens (null: not in the coming "
                                              "weeks)")
    closed_on: list[str] = Field(description="Days of the coming two weeks it is shut though its hours say open "
                                             "(public holidays, closures)")
    takes: ParcelLimits | None = Field(description="What one parcel may be (null: no limits of its own)")
    collect_within_days: int | None = Field(description="Days a parcel waits there before it is sent back")


class PickupPoints(BaseModel):
    mode: str
    items: list[PickupPoint]


class DemandDay(BaseModel):
    date: str
    walk_in: int
    online: int
    returns: int
    opening_on_hand: int
    out_of_stock: bool


class DemandTotals(BaseModel):
    walk_in: int
    online: int
    returns: int
    out_of_stock_days: int


class StoreDemand(BaseModel):
    node_id: str
    sku: str
    on_hand: int
    days: list[DemandDay]
    totals: DemandTotals


class ReplenishmentLine(BaseModel):
    node_id: str
    sku: str
    source_node_id: str
    method: str = Field(description="ses, croston, sba, tsb (none: no demand seen)")
    forecast_daily: float
    sigma: float = Field(description="The spread of a day's demand around the forecast")
    safety_stock: float
    order_up_to: int
    position: int = Field(description="On hand + on order − reserved")
    asked: int = Field(description="The proposal in packs, before the DC's units were shared")
    quantity: int = Field(description="What the DC can send")
    why: str


class Unfilled(BaseModel):
    node_id: str
    sku: str
    source_node_id: str
    asked: int
    given: int


class Kept(BaseModel):
    node_id: str = Field(description="The DC")
    sku: str
    units: int = Field(description="Units left at the DC for its own online orders: no transfer takes them")
    days: float = Field(description="The days they cover: to the DC's next receipt, else its stores' longest wait")


class StoreMove(BaseModel):
    from_node_id: str = Field(description="The store sending: it holds more than its level")
    node_id: str = Field(description="The store its DC could not fill in full")
    sku: str
    quantity: int
    km: float = Field(description="Between the two stores: nearer than the short store's DC")


class ReplenishmentRun(BaseModel):
    id: str
    date: str
    scope: dict
    summary: dict
    created_at: str
    unfilled: list[Unfilled]
    kept: list[Kept]
    moves: list[StoreMove]
    approved_at: str | None = Field(description="When its proposals became transfers (null: not yet)")
    approved_by: str | None
    lines: list[ReplenishmentLine]
    next_offset: int | None = Field(default=None, description="The next page of lines (null: none)")


class Approval(BaseModel):
    run_id: str
    approved_at: str
    transfers: list[str] = Field(description="The transfers created, one per store and DC")
    lines: int
    units: int
    short: list[dict] = Field(description="Lines the sender could no longer fill in full since the run: "
                                          "source_node_id, node_id, sku, approved, sent")


class TransferLine(BaseModel):
    line_no: int
    sku: str
    quantity: int = Field(description="Units asked of the DC")
    picked: int | None = Field(description="Units it found (null: not picked yet)")
    shipped: int
    received: int = Field(description="Units the store put on its shelves")
    damaged: int = Field(description="Units that came damaged")
    short: int = Field(description="Once received: shipped units that did not arrive")


class Transfer(BaseModel):
    id: str
    source_node_id: str = Field(description="The DC sending")
    node_id: str = Field(description="The store receiving")
    run_id: str | None
    status: str = Field(description="released, accepted, picked, shipped, received, cancelled")
    expected_on: str
    details: dict = Field(description="carrier, tracking_number, shipped_at, received_at, received_by, reasons")
    lines: list[TransferLine]
    created_at: str
    updated_at: str


class Slot(BaseModel):
    node_id: str
    weekdays: list[int]
    start: str
    end: str
    capacity: int
    lead_minutes: int
    max_km: float
    days_ahead: int
    closed_days: bool = False
    g_per_km: float | None = None
    drops_per_round: int = 12


class OneHour(BaseModel):
    node_id: str
    couriers_per_hour: int
    max_km: float
    ride_minutes: int
    takes: ParcelLimits | None = None
    g_per_km: float | None = None


class DeliveryCapacity(BaseModel):
    slots: list[Slot]
    one_hour: list[OneHour]


# Carrier services


class TransitBand(BaseModel):
    max_km: float
    transit_min: int
    transit_max: int


class RateBand(BaseModel):
    max_km: float
    base: int
    per_kg: int


class Emissions(BaseModel):
    g_per_tonne_km: float
    g_per_parcel: float


class CarrierService(BaseModel):
    id: str
    name: str
    modes: list[str]
    bands: list[TransitBand]
    rate_bands: list[RateBand]
    delivery_weekdays: list[int]
    holidays: list[str]
    window: list[str] = Field(description="[from, to]: delivery hours on the day")
    takes: ParcelLimits | None = Field(default=None, description="What one parcel may be; null: anything")
    emissions: Emissions | None = Field(default=None, description="Its emission factors; null: not known")
    country: str | None = None
    public_holidays: bool = True
    active: bool


class Holiday(BaseModel):
    day: str
    name: str


class PublicHolidays(BaseModel):
    country: str
    region: str | None
    days: list[Holiday]


class CarrierServicePage(Page):
    items: list[CarrierService]


# Webhooks


class Webhook(BaseModel):
    """A subscription: never its secret."""

    id: str
    url: str
    events: list[str]
    node_id: str | None
    active: bool
    created_at: str


class WebhookList(BaseModel):
    items: list[Webhook]


class Delivery(BaseModel):
    event_id: str
    type: str
    order_id: str | None
    status: str
    attempts: int
    last_status: int | None = Field(description="The partner's last HTTP status")
    last_error: str | None = Field(description="Why the last attempt failed")
    next_attempt_at: str | None
    created_at: str
    delivered_at: str | None


class DeliveryPage(Page):
    items: list[Delivery]


class Replayed(BaseModel):
    replayed: int = Field(description="Deliveries sent again")


class Connector(BaseModel):
    """A shop or marketplace connected: its credentials by name only."""

    id: str
    kind: str
    channel: str
    base_url: str
    credentials: list[str] = Field(description="The names of the credentials set (never their values)")
    shipping_modes: dict[str, str]
    poll_seconds: int
    timezone: str = Field(description="The shop's time zone, where the platform writes local times (PrestaShop)")
    cancel_reason: str | None = Field(description="Mirakl: the reason code cancelled lines are told with")
    active: bool
    webhook_url: str | None = Field(description="The address to give the platform for its webhooks (a kind that "
                                                "pushes), relative to the OMS's own")
    created_at: str
    updated_at: str


class ConnectorList(BaseModel):
    items: list[Connector]


class MappedSkuOut(BaseModel):
    platform_ref: str
    sku: str


class MappedSkuPage(Page):
    items: list[MappedSkuOut]
    total: int


class Mapped(BaseModel):
    mapped: int = Field(description="Platform references now mapped")


class Received(BaseModel):
    kept: bool = Field(description="Written in the inbox (or there already)")
    duplicate: bool = Field(description="A delivery the inbox had already")
    delivery_id: str | None
    why: str | None = Field(description="Why it was not kept (a ping, a topic the OMS does not take)")


class InboxItem(BaseModel):
    id: int
    delivery_id: str
    platform_ref: str | None = Field(description="The platform's order id")
    topic: str
    headers: dict[str, str]
    body: str = Field(description="The body as received (its first 2,000 characters)")
    status: str = Field(description="pending, captured, ignored (older than the snapshot taken), dead (the "
                                    "reason in error) or dismissed")
    attempts: int
    error: str | None = Field(description="Why it is dead; for others, what capture noted")
    received_at: str


class ConnectorStatus(BaseModel):
    id: str
    kind: str
    active: bool
    last_webhook_at: str | None
    last_poll_at: str | None
    poll_mark: str | None = Field(description="The platform's updated_at up to which every order was polled")
    poll_error: str | None = Field(description="Why the last poll failed; null when it did not")
    poll_lag_seconds: float | None
    inbox_lag_seconds: float | None = Field(description="Age of the oldest record waiting to be captured")
    pending: int
    dead_letters: int
    orders_last_24h: int
    reports_failing: int = Field(description="Reports to the platform that failed and wait to be tried again")
    reports_dead: int = Field(description="Reports to the platform that failed for good (retry once mended)")
    last_report_error: str | None = Field(description="The words of the newest of those reports' last failure")


class Polled(BaseModel):
    read: int
    kept: int = Field(description="Records new to the inbox (a snapshot already kept is not kept twice)")
    mark: str | None = Field(description="The platform's updated_at up to which every order was kept")
    error: str | None


class Retried(BaseModel):
    retried: int


class Dismissed(BaseModel):
    dismissed: int


class InboxPage(Page):
    items: list[InboxItem]


class ReportItem(BaseModel):
    id: int
    platform_ref: str = Field(description="The platform's order id")
    order_id: str | None = Field(description="The OMS order (none for a Mirakl order refused whole)")
    action: str = Field(description="shipment, cancellation or acceptance (Mirakl's decision)")
    data: dict = Field(description="What is told: the carrier and tracking number, the lines, those accepted")
    status: str = Field(description="pending, done or dead (the reason in error)")
    attempts: int
    error: str | None = Field(description="Why it failed (or, once done, what was found: the platform knew)")
    next_at: str
    created_at: str
    done_at: str | None


class ReportPage(Page):
    items: list[ReportItem]
