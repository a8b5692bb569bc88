"""The part of a DC's stock its own online orders need until its next receipt: a run shares with the stores
only what is beyond it, and a transfer may not reserve it (capture still may: it is kept for online orders).

A DC's online demand is what it sent to customers day by day over the run's history (its ledger's online
stream, days it had nothing left out), forecast as a store's is;
the part kept covers it until the DC's next expected purchase order of the SKU (when none is due, the longest
time the stores it supplies must wait for their next delivery), with safety at the default service level.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, time, timedelta

import numpy as np
from sqlalchemy import func, select

from ...db import tables as t
from ...domain.replenishment.demand import Move, daily, emptied
from ...domain.replenishment.forecast import forecast, over
from ...domain.replenishment.levels import safety_stock
from ...domain.replenishment.settings import DEFAULT
from ..reference.cache import Snapshot
from ..runtime.context import Context

inv, mv, sup = t.inventory.c, t.movements.c, t.supply.c


async def online_part(ctx: Context, snap: Snapshot, wanted: Iterable[tuple[str, str]], horizon: dict[str, float],
                      run_date: date, first: date, until: date) -> dict[tuple[str, str], tuple[int, float]]:
    """Units kept and the days they cover, per (DC, SKU) of ``wanted``; ``horizon``: each DC's days to cover
    where no receipt is due; the history runs from ``first`` to the day before ``until``."""
    keys = sorted(set(wanted))
    if not keys:
        return {}
    dcs, skus = sorted({n for n, _ in keys}), sorted({s for _, s in keys})
    days = (until - first).days
    since = min(snap.times[n].calendar.at(first, time(0)) for n in dcs)
    async with ctx.db.read() as conn:
        moved = (await conn.execute(select(mv.node_id, mv.sku, mv.delta, mv.reason, mv.occurred_at).where(
            mv.node_id.in_(dcs), mv.sku.in_(skus), mv.occurred_at >= since))).all()
        on_hand = {(n, s): q for n, s, q in await conn.execute(select(inv.node_id, inv.sku, inv.on_hand).where(
            inv.node_id.in_(dcs), inv.sku.in_(skus)))}
        due = {(n, s): on for n, s, on in await conn.execute(
            select(sup.node_id, sup.sku, func.min(sup.expected_on)).where(
                sup.node_id.in_(dcs), sup.sku.in_(skus), sup.status == "expected", sup.kind == "purchase_order",
                sup.expected_on >= run_date).group_by(sup.node_id, sup.sku))}
    by_key: dict[tuple[str, str], list[Move]] = defaultdict(list)
    for node_id, sku, delta, reason, at in moved:
        by_key[(node_id, sku)].append(Move(snap.times[node_id].calendar.local_date(at), delta, reason))
    demand, seen = np.zeros((len(keys), days)), np.zeros((len(keys), days), dtype=bool)
    empty = np.zeros((len(keys), days), dtype=bool)
    for i, key in enumerate(keys):
        # As a store's: a day the DC began with nothing and sent nothing teaches no "no demand".
        every = daily(by_key.get(key, ()), on_hand.get(key, 0), first,
                      max(until, snap.times[key[0]].calendar.local_date(ctx.clock.now())))
        history = [(d, e) for d, e in zip(every, emptied(every, on_hand.get(key, 0)), strict=True) if d.day < until]
        demand[i, :len(history)] = [d.online for d, _ in history]
        seen[i, :len(history)] = [not d.out_of_stock for d, _ in history]
        empty[i, :len(history)] = [e for _, e in history]
    f = forecast(demand, seen, np.array([(first + timedelta(days=d)).weekday() for d in range(days)]), empty)
    cover = np.array([max(1.0, float((due[k] - run_date).days)) if k in due else horizon[k[0]] for k in keys])
    expected = np.zeros(len(keys))
    for span in {math.ceil(c) for c in cover}:  # the keys covering as many days together
        rows = np.flatnonzero(np.ceil(cover) == span)
        weekdays = np.array([(run_date + timedelta(days=d)).weekday() for d in range(span)])
        expected[rows] = over(f, weekdays, rows) * cover[rows] / span  # (a part day counts its part)
    safety = safety_stock(f.daily, f.sigma, f.pattern, cover, np.zeros(len(keys)),
                          np.full(len(keys), DEFAULT.service_level), expected, f.level_sigma, f.trend_sigma,
                          f.level_trend)
    units = np.ceil(np.maximum(expected + safety, 0.0) - 1e-9)
    return {k: (int(units[i]), float(cover[i])) for i, k in enumerate(keys) if units[i] > 0}
