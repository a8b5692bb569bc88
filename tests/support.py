"""A small network for the tests (one DC near Paris, two stores, one locker bank, three products) and
the HTTP helpers the API tests share."""

import asyncio
import os
import socket
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest
from sqlalchemy import text

from oms.clock import Clock
from oms.domain.access import Principal
from oms.domain.vocabulary import Role
from oms.services.reference.keys import create_key

# The instant every test's service clock starts at: OMS_TEST_AT (ISO 8601 with its offset, e.g.
# 2026-12-24T18:30:00+01:00) to live a given evening again, else the wall clock's now.
TEST_AT = datetime.fromisoformat(os.environ["OMS_TEST_AT"]) if os.environ.get("OMS_TEST_AT") else None
_clock = Clock(TEST_AT)


def now() -> datetime:
    """The running test's service clock (for helpers that build inputs outside a test's ``ctx``)."""
    return _clock.now()


def use_clock(clock: Clock) -> None:
    global _clock
    _clock = clock


# Tests of what-if promises about given days of May 2026 (a Saturday before Whit Monday …) are asked by a
# service living within a year of those days: the promise answers what-ifs only that near to its clock.
ASKED_FROM = pytest.mark.clock_at("2026-12-09T10:05:00+01:00")

E2E_ADMIN_KEY = "e2e-admin-key-4f0c2a9e71b3d85c6e1f"  # as long as a bootstrap key must be


def server_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a server process a test starts: its database, the bootstrap admin key, the tests'
    clock, and these ``OMS_…`` settings."""
    env = {**os.environ, "OMS_DATABASE_URL": database_url, "OMS_BOOTSTRAP_ADMIN_KEY": E2E_ADMIN_KEY, **settings}
    if TEST_AT is not None:
        env["OMS_CLOCK_AT"] = TEST_AT.isoformat()
    return env

STORE_MODES = ["click_and_collect", "reserve_in_store", "store_carry_out", "home_standard"]
DC_MODES = ["home_standard", "home_express", "click_and_collect", "locker"]


def week(open_: str, close: str, days=("mon", "tue", "wed", "thu", "fri", "sat")) -> dict:
    return {d: [[open_, close]] for d in days}


def node(id, type, lat, lng, city, fulfills, hands_over=(), hours=week("09:00", "19:00")):
    return {"id": id, "type": type, "name": f"{type} {city}", "timezone": "Europe/Paris",
            "address": {"line1": "1 rue de test", "postal_code": "75001", "city": city, "country": "FR",
                        "lat": lat, "lng": lng},
            "fulfills": list(fulfills), "hands_over": list(hands_over),
            "opening_hours": hours, "daily_capacity": 500}


# A working week as a retailer has one: the DC in two shifts six days a week, stores on shop hours, Sunday
# closed; the locker bank open every day. Tests that need other hours give them.
NODES = [
    node("DC-PARIS", "warehouse", 48.95, 2.55, "Roissy", DC_MODES, hours=week("06:00", "22:00")),
    node("ST-PARIS", "store", 48.8566, 2.3522, "Paris", STORE_MODES, STORE_MODES[:3]),
    node("ST-LYON", "store", 45.764, 4.8357, "Lyon", STORE_MODES, STORE_MODES[:3]),
    node("LK-PARIS", "locker", 48.87, 2.33, "Paris", [], ["locker"], hours=week("06:00", "22:00", ("mon", "tue", "wed",
                                                                                               "thu", "fri", "sat",
                                                                                               "sun"))),
]
PRODUCTS = [
    {"sku": sku, "name": name, "weight_g": w, "length_mm": 100, "width_mm": 100, "height_mm": 100,
     "price": {"amount": price, "currency": "EUR"}}
    for sku, name, w, price in [("SKU-A", "Mug", 350, 1299), ("SKU-B", "Lamp", 1800, 4999),
                                ("SKU-C", "Rug", 6000, 12900)]
]
STOCK = [
    {"node_id": "DC-PARIS", "sku": "SKU-A", "on_hand": 100},
    {"node_id": "DC-PARIS", "sku": "SKU-B", "on_hand": 10},
    {"node_id": "ST-PARIS", "sku": "SKU-A", "on_hand": 5},
    {"node_id": "ST-PARIS", "sku": "SKU-C", "on_hand": 2},
    {"node_id": "ST-LYON", "sku": "SKU-C", "on_hand": 3},
    {"node_id": "ST-LYON", "sku": "SKU-B", "on_hand": 4},
]
# An admin caller for tests that call services directly.
ADMIN = Principal("tests", Role.ADMIN)
HOME = {"line1": "10 rue de Rivoli", "postal_code": "75004", "city": "Paris", "country": "FR",
        "lat": 48.8556, "lng": 2.3601}


@dataclass
class Keys:
    admin: str
    web: str
    marketplace: str
    store_paris: str
    store_lyon: str
    viewer: str

    def h(self, who: str) -> dict:
        return {"Authorization": f"Bearer {getattr(self, who)}"}


async def seed(ctx, client: httpx.AsyncClient) -> Keys:
    admin, _ = await create_key(ctx, role="admin", name="admin")
    for path, body in (("/v1/products", PRODUCTS), ("/v1/nodes", NODES), ("/v1/inventory", STOCK)):
        r = await client.put(path, json=body, headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200, r.text
    made = {"admin": admin}
    for name, role, scope in [("web", "channel", "web"), ("marketplace", "channel", "marketplace"),
                              ("store_paris", "node", "ST-PARIS"), ("store_lyon", "node", "ST-LYON"),
                              ("viewer", "viewer", None)]:
        made[name], _ = await create_key(ctx, role=role, scope=scope, name=name)  # nodes first: they exist
    return Keys(**made)


def order(ref="WEB-1", lines=(("SKU-A", 1),), mode="home_standard", channel="web", **delivery):
    body = {"channel": channel, "external_ref": ref, "customer": {"name": "Ada", "email": "ada@example.com"},
            "lines": [{"sku": s, "quantity": q, "unit_price": {"amount": 1000, "currency": "EUR"}}
                      for s, q in lines],
            "delivery": {"mode": mode, **delivery}}
    if "pickup_node_id" not in delivery and "address" not in delivery:
        body["delivery"]["address"] = HOME
    return body


async def stock_of(client, keys: Keys, sku: str) -> dict[str, dict]:
    r = await client.get("/v1/inventory", params={"sku": sku}, headers=keys.h("admin"))
    return {row["node_id"]: row for row in r.json()["items"]}


# --- HTTP helpers --------------------------------------------------------------------------------------------

PROBLEM = "application/problem+json"
WHY = {"reason": "changed mind"}  # a cancel's body says why


def problem(r, status: int, code: str) -> dict:
    """Assert that ``r`` is a problem+json answer with this status and code; answer its body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["code"] == code
    return body


