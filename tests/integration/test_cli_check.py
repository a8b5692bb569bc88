import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete, update

from oms.db import tables as t
from tests.support import order, seed

OMS = Path(sys.executable).parent / "oms"


def oms(database_url: str, *args: str, clock_at: str | None = None) -> subprocess.CompletedProcess:
    """The command on this database; ``clock_at``: the instant its clock starts at (the test's own)."""
    env = {**os.environ, "OMS_DATABASE_URL": database_url, "COLUMNS": "200",
           **({"OMS_CLOCK_AT": clock_at} if clock_at else {})}
    return subprocess.run([str(OMS), *args], env=env, capture_output=True, text=True, timeout=60)


async def test_inventory_check_passes_on_sound_stock_and_names_a_broken_row(ctx, client, database_url):
    keys = await seed(ctx, client)
    await client.post("/v1/orders", json=order("CLI-1", [("SKU-A", 2)]), headers=keys.h("web"))
    ok = oms(database_url, "inventory", "check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "consistent" in ok.stdout

    async with ctx.db.write() as conn:
        await conn.execute(update(t.inventory).where(t.inventory.c.node_id == "ST-LYON", t.inventory.c.sku == "SKU-C")
                           .values(on_hand=t.inventory.c.on_hand + 1))
    broken = oms(database_url, "inventory", "check")
    assert broken.returncode == 1
    assert "ST-LYON" in broken.stdout and "SKU-C" in broken.stdout


async def test_inventory_check_repair_lists_what_it_repaired_and_leaves_sound_stock(ctx, client, database_url):
    keys = await seed(ctx, client)
    await client.post("/v1/orders", json=order("CLI-2", [("SKU-B", 1)]), headers=keys.h("web"))
    inv = t.inventory.c
    async with ctx.db.write() as conn:
        await conn.execute(update(t.inventory).where(inv.node_id == "ST-LYON", inv.sku == "SKU-C")
                           .values(on_hand=inv.on_hand + 1, reserved=2))
        await conn.execute(delete(t.inventory).where(inv.node_id == "ST-PARIS", inv.sku == "SKU-A"))

    repaired = oms(database_url, "inventory", "check", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    lines = repaired.stdout.splitlines()
    assert [ln.split() for ln in lines if "ST-LYON" in ln] == [["│", "ST-LYON", "│", "SKU-C", "│", "4", "│", "3",
                                                               "│", "2", "│", "0", "│"]]
    assert [ln.split() for ln in lines if "ST-PARIS" in ln] == [["│", "ST-PARIS", "│", "SKU-A", "│", "no", "row",
                                                                "│", "5", "│", "no", "row", "│", "0", "│"]]
    assert "2 stock rows repaired" in repaired.stdout and "consistent" in repaired.stdout

    check = oms(database_url, "inventory", "check")
    assert check.returncode == 0 and "consistent" in check.stdout, check.stdout + check.stderr
    again = oms(database_url, "inventory", "check", "--repair")
    assert again.returncode == 0 and "repaired" not in again.stdout and "consistent" in again.stdout
