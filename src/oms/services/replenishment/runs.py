"""``POST /v1/replenishment/runs``: what each store in scope should receive of each SKU it ranges, from its
last ``HISTORY_DAYS`` days of demand, its settings and what it has and will have; ``GET …/runs/{id}``: the
run with every proposal's inputs, so that a planner sees why a store gets 12 and not 6.

A store ranges the SKUs it has a stock row for. Its position counts on-hand, supply expected at it (on
order: open transfers too) and less the units reserved for online orders and holds. A DC first keeps what
its own online orders need until its next receipt (``online``); where it has fewer units beyond that than
its stores ask for, they are shared by equal days of supply and the run says what it could not send to whom.
"""

import asyncio
import math
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

import numpy as np
from sqlalchemy import case, insert, or_, select, update

from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import FieldError, InvalidInput, NotFound
from ...domain.geo import haversine_km
from ...domain.ids import new_id
from ...domain.replenishment.demand import history
from ...domain.replenishment.forecast import Forecasts, Method, forecast, over
from ...domain.replenishment.levels import Levels, Policy, levels, position, proposals
from ...domain.replenishment.rebalance import Short, Spare, rebalanced
from ...domain.replenishment.settings import Rule, RuleBook, Store
from ...domain.replenishment.sharing import Ask, shared
from ..partners.events import event
from ..reference.cache import Snapshot
from ..runtime.context import Context
from .inputs import RunIn
from .online import online_part
from .series import DaySums, day_sums

HISTORY_DAYS = 90
AHEAD = 14  # days ahead a run may be for (its history still ends today)
LINES_SHOWN = 5000  # lines a run's answer lists (the rest: GET with ``offset``)
CHUNK = 5000  # lines written per statement
POLICIES = {"order_up_to": Policy.ORDER_UP_TO, "min_max": Policy.MIN_MAX, "days_of_supply": Policy.DAYS_OF_SUPPLY}
inv, sup = t.inventory.c, t.supply.c


async def start_run(ctx: Context, body: RunIn, *, principal: Principal) -> dict:
    """Compute and keep a run's proposals; answers the run (see ``get_run``)."""
    principal.require_admin()
    return await get_run(ctx, await propose(ctx, body, actor=principal.actor), principal=principal)


class Swept(Exception):
    """Another server's sweep proposed for these stores today first: this run is not kept."""


async def propose(ctx: Context, body: RunIn, *, actor: str, sweep: date | None = None) -> str:
    """Compute and keep a run's proposals; answers its id. ``sweep``: the stores' local date the daily sweep
    proposes for; the run is kept only with the claim that no other run was proposed for them that day
    (``Swept`` otherwise), in one transaction."""
    snap = await ctx.reference.get(ctx.db)
    stores, rules = await _settings(ctx)
    now = ctx.clock.now()
    today = snap.times[next(iter(stores))].calendar.local_date(now) if stores else now.date()
    run_date = body.date or today
    if not today - timedelta(days=366) <= run_date <= today + timedelta(days=AHEAD):
        raise InvalidInput([FieldError("date", f"is {run_date.isoformat()}: a run is for a date within the last "
                                               f"year or the next {AHEAD} days")])
    scope = _scope(body, stores, run_date)
    found = await _proposals(ctx, snap, [stores[n] for n in scope], rules, set(body.skus or ()), run_date,
                             min(run_date, today))
    lines, unfilled = found.lines, found.unfilled
    run_id = new_id("rpl")
    summary = {"stores": len(scope), "proposed": len(lines), "units": sum(x["quantity"] for x in lines),
               "unfilled": len(unfilled), "moves": len(found.moves)}
    async with ctx.db.write() as conn:
        if sweep is not None:
            rs = t.replenishment_stores.c
            claimed = (await conn.scalars(
                update(t.replenishment_stores)
                .where(rs.node_id.in_(scope), or_(rs.swept_on.is_(None), rs.swept_on < sweep))
                .values(swept_on=sweep).returning(rs.node_id))).all()
            if set(claimed) != set(scope):
                raise Swept  # (the claims roll back with the run)
        await conn.execute(insert(t.replenishment_runs).values(
            id=run_id, run_date=run_date, scope={"nodes": scope, "skus": body.skus}, summary=summary,
            unfilled=unfilled, kept=found.kept, moves=found.moves, created_at=now))
        for start in range(0, len(lines), CHUNK):
            await conn.execute(insert(t.replenishment_lines), [{"run_id": run_id, **x}
                                                               for x in lines[start:start + CHUNK]])
        await conn.execute(insert(t.events), [event(
            "replenishment.proposed", order_id=None, actor=actor, at=now,
            data={"run_id": run_id, "date": run_date.isoformat(), "summary": summary, "unfilled": unfilled[:100]})])
    return run_id


