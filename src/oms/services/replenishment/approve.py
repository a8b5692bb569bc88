"""``POST /v1/replenishment/runs/{id}/approve``: a run's proposals (and its store-to-store moves) become
transfers, one per sending node and store.

Each line's units are reserved at its DC now, within what the DC has beyond its safety stock and the part the
run kept there for its online orders (``kept``: capture may still sell those, a transfer may not take them).
Stock that moved since the run may leave a line short: it gets what is there, and the answer says so. A run
is approved once: a second approval would send everything twice.
"""

import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BigInteger, bindparam, cast, select, tuple_, update

from ...db import tables as t
from ...db.statements import byte_order
from ...domain.access import Principal
from ...domain.errors import Conflict, FieldError, InvalidInput, NotFound
from ...domain.ids import new_id
from ...domain.lifecycle import TStatus
from ..reference.records import bump_reference
from ..runtime.context import Context
from .inputs import ApproveIn
from .transfers import supply_id, transfer_event

inv, r, x = t.inventory.c, t.replenishment_runs.c, t.replenishment_lines.c
_TAKE = (update(t.inventory).where(inv.node_id == bindparam("n"), inv.sku == bindparam("s"))
         .values(reserved=inv.reserved + bindparam("q"), updated_at=bindparam("at")))
CHUNK = 1000


async def approve(ctx: Context, run_id: str, body: ApproveIn, *, principal: Principal) -> dict:
    """Turn the run's proposals (those named in ``body`` at their quantity) into transfers; answers them."""
    principal.require_admin()
    at = ctx.clock.now()
    snap = await ctx.reference.get(ctx.db)
    async with ctx.db.write() as conn:
        run = (await conn.execute(select(t.replenishment_runs).where(r.id == run_id).with_for_update())).first()
        if run is None:
            raise NotFound(f"no replenishment run {run_id!r}")
        if run.approved_at is not None:
            raise Conflict(f"run {run_id} was approved at {run.approved_at.isoformat()} by {run.approved_by}: its "
                           f"transfers exist")
        await _still_current(conn, run)
        proposed = {(ln.node_id, ln.sku): (ln.source_node_id, ln.quantity) for ln in await conn.execute(
            select(x.node_id, x.sku, x.source_node_id, x.quantity).where(x.run_id == run_id))}
        wanted = [(proposed[k][0], *k, q) for k, q in sorted(_wanted(proposed, body).items())]
        if body.moves:
            wanted += [(m["from_node_id"], m["node_id"], m["sku"], m["quantity"]) for m in run.moves]
        leads = {s.node_id: s.lead_days for s in await conn.execute(
            select(t.replenishment_stores.c.node_id, t.replenishment_stores.c.lead_days))}
        kept = {(k["node_id"], k["sku"]): k["units"] for k in run.kept}
        sent = await _reserve(conn, ctx.db.dialect, wanted, kept, at)
        transfers, rows, lines, supplies = [], [], [], []
        by_route: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (source, store, sku, _), units in zip(wanted, sent, strict=True):
            if units:
                by_route[(source, store)][sku] += units  # (a DC's line and a move from the same store: one line)
        for (source, store), skus in sorted(by_route.items()):
            items = sorted(skus.items())
            today = snap.times[store].calendar.local_date(at)
            # (a move between stores goes as the store's DC deliveries do)
            expected_on = max(run.run_date, today) + timedelta(days=math.ceil(leads.get(store, 0)))
            transfer_id = new_id("trf")
            row = {"id": transfer_id, "source_node_id": source, "node_id": store, "run_id": run_id,
                   "status": TStatus.RELEASED.value, "expected_on": expected_on, "details": {}, "created_at": at,
                   "updated_at": at}
            mine = [{"transfer_id": transfer_id, "line_no": i, "node_id": source, "sku": sku, "quantity": q,
                     "picked": None, "shipped": 0, "received": 0, "damaged": 0, "reserved": q}
                    for i, (sku, q) in enumerate(items, start=1)]
            rows.append(row)
            lines += mine
            supplies += [_supply(transfer_id, ln, store, expected_on, at) for ln in mine]
            transfers.append(transfer_event(TStatus.RELEASED, row, mine, actor=principal.actor, at=at))
        for table, values in ((t.transfers, rows), (t.transfer_lines, lines), (t.supply, supplies),
                              (t.events, transfers)):
            for start in range(0, len(values), CHUNK):
                await conn.execute(table.insert(), values[start:start + CHUNK])
        await conn.execute(update(t.replenishment_runs).where(r.id == run_id)
                           .values(approved_at=at, approved_by=principal.actor))
        if supplies:
            await bump_reference(conn, ctx.db.dialect)  # the stores' incoming supply
    short = [{"source_node_id": source, "node_id": n, "sku": sku, "approved": q, "sent": got}
             for (source, n, sku, q), got in zip(wanted, sent, strict=True) if got < q]
    return {"run_id": run_id, "approved_at": at.isoformat(), "transfers": [row["id"] for row in rows],
            "lines": len(lines), "units": sum(ln["quantity"] for ln in lines), "short": short}


