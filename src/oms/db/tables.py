"""The schema, as SQLAlchemy Core tables. Alembic migrations are generated from this metadata."""

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC on the way in and out, also on SQLite (which keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


products = Table(
    "products",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("weight_g", Integer, nullable=False),
    Column("length_mm", Integer, nullable=False),
    Column("width_mm", Integer, nullable=False),
    Column("height_mm", Integer, nullable=False),
    Column("price_amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("bulky", Boolean, nullable=False, default=False),
    Column("hazardous", Boolean, nullable=False, default=False),
    # Switched off (a recall, a withdrawal): not sold, not promised, anywhere.
    Column("active", Boolean, nullable=False, default=True, server_default="1"),
    Column("updated_at", UtcDateTime, nullable=False),
)

nodes = Table(
    "nodes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("address", Json, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lng", Float, nullable=False),
    Column("timezone", String(64), nullable=False),
    # Delivery modes this node can send stock for.
    Column("fulfills", Json, nullable=False),
    # Delivery modes for which customers collect here.
    Column("hands_over", Json, nullable=False),
    Column("opening_hours", Json, nullable=False),
    # Dated exceptions to the opening hours: {"2026-12-25": []} closed, or that day's own spans.
    Column("exceptions", Json, nullable=False, default=dict, server_default="{}"),
    # Minutes of opening time to pick and pack an order, and when carriers collect (local HH:MM).
    Column("processing_minutes", Integer, nullable=False, default=60, server_default="60"),
    Column("carrier_cutoff", String(5), nullable=False, default="17:00", server_default="17:00"),
    # Orders a day the node can take (fulfilment orders it prepares, parcels a locker bank or relay point
    # receives); None: no limit. Consumed in ``capacity_use``.
    Column("daily_capacity", Integer, nullable=True),
    # What preparing a shipment here costs (minor units): per fulfilment order and per unit. Sourcing weighs them.
    Column("handling_cost_per_order", Integer, nullable=False, default=0, server_default="0"),
    Column("handling_cost_per_unit", Integer, nullable=False, default=0, server_default="0"),
    # Minutes a released fulfilment order may wait for the node to accept it before it goes elsewhere.
    Column("accept_within_minutes", Integer, nullable=True),
    # Local times at which the work planned for the node is released to it (none: at once).
    Column("release_waves", Json, nullable=False, default=list, server_default="[]"),
    # A cancel of released work waits for the node's word (its WMS may have picked the units).
    Column("confirms_cancel", Boolean, nullable=False, default=False, server_default="0"),
    # Parcels ready here and not collected within these days go back to ``returns_to`` (or their sender).
    Column("collect_within_days", Integer, nullable=True),
    Column("returns_to", String(64), nullable=True),
    # The region whose public holidays it keeps besides its country's (address.country), e.g. "57" Moselle;
    # public_holidays false: it opens as its hours say on them.
    Column("region", String(10), nullable=True),
    Column("public_holidays", Boolean, nullable=False, default=True, server_default="1"),
    # What it hands over or receives, each unit or parcel (see ParcelLimitsIn); null: no limits of its own.
    Column("takes", Json, nullable=True),
    # A locker bank's compartments: [{"size", "length_mm", "width_mm", "height_mm", "max_weight_g", "count"}]
    Column("compartments", Json, nullable=False, default=list, server_default="[]"),
    # The share of customers collecting here who drive for it (carbon estimates); null: the default share.
    Column("collection_car_share", Float, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Settings edited through the API (the stock protection rules), as JSON documents.
settings = Table(
    "settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Json, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# One row per key; ``value`` is bumped whenever products or nodes change, so caches know to reload.
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

inventory = Table(
    "inventory",
    metadata,
    Column("node_id", String(64), ForeignKey("nodes.id"), primary_key=True),
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False, default=0),
    Column("safety_stock", Integer, nullable=False, default=0),
    # When the count that on_hand rests on was taken: older counts and older deltas no longer apply.
    Column("counted_at", UtcDateTime, nullable=True),
    # Every writer stamps it: the in-memory stock mirror reads the rows changed since its last look.
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "sku"),
    Index(None, "updated_at"),
)

# Append-only: every change of on_hand, so on_hand can always be re-derived (sum of delta).
movements = Table(
    "movements",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("node_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("delta", Integer, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("ref", String(200), nullable=True),
    # When it happened at the node (a feed's own time), and when the OMS wrote it down.
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=True),
    # The feed message it came from: a message sent twice is recorded once. Each node (a WMS, a till
    # system) numbers its own messages, so an event id is unique per node, not across nodes.
    Column("source_event_id", String(200), nullable=True),
    Index(None, "node_id", "sku", "occurred_at"),
    Index(None, "node_id", "source_event_id", unique=True),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("external_ref", String(100), nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("status", String(32), nullable=False),
    Column("customer_name", String(200), nullable=False),
    Column("customer_email", String(320), nullable=False),
    Column("delivery_mode", String(32), nullable=False),
    Column("delivery", Json, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_amount", BigInteger, nullable=False),
    # Why the order may miss its promise, what is missing and the options left; null when on track.
    Column("at_risk", Json, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The SHA-256 of the request as validated: a replay under the same key or reference must match it.
    # Null for orders captured before it was kept.
    Column("request_hash", String(64), nullable=True),
    # Why the order waits before its nodes get the work (``payment``: not paid yet); null when it does not.
    # Its units are reserved all the same: its fulfilment orders stay planned until the hold is released.
    Column("hold", String(32), nullable=True),
    UniqueConstraint("channel", "external_ref"),
    UniqueConstraint("channel", "idempotency_key"),
    Index(None, "status"),
    Index(None, "customer_email"),
)

# Why an order's units come from where they do: the plan, its cost term by term, the nodes passed over.
sourcing_decisions = Table(
    "sourcing_decisions",
    metadata,
    Column("order_id", String(40), ForeignKey("orders.id"), primary_key=True),
    Column("explanation", Json, nullable=False),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", String(40), ForeignKey("orders.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("cancelled", Integer, nullable=False, default=0),
    Column("unit_price", BigInteger, nullable=False),
    # Units received back on returns (whatever became of them).
    Column("returned", Integer, nullable=False, default=0, server_default="0"),
)

fulfillments = Table(
    "fulfillments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False),
    Column("node_id", String(64), ForeignKey("nodes.id"), nullable=False),
    # For pickup modes, where the customer collects: that node marks it ready and hands it over.
    Column("handover_node_id", String(64), nullable=True),
    Column("status", String(32), nullable=False),
    # What the node told us: carrier, tracking, pickup code, rejection reason.
    Column("details", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "order_id"),
    Index(None, "node_id", "status"),
    Index(None, "status", "updated_at"),
    Index(None, "handover_node_id"),
)

# ``reserved`` is what this line still holds at the node: the order reservations are these rows.
fulfillment_lines = Table(
    "fulfillment_lines",
    metadata,
    Column("fulfillment_id", String(40), ForeignKey("fulfillments.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("node_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("picked", Integer, nullable=True),
    Column("shipped", Integer, nullable=False, default=0),
    Column("cancelled", Integer, nullable=False, default=0),
    # Units the node could not find when picking.
    Column("short", Integer, nullable=False, default=0),
    Column("reserved", Integer, nullable=False),
    # A backordered line waits for this expected supply, whose units it has been promised.
    Column("supply_id", String(100), nullable=True),
    Index(None, "node_id", "sku"),
)

# What each capacity has taken, per local date: a node's daily capacity (``resource`` is its id) or a
# delivery slot's (``DC-PARIS@08:00``). A day is split in a few stripes (``domain.capacity.STRIPES``):
# one row that every order at a busy DC updated made all of them wait for each other's commit; on
# stripes, orders take places side by side. ``cap`` is the stripe's share of the limit the last taker was
# held to (the shares add up to the limit): the check makes overbooking impossible whatever the writers
# do, and a refused taker changes nothing.
capacity_use = Table(
    "capacity_use",
    metadata,
    Column("resource", String(100), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("stripe", SmallInteger, primary_key=True, default=0, server_default="0"),
    Column("used", Integer, nullable=False),
    Column("cap", Integer, nullable=False),
    CheckConstraint("used <= cap", name="within_cap"),
)

# Carrier services: how parcels travel from a node (transit by distance band, delivery days and hours).
carrier_services = Table(
    "carrier_services",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("modes", Json, nullable=False),  # the delivery modes it serves
    # Transit by straight-line distance: [{"max_km", "transit_min", "transit_max"}]
    Column("bands", Json, nullable=False),
    # What a parcel costs by straight-line distance: [{"max_km", "base", "per_kg"}] (minor units)
    Column("rate_bands", Json, nullable=False),
    Column("delivery_weekdays", Json, nullable=False),  # ISO weekdays it delivers: [1, … 6]
    Column("holidays", Json, nullable=False),  # dates it does not deliver
    Column("window", Json, nullable=False),  # delivery hours on the day: ["08:00", "20:00"]
    # The country it delivers in: no deliveries on its national public holidays unless public_holidays is false.
    Column("country", String(2), nullable=True),
    Column("public_holidays", Boolean, nullable=False, default=True, server_default="1"),
    # What one parcel may be (see ParcelLimitsIn); null (stored before services said it): anything.
    Column("takes", Json, nullable=True),
    # Emission factors: {"g_per_tonne_km", "g_per_parcel"} (grams CO2e); null: not known.
    Column("emissions", Json, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

# A store's replenishment: the DC it is supplied from, the ISO weekdays it orders, the lead time (days) and
# its spread.
replenishment_stores = Table(
    "replenishment_stores",
    metadata,
    Column("node_id", String(64), ForeignKey("nodes.id"), primary_key=True),
    Column("source_node_id", String(64), ForeignKey("nodes.id"), nullable=False),
    Column("order_weekdays", Json, nullable=False),
    Column("lead_days", Float, nullable=False),
    Column("lead_sigma_days", Float, nullable=False, default=0.0),
    Column("updated_at", UtcDateTime, nullable=False),
    # The store's local date the sweep last proposed its replenishment (each day once, whichever server).
    Column("swept_on", Date, nullable=True),
)

# How a store (or every store, "*") replenishes a SKU, a class of SKUs ("DEC-*") or all ("*"); a field left
# null is the next less specific rule's (see domain/replenishment/settings.py). ``id``: node_id|sku.
replenishment_rules = Table(
    "replenishment_rules",
    metadata,
    Column("id", String(140), primary_key=True),
    Column("node_id", String(64), nullable=False),
    Column("sku", String(65), nullable=False),
    Column("policy", String(20), nullable=True),
    Column("service_level", Float, nullable=True),
    Column("presentation_min", Integer, nullable=True),
    Column("shelf_capacity", Integer, nullable=True),
    Column("case_pack", Integer, nullable=True),
    Column("rounding_threshold", Float, nullable=True),
    Column("min_order", Integer, nullable=True),
    Column("days_of_supply", Integer, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "node_id"),
)

# A replenishment run: the proposals for the stores and SKUs in its scope on a date, each with its inputs.
replenishment_runs = Table(
    "replenishment_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("run_date", Date, nullable=False),
    Column("scope", Json, nullable=False),  # {"nodes": [...], "skus": [...] or null}
    Column("summary", Json, nullable=False),  # counts: pairs, proposed, units, unfilled
    Column("unfilled", Json, nullable=False),  # [{"node_id", "sku", "asked", "given", "source_node_id"}]
    # What it left at each DC for the DC's own online orders: [{"node_id", "sku", "units", "days"}]
    Column("kept", Json, nullable=False, default=list, server_default="[]"),
    # Store-to-store moves for what the DCs could not send: [{"from_node_id", "node_id", "sku", "quantity", "km"}]
    Column("moves", Json, nullable=False, default=list, server_default="[]"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("approved_at", UtcDateTime, nullable=True),
    Column("approved_by", String(120), nullable=True),
)

replenishment_lines = Table(
    "replenishment_lines",
    metadata,
    Column("run_id", String(40), ForeignKey("replenishment_runs.id"), primary_key=True),
    Column("node_id", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("source_node_id", String(64), nullable=False),
    Column("method", String(12), nullable=False),
    Column("forecast_daily", Float, nullable=False),
    Column("sigma", Float, nullable=False),
    Column("safety_stock", Float, nullable=False),
    Column("order_up_to", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("asked", Integer, nullable=False),  # the proposal before the DC's units were shared
    Column("quantity", Integer, nullable=False),
    Column("why", Text, nullable=False),
)

# Public holidays by country and region ("" for the whole country): nodes and carrier services are closed
# on them unless they say otherwise (``oms holidays`` loads them from the ``holidays`` package).
public_holidays = Table(
    "public_holidays",
    metadata,
    Column("country", String(2), primary_key=True),
    Column("region", String(10), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("name", String(200), nullable=False),
)

# Future supply: purchase orders and transfers on their way to a node, with the date they are expected.
supply = Table(
    "supply",
    metadata,
    Column("id", String(100), primary_key=True),  # the sender's reference (a PO line, a transfer)
    Column("kind", String(20), nullable=False),  # purchase_order, transfer
    Column("node_id", String(64), ForeignKey("nodes.id"), nullable=False),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("expected_on", Date, nullable=False),
    Column("status", String(16), nullable=False),  # expected, received, cancelled
    # Units promised to backordered order lines: never more than ``quantity``.
    Column("allocated", Integer, nullable=False, default=0, server_default="0"),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "sku", "status"),
)

# Units a DC sends a store (an approved replenishment proposal): reserved at the DC until shipped, expected
# at the store (a ``supply`` row of kind ``transfer`` per line, ``<id>/<line_no>``) until received.
transfers = Table(
    "transfers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("source_node_id", String(64), ForeignKey("nodes.id"), nullable=False),
    Column("node_id", String(64), ForeignKey("nodes.id"), nullable=False),  # the store receiving
    Column("run_id", String(40), nullable=True),
    Column("status", String(16), nullable=False),
    Column("expected_on", Date, nullable=False),
    Column("details", Json, nullable=False),  # carrier, tracking number, who received it
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "node_id", "status"),
    Index(None, "source_node_id", "status"),
    Index(None, "run_id"),
)

# ``reserved`` is what the line still holds at the sending node (``node_id``): these rows are reservations.
transfer_lines = Table(
    "transfer_lines",
    metadata,
    Column("transfer_id", String(40), ForeignKey("transfers.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("node_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("picked", Integer, nullable=True),
    Column("shipped", Integer, nullable=False, default=0, server_default="0"),
    # Counted at the store: units put on its shelves, and units that came damaged (not put there).
    Column("received", Integer, nullable=False, default=0, server_default="0"),
    Column("damaged", Integer, nullable=False, default=0, server_default="0"),
    Column("reserved", Integer, nullable=False),
    Index(None, "node_id", "sku"),
)

# Cart and checkout holds: units kept for a shopper for a while; they expire by themselves.
holds = Table(
    "holds",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("ref", String(100), nullable=True),
    Column("status", String(16), nullable=False),  # active, released, expired, converted
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("request_hash", String(64), nullable=True),  # as on orders
    Index(None, "status", "expires_at"),
    UniqueConstraint("channel", "idempotency_key"),
)

# ``reserved`` is what the hold still keeps at the node: these rows are reservations too.
hold_lines = Table(
    "hold_lines",
    metadata,
    Column("hold_id", String(40), ForeignKey("holds.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("node_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Index(None, "node_id", "sku"),
)

# The order timeline and the transactional outbox in one: written in the change's own transaction,
# published later by the relay (``published_at``), and kept as the order's history.
events = Table(
    "events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("type", String(64), nullable=False),
    Column("order_id", String(40), nullable=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("reason", Text, nullable=True),
    Column("data", Json, nullable=False),
    Column("published_at", UtcDateTime, nullable=True),
    Index(None, "order_id"),
    Index(None, "published_at"),
    Index(None, "type", "occurred_at"),
)

# Partners' subscriptions to event types ("*": all), each event signed with the subscription's secret.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("events", Json, nullable=False),
    # The secret sealed with OMS_SECRET_KEY (``services.secret_box``); ``secret`` holds it in plain only for
    # subscriptions made before secrets were sealed, until a server with the key seals it (then "").
    Column("secret", String(200), nullable=False),
    Column("sealed_secret", String(1000), nullable=True),
    Column("node_id", String(64), nullable=True),  # only events about this node's work (a WMS's own)
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# One event to one subscription: pending until the partner answers 2xx (delivered), retried with backoff,
# dead after the last attempt (replayable). A subscription gets an order's events in their order.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("webhook_id", String(40), ForeignKey("webhooks.id"), primary_key=True),
    Column("event_id", String(40), ForeignKey("events.id"), primary_key=True),
    Column("order_id", String(40), nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Index(None, "status", "next_attempt_at"),
)

# A parcel handed to a carrier, found again by its tracking number when the carrier reports on it.
shipments = Table(
    "shipments",
    metadata,
    Column("carrier", String(100), primary_key=True),
    Column("tracking_number", String(100), primary_key=True),
    Column("fulfillment_id", String(40), ForeignKey("fulfillments.id"), nullable=False),
    Column("label", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # Carriers that do not push are asked (``fulfillment/laposte.py``): when next, how many times in a row
    # nothing was new, whether the parcel's story is over.
    Column("next_poll_at", UtcDateTime, nullable=True),
    Column("quiet_polls", Integer, nullable=False, default=0, server_default="0"),
    Column("final", Boolean, nullable=False, default=False, server_default="0"),
)

# A return (RMA): units of one order coming back, announced by any channel (also another than the order's),
# received at a node that says what becomes of each (restocked, written off, kept to inspect).
returns = Table(
    "returns",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False),
    Column("channel", String(20), nullable=False),  # where the customer started it
    Column("kind", String(16), nullable=False),  # customer, undelivered
    Column("method", String(16), nullable=False),  # mail, in_store
    Column("node_id", String(64), nullable=True),  # where it is expected, if said
    Column("status", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("refunded", BigInteger, nullable=False),  # refunds requested so far, minor units
    # The exchange order's value, paid with the returned units' value before any refund.
    Column("exchange_order_id", String(40), nullable=True),
    Column("exchange_credit", BigInteger, nullable=False),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "order_id"),
)

# Stock rows whose available units fell below the rules' ``low_stock_below``: told once (inventory.low)
# until they are back above it (inventory.replenished).
low_stock = Table(
    "low_stock",
    metadata,
    Column("node_id", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("since", UtcDateTime, nullable=False),
)

# Stores offered a fulfilment order besides its node (competitive claiming), while it waits for an accept.
fulfillment_offers = Table(
    "fulfillment_offers",
    metadata,
    Column("fulfillment_id", String(40), ForeignKey("fulfillments.id"), primary_key=True),
    Column("node_id", String(64), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "node_id"),
)

# One order line on a return: the units announced, received, and where they went.
return_lines = Table(
    "return_lines",
    metadata,
    Column("return_id", String(40), ForeignKey("returns.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),  # the order line's number
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("received", Integer, nullable=False),
    Column("restocked", Integer, nullable=False),
    Column("damaged", Integer, nullable=False),
    Column("to_inspect", Integer, nullable=False),
)

# Counters behind ``/metrics``, shared by every server process: events handed on per type, orders
# captured per channel and mode, failed webhook attempts. ``labels`` is "key=value,key=value".
counts = Table(
    "counts",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("labels", String(200), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# A person signed in to the console with an API key: the cookie holds a random token, stored here only as
# its hash, with the form token that every change made through the console must carry.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("key_id", String(40), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("scope", String(64), nullable=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

# A shop or marketplace the retailer runs, whose orders come in through the OMS (``services.connectors``). Its
# credentials are sealed together (one Fernet token of their JSON, ``services.partners.secret_box``); their
# names are kept apart, to show which are set without opening them.
connectors = Table(
    "connectors",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("base_url", String(2000), nullable=False),
    Column("sealed_credentials", Text, nullable=False),
    Column("credential_names", Json, nullable=False),
    Column("shipping_modes", Json, nullable=False),  # the platform's shipping method → the OMS delivery mode
    Column("poll_seconds", Integer, nullable=False),
    # The shop's IANA time zone: PrestaShop writes its times in it, without an offset.
    Column("timezone", String(64), nullable=False, default="Europe/Paris", server_default="Europe/Paris"),
    # Mirakl's reason code for the lines the OMS cancels (the operator's list); none: they are not told.
    Column("cancel_reason", String(64), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Polling: the platform's updated_at up to which every order was kept (the high-water mark), when it
    # was last polled, and why that failed (null when it did not).
    Column("poll_mark", UtcDateTime, nullable=True),
    Column("polled_at", UtcDateTime, nullable=True),
    Column("poll_error", String(500), nullable=True),
)

# The platform's product reference (a SKU, a variant id) → the OMS SKU, per connector.
connector_skus = Table(
    "connector_skus",
    metadata,
    Column("connector_id", String(40), ForeignKey("connectors.id"), primary_key=True),
    Column("platform_ref", String(200), primary_key=True),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
)

# What a platform pushed, written before it is answered (a platform whose delivery was answered 2xx sends it
# no more) and worked on after: pending until captured, or dead with its reason. One row per delivery: the
# platform's retries of a delivery find it there.
connector_inbox = Table(
    "connector_inbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("connector_id", String(40), ForeignKey("connectors.id"), nullable=False),
    Column("delivery_id", String(200), nullable=False),
    Column("topic", String(100), nullable=False),
    Column("headers", Json, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", String(500), nullable=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("platform_ref", String(100), nullable=True),  # the platform's order id, read when it was kept
    UniqueConstraint("connector_id", "delivery_id"),
    Index(None, "status", "id"),
)

# Each platform order a connector has seen: the newest snapshot taken (the platform's updated_at: an older one
# never overwrites it), the OMS order it became, and a short lease (``busy_until``) held while one process
# works on it, so that two snapshots of one order are never worked on at once.
connector_orders = Table(
    "connector_orders",
    metadata,
    Column("connector_id", String(40), ForeignKey("connectors.id"), primary_key=True),
    Column("platform_ref", String(100), primary_key=True),
    Column("version", UtcDateTime, nullable=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=True),
    Column("state", String(16), nullable=False),
    Column("busy_until", UtcDateTime, nullable=True),
    Column("lease", String(32), nullable=True),  # the holder's token: only it may write, or give the lease up
    Column("updated_at", UtcDateTime, nullable=False),
    # The platform's id of each OMS order line, by line number (what a shipment reported names).
    Column("lines", Json, nullable=True),
    Index(None, "order_id"),
)

# What a platform is told of its orders (a shipment with its carrier and tracking number), made from the
# outbox's events and sent after, tried again with backoff until done (or dead, with why). One per connector,
# fulfilment order and action: the platform hears of each shipment once. The shop's decision on a platform
# order's lines (Mirakl's acceptance) is named by the platform's order id, and may have no OMS order.
# ``busy_until``: the lease of the process sending it, which runs out if that process dies mid-call.
connector_reports = Table(
    "connector_reports",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("connector_id", String(40), ForeignKey("connectors.id"), nullable=False),
    Column("platform_ref", String(100), nullable=False),
    Column("order_id", String(40), nullable=True),
    Column("fulfillment_id", String(100), nullable=False),
    Column("action", String(16), nullable=False),
    Column("data", Json, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", UtcDateTime, nullable=False),
    Column("busy_until", UtcDateTime, nullable=True),
    Column("lease", String(32), nullable=True),  # the sender's token: only it may say how the sending went
    Column("error", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime, nullable=True),
    UniqueConstraint("connector_id", "fulfillment_id", "action"),
    Index(None, "status", "next_at"),
)