async def get_run(ctx: Context, run_id: str, *, principal: Principal, offset: int = 0) -> dict:
    """The run, with up to ``LINES_SHOWN`` of its lines from ``offset`` on (by store and SKU)."""
    principal.require_planner()
    r, x = t.replenishment_runs.c, t.replenishment_lines.c
    async with ctx.db.read() as conn:
        run = (await conn.execute(select(t.replenishment_runs).where(r.id == run_id))).first()
        if run is None:
            raise NotFound(f"no replenishment run {run_id!r}")
        lines = (await conn.execute(select(t.replenishment_lines).where(x.run_id == run_id)
                                    .order_by(x.node_id, x.sku).offset(offset).limit(LINES_SHOWN + 1))).all()
    more = len(lines) > LINES_SHOWN
    return {"id": run.id, "date": run.run_date.isoformat(), "scope": run.scope, "summary": run.summary,
            "created_at": run.created_at.isoformat(), "unfilled": run.unfilled, "kept": run.kept,
            "moves": run.moves,
            "approved_at": run.approved_at.isoformat() if run.approved_at else None, "approved_by": run.approved_by,
            "lines": [{k: getattr(ln, k) for k in LINE_FIELDS} for ln in lines[:LINES_SHOWN]],
            "next_offset": offset + LINES_SHOWN if more else None}


async def latest_run(ctx: Context, *, principal: Principal) -> str | None:
    """The id of the run made last (none yet: None)."""
    principal.require_planner()
    r = t.replenishment_runs.c
    async with ctx.db.read() as conn:
        return await conn.scalar(select(r.id).order_by(r.created_at.desc(), r.id.desc()).limit(1))


async def urgent_lines(ctx: Context, run_id: str, *, principal: Principal, node_id: str | None = None,
                       by_store: bool = False, limit: int = 200) -> list[dict]:
    """A run's lines (a store's, if named), the fewest days of cover first (a line with no demand last), or by
    store and SKU; each with its ``days_of_cover``."""
    principal.require_planner()
    x = t.replenishment_lines.c
    cover = case((x.forecast_daily > 0, x.position / x.forecast_daily), else_=None)
    query = select(t.replenishment_lines, cover.label("days_of_cover")).where(x.run_id == run_id)
    if node_id:
        query = query.where(x.node_id == node_id)
    order = (x.node_id, x.sku) if by_store else (cover.is_(None), cover, x.node_id, x.sku)
    async with ctx.db.read() as conn:
        return [{**{k: getattr(ln, k) for k in LINE_FIELDS}, "days_of_cover": ln.days_of_cover}
                for ln in await conn.execute(query.order_by(*order).limit(limit))]


async def all_lines(ctx: Context, run_id: str) -> list[dict]:
    """Every line of a run, by store and SKU (for an export)."""
    x = t.replenishment_lines.c
    async with ctx.db.read() as conn:
        return [{k: getattr(ln, k) for k in LINE_FIELDS} for ln in await conn.execute(
            select(t.replenishment_lines).where(x.run_id == run_id).order_by(x.node_id, x.sku))]


