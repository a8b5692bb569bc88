"""An order loaded under its row lock for a change, and written back as the rows that changed.

Services that change an order (node confirmations, cancellations) load it here, change the plain
dicts through the domain rules, then ``save``: the order's status is re-derived from its fulfilment
orders in this one place, and the timeline gets the events.

A fulfilment line's ``reserved`` units are the stock rows' ``reserved`` units: they change only through
``reserve``, ``release`` and ``consume`` here, which change the lines and the stock rows together. Those
write at once (the caller keeps every writer's lock order: stock rows, then capacity, then supply), one
statement for all the lines given, rows in key order.
"""

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...db import stock
from ...db import tables as t
from ...db.rows import FulfillmentLineRow, FulfillmentRow, order_rows
from ...domain.errors import missing
from ...domain.lifecycle import DROPPED, STAMPED, FStatus, OStatus, check_transition, derive_order_status, with_returns
from ...domain.vocabulary import PICKUP_MODES
from ..partners.events import event
from .view import fulfillment_view, order_view, release_message

Units = list[tuple[FulfillmentLineRow, int]]  # fulfilment lines and a number of units of each


def still_to_send(fl: FulfillmentLineRow) -> int:
    """Units this fulfilment line is still meant to deliver (shipped ones included)."""
    return fl["quantity"] - fl["cancelled"] - fl["short"]


