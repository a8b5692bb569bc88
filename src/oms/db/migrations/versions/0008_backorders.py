"""backorders: supply units promised to order lines that wait for them; holds' idempotency keys

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 08:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supply", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allocated", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("fulfillment_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supply_id", sa.String(length=100), nullable=True))
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_holds_channel_idempotency_key"),
                                          ["channel", "idempotency_key"])


def downgrade() -> None:
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_holds_channel_idempotency_key"), type_="unique")
        batch_op.drop_column("idempotency_key")
    with op.batch_alter_table("fulfillment_lines", schema=None) as batch_op:
        batch_op.drop_column("supply_id")
    with op.batch_alter_table("supply", schema=None) as batch_op:
        batch_op.drop_column("allocated")
