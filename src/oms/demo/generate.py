"""The demo retailer, Maison Lumen (home and lifestyle goods, France), built from the files in ``data/``.

- ``nodes.csv``: its distribution centres, stores, lockers and drop-ship supplier, in the import format.
- ``pickup_points.json``: the relay points its customers collect parcels from (``points.py``).
- ``catalogue.json``: word lists from which the SKUs are drawn.
- ``stock.json``: how stock is spread over the nodes.

Every draw comes from a ``random.Random`` seeded from those files, so each build gives the same retailer.
"""

import random
from datetime import date, timedelta
from typing import cast

from ..domain.vocabulary import NodeType
from ..importer import Kind, read_text
from ..services.reference.inputs import (
    CarrierServiceIn,
    DeliveryCapacityIn,
    DeliveryPricesIn,
    NodeIn,
    ProductIn,
    SourcingSettingsIn,
)
from ..services.stock.inputs import StockIn
from .points import build_pickup_points
from .source import DATA, read_json


def build() -> tuple[list[ProductIn], list[NodeIn], list[StockIn]]:
    products, nodes = build_products(), build_nodes()
    return products, nodes, build_stock(products, nodes)


def build_nodes() -> list[NodeIn]:
    """The nodes of ``nodes.csv``, and the relay points around them."""
    # The same reader as ``oms import nodes``, so the demo file is also a worked example of the format.
    rows = read_text(Kind.NODES, (DATA / "nodes.csv").read_text(encoding="utf-8"), "nodes.csv")
    nodes = [cast(NodeIn, row.item) for row in rows]  # (the nodes layout's rows)
    return nodes + build_pickup_points([n for n in nodes if n.type == NodeType.WAREHOUSE])


def _about(rng: random.Random, low_high: list[int], step: int) -> int:
    return max(step, round(rng.randint(*low_high) / step) * step)


