"""Reference data and stock: bulk upserts (all or nothing) and listings."""

from typing import Annotated

from fastapi import APIRouter, Body, Query

from ..domain.vocabulary import NodeType
from ..services.orders import batch
from ..services.orders.inputs import ReoptimiseIn
from ..services.reference import carriers, delivery_capacity, delivery_prices, holidays, records, stock_rules
from ..services.reference.inputs import (
    CarrierServiceIn,
    DeliveryCapacityIn,
    DeliveryPricesIn,
    NodeIn,
    ProductIn,
    PublicHolidaysIn,
    SourcingSettingsIn,
    StockRulesIn,
)
from ..services.sourcing import simulate
from ..services.sourcing.inputs import SimulateIn
from ..services.stock import feeds
from ..services.stock.inputs import StockIn
from ..services.supply import expected
from ..services.supply.inputs import SupplyIn, SupplyStatus
from .deps import Caller, Ctx, body_of_dict, may
from .json import Json
from .schemas import (
    PROBLEMS,
    BulkResult,
    CarrierService,
    CarrierServicePage,
    DeliveryCapacity,
    DeliveryPrices,
    Page,
    PublicHolidays,
    Reoptimisation,
    Simulation,
    SourcingSettings,
    StockCountResult,
    StockRules,
)

router = APIRouter(prefix="/v1", tags=["reference data"], responses=PROBLEMS)
BULK_MAX = 5000
Limit = Annotated[int, Query(ge=1, le=500)]


@router.put("/products", dependencies=[may("admin")], response_model=BulkResult)
async def upsert_products(items: Annotated[list[ProductIn], Body(max_length=BULK_MAX)], ctx: Ctx, caller: Caller):
    """Create or replace up to 5,000 products. A bad item rejects the whole call, naming the item."""
    caller.require_admin()
    return Json({"upserted": await records.upsert_products(ctx, items)})


@router.get("/products", response_model=Page)
async def list_products(ctx: Ctx, caller: Caller, cursor: str | None = None, limit: Limit = 100):
    return Json(await records.list_products(ctx, cursor=cursor, limit=limit))


@router.put("/nodes", dependencies=[may("admin")], response_model=BulkResult)
async def upsert_nodes(items: Annotated[list[NodeIn], Body(max_length=BULK_MAX)], ctx: Ctx, caller: Caller):
    """Create or replace up to 5,000 nodes (warehouses, stores, lockers …), all or nothing."""
    caller.require_admin()
    return Json({"upserted": await records.upsert_nodes(ctx, items)})


@router.get("/nodes", response_model=Page)
async def list_nodes(ctx: Ctx, caller: Caller, type: NodeType | None = None, cursor: str | None = None,
                     limit: Limit = 100):
    return Json(await records.list_nodes(ctx, type=type, cursor=cursor, limit=limit))


@router.put("/inventory", dependencies=[may("admin")], response_model=StockCountResult)
async def set_stock(items: Annotated[list[StockIn], Body(max_length=BULK_MAX)], ctx: Ctx, caller: Caller):
    """Set on-hand counts per node and SKU (a stock count taken now), all or nothing; each change goes to
    the ledger. `upserted` counts the rows applied; `stale` the rows left as they were because a node sent
    a count dated later than now (within the 5 minutes of clock skew allowed)."""
    caller.require_admin()
    applied, stale = await feeds.set_stock(ctx, items, ref="api")
    return Json({"upserted": applied, "stale": stale})


@router.get("/inventory", response_model=Page)
async def list_inventory(ctx: Ctx, caller: Caller, sku: str | None = None, node_id: str | None = None,
                         cursor: str | None = None, limit: Limit = 100):
    """Stock rows: `on_hand`, `reserved`, `safety_stock` and `available` (to promise) per node and SKU. A node
    key reads its own node's rows only (`403` for a `node_id` of another node)."""
    return Json(await records.list_inventory(ctx, principal=caller, sku=sku, node_id=node_id, cursor=cursor,
                                          limit=limit))


@router.get("/stock-rules", response_model=StockRules)
async def get_stock_rules(ctx: Ctx, caller: Caller):
    """The protection rules: safety stock by node type, walk-in units kept by stores, channel rules."""
    return Json(await stock_rules.get_rules(ctx, principal=caller))


