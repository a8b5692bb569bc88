import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from oms.db import tables as t
from tests.support import order, seed

OMS = Path(sys.executable).parent / "oms"


def oms(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMS_DATABASE_URL": database_url, "COLUMNS": "200"}
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
