"""Transfers: units a DC sends a store, from an approved replenishment run to the store's count.

- Released: the units are reserved at the DC (a transfer line's ``reserved``, like a fulfilment line's) and
  expected at the store (a ``supply`` row of kind ``transfer`` per line, ``<id>/<line_no>``): availability
  shows them incoming, the promise may count on them, the next run counts them on order.
- The DC accepts, picks (units not found leave its stock: ``short_pick``) and ships (the rest leave it:
  ``transfer_out``); the expected supply is then what was shipped.
- The store receives: the units it counted go on its shelves through the ledger (``transfer_in``); units that
  came damaged are recorded and not put there; the difference with what was shipped is the shortage. The
  supply is received: backordered orders that waited for it take their units.
- Cancelled before it ships: its units are free at the DC again, the supply is cancelled.

A supply that will bring fewer units than backordered orders were promised takes the promise back from the
latest of them first (``backorders.keep_within``), before any stock row is locked.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import stock, supply_promises
from ...db import tables as t
from ...domain.access import Principal
from ...domain.errors import Conflict, FieldError, Forbidden, InvalidInput, missing
from ...domain.lifecycle import TRANSFER_ACTIONS, TStatus, check_transfer_transition
from ...domain.vocabulary import Role
from ..partners.events import event
from ..reference.records import bump_reference
from ..runtime import pages
from ..runtime.context import Context
from ..supply.backorders import keep_within, lock_waiting, release_received
from .inputs import TransferActionIn

tr, tl, sup = t.transfers.c, t.transfer_lines.c, t.supply.c
SENDER_ACTIONS = frozenset({TStatus.ACCEPTED, TStatus.PICKED, TStatus.SHIPPED, TStatus.CANCELLED})


def supply_id(transfer_id: str, line_no: int) -> str:
    return f"{transfer_id}/{line_no}"


def transfer_view(row: dict[str, Any], lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
    def line(x: dict[str, Any]) -> dict[str, Any]:
        short = x["shipped"] - x["received"] - x["damaged"] if row["status"] == TStatus.RECEIVED else 0
        return {"line_no": x["line_no"], "sku": x["sku"], "quantity": x["quantity"], "picked": x["picked"],
                "shipped": x["shipped"], "received": x["received"], "damaged": x["damaged"], "short": short}

    return {"id": row["id"], "source_node_id": row["source_node_id"], "node_id": row["node_id"],
            "run_id": row["run_id"], "status": row["status"], "expected_on": row["expected_on"].isoformat(),
            "details": row["details"], "lines": [line(x) for x in lines], "created_at": row["created_at"].isoformat(),
            "updated_at": row["updated_at"].isoformat()}


def transfer_event(status: str, row: dict[str, Any], lines: Sequence[dict[str, Any]], *, actor: str, at: datetime,
                   reason: str | None = None) -> dict[str, Any]:
    return event(f"transfer.{status}", order_id=None, actor=actor, at=at, reason=reason,
                 data=transfer_view(row, lines))


async def act(ctx: Context, transfer_id: str, action: str, body: TransferActionIn, *, principal: Principal) -> dict:
    """Apply the DC's (accept, pick, ship, cancel) or the store's (receive) word and answer the transfer."""
    if action not in TRANSFER_ACTIONS:
        raise InvalidInput([FieldError("action", f"must be one of {', '.join(TRANSFER_ACTIONS)}")])
    principal.require_fulfillment_worker()
    for _ in range(ATTEMPTS):
        try:
            return await _act(ctx, transfer_id, action, body, principal)
        except _PromisedMeanwhile:
            continue  # an order was promised these units meanwhile: its promise is kept within them this time
    raise Conflict(f"transfer {transfer_id}'s supply kept being promised under {ATTEMPTS} attempts; try again")


ATTEMPTS = 5


async def _act(ctx: Context, transfer_id: str, action: str, body: TransferActionIn, principal: Principal) -> dict:
    requested = TRANSFER_ACTIONS[action]
    at = ctx.clock.now()
    async with ctx.db.write() as conn:
        row, lines = await _load(conn, transfer_id, principal, lock=True)
        if principal.role == Role.NODE:
            doer = row["source_node_id"] if requested in SENDER_ACTIONS else row["node_id"]
            if principal.scope != doer:
                raise Forbidden(f"on a transfer from {row['source_node_id']} to {row['node_id']}, {action} is done "
                                f"by {doer}, not {principal.scope}")
        if row["status"] == requested:
            return transfer_view(row, lines)  # a word sent again (a retry after a timeout) changes nothing
        check_transfer_transition(row["status"], requested)
        counted = _counted(lines, body, requested)
        before = [dict(x) for x in lines]
        await _effects(ctx, conn, row, lines, requested, counted, at, transfer_id)
        details = dict(row["details"])
        if requested == TStatus.SHIPPED:
            details.update({k: v for k, v in (("carrier", body.carrier), ("tracking_number", body.tracking_number))
                            if v}, shipped_at=at.isoformat())
        if requested == TStatus.RECEIVED:
            details.update(received_at=at.isoformat(), received_by=principal.actor)
        if body.reason:
            details[f"{action}_reason"] = body.reason
        row.update(status=requested, details=details, updated_at=at)
        await conn.execute(update(t.transfers).where(tr.id == transfer_id)
                           .values(status=requested, details=details, updated_at=at))
        for old, new in zip(before, lines, strict=True):
            if old != new:
                await conn.execute(update(t.transfer_lines).where(
                    tl.transfer_id == transfer_id, tl.line_no == new["line_no"]).values(
                    picked=new["picked"], shipped=new["shipped"], received=new["received"], damaged=new["damaged"],
                    reserved=new["reserved"]))
        await conn.execute(t.events.insert(), [transfer_event(requested, row, lines, actor=principal.actor, at=at,
                                                              reason=body.reason)])
        await bump_reference(conn, ctx.db.dialect)  # the supply the store expects changed
    return transfer_view(row, lines)


def _counted(lines: list[dict[str, Any]], body: TransferActionIn, requested: TStatus) -> dict[str, tuple[int, int]]:
    """(units, damaged) per SKU the body names, checked against what the line can have."""
    if body.lines and requested not in (TStatus.PICKED, TStatus.RECEIVED):
        raise InvalidInput([FieldError("lines", "only a pick or a receipt counts units")])
    by_sku = {x["sku"]: x for x in lines}
    errors, counted = [], {}
    for i, c in enumerate(body.lines):
        x = by_sku.get(c.sku)
        if x is None:
            errors.append(FieldError(f"lines.{i}.sku", f"{c.sku} is not on this transfer"))
            continue
        if c.sku in counted:
            errors.append(FieldError(f"lines.{i}.sku", f"{c.sku} is counted twice"))
        if requested == TStatus.PICKED:
            if c.damaged:
                errors.append(FieldError(f"lines.{i}.damaged", "is counted on receipt, not when picking"))
            if c.quantity > x["quantity"]:
                errors.append(FieldError(f"lines.{i}.quantity", f"{c.quantity} is more than the {x['quantity']} "
                                                                f"asked"))
        elif c.quantity + c.damaged > x["shipped"]:
            errors.append(FieldError(f"lines.{i}.quantity", f"{c.quantity} received + {c.damaged} damaged is more "
                                                            f"than the {x['shipped']} shipped"))
        counted[c.sku] = (c.quantity, c.damaged)
    if errors:
        raise InvalidInput(errors)
    return counted


async def _effects(ctx: Context, conn: AsyncConnection, row: dict[str, Any], lines: list[dict[str, Any]],
                   requested: TStatus, counted: dict[str, tuple[int, int]], at: datetime, ref: str) -> None:
    """The stock and supply a move changes, lines updated in place. Orders first (their promises), then the
    stock rows, then the supply rows: every writer's lock order."""
    store, actor = row["node_id"], "system:transfers"
    ids = {supply_id(ref, x["line_no"]): x for x in lines}
    await lock_waiting(conn, list(ids))  # every order a move may touch, first and in id order
    if requested == TStatus.PICKED:
        for x in lines:
            x["picked"] = counted.get(x["sku"], (x["quantity"], 0))[0]
        bringing = {k: x["picked"] for k, x in ids.items()}
    elif requested == TStatus.SHIPPED:
        for x in lines:
            x["shipped"] = x["quantity"] if x["picked"] is None else x["picked"]
        bringing = {k: x["shipped"] for k, x in ids.items()}
    elif requested == TStatus.RECEIVED:
        for x in lines:
            x["received"], x["damaged"] = counted.get(x["sku"], (x["shipped"], 0))
        bringing = {k: x["received"] for k, x in ids.items()}
    else:
        bringing = {k: 0 for k in ids} if requested == TStatus.CANCELLED else {}
    await keep_within(conn, bringing, actor=actor, at=at)
    if requested == TStatus.PICKED:
        short = [(x["node_id"], x["sku"], x["reserved"] - x["picked"]) for x in lines]
        await stock.consume(conn, short, reason="short_pick", ref=ref, at=at)
        for x in lines:
            x["reserved"] = x["picked"]
    elif requested in (TStatus.SHIPPED, TStatus.CANCELLED):
        held = [(x["node_id"], x["sku"], x["reserved"]) for x in lines]
        if requested == TStatus.SHIPPED:
            await stock.consume(conn, held, reason="transfer_out", ref=ref, at=at)
        else:
            await stock.release(conn, held, at=at)
        for x in lines:
            x["reserved"] = 0
    elif requested == TStatus.RECEIVED:
        snap = await ctx.reference.get(ctx.db)

        def safety_of(node_id: str) -> int:
            return snap.rules.safety_for(snap.nodes[node_id].type)

        # The orders waiting for the units take them (their stock rows created if need be), then the units go
        # on the shelves; the promises given back last, as the supply feed does.
        handed = await release_received(conn, ctx.db.dialect, list(ids), actor=actor, safety_of=safety_of, at=at)
        await stock.put_back(conn, ctx.db.dialect, [(store, x["sku"], x["received"]) for x in lines],
                             reason="transfer_in", ref=ref, safety_of=safety_of, at=at)
        await supply_promises.give_back(conn, handed.items())
    await _settle_supply(conn, bringing, requested, at)


