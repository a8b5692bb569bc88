"""The stock protection rules, stored as one settings document and read from the reference cache."""

from ..domain.access import Principal
from ..domain.protection import SETTING
from .context import Context
from .documents import get_document, put_document
from .inputs import StockRulesIn


async def get_rules(ctx: Context, *, principal: Principal) -> dict:
    return await get_document(ctx, SETTING, StockRulesIn)


async def put_rules(ctx: Context, body: StockRulesIn, *, principal: Principal) -> dict:
    return await put_document(ctx, SETTING, body, principal=principal)
