"""Stock counts for a whole network at once (``oms import stock``, ``oms demo --scale``): millions of rows.

The rules are ``feeds.set_stock``'s, all of them: the rows are counts taken now; all or none; a repeated
(node, sku), an unknown node or SKU, a node that holds no stock, or an on-hand beyond its column's range is
refused by name (``items.N.field``, N counting every row given) and nothing is written; a row resting on a
later count is left alone (stale); movements that happened after the count stay on top of it; every change
of on-hand is a movement in the ledger; a new row's safety stock is its node's default unless given.

On PostgreSQL the rows stream into a temporary table (binary COPY) and are applied by set-based statements,
one group of nodes at a time in key order (``db/bulk_counts.py``): nothing holds the whole file in memory.
SQLite, the embedded default for small networks, takes the row-by-row path of ``feeds.apply_counts``.
"""

from collections.abc import Iterable, Sequence

from ...db import bulk_counts
from ...domain.errors import FieldError, InvalidInput
from ..runtime.context import Context
from ..runtime.shapes import INT32
from ..runtime.validation import check_stock_rows, duplicate, no_duplicates
from .feeds import Count, Progress, apply_counts, beyond_range, default_safety
from .inputs import StockLine

GROUP_ROWS = 100_000  # rows applied per group of nodes: one lock pass and one write each


async def import_counts(ctx: Context, chunks: Iterable[Sequence[StockLine]], *, ref: str | None = None,
                        progress: Progress = None) -> tuple[int, int]:
    """Counts taken now, read chunk by chunk, all or none: (applied, stale) rows."""
    if ctx.db.dialect != "postgresql":
        return await _row_by_row(ctx, [line for chunk in chunks for line in chunk], ref, progress)
    counted_at = ctx.clock.now()
    stamp = ctx.clock.now()
    safety_of = await default_safety(ctx)
    unknown: list[FieldError] = []
    async with ctx.db.write() as conn:
        await conn.exec_driver_sql("SELECT 1")  # the transaction is open before the driver is used directly
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None and raw.is_in_transaction()
        await bulk_counts.create(raw)
        given = 0
        for chunk in chunks:
            try:
                await check_stock_rows(ctx, [(x.node_id, x.sku) for x in chunk], offset=given)
            except InvalidInput as exc:
                unknown += exc.errors
            # Copied even once the call is refused: a repeated row is reported first, as ``set_stock`` does.
            await bulk_counts.copy(raw, given, chunk)
            given += len(chunk)
        if repeated := await bulk_counts.repeated(raw):
            raise InvalidInput([duplicate("items", r["i"], "node and sku", (r["node_id"], r["sku"]), r["first"])
                                for r in repeated])
        if unknown:
            raise InvalidInput(unknown)
        applied = 0
        beyond: list[tuple[int, FieldError]] = []
        for nodes, rows in _groups(await bulk_counts.nodes_counted(raw)):
            if not beyond:  # once the call is refused, the rest is only checked
                applied += await bulk_counts.add_new(raw, nodes, [safety_of(n) for n in nodes],
                                                     counted_at=counted_at, stamp=stamp, ref=ref)
            beyond += [(r["i"], FieldError(f"items.{r['i']}.on_hand",
                                           beyond_range(r["node_id"], r["sku"], r["on_hand"]) or ""))
                       for r in await bulk_counts.lock_and_look(raw, nodes, counted_at=counted_at, limit=INT32)]
            if not beyond:
                applied += await bulk_counts.set_counted(raw, nodes, counted_at=counted_at, stamp=stamp, ref=ref)
            if progress:
                progress(rows)
        if beyond:
            raise InvalidInput([e for _, e in sorted(beyond, key=lambda b: b[0])])
    return applied, given - applied


def _groups(counted: list[tuple[str, int]]) -> Iterable[tuple[list[str], int]]:
    """Nodes in key order, grouped so that each group has about ``GROUP_ROWS`` rows: (nodes, rows)."""
    group: list[str] = []
    rows = 0
    for node_id, n in counted:
        group.append(node_id)
        rows += n
        if rows >= GROUP_ROWS:
            yield group, rows
            group, rows = [], 0
    if group:
        yield group, rows


async def _row_by_row(ctx: Context, lines: list[StockLine], ref: str | None, progress: Progress) -> tuple[int, int]:
    no_duplicates(lines, lambda s: (s.node_id, s.sku), "node and sku")
    await check_stock_rows(ctx, [(s.node_id, s.sku) for s in lines])
    counts = [Count(s.node_id, s.sku, s.on_hand, s.safety_stock, index=i) for i, s in enumerate(lines)]
    return await apply_counts(ctx, counts, counted_at=ctx.clock.now(), ref=ref, progress=progress)