async def _still_current(conn, run) -> None:
    """Conflict if a run sharing a store was approved after this one was made: this one did not count those
    transfers on order, and would send their units again. The run's stores are locked first (in id order), so
    that of two such runs approved at once, the second sees the first."""
    s = t.replenishment_stores.c
    await conn.execute(select(s.node_id).where(s.node_id.in_(sorted(run.scope["nodes"]))).order_by(s.node_id)
                       .with_for_update())
    later = await conn.execute(select(r.id, r.scope).where(r.approved_at.is_not(None), r.approved_at > run.created_at,
                                                           r.id != run.id))
    mine = set(run.scope["nodes"])
    for other, scope in later:
        if shared := sorted(mine & set(scope["nodes"])):
            raise Conflict(f"run {other} was approved after run {run.id} was made, for {', '.join(shared[:5])}: this "
                           f"run does not count its transfers on order; make a new run")


def _wanted(proposed: dict[tuple[str, str], tuple[str, int]], body: ApproveIn) -> dict[tuple[str, str], int]:
    """Units approved per store and SKU: the run's, but those the body names at its quantity."""
    wanted = {k: q for k, (_, q) in proposed.items()}
    errors, seen = [], set()
    for i, ln in enumerate(body.lines):
        key = (ln.node_id, ln.sku)
        if key not in proposed:
            errors.append(FieldError(f"lines.{i}", f"the run proposes nothing for {ln.sku} at {ln.node_id}"))
        elif key in seen:
            errors.append(FieldError(f"lines.{i}", f"{ln.sku} at {ln.node_id} is named twice"))
        seen.add(key)
        wanted[key] = ln.quantity
    if errors:
        raise InvalidInput(errors)
    return {k: q for k, q in wanted.items() if q > 0}


async def _reserve(conn, dialect: str, wanted: list[tuple[str, str, str, int]], kept: dict[tuple[str, str], int],
                   at) -> list[int]:
    """Reserve each approved (source, store, SKU, units) at its source, in order, within what the source has
    beyond its safety stock and the part kept for its online orders; answers the units each got. The sources'
    stock rows are locked in code-point order, as every writer locks them."""
    keys = sorted({(source, sku) for source, _, sku, _ in wanted})
    free: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        for node_id, sku, units in await conn.execute(
                select(inv.node_id, inv.sku, cast(inv.on_hand, BigInteger) - inv.reserved - inv.safety_stock)
                .where(tuple_(inv.node_id, inv.sku).in_(chunk))
                .order_by(*byte_order(dialect, inv.node_id, inv.sku)).with_for_update()):
            free[(node_id, sku)] = max(0, int(units) - kept.get((node_id, sku), 0))
    sent = []
    taken: dict[tuple[str, str], int] = defaultdict(int)
    for source, _, sku, units in wanted:
        got = max(0, min(units, free.get((source, sku), 0) - taken[(source, sku)]))
        sent.append(got)
        taken[(source, sku)] += got
    params = [{"n": n, "s": s, "q": q, "at": at} for (n, s), q in sorted(taken.items()) if q]
    for start in range(0, len(params), CHUNK):
        await conn.execute(_TAKE, params[start:start + CHUNK])
    return sent


def _supply(transfer_id: str, line: dict[str, Any], store: str, expected_on: date, at) -> dict[str, Any]:
    return {"id": supply_id(transfer_id, line["line_no"]), "kind": "transfer", "node_id": store, "sku": line["sku"],
            "quantity": line["quantity"], "expected_on": expected_on, "status": "expected", "allocated": 0,
            "updated_at": at}
