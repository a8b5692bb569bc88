"""Load the demo retailer through the ordinary services, and give it one API key per role.

The keys are kept in a file (mode 600) so that ``make run`` can show them at every start. A key that
is already in the file is registered again rather than replaced: loading the demo twice keeps the keys
a user has already pasted somewhere.
"""

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import select

from ..db import tables as t
from ..domain.access import Principal
from ..domain.vocabulary import Role
from ..files import private_folder
from ..services.reference import records
from ..services.reference.carriers import upsert_carrier_services
from ..services.reference.delivery_capacity import put_delivery_capacity
from ..services.reference.delivery_prices import put_prices
from ..services.reference.documents import has_document, put_document
from ..services.reference.holidays import from_package, put_public_holidays
from ..services.reference.keys import create_key
from ..services.reference.stock_rules import put_sourcing
from ..services.replenishment import settings as replenishment
from ..services.runtime.context import Context
from ..services.stock import bulk, feeds
from ..services.stock.feeds import Progress
from ..services.stock.inputs import DeltaIn, StockLine
from .generate import build, build_delivery, build_sourcing, december_sundays
from .history import build_history
from .large import Scale, build_large
from .replenishment import build_replenishment

KEYS_FILE = Path("var") / "demo-keys.txt"
HOLIDAY_REGIONS = (None, "57", "6AE")  # France's, and Moselle's and Alsace's own (Good Friday, 26 December)
SYSTEM = Principal("demo", Role.ADMIN)
DEMO = "demo"  # the settings document marking the demo retailer's database
HISTORY_CHUNK = 20_000  # movements of the stores' history per feed call
# One key per role; the node key works for the first Paris store.
ROLES = (("admin", None), ("channel", "web"), ("node", "ST-PARIS-RIVOLI"), ("viewer", None))


@dataclass(frozen=True)
class DemoKey:
    role: str
    scope: str | None
    key: str


@dataclass
class Summary:
    loaded: bool
    nodes: dict[str, int] = field(default_factory=dict)  # node type -> how many
    products: int = 0
    stock_rows: int = 0
    units: int = 0
    keys: list[DemoKey] = field(default_factory=list)
    history: int = 0  # movements of the stores' sales history


def read_keys(path: Path) -> list[DemoKey]:
    """The keys in the file, or none when there is no file. Lines: ``role scope key``, ``-`` for no scope."""
    if not path.exists():
        return []
    keys = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            keys.append(DemoKey(parts[0], None if parts[1] == "-" else parts[1], parts[2]))
    return keys


def write_keys(path: Path, keys: list[DemoKey]) -> None:
    private_folder(path.parent)
    lines = ["# OMS demo API keys: send one as `Authorization: Bearer <key>`", "# role scope key"]
    lines += [f"{k.role} {k.scope or '-'} {k.key}" for k in keys]
    # Created private, and chmod'ed too in case an older file was made with wider permissions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


async def load_demo(ctx: Context, *, if_empty: bool, keys_file: Path = KEYS_FILE, scale: Scale | None = None,
                    progress: Progress = None, history: bool = False) -> Summary:
    """Load (or reload) the demo, or with ``scale`` the demo grown to that size (``large.py``). With
    ``if_empty``, a database that has products is left untouched. With ``history`` (the demo's size only),
    the stores' last 90 days of sales come in through their feed (``history.py``), so that a replenishment
    run proposes from them.

    Untouched means no keys are created either: the database may hold a real retailer's data.
    ``progress`` is told the stock rows as they are stored.
    """
    if if_empty and (await records.list_products(ctx, cursor=None, limit=1))["items"]:
        return Summary(loaded=False, keys=read_keys(keys_file))

    years = [ctx.clock.now().year + i for i in range(3)]  # a what-if promise looks up to a year ahead
    moves: list[DeltaIn] = []
    if scale is None:
        products, nodes, stock = build()
        await records.upsert_products(ctx, products)
        await records.upsert_nodes(ctx, december_sundays(nodes, years))
        if history and not await _has_history(ctx):
            began, counted, moves = build_history(stock, nodes, build_replenishment(nodes)[0], ctx.clock.now())
            await feeds.set_stock(ctx, counted, ref="demo", counted_at=began)
        else:
            await feeds.set_stock(ctx, stock, ref="demo")
        rows, units = len(stock), sum(s.on_hand for s in stock)
    else:
        products, nodes, chunks = build_large(scale)
        await records.upsert_products(ctx, products)
        await records.upsert_nodes(ctx, december_sundays(nodes, years))
        # The path of ``oms import stock``; the rows are counted as they stream by.
        tally = Tally()
        rows, _stale = await bulk.import_counts(ctx, tally.counting(chunks), ref="demo", progress=progress)
        units = tally.units
    for region in HOLIDAY_REGIONS:
        await put_public_holidays(ctx, from_package("FR", region, years), principal=SYSTEM)
    carriers, prices, capacity = build_delivery()
    await upsert_carrier_services(ctx, carriers, principal=SYSTEM)
    await put_prices(ctx, prices, principal=SYSTEM)
    await put_delivery_capacity(ctx, capacity, principal=SYSTEM)
    await put_sourcing(ctx, build_sourcing(), principal=SYSTEM)
    supplied, rules = build_replenishment(nodes)
    await replenishment.put_stores(ctx, supplied)
    await replenishment.put_rules(ctx, rules)
    applied = 0
    for start in range(0, len(moves), HISTORY_CHUNK):  # (the tills' feeds, a batch at a time)
        applied += (await feeds.apply_deltas(ctx, moves[start:start + HISTORY_CHUNK]))["applied"]
        if progress:
            progress(min(HISTORY_CHUNK, len(moves) - start))

    known = {(k.role, k.scope): k.key for k in read_keys(keys_file)}
    keys = []
    for role, scope in ROLES:
        plain, _ = await create_key(ctx, role=role, scope=scope, name=f"demo {role}",
                                    key=known.get((role, scope)))
        keys.append(DemoKey(role, scope, plain))
    write_keys(keys_file, keys)
    await put_document(ctx, DEMO, DemoMark(nodes=len(nodes)), principal=SYSTEM)
    return Summary(
        loaded=True,
        nodes=dict(Counter(str(n.type) for n in nodes)),
        products=len(products),
        stock_rows=rows,
        units=units,
        keys=keys,
        history=applied,
    )


class DemoMark(BaseModel):
    """What says that the database holds the demo retailer (what may place simulated orders in it)."""

    nodes: int | None = None  # as loaded


async def is_demo(ctx: Context) -> bool:
    return await has_document(ctx, DEMO)


async def _has_history(ctx: Context) -> bool:
    """The stores' history was fed by an earlier load: a reload keeps it (its messages would be told apart from
    a new history's only by their dates, and the counts it rests on would move)."""
    m = t.movements.c
    async with ctx.db.read() as conn:
        return await conn.scalar(select(m.id).where(m.source_event_id.like("demo-%")).limit(1)) is not None


@dataclass
class Tally:
    units: int = 0

    def counting(self, chunks: Iterable[list[StockLine]]) -> Iterator[list[StockLine]]:
        for chunk in chunks:
            self.units += sum(line.on_hand for line in chunk)
            yield chunk
