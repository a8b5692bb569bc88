"""CSV import: good files land whole; a bad file lands not at all and every error names file, line, column."""

import asyncio

import pytest
from typer.testing import CliRunner

from oms.bootstrap import build_context
from oms.cli import app
from oms.config import Settings
from oms.domain.errors import InvalidInput
from oms.importer import Kind, parse_hours, read_file, write
from oms.services.reference import records
from tests.support import ADMIN

PRODUCTS = """\
sku,name,weight_g,length_mm,width_mm,height_mm,price_amount,currency,bulky,hazardous
MUG-1,Mug Alba,350,120,90,100,1290,EUR,false,
SOFA-1,"Canapé Brume, velours",52000,2200,950,800,129900,EUR,yes,no
OIL-1,Huile pour lampe 1 L,900,95,95,260,990,EUR,,true
"""
NODES = """\
id,type,name,line1,postal_code,city,country,lat,lng,fulfills,hands_over,opening_hours,daily_capacity
DC-1,warehouse,DC Nord,Parc de la Villette-aux-Aulnes,77290,Mitry-Mory,FR,48.976,2.624,home_standard|home_express,,\
mon-fri 05:00-22:00,9000
ST-1,store,Store Lyon,45 rue de la République,69002,Lyon,FR,45.7625,4.836,home_standard|click_and_collect,\
click_and_collect,"mon-fri 10:00-12:30,14:00-19:00; sat 10:00-19:00",150
LK-1,locker,Locker Lyon,Place Charles Béraudier,69003,Lyon,FR,45.7606,4.8594,,locker,\
"{""mon"": [[""06:00"", ""22:00""]]}",
"""
STOCK = """\
node_id,sku,on_hand,safety_stock
DC-1,MUG-1,100,5
DC-1,SOFA-1,4,
ST-1,MUG-1,6,
"""


def csv_file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def load(ctx, tmp_path, kind, name, text):
    path = csv_file(tmp_path, name, text)
    return await write(ctx, kind, read_file(kind, path), path.name)


async def load_reference(ctx, tmp_path):
    await load(ctx, tmp_path, Kind.PRODUCTS, "products.csv", PRODUCTS)
    await load(ctx, tmp_path, Kind.NODES, "nodes.csv", NODES)


async def errors_of(ctx, tmp_path, kind, name, text) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        await load(ctx, tmp_path, kind, name, text)
    return [f"{e.field}: {e.reason}" for e in caught.value.errors]


async def inventory(ctx) -> dict:
    page = await records.list_inventory(ctx, principal=ADMIN, sku=None, node_id=None, cursor=None, limit=1000)
    return {(r["node_id"], r["sku"]): (r["on_hand"], r["safety_stock"]) for r in page["items"]}


async def test_a_good_file_of_each_kind_imports(ctx, tmp_path):
    seen = []
    path = csv_file(tmp_path, "products.csv", PRODUCTS)
    assert await write(ctx, Kind.PRODUCTS, read_file(Kind.PRODUCTS, path), "products.csv", progress=seen.append) == 3
    assert sum(seen) == 3
    assert await load(ctx, tmp_path, Kind.NODES, "nodes.csv", NODES) == 3
    assert await load(ctx, tmp_path, Kind.STOCK, "stock.csv", STOCK) == 3

    products = {p["sku"]: p for p in (await records.list_products(ctx, cursor=None, limit=10))["items"]}
    assert products["SOFA-1"]["name"] == "Canapé Brume, velours"
    assert products["SOFA-1"]["price"] == {"amount": 129900, "currency": "EUR"}
    assert products["SOFA-1"]["bulky"] and products["OIL-1"]["hazardous"] and not products["MUG-1"]["bulky"]

    nodes = {n["id"]: n for n in (await records.list_nodes(ctx, type=None, cursor=None, limit=10))["items"]}
    store = nodes["ST-1"]
    assert store["address"]["city"] == "Lyon" and store["address"]["lat"] == 45.7625
    assert store["fulfills"] == ["home_standard", "click_and_collect"] and store["hands_over"] == ["click_and_collect"]
    assert store["opening_hours"]["mon"] == [["10:00", "12:30"], ["14:00", "19:00"]]
    assert store["opening_hours"]["sat"] == [["10:00", "19:00"]] and store["opening_hours"]["sun"] == []
    assert nodes["LK-1"]["opening_hours"]["mon"] == [["06:00", "22:00"]]
    assert nodes["LK-1"]["fulfills"] == [] and nodes["LK-1"]["daily_capacity"] is None  # empty cell: no limit

    assert await inventory(ctx) == {("DC-1", "MUG-1"): (100, 5), ("DC-1", "SOFA-1"): (4, 0), ("ST-1", "MUG-1"): (6, 0)}


