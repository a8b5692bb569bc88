"""A flash sale on PostgreSQL: two server processes, 64 concurrent clients, 100 units over three nodes."""

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from oms.services.stock.check import stock_differences
from tests.conftest import PG_URL
from tests.support import NODES, PRODUCTS, STOCK, order, server_env

OMS = Path(sys.executable).parent / "oms"
ADMIN = "flash-sale-admin-key-6a1d93e0b25c7f48"
UNITS = {"DC-PARIS": 40, "ST-PARIS": 35, "ST-LYON": 25}


def _start(database_url: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = server_env(database_url, OMS_BOOTSTRAP_ADMIN_KEY=ADMIN)
    proc = subprocess.Popen([str(OMS), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def _wait_ready(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling a starting process, not synchronising the test
    pytest.fail(f"server at {url} did not become ready")


@pytest.mark.skipif(not PG_URL, reason="a flash sale across processes needs PostgreSQL (OMS_TEST_POSTGRES_URL)")
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_servers_and_64_clients_sell_exactly_the_100_units(ctx, database_url):
    servers = [_start(database_url) for _ in range(2)]
    try:
        for proc, url in servers:
            _wait_ready(proc, url)
        admin = {"Authorization": f"Bearer {ADMIN}"}
        first = servers[0][1]
        stock = [row for row in STOCK if row["sku"] != "SKU-C"]
        stock += [{"node_id": node, "sku": "SKU-C", "on_hand": units} for node, units in UNITS.items()]
        async with httpx.AsyncClient(headers=admin, timeout=30) as http:
            for path, body in (("/v1/products", PRODUCTS), ("/v1/nodes", NODES), ("/v1/inventory", stock)):
                assert (await http.put(first + path, json=body)).status_code == 200

            queue = list(range(160))  # more buyers than units

            async def client(n: int) -> list[int]:
                codes = []
                while queue:
                    i = queue.pop()
                    url = servers[i % 2][1]
                    r = await http.post(url + "/v1/orders", json=order(f"FLASH-{i}", [("SKU-C", 1)]))
                    codes.append(r.status_code)
                    if r.status_code == 409:
                        assert r.json()["code"] == "out_of_stock"
                return codes

            codes = [c for batch in await asyncio.gather(*(client(n) for n in range(64))) for c in batch]
            assert len(codes) == 160
            assert codes.count(201) == 100 and codes.count(409) == 60

            rows = (await http.get(first + "/v1/inventory", params={"sku": "SKU-C"})).json()["items"]
            assert {r["node_id"]: r["reserved"] for r in rows} == UNITS
            assert all(r["available"] == 0 for r in rows)
        assert await stock_differences(ctx) == []
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=20)
