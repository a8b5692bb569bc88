"""What each delivery mode costs the customer, stored as one settings document."""

from ..domain.access import Principal
from .context import Context
from .documents import get_document, put_document
from .inputs import DeliveryPricesIn
from .reference_cache import PRICES


async def get_prices(ctx: Context) -> dict:
    return await get_document(ctx, PRICES, DeliveryPricesIn)


async def put_prices(ctx: Context, body: DeliveryPricesIn, *, principal: Principal) -> dict:
    return await put_document(ctx, PRICES, body, principal=principal)