async def test_an_empty_safety_stock_keeps_the_current_one(ctx, tmp_path):
    await load_reference(ctx, tmp_path)
    await load(ctx, tmp_path, Kind.STOCK, "stock.csv", STOCK)
    await load(ctx, tmp_path, Kind.STOCK, "recount.csv", "node_id,sku,on_hand\nDC-1,MUG-1,80\n")
    assert (await inventory(ctx))[("DC-1", "MUG-1")] == (80, 5)


async def test_bad_cells_import_nothing_and_name_file_line_and_column(ctx, tmp_path):
    await load_reference(ctx, tmp_path)
    text = ("node_id,sku,on_hand\n"
            "DC-1,MUG-1,10\n"
            "DC-1,SOFA-1,2.5\n"
            "\n"  # a blank line still counts as a line
            "ST-1,MUG-1,-3\n"
            "ST-1,SOFA-1\n")
    assert await errors_of(ctx, tmp_path, Kind.STOCK, "stock.csv", text) == [
        "stock.csv line 3, column on_hand: Input should be a valid integer, unable to parse string as an integer",
        "stock.csv line 5, column on_hand: Input should be greater than or equal to 0",
        "stock.csv line 6: 2 cells, but the header has 3 columns",
    ]
    assert await inventory(ctx) == {}


async def test_unknown_sku_or_node_found_by_the_service_is_reported_by_line(ctx, tmp_path):
    await load_reference(ctx, tmp_path)
    text = ("node_id,sku,on_hand\n"
            "DC-1,MUG-1,10\n"
            "DC-1,NOPE-9,1\n"
            "LK-1,MUG-1,1\n"
            "DC-9,MUG-1,1\n"
            "DC-1,MUG-1,12\n")
    assert await errors_of(ctx, tmp_path, Kind.STOCK, "stock.csv", text) == [
        "stock.csv line 6: node and sku ('DC-1', 'MUG-1') already given at line 2",
    ]
    assert await errors_of(ctx, tmp_path, Kind.STOCK, "stock.csv", text.rsplit("DC-1,MUG-1,12", 1)[0]) == [
        "stock.csv line 3, column sku: unknown sku 'NOPE-9'",
        "stock.csv line 4, column node_id: a locker holds no stock",
        "stock.csv line 5, column node_id: unknown node 'DC-9'",
    ]
    assert await inventory(ctx) == {}


async def test_header_must_name_every_required_column_and_nothing_else(ctx, tmp_path):
    errors = await errors_of(ctx, tmp_path, Kind.STOCK, "stock.csv", "node_id,sku,qty\nDC-1,MUG-1,3\n")
    assert errors == [
        "stock.csv line 1: unknown column 'qty' (the columns are node_id, sku, on_hand, safety_stock)",
        "stock.csv line 1: missing column on_hand",
    ]
    errors = await errors_of(ctx, tmp_path, Kind.PRODUCTS, "p.csv", "")
    assert errors == ["p.csv line 1: the file is empty; a header row is needed"]


