"""node answers: cancels a node confirms, parcels not collected in time, webhooks for one node's work

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 11:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirms_cancel", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("collect_within_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("returns_to", sa.String(length=64), nullable=True))
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("node_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_column("node_id")
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.drop_column("returns_to")
        batch_op.drop_column("collect_within_days")
        batch_op.drop_column("confirms_cancel")
