"""Order capture over HTTP: orders/s and latency at N concurrent clients, next to the same server's empty endpoint.

    python bench/capture.py --db sqlite                 # starts a server on a fresh SQLite file
    python bench/capture.py --db postgres --workers 2   # … on a fresh PostgreSQL database `oms_bench`
    python bench/capture.py --url http://127.0.0.1:8000 --key KEY   # an already running server

The server is seeded with a small network (1 DC, 10 stores, 50 SKUs, deep stock) unless --url is given,
then every client sends single-line home orders back to back for --seconds. Prints a table; the figures
are recorded in docs/benchmarks.md.
"""

import argparse
import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from seed import bench_network, fresh_postgres  # noqa: E402

ROOT = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, workers: int, key: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "OMS_DATABASE_URL": db_url, "OMS_BOOTSTRAP_ADMIN_KEY": key}
    oms = Path(sys.executable).parent / "oms"
    proc = subprocess.Popen([str(oms), "serve", "--port", str(port), "--workers", str(workers)], env=env,
                            stdout=subprocess.DEVNULL, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


async def wait_ready(url: str, patience: float = 60) -> None:
    deadline = time.monotonic() + patience
    async with aiohttp.ClientSession() as s:
        while time.monotonic() < deadline:
            try:
                async with s.get(url + "/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"server at {url} not ready after {patience}s")


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


async def drive(url: str, key: str, clients: int, seconds: float, make_request) -> dict:
    """``clients`` loops sending requests back to back for ``seconds``; latencies of the successful ones."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    failures: dict[int, int] = {}
    stop = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def client(n: int) -> None:
            i = 0
            while time.monotonic() < stop:
                method, path, body = make_request(n, i)
                i += 1
                t0 = time.perf_counter()
                async with session.request(method, url + path, data=body) as r:
                    await r.read()
                    if r.status < 300:
                        latencies.append(time.perf_counter() - t0)
                    else:
                        failures[r.status] = failures.get(r.status, 0) + 1

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.monotonic() - started
    latencies.sort()
    return {"rate": len(latencies) / elapsed, "ok": len(latencies), "failures": failures,
            "p50": percentile(latencies, 50) * 1000, "p95": percentile(latencies, 95) * 1000,
            "p99": percentile(latencies, 99) * 1000}


HOME = {"line1": "1 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "FR",
        "lat": 48.8686, "lng": 2.3318}


def order_body(skus: list[str], run: str):
    """Single-line home orders, each with its own channel reference, spread over the SKUs."""
    def make(n: int, i: int):
        body = {"channel": "web", "external_ref": f"{run}-{n}-{i}",
                "customer": {"name": "Bench", "email": "bench@example.com"},
                "lines": [{"sku": skus[(n * 7 + i) % len(skus)], "quantity": 1,
                           "unit_price": {"amount": 1999, "currency": "EUR"}}],
                "delivery": {"mode": "home_standard", "address": HOME}}
        return "POST", "/v1/orders", orjson.dumps(body)
    return make


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/oms_bench")
    ap.add_argument("--url", help="an already running server (not seeded, needs --key and --skus)")
    ap.add_argument("--key", help="an API key allowed to capture web orders (with --url)")
    ap.add_argument("--skus", default="", help="comma-separated SKUs in stock (with --url)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=15)
    args = ap.parse_args()

    proc = None
    if args.url:
        url, key, skus = args.url, args.key, [s for s in args.skus.split(",") if s]
        if not key or not skus:
            raise SystemExit("--url needs --key and --skus")
    else:
        key = "bench-" + secrets.token_hex(8)
        if args.db == "postgres":
            db_url = await fresh_postgres(args.postgres_url)
        else:
            path = ROOT / "var" / f"bench-{secrets.token_hex(4)}.db"
            db_url = f"sqlite:///{path}"
        proc, url = start_server(db_url, args.workers, key)
    try:
        await wait_ready(url)
        if proc is not None:
            skus = await bench_network(url, key)
        run = secrets.token_hex(3)
        await drive(url, key, args.clients, 2, order_body(skus, run + "w"))  # warm caches and pools
        empty = await drive(url, key, args.clients, args.seconds, lambda n, i: ("GET", "/healthz", None))
        capture = await drive(url, key, args.clients, args.seconds, order_body(skus, run))
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)

    where = args.url or f"{args.db}, {args.workers} worker(s)"
    print(f"server: {where}; {args.clients} concurrent clients; {args.seconds:.0f} s per measure")
    print(f"{'endpoint':<26}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}  failures")
    for name, m in (("GET /healthz (empty)", empty), ("POST /v1/orders (1 line)", capture)):
        figures = f"{m['rate']:>10.0f}{m['p50']:>10.2f}{m['p95']:>10.2f}{m['p99']:>10.2f}"
        print(f"{name:<26}{figures}  {m['failures'] or '-'}")
    print(f"capture / empty endpoint: {capture['rate'] / empty['rate']:.1%}")


if __name__ == "__main__":
    asyncio.run(main())
