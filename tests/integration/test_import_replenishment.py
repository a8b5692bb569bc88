"""Store replenishment settings from CSV (``oms import replenishment-stores`` and ``replenishment-rules``): read
back through the API as sent, a bad file lands not at all and every error names file, line and column."""

import pytest
from typer.testing import CliRunner

from oms.cli import app
from oms.importer import Kind, read_file, write
from oms.services.reference.keys import create_key
from oms.services.replenishment import settings
from tests.integration.test_import import NODES, PRODUCTS, csv_file, errors_of, load, load_reference, on_a_context

LILLE = """\
id,type,name,line1,postal_code,city,country,lat,lng
ST-2,store,Store Lille,1 rue Neuve,59000,Lille,FR,50.63,3.06
"""
STORES = """\
node_id,source_node_id,order_weekdays,lead_days,lead_sigma_days
ST-1,DC-1,4|1,1.5,0.5
ST-2,DC-1,2,2,
"""
RULES = """\
node_id,sku,policy,service_level,case_pack,presentation_min,shelf_capacity,rounding_threshold
,,,0.95,6,,,
ST-1,MUG-*,,,,4,30,
ST-1,MUG-1,min_max,,12,,,0.3
"""


async def stores_network(ctx, tmp_path):
    await load_reference(ctx, tmp_path)
    await load(ctx, tmp_path, Kind.NODES, "lille.csv", LILLE)


async def admin(ctx) -> dict:
    key, _ = await create_key(ctx, role="admin", name="admin")
    return {"Authorization": f"Bearer {key}"}


async def stores_seen(client, headers) -> dict:
    items = (await client.get("/v1/replenishment/stores", headers=headers)).json()["items"]
    return {s["node_id"]: (s["source_node_id"], s["order_weekdays"], s["lead_days"], s["lead_sigma_days"])
            for s in items}


async def test_store_and_rule_files_import_and_are_read_back(ctx, client, tmp_path):
    await stores_network(ctx, tmp_path)
    headers = await admin(ctx)
    assert await load(ctx, tmp_path, Kind.REPLENISHMENT_STORES, "stores.csv", STORES) == 2
    assert await load(ctx, tmp_path, Kind.REPLENISHMENT_RULES, "rules.csv", RULES) == 3

    assert await stores_seen(client, headers) == {"ST-1": ("DC-1", [1, 4], 1.5, 0.5), "ST-2": ("DC-1", [2], 2, 0)}
    rules = (await client.get("/v1/replenishment/rules", headers=headers)).json()["items"]
    assert [(r["node_id"], r["sku"], r["policy"], r["service_level"], r["case_pack"], r["presentation_min"],
             r["shelf_capacity"], r["rounding_threshold"]) for r in rules] == [
        ("*", "*", None, 0.95, 6, None, None, None),  # empty node_id and sku: every store, every SKU
        ("ST-1", "MUG-*", None, None, None, 4, 30, None),
        ("ST-1", "MUG-1", "min_max", None, 12, None, None, 0.3),
    ]


async def test_a_semicolon_file_names_the_weekdays(ctx, client, tmp_path):
    await stores_network(ctx, tmp_path)
    headers = await admin(ctx)
    path = tmp_path / "stores.csv"
    path.write_text("node_id;source_node_id;order_weekdays;lead_days\nST-1;DC-1;mon|Thu;2\nST-2;DC-1;tuesday;1\n",
                    encoding="utf-8-sig")
    assert await write(ctx, Kind.REPLENISHMENT_STORES, read_file(Kind.REPLENISHMENT_STORES, path), path.name) == 2
    assert await stores_seen(client, headers) == {"ST-1": ("DC-1", [1, 4], 2, 0), "ST-2": ("DC-1", [2], 1, 0)}


