"""sourcing costs: node handling costs; carrier services serve several modes and price by rate bands; each
order's sourcing explanation

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 01:20:00.000000
"""

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sourcing_decisions",
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("explanation", JSON, nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_sourcing_decisions_order_id_orders")),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_sourcing_decisions")),
    )
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handling_cost_per_order", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("handling_cost_per_unit", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("carrier_services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("modes", JSON, nullable=True))
        batch_op.add_column(sa.Column("rate_bands", JSON, nullable=True))
    conn = op.get_bind()
    services = sa.table("carrier_services", sa.column("id"), sa.column("mode"), sa.column("bands", JSON),
                        sa.column("modes", JSON), sa.column("rate_bands", JSON))
    for row in conn.execute(sa.select(services.c.id, services.c.mode, services.c.bands)).all():
        bands = row.bands if isinstance(row.bands, list) else json.loads(row.bands)
        rates = [{"max_km": b["max_km"], "base": b.get("base", 0), "per_kg": b.get("per_kg", 0)} for b in bands]
        conn.execute(services.update().where(services.c.id == row.id).values(modes=[row.mode], rate_bands=rates))
    with op.batch_alter_table("carrier_services", schema=None) as batch_op:
        batch_op.alter_column("modes", existing_type=JSON, nullable=False)
        batch_op.alter_column("rate_bands", existing_type=JSON, nullable=False)
        batch_op.drop_column("mode")


def downgrade() -> None:
    with op.batch_alter_table("carrier_services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mode", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    services = sa.table("carrier_services", sa.column("id"), sa.column("mode"), sa.column("modes", JSON))
    for row in conn.execute(sa.select(services.c.id, services.c.modes)).all():
        modes = row.modes if isinstance(row.modes, list) else json.loads(row.modes)
        conn.execute(services.update().where(services.c.id == row.id).values(mode=modes[0]))
    with op.batch_alter_table("carrier_services", schema=None) as batch_op:
        batch_op.alter_column("mode", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column("rate_bands")
        batch_op.drop_column("modes")
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.drop_column("handling_cost_per_unit")
        batch_op.drop_column("handling_cost_per_order")
    op.drop_table("sourcing_decisions")
