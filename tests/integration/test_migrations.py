"""The migrations build exactly the schema the code's tables describe, on each database."""

import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from oms.db.engine import make_engine
from oms.db.migrate import alembic_config
from oms.db.tables import metadata


async def test_the_migrated_schema_is_the_tables_schema(ctx):
    async with ctx.db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata))
    assert diff == []


async def test_carrier_services_keep_their_mode_and_prices_across_the_sourcing_migration(tmp_path):
    """0011 turns a service's one `mode` into `modes` and its bands' prices into `rate_bands`; 0010 back."""
    engine = make_engine(f"sqlite:///{tmp_path / 'oms.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0010"))
            await conn.execute(text(
                "INSERT INTO carrier_services (id, name, mode, bands, delivery_weekdays, holidays, window, active, "
                "updated_at) VALUES ('std', 'Standard', 'home_standard', :bands, '[1,2,3,4,5]', '[]', "
                "'[\"08:00\", \"20:00\"]', 1, '2026-11-28 00:00:00')"),
                {"bands": json.dumps([{"max_km": 150, "transit_min": 1, "transit_max": 2, "base": 450, "per_kg": 40},
                                      {"max_km": 600, "transit_min": 2, "transit_max": 3, "base": 520}])})
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
            row = (await conn.execute(text("SELECT modes, rate_bands FROM carrier_services"))).one()
            assert json.loads(row.modes) == ["home_standard"]
            assert json.loads(row.rate_bands) == [{"max_km": 150, "base": 450, "per_kg": 40},
                                                  {"max_km": 600, "base": 520, "per_kg": 0}]
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0010"))
            assert (await conn.execute(text("SELECT mode FROM carrier_services"))).scalar_one() == "home_standard"
    finally:
        await engine.dispose()