@router.put("/stock-rules", dependencies=[may("admin")], response_model=StockRules)
async def put_stock_rules(body: StockRulesIn, ctx: Ctx, caller: Caller):
    """Replace the protection rules. Availability and new orders follow them within a second.

    `channels`: per channel, the node types it may use and the share (percent) of each node's available
    units it may take, e.g. `{"marketplace": {"node_types": ["warehouse"], "share_percent": 30}}`.
    `walk_in_units`: units of each SKU a store keeps for its shop floor, from every channel but `store`.
    `safety_stock_by_node_type`: safety stock given to stock rows created without one.
    """
    return Json(await stock_rules.put_rules(ctx, body, principal=caller))


@router.get("/sourcing/settings", response_model=SourcingSettings)
async def get_sourcing_settings(ctx: Ctx, caller: Caller):
    """How orders are sourced: the split penalty, store depletion costs and each channel and mode's strategy."""
    return Json(await stock_rules.get_sourcing(ctx, principal=caller))


@router.put("/sourcing/settings", dependencies=[may("admin")], response_model=SourcingSettings)
async def put_sourcing_settings(body: SourcingSettingsIn, ctx: Ctx, caller: Caller):
    """Replace the sourcing settings; new orders follow them within a second.

    `split_penalty`: the cost of each shipment beyond the first. `depletion_cost_per_unit` and
    `store_protection_units`: each unit taken from a store that would leave it with fewer than that many
    units of a SKU costs this much. `strategies`: per `channel` and `mode` (`"*"`: any), one of
    `cost_optimal` (the default), `priority` (with `node_groups` in order), `nearest`, `fewest_shipments`,
    with filters `max_km`, `node_groups`, `exclude_stores_below` and `max_shipments`.
    """
    return Json(await stock_rules.put_sourcing(ctx, body, principal=caller))


@router.post("/sourcing/simulate", dependencies=[may("admin")], response_model=Simulation)
async def simulate_sourcing(body: SimulateIn, ctx: Ctx, caller: Caller):
    """Try a draft `strategy` (and, optionally, draft `split_penalty`, `depletion_cost_per_unit`,
    `store_protection_units`) on up to 1,000 sample `orders` (`channel`, `lines`, `delivery`) beside the
    live settings, reserving nothing. Each side sources the orders in turn on its own copy of the stock
    available now. Answers each side's total cost, shipments, orders split, promise misses and orders it
    could not serve, and each order's two plans."""
    return Json(await simulate.simulate(ctx, body, principal=caller))


@router.post("/sourcing/reoptimise", dependencies=[may("admin")], response_model=Reoptimisation)
async def reoptimise(ctx: Ctx, caller: Caller, body: Annotated[ReoptimiseIn, Body()] = ReoptimiseIn()):
    """Plan the orders waiting for their nodes' release waves again, together: scarce units go where they
    save the most. Answers the orders weighed, those planned jointly, those moved, the cost before and
    after, the gain, a lower bound of any plan and whether the result is proven optimal; with
    `"apply": false`, nothing is stored."""
    caller.require_admin()
    return Json(await batch.run(ctx, apply=body.apply))


@router.put("/supply", dependencies=[may("admin")], response_model=BulkResult)
async def upsert_supply(items: Annotated[list[SupplyIn], Body(max_length=BULK_MAX)], ctx: Ctx, caller: Caller):
    """Purchase orders and transfers expected at nodes (by their reference), all or nothing. Availability
    lists what is expected from today on, by date (`incoming`). A supply marked `received` hands its units
    to the backorders waiting for it; one with units promised to backorders cannot be cut below them,
    cancelled or moved (`409`, naming each item)."""
    return Json({"upserted": await expected.upsert_supply(ctx, items, principal=caller)})


@router.get("/supply", response_model=Page)
async def list_supply(ctx: Ctx, caller: Caller, sku: str | None = None, node_id: str | None = None,
                      status: SupplyStatus | None = None, cursor: str | None = None, limit: Limit = 100):
    """Expected supply; `promised` is how many of its units backordered orders wait for."""
    return Json(await expected.list_supply(ctx, sku=sku, node_id=node_id, status=status, cursor=cursor, limit=limit))


