"""The part of a DC's stock its own online orders need until its next receipt: a run shares with the stores
only what is beyond it, and a transfer may not reserve it (capture still may: it is kept for online orders).

A DC's online demand is what it sent to customers day by day over the run's history (its ledger's online
stream, days it had nothing left out), forecast as a store's is;
the part kept covers it until the DC's next expected purchase order of the SKU (when none is due, the longest
time the stores it supplies must wait for their next delivery), with safety at the default service level.
"""

import math
from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
from sqlalchemy import func, select

from ...db import tables as t
from ...domain.replenishment.demand import history
from ...domain.replenishment.forecast import forecast, over
from ...domain.replenishment.levels import safety_stock
from ...domain.replenishment.settings import DEFAULT
from ..reference.cache import Snapshot
from ..runtime.context import Context
from .series import day_sums

inv, sup = t.inventory.c, t.supply.c
SKUS_NAMED = 5000  # SKUs named in the query; more: every movement of the DCs is read


async def online_part(ctx: Context, snap: Snapshot, wanted: Iterable[tuple[str, str]], horizon: dict[str, float],
                      run_date: date, first: date, until: date) -> dict[tuple[str, str], tuple[int, float]]:
    """Units kept and the days they cover, per (DC, SKU) of ``wanted``; ``horizon``: each DC's days to cover
    where no receipt is due; the history runs from ``first`` to the day before ``until``."""
    keys = sorted(set(wanted))
    if not keys:
        return {}
    dcs, skus = sorted({n for n, _ in keys}), sorted({s for _, s in keys})
    days = (until - first).days
    async with ctx.db.read() as conn:
        if ctx.db.dialect == "postgresql":  # (the on-hand and the movements of one snapshot)
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        due = {(n, s): on for n, s, on in await conn.execute(
            select(sup.node_id, sup.sku, func.min(sup.expected_on)).where(
                sup.node_id.in_(dcs), sup.status == "expected", sup.kind == "purchase_order",
                sup.expected_on >= run_date).group_by(sup.node_id, sup.sku))}
        # (last: the day sums set the transaction's planner for their own reads)
        sums = await day_sums(conn, ctx.db.dialect, snap, keys, first, days + 1,
                              set(skus) if len(skus) <= SKUS_NAMED else None)
    # As a store's: a day the DC began with nothing and sent nothing teaches no "no demand"; its till is
    # nobody's (only what it sent counts).
    demand, seen, emptied = history(np.zeros_like(sums.online), sums.online, sums.net, sums.on_hand)
    f = forecast(demand[:, :days], seen[:, :days], np.array([(first + timedelta(days=d)).weekday()
                                                              for d in range(days)]), emptied[:, :days])
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
