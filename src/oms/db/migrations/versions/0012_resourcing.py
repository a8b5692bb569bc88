"""re-sourcing and release waves: how long a node has to accept a fulfilment order; the times a node
releases the work planned for it; an order's risk of missing its promise

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 04:20:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accept_within_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("release_waves", JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("at_risk", JSON, nullable=True))
    op.create_index(op.f("ix_fulfillments_status_updated_at"), "fulfillments", ["status", "updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_fulfillments_status_updated_at"), table_name="fulfillments")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("at_risk")
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.drop_column("release_waves")
        batch_op.drop_column("accept_within_minutes")
