"""Fixtures: every API and service test runs on SQLite and, when configured, on PostgreSQL.

PostgreSQL runs when OMS_TEST_POSTGRES_URL is set; with OMS_REQUIRE_POSTGRES=1 an unreachable server
fails the run instead of leaving those tests out.
"""

import asyncio
import os
import shutil
from datetime import datetime

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from oms.api.app import create_app
from oms.bootstrap import build_context, prepare
from oms.config import Settings
from oms.db.engine import make_engine
from oms.db.migrate import upgrade
from oms.db.tables import metadata
from tests.contract import checking
from tests.support import TEST_AT, use_clock

SECRET_KEY = Fernet.generate_key().decode()  # seals webhook secrets (OMS_SECRET_KEY)
PG_URL = os.environ.get("OMS_TEST_POSTGRES_URL")
REQUIRE_PG = os.environ.get("OMS_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


# Modules whose verdicts hang on when they run (calendars, cut-offs, lead times, waves, deadlines, the day's
# figures): `make test-instants` runs them again at each instant of the year that tries a retailer.
CLOCK_SENSITIVE = {
    "test_promise", "test_promise_edges", "test_sourcing", "test_capacity", "test_capacity_edges",
    "test_capacity_stripes", "test_waves",
    "test_fulfillment_api", "test_resourcing", "test_uncollected", "test_own_delivery", "test_backorders",
    "test_supply", "test_holds", "test_batch", "test_claims", "test_low_stock", "test_console_dashboard",
    "test_console_store", "test_stock_feeds", "test_tracking", "test_demo", "test_capture_api",
    "test_demo_calendars", "test_demo_relay_points", "test_year_invariants", "test_demo_carbon", "test_simulation",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__.rpartition(".")[2] in CLOCK_SENSITIVE:
            item.add_marker(pytest.mark.clock)


def pytest_report_header(config):
    return f"service clock: {'from ' + TEST_AT.isoformat() if TEST_AT else 'the wall clock'} (OMS_TEST_AT)"


def pytest_configure(config):
    if REQUIRE_PG and not PG_URL:
        raise pytest.UsageError("OMS_REQUIRE_POSTGRES=1 but OMS_TEST_POSTGRES_URL is not set")


async def _reset_postgres(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "oms.db"

    async def build():
        engine = make_engine(f"sqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def postgres_schema():
    if not PG_URL:
        return None
    try:
        asyncio.run(_reset_postgres(PG_URL))
    except Exception as exc:  # connection refused, wrong credentials …
        pytest.fail(f"PostgreSQL at {PG_URL} cannot be used: {exc}")
    return PG_URL


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, sqlite_template):
    if request.param == "sqlite":
        path = tmp_path / "oms.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_schema")
    tables = ", ".join(t.name for t in metadata.sorted_tables)

    async def truncate():
        engine = make_engine(url, pool_size=1)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await engine.dispose()

    asyncio.run(truncate())
    return url


@pytest.fixture
async def ctx(request, database_url):
    # A test that asks about given dates lives where it is marked to (``@pytest.mark.clock_at(…)``).
    marked = request.node.get_closest_marker("clock_at")
    start = datetime.fromisoformat(marked.args[0]) if marked else TEST_AT
    # Test partners listen on 127.0.0.1: the tests that prove the refusal of inside addresses switch it off.
    context = build_context(Settings(database_url=database_url, key_cache_seconds=0, clock_at=start,
                                     reference_refresh_seconds=0, availability_max_age_seconds=0,
                                     webhook_allow_private=True, secret_key=SECRET_KEY))
    use_clock(context.clock)
    await prepare(context)
    yield context
    await context.db.dispose()


@pytest.fixture
async def client(ctx):
    app = create_app(ctx)
    # Every answer is checked against the model its route documents (tests/contract.py).
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oms",
                                 event_hooks={"response": [checking(app)]}) as c:
        yield c