STORE_HEADER = "node_id,source_node_id,order_weekdays,lead_days\n"
RULE_HEADER = "node_id,sku,case_pack\n"
# Rounds of one bad file, each refused whole: first the rows that do not read, then, once every row reads,
# what the settings check themselves (a row given twice, then unknown nodes and SKUs), by the same lines.
BAD_FILES = {
    Kind.REPLENISHMENT_STORES: ("stores.csv", "/v1/replenishment/stores", [
        (STORE_HEADER + "ST-1,DC-1,1|8,1\nST-2,DC-1,mon|lun,1\nST-9,DC-1,3,-1\n", [
            "stores.csv line 2, column order_weekdays: Input should be less than or equal to 7",
            "stores.csv line 3, column order_weekdays: 'lun' is not a weekday: 1 … 7 (1 = Monday) or mon … sun",
            "stores.csv line 4, column lead_days: Input should be greater than or equal to 0"]),
        (STORE_HEADER + "ST-1,DC-1,1|4,1\nST-9,DC-1,3,1\nST-2,ST-1,mon,1\nST-1,DC-1,2,1\n", [
            "stores.csv line 5: store ST-1 already given at line 2"]),
        (STORE_HEADER + "ST-1,DC-1,1|4,1\nST-9,DC-1,3,1\nST-2,ST-1,mon,1\n", [
            "stores.csv line 3, column node_id: no node 'ST-9'",
            "stores.csv line 4, column source_node_id: ST-1 is a store, not a DC"]),
    ]),
    Kind.REPLENISHMENT_RULES: ("rules.csv", "/v1/replenishment/rules", [
        ("node_id,sku,service_level,presentation_min,shelf_capacity,policy\n"
         "*,*,2,,,\nST-1,MUG-*,,40,20,\nST-1,DEC-*,,,,fifo\n", [
            "rules.csv line 2, column service_level: Input should be less than or equal to 0.999",
            "rules.csv line 3, column presentation_min: presentation_min 40 is more than the shelf's 20",
            "rules.csv line 4, column policy: Input should be 'order_up_to', 'min_max' or 'days_of_supply'"]),
        (RULE_HEADER + "DC-1,MUG-1,6\n,GHOST,6\nST-1,*,6\nST-1,,12\n", [
            "rules.csv line 5: rule for that store and SKU ('ST-1', '*') already given at line 4"]),
        (RULE_HEADER + "DC-1,MUG-1,6\n,GHOST,6\nST-1,*,6\n", [
            "rules.csv line 2, column node_id: DC-1 is a warehouse, not a store",
            "rules.csv line 3, column sku: no sku 'GHOST' (a class of SKUs ends with *)"]),
    ]),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
async def test_a_bad_file_imports_nothing_and_names_each_line_and_column(ctx, client, tmp_path, kind):
    await stores_network(ctx, tmp_path)
    name, path, rounds = BAD_FILES[kind]
    for text, errors in rounds:
        assert await errors_of(ctx, tmp_path, kind, name, text) == errors
    assert (await client.get(path, headers=await admin(ctx))).json()["items"] == []


async def stored_weekdays(ctx) -> dict:
    page = await settings.list_stores(ctx, cursor=None, limit=10)
    return {s["node_id"]: s["order_weekdays"] for s in page["items"]}


def test_the_command_imports_settings_or_exits_1_naming_the_line(database_url, tmp_path):
    runner = CliRunner()
    env = {"OMS_DATABASE_URL": database_url}
    for kind, name, text in (("products", "products.csv", PRODUCTS), ("nodes", "nodes.csv", NODES),
                             ("nodes", "lille.csv", LILLE)):
        result = runner.invoke(app, ["import", kind, str(csv_file(tmp_path, name, text))], env=env)
        assert result.exit_code == 0, result.output

    bad = csv_file(tmp_path, "stores.csv", STORES.replace("4|1", "4|1|8"))
    result = runner.invoke(app, ["import", "replenishment-stores", str(bad)], env=env)
    assert result.exit_code == 1
    assert "stores.csv line 2, column order_weekdays: Input should be less than or equal to 7" in result.output
    assert on_a_context(database_url, stored_weekdays) == {}

    result = runner.invoke(app, ["import", "replenishment-stores", str(csv_file(tmp_path, "ok.csv", STORES))],
                           env=env)
    assert result.exit_code == 0, result.output
    assert "2 replenishment-stores imported from ok.csv" in result.output
    assert on_a_context(database_url, stored_weekdays) == {"ST-1": [1, 4], "ST-2": [2]}
    result = runner.invoke(app, ["import", "replenishment-rules", str(csv_file(tmp_path, "rules.csv", RULES))],
                           env=env)
    assert result.exit_code == 0, result.output
    assert "3 replenishment-rules imported from rules.csv" in result.output