async def test_nested_fields_map_back_to_their_columns(ctx, tmp_path):
    text = ("sku,name,weight_g,length_mm,width_mm,height_mm,price_amount,currency\n"
            'X-1,"A name\nwritten on two lines",350,100,100,100,12.99,eur\n'
            "X-2,Mug,350,100,100,100,,EUR\n")
    assert await errors_of(ctx, tmp_path, Kind.PRODUCTS, "p.csv", text) == [
        "p.csv line 2, column price_amount: Input should be a valid integer, unable to parse string as an integer",
        "p.csv line 2, column currency: String should match pattern '^[A-Z]{3}$'",
        "p.csv line 4, column price_amount: missing value",  # line 3 is the second line of the quoted name
    ]
    text = ("id,type,name,line1,postal_code,city,country,lat,lng,fulfills,hands_over,opening_hours\n"
            "N-1,shop,Shop,1 rue X,75001,Paris,FR,98.5,2.3,home_std,home_standard,fri-mon 09:00-19:00\n")
    assert await errors_of(ctx, tmp_path, Kind.NODES, "n.csv", text) == [
        "n.csv line 2, column opening_hours: 'fri-mon' runs backwards; write the days from mon to sun",
        "n.csv line 2, column type: Input should be 'warehouse', 'store', 'dark_store', 'supplier', 'locker' "
        "or 'pickup_point'",
        "n.csv line 2, column lat: Input should be less than or equal to 90",
        "n.csv line 2, column fulfills: Input should be 'home_standard', 'home_express', 'one_hour', 'scheduled', "
        "'click_and_collect', 'locker', 'pickup_point', 'reserve_in_store' or 'store_carry_out'",
    ]
    text = text.replace("shop", "store").replace("98.5", "48.5").replace("home_std", "home_standard")
    assert await errors_of(ctx, tmp_path, Kind.NODES, "n.csv", text.replace("fri-mon", "mon-fri")) == [
        "n.csv line 2, column hands_over: hands_over takes pickup modes only, not home_standard",
    ]


async def test_a_long_list_of_errors_is_cut_short(ctx, tmp_path):
    text = "node_id,sku,on_hand\n" + "".join(f"DC-1,MUG-{i},-1\n" for i in range(120))
    with pytest.raises(InvalidInput) as caught:
        await load(ctx, tmp_path, Kind.STOCK, "stock.csv", text)
    lines = caught.value.detail.splitlines()
    assert lines[0] == "stock.csv: 120 bad lines, nothing imported"
    assert lines[1].startswith("stock.csv line 2, column on_hand:")
    assert len(lines) == 52 and lines[-1] == "… and 70 more"


async def test_semicolon_files_and_a_byte_order_mark_are_read(ctx, tmp_path):
    await load_reference(ctx, tmp_path)
    path = tmp_path / "stock.csv"
    path.write_text("node_id;sku;on_hand\nDC-1;MUG-1;7\n", encoding="utf-8-sig")
    await write(ctx, Kind.STOCK, read_file(Kind.STOCK, path), path.name)
    assert (await inventory(ctx))[("DC-1", "MUG-1")] == (7, 0)


def test_opening_hours_text():
    assert parse_hours("mon-wed 09:00-12:00,14:00-18:00; sat 10:00-13:00") == {
        "mon": [("09:00", "12:00"), ("14:00", "18:00")], "tue": [("09:00", "12:00"), ("14:00", "18:00")],
        "wed": [("09:00", "12:00"), ("14:00", "18:00")], "sat": [("10:00", "13:00")],
    }
    assert parse_hours("") == {}
    for bad, reason in [("mon 9:00-18:00", "is not a HH:MM-HH:MM span"), ("lun 09:00-18:00", "is not a day"),
                        ("mon-fri 09:00-18:00; fri 10:00-12:00", "fri is given twice"), ("sat", "no opening times")]:
        with pytest.raises(ValueError, match=reason):
            parse_hours(bad)


def on_a_context(url: str, read, **settings):
    """What ``read(ctx)`` finds on a context of its own: the command ran on another, since closed."""
    async def run():
        ctx = build_context(Settings(database_url=url, **settings))
        try:
            return await read(ctx)
        finally:
            await ctx.db.dispose()

    return asyncio.run(run())


def stock_rows(url: str) -> dict:
    return on_a_context(url, inventory)


