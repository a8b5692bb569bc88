"""calendars and carriers: node exceptions, processing time, carrier cut-off; carrier services

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 09:25:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "carrier_services",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("bands", JSON, nullable=False),
        sa.Column("delivery_weekdays", JSON, nullable=False),
        sa.Column("holidays", JSON, nullable=False),
        sa.Column("window", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_services")),
    )
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exceptions", JSON, server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("processing_minutes", sa.Integer(), server_default="60", nullable=False))
        batch_op.add_column(sa.Column("carrier_cutoff", sa.String(length=5), server_default="17:00", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.drop_column("carrier_cutoff")
        batch_op.drop_column("processing_minutes")
        batch_op.drop_column("exceptions")
    op.drop_table("carrier_services")