LINE_FIELDS = ("node_id", "sku", "source_node_id", "method", "forecast_daily", "sigma", "safety_stock",
               "order_up_to", "position", "asked", "quantity", "why")


async def _settings(ctx: Context) -> tuple[dict[str, Store], list[tuple[str, str, Rule]]]:
    rr = t.replenishment_rules.c
    async with ctx.db.read() as conn:
        stores = {r.node_id: Store(r.node_id, r.source_node_id, tuple(r.order_weekdays), r.lead_days,
                                   r.lead_sigma_days) for r in await conn.execute(select(t.replenishment_stores))}
        rules = [(r.node_id, r.sku, Rule(r.policy, r.service_level, r.presentation_min, r.shelf_capacity, r.case_pack,
                                         r.rounding_threshold, r.min_order, r.days_of_supply))
                 for r in await conn.execute(select(t.replenishment_rules).order_by(rr.id))]
    return stores, rules


def _scope(body: RunIn, stores: dict[str, Store], run_date: date) -> list[str]:
    """The stores asked for (each must have its settings), else those ordering on that date's weekday."""
    if body.nodes:
        unknown = [FieldError(f"nodes.{i}", f"{n} has no replenishment settings (PUT /v1/replenishment/stores)")
                   for i, n in enumerate(body.nodes) if n not in stores]
        if unknown:
            raise InvalidInput(unknown)
        return sorted(set(body.nodes))
    return sorted(n for n, s in stores.items() if run_date.isoweekday() in s.order_weekdays)


@dataclass
class Proposed:
    lines: list[dict] = field(default_factory=list)  # each store-SKU with something to receive
    unfilled: list[dict] = field(default_factory=list)  # what the DCs could not send
    kept: list[dict] = field(default_factory=list)  # what each DC keeps for its online orders
    moves: list[dict] = field(default_factory=list)  # store-to-store, for what the DCs could not send


