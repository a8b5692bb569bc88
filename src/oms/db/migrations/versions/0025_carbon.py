"""carbon estimates: a carrier service's emission factors, and the share of customers who drive to collect
at a node

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 06:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Null: a service's emissions are not known (its options' carbon is then unknown, never 0); a node's
    # share of driving customers is the default one.
    with op.batch_alter_table("carrier_services") as batch:
        batch.add_column(sa.Column("emissions", JSON, nullable=True))
    with op.batch_alter_table("nodes") as batch:
        batch.add_column(sa.Column("collection_car_share", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nodes") as batch:
        batch.drop_column("collection_car_share")
    with op.batch_alter_table("carrier_services") as batch:
        batch.drop_column("emissions")