@router.put("/carrier-services", dependencies=[may("admin")], response_model=BulkResult)
async def upsert_carrier_services(items: Annotated[list[CarrierServiceIn], Body(max_length=BULK_MAX)], ctx: Ctx,
                                  caller: Caller):
    """Carrier services by id, all or nothing: the mode each serves (`home_standard`, `home_express`, or
    `transfer` from a DC to a store), transit days and carrier cost by distance band, delivery days,
    holidays and hours. Promises use them within a second."""
    return Json({"upserted": await carriers.upsert_carrier_services(ctx, items, principal=caller)})


@router.get("/carrier-services", response_model=CarrierServicePage)
async def list_carrier_services(ctx: Ctx, caller: Caller, cursor: str | None = None, limit: Limit = 100):
    return Json(await carriers.list_carrier_services(ctx, cursor=cursor, limit=limit))


@router.get("/carrier-services/{service_id}", response_model=CarrierService)
async def get_carrier_service(service_id: str, ctx: Ctx, caller: Caller):
    """One carrier service: the `modes` it serves, transit `bands` and cost `rate_bands` by distance."""
    return Json(await carriers.get_carrier_service(ctx, service_id))


@router.put("/carrier-services/{service_id}", dependencies=[may("admin")], response_model=CarrierService)
async def put_carrier_service(service_id: str, body: Annotated[dict, Body()], ctx: Ctx, caller: Caller):
    """Create or replace one carrier service (the body as in the bulk call; its `id` may be left out).
    Sourcing prices each shipment from its `rate_bands`: `base + per_kg` × started kilograms, for the
    straight-line distance from the node to the destination."""
    item = await body_of_dict({"id": service_id, **body}, CarrierServiceIn)
    return Json(await carriers.put_carrier_service(ctx, service_id, item, principal=caller))


@router.get("/delivery-prices", response_model=DeliveryPrices)
async def get_delivery_prices(ctx: Ctx, caller: Caller):
    return Json(await delivery_prices.get_prices(ctx))


@router.get("/delivery-capacity", response_model=DeliveryCapacity)
async def get_delivery_capacity(ctx: Ctx, caller: Caller):
    return Json(await delivery_capacity.get_delivery_capacity(ctx))


@router.put("/delivery-capacity", dependencies=[may("admin")], response_model=DeliveryCapacity)
async def put_delivery_capacity(body: DeliveryCapacityIn, ctx: Ctx, caller: Caller):
    """The retailer's own deliveries: appointment `slots` (`scheduled`: a node's weekly windows, each taking
    `capacity` orders a date) and `one_hour` couriers at stores (`couriers_per_hour` orders leaving in each
    clock hour, within `max_km`). Replaced whole; promises use it within a second."""
    return Json(await delivery_capacity.put_delivery_capacity(ctx, body, principal=caller))


@router.put("/delivery-prices", dependencies=[may("admin")], response_model=DeliveryPrices)
async def put_delivery_prices(body: DeliveryPricesIn, ctx: Ctx, caller: Caller):
    """What each delivery mode costs the customer: `{"currency": "EUR", "modes": {"home_standard":
    {"amount": 499, "free_above": 5000}}}` (free from that cart total on; a mode absent is free)."""
    return Json(await delivery_prices.put_prices(ctx, body, principal=caller))


@router.put("/public-holidays", dependencies=[may("admin")], response_model=PublicHolidays)
async def put_public_holidays(body: PublicHolidaysIn, ctx: Ctx, caller: Caller):
    """A country's public holidays (`region` null), or a region's own (`"57"` Moselle): `{"country": "FR",
    "region": null, "days": [{"day": "2026-12-25", "name": "Noël"}]}` replaces those stored for it. Nodes in
    that country (and region) are closed on them unless they opt out (`public_holidays: false`) or their
    `exceptions` give the date hours; carrier services naming the country do not deliver on its national
    ones. `oms holidays FR` loads them from the `holidays` package."""
    return Json(await holidays.put_public_holidays(ctx, body, principal=caller))


@router.get("/public-holidays", response_model=PublicHolidays)
async def list_public_holidays(ctx: Ctx, caller: Caller,
                               country: Annotated[str, Query(pattern=r"^[A-Z]{2}$")],
                               region: Annotated[str | None, Query(pattern=r"^[A-Z0-9 -]{1,10}$")] = None,
                               year: Annotated[int | None, Query(ge=1900, le=2200)] = None):
    """A country's public holidays (or a region's own), by date; `year`: that year's only."""
    return Json(await holidays.list_public_holidays(ctx, country=country, region=region, year=year))

