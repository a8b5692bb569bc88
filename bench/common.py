"""What the benchmarks share: a server process on a fresh database, and a load of concurrent clients."""

import argparse
import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from seed import bench_network, fresh_postgres

ROOT = Path(__file__).parents[1]
TICK = os.sysconf("SC_CLK_TCK")
SERVERS: dict[str, int] = {}  # url -> process group of the server started here, whose CPU time drive() reads
STARTED: dict[str, float] = {}  # url -> when its server was started (time.monotonic())
NETWORKS = ("bench", "demo", "large", "very-large")


def cpu_seconds(group: int | None) -> tuple[float, float]:
    """CPU time used so far by the server's process group (all its workers) and by PostgreSQL's processes:
    read from /proc, since a figure per operation compares across noisy days where throughput does not."""
    server = database = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        name, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        used = int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        if group is not None and int(fields[2]) == group:
            server += used
        elif name == "postgres":
            database += used
    return server / TICK, database / TICK


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, workers: int, key: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    # (no daily replenishment run in the middle of a measure: ``bench/replenishment_run.py`` times it)
    env = {**os.environ, "OMS_DATABASE_URL": db_url, "OMS_BOOTSTRAP_ADMIN_KEY": key, "OMS_REPLENISH_AT": ""}
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


async def drive(url: str, key: str, clients: int, seconds: float, make_request, rate: float | None = None,
                headers: dict | None = None, probe: bool = False) -> dict:
    """``clients`` loops sending requests for ``seconds``, back to back or together at ``rate`` per second;
    latencies of the successful ones. ``headers``: instead of the API key's (a console session's cookie).
    ``probe``: meanwhile one more client asks ``GET /healthz`` every 10 ms; its p99 (``probe_p99``) shows
    whether anything held up the server's event loop."""
    headers = headers or {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    failures: dict[int, int] = {}
    group = SERVERS.get(url)
    cpu_before = cpu_seconds(group)
    stop = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def client(n: int) -> None:
            i = 0
            pace = clients / rate if rate else 0.0
            next_at = time.monotonic() + n * pace / clients
            while time.monotonic() < stop:
                if pace:
                    await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                    next_at += pace
                method, path, body = make_request(n, i)
                i += 1
                t0 = time.perf_counter()
                async with session.request(method, url + path, data=body) as r:
                    await r.read()
                    if r.status < 300:
                        latencies.append(time.perf_counter() - t0)
                    else:
                        failures[r.status] = failures.get(r.status, 0) + 1

        async def prober() -> None:
            async with aiohttp.ClientSession() as own:  # its own connection: not queued behind the load's
                while time.monotonic() < stop:
                    t0 = time.perf_counter()
                    async with own.get(url + "/healthz") as r:
                        await r.read()
                    probed.append(time.perf_counter() - t0)
                    await asyncio.sleep(0.01)

        probed: list[float] = []
        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)), *([prober()] if probe else []))
        elapsed = time.monotonic() - started
    done = max(1, len(latencies))
    cpu = [(after - before) * 1000 / done for after, before in zip(cpu_seconds(group), cpu_before, strict=True)]
    latencies.sort()
    return {"rate": len(latencies) / elapsed, "ok": len(latencies), "failures": failures,
            "server_cpu_ms": cpu[0] if group is not None else None, "db_cpu_ms": cpu[1],
            "p50": percentile(latencies, 50) * 1000, "p95": percentile(latencies, 95) * 1000,
            "p99": percentile(latencies, 99) * 1000,
            "probe_p99": percentile(sorted(probed), 99) * 1000 if probe else None}


def server_rss_mib(url: str) -> float:
    """Resident memory of the server started here for ``url``, all its processes (workers and their
    supervisor), in MiB."""
    group, total = SERVERS[url], 0
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group:
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # rss, in pages
        except (OSError, IndexError, ValueError):  # the process ended meanwhile
            continue
    return total / 2**20


def server_arguments(doc: str, *, db: str = "postgres", clients: int = 32, seconds: float = 15):
    """The command line every benchmark shares: which database, how many workers, clients and seconds."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default=db)
    ap.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/oms_bench")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, default=clients)
    ap.add_argument("--seconds", type=float, default=seconds)
    ap.add_argument("--network", choices=NETWORKS, default="bench",
                    help="bench: 1 DC and 10 stores, 50 SKUs; demo: the demo retailer (`oms demo`); large, "
                         "very-large: `oms demo --scale` (300 stores and 20,000 SKUs, 1,000 and 100,000); "
                         "the SKUs used are those stocked at the Paris DC")
    return ap


@asynccontextmanager
async def bench_server(args, *, demo: bool = False) -> AsyncIterator[tuple[str, str, list[str]]]:
    """``oms serve`` on a fresh database with the benchmark network (or, with ``demo`` or ``--network``, the
    demo retailer at that scale: its SKUs stocked at the Paris DC): (url, admin key, SKUs); stopped after."""
    key = "bench-" + secrets.token_hex(16)
    network = "demo" if demo and getattr(args, "network", "bench") == "bench" else getattr(args, "network", "bench")
    demo = network != "bench"
    if args.db == "postgres":
        db_url = await fresh_postgres(args.postgres_url)
    else:
        db_url = f"sqlite:///{ROOT / 'var' / f'bench-{secrets.token_hex(4)}.db'}"
    if demo:
        with tempfile.TemporaryDirectory() as tmp:  # its key file stays out of the user's var/
            scale = ["--no-history"] if network == "demo" else ["--scale", network]
            loading = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "oms"), "demo", *scale, cwd=tmp, stdout=subprocess.DEVNULL,
                env={**os.environ, "OMS_DATABASE_URL": db_url})
            if await loading.wait():
                raise SystemExit("loading the demo failed")
    started = time.monotonic()
    proc, url = start_server(db_url, args.workers, key)
    SERVERS[url], STARTED[url] = proc.pid, started
    try:
        await wait_ready(url)
        yield url, key, await (demo_skus(url, key) if demo else bench_network(url, key))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


async def demo_skus(url: str, key: str) -> list[str]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        async with s.get(url + "/v1/inventory", params={"node_id": "DC-PARIS-NORD", "limit": 500}) as r:
            return [row["sku"] for row in (await r.json())["items"] if row["available"] >= 10]


def print_table(title: str, rows: list[tuple[str, dict]]) -> None:
    print(title)
    probed = any(m.get("probe_p99") is not None for _, m in rows)
    print(f"{'load':<38}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
          f"{'server CPU ms/op':>18}{'db CPU ms/op':>14}{'healthz p99 ms' if probed else '':>{16 if probed else 0}}"
          "  failures")
    for name, m in rows:
        figures = f"{m['rate']:>10.0f}{m['p50']:>10.2f}{m['p95']:>10.2f}{m['p99']:>10.2f}"
        server = "-" if m.get("server_cpu_ms") is None else f"{m['server_cpu_ms']:.2f}"
        database = "-" if m.get("db_cpu_ms") is None else f"{m['db_cpu_ms']:.2f}"
        probe = "" if not probed else "-" if m.get("probe_p99") is None else f"{m['probe_p99']:.1f}"
        print(f"{name:<38}{figures}{server:>18}{database:>14}{probe:>{16 if probed else 0}}  {m['failures'] or '-'}")