class _PromisedMeanwhile(Exception):
    """An order was promised a transfer's units while it moved: the move is made again."""


async def _settle_supply(conn: AsyncConnection, bringing: dict[str, int], requested: TStatus, at: datetime) -> None:
    """The supplies now bring ``bringing``, under their row locks: a promise an order took meanwhile (after the
    orders were locked) would no longer fit, and the whole move is made again (``_PromisedMeanwhile``)."""
    if not bringing:
        return
    status = {TStatus.RECEIVED: "received", TStatus.CANCELLED: "cancelled"}.get(requested, "expected")
    promised = {r.id: r.allocated for r in await conn.execute(
        select(sup.id, sup.allocated).where(sup.id.in_(sorted(bringing))).order_by(sup.id).with_for_update())}
    if any(promised.get(k, 0) > (units if status == "expected" else 0) for k, units in bringing.items()):
        raise _PromisedMeanwhile
    for k in sorted(bringing):
        await conn.execute(update(t.supply).where(sup.id == k).values(quantity=bringing[k], status=status,
                                                                       updated_at=at))


async def _load(conn: AsyncConnection, transfer_id: str, principal: Principal, *,
                lock: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A transfer and its lines; one a node key is neither the sender nor the receiver of does not exist for it."""
    query = select(t.transfers).where(tr.id == transfer_id)
    found = (await conn.execute(query.with_for_update() if lock else query)).mappings().first()
    if found is None or (principal.role == Role.NODE and principal.scope not in (found["source_node_id"],
                                                                                  found["node_id"])):
        raise missing("transfer", transfer_id)
    lines = (await conn.execute(select(t.transfer_lines).where(tl.transfer_id == transfer_id)
                                .order_by(tl.line_no))).mappings().all()
    return dict(found), [dict(x) for x in lines]


async def get_transfer(ctx: Context, transfer_id: str, *, principal: Principal) -> dict:
    principal.require_fulfillment_read()
    async with ctx.db.read() as conn:
        return transfer_view(*await _load(conn, transfer_id, principal))


async def list_transfers(ctx: Context, *, principal: Principal, node_id: str | None, source_node_id: str | None,
                         status: str | Sequence[str] | None, cursor: str | None, limit: int,
                         run_id: str | None = None) -> dict:
    """Transfers by id (the oldest first), filtered; a node key sees those it sends or receives."""
    principal.require_fulfillment_read()
    named = {n for n in (node_id, source_node_id) if n}
    if principal.role == Role.NODE and named and principal.scope not in named:
        raise Forbidden(f"this key is scoped to node {principal.scope!r}: it lists the transfers it sends or "
                        f"receives")
    query = select(t.transfers).order_by(tr.id).limit(limit + 1)
    if principal.role == Role.NODE:
        query = query.where((tr.node_id == principal.scope) | (tr.source_node_id == principal.scope))
    for column, value in ((tr.node_id, node_id), (tr.source_node_id, source_node_id), (tr.run_id, run_id)):
        if value:
            query = query.where(column == value)
    if status:
        query = query.where(tr.status.in_([status] if isinstance(status, str) else list(status)))
    if after := pages.decode(cursor):
        query = query.where(tr.id > after[0])
    async with ctx.db.read() as conn:
        rows = [dict(r) for r in (await conn.execute(query)).mappings()]
        lines: dict[str, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
        if rows:
            for x in (await conn.execute(select(t.transfer_lines).where(tl.transfer_id.in_(list(lines)))
                                         .order_by(tl.transfer_id, tl.line_no))).mappings():
                lines[x["transfer_id"]].append(dict(x))
    return pages.page([transfer_view(r, lines[r["id"]]) for r in rows], limit, lambda item: [item["id"]])

