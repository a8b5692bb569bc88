"""The demo retailer grown to a real network's size (``oms demo --scale large``): benchmarks and load tests.

The demo's own nodes stay (its carrier services, delivery slots and API keys name them); more stores open
around the cities of its stores, more DCs at the sites of ``data/large.json``, and the catalogue is drawn
from the demo's word lists at the size asked. Every SKU is at every DC in depth, and at a share of the
stores by a few units. One ``random.Random`` seeded from the file makes every build the same.

Stock is a stream of chunks (millions of rows): nothing holds it whole.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass

from ..domain.vocabulary import NodeType
from ..services.reference.inputs import NodeIn, ProductIn
from ..services.stock.inputs import StockLine
from .generate import build_nodes, build_products
from .source import moved, read_json

CHUNK = 20_000  # stock rows per chunk


@dataclass(frozen=True)
class Scale:
    stores: int  # the demo's own included
    dcs: int
    skus: int
    store_share: float  # of the stores, how many hold each SKU that is not bulky


def _plan() -> dict:
    return read_json("large.json")


SCALES = {name: Scale(**sizes) for name, sizes in _plan()["scales"].items()}


def build_large_nodes(scale: Scale, rng: random.Random) -> list[NodeIn]:
    plan = _plan()
    nodes = build_nodes()
    demo_dcs = [n for n in nodes if n.type == NodeType.WAREHOUSE]
    demo_stores = [n for n in nodes if n.type == NodeType.STORE]
    if scale.dcs - len(demo_dcs) > len(plan["dc_sites"]):
        raise ValueError(f"at most {len(demo_dcs) + len(plan['dc_sites'])} DCs")
    for site in plan["dc_sites"][: max(0, scale.dcs - len(demo_dcs))]:
        address = demo_dcs[0].address.model_copy(update={k: site[k] for k in ("line1", "postal_code", "city",
                                                                              "lat", "lng")})
        nodes.append(demo_dcs[0].model_copy(update={"id": site["id"], "name": site["name"], "address": address,
                                                    "daily_capacity": site["daily_capacity"]}))
    opened: dict[str, int] = {}  # template store -> how many more opened around its city
    for _ in range(max(0, scale.stores - len(demo_stores))):
        # A new store copies a demo store's hours and services: one of the same kind, in its area.
        like = rng.choice(demo_stores)
        opened[like.id] = number = opened.get(like.id, 1) + 1
        lat, lng = moved(rng, like.address.lat, like.address.lng, plan["jitter_km"])
        line1 = f"{rng.randint(1, 180)} {rng.choice(plan['streets'])}"
        address = like.address.model_copy(update={"line1": line1, "lat": lat, "lng": lng})
        nodes.append(like.model_copy(update={"id": f"{like.id}-{number}", "name": f"{like.name} {number}",
                                             "address": address}))
    return nodes


def build_large_stock(products: list[ProductIn], nodes: list[NodeIn], scale: Scale,
                      rng: random.Random) -> Iterator[list[StockLine]]:
    """Stock rows in chunks: each SKU at every DC, and (unless bulky) at about ``store_share`` of the stores."""
    plan = _plan()
    dcs = [n.id for n in nodes if n.type == NodeType.WAREHOUSE]
    stores = [n.id for n in nodes if n.type == NodeType.STORE]
    dc_low, dc_high = plan["dc_units"]
    store_low, store_high = plan["store_units"]
    per_sku = scale.store_share * len(stores)
    draw = rng.random  # (randint costs four times as much, and there are millions of draws)
    chunk: list[StockLine] = []
    for p in products:
        chunk += [StockLine(dc, p.sku, dc_low + int(draw() * (dc_high - dc_low + 1))) for dc in dcs]
        if not p.bulky:
            # Some SKUs are in more stores than others; on average the share asked.
            held = min(len(stores), round(per_sku * rng.uniform(0.5, 1.5)))
            chunk += [StockLine(s, p.sku, store_low + int(draw() * (store_high - store_low + 1)))
                      for s in rng.sample(stores, held)]
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build_large(scale: Scale) -> tuple[list[ProductIn], list[NodeIn], Iterator[list[StockLine]]]:
    rng = random.Random(_plan()["seed"])
    # Past the word lists' combinations a name may repeat: a big catalogue has its look-alikes.
    products = build_products(scale.skus, name_tries=3)
    nodes = build_large_nodes(scale, rng)
    return products, nodes, build_large_stock(products, nodes, scale, rng)
