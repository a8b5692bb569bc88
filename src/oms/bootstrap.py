"""The one composition root: settings in, a ready service context and app out. Nothing is built at import."""

from fastapi import FastAPI

from .api.app import create_app
from .config import Settings
from .db.engine import Database, make_engine
from .db.migrate import upgrade
from .services.context import Context
from .services.keys import KeyCache, create_key
from .services.reference_cache import ReferenceCache


def build_context(settings: Settings) -> Context:
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    return Context(
        settings=settings,
        db=Database(engine),
        reference=ReferenceCache(settings.reference_refresh_seconds),
        keys=KeyCache(settings.key_cache_seconds),
    )


async def prepare(ctx: Context) -> None:
    """Bring the database to the newest schema and create the bootstrap admin key if one is configured."""
    await upgrade(ctx.db.engine)
    if ctx.settings.bootstrap_admin_key:
        await create_key(ctx.db, role="admin", name="bootstrap admin", key=ctx.settings.bootstrap_admin_key)


def build_app(settings: Settings | None = None) -> FastAPI:
    ctx = build_context(settings or Settings())
    return create_app(ctx, on_start=lambda: prepare(ctx))
