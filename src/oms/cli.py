"""The ``oms`` command: serve, migrate, manage keys, load the demo retailer, import CSV files, replenish."""

import asyncio
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from .bootstrap import build_context, prepare
from .config import Settings
from .domain.errors import InvalidInput, OmsError
from .importer import Kind

app = typer.Typer(help="Order Management System for omnichannel retail.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
console = Console()
err = Console(stderr=True)


def settings() -> Settings:
    """The settings from the environment; a wrong one is named (its OMS_ variable) and nothing starts."""
    try:
        return Settings()
    except ValidationError as exc:
        for e in exc.errors():
            name = "OMS_" + "_".join(str(p) for p in e["loc"]).upper()
            err.print(f"error: {name}: {e['msg']}", style="red", markup=False, highlight=False)
        raise typer.Exit(2) from None


def run(coro_fn):
    """Run an async command on a fresh context; domain errors become a clear message and exit code 1."""
    config = settings()

    async def main():
        ctx = build_context(config)
        try:
            await prepare(ctx)
            return await coro_fn(ctx)
        finally:
            await ctx.db.dispose()

    try:
        return asyncio.run(main())
    except OmsError as exc:
        err.print("error:", exc.detail, style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@app.command()
def serve(host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP port")] = 8000,
          workers: Annotated[int, typer.Option(help="Server processes (PostgreSQL only)")] = 1,
          live: Annotated[bool, typer.Option(
              help="The demo retailer at work: a slow simulated flow of customers, stores and carriers in real "
                   "time (the demo's database only; one server process)")] = False):
    """Apply pending migrations, then serve the API (and /docs) and the console (/console)."""
    import os

    import uvicorn

    if workers > 1 and settings().database_url.startswith("sqlite"):
        err.print("[red]error:[/red] several workers need PostgreSQL (OMS_DATABASE_URL=postgresql://…)")
        raise typer.Exit(2)
    if (live or settings().live_demo) and workers > 1:
        err.print("[red]error:[/red] --live runs in one server process: --workers 1")
        raise typer.Exit(2)
    if live:
        os.environ["OMS_LIVE_DEMO"] = "1"  # read by the server's settings, in the process uvicorn starts
    run(lambda ctx: asyncio.sleep(0))  # migrate once, before any worker starts
    console.print(f"OMS serving on [bold]http://{host}:{port}[/bold] — API docs at http://{host}:{port}/docs, "
                  f"the console at http://{host}:{port}/console (sign in with an API key)")
    uvicorn.run("oms.bootstrap:build_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


@db_app.command("upgrade")
def db_upgrade():
    """Apply pending migrations."""
    from .db.migrate import current_revision

    revision = run(lambda ctx: current_revision(ctx.db.engine))
    console.print(f"database at revision {revision}")


@keys_app.command("create")
def keys_create(role: Annotated[str, typer.Option(help="admin, channel, node or viewer")],
                scope: Annotated[str | None,
                                 typer.Option(help="the channel (channel keys) or node id (node keys)")] = None,
                name: Annotated[str, typer.Option(help="a label for the key")] = ""):
    """Create an API key and print it (it is stored hashed: this is the only time it is shown)."""
    from .services.reference.keys import create_key

    key, principal = run(lambda ctx: create_key(ctx, role=role, scope=scope, name=name))
    console.print(f"{principal.role}{' ' + principal.scope if principal.scope else ''}: [bold]{key}[/bold]")


@keys_app.command("list")
def keys_list():
    """List the API keys (never the keys themselves: only their hashes are stored)."""
    from .services.reference.keys import list_keys

    # Plain lines, never wrapped or cut at the terminal's width: an id is copied whole into `oms keys revoke`.
    row = "{:<36}  {:<7}  {:<16}  {:<16}  {:<16}  {}"
    console.print(row.format("id", "role", "scope", "created", "revoked", "name"), soft_wrap=True, markup=False,
                  highlight=False)
    for k in run(lambda ctx: list_keys(ctx.db)):
        console.print(row.format(k["id"], k["role"], k["scope"] or "-", f"{k['created_at']:%Y-%m-%d %H:%M}",
                                 f"{k['revoked_at']:%Y-%m-%d %H:%M}" if k["revoked_at"] else "-", k["name"]),
                      soft_wrap=True, markup=False, highlight=False)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key's id, as `oms keys list` shows it")]):
    """Revoke a key: it is refused from now on (servers trust a key they checked for OMS_KEY_CACHE_SECONDS)."""
    from .services.reference.keys import revoke_key

    run(lambda ctx: revoke_key(ctx, key_id))
    console.print(f"key {key_id} revoked")


inventory_app = typer.Typer(help="Stock.", no_args_is_help=True)
app.add_typer(inventory_app, name="inventory")


@inventory_app.command("check")
def inventory_check(repair: Annotated[bool, typer.Option(
        "--repair", help="Set each differing counter from its sources (on-hand from the ledger, reserved from the "
                         "open reservations), in one transaction; safe while the service runs")] = False):
    """Re-derive on-hand from the movement ledger and reserved from the open fulfilment lines and cart holds;
    list every difference. Exits 1 if there is any, unless --repair repaired them all."""
    from rich.table import Table

    from .services.stock.check import promise_differences, repair_promises, repair_stock, stock_differences

    async def check(ctx):
        repaired = await repair_stock(ctx) if repair else []
        promises_repaired = await repair_promises(ctx) if repair else []
        return repaired, promises_repaired, await stock_differences(ctx), await promise_differences(ctx)

    repaired, promises_repaired, differences, promises = run(check)
    if promises_repaired:
        table = Table("supply", "promised was", "promised now", title="supply promises repaired")
        for d in promises_repaired:
            table.add_row(d["supply_id"], str(d["promised"]), str(d["waiting"]))
        console.print(table)
    if repaired:
        table = Table("node", "sku", "on hand was", "on hand now", "reserved was", "reserved now",
                      title="differences found and repaired")
        for d in repaired:
            table.add_row(d["node_id"], d["sku"], _was(d["on_hand_was"]), str(d["on_hand"]),
                          _was(d["reserved_was"]), str(d["reserved"]))
        console.print(table)
        console.print(f"{len(repaired)} stock row{'s' if len(repaired) != 1 else ''} repaired: on-hand set from "
                      "the ledger (no movement recorded), reserved from the open reservations")
    if not differences and not promises:
        console.print("stock is consistent: on-hand matches the ledger, reserved matches the open reservations, "
                      "supply promises match the backorders")
        return
    if differences:
        table = Table("node", "sku", "on hand", "ledger", "reserved", "held by orders and holds",
                      title="still differing after the repair" if repair else None)
        for d in differences:
            table.add_row(d["node_id"], d["sku"], str(d["on_hand"]), str(d["ledger_on_hand"]), str(d["reserved"]),
                          str(d["held_by_reservations"]))
        console.print(table)
    if promises:
        table = Table("supply", "promised", "wanted by backorders",
                      title="still differing after the repair" if repair else None)
        for d in promises:
            table.add_row(d["supply_id"], str(d["promised"]), str(d["waiting"]))
        console.print(table)
    raise typer.Exit(1)


connectors_app = typer.Typer(help="Shops and marketplaces whose orders come in.", no_args_is_help=True)
app.add_typer(connectors_app, name="connectors")


@connectors_app.command("list")
def connectors_list():
    """The connectors: kind, channel, address, whether on, the credentials set (by name), the webhook address,
    and the deliveries waiting in each one's inbox."""
    from rich.table import Table

    from .demo.load import SYSTEM
    from .services.connectors import inbox
    from .services.connectors import settings as connector_settings

    async def read(ctx):
        found = (await connector_settings.list_all(ctx, principal=SYSTEM))["items"]
        return found, await inbox.waiting(ctx)

    found, waiting = run(read)
    if not found:
        console.print("no connectors (POST /v1/connectors makes one)")
        return
    table = Table("id", "kind", "channel", "address", "on", "credentials", "webhook address", "waiting")
    for c in found:
        table.add_row(c["id"], c["kind"], c["channel"], c["base_url"], "yes" if c["active"] else "no",
                      ", ".join(c["credentials"]), c["webhook_url"] or "(polled)", str(waiting.get(c["id"], 0)))
    console.print(table)


@connectors_app.command("test")
def connectors_test(connector_id: str = typer.Argument(help="The connector's id (oms connectors list)")):
    """Call the platform once, as a poll does, and say what works: the credentials, the orders' endpoint, the
    webhook address to give the platform. Nothing is kept. Exits 1 when something does not work."""
    from .services.connectors import polling

    found = run(lambda ctx: polling.check(ctx, connector_id))
    for what, ok, detail in found:
        console.print(f"{'[green]ok[/green]' if ok else '[red]fails[/red]'}  {what}: {detail}", highlight=False)
    if not all(ok for _, ok, _ in found):
        raise typer.Exit(1)


def _lines(path: Path) -> int | None:
    """About how many rows the file has (its lines but the header), for the progress bar."""
    try:
        with path.open("rb") as f:
            return max(0, sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - 1)
    except OSError:
        return None  # the import says why


def _was(value: int | None) -> str:
    return "no row" if value is None else str(value)


@app.command()
def demo(if_empty: Annotated[bool, typer.Option("--if-empty",
                                                help="Load nothing if the database has products")] = False,
         scale: Annotated[str | None, typer.Option(
             help="The demo grown to a real network: large (300 stores, 3 DCs, 20,000 SKUs, about 1 million "
                  "stock rows) or very-large (1,000 stores, 4 DCs, 100,000 SKUs, about 5 million)")] = None,
         history: Annotated[bool, typer.Option(
             help="The stores' last 90 days of sales, so that replenishment proposes from them (the demo's size "
                  "only)")] = True,
         live: Annotated[bool, typer.Option(
             help="Then serve it with a slow simulated flow running in real time (as oms serve --live)")] = False):
    """Load the demo retailer (2 DCs, 42 stores, 10 lockers, 361 relay points, a supplier, 500 SKUs, the stores'
    last 90 days of sales) and show its API keys."""
    from rich.progress import Progress

    from .demo.large import SCALES
    from .demo.load import KEYS_FILE, load_demo

    if scale is not None and scale not in SCALES:
        err.print(f"error: --scale is {' or '.join(SCALES)}", style="red", markup=False, highlight=False)
        raise typer.Exit(2)
    if scale is None:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("demo retailer: the stores' sales", total=None)
            summary = run(lambda ctx: load_demo(ctx, if_empty=if_empty, history=history,
                                                progress=lambda n: bar.advance(task, n)))
    else:
        sizes = SCALES[scale]
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"{scale} retailer: stock rows", total=None)
            summary = run(lambda ctx: load_demo(ctx, if_empty=if_empty, scale=sizes,
                                                progress=lambda n: bar.advance(task, n)))
    if summary.loaded:
        nodes = ", ".join(f"{kind} {n}" for kind, n in summary.nodes.items())
        console.print(f"Demo retailer loaded. Nodes: {nodes}. Products: {summary.products}. "
                      f"Stock: {summary.stock_rows} rows, {summary.units} units."
                      + (f" Sales history: {summary.history} movements over 90 days." if summary.history else ""))
    else:
        console.print("The database already has products: the demo was not loaded.")
    if summary.keys:
        console.print(f"Demo API keys (also in {KEYS_FILE}), send as `Authorization: Bearer <key>`:", markup=False)
        for k in summary.keys:
            console.print(f"  {k.role:<8} {k.scope or '':<16} {k.key}", markup=False, highlight=False)
    else:
        console.print("No demo keys on file; create one with `oms keys create --role admin`.", markup=False)
    if live:
        serve(live=True)


@app.command()
def holidays(country: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-2 code: FR, BE, DE …")],
             region: Annotated[str | None, typer.Option(
                 help="a region's own holidays besides the country's (France: 57 Moselle, 6AE Alsace)")] = None,
             year: Annotated[list[int] | None, typer.Option(
                 help="a year to load (repeat it for several); by default this year and the next two")] = None):
    """Load a country's (or a region's) public holidays from the `holidays` package, replacing those stored
    for it. Nodes there are closed on them unless they opt out; carrier services naming the country do not
    deliver on its national ones."""
    from .demo.load import SYSTEM
    from .services.reference.holidays import from_package, put_public_holidays

    async def load(ctx):
        years = year or [ctx.clock.now().year + i for i in range(3)]
        return await put_public_holidays(ctx, from_package(country, region, years), principal=SYSTEM)

    stored = run(load)
    where = country + (f" region {region}" if region else "")
    console.print(f"{len(stored['days'])} public holidays stored for {where}.", markup=False)
    for d in stored["days"]:
        console.print(f"  {d['day']}  {d['name']}", markup=False, highlight=False)


@app.command("import")
def import_csv(kind: Annotated[Kind, typer.Argument(help="What the file holds")],
               file: Annotated[Path, typer.Argument(help="a CSV file with a header row", metavar="FILE.csv")]):
    """Import products, nodes, stock counts, store replenishment settings or connectors' product references
    from a CSV file: all rows, or none if any row is bad.

    Columns, in any order, named by a header row:

    \b
    products: sku, name, weight_g, length_mm, width_mm, height_mm,
        price_amount (cents), currency; optional: bulky, hazardous
    nodes: id, type, name, line1, postal_code, city, country, lat, lng;
        optional: timezone, fulfills, hands_over (lists split by |),
        opening_hours ("mon-fri 09:00-19:00; sat 10:00-18:00"),
        daily_capacity, handling_cost_per_order, handling_cost_per_unit
        (minor units), accept_within_minutes, release_waves (08:00|14:00),
        confirms_cancel, collect_within_days, returns_to, region,
        public_holidays, takes ("max 30 kg; length 120 cm; hazardous"),
        compartments ("S 80x380x640 25kg 60; M 190x380x640 25kg 55"), active
    stock: node_id, sku, on_hand; optional: safety_stock
    replenishment-stores: node_id, source_node_id, order_weekdays
        (1|4 or mon|thu), lead_days; optional: lead_sigma_days
    replenishment-rules: all optional: node_id and sku (empty: *;
        a sku may be a class, DEC-*), policy, service_level,
        presentation_min, shelf_capacity, case_pack,
        rounding_threshold, min_order, days_of_supply
    connector-skus: connector_id, platform_ref (the platform's SKU
        or variant id), sku; each connector's mapping is replaced
    """
    from rich.progress import Progress

    from . import importer

    def fail(exc: InvalidInput):
        err.print(exc.detail, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)

    async def write(ctx):
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"{kind} from {file.name}", total=_lines(file))
            try:
                return await importer.import_file(ctx, kind, file, progress=lambda n: bar.advance(task, n))
            except InvalidInput as exc:
                bar.stop()
                fail(exc)

    started = time.perf_counter()
    count = run(write)
    console.print(f"{count} {kind} imported from {file.name} in {time.perf_counter() - started:.1f} s.")


@app.command()
def replenish(date: Annotated[datetime | None, typer.Option(help="the order day (default: today)",
                                                            formats=["%Y-%m-%d"])] = None,
              node: Annotated[list[str] | None, typer.Option(
                  help="a store to run for (repeat it for several); by default those ordering that day")] = None,
              csv: Annotated[Path | None, typer.Option(help="write every proposal to this CSV file")] = None,
              approve: Annotated[bool, typer.Option(help="send the proposals: a transfer per store and DC")] = False,
              shown: Annotated[int, typer.Option(help="proposals listed, most urgent first")] = 30):
    """Propose what the stores should receive (as `POST /v1/replenishment/runs`), list the most urgent (fewest
    days of cover first), and with --approve turn them into transfers."""
    import csv as csv_module

    from rich.table import Table

    from .demo.load import SYSTEM
    from .services.replenishment import approve as approving
    from .services.replenishment.inputs import ApproveIn, RunIn
    from .services.replenishment.runs import LINE_FIELDS, all_lines, start_run

    try:
        body = RunIn(date=date.date() if date else None, nodes=node or None)
    except ValidationError as exc:
        for e in exc.errors():
            option = {"nodes": "node"}.get(str(e["loc"][0]), e["loc"][0])
            err.print(f"error: --{option}: {e['msg']}", style="red", markup=False, highlight=False)
        raise typer.Exit(2) from None

    async def go(ctx):
        got = await start_run(ctx, body, principal=SYSTEM)
        lines = await all_lines(ctx, got["id"])
        sent = await approving.approve(ctx, got["id"], ApproveIn(), principal=SYSTEM) if approve else None
        return got, lines, sent

    got, lines, sent = run(go)
    if csv:
        with csv.open("w", newline="") as out:
            writer = csv_module.DictWriter(out, fieldnames=LINE_FIELDS)
            writer.writeheader()
            writer.writerows(lines)

    def cover(line: dict) -> float:
        return line["position"] / line["forecast_daily"] if line["forecast_daily"] > 0 else float("inf")

    table = Table("store", "sku", "method", "a day", "position", "days of cover", "up to", "asked", "sent",
                  title=f"run {got['id']} for {got['date']}")
    for line in sorted(lines, key=cover)[:shown]:
        table.add_row(line["node_id"], line["sku"], line["method"], f"{line['forecast_daily']:.2f}",
                      str(line["position"]), f"{cover(line):.1f}", str(line["order_up_to"]), str(line["asked"]),
                      str(line["quantity"]))
    console.print(table)
    summary = got["summary"]
    console.print(f"{summary['stores']} stores, {summary['proposed']} proposals, {summary['units']} units; "
                  f"{summary['unfilled']} a short DC could not fill in full.", markup=False)
    if csv:
        console.print(f"every proposal written to {csv}", markup=False)
    if sent:
        short = f", {len(sent['short'])} lines the DC could no longer fill in full" if sent["short"] else ""
        console.print(f"approved: {len(sent['transfers'])} transfers, {sent['units']} units{short}.", markup=False)


@app.command()
def simulate(scenario: Annotated[str | None, typer.Option(
                 help="A built-in scenario (--list shows them) or a scenario's JSON file")] = None,
             orders: Annotated[int | None, typer.Option(
                 min=1, help="The scenario's demand scaled to about this many orders a day (a quicker run)")] = None,
             days: Annotated[int | None, typer.Option(min=1, max=28, help="Days of orders (the scenario's own by "
                                                                           "default)")] = None,
             seed: Annotated[int, typer.Option(min=0, help="The same seed, the same customers")] = 1,
             seeds: Annotated[int, typer.Option(
                 min=1, max=50, help="Run this many seeds (from --seed on): figures with their 95 % intervals, and "
                                     "the differences between configurations")] = 1,
             compare: Annotated[list[str] | None, typer.Option(
                 help="A configuration to run the scenario with (repeat it to compare several): a built-in one "
                      "(cost_optimal, nearest, priority) or a JSON file; by default the database's own")] = None,
             report: Annotated[Path | None, typer.Option(
                 help="The folder the report and the run's databases go to")] = None,
             database: Annotated[str | None, typer.Option(
                 help="The retailer's database to copy (sqlite:///… or postgresql://…); it is never written to. "
                      "By default the demo retailer, loaded anew")] = None,
             list_scenarios: Annotated[bool, typer.Option("--list", help="List the built-in scenarios")] = False):
    """Live the scenario's days through the service on a copy of the retailer's data: customers ask the promise
    and order, nodes accept, pick and ship, carriers deliver, customers collect. Reports the figures of each
    configuration side by side (report.json), then checks the stock, capacity and reservation invariants: exits
    1 if any is broken."""
    from rich.progress import Progress

    from .simulation import invariants
    from .simulation.report import differences, table, write_html, write_json
    from .simulation.scenario import built_in, load_configuration, load_scenario
    from .simulation.simulate import simulate as simulating

    if list_scenarios:
        for name in built_in("scenarios"):
            console.print(f"[bold]{name}[/bold]: {load_scenario(name).description}", highlight=False)
        return
    if scenario is None:
        err.print("error: --scenario NAME|FILE (or --list)", style="red", markup=False, highlight=False)
        raise typer.Exit(2)
    try:
        chosen = load_scenario(scenario)
        configurations = [load_configuration(c) for c in compare or []]
    except InvalidInput as exc:
        err.print("error:", exc.detail, style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if days is not None:
        chosen = chosen.model_copy(update={"days": days, "incidents": [i for i in chosen.incidents if i.day <= days]})
    scale = orders / chosen.orders_per_day if orders else 1.0
    folder = report or Path("var") / "simulations" / chosen.name
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"{chosen.name}: customers", total=None)
        try:
            found = asyncio.run(simulating(chosen, seeds=list(range(seed, seed + seeds)), folder=folder,
                                           configurations=configurations,
                                           source=database, scale=scale,
                                           progress=lambda n, total: bar.update(task, completed=n, total=total)))
        except OmsError as exc:
            bar.stop()
            err.print("error:", exc.detail, style="red", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    console.print(table(found))
    if (versus := differences(found)) is not None:
        console.print(versus)
    console.print(f"report: {write_json(found, folder)}, {write_html(found, folder)}", markup=False, highlight=False)
    wrong = invariants.broken(found["invariants"])
    if wrong:
        err.print(f"broken invariants: {', '.join(wrong)} (see report.json)", style="red", markup=False)
        raise typer.Exit(1)
    console.print("invariants hold: " + ", ".join(found["invariants"]), markup=False)
