"""Checks shared by the bulk writers: each names the offending item by its index."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from ...domain.errors import FieldError, InvalidInput
from ...domain.vocabulary import STOCKLESS_NODE_TYPES
from .context import Context


async def check_stock_rows(ctx: Context, rows: Sequence[tuple[str, str]], *, path: str = "items",
                           offset: int = 0) -> None:
    """InvalidInput naming every (node_id, sku) row whose node or SKU is unknown, or whose node holds no stock.
    ``offset``: the first row's index in the whole call (a bulk load checks its rows chunk by chunk)."""
    snap = await ctx.reference.knowing(ctx.db, {sku for _, sku in rows}, {node for node, _ in rows})
    errors = []
    for i, (node_id, sku) in enumerate(rows, offset):
        node = snap.nodes.get(node_id)
        if node is None:
            errors.append(FieldError(f"{path}.{i}.node_id", f"unknown node {node_id!r}"))
        elif node.type in STOCKLESS_NODE_TYPES:
            errors.append(FieldError(f"{path}.{i}.node_id", f"a {node.type} holds no stock"))
        if sku not in snap.products:
            errors.append(FieldError(f"{path}.{i}.sku", f"unknown sku {sku!r}"))
    if errors:
        raise InvalidInput(errors)


CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of the service's clock a node's own clock may be


def not_ahead(ctx: Context, times: Iterable[tuple[str, datetime]]) -> None:
    """InvalidInput naming every (field, time) a node reports that lies ahead of the service's clock by more
    than the skew a node's clock may have: a time to come cannot have been observed."""
    limit = ctx.clock.now() + CLOCK_SKEW
    errors = [FieldError(path, "is in the future") for path, at in times if at > limit]
    if errors:
        raise InvalidInput(errors)


def within_a_year(ctx: Context, path: str, at: datetime | None) -> None:
    """InvalidInput when ``at`` is more than a year from the service's clock (what-if questions stay near)."""
    try:
        far = at is not None and abs(at - ctx.clock.now()) > timedelta(days=366)
    except OverflowError:  # beyond what a datetime holds once in UTC (year 1, year 9999)
        far = True
    if far:
        raise InvalidInput([FieldError(path, "must be within a year of now")])


def duplicate(path: str, index: int, what: str, key, first: int) -> FieldError:
    return FieldError(f"{path}.{index}", f"{what} {key} already given at {path}.{first}")


def no_duplicates(items: Sequence, key, what: str, path: str = "items") -> None:
    seen: dict = {}
    errors = []
    for i, item in enumerate(items):
        k = key(item)
        if k in seen:
            errors.append(duplicate(path, i, what, k, seen[k]))
        seen.setdefault(k, i)
    if errors:
        raise InvalidInput(errors)
