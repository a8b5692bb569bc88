"""A network for benchmarks, loaded through the API, and a fresh PostgreSQL database to load it into."""

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

CITIES = [  # name, lat, lng
    ("Paris", 48.8566, 2.3522), ("Lyon", 45.7640, 4.8357), ("Marseille", 43.2965, 5.3698),
    ("Toulouse", 43.6047, 1.4442), ("Nice", 43.7102, 7.2620), ("Nantes", 47.2184, -1.5536),
    ("Strasbourg", 48.5734, 7.7521), ("Bordeaux", 44.8378, -0.5792), ("Lille", 50.6292, 3.0573),
    ("Rennes", 48.1173, -1.6778),
]
STORE_MODES = ["click_and_collect", "reserve_in_store", "store_carry_out", "home_standard"]


def _node(id, type, name, lat, lng, fulfills, hands_over=()):
    return {"id": id, "type": type, "name": name, "fulfills": fulfills, "hands_over": list(hands_over),
            "address": {"line1": "1 place centrale", "postal_code": "00000", "city": name, "country": "FR",
                        "lat": lat, "lng": lng}}


async def bench_network(url: str, key: str, n_skus: int = 50) -> list[str]:
    skus = [f"BENCH-{i:04d}" for i in range(n_skus)]
    products = [{"sku": s, "name": f"Bench item {s}", "weight_g": 500, "length_mm": 200, "width_mm": 150,
                 "height_mm": 100, "price": {"amount": 1999, "currency": "EUR"}} for s in skus]
    nodes = [_node("BENCH-DC", "warehouse", "DC Roissy", 49.0, 2.55, ["home_standard", "home_express"])]
    nodes += [_node(f"BENCH-ST-{c[:3].upper()}", "store", c, lat, lng, STORE_MODES, STORE_MODES[:3])
              for c, lat, lng in CITIES]
    stock = [{"node_id": "BENCH-DC", "sku": s, "on_hand": 10_000_000} for s in skus]
    stock += [{"node_id": n["id"], "sku": s, "on_hand": 5} for n in nodes[1:] for s in skus[:10]]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        for path, body in (("/v1/products", products), ("/v1/nodes", nodes), ("/v1/inventory", stock)):
            async with s.put(url + path, json=body) as r:
                if r.status != 200:
                    raise SystemExit(f"seeding {path} failed: {r.status} {await r.text()}")
    return skus


async def fresh_postgres(url: str) -> str:
    """Drop and create the benchmark database named in ``url`` (never the test database)."""
    parsed = make_url(url)
    if parsed.database in (None, "postgres", "test"):
        raise SystemExit("use a database of its own for benchmarks, e.g. …/oms_bench")
    admin = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                                  password=parsed.password, database="postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()
    return url