def _price(rng: random.Random, low_high: list[int]) -> int:
    # Shop prices end in .90 or .99.
    euros = rng.randint(low_high[0] // 100 + 1, max(low_high[0] // 100 + 1, low_high[1] // 100))
    return euros * 100 - rng.choice((1, 10))


def _name(rng: random.Random, kind: dict, category: dict, collections: list[str]) -> str:
    # Commas between the words spare French its gender agreement ("vert" / "verte").
    noun, collection = kind["noun"], rng.choice(collections)
    parts = [noun.replace("{c}", collection) if "{c}" in noun else f"{noun} {collection}"]
    for words in (kind.get("materials", category["materials"]), kind.get("colours", category["colours"])):
        if words:
            parts.append(rng.choice(words))
    return ", ".join(parts)


def build_products(sku_count: int | None = None, *, name_tries: int = 50) -> list[ProductIn]:
    """The catalogue: ``sku_count`` SKUs (the demo's own count when None). A repeated name is drawn again,
    up to ``name_tries`` times: a catalogue far larger than the word lists' combinations keeps some."""
    catalogue = read_json("catalogue.json")
    rng = random.Random(catalogue["seed"])
    categories = catalogue["categories"]
    total = catalogue["sku_count"] if sku_count is None else sku_count
    counts = [total * c["share"] // 100 for c in categories]
    counts[-1] += total - sum(counts)
    products, names = [], set()
    for category, count in zip(categories, counts, strict=True):
        for number in range(1, count + 1):
            for _ in range(name_tries):
                kind = rng.choice(category["types"])
                name = _name(rng, kind, category, catalogue["collections"])
                if name not in names:
                    break
            names.add(name)
            length, width, height = (_about(rng, span, 10) for span in kind["size_mm"])
            products.append(ProductIn(
                sku=f"{category['code']}-{number:04d}", name=name, weight_g=_about(rng, kind["weight_g"], 10),
                length_mm=length, width_mm=width, height_mm=height,
                price={"amount": _price(rng, kind["price"]), "currency": catalogue["currency"]},
                bulky=kind.get("bulky", False), hazardous=kind.get("hazardous", False),
            ))
    return products


def build_stock(products: list[ProductIn], nodes: list[NodeIn]) -> list[StockIn]:
    plan = read_json("stock.json")
    rng = random.Random(plan["seed"])
    of_type = {t: [n.id for n in nodes if n.type == t] for t in NodeType}
    dcs, stores, suppliers = of_type[NodeType.WAREHOUSE], of_type[NodeType.STORE], of_type[NodeType.SUPPLIER]
    profiles = plan["profiles"]
    units: dict[tuple[str, str], int] = {}

    def put(node_ids, sku: str, span: list[int], chance: float = 1.0) -> None:
        chosen = [n for n in node_ids if rng.random() < chance] or [rng.choice(node_ids)]
        for node_id in chosen:
            units[(node_id, sku)] = units.get((node_id, sku), 0) + rng.randint(*span)

    for p in products:
        if p.bulky:
            # Big furniture is too large for a shop's back room: DCs and the supplier only.
            bulky = plan["bulky"]
            if rng.random() >= bulky["supplier_only_chance"]:
                put(dcs, p.sku, bulky["dc_units"], bulky["dc_chance"])
            put(suppliers, p.sku, bulky["supplier_units"])
            continue
        profile = rng.choices(list(profiles), weights=[v["weight"] for v in profiles.values()])[0]
        rule = profiles[profile]
        if profile == "broad":
            put(dcs, p.sku, rule["dc_units"], rule["dc_chance"])
            put(stores, p.sku, rule["store_units"], rule["store_chance"])
            if p.sku.startswith("GAR-") and rng.random() < plan["supplier_garden_chance"]:
                put(suppliers, p.sku, plan["supplier_units"])
        elif profile == "dc_only":
            put(dcs, p.sku, rule["dc_units"], rule["dc_chance"])
        elif profile == "few_stores":
            for store in rng.sample(stores, rng.randint(*rule["stores"])):
                put([store], p.sku, rule["store_units"])
        else:  # scarce: one to three units in all, on one or two nodes
            total = rng.randint(*rule["total_units"])
            holders = rng.sample(stores + dcs, rng.randint(1, min(2, total)))
            for unit in range(total):
                key = (holders[unit % len(holders)], p.sku)
                units[key] = units.get(key, 0) + 1
    return [StockIn(node_id=node_id, sku=sku, on_hand=n) for (node_id, sku), n in units.items()]


def build_delivery() -> tuple[list[CarrierServiceIn], DeliveryPricesIn, DeliveryCapacityIn]:
    """The demo's carrier services (standard, express, the DC-to-store shuttle), delivery prices, and its
    own deliveries (the DCs' appointment slots, one-hour couriers at five city stores)."""
    data = read_json("delivery.json")
    return ([CarrierServiceIn.model_validate(c) for c in data["carrier_services"]],
            DeliveryPricesIn.model_validate(data["prices"]), DeliveryCapacityIn.model_validate(data["capacity"]))


def build_sourcing() -> SourcingSettingsIn:
    """The demo's sourcing costs: a split penalty, two units of each SKU kept on a store's shelves, and
    marketplace orders in one parcel."""
    return SourcingSettingsIn.model_validate(read_json("delivery.json")["sourcing"])


def december_sundays(nodes: list[NodeIn], years: list[int]) -> list[NodeIn]:
    """The stores shut on Sundays open on the three before Christmas (11:00-19:00), as French shops may: an
    exceptional opening on those dates of ``years``."""
    sundays = [day for year in years for day in sundays_before_christmas(year)]
    return [n.model_copy(update={"exceptions": {**dict.fromkeys(sundays, [("11:00", "19:00")]), **n.exceptions}})
            if n.type == NodeType.STORE and not n.opening_hours.sun else n for n in nodes]


def sundays_before_christmas(year: int) -> list[date]:
    eve = date(year, 12, 24)
    last = eve - timedelta(days=eve.isoweekday() % 7)  # Christmas Eve itself when it is a Sunday
    return [last - timedelta(weeks=k) for k in range(3)]
