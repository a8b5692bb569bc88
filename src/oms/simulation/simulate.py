"""``oms simulate``: each configuration lives the scenario's days on its own copy of the retailer's data, with
the same customers (the same seed), and the report puts them side by side."""

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import make_url

from ..bootstrap import build_context, prepare
from ..config import Settings
from ..demo.load import SYSTEM, load_demo
from ..domain.errors import FieldError, InvalidInput
from ..services.reads import outcomes
from ..services.reference import records
from ..services.reference.carriers import upsert_carrier_services
from ..services.reference.delivery_capacity import put_delivery_capacity
from ..services.reference.delivery_prices import put_prices
from ..services.reference.inputs import NodeIn
from ..services.reference.stock_rules import put_rules, put_sourcing
from ..services.runtime.context import Context
from . import database, invariants
from .kpis import hourly_load, kpis
from .run import Simulation
from .scenario import AS_IS, Configuration, Scenario
from .seeds import combine
from .world import matches

Progress = Callable[[int, int], None] | None
log = logging.getLogger("oms.simulation")


def _settings(url: str) -> Settings:
    # The simulation drives the sweep itself, at its own clock; no relay, no connectors' intake.
    return Settings(database_url=url, hold_sweep_seconds=0, relay_seconds=0, inbox_seconds=0)


async def simulate(scenario: Scenario, *, seeds: list[int], folder: Path,
                   configurations: list[Configuration] | None = None, source: str | None = None, scale: float = 1.0,
                   progress: Progress = None) -> dict:
    """Run the scenario once per configuration (the database's own when none is given) and per seed, each on its
    own copy of the data, and report: with several seeds, the figures' means and intervals, and each
    configuration's differences from the first."""
    configurations = configurations or [AS_IS]
    base = await _base(folder, source)
    report: dict = {"scenario": scenario.name, "seeds": seeds, "scale": scale}
    held: dict = {}
    per_seed = []
    first: date | None = None  # every run lives the same days, whenever it starts
    for seed in seeds:
        found = []
        for n, configuration in enumerate(configurations):
            url = await _copy(base, folder, seed, n)
            try:
                one, clean, first = await _one(url, scenario, configuration, seed=seed, scale=scale, first=first,
                                               progress=progress)
            except BaseException:
                if url.startswith("postgresql"):  # a configuration refused, an interrupted run: no copy left
                    await database.drop_postgres(url)
                raise
            if url.startswith("postgresql") and not invariants.broken(clean):
                try:
                    await database.drop_postgres(url)  # (a broken one is kept, to be looked into)
                except Exception as exc:  # someone looking at it: the report is written all the same
                    log.warning("the copy %s is left: %s", make_url(url).database, exc)
            one["database"] = make_url(url).render_as_string(hide_password=True)
            found.append(one)
            report.setdefault("started", one["started"])
            for name, value in clean.items():
                held[name] = held[name] if held.get(name, "clean") != "clean" else value
        per_seed.append(found)
    if len(seeds) == 1:
        report["configurations"] = per_seed[0]
    else:
        report["configurations"], report["differences"] = combine(per_seed)
    report["invariants"] = held
    return report


async def _base(folder: Path, source: str | None) -> str:
    """The data every configuration starts from: the source's, or the demo retailer loaded once."""
    if source is not None:
        return source
    path = folder / "demo.db"
    url = database.fresh_sqlite(path)
    ctx = build_context(_settings(url))
    try:
        await prepare(ctx)
        await load_demo(ctx, if_empty=False, keys_file=folder / "demo-keys.txt")
    finally:
        await ctx.db.dispose()
    return url


async def _copy(base: str, folder: Path, seed: int, n: int) -> str:
    if base.startswith("sqlite:///"):
        return database.copy_sqlite(base, folder / f"run-{seed}-{n}.db")
    if base.startswith(("postgresql://", "postgresql+asyncpg://")):
        return await database.copy_postgres(base, database.copy_name(seed, n))
    raise InvalidInput([FieldError("--database", "give sqlite:///path or postgresql://user@host/name")])


