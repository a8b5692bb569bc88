"""The files the service writes hold every order and customer: readable by their owner only."""

import os
import stat
from pathlib import Path

import pytest

from oms.bootstrap import build_context, prepare
from oms.config import Settings
from oms.demo.load import DemoKey, write_keys


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask():
    """The umask most systems start with (022: files readable by all) rather than the test runner's own."""
    before = os.umask(0o022)
    yield
    os.umask(before)


async def test_the_sqlite_database_and_its_folder_are_the_owners_only(tmp_path, usual_umask):
    var = tmp_path / "var"
    ctx = build_context(Settings(database_url=f"sqlite:///{var / 'oms.db'}"))
    try:
        await prepare(ctx)
        async with ctx.db.write() as conn:  # a write: the write-ahead log and its index exist while open
            await conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS probe (x INTEGER)")
        files = sorted(p.name for p in var.iterdir())
        assert {"oms.db", "oms.db-wal", "oms.db-shm"} <= set(files), files
        assert mode(var) == 0o700
        assert {name: mode(var / name) for name in files} == {name: 0o600 for name in files}
    finally:
        await ctx.db.dispose()


def test_the_demo_keys_file_and_its_folder_are_the_owners_only(tmp_path, usual_umask):
    path = tmp_path / "var" / "demo-keys.txt"
    write_keys(path, [DemoKey("admin", None, "oms_secret")])
    assert mode(path.parent) == 0o700 and mode(path) == 0o600
