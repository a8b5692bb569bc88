"""Checks shared by the bulk writers: each names the offending item by its index."""

from collections.abc import Sequence

from ..domain.errors import FieldError, InvalidInput
from ..domain.vocabulary import STOCKLESS_NODE_TYPES
from .context import Context


async def check_stock_rows(ctx: Context, rows: Sequence[tuple[str, str]], *, path: str = "items") -> None:
    """InvalidInput naming every (node_id, sku) row whose node or SKU is unknown, or whose node holds no stock."""
    snap = await ctx.reference.knowing(ctx.db, {sku for _, sku in rows}, {node for node, _ in rows})
    errors = []
    for i, (node_id, sku) in enumerate(rows):
        node = snap.nodes.get(node_id)
        if node is None:
            errors.append(FieldError(f"{path}.{i}.node_id", f"unknown node {node_id!r}"))
        elif node.type in STOCKLESS_NODE_TYPES:
            errors.append(FieldError(f"{path}.{i}.node_id", f"a {node.type} holds no stock"))
        if sku not in snap.products:
            errors.append(FieldError(f"{path}.{i}.sku", f"unknown sku {sku!r}"))
    if errors:
        raise InvalidInput(errors)


def no_duplicates(items: Sequence, key, what: str, path: str = "items") -> None:
    seen: dict = {}
    errors = []
    for i, item in enumerate(items):
        k = key(item)
        if k in seen:
            errors.append(FieldError(f"{path}.{i}", f"{what} {k} already given at {path}.{seen[k]}"))
        seen.setdefault(k, i)
    if errors:
        raise InvalidInput(errors)