async def _proposals(ctx: Context, snap: Snapshot, stores: list[Store], rules: list[tuple[str, str, Rule]],
                     skus: set[str], run_date: date, until: date) -> Proposed:
    """A run's proposals. ``until``: the day the history stops before (the run's date, or today for a run
    ahead)."""
    if not stores:
        return Proposed()
    ids = [s.node_id for s in stores]
    first = until - timedelta(days=HISTORY_DAYS)
    async with ctx.db.read() as conn:
        query = select(inv.node_id, inv.sku, inv.on_hand, inv.reserved, inv.safety_stock).where(inv.node_id.in_(ids))
        if skus:
            query = query.where(inv.sku.in_(skus))
        rows = (await conn.execute(query.order_by(inv.node_id, inv.sku))).all()
        ordered = (await conn.execute(select(sup.node_id, sup.sku, sup.quantity - sup.allocated).where(
            sup.node_id.in_(ids), sup.status == "expected"))).all()
        sources = {s.source_node_id for s in stores}
        dc_rows = (await conn.execute(select(inv.node_id, inv.sku, inv.on_hand - inv.reserved - inv.safety_stock)
                                      .where(inv.node_id.in_(sources)))).all()
    rows = [r for r in rows if r.sku in snap.products]
    if not rows:
        return Proposed()
    pairs = [(r.node_id, r.sku) for r in rows]
    stock = {(r.node_id, r.sku): (r.on_hand, r.reserved, r.safety_stock) for r in rows}
    on_order: dict[tuple[str, str], int] = defaultdict(int)
    for node_id, sku, units in ordered:
        on_order[(node_id, sku)] += units
    store_of = {s.node_id: s for s in stores}
    book = RuleBook(rules)
    rule = [book.rule(n, sku) for n, sku in pairs]
    inputs = _Inputs(pairs, stock, on_order, store_of, rule, first, run_date)
    parts = [part async for part in _batched(ctx, snap, inputs, skus)]
    f = _joined([p.forecasts for p in parts])
    lv = Levels(*(np.concatenate([getattr(p.levels, k) for p in parts]) for k in ("safety", "order_up_to",
                                                                               "reorder_point")))
    expected, at, asked = (np.concatenate([getattr(p, k) for p in parts]) for k in ("expected", "at", "asked"))
    horizon: dict[str, float] = defaultdict(float)
    for s in stores:
        horizon[s.source_node_id] = max(horizon[s.source_node_id], s.review_days(run_date) + s.lead_days)
    kept = await online_part(ctx, snap, {(store_of[n].source_node_id, sku) for i, (n, sku) in enumerate(pairs)
                                         if asked[i] > 0}, horizon, run_date, first, until)
    free = {(r.node_id, r.sku): max(0, r[2] - kept.get((r.node_id, r.sku), (0, 0))[0]) for r in dc_rows}
    given = _shared(pairs, asked, at, f.daily, rule, store_of, free)
    short = np.flatnonzero(np.asarray(given) < asked).tolist()
    unfilled = [{"node_id": pairs[i][0], "sku": pairs[i][1], "source_node_id": store_of[pairs[i][0]].source_node_id,
                 "asked": int(asked[i]), "given": given[i]} for i in short]
    lines = []
    for i in np.flatnonzero(asked > 0).tolist():
        n, sku = pairs[i]
        lines.append({"node_id": n, "sku": sku, "source_node_id": store_of[n].source_node_id,
                      "method": Method(int(f.method[i])).name.lower(), "forecast_daily": round(float(f.daily[i]), 3),
                      "sigma": round(float(f.sigma[i]), 3), "safety_stock": round(float(lv.safety[i]), 2),
                      "order_up_to": int(lv.order_up_to[i]), "position": int(at[i]), "asked": int(asked[i]),
                      "quantity": given[i],
                      "why": _why(store_of[n], rule[i], f.daily[i], expected[i], lv.safety[i], lv.order_up_to[i],
                                  stock[(n, sku)], on_order[(n, sku)], int(asked[i]), given[i], run_date)})
    kept_view = [{"node_id": dc, "sku": sku, "units": units, "days": round(days, 2)}
                 for (dc, sku), (units, days) in sorted(kept.items())]
    return Proposed(lines, unfilled, kept_view,
                    _moves(snap, pairs, at, f.daily, lv.order_up_to, asked, given, stock, store_of))


BATCH = 50_000  # series forecast together: a batch's day matrices bound the memory a run takes
READ_AHEAD = 2  # batches read ahead


@dataclass
class _Inputs:
    pairs: list[tuple[str, str]]
    stock: dict[tuple[str, str], tuple[int, int, int]]
    on_order: dict[tuple[str, str], int]
    store_of: dict[str, Store]
    rule: list[Rule]
    first: date
    run_date: date


@dataclass
class _Part:
    forecasts: Forecasts
    levels: Levels
    expected: np.ndarray
    at: np.ndarray  # inventory positions
    asked: np.ndarray


async def _batched(ctx: Context, snap: Snapshot, inputs: _Inputs, skus: set[str]):
    """Each batch's forecasts and proposals, batch after batch in store order; the next batch's day sums are
    read while this one's arithmetic runs (in a thread: the database and the arithmetic each take a core)."""
    bounds = _bounds(inputs.pairs, BATCH)

    async def read(lo: int, hi: int) -> DaySums:
        async with ctx.db.read() as conn:
            if ctx.db.dialect == "postgresql":  # (the on-hand and the movements of one snapshot)
                conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            # The history's days, and one more for every day since (they tell the history's opening stock).
            return await day_sums(conn, ctx.db.dialect, snap, inputs.pairs[lo:hi], inputs.first, HISTORY_DAYS + 1,
                                  skus)

    # Reads in flight ahead of the arithmetic: the database sums the next batches while this one is worked out.
    pending = [asyncio.ensure_future(read(*b)) for b in bounds[:READ_AHEAD]]
    try:
        for k, (lo, hi) in enumerate(bounds):
            sums = await pending.pop(0)
            if k + READ_AHEAD < len(bounds):
                pending.append(asyncio.ensure_future(read(*bounds[k + READ_AHEAD])))
            yield await asyncio.to_thread(_part, sums, inputs, lo, hi)
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)  # (their connections go back to the pool)


