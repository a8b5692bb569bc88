"""``oms replenish``: a run from the command line, its most urgent proposals in a table, every one in a CSV
file, and with --approve the transfers."""

import csv

import pytest

from tests.integration.test_cli_check import oms
from tests.integration.test_replenishment_runs import START, month_of_sales
from tests.support import seed


@pytest.mark.clock_at(START.isoformat())
async def test_replenish_lists_the_proposals_writes_them_and_approves_them(ctx, client, database_url, tmp_path):
    keys = await seed(ctx, client)
    await month_of_sales(ctx, client, keys, dc_units=100)
    out = tmp_path / "run.csv"
    now = ctx.clock.now().isoformat()  # the command's clock is the test's: its dates are the history's
    done = oms(database_url, "replenish", "--date", "2026-04-30", "--csv", str(out), "--approve", clock_at=now)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ST-LYON" in done.stdout and "ST-PARIS" in done.stdout
    assert "2 stores, 2 proposals, 12 units" in done.stdout and "approved: 2 transfers, 12 units." in done.stdout
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert sorted((r["node_id"], r["sku"], r["quantity"]) for r in rows) == [("ST-LYON", "SKU-A", "6"),
                                                                             ("ST-PARIS", "SKU-A", "6")]
    r = await client.get("/v1/transfers", headers=keys.h("admin"))
    assert len(r.json()["items"]) == 2
    bad = oms(database_url, "replenish", "--date", "30/04/2026", clock_at=now)
    assert bad.returncode == 2 and "--date" in bad.stderr and "30/04/2026" in bad.stderr
    bad = oms(database_url, "replenish", "--node", "a b", clock_at=now)
    assert bad.returncode == 2 and "error: --node: " in bad.stderr
    unknown = oms(database_url, "replenish", "--node", "ST-NOPE", clock_at=now)
    assert unknown.returncode == 1 and "ST-NOPE has no replenishment settings" in unknown.stderr
