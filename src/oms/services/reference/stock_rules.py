"""The stock protection rules and the sourcing settings, each stored as one settings document and read
from the reference cache."""

from ...domain import strategy
from ...domain.access import Principal
from ...domain.protection import SETTING
from ..runtime.context import Context
from .documents import get_document, put_document
from .inputs import SourcingSettingsIn, StockRulesIn


async def get_rules(ctx: Context, *, principal: Principal) -> dict:
    return await get_document(ctx, SETTING, StockRulesIn)


async def put_rules(ctx: Context, body: StockRulesIn, *, principal: Principal) -> dict:
    return await put_document(ctx, SETTING, body, principal=principal)


async def get_sourcing(ctx: Context, *, principal: Principal) -> dict:
    return await get_document(ctx, strategy.SETTING, SourcingSettingsIn)


async def put_sourcing(ctx: Context, body: SourcingSettingsIn, *, principal: Principal) -> dict:
    return await put_document(ctx, strategy.SETTING, body, principal=principal)
