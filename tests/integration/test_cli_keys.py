"""`oms keys`: keys for nodes and channels that exist, and ids printed whole at any terminal width."""

import os
import subprocess
import sys
from pathlib import Path

from oms.services.reference.keys import list_keys
from tests.support import seed

OMS = Path(sys.executable).parent / "oms"


def oms(database_url: str, *args: str, columns: int = 200) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMS_DATABASE_URL": database_url, "COLUMNS": str(columns)}
    return subprocess.run([str(OMS), *args], env=env, capture_output=True, text=True, timeout=60)


async def test_a_key_for_an_unknown_node_or_channel_is_refused(ctx, client, database_url):
    await seed(ctx, client)
    before = len(await list_keys(ctx.db))
    for role, scope, said in (("node", "ST-PARSI", "no node 'ST-PARSI'"),
                              ("channel", "webshop", "a channel key's scope is one of")):
        r = oms(database_url, "keys", "create", "--role", role, "--scope", scope)
        assert r.returncode != 0, r.stdout
        assert said in r.stderr and "oms_" not in r.stdout  # no key printed
    assert len(await list_keys(ctx.db)) == before
    made = oms(database_url, "keys", "create", "--role", "node", "--scope", "ST-LYON")
    assert made.returncode == 0 and "node ST-LYON: oms_" in made.stdout, made.stderr


async def test_keys_list_prints_whole_ids_on_a_narrow_terminal(ctx, client, database_url):
    await seed(ctx, client)
    ids = [k["id"] for k in await list_keys(ctx.db)]
    listed = oms(database_url, "keys", "list", columns=40)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    for key_id in ids:
        assert any(key_id in line for line in lines), (key_id, listed.stdout)
    revoked = oms(database_url, "keys", "revoke", ids[0], columns=40)
    assert revoked.returncode == 0, revoked.stderr