def _bounds(pairs: list[tuple[str, str]], size: int) -> list[tuple[int, int]]:
    """Index ranges of about ``size`` pairs, cut between stores (a store's series read together)."""
    bounds, lo = [], 0
    while lo < len(pairs):
        hi = min(lo + size, len(pairs))
        while hi < len(pairs) and pairs[hi][0] == pairs[hi - 1][0]:
            hi += 1
        bounds.append((lo, hi))
        lo = hi
    return bounds


def _part(sums: DaySums, inputs: _Inputs, lo: int, hi: int) -> _Part:
    """One batch: its demand, forecasts, levels, positions and proposals."""
    pairs, rule, store_of, run_date = inputs.pairs[lo:hi], inputs.rule[lo:hi], inputs.store_of, inputs.run_date
    demand, seen, emptied = history(sums.walk_in, sums.online, sums.net, sums.on_hand)
    on_hand = np.array([inputs.stock[k][0] for k in pairs], dtype=float)
    days = slice(0, HISTORY_DAYS)  # the days before the run's (or today)
    f = forecast(demand[:, days], seen[:, days],
                 np.array([(inputs.first + timedelta(days=d)).weekday() for d in range(HISTORY_DAYS)]),
                 emptied[:, days])
    expected = _expected(f, pairs, store_of, run_date)
    column = np.array
    policy = column([POLICIES[r.policy or "order_up_to"] for r in rule])
    review = {n: s.review_days(run_date) for n, s in store_of.items()}
    lv = levels(f.daily, f.sigma, f.pattern, column([review[n] for n, _ in pairs]),
                column([store_of[n].lead_days for n, _ in pairs]),
                column([store_of[n].lead_sigma_days for n, _ in pairs]), column([r.service_level for r in rule]),
                column([r.presentation_min for r in rule]), column([r.shelf_capacity for r in rule]), policy,
                column([r.days_of_supply for r in rule]), expected, f.level_sigma, f.trend_sigma, f.level_trend)
    at = position(on_hand, np.zeros(len(pairs)), column([inputs.on_order.get(k, 0) for k in pairs]),
                  column([inputs.stock[k][1] for k in pairs]), np.zeros(len(pairs)))
    asked = proposals(lv, at, policy, column([r.case_pack for r in rule]),
                      column([r.rounding_threshold for r in rule]), column([r.min_order for r in rule]),
                      column([r.shelf_capacity for r in rule]))
    return _Part(f, lv, expected, at, asked)


def _joined(parts: list[Forecasts]) -> Forecasts:
    """The batches' forecasts as one."""
    return Forecasts(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Forecasts)))