async def capture(client, keys: Keys, body, who="web") -> dict:
    """Place an order as ``who`` and answer the stored order (201 asserted)."""
    r = await client.post("/v1/orders", json=body, headers=keys.h(who))
    assert r.status_code == 201, r.text
    return r.json()


def sent_from(view: dict) -> dict[str, list[tuple[int, str, int]]]:
    """node -> [(line_no, sku, quantity)] of the order's fulfilments."""
    return {
        f["node_id"]: [(ln["line_no"], ln["sku"], ln["quantity"]) for ln in f["lines"]] for f in view["fulfillments"]
    }


def ful_at(view: dict, node_id: str) -> dict:
    """The one fulfilment of the order sent from ``node_id``."""
    [f] = [f for f in view["fulfillments"] if f["node_id"] == node_id]
    return f


async def act(client, headers: dict, fulfillment_id: str, action: str, **body) -> httpx.Response:
    """POST a fulfilment action (accept, pick, ship, …) and answer the raw response."""
    return await client.post(f"/v1/fulfillments/{fulfillment_id}/{action}", json=body, headers=headers)


async def confirm(client, headers: dict, fulfillment_id: str, action: str, **body) -> dict:
    """POST a fulfilment action, assert 200 and answer the order view."""
    r = await act(client, headers, fulfillment_id, action, **body)
    assert r.status_code == 200, r.text
    return r.json()


async def all_stock(client, keys: Keys) -> dict[tuple[str, str], dict]:
    """(node, sku) -> the inventory row (on_hand, reserved, safety_stock, available …) for every stock row."""
    r = await client.get("/v1/inventory", params={"limit": 500}, headers=keys.h("admin"))
    assert r.status_code == 200, r.text
    return {(i["node_id"], i["sku"]): i for i in r.json()["items"]}


async def on_hand_reserved(client, keys: Keys, sku: str, node_id: str) -> tuple[int, int]:
    row = (await stock_of(client, keys, sku))[node_id]
    return row["on_hand"], row["reserved"]


async def accepted_order(ctx, client, ref: str, lines, **order_args) -> tuple[Keys, dict, str]:
    """Seed, place a web order whose first fulfilment ST-PARIS sends, and have ST-PARIS accept it.

    Answers the keys, the order as placed and that fulfilment's id.
    """
    keys = await seed(ctx, client)
    placed = await capture(client, keys, order(ref, lines, **order_args))
    fid = placed["fulfillments"][0]["id"]
    await confirm(client, keys.h("store_paris"), fid, "accept")
    return keys, placed, fid


async def until_blocked_by(ctx, pid: int, task: asyncio.Task) -> None:
    """Return once some PostgreSQL backend waits for a lock held by ``pid`` (fails if ``task`` ends first,
    or never waits)."""
    deadline = asyncio.get_running_loop().time() + 10
    query = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    while True:
        async with ctx.db.read() as conn:
            if await conn.scalar(query, {"pid": pid}):
                return
        assert not task.done(), "the task ended without waiting for the other transaction's lock"
        assert asyncio.get_running_loop().time() < deadline, "the task never waited for the other transaction"
        await asyncio.sleep(0.01)


def free_port() -> int:
    """A TCP port nobody listens on now (for a test's own HTTP receiver)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