class OrderState:
    def __init__(self, order: dict[str, Any], lines: list[dict[str, Any]], fuls: list[FulfillmentRow],
                 flines: list[FulfillmentLineRow]) -> None:
        self.order, self.lines, self.fuls, self.flines = order, lines, fuls, flines
        self._before = copy.deepcopy((order, lines, fuls, flines))
        self.events: list[dict[str, Any]] = []
        self._added: list[tuple[FulfillmentRow, list[FulfillmentLineRow]]] = []

    @classmethod
    async def load(cls, conn: AsyncConnection, order_id: str) -> "OrderState":
        found = await order_rows(conn, [order_id], lock=True)
        if order_id not in found:
            raise missing("order", order_id)
        return cls(*found[order_id])

    @classmethod
    async def of_fulfillment(cls, conn: AsyncConnection, fulfillment_id: str) -> tuple["OrderState", FulfillmentRow]:
        """The order a fulfilment order belongs to, under its lock, and that fulfilment order."""
        order_id = await conn.scalar(select(t.fulfillments.c.order_id).where(t.fulfillments.c.id == fulfillment_id))
        if order_id is None:
            raise missing("fulfillment", fulfillment_id)
        state = await cls.load(conn, order_id)
        return state, state.fulfillment(fulfillment_id)

    @classmethod
    async def load_many(cls, conn: AsyncConnection, order_ids: list[str]) -> dict[str, "OrderState"]:
        """Several orders under their row locks, taken in id order as every writer takes them; a few
        queries for all of them."""
        ids = sorted(set(order_ids))
        found: dict[str, OrderState] = {}
        for start in range(0, len(ids), 500):
            for order_id, rows in (await order_rows(conn, ids[start:start + 500], lock=True)).items():
                found[order_id] = cls(*rows)
        return found

    @property
    def pickup(self) -> bool:
        return self.order["delivery_mode"] in PICKUP_MODES

    def fulfillment(self, fulfillment_id: str) -> FulfillmentRow:
        for f in self.fuls:
            if f["id"] == fulfillment_id:
                return f
        raise missing("fulfillment", fulfillment_id)

    def lines_of(self, f: FulfillmentRow) -> list[FulfillmentLineRow]:
        return [fl for fl in self.flines if fl["fulfillment_id"] == f["id"]]

    def unallocated(self, line_no: int | None = None) -> int:
        """Units ordered and not cancelled that no live fulfilment order is meant to send."""
        live = {f["id"] for f in self.fuls if f["status"] not in DROPPED}
        wanted = sum(ln["quantity"] - ln["cancelled"] for ln in self.lines if line_no in (None, ln["line_no"]))
        held = sum(still_to_send(fl) for fl in self.flines
                   if fl["fulfillment_id"] in live and line_no in (None, fl["line_no"]))
        return wanted - held

    async def reserve(self, conn: AsyncConnection, units: Units, guard: stock.Guard = stock.open_guard, *,
                      at: datetime) -> bool:
        """Reserve these units at the lines' nodes, all or none (the channel's ``guard`` on what it may take):
        False, and nothing changed on the lines, when a stock row lacks them."""
        units = [(fl, n) for fl, n in units if n]
        if not await stock.reserve(conn, _keyed(units), guard, at=at):
            return False
        for fl, n in units:
            fl["reserved"] += n
        return True

    async def release(self, conn: AsyncConnection, units: Units, *, at: datetime) -> None:
        """Reserved units go back to their nodes' stock (cancelled, rejected, not collected)."""
        _take_reserved(units)
        await stock.release(conn, _keyed(units), at=at)

    async def consume(self, conn: AsyncConnection, units: Units, *, reason: str, ref: str, at: datetime) -> None:
        """Reserved units leave their nodes' stock (shipped, handed over, not found when picking); the
        caller says where they went on the line (``shipped``, ``short``)."""
        _take_reserved(units)
        await stock.consume(conn, _keyed(units), reason=reason, ref=ref, at=at)

    async def move_reserved(self, conn: AsyncConnection, flines: list[FulfillmentLineRow], node_id: str,
                            guard: stock.Guard, *, at: datetime) -> bool:
        """The lines' reserved units move to ``node_id`` (a store takes over another's work): reserved there
        and released where they were, the lower node's rows first as every writer locks them. False, and
        nothing changed on the lines, when ``node_id`` lacks them."""
        theirs = _keyed([(fl, fl["reserved"]) for fl in flines])
        mine = [(node_id, sku, n) for _, sku, n in theirs]
        if any(node < node_id for node, _, _ in theirs):
            await stock.release(conn, theirs, at=at)
        if not await stock.reserve(conn, mine, guard, at=at):
            return False
        if any(node > node_id for node, _, _ in theirs):
            await stock.release(conn, theirs, at=at)
        for fl in flines:
            fl["node_id"] = node_id
        return True

    async def add_reserved(self, fuls: list[FulfillmentRow], flines: list[FulfillmentLineRow], conn: AsyncConnection,
                           guard: stock.Guard = stock.open_guard, *, actor: str, at: datetime,
                           reason: str | None = None) -> bool:
        """New fulfilment orders whose lines reserve the units they carry: reserved at their nodes, all or
        none (False, and nothing added, when a row lacks them), then added as ``add`` does."""
        if not await stock.reserve(conn, _keyed([(x, x["reserved"]) for x in flines]), guard, at=at):
            return False
        for f in fuls:
            self.add(f, [x for x in flines if x["fulfillment_id"] == f["id"]], actor=actor, at=at, reason=reason)
        return True

    @staticmethod
    async def reserve_arrived(conn: AsyncConnection, dialect: str, units: Units, safety_of: Callable[[str], int], *,
                              at: datetime) -> None:
        """Units of a received supply reserved for the lines that waited for them, unconditionally: they are
        theirs (``stock.reserve_arrived``)."""
        await stock.reserve_arrived(conn, dialect, _keyed(units), safety_of, at=at)
        for fl, n in units:
            fl["reserved"] += n

    @staticmethod
    def reserved_by_key(states: list["OrderState"]) -> dict[tuple[str, str], int]:
        """Units the orders' fulfilment lines reserve, per (node, sku)."""
        units: dict[tuple[str, str], int] = {}
        for state in states:
            for fl in state.flines:
                if fl["reserved"]:
                    units[(fl["node_id"], fl["sku"])] = units.get((fl["node_id"], fl["sku"]), 0) + fl["reserved"]
        return units

    @staticmethod
    async def follow_reserved(conn: AsyncConnection, before: dict[tuple[str, str], int], states: list["OrderState"],
                              *, at: datetime) -> bool:
        """The stock rows follow what the orders' lines reserve now against ``before`` (``reserved_by_key``
        taken when they were loaded): more is reserved on the rows that need it, all or none (False when a
        row lacks it), the rest released, every row in key order as every writer locks them. For changes
        that re-plan many lines at once (the batch), where reserving anew what is released would be
        refused by the very units it holds."""
        after = OrderState.reserved_by_key(states)
        for key in sorted(set(before) | set(after)):
            units = after.get(key, 0) - before.get(key, 0)
            if units > 0 and not await stock.reserve(conn, [(*key, units)], at=at):
                return False
            if units < 0:
                await stock.release(conn, [(*key, -units)], at=at)
        return True

    def add(self, f: FulfillmentRow, flines: list[FulfillmentLineRow], *, actor: str, at: datetime,
            reason: str | None = None) -> None:
        """A new fulfilment order (units sourced again), stored on ``save``; its event says where it went. Work
        for a node while the order is on hold stays planned, as ``move`` keeps it."""
        if f["status"] == FStatus.RELEASED and self.order.get("hold"):
            f["status"] = FStatus.PLANNED
        self.fuls.append(f)
        self.flines.extend(flines)
        self._added.append((f, flines))
        self._moved(f, flines, actor=actor, at=at, reason=reason)

    def check(self, f: FulfillmentRow, requested: str) -> None:
        """IllegalTransition unless the lifecycle lets this fulfilment order move to ``requested``."""
        transfer = f["handover_node_id"] not in (None, f["node_id"])
        check_transition(f["status"], requested, pickup=self.pickup, transfer=transfer)

    def move(self, f: FulfillmentRow, requested: str, *, actor: str, at: datetime, reason: str | None = None,
             happened: datetime | None = None) -> None:
        """``happened``: when it really happened, if told (a carrier's delivery time), else ``at``. Work
        released while the order is on hold stays planned: its node gets it when the hold is released."""
        if requested == FStatus.RELEASED and self.order.get("hold"):
            requested = FStatus.PLANNED
        self.check(f, requested)
        f["status"] = requested
        f["updated_at"] = at
        if requested in STAMPED:  # the actual dates the order shows beside the promised ones
            f["details"] = {**f["details"], f"{requested}_at": (happened or at).isoformat()}
        self._moved(f, self.lines_of(f), actor=actor, at=at, reason=reason)

    def _moved(self, f: FulfillmentRow, flines: list[FulfillmentLineRow], *, actor: str, at: datetime,
               reason: str | None) -> None:
        """The event of a fulfilment order's new status; a release carries what the node needs to work."""
        data = (release_message(self.order, f, flines) if f["status"] == FStatus.RELEASED
                else fulfillment_view(f, flines))
        self.events.append(event(f"fulfillment.{f['status']}", order_id=self.order["id"], actor=actor, at=at,
                                 reason=reason, data=data))

    def record(self, type: str, *, actor: str, at: datetime, data: dict[str, Any], reason: str | None = None) -> None:
        self.events.append(event(type, order_id=self.order["id"], actor=actor, at=at, reason=reason, data=data))

    def view(self) -> dict[str, Any]:
        return order_view(self.order, self.lines, self.fuls, self.flines)

    async def save(self, conn: AsyncConnection, *, actor: str, at: datetime,
                   reason: str | None = None) -> dict[str, Any]:
        await self.save_many(conn, [self], actor=actor, at=at, reason=reason)
        return self.view()

    @staticmethod
    async def save_many(conn: AsyncConnection, states: list["OrderState"], *, actor: str, at: datetime,
                        reason: str | None = None) -> None:
        """Store several changed orders, a statement per table for all of them."""
        for state in states:
            state._settle(actor=actor, at=at, reason=reason)
        befores = [s._before for s in states]
        await _update_changed(conn, t.fulfillments, ["id"], [f for b in befores for f in b[2]],
                              [f for s, b in zip(states, befores, strict=True) for f in s.fuls[:len(b[2])]])
        await _update_changed(conn, t.fulfillment_lines, ["fulfillment_id", "line_no"],
                              [x for b in befores for x in b[3]],
                              [x for s, b in zip(states, befores, strict=True) for x in s.flines[:len(b[3])]])
        added = [a for s in states for a in s._added]
        if added:
            await conn.execute(t.fulfillments.insert(), [f for f, _ in added])
            await conn.execute(t.fulfillment_lines.insert(), [x for _, xs in added for x in xs])
        await _update_changed(conn, t.order_lines, ["order_id", "line_no"], [x for b in befores for x in b[1]],
                              [x for s in states for x in s.lines])
        await _update_changed(conn, t.orders, ["id"], [b[0] for b in befores], [s.order for s in states])
        events = [e for s in states for e in s.events]
        if events:
            await conn.execute(t.events.insert(), events)
        for s in states:
            s._added, s.events = [], []

    def _settle(self, *, actor: str, at: datetime, reason: str | None) -> None:
        """The order's status from its fulfilment orders, and its event when it changes."""
        status = derive_order_status([f["status"] for f in self.fuls], unallocated_units=self.unallocated(),
                                     pickup=self.pickup, held=bool(self.order.get("hold")))
        status = with_returns(status, returned_units=sum(ln["returned"] for ln in self.lines),
                              sent_units=sum(fl["shipped"] for fl in self.flines))
        previous = self.order["status"]
        self.order["status"] = status
        if status != OStatus.AWAITING_SOURCING:
            self.order["at_risk"] = None  # nothing is missing any more: sent, or cancelled
        self.order["updated_at"] = at
        if status != previous:
            self.record("order.status_changed", actor=actor, at=at, reason=reason,
                        data={"order_id": self.order["id"], "from": previous, "to": status})


def _keyed(units: Units) -> list[tuple[str, str, int]]:
    return [(fl["node_id"], fl["sku"], n) for fl, n in units]


def _take_reserved(units: Units) -> None:
    for fl, n in units:
        if not 0 <= n <= fl["reserved"]:
            raise ValueError(f"{n} units off line {fl['line_no']} of {fl['fulfillment_id']}, which reserves "
                             f"{fl['reserved']}")
    for fl, n in units:
        fl["reserved"] -= n


async def _update_changed(conn: AsyncConnection, table: Table, keys: list[str], before: Sequence[Mapping[str, Any]],
                          after: Sequence[Mapping[str, Any]]) -> None:
    changed = [new for old, new in zip(before, after, strict=True) if old != new]
    if not changed:
        return
    columns = [c for c in changed[0] if c not in keys]
    stmt = (update(table)
            .where(*[table.c[k] == bindparam(f"k_{k}") for k in keys])
            .values({c: bindparam(f"v_{c}") for c in columns}))
    await conn.execute(stmt, [{**{f"k_{k}": row[k] for k in keys}, **{f"v_{c}": row[c] for c in columns}}
                              for row in changed])