def _moves(snap: Snapshot, pairs: list[tuple[str, str]], at: np.ndarray, daily: np.ndarray, level: np.ndarray,
           asked: np.ndarray, given: list[int], stock: dict[tuple[str, str], tuple[int, int, int]],
           store_of: dict[str, Store]) -> list[dict]:
    """Store-to-store moves for what the DCs could not send: from a store of the run holding more than its level,
    nearer to the short store than its DC (``domain.replenishment.rebalance``)."""
    shorts: dict[str, list[Short]] = defaultdict(list)
    spares: dict[str, list[Spare]] = defaultdict(list)
    sent = np.asarray(given)
    for i in np.flatnonzero(sent < asked).tolist():
        n, sku = pairs[i]
        node, dc = snap.nodes[n], snap.nodes[store_of[n].source_node_id]
        shorts[sku].append(Short(n, int(asked[i] - sent[i]), float(at[i]) / max(float(daily[i]), 1e-9),
                                 node.lat, node.lng, haversine_km(node.lat, node.lng, dc.lat, dc.lng)))
    # (only a store beyond its level, of a SKU some store is short of, may spare units)
    for i in np.flatnonzero((asked <= 0) & (at - level >= 1)).tolist():
        n, sku = pairs[i]
        if sku in shorts:
            on_hand, reserved, safety = stock[(n, sku)]
            spare = min(on_hand - reserved - safety, int(at[i] - level[i]))
            if spare > 0:
                spares[sku].append(Spare(n, spare, snap.nodes[n].lat, snap.nodes[n].lng))
    return [{"from_node_id": m.from_store, "node_id": m.to_store, "sku": sku, "quantity": m.units,
             "km": round(m.km, 1)}
            for sku in sorted(shorts) if spares.get(sku) for m in rebalanced(shorts[sku], spares[sku])]


def _expected(f: Forecasts, pairs: list[tuple[str, str]], store_of: dict[str, Store], run_date: date) -> np.ndarray:
    """Each pair's demand over the days its order must last (from the run's day to its store's next order, plus
    the lead time), each day weighed by its weekday's index."""
    found = np.zeros(len(pairs))
    by_store: dict[str, list[int]] = defaultdict(list)
    for i, (n, _) in enumerate(pairs):
        by_store[n].append(i)
    for n, rows in by_store.items():
        store = store_of[n]
        days = math.ceil(store.review_days(run_date) + store.lead_days)
        weekdays = np.array([(run_date + timedelta(days=d)).weekday() for d in range(days)])
        found[rows] = over(f, weekdays, np.array(rows)) * (
            (store.review_days(run_date) + store.lead_days) / days)  # (a part day counts its part)
    return found


def _shared(pairs: list[tuple[str, str]], asked: np.ndarray, at: np.ndarray, daily: np.ndarray, rule: list[Rule],
            store_of: dict[str, Store], free: dict[tuple[str, str], int]) -> list[int]:
    """Units each pair gets: all it asks where its DC has enough, else its fair share."""
    given = asked.astype(int).tolist()
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in np.flatnonzero(asked > 0).tolist():
        n, sku = pairs[i]
        groups[(store_of[n].source_node_id, sku)].append(i)
    for (dc, sku), members in groups.items():
        units = free.get((dc, sku), 0)
        if sum(given[i] for i in members) <= units:
            continue
        split = shared(units, [Ask(pairs[i][0], given[i], float(at[i]), float(daily[i]), rule[i].case_pack or 1)
                               for i in members])
        for i in members:
            given[i] = split[pairs[i][0]]
    return given


def _why(store: Store, rule: Rule, daily: float, expected: float, safety: float, target: float,
         stock: tuple[int, int, int], on_order: int, asked: int, given: int, run_date: date) -> str:
    review = store.review_days(run_date)
    days = rule.days_of_supply if rule.policy == "days_of_supply" else review + store.lead_days
    why = f"{rule.days_of_supply} days of supply" if rule.policy == "days_of_supply" else \
        f"{review} to the next order + {store.lead_days:g} lead"
    text = (f"{rule.policy}: up to {int(target)}: {expected:.1f} expected over {days:g} days ({why}; "
            f"{daily:.2f} a day) + {safety:.1f} safety at {rule.service_level:.0%}")
    if rule.presentation_min:
        text += f", at least the {rule.presentation_min} the shelf shows"
    if rule.shelf_capacity:
        text += f", at most the shelf's {rule.shelf_capacity}"
    on_hand, reserved, _ = stock
    text += f"; has {on_hand} on hand + {on_order} on order − {reserved} reserved"
    text += f"; {asked} in packs of {rule.case_pack}"
    if given < asked:
        text += f"; {store.source_node_id} short: {given} sent"
    return text