async def _one(url: str, scenario: Scenario, configuration: Configuration, *, seed: int, scale: float,
               first: date | None, progress: Progress) -> tuple[dict, dict, date]:
    ctx = build_context(_settings(url))
    try:
        await prepare(ctx)
        await configure(ctx, configuration)
        simulation = Simulation(ctx, scenario, seed=seed, scale=scale, first=first, progress=progress)
        tally = await simulation.run()
        assert tally.started is not None
        since = tally.started  # (the copy's own orders and movements are all before it)
        snap = await ctx.reference.get(ctx.db, now=True)
        zone = simulation.local.zone
        picked = await outcomes.picked_units(ctx, since)
        figures = kpis(tally, await outcomes.orders_since(ctx, since), picked,
                       await outcomes.overbooked(ctx, full=True, since=simulation.first),
                       {n.id for n in snap.nodes.values() if n.type == "store"}, zone)
        stores = {n for n, hours in hourly_load(picked, zone).items() if snap.nodes[n].type == "store"}
        found = {"name": configuration.name, "description": configuration.description, "kpis": figures,
                 "started": tally.started.isoformat(), "ended": tally.ended.isoformat() if tally.ended else None,
                 "hourly_orders": _hourly(tally, zone),
                 "store_load": {n: h for n, h in hourly_load(picked, zone).items() if n in stores},
                 "calls_refused": dict(tally.failed_calls)}
        return found, await invariants.check(ctx), simulation.first
    finally:
        await ctx.db.dispose()


def _hourly(tally, zone: ZoneInfo) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for (hour, channel), n in tally.by_hour.items():
        found.setdefault(channel, [0] * 24)[hour] += n
    return dict(sorted(found.items()))


async def configure(ctx: Context, configuration: Configuration) -> None:
    """Set what the configuration gives, through the services the API calls."""
    if configuration.sourcing is not None:
        await put_sourcing(ctx, configuration.sourcing, principal=SYSTEM)
    if configuration.stock_rules is not None:
        await put_rules(ctx, configuration.stock_rules, principal=SYSTEM)
    if configuration.delivery_capacity is not None:
        await put_delivery_capacity(ctx, configuration.delivery_capacity, principal=SYSTEM)
    if configuration.delivery_prices is not None:
        await put_prices(ctx, configuration.delivery_prices, principal=SYSTEM)
    if configuration.carrier_services:
        await upsert_carrier_services(ctx, configuration.carrier_services, principal=SYSTEM)
    if configuration.nodes:
        await _change_nodes(ctx, configuration.nodes)


async def _change_nodes(ctx: Context, changes: dict[str, dict]) -> None:
    """Each node a pattern names, with the fields given (checked as the API checks a node); a pattern that names
    no node, or a value a node may not have, is refused by name and nothing is changed."""
    snap = await ctx.reference.get(ctx.db, now=True)
    changed, used = [], set()
    cursor = None
    while True:
        page = await records.list_nodes(ctx, type=None, cursor=cursor, limit=500)
        for view in page["items"]:
            node = snap.nodes[view["id"]]
            update: dict = {}
            for pattern, fields in changes.items():
                if matches(node, [pattern]):
                    update.update(fields)
                    used.add(pattern)
            if update:
                try:
                    changed.append(NodeIn.model_validate({**view, **update}))
                except ValidationError as exc:
                    raise InvalidInput([FieldError(f"nodes: {node.id}.{'.'.join(str(p) for p in e['loc'])}", e["msg"])
                                        for e in exc.errors()]) from None
        cursor = page.get("next_cursor")
        if not cursor:
            break
    if unused := [p for p in changes if p not in used]:
        raise InvalidInput([FieldError("nodes", f"{', '.join(unused)} names no node")])
    await records.upsert_nodes(ctx, changed)


