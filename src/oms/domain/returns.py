"""Returns (RMA): what an order can still take back, where each returned unit goes when it is received,
the refund owed for it, and the return's status. Pure rules; the service stores what they decide."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import FieldError
from .lifecycle import RStatus
from .vocabulary import Word


class Disposition(Word):
    RESTOCK = "restock"  # sellable again at the receiving node
    DAMAGED = "damaged"  # written off: never sold again
    INSPECT = "inspect"  # kept aside until someone judges it: then restock or damaged


# What an inspection may conclude.
JUDGEMENTS = frozenset({Disposition.RESTOCK, Disposition.DAMAGED})


class Kind(Word):
    CUSTOMER = "customer"  # the customer sends or brings units back
    UNDELIVERED = "undelivered"  # the parcel comes back: not collected in time, or the carrier returned it


def returnable(order_lines: Iterable[Mapping[str, Any]], sent: Mapping[int, int],
               on_returns: Mapping[int, int]) -> dict[int, int]:
    """Units each order line can still take back: those that left a node for the customer (``sent``, per
    line) less those already on a return that is not cancelled (``on_returns``)."""
    return {ln["line_no"]: max(0, sent.get(ln["line_no"], 0) - on_returns.get(ln["line_no"], 0))
            for ln in order_lines}


@dataclass(frozen=True)
class Take:
    """Units of one return line taken by a receipt or an inspection, and what becomes of them."""

    line_no: int
    sku: str
    quantity: int
    disposition: Disposition


def allot(lines: list[dict[str, Any]], asked: list[tuple[str, int, Disposition]], *, room: str, field: str = "lines"
          ) -> tuple[list[Take], list[FieldError]]:
    """Spread each asked (sku, quantity, disposition) over the return lines of that SKU that have ``room``
    left (``"to_receive"`` or ``"to_inspect"``), in line order; an error names each that does not fit."""
    left = {ln["line_no"]: _room(ln, room) for ln in lines}
    takes, errors = [], []
    for i, (sku, quantity, disposition) in enumerate(asked):
        mine = [ln for ln in lines if ln["sku"] == sku]
        if not mine:
            errors.append(FieldError(f"{field}.{i}.sku", f"{sku!r} is not on this return"))
            continue
        can = sum(left[ln["line_no"]] for ln in mine)
        if quantity > can:
            what = "to receive" if room == "to_receive" else "awaiting inspection"
            errors.append(FieldError(f"{field}.{i}.quantity", f"{quantity} x {sku} but {can} {what}"))
            continue
        for ln in mine:
            take = min(quantity, left[ln["line_no"]])
            if take:
                left[ln["line_no"]] -= take
                quantity -= take
                takes.append(Take(ln["line_no"], sku, take, disposition))
    return takes, errors


def _room(line: Mapping[str, int], room: str) -> int:
    if room == "to_receive":
        return line["quantity"] - line["received"]
    return line["to_inspect"]


def apply(lines: list[dict[str, Any]], takes: list[Take], *, inspecting: bool) -> None:
    """Record the takes on the return lines: received (for a receipt) and where the units went."""
    by_no = {ln["line_no"]: ln for ln in lines}
    for take in takes:
        ln = by_no[take.line_no]
        if inspecting:
            ln["to_inspect"] -= take.quantity
        else:
            ln["received"] += take.quantity
        column = {Disposition.RESTOCK: "restocked", Disposition.DAMAGED: "damaged",
                  Disposition.INSPECT: "to_inspect"}[take.disposition]
        ln[column] += take.quantity


def refund(takes: list[Take], unit_price: Mapping[int, int], credit: int) -> tuple[int, int, list[dict[str, Any]]]:
    """The refund owed for units judged (restocked or written off; units kept for inspection wait), less
    what an exchange already took of their value (``credit``, the exchange order's value not yet covered).
    Answers (amount to refund, credit used, lines with their value)."""
    lines, value = [], 0
    for take in takes:
        if take.disposition in JUDGEMENTS:
            worth = take.quantity * unit_price[take.line_no]
            value += worth
            lines.append({"line_no": take.line_no, "sku": take.sku, "quantity": take.quantity, "amount": worth})
    used = min(credit, value)
    return value - used, used, lines


def status_of(lines: Iterable[Mapping[str, Any]]) -> RStatus:
    """The status a return's received and judged units give it (its moves: ``lifecycle.RETURN_TRANSITIONS``)."""
    lines = list(lines)
    expected = sum(ln["quantity"] for ln in lines)
    received = sum(ln["received"] for ln in lines)
    if received == 0:
        return RStatus.REQUESTED
    if received < expected:
        return RStatus.PARTIALLY_RECEIVED
    if any(ln["to_inspect"] for ln in lines):
        return RStatus.AWAITING_INSPECTION
    return RStatus.RECEIVED
