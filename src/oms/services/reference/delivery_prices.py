"""What each delivery mode costs the customer, stored as one settings document."""

from ...domain.access import Principal
from ..runtime.context import Context
from .cache import PRICES
from .documents import get_document, put_document
from .inputs import DeliveryPricesIn


async def get_prices(ctx: Context) -> dict:
    return await get_document(ctx, PRICES, DeliveryPricesIn)


async def put_prices(ctx: Context, body: DeliveryPricesIn, *, principal: Principal) -> dict:
    return await put_document(ctx, PRICES, body, principal=principal)
