"""Orders coming in from a shop: webhook-to-order latency and how many orders a second the inbox captures.

    python bench/connectors.py --network demo [--rate 20] [--seconds 30] [--burst 2000]

On the demo retailer (PostgreSQL by default), a Shopify connector receives signed ``orders/create``
webhooks, each a new order of one to three lines of SKUs stocked at the Paris DC, half of them with the
coordinates Shopify gives and half placed from the postal code table.

- latency: webhooks at ``--rate`` a second for ``--seconds``; for each order, from the moment its webhook was
  sent to the order's ``created_at`` (the same machine's clock): p50, p95, p99;
- throughput: ``--burst`` webhooks sent by 32 clients as fast as the server takes them, then the time until
  the last one is an order: orders a second the inbox is captured at, and the CPU per order of the server
  and of PostgreSQL over that time.
"""

import asyncio
import base64
import csv
import hashlib
import hmac
import os
import random
import sys
import time
from datetime import datetime
from pathlib import Path

import aiohttp
import orjson
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).parent))
from common import ROOT, SERVERS, bench_server, cpu_seconds, percentile, server_arguments  # noqa: E402

SECRET = "shpss_bench-app-secret"
TABLE = ROOT / "src" / "oms" / "demo" / "data" / "postal_codes_fr.csv"


def postal_codes() -> list[tuple[str, float, float]]:
    """Metropolitan France's postal codes and their places (the table capture reads)."""
    with TABLE.open() as f:
        return [(r["postal_code"], float(r["lat"]), float(r["lng"])) for r in csv.DictReader(f)
                if 41 < float(r["lat"]) < 52 and -5.5 < float(r["lng"]) < 10]


def shopify_order(n: int, variants: list[int], places: list, rng: random.Random) -> dict:
    code, lat, lng = rng.choice(places)
    address = {"first_name": "Client", "last_name": f"N{n}", "address1": f"{n % 200 + 1} rue de la Gare",
               "city": "Ville", "zip": code, "country_code": "FR"}
    if n % 2:  # Shopify's own coordinates; the others placed from the table
        address |= {"latitude": lat, "longitude": lng}
    chosen = rng.sample(variants, rng.randint(1, 3))
    return {"id": 7_000_000_000_000 + n, "name": f"#{n}", "email": f"client{n}@example.fr",
            "updated_at": datetime.now().astimezone().isoformat(), "currency": "EUR", "financial_status": "paid",
            "cancelled_at": None,
            "line_items": [{"id": n * 10 + i, "variant_id": v, "sku": "", "quantity": rng.randint(1, 2),
                            "price": "19.90", "discount_allocations": []} for i, v in enumerate(chosen)],
            "shipping_address": address,
            "shipping_lines": [{"code": "colissimo-domicile", "title": "Colissimo à domicile", "price": "4.90"}]}


async def setup(session: aiohttp.ClientSession, url: str, skus: list[str]) -> tuple[str, list[int]]:
    async with session.post(url + "/v1/connectors", json={
            "kind": "shopify", "channel": "web", "base_url": "https://bench-shop.myshopify.com",
            "credentials": {"api_token": "shpat_bench", "webhook_secret": SECRET},
            "shipping_modes": {"colissimo-domicile": "home_standard"}}) as r:
        assert r.status == 201, await r.text()
        made = await r.json()
    variants = [46_000_000 + i for i in range(len(skus))]
    async with session.put(url + f"/v1/connectors/{made['id']}/skus", json={"items": [
            {"platform_ref": str(v), "sku": s} for v, s in zip(variants, skus, strict=True)]}) as r:
        assert r.status == 200, await r.text()
    return made["webhook_url"], variants


async def send(session: aiohttp.ClientSession, url: str, body: dict) -> float:
    raw = orjson.dumps(body)
    signature = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    sent = time.time()
    async with session.post(url, data=raw, headers={
            "Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": signature, "X-Shopify-Webhook-Id": f"bench-{body['id']}"}) as r:
        assert r.status == 200, await r.text()
    return sent


