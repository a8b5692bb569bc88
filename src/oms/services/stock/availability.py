"""Availability for channels: per SKU, network total, per node, per delivery mode and near a point."""

from collections.abc import Sequence
from datetime import datetime

from ...domain.access import Principal
from ...domain.availability import Near, Sellable, sku_availability
from ...domain.errors import FieldError, InvalidInput, NotFound
from ..reference.cache import Snapshot
from ..runtime.context import Context
from .units import UnitsBySku


async def availability(ctx: Context, *, principal: Principal, channel: str, skus: Sequence[str],
                       near: Near | None = None) -> dict:
    """Served from memory (``StockMirror``); ``as_of`` says how fresh the numbers are."""
    principal.require_availability(channel)
    snap = await ctx.reference.knowing(ctx.db, set(skus), set())
    unknown = [FieldError(f"skus.{i}", f"unknown sku {sku!r}") for i, sku in enumerate(skus)
               if sku not in snap.products]
    if unknown:
        raise InvalidInput(unknown)
    stock, as_of = await ctx.stock.current(ctx.db)
    return {
        "channel": channel,
        "as_of": as_of.isoformat(),
        "items": [_item(snap, stock, channel, sku, near, as_of) for sku in skus],
    }


def _item(snap: Snapshot, stock: UnitsBySku, channel: str, sku: str, near: Near | None, as_of: datetime) -> dict:
    """One SKU's answer, as both forms give it."""
    sellable = snap.derived(("sellable", channel), lambda: Sellable.of(snap.nodes.values(), snap.rules, channel))
    return sku_availability(sku, stock.of(sku), sellable, near, active=snap.products[sku].active,
                            supply=snap.supply.get(sku, ()), today=as_of.date())


async def product_page(ctx: Context, *, principal: Principal, channel: str, sku: str, near: Near | None) -> dict:
    """One SKU for a product page: the batch answer's item, kept in memory while nothing moves."""
    principal.require_availability(channel)
    snap = await ctx.reference.knowing(ctx.db, {sku}, set())
    if sku not in snap.products:
        raise NotFound(f"no sku {sku!r}")
    stock, as_of = await ctx.stock.current(ctx.db)
    versions = (snap.version, ctx.stock.version, as_of.date())  # the date: supply before today drops out
    if near is None and (kept := ctx.pages.get(versions, (channel, sku))) is not None:
        return {**kept, "as_of": as_of.isoformat()}  # still true as of the latest look
    item = _item(snap, stock, channel, sku, near, as_of)
    answer = {"channel": channel, "as_of": as_of.isoformat(), **item}
    if near is None:
        ctx.pages.put((channel, sku), answer)
    return answer
