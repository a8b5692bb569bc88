"""The migrations build exactly the schema the code's tables describe, on each database."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from oms.db.tables import metadata


async def test_the_migrated_schema_is_the_tables_schema(ctx):
    async with ctx.db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata))
    assert diff == []