async def created(session: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """external_ref -> when the order was created (seconds since the epoch), every web order."""
    found, cursor = {}, None
    while True:
        params = {"channel": "web", "limit": 100, **({"cursor": cursor} if cursor else {})}
        async with session.get(url + "/v1/orders", params=params) as r:
            page = await r.json()
        for o in page["items"]:
            found[o["external_ref"]] = datetime.fromisoformat(o["created_at"]).timestamp()
        cursor = page.get("next_cursor")
        if not cursor:
            return found


async def settled(session: aiohttp.ClientSession, url: str, webhook: str, patience: float = 600) -> dict:
    """Wait until nothing is pending in the connector's inbox: its records by status."""
    inbox = webhook.removesuffix("/webhooks") + "/inbox"
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        async with session.get(url + inbox, params={"status": "pending", "limit": 1}) as r:
            if not (await r.json())["items"]:
                break
        await asyncio.sleep(0.05)
    counts = {}
    for status in ("captured", "dead", "ignored"):
        n, cursor = 0, None
        while True:
            params = {"status": status, "limit": 500, **({"cursor": cursor} if cursor else {})}
            async with session.get(url + inbox, params=params) as r:
                page = await r.json()
            n += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        counts[status] = n
    return counts


async def main() -> None:
    ap = server_arguments(__doc__, clients=32, seconds=30)
    ap.add_argument("--rate", type=float, default=20.0, help="webhooks a second while latency is measured")
    ap.add_argument("--burst", type=int, default=2000, help="webhooks sent at once to measure throughput")
    args = ap.parse_args()
    rng = random.Random(7)
    places = postal_codes()
    os.environ.setdefault("OMS_SECRET_KEY", Fernet.generate_key().decode())  # (the server seals credentials)
    async with bench_server(args, demo=True) as (url, key, skus):
        headers = {"Authorization": f"Bearer {key}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            webhook, variants = await setup(session, url, skus)
            # Latency: at a steady rate.
            sent: dict[str, float] = {}
            n = 0
            start = time.monotonic()
            pending = []
            while time.monotonic() - start < args.seconds:
                body = shopify_order(n, variants, places, rng)
                pending.append(asyncio.create_task(send(session, url + webhook, body)))
                ref = str(body["id"])
                pending[-1].add_done_callback(lambda task, ref=ref: sent.__setitem__(ref, task.result()))
                n += 1
                await asyncio.sleep(max(0.0, start + n / args.rate - time.monotonic()))
            await asyncio.gather(*pending)
            steady = await settled(session, url, webhook)
            made = await created(session, url)
            waits = sorted(made[ref] - at for ref, at in sent.items() if ref in made)
            # Throughput: a burst.
            group = SERVERS.get(url)
            cpu_before = cpu_seconds(group)
            burst = [shopify_order(n + i, variants, places, rng) for i in range(args.burst)]
            first = time.time()
            queue = iter(burst)

            async def client() -> None:
                for body in queue:
                    await send(session, url + webhook, body)

            await asyncio.gather(*(client() for _ in range(args.clients)))
            accepted = time.time() - first
            counts = await settled(session, url, webhook)
            made = await created(session, url)
            refs = {str(b["id"]) for b in burst}
            last = max(at for ref, at in made.items() if ref in refs)
            cpu_after = cpu_seconds(group)
    captured = len(refs & set(made))
    server_ms, db_ms = ((a - b) * 1000 / max(1, captured) for a, b in zip(cpu_after, cpu_before, strict=True))
    print(f"server: {args.db}, {args.workers} worker(s); network: {args.network}; a Shopify connector")
    print(f"latency, {args.rate:.0f} webhooks/s for {args.seconds:.0f} s: {len(waits)} orders "
          f"({steady['dead']} dead letters); webhook to order p50 {percentile(waits, 50) * 1000:.0f} ms, "
          f"p95 {percentile(waits, 95) * 1000:.0f} ms, p99 {percentile(waits, 99) * 1000:.0f} ms")
    print(f"throughput, {args.burst} webhooks by {args.clients} clients: accepted in {accepted:.1f} s "
          f"({args.burst / accepted:.0f}/s); {captured} orders captured in {last - first:.1f} s "
          f"({captured / (last - first):.0f} orders/s); {counts['dead'] - steady['dead']} dead letters; "
          f"server CPU {server_ms:.1f} ms, PostgreSQL CPU {db_ms:.1f} ms per order")


if __name__ == "__main__":
    asyncio.run(main())
