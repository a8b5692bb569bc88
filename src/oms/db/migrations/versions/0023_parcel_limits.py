"""parcel limits: what a carrier service takes in one parcel (weight, sizes, bulky and hazardous goods),
what a node hands over or receives, and a locker bank's compartments

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 02:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Null: a service stored before takes anything, as it did; a node has no limits of its own.
    with op.batch_alter_table("carrier_services") as batch:
        batch.add_column(sa.Column("takes", JSON, nullable=True))
    with op.batch_alter_table("nodes") as batch:
        batch.add_column(sa.Column("takes", JSON, nullable=True))
        batch.add_column(sa.Column("compartments", JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("nodes") as batch:
        batch.drop_column("compartments")
        batch.drop_column("takes")
    with op.batch_alter_table("carrier_services") as batch:
        batch.drop_column("takes")