def test_the_command_imports_or_exits_1_with_every_error(database_url, tmp_path):
    runner = CliRunner()
    env = {"OMS_DATABASE_URL": database_url}
    for kind, text in (("products", PRODUCTS), ("nodes", NODES)):
        result = runner.invoke(app, ["import", kind, str(csv_file(tmp_path, f"{kind}.csv", text))], env=env)
        assert result.exit_code == 0, result.output
        assert f"3 {kind} imported from {kind}.csv" in result.output

    bad = csv_file(tmp_path, "stock.csv", STOCK + "ST-1,OIL-1,-2,\nST-1,GHOST,1,\n")
    result = runner.invoke(app, ["import", "stock", str(bad)], env=env)
    assert result.exit_code == 1
    assert "stock.csv line 5, column on_hand: Input should be greater than or equal to 0" in result.output
    assert stock_rows(database_url) == {}

    bad.write_text(STOCK + "ST-1,GHOST,1,\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "stock", str(bad)], env=env)
    assert result.exit_code == 1
    assert "stock.csv line 5, column sku: unknown sku 'GHOST'" in result.output
    assert stock_rows(database_url) == {}

    result = runner.invoke(app, ["import", "stock", str(csv_file(tmp_path, "ok.csv", STOCK))], env=env)
    assert result.exit_code == 0, result.output
    assert stock_rows(database_url)[("DC-1", "MUG-1")] == (100, 5)

    result = runner.invoke(app, ["import", "stock", str(tmp_path / "missing.csv")], env=env)
    assert result.exit_code == 1 and "missing.csv: No such file or directory" in result.output


async def test_release_waves_and_the_time_to_accept_import(ctx, tmp_path):
    text = ("id,type,name,line1,postal_code,city,country,lat,lng,release_waves,accept_within_minutes\n"
            "ST-2,store,Store Lille,1 rue Neuve,59000,Lille,FR,50.63,3.06,15:00|08:30,45\n"
            "ST-3,store,Store Metz,1 rue Serpenoise,57000,Metz,FR,49.12,6.17,,\n")
    assert await load(ctx, tmp_path, Kind.NODES, "nodes.csv", text) == 2
    nodes = {n["id"]: n for n in (await records.list_nodes(ctx, type=None, cursor=None, limit=10))["items"]}
    assert (nodes["ST-2"]["release_waves"], nodes["ST-2"]["accept_within_minutes"]) == (["08:30", "15:00"], 45)
    assert (nodes["ST-3"]["release_waves"], nodes["ST-3"]["accept_within_minutes"]) == ([], None)
    bad = text.replace("15:00|08:30", "15h").replace(",45\n", ",0\n")
    errors = await errors_of(ctx, tmp_path, Kind.NODES, "nodes.csv", bad)
    assert sorted(e.split(":")[0] for e in errors) == ["nodes.csv line 2, column accept_within_minutes",
                                                       "nodes.csv line 2, column release_waves"]


async def test_what_a_node_takes_and_a_locker_bank_s_compartments_import(ctx, tmp_path):
    text = ("id,type,name,line1,postal_code,city,country,lat,lng,hands_over,takes,compartments\n"
            "ST-4,store,Store Nancy,1 rue Saint-Jean,54000,Nancy,FR,48.69,6.18,click_and_collect,"
            "max 30 kg; hazardous,\n"
            "LK-2,locker,Locker Nancy,Place Thiers,54000,Nancy,FR,48.69,6.17,locker,,"
            "S 80x380x640 25kg 30; L 410x380x640 25kg 10\n")
    assert await load(ctx, tmp_path, Kind.NODES, "nodes.csv", text) == 2
    nodes = {n["id"]: n for n in (await records.list_nodes(ctx, type=None, cursor=None, limit=10))["items"]}
    assert nodes["ST-4"]["takes"] == {"max_weight_g": 30000, "max_length_mm": None, "max_sides_mm": None,
                                      "max_girth_mm": None, "bulky": False, "hazardous": True}
    assert [(c["size"], c["height_mm"], c["count"]) for c in nodes["LK-2"]["compartments"]] == [("S", 640, 30),
                                                                                               ("L", 640, 10)]
    assert nodes["ST-4"]["compartments"] == [] and nodes["LK-2"]["takes"] is None
    bad = text.replace("max 30 kg", "max 30 lb").replace("; L 410x380x640 25kg 10", "; S 410x380x640 25kg 10")
    errors = await errors_of(ctx, tmp_path, Kind.NODES, "nodes.csv", bad)
    assert errors == ["nodes.csv line 2, column takes: 'max 30 lb' is not a limit: max N kg, length N cm, sides N cm, "
                      "girth N cm, bulky or hazardous",
                      "nodes.csv line 3, column compartments: compartments name a size twice"]
    on_a_store = text.replace(",max 30 kg; hazardous,\n", ",,S 80x380x640 25kg 30\n")
    errors = await errors_of(ctx, tmp_path, Kind.NODES, "nodes.csv", on_a_store)
    assert errors == ["nodes.csv line 2, column compartments: compartments are a locker bank's, not a store's"]
